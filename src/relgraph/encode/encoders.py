"""Column encoders, one per stype, and the :class:`TableEncoder` that joins them.

Each encoder declares the stypes it supports (``supported_stypes``), is built
from the fitted :class:`~relgraph.encode.stats.ColumnStats` of its columns,
and maps the raw tensors of a :class:`~relgraph.encode.tensorize.TableTensors`
to one embedding per column, ``[N, C, dim]``. A column's embedding depends
on that column's values only (and, for timestamps, on each row's anchor
time); columns meet only in :class:`TableEncoder`'s combining layer.

- :class:`NumericalEncoder`: clip to the training bounds, ``(x - median) /
  scale``, two bounded views of it (``asinh`` and a clamp), a linear map per
  column; NULL/NaN gets a learned embedding of its own.
- :class:`CategoricalEncoder`: an embedding per column, row ``0`` for an
  unknown or NULL value.
- :class:`MulticategoricalEncoder`: the mean of the item embeddings.
- :class:`TextEncoder`: the mean of hashed-token embeddings, or a linear map
  of precomputed sentence embeddings.
- :class:`TimestampEncoder`: the age at the anchor time, ``anchor - t`` in
  days through a sign-safe log, plus sin/cos of the hour of the day, the day
  of the week and the day of the year of ``t``; NULL gets a learned embedding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

from relgraph.db.stype import Stype
from relgraph.encode.columns import PAD_ID, qualified
from relgraph.encode.errors import EncoderError
from relgraph.encode.stats import ColumnStats, TableStats
from relgraph.encode.tensorize import NULL_TIME, TableTensors

__all__ = [
    "DEFAULT_COLUMN_DIM",
    "DEFAULT_ENCODERS",
    "CategoricalEncoder",
    "MulticategoricalEncoder",
    "NumericalEncoder",
    "StypeEncoder",
    "TableEncoder",
    "TextEncoder",
    "TimestampEncoder",
]

#: Width of each column's embedding before :class:`TableEncoder` combines them.
DEFAULT_COLUMN_DIM = 32
_SECONDS_PER_DAY = 86_400
_SECONDS_PER_WEEK = 7 * _SECONDS_PER_DAY
#: Mean Gregorian year; the day-of-year phase drifts by at most a day from the calendar.
_SECONDS_PER_YEAR = 31_556_952
#: 1970-01-01 was a Thursday: shifts epoch days so that Monday is 0.
_EPOCH_WEEKDAY = 3 * _SECONDS_PER_DAY
#: ``log1p`` of ten years in days: brings the log-age to about ``[-1, 1]``.
_LOG_AGE_SCALE = math.log1p(3652.5)
#: Bound of the clamped view of a normalized numerical value.
_Z_CLAMP = 3.0


class StypeEncoder(nn.Module):
    """Base of the column encoders: ``[N, C, dim]`` embeddings of the columns
    of the stypes in ``supported_stypes``.

    Subclasses set ``supported_stypes`` and implement :meth:`encode`; the
    base checks the stypes of the columns at construction and that the
    tensors were made with the same columns at every call.

    Args:
        columns (Sequence[ColumnStats]): Fitted statistics of the columns to
            encode, in the order of their tensors.
        dim (int): Width of each column's embedding.
        table (str): Table name, for messages. (default: :obj:`""`)
    """

    supported_stypes: ClassVar[frozenset[Stype]] = frozenset()

    def __init__(self, columns: Sequence[ColumnStats], dim: int, table: str = "") -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise EncoderError(f"{type(self).__name__}: dim must be an integer >= 1 (got {dim!r}).")
        for column in columns:
            if column.stype not in self.supported_stypes:
                supported = ", ".join(sorted(s.value for s in self.supported_stypes))
                raise EncoderError(
                    f"{type(self).__name__} does not support stype '{column.stype}' (column "
                    f"{qualified(table, column.name)}); it supports: {supported}. Use "
                    f"{_suggest(column.stype)} for '{column.stype}' columns."
                )
        self.columns = list(columns)
        self.dim = dim
        self.table = table

    @property
    def column_names(self) -> list[str]:
        """Names of the encoded columns, in the order of the output's dimension 1."""
        return [c.name for c in self.columns]

    @property
    def num_columns(self) -> int:
        return len(self.columns)

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        """The :class:`TableTensors` fields this encoder reads, with their columns."""
        raise NotImplementedError

    def forward(self, tensors: TableTensors, anchor_time: Tensor | None = None) -> Tensor:
        """Embeddings of the columns, ``float [N, C, dim]``.

        Args:
            tensors (TableTensors): The rows to encode.
            anchor_time (Tensor, optional): ``int64 [N]`` anchor time of each
                row's example, in epoch seconds (needed by timestamps).
        """
        for name, expected in self.expected_columns().items():
            got = tensors.columns.get(name, ())
            if tuple(got) != tuple(expected):
                raise EncoderError(
                    f"{type(self).__name__}: the tensors' {name} columns {list(got)} are not "
                    f"the fitted ones {list(expected)}; tensorize with the same TableStats."
                )
        if not self.columns:
            return tensors.numerical.new_zeros((tensors.num_rows, 0, self.dim))
        return self.encode(tensors, anchor_time)

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        """The work of :meth:`forward`, on checked tensors with at least one column."""
        raise NotImplementedError


