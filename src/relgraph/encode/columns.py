"""Arrow helpers shared by fitting and tensorizing: one column as an Arrow
array, values as strings, list items per row, ragged rows to a padded matrix.

Everything here is vectorized (Arrow compute kernels and numpy); nothing
loops over rows in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from relgraph.encode.errors import EncoderError

__all__ = [
    "PAD_ID",
    "EMPTY_ID",
    "as_array",
    "column_of",
    "as_strings",
    "split_items",
    "items_per_row",
    "num_rows_of",
    "pad_ragged",
    "qualified",
]

#: Id of padding in ragged (multicategorical, text) matrices.
PAD_ID = 0
#: Id of an unknown item, or the single id of a row with no item (NULL or empty).
EMPTY_ID = 1
#: Separators of multicategorical values stored as text (``"a|b"``, ``"a;b"``, ``"a, b"``).
ITEM_SEPARATORS = r"[|;,]"


def qualified(table: str | None, column: str) -> str:
    """``"table.column"`` for messages (``"column"`` when the table is unnamed)."""
    return f"{table}.{column}" if table else column


def as_array(values: Any, name: str = "values") -> pa.Array:
    """One contiguous Arrow array (dictionaries decoded) from Arrow, pandas, numpy or a list."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=values.type)
    elif not isinstance(values, pa.Array):
        try:
            if isinstance(values, pd.Series | pd.Index):
                values = pa.Array.from_pandas(values)
            else:
                values = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError) as err:
            raise EncoderError(
                f"Cannot read the values of {name} as a column (got {type(values).__name__}): {err}"
            ) from err
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values


def column_of(data: pa.Table | pd.DataFrame, column: str, table: str | None = None) -> pa.Array:
    """Column ``column`` of an Arrow table or a DataFrame as one Arrow array."""
    if isinstance(data, pa.Table):
        if column not in data.column_names:
            raise EncoderError(_missing(column, table, data.column_names))
        return as_array(data.column(column), qualified(table, column))
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise EncoderError(_missing(column, table, [str(c) for c in data.columns]))
        return as_array(data[column], qualified(table, column))
    raise EncoderError(
        f"Expected a pyarrow Table or a pandas DataFrame for {table or 'the table'} "
        f"(got {type(data).__name__})."
    )


def num_rows_of(data: pa.Table | pd.DataFrame) -> int:
    """Rows of an Arrow table or a DataFrame."""
    return data.num_rows if isinstance(data, pa.Table) else len(data)


def as_strings(values: pa.Array, name: str) -> pa.Array:
    """The values as an Arrow ``string`` array (nulls kept); numbers, booleans and
    dates are cast, so that fit and transform compare the same text."""
    type_ = values.type
    if pa.types.is_string(type_):
        return values
    if pa.types.is_null(type_):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_nested(type_):
        raise EncoderError(
            f"{name} holds {type_} values, which cannot be categories; mark it "
            "multicategorical (db.set_stype(table, column, 'multicategorical'))."
        )
    try:
        return pc.cast(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise EncoderError(f"Cannot read {name} ({type_}) as text: {err}") from err


def split_items(values: pa.Array, name: str) -> tuple[np.ndarray, pa.Array]:
    """The items of a multicategorical column and the row each comes from.

    Arrow list values are taken as they are; text is split on ``|``, ``;`` or
    ``,``. Items are trimmed; empty and NULL items are dropped.

    Returns:
        ``(row_ids, items)``: ``int64`` row positions (non-decreasing) and a
        ``string`` array of the same length.
    """
    type_ = values.type
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        lists = values
    elif pa.types.is_fixed_size_list(type_):
        lists = values.cast(pa.list_(type_.value_type))
    else:
        lists = pc.split_pattern_regex(as_strings(values, name), ITEM_SEPARATORS)
    row_ids = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    items = pc.utf8_trim_whitespace(as_strings(as_array(pc.list_flatten(lists)), name))
    keep = pc.and_(pc.is_valid(items), pc.greater(pc.utf8_length(items), 0))
    keep = keep.fill_null(False)
    if keep.false_count:
        row_ids = row_ids[keep.to_numpy(zero_copy_only=False)]
        items = items.filter(keep)
    return row_ids, items


def pad_ragged(row_ids: np.ndarray, codes: np.ndarray, num_rows: int, width: int) -> np.ndarray:
    """Ragged rows to a padded ``int64`` matrix ``[num_rows, width]``.

    Row ``r`` gets its first ``width`` codes (in order), then :data:`PAD_ID`; a
    row without any code gets a single :data:`EMPTY_ID`, so that a NULL or
    empty value has an embedding of its own.

    Args:
        row_ids: ``int64`` row of each code, non-decreasing.
        codes: ``int64`` codes, one per entry of ``row_ids``.

    Example:
        >>> pad_ragged(np.array([0, 0, 2]), np.array([5, 6, 7]), 3, 2).tolist()
        [[5, 6], [1, 0], [7, 0]]
    """
    out = np.full((num_rows, width), PAD_ID, dtype=np.int64)
    counts = np.bincount(row_ids, minlength=num_rows) if len(row_ids) else np.zeros(num_rows, int)
    if len(row_ids):
        starts = np.cumsum(counts) - counts
        position = np.arange(len(row_ids), dtype=np.int64) - starts[row_ids]
        keep = position < width
        out[row_ids[keep], position[keep]] = codes[keep]
    if width:
        out[counts == 0, 0] = EMPTY_ID
    return out


def items_per_row(row_ids: np.ndarray, num_rows: int) -> int:
    """The largest number of items of one row (``0`` when there are none)."""
    if not len(row_ids):
        return 0
    return int(np.bincount(row_ids, minlength=num_rows).max())


def _missing(column: str, table: str | None, known: list[str]) -> str:
    shown = ", ".join(known[:20])
    return (
        f"Column {qualified(table, column)!r} was fitted but is missing from the data to "
        f"tensorize; columns there: {shown}. Pass the same columns as at fit time."
    )
