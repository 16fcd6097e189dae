"""A whole table to raw tensors per stype, once, row-aligned with the table.

Node ids of the temporal graph are row positions, so the tensors of a table
are built once (every row, whatever its time) and a batch gathers its sampled
rows with :meth:`TableTensors.index_select`. What a value means at an anchor
time (a timestamp's age, a category unseen in training) is settled by the
encoders and the fitted :class:`~relgraph.encode.stats.TableStats`, never by
re-reading the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import torch
from torch import Tensor

from relgraph.db.stype import Stype
from relgraph.encode.columns import (
    EMPTY_ID,
    as_strings,
    column_of,
    num_rows_of,
    pad_ragged,
    qualified,
    split_items,
)
from relgraph.encode.errors import EncoderError
from relgraph.encode.stats import ColumnStats, TableStats, numeric_values
from relgraph.encode.text import SentenceModel, hashed_token_ids, sentence_embeddings
from relgraph.errors import GraphError
from relgraph.graph.timeutil import to_epoch_seconds

__all__ = ["NULL_TIME", "TENSOR_FIELDS", "TableTensors", "tensorize"]

#: A NULL timestamp in :attr:`TableTensors.timestamp` (the smallest int64).
NULL_TIME = int(np.iinfo(np.int64).min)

#: The tensor fields of :class:`TableTensors`, in order.
TENSOR_FIELDS = (
    "numerical",
    "categorical",
    "multicategorical",
    "text_tokens",
    "text_embeddings",
    "timestamp",
)


@dataclass(frozen=True, eq=False)
class TableTensors:
    """Raw per-stype tensors of a table's rows (row ``i`` is node ``i``).

    Attributes:
        numerical (Tensor): ``float32 [N, Cn]``, NULL as NaN (not yet normalized).
        categorical (Tensor): ``int64 [N, Cc]``, ``0`` for NULL or a value
            unseen in training, ``1 + vocabulary index`` otherwise.
        multicategorical (Tensor): ``int64 [N, Cm, Lm]`` item ids, ``0``
            padding, ``1`` an unknown item (or the single id of a NULL/empty
            value), ``2 + vocabulary index`` otherwise.
        text_tokens (Tensor): ``int64 [N, Ct, Lt]`` hashed token ids of the
            hashed text columns, ``0`` padding, ``1`` an empty/NULL text.
        text_embeddings (Tensor): ``float32 [N, Ce, D]`` sentence embeddings
            of the sentence-encoded text columns (zeros for NULL).
        timestamp (Tensor): ``int64 [N, Cts]`` epoch seconds, :data:`NULL_TIME`
            for NULL.
        columns (dict[str, tuple[str, ...]]): Per field, the column names of
            its second dimension.

    Example:
        >>> import pandas as pd
        >>> train = pd.DataFrame({"amount": [1.0, None], "channel": ["web", "app"]})
        >>> stats = TableStats.fit_data(train, {"amount": "numerical", "channel": "categorical"})
        >>> stats.columns["channel"].vocab
        ('app', 'web')
        >>> rows = pd.DataFrame({"amount": [3.0, None, 2.0], "channel": ["web", "fax", None]})
        >>> tensors = tensorize(rows, stats)
        >>> tensors.numerical.shape, tensors.categorical.tolist()
        (torch.Size([3, 1]), [[2], [0], [0]])
        >>> tensors.index_select(torch.tensor([0, 0])).categorical.tolist()
        [[2], [2]]
    """

    numerical: Tensor
    categorical: Tensor
    multicategorical: Tensor
    text_tokens: Tensor
    text_embeddings: Tensor
    timestamp: Tensor
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = {name: getattr(self, name).shape[0] for name in TENSOR_FIELDS}
        if len(set(sizes.values())) > 1:
            raise EncoderError(f"TableTensors fields disagree on the number of rows: {sizes}.")

    @property
    def num_rows(self) -> int:
        """Rows (nodes) held."""
        return int(self.numerical.shape[0])

    def __len__(self) -> int:
        return self.num_rows

    @property
    def device(self) -> torch.device:
        return self.numerical.device

    def tensors(self) -> dict[str, Tensor]:
        """The tensor fields by name."""
        return {name: getattr(self, name) for name in TENSOR_FIELDS}

    def index_select(self, index: Tensor | np.ndarray | Any) -> TableTensors:
        """The rows at ``index`` (e.g. a batch's sampled node ids), in that order.

        Args:
            index: ``int64`` row positions, ``[M]``; repeats allowed.

        Raises:
            EncoderError: If an index is negative or not below :attr:`num_rows`.
        """
        index = torch.as_tensor(index, dtype=torch.long, device=self.device).reshape(-1)
        if index.numel():
            low, high = int(index.min()), int(index.max())
            if low < 0 or high >= self.num_rows:
                raise EncoderError(
                    f"index_select: row ids must be in [0, {self.num_rows}) "
                    f"(got min {low}, max {high})."
                )
        gathered = {name: t.index_select(0, index) for name, t in self.tensors().items()}
        return replace(self, **gathered)

    def to(self, device: torch.device | str) -> TableTensors:
        """The same tensors on ``device``."""
        return replace(self, **{n: t.to(device) for n, t in self.tensors().items()})


def tensorize(
    data: pa.Table | pd.DataFrame,
    stats: TableStats,
    *,
    sentence_model: SentenceModel | None = None,
) -> TableTensors:
    """Turn every row of a table into raw tensors, using fitted statistics.

    Args:
        data: The table (an Arrow table or a DataFrame) with every column of
            ``stats``; other columns are ignored.
        stats (TableStats): Fitted statistics (which columns, vocabularies,
            text method, padded widths).
        sentence_model (SentenceModel, optional): Encoder for sentence-encoded
            text columns (default: the bundled one, loaded once).

    Returns:
        :class:`TableTensors` with one row per row of ``data``.

    Raises:
        EncoderError: If a column is missing or its values do not fit its stype.
    """
    n = num_rows_of(data)
    by_stype: dict[Stype, list[ColumnStats]] = {s: stats.columns_of(s) for s in Stype}
    table = stats.table

    def array(column: ColumnStats) -> pa.Array:
        return column_of(data, column.name, table)

    numerical = _stack_2d(
        [_numerical(array(c), qualified(table, c.name)) for c in by_stype[Stype.numerical]],
        n,
        np.float32,
    )
    categorical = _stack_2d(
        [_categorical(array(c), c, table) for c in by_stype[Stype.categorical]], n, np.int64
    )
    multi_cols = by_stype[Stype.multicategorical]
    multicategorical = _stack_3d([_multicategorical(array(c), c, table) for c in multi_cols], n)
    hashed = [c for c in by_stype[Stype.text] if c.text_method != "sentence"]
    embedded = [c for c in by_stype[Stype.text] if c.text_method == "sentence"]
    text_tokens = _stack_3d(
        [
            hashed_token_ids(
                as_strings(array(c), qualified(table, c.name)), c.num_buckets, c.max_items
            )
            for c in hashed
        ],
        n,
    )
    text_embeddings = _stack_3d(
        [_embeddings(array(c), c, table, sentence_model) for c in embedded], n, np.float32
    )
    timestamp = _stack_2d(
        [_timestamp(array(c), qualified(table, c.name)) for c in by_stype[Stype.timestamp]],
        n,
        np.int64,
    )
    names = {
        "numerical": by_stype[Stype.numerical],
        "categorical": by_stype[Stype.categorical],
        "multicategorical": multi_cols,
        "text_tokens": hashed,
        "text_embeddings": embedded,
        "timestamp": by_stype[Stype.timestamp],
    }
    return TableTensors(
        numerical=numerical,
        categorical=categorical,
        multicategorical=multicategorical,
        text_tokens=text_tokens,
        text_embeddings=text_embeddings,
        timestamp=timestamp,
        columns={key: tuple(c.name for c in cols) for key, cols in names.items()},
    )


# ---------------------------------------------------------------- per stype


def _numerical(values: pa.Array, where: str) -> np.ndarray:
    return numeric_values(values, where).astype(np.float32)


def _categorical(values: pa.Array, stats: ColumnStats, table: str) -> np.ndarray:
    strings = as_strings(values, qualified(table, stats.name))
    return _codes(strings, stats.vocab, first=1, unknown=0)


def _multicategorical(values: pa.Array, stats: ColumnStats, table: str) -> np.ndarray:
    row_ids, items = split_items(values, qualified(table, stats.name))
    codes = _codes(items, stats.vocab, first=EMPTY_ID + 1, unknown=EMPTY_ID)
    return pad_ragged(row_ids, codes, len(values), stats.max_items)


def _codes(strings: pa.Array, vocab: tuple[str, ...], first: int, unknown: int) -> np.ndarray:
    """``first + position in vocab`` of each value, ``unknown`` when absent or NULL."""
    if not len(vocab):
        return np.full(len(strings), unknown, dtype=np.int64)
    positions = pc.index_in(strings, value_set=pa.array(vocab, pa.string()))
    codes = positions.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(codes >= 0, codes + first, unknown)


def _embeddings(
    values: pa.Array, stats: ColumnStats, table: str, model: SentenceModel | None
) -> np.ndarray:
    out = sentence_embeddings(as_strings(values, qualified(table, stats.name)), model)
    if out.shape[1] != stats.embedding_dim:
        raise EncoderError(
            f"{qualified(table, stats.name)}: the sentence encoder gives width {out.shape[1]} "
            f"but the statistics were fitted with width {stats.embedding_dim}; refit them "
            "with the same encoder."
        )
    return out


def _timestamp(values: pa.Array, where: str) -> np.ndarray:
    try:
        seconds, is_null = to_epoch_seconds(values, name=where)
    except GraphError as err:
        raise EncoderError(str(err)) from err
    if is_null.any():
        seconds = np.where(is_null, NULL_TIME, seconds)
    return seconds


def _stack_2d(parts: list[np.ndarray], n: int, dtype: type) -> Tensor:
    if not parts:
        return torch.from_numpy(np.zeros((n, 0), dtype=dtype))
    return torch.from_numpy(np.ascontiguousarray(np.stack(parts, axis=1), dtype=dtype))


def _stack_3d(parts: list[np.ndarray], n: int, dtype: type = np.int64) -> Tensor:
    """``[N, C, L]`` from ``C`` matrices ``[N, L_c]``, zero-padded to the widest."""
    if not parts:
        return torch.from_numpy(np.zeros((n, 0, 0), dtype=dtype))
    width = max(p.shape[1] for p in parts)
    out = np.zeros((n, len(parts), width), dtype=dtype)
    for i, part in enumerate(parts):
        out[:, i, : part.shape[1]] = part
    return torch.from_numpy(out)