class NumericalEncoder(StypeEncoder):
    """Robustly normalized numbers, a learned embedding for NULL/NaN.

    ``z = (clip(x, lower, upper) - median) / scale``; the column's embedding
    is ``W_c [asinh(z), clamp(z, -3, 3)] + b_c``, or the learned ``nan_c``
    where ``x`` is NaN.

    Example:
        >>> import pandas as pd
        >>> from relgraph.encode import TableStats, tensorize
        >>> frame = pd.DataFrame({"amount": [1.0, 2.0, None]})
        >>> stats = TableStats.fit_data(frame, {"amount": "numerical"})
        >>> encoder = NumericalEncoder(stats.columns_of("numerical"), dim=4)
        >>> encoder(tensorize(frame, stats)).shape
        torch.Size([3, 1, 4])
    """

    supported_stypes = frozenset({Stype.numerical})

    def __init__(self, columns: Sequence[ColumnStats], dim: int, table: str = "") -> None:
        super().__init__(columns, dim, table)
        c = len(self.columns)

        def values(attr: str) -> Tensor:
            return torch.tensor([float(getattr(col, attr)) for col in self.columns])

        self.register_buffer("median", values("median"))
        self.register_buffer("scale", values("scale"))
        self.register_buffer("lower", values("lower"))
        self.register_buffer("upper", values("upper"))
        self.weight = nn.Parameter(torch.empty(c, 2, dim))
        self.bias = nn.Parameter(torch.empty(c, dim))
        self.nan_embedding = nn.Parameter(torch.empty(c, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.weight, -1.0, 1.0)
        nn.init.zeros_(self.bias)
        nn.init.normal_(self.nan_embedding)

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        return {"numerical": tuple(self.column_names)}

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        x = tensors.numerical.to(self.weight.dtype)
        is_nan = torch.isnan(x)
        z = (torch.clamp(x, self.lower, self.upper) - self.median) / self.scale
        z = torch.where(is_nan, torch.zeros_like(z), z)
        features = torch.stack([torch.asinh(z), z.clamp(-_Z_CLAMP, _Z_CLAMP)], dim=-1)
        out = torch.einsum("nck,ckd->ncd", features, self.weight) + self.bias
        return torch.where(is_nan.unsqueeze(-1), self.nan_embedding.expand_as(out), out)


class CategoricalEncoder(StypeEncoder):
    """One embedding table per column; row ``0`` is an unknown or NULL value.

    Example:
        >>> import pandas as pd
        >>> from relgraph.encode import TableStats, tensorize
        >>> frame = pd.DataFrame({"channel": ["web", "app", None]})
        >>> stats = TableStats.fit_data(frame, {"channel": "categorical"})
        >>> CategoricalEncoder(stats.columns_of("categorical"), dim=4)(
        ...     tensorize(frame, stats)).shape
        torch.Size([3, 1, 4])
    """

    supported_stypes = frozenset({Stype.categorical})

    def __init__(self, columns: Sequence[ColumnStats], dim: int, table: str = "") -> None:
        super().__init__(columns, dim, table)
        sizes = [c.num_embeddings for c in self.columns]
        self.register_buffer("offsets", _offsets(sizes))
        self.embedding = nn.Embedding(max(1, sum(sizes)), dim)

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        return {"categorical": tuple(self.column_names)}

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        return self.embedding(tensors.categorical + self.offsets)


class MulticategoricalEncoder(StypeEncoder):
    """The mean of the embeddings of a value's items (unknown items share one
    row per column, which also stands for a NULL or empty value).

    Example:
        >>> import pandas as pd
        >>> from relgraph.encode import TableStats, tensorize
        >>> frame = pd.DataFrame({"tags": ["a|b", "b", None]})
        >>> stats = TableStats.fit_data(frame, {"tags": "multicategorical"})
        >>> MulticategoricalEncoder(stats.columns_of("multicategorical"), dim=4)(
        ...     tensorize(frame, stats)).shape
        torch.Size([3, 1, 4])
    """

    supported_stypes = frozenset({Stype.multicategorical})

    def __init__(self, columns: Sequence[ColumnStats], dim: int, table: str = "") -> None:
        super().__init__(columns, dim, table)
        self.bag = _ColumnBags([c.num_embeddings for c in self.columns], dim)

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        return {"multicategorical": tuple(self.column_names)}

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        return self.bag(tensors.multicategorical)


class TextEncoder(StypeEncoder):
    """Text columns: the mean of hashed-token embeddings (hashing), or a
    linear map of the precomputed sentence embeddings (sentence encoder).

    The output lists the hashed columns first, then the sentence columns
    (the order of :attr:`column_names`).

    Example:
        >>> import pandas as pd
        >>> from relgraph.encode import EncodeConfig, TableStats, tensorize
        >>> frame = pd.DataFrame({"review": ["Great value!", "broke after a day", None]})
        >>> config = EncodeConfig(text_method="hashing", text_buckets=1024)
        >>> stats = TableStats.fit_data(frame, {"review": "text"}, config=config)
        >>> TextEncoder(stats.columns_of("text"), dim=4)(tensorize(frame, stats)).shape
        torch.Size([3, 1, 4])
    """

    supported_stypes = frozenset({Stype.text})

    def __init__(self, columns: Sequence[ColumnStats], dim: int, table: str = "") -> None:
        super().__init__(columns, dim, table)
        self.hashed = [c for c in self.columns if c.text_method != "sentence"]
        self.embedded = [c for c in self.columns if c.text_method == "sentence"]
        self.bag = _ColumnBags([c.num_buckets for c in self.hashed], dim) if self.hashed else None
        dims = {c.embedding_dim for c in self.embedded}
        if len(dims) > 1:
            raise EncoderError(
                f"TextEncoder: the sentence-encoded columns of {table or 'the table'} have "
                f"different widths {sorted(dims)}; fit them with one sentence encoder."
            )
        self.weight: nn.Parameter | None = None
        self.bias: nn.Parameter | None = None
        if self.embedded:
            in_dim = dims.pop()
            bound = 1.0 / math.sqrt(in_dim)
            self.weight = nn.Parameter(torch.empty(len(self.embedded), in_dim, dim))
            self.bias = nn.Parameter(torch.zeros(len(self.embedded), dim))
            nn.init.uniform_(self.weight, -bound, bound)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.hashed] + [c.name for c in self.embedded]

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        return {
            "text_tokens": tuple(c.name for c in self.hashed),
            "text_embeddings": tuple(c.name for c in self.embedded),
        }

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        parts = []
        if self.bag is not None:
            parts.append(self.bag(tensors.text_tokens))
        if self.weight is not None and self.bias is not None:
            x = tensors.text_embeddings.to(self.weight.dtype)
            parts.append(torch.einsum("nck,ckd->ncd", x, self.weight) + self.bias)
        return torch.cat(parts, dim=1)


