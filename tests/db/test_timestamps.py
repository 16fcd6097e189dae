"""Times in the working store: text and zoned columns become naive UTC
timestamps; a time column with bad values stays the time column."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import relgraph as rg
from relgraph.db.timestamps import MOST_PARSED
from relgraph.errors import SchemaError


def orders_with_text_times(bad_every: int, n: int = 100) -> dict[str, pd.DataFrame]:
    """Orders whose ``ordered_at`` is text, 'unknown' in one row of ``bad_every``."""
    times = pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d %H:%M:%S")
    text = [("unknown" if i % bad_every == 0 else t) for i, t in enumerate(times)]
    return {
        "customers": pd.DataFrame({"customer_id": [1, 2]}),
        "orders": pd.DataFrame(
            {"order_id": range(n), "customer_id": [1, 2] * (n // 2), "ordered_at": text}
        ),
    }


@pytest.mark.parametrize("bad_every", [2, 3, 5, 10])
def test_a_time_column_with_unparseable_values_stays_the_time_column(bad_every: int) -> None:
    """Issue 16: 'unknown' in one row of ten made orders static, leaking the future."""
    db = rg.connect(orders_with_text_times(bad_every))
    orders = db.schema.tables["orders"]
    assert orders.time_column == "ordered_at"
    assert orders.columns["ordered_at"] is rg.Stype.timestamp
    bad = len(range(0, 100, bad_every))
    warnings = " | ".join(db.schema.warnings)
    assert f"orders.ordered_at: {bad:,} values do not parse as times ('unknown', ...)" in warnings
    assert f"orders.ordered_at: {bad} of 100 rows have no time; they are never visible" in warnings
    assert db.table("orders")["ordered_at"].isna().sum() == bad


def test_a_time_named_column_that_mostly_fails_to_parse_is_kept_as_text_and_said() -> None:
    frames = orders_with_text_times(bad_every=1)
    frames["orders"].loc[::4, "ordered_at"] = "2024-03-01 10:00:00"  # 25 % parse
    db = rg.connect(frames)
    assert MOST_PARSED > 0.25
    assert db.schema.tables["orders"].time_column is None
    assert any(
        "orders.ordered_at is named like a time but only 25% of its values parse" in w
        and "db.set_time_column('orders', 'ordered_at')" in w
        for w in db.schema.warnings
    )


def test_set_time_column_converts_a_text_column() -> None:
    frames = orders_with_text_times(bad_every=1)
    frames["orders"].loc[::4, "ordered_at"] = "2024-03-01 10:00:00"
    db = rg.connect(frames).set_time_column("orders", "ordered_at")
    assert db.schema.tables["orders"].time_column == "ordered_at"
    assert db.table("orders")["ordered_at"].notna().sum() == 25
    assert any("orders.ordered_at: 75 values do not parse" in w for w in db.schema.warnings)
    again = rg.connect(frames, schema={"tables": {"orders": {"time_column": "ordered_at"}}})
    assert again.schema.tables["orders"].time_column == "ordered_at"


def test_set_time_column_refuses_a_number_column() -> None:
    db = rg.connect(orders_with_text_times(bad_every=10))
    with pytest.raises(SchemaError, match=r"orders.order_id has type BIGINT, not a date"):
        db.set_time_column("orders", "order_id")


def test_a_table_never_turns_static_silently() -> None:
    n = 10
    db = rg.connect(
        {
            "people": pd.DataFrame(
                {"person_id": range(n), "birth_date": pd.date_range("1990-01-01", periods=n)}
            ),
            "visits": pd.DataFrame(
                {
                    "visit_id": range(n),
                    "person_id": range(n),
                    "visited_at": [pd.Timestamp("2024-01-01")] * 3 + [pd.NaT] * (n - 3),
                }
            ),
        }
    )
    assert db.schema.tables["people"].time_column is None
    assert db.schema.tables["visits"].time_column is None
    warnings = " | ".join(db.schema.warnings)
    assert "people" not in warnings  # a birth date is not a row's time, by design
    assert "visits has no time column, so it is static" in warnings
    assert "visited_at (only 30% of rows have a value, 50% needed)" in warnings


def test_text_offsets_are_converted_to_utc() -> None:
    text = ["2023-01-04T21:22:13+05:00", "2023-01-04T21:22:13Z", "2023-01-04T10:00:00-03:30"]
    db = rg.connect({"events": pd.DataFrame({"event_id": [1, 2, 3], "created_at": text})})
    got = db.table("events")["created_at"].tolist()
    assert got == [
        pd.Timestamp("2023-01-04 16:22:13"),
        pd.Timestamp("2023-01-04 21:22:13"),
        pd.Timestamp("2023-01-04 13:30:00"),
    ]
    assert not any("offset" in w for w in db.schema.warnings)


def test_mixed_naive_and_offset_text_reads_naive_as_utc_and_warns() -> None:
    text = ["2023-01-04 21:22:13+05:00", "2023-01-04 21:22:13", "2023-01-05"]
    db = rg.connect({"events": pd.DataFrame({"event_id": [1, 2, 3], "created_at": text})})
    assert db.table("events")["created_at"].tolist() == [
        pd.Timestamp("2023-01-04 16:22:13"),
        pd.Timestamp("2023-01-04 21:22:13"),
        pd.Timestamp("2023-01-05"),
    ]
    assert any(
        "events.created_at: 1 values carry a UTC offset and 2 do not" in w and "read as UTC" in w
        for w in db.schema.warnings
    )


def test_zoned_pandas_column_becomes_naive_utc() -> None:
    zoned = pd.Series(pd.to_datetime(["2023-01-04 21:22:13"])).dt.tz_localize("Asia/Karachi")
    db = rg.connect({"events": pd.DataFrame({"event_id": [1], "created_at": zoned})})
    col = db.table("events")["created_at"]
    assert col.dt.tz is None
    assert col.tolist() == [pd.Timestamp("2023-01-04 16:22:13")]
    assert db.schema.tables["events"].time_column == "created_at"


def test_zoned_duckdb_column_becomes_naive_utc(tmp_path: Path) -> None:
    path = tmp_path / "z.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'America/New_York'")
    con.execute("CREATE TABLE events (event_id INTEGER, created_at TIMESTAMPTZ)")
    con.execute("INSERT INTO events VALUES (1, '2023-01-04 21:22:13+05:00')")
    con.close()
    db = rg.connect(path)
    assert db.schema.tables["events"].dtypes["created_at"] == "TIMESTAMP"
    assert db.table("events")["created_at"].tolist() == [pd.Timestamp("2023-01-04 16:22:13")]


def test_sqlite_text_with_offsets_becomes_utc(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (event_id INTEGER PRIMARY KEY, created_at TEXT)")
    con.executemany(
        "INSERT INTO events VALUES (?, ?)",
        [(1, "2023-01-04T21:22:13+05:00"), (2, "2023-01-04T21:22:13Z")],
    )
    con.commit()
    con.close()
    got = rg.connect(path).table("events")["created_at"].tolist()
    assert got == [pd.Timestamp("2023-01-04 16:22:13"), pd.Timestamp("2023-01-04 21:22:13")]


def test_far_future_and_old_times_are_kept() -> None:
    times = ["1850-03-01 00:00:00", "2024-01-01 00:00:00", "9999-12-31 00:00:00"]
    db = rg.connect({"events": pd.DataFrame({"event_id": [1, 2, 3], "created_at": times})})
    got = db.arrow("events")["created_at"].to_pylist()
    assert [t.year for t in got] == [1850, 2024, 9999]
    assert np.all(db.table("events")["created_at"].notna())


def test_placeholder_times_far_from_the_rest_are_reported() -> None:
    times = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D")).astype("datetime64[us]")
    times.iloc[0] = pd.Timestamp("1850-03-01")
    times.iloc[1] = pd.Timestamp("9999-12-31")
    db = rg.connect({"events": pd.DataFrame({"event_id": range(100), "created_at": times})})
    (warning,) = [w for w in db.schema.warnings if w.startswith("events.created_at: of its")]
    assert "1 are more than 50 years after 95% of the others (up to 9999-12-31" in warning
    assert "1 are more than 50 years before 95% of the others (from 1850-03-01" in warning
    clean = rg.connect({"events": pd.DataFrame({"event_id": range(98), "created_at": times[2:]})})
    assert clean.schema.warnings == []


def test_a_declared_text_time_column_is_converted_whatever_parses(tmp_path: Path) -> None:
    text = ["2024-01-01 10:00:00", "never", "soon", "2024-01-03 10:00:00", "?"] * 4
    table = pa.table({"event_id": list(range(20)), "happened": text})
    meta = {b"pkey_col": json.dumps("event_id").encode(), b"time_col": b'"happened"'}
    (tmp_path / "db").mkdir()
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "db" / "events.parquet")
    db = rg.connect(tmp_path)
    assert db.schema.tables["events"].time_column == "happened"
    assert db.table("events")["happened"].notna().sum() == 8
    assert any("events.happened: 12 values do not parse" in w for w in db.schema.warnings)
