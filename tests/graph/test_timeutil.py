"""Times to int64 epoch seconds, in every unit relgraph meets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from relgraph.errors import GraphError
from relgraph.graph.timeutil import seconds_to_iso, to_epoch_seconds

UTC = dt.UTC
# 1950-05-13 (rel-f1's first race), a time before 1900, a half second before
# the epoch (must floor to -1), and a recent time.
MOMENTS = [
    dt.datetime(1950, 5, 13, 14, 30, 5),
    dt.datetime(1850, 3, 1, 6, 0, 0),
    dt.datetime(1969, 12, 31, 23, 59, 59, 500_000),
    dt.datetime(2024, 2, 29, 12, 0, 0, 999_999),
]
EXPECTED = [int(m.replace(tzinfo=UTC).timestamp() // 1) for m in MOMENTS]


def test_expected_values_are_floored():
    assert EXPECTED[0] == -619_694_995
    assert EXPECTED[2] == -1
    assert EXPECTED[3] == 1_709_208_000


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_timestamp_units(unit):
    moments = MOMENTS if unit != "s" else [m.replace(microsecond=0) for m in MOMENTS]
    arr = pa.array(moments + [None], pa.timestamp(unit))
    seconds, is_null = to_epoch_seconds(arr)
    expected = [int(m.replace(tzinfo=UTC).timestamp() // 1) for m in moments]
    assert seconds.dtype == np.int64
    assert seconds.tolist() == expected + [0]
    assert is_null.tolist() == [False] * 4 + [True]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_timestamp_with_time_zone_is_an_instant(unit):
    paris = dt.timezone(dt.timedelta(hours=1))
    moment = dt.datetime(1950, 5, 13, 15, 30, 5, tzinfo=paris)
    arr = pa.array([moment], pa.timestamp(unit, tz="Europe/Paris"))
    assert to_epoch_seconds(arr).seconds.tolist() == [EXPECTED[0]]


def test_arrow_chunked_and_sliced():
    arr = pa.array(MOMENTS, pa.timestamp("us"))
    chunked = pa.chunked_array([arr.slice(0, 2), arr.slice(2)])
    assert to_epoch_seconds(chunked).seconds.tolist() == EXPECTED
    assert to_epoch_seconds(arr.slice(1, 2)).seconds.tolist() == EXPECTED[1:3]
    empty = pa.chunked_array([], pa.timestamp("us"))
    assert to_epoch_seconds(empty).seconds.tolist() == []


def test_arrow_dates():
    days = [dt.date(1950, 5, 13), dt.date(1850, 3, 1), dt.date(1969, 12, 31), None]
    expected = [-619_747_200, -3_781_728_000, -86_400, 0]
    for type_ in (pa.date32(), pa.date64()):
        seconds, is_null = to_epoch_seconds(pa.array(days, type_))
        assert seconds.tolist() == expected
        assert is_null.tolist() == [False, False, False, True]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_numpy_datetime64_units(unit):
    values = np.array([np.datetime64(m) for m in MOMENTS] + ["NaT"], dtype="datetime64[us]")
    values = values.astype(f"datetime64[{unit}]")
    seconds, is_null = to_epoch_seconds(values)
    if unit == "s":
        expected = [int(m.replace(tzinfo=UTC, microsecond=0).timestamp()) for m in MOMENTS]
    else:
        expected = EXPECTED
    assert seconds.tolist() == expected + [0]
    assert is_null.tolist() == [False] * 4 + [True]


def test_numpy_coarse_units():
    assert to_epoch_seconds(np.array(["1950-05-13"], "datetime64[D]")).seconds.tolist() == [
        -619_747_200
    ]
    assert to_epoch_seconds(np.array(["1950-05"], "datetime64[M]")).seconds.tolist() == [
        -620_784_000
    ]
    assert to_epoch_seconds(np.array(["1969-12-31T23"], "datetime64[h]")).seconds.tolist() == [
        -3600
    ]
    assert to_epoch_seconds(np.array(["NaT"], "datetime64")).is_null.tolist() == [True]


def test_pandas_series_and_index():
    # pandas 3 defaults to microseconds; nanoseconds and tz-aware series too.
    for unit in ("us", "ns", "ms", "s"):
        series = pd.Series(pd.to_datetime(["1950-05-13 14:30:05", None])).astype(
            f"datetime64[{unit}]"
        )
        seconds, is_null = to_epoch_seconds(series)
        assert seconds.tolist() == [EXPECTED[0], 0]
        assert is_null.tolist() == [False, True]
    aware = pd.Series(pd.to_datetime(["1950-05-13 15:30:05"])).dt.tz_localize("Europe/Paris")
    assert to_epoch_seconds(aware).seconds.tolist() == [EXPECTED[0]]
    assert to_epoch_seconds(pd.DatetimeIndex(["1850-03-01 06:00"])).seconds.tolist() == [
        EXPECTED[1]
    ]
    dates = pd.Series([dt.date(1950, 5, 13), None], dtype=object)
    assert to_epoch_seconds(dates).seconds.tolist() == [-619_747_200, 0]


@pytest.mark.parametrize(
    "values, got",
    [
        (pa.array(["2024-01-01"]), "string"),
        (pa.array([1, 2]), "int64"),
        (np.array([1, 2]), "numpy int64"),
        (pd.Series(["2024-01-01"]), "large_string"),
        (pa.array([dt.time(12, 0)]), "time64"),
    ],
)
def test_non_time_values_raise(values, got):
    with pytest.raises(GraphError, match=rf"timestamp or date column for t\.c \(got {got}"):
        to_epoch_seconds(values, name="t.c")


def test_seconds_to_iso():
    assert seconds_to_iso(-619_747_200) == "1950-05-13T00:00:00"
    assert seconds_to_iso(EXPECTED[1]) == "1850-03-01T06:00:00"


def test_year_9999_and_year_1_in_microseconds():
    """Past pandas' nanosecond range (1677..2262): placeholders like 9999-12-31."""
    far = [dt.datetime(9999, 12, 31, 23, 59, 59), dt.datetime(1, 1, 1)]
    expected = [253_402_300_799, -62_135_596_800]
    assert to_epoch_seconds(pa.array(far, pa.timestamp("us"))).seconds.tolist() == expected
    assert to_epoch_seconds(np.array(far, "datetime64[us]")).seconds.tolist() == expected
    assert seconds_to_iso(expected[0]) == "9999-12-31T23:59:59"