class TimestampEncoder(StypeEncoder):
    """Timestamps relative to each row's anchor time, plus their cyclic parts.

    Features of ``t`` at anchor ``a``: ``sign(d) log1p(|d|) / log1p(3652.5)``
    with ``d = (a - t)`` in days (older is larger; a value after the anchor
    gives a negative age), and ``sin``/``cos`` of the phase of ``t`` in its
    day, its week (Monday first) and its year; a per-column linear map of
    these seven, or a learned embedding for NULL.

    A value after its row's anchor time (a date filled in later, such as a
    delivery time) is not known at that anchor: with ``mask_future=True``
    it is encoded exactly as NULL, so nothing about it leaks.

    Args:
        columns (Sequence[ColumnStats]): Fitted statistics of the columns.
        dim (int): Width of each column's embedding.
        table (str): Table name, for messages. (default: :obj:`""`)
        mask_future (bool): Encode values after the anchor time as NULL.
            (default: :obj:`True`)

    Example:
        >>> import pandas as pd, torch
        >>> from relgraph.encode import TableStats, tensorize
        >>> frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-01", None])})
        >>> stats = TableStats.fit_data(frame, {"at": "timestamp"})
        >>> anchor = torch.full((2,), 1_704_153_600)  # 2024-01-02
        >>> TimestampEncoder(stats.columns_of("timestamp"), dim=4)(
        ...     tensorize(frame, stats), anchor).shape
        torch.Size([2, 1, 4])
    """

    supported_stypes = frozenset({Stype.timestamp})
    #: Features per timestamp: the age and three sin/cos pairs.
    num_features = 7

    def __init__(
        self,
        columns: Sequence[ColumnStats],
        dim: int,
        table: str = "",
        mask_future: bool = True,
    ) -> None:
        super().__init__(columns, dim, table)
        self.mask_future = mask_future
        c = len(self.columns)
        self.weight = nn.Parameter(torch.empty(c, self.num_features, dim))
        self.bias = nn.Parameter(torch.zeros(c, dim))
        self.null_embedding = nn.Parameter(torch.empty(c, dim))
        nn.init.uniform_(self.weight, -1.0, 1.0)
        nn.init.normal_(self.null_embedding)

    def expected_columns(self) -> dict[str, tuple[str, ...]]:
        return {"timestamp": tuple(self.column_names)}

    def encode(self, tensors: TableTensors, anchor_time: Tensor | None) -> Tensor:
        times = tensors.timestamp
        anchor = check_anchor_time(anchor_time, tensors.num_rows, type(self).__name__)
        anchor = anchor.to(times.device).unsqueeze(1)
        is_null = times == NULL_TIME
        if self.mask_future:
            is_null = is_null | (times > anchor)
        times = torch.where(is_null, anchor.expand_as(times), times)
        features = timestamp_features(times, anchor).to(self.weight.dtype)
        out = torch.einsum("nck,ckd->ncd", features, self.weight) + self.bias
        return torch.where(is_null.unsqueeze(-1), self.null_embedding.expand_as(out), out)


