"""Timestamps to int64 seconds since the Unix epoch, using each array's own unit.

Sources disagree on the unit of a timestamp: DuckDB and pandas 3 give
microseconds, older pandas nanoseconds, Arrow files any of ``s``/``ms``/``us``/
``ns``, and dates come as days. :func:`to_epoch_seconds` reads the unit from
the array itself (never assumes nanoseconds) and floors to whole seconds, so
``1969-12-31 23:59:59.5`` becomes ``-1`` (not ``0``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from relgraph.errors import GraphError

__all__ = ["EpochSeconds", "to_epoch_seconds", "seconds_to_iso"]

#: Sub-units per second of Arrow and numpy time units finer than a second.
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9, "ps": 10**12, "fs": 10**15}
#: numpy units coarser than or equal to a second with a fixed length.
_COARSE_UNITS = {"s", "m", "h", "D", "W", "M", "Y"}
_SECONDS_PER_DAY = 86_400


class EpochSeconds(NamedTuple):
    """Seconds since 1970-01-01T00:00:00 UTC and where the input was null.

    ``seconds[i]`` is ``0`` wherever ``is_null[i]`` is true.
    """

    seconds: np.ndarray
    is_null: np.ndarray


def to_epoch_seconds(values: Any, *, name: str | None = None) -> EpochSeconds:
    """Convert timestamps or dates to int64 seconds since the epoch (floored).

    Args:
        values: A pyarrow ``timestamp`` (any unit, with or without time zone),
            ``date32`` or ``date64`` array or chunked array; a numpy
            ``datetime64`` array of any unit; or a pandas ``Series``/``Index``
            of datetimes or dates. Time-zone-aware values are instants; their
            UTC seconds are returned.
        name: What the values are (e.g. ``"orders.created_at"``), for error
            messages. (default: :obj:`None`)

    Returns:
        :class:`EpochSeconds` ``(seconds, is_null)``: two numpy arrays of the
        input's length, ``int64`` and ``bool``.

    Raises:
        GraphError: If the values are not timestamps or dates.

    Example:
        >>> import pyarrow as pa, datetime as dt
        >>> arr = pa.array([dt.datetime(1950, 5, 13), None], pa.timestamp("ms"))
        >>> to_epoch_seconds(arr).seconds.tolist()
        [-619747200, 0]
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return _from_numpy(values)
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        raise GraphError(_type_message(name, f"numpy {values.dtype}"))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=values.type)
    if not isinstance(values, pa.Array):
        try:
            values = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError) as err:
            raise GraphError(_type_message(name, type(values).__name__)) from err
    return _from_arrow(values, name)


def seconds_to_iso(seconds: int) -> str:
    """Format epoch seconds as an ISO 8601 string (UTC, no offset).

    Example:
        >>> seconds_to_iso(-619747200)
        '1950-05-13T00:00:00'
    """
    return str(np.datetime_as_string(np.datetime64(int(seconds), "s")))


def _from_arrow(values: pa.Array, name: str | None) -> EpochSeconds:
    type_ = values.type
    if pa.types.is_dictionary(type_):
        values = values.dictionary_decode()
        type_ = values.type
    if pa.types.is_timestamp(type_):
        raw, is_null = _arrow_ints(values)
        return EpochSeconds(_floor_div(raw, _PER_SECOND[type_.unit]), is_null)
    if pa.types.is_date32(type_):
        raw, is_null = _arrow_ints(values, pa.int32())
        return EpochSeconds(raw.astype(np.int64) * _SECONDS_PER_DAY, is_null)
    if pa.types.is_date64(type_):
        raw, is_null = _arrow_ints(values)
        return EpochSeconds(_floor_div(raw, 1000), is_null)
    if pa.types.is_null(type_):
        n = len(values)
        return EpochSeconds(np.zeros(n, np.int64), np.ones(n, bool))
    raise GraphError(_type_message(name, str(type_)))


def _arrow_ints(
    values: pa.Array, int_type: pa.DataType = pa.int64()
) -> tuple[np.ndarray, np.ndarray]:
    """The raw integers behind a temporal Arrow array (nulls as 0) and its null mask."""
    ints = values.cast(int_type)
    if values.null_count:
        is_null = values.is_null().to_numpy(zero_copy_only=False)
        raw = ints.fill_null(0).to_numpy()
    else:
        is_null = np.zeros(len(values), bool)
        raw = ints.to_numpy()
    return raw, is_null


def _from_numpy(values: np.ndarray) -> EpochSeconds:
    values = values.ravel()
    is_null = np.isnat(values)
    unit, _count = np.datetime_data(values.dtype)
    if unit == "generic":  # only NaT can be unitless
        return EpochSeconds(np.zeros(len(values), np.int64), np.ones(len(values), bool))
    if unit in _COARSE_UNITS:
        # Multiplying up to seconds is exact; numpy handles months and years.
        seconds = values.astype("datetime64[s]").view(np.int64).copy()
    else:
        raw = values.astype(f"datetime64[{unit}]").view(np.int64)
        per_second = _PER_SECOND.get(unit)
        if per_second is None:  # attoseconds: one more factor of 1000
            per_second = 10**18
        seconds = _floor_div(raw, per_second)
    seconds[is_null] = 0
    return EpochSeconds(seconds, is_null)


def _floor_div(raw: np.ndarray, divisor: int) -> np.ndarray:
    if divisor == 1:
        return np.array(raw, dtype=np.int64, copy=True)
    return np.floor_divide(raw, divisor, dtype=np.int64)


def _type_message(name: str | None, got: str) -> str:
    where = f" for {name}" if name else ""
    return (
        f"Expected a timestamp or date column{where} (got {got}). Cast it to TIMESTAMP or "
        "DATE in the source, or choose another time column."
    )