def timestamp_features(times: Tensor, anchor: Tensor) -> Tensor:
    """The seven features of :class:`TimestampEncoder`, ``float64 [..., 7]``.

    Args:
        times: ``int64`` epoch seconds (no NULL sentinel).
        anchor: ``int64`` epoch seconds, broadcastable to ``times``.

    Example:
        >>> f = timestamp_features(torch.tensor([0]), torch.tensor([86_400 * 7]))
        >>> round(float(f[0, 0]), 3), [round(float(v), 3) for v in f[0, 3:5]]  # age; Thursday
        (0.253, [0.434, -0.901])
    """
    days = (anchor - times).to(torch.float64) / _SECONDS_PER_DAY
    age = torch.sign(days) * torch.log1p(days.abs()) / _LOG_AGE_SCALE
    phases = [
        torch.remainder(times, _SECONDS_PER_DAY).to(torch.float64) / _SECONDS_PER_DAY,
        torch.remainder(times + _EPOCH_WEEKDAY, _SECONDS_PER_WEEK).to(torch.float64)
        / _SECONDS_PER_WEEK,
        torch.remainder(times, _SECONDS_PER_YEAR).to(torch.float64) / _SECONDS_PER_YEAR,
    ]
    parts = [age]
    for phase in phases:
        angle = 2.0 * math.pi * phase
        parts += [torch.sin(angle), torch.cos(angle)]
    return torch.stack(parts, dim=-1)


def check_anchor_time(anchor_time: Tensor | int | None, num_rows: int, who: str) -> Tensor:
    """Anchor times as ``int64 [num_rows]`` (a scalar is repeated)."""
    if anchor_time is None:
        raise EncoderError(
            f"{who} needs anchor_time: the int64 epoch seconds of each row's example "
            "(e.g. SampledBatch.seed_time(node_type))."
        )
    anchor = torch.as_tensor(anchor_time)
    if anchor.is_floating_point() or anchor.dtype == torch.bool or anchor.is_complex():
        raise EncoderError(
            f"{who}: anchor_time must hold int64 epoch seconds (got {anchor.dtype}); floats "
            "lose precision at epoch scale."
        )
    anchor = anchor.to(torch.int64)
    if anchor.dim() == 0:
        return anchor.expand(num_rows)
    anchor = anchor.reshape(-1)
    if anchor.numel() != num_rows:
        raise EncoderError(
            f"{who}: expected one anchor time per row ({num_rows}), got {anchor.numel()}."
        )
    return anchor


class _ColumnBags(nn.Module):
    """Mean-of-embeddings for ragged ids of several columns in one table.

    Column ``c`` has ids ``1 .. sizes[c] - 1`` (``0`` is padding); they are
    shifted into one shared table whose row ``0`` is the padding row.
    """

    def __init__(self, sizes: Sequence[int], dim: int) -> None:
        super().__init__()
        non_pad = [max(1, s - 1) for s in sizes]
        self.register_buffer("shift", _offsets(non_pad))
        self.bag = nn.EmbeddingBag(1 + sum(non_pad), dim, mode="mean", padding_idx=PAD_ID)
        self.dim = dim

    def forward(self, ids: Tensor) -> Tensor:
        n, c, length = ids.shape
        shifted = torch.where(ids != PAD_ID, ids + self.shift.view(1, -1, 1), ids)
        return self.bag(shifted.reshape(n * c, length)).reshape(n, c, self.dim)


def _offsets(sizes: Sequence[int]) -> Tensor:
    """Exclusive prefix sums of ``sizes`` as ``int64``."""
    total = torch.tensor([0, *sizes], dtype=torch.long).cumsum(0)
    return total[:-1].clone()


#: The stype -> encoder map :class:`TableEncoder` uses unless told otherwise.
DEFAULT_ENCODERS: dict[Stype, type[StypeEncoder]] = {
    Stype.numerical: NumericalEncoder,
    Stype.categorical: CategoricalEncoder,
    Stype.multicategorical: MulticategoricalEncoder,
    Stype.text: TextEncoder,
    Stype.timestamp: TimestampEncoder,
}


def _suggest(stype: Stype) -> str:
    encoder = DEFAULT_ENCODERS.get(stype)
    return encoder.__name__ if encoder else "no encoder (ids are never features)"


class TableEncoder(nn.Module):
    """All feature columns of one table into one vector per row, ``[N, width]``.

    Each stype's encoder gives one ``column_dim`` embedding per column; the
    embeddings are concatenated, mapped to ``width`` by a linear layer, and
    layer-normalized. A table without feature columns gives a learned
    constant vector.

    Args:
        stats (TableStats): Fitted statistics of the table.
        width (int): Output width.
        column_dim (int): Width of each column's embedding. (default: :obj:`32`)
        encoders (Mapping[Stype | str, type[StypeEncoder]], optional): Encoder
            class per stype; must cover every stype of ``stats``.
            (default: :data:`DEFAULT_ENCODERS`)

    Raises:
        EncoderError: If an stype present in ``stats`` has no encoder, or its
            encoder does not support it (the message names the stype and the
            column).

    Example:
        >>> import pandas as pd, torch
        >>> from relgraph.encode import EncodeConfig, TableStats, tensorize
        >>> frame = pd.DataFrame({
        ...     "amount": [10.0, None, 25.0], "channel": ["web", "app", "web"],
        ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05"])})
        >>> stats = TableStats.fit_data(
        ...     frame, {"amount": "numerical", "channel": "categorical", "ordered_at": "timestamp"})
        >>> encoder = TableEncoder(stats, width=16)
        >>> anchor = torch.full((3,), 1_704_844_800)  # 2024-01-10
        >>> encoder(tensorize(frame, stats), anchor).shape
        torch.Size([3, 16])
        >>> encoder.column_names
        ['amount', 'channel', 'ordered_at']
    """

    def __init__(
        self,
        stats: TableStats,
        width: int,
        *,
        column_dim: int = DEFAULT_COLUMN_DIM,
        encoders: Mapping[Stype | str, type[StypeEncoder]] | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("width", width), ("column_dim", column_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise EncoderError(f"TableEncoder: {name} must be an integer >= 1 (got {value!r}).")
        self.table = stats.table
        self.width = width
        self.column_dim = column_dim
        mapping = _parse_encoder_map(DEFAULT_ENCODERS if encoders is None else encoders)
        self.encoders = nn.ModuleDict()
        for stype in stats.stypes:
            columns = stats.columns_of(stype)
            if stype not in mapping:
                names = ", ".join(qualified(stats.table, c.name) for c in columns)
                keys = ", ".join(s.value for s in mapping) or "none"
                raise EncoderError(
                    f"No encoder for stype '{stype}' (column {names}); the encoder map has: "
                    f"{keys}. Add one, e.g. encoders={{Stype.{stype.value}: {_suggest(stype)}}}."
                )
            self.encoders[stype.value] = mapping[stype](columns, column_dim, stats.table)
        _check_supported(mapping)
        self.column_names: list[str] = [
            name for encoder in self.encoders.values() for name in encoder.column_names
        ]
        self.needs_anchor_time = Stype.timestamp.value in self.encoders
        if self.column_names:
            self.combine = nn.Linear(len(self.column_names) * column_dim, width)
            self.norm = nn.LayerNorm(width)
        else:
            self.constant = nn.Parameter(torch.randn(width) * 0.1)

    @property
    def has_features(self) -> bool:
        """Whether the table has feature columns (else the output is a learned constant)."""
        return bool(self.column_names)

    def column_embeddings(self, tensors: TableTensors, anchor_time: Tensor | None = None) -> Tensor:
        """Each column's embedding before the combining layer, ``[N, C, column_dim]``
        (columns in the order of :attr:`column_names`)."""
        if not self.encoders:
            return tensors.numerical.new_zeros((tensors.num_rows, 0, self.column_dim))
        return torch.cat([enc(tensors, anchor_time) for enc in self.encoders.values()], dim=1)

    def forward(self, tensors: TableTensors, anchor_time: Tensor | None = None) -> Tensor:
        """Encode rows.

        Args:
            tensors (TableTensors): The rows (e.g. ``table_tensors.index_select(n_id)``).
            anchor_time (Tensor, optional): ``int64 [N]`` epoch seconds of each
                row's example; needed when the table has timestamp columns.

        Returns:
            ``float32 [N, width]``.
        """
        if not self.column_names:
            return self.constant.expand(tensors.num_rows, -1).clone()
        columns = self.column_embeddings(tensors, anchor_time)
        return self.norm(self.combine(columns.flatten(1)))


def _parse_encoder_map(
    encoders: Mapping[Stype | str, type[StypeEncoder]],
) -> dict[Stype, type[StypeEncoder]]:
    parsed: dict[Stype, type[StypeEncoder]] = {}
    for key, encoder in encoders.items():
        try:
            stype = Stype.parse(key)
        except Exception as err:
            raise EncoderError(f"Encoder map: {err}") from err
        if not (isinstance(encoder, type) and issubclass(encoder, StypeEncoder)):
            raise EncoderError(
                f"Encoder map: the encoder for '{stype}' must be a StypeEncoder subclass "
                f"(got {encoder!r})."
            )
        parsed[stype] = encoder
    return parsed


def _check_supported(mapping: Mapping[Stype, type[StypeEncoder]]) -> None:
    """Every encoder of the map supports its key (for keys no column of the table has)."""
    for stype, encoder in mapping.items():
        if stype not in encoder.supported_stypes:
            supported = ", ".join(sorted(s.value for s in encoder.supported_stypes)) or "none"
            raise EncoderError(
                f"Encoder map: {encoder.__name__} does not support stype '{stype}' (it "
                f"supports: {supported}); use {_suggest(stype)} for '{stype}'."
            )
