"""The Spark engine's own behaviour: tables in and out, and times read as naive UTC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from relgraph.engines import SparkEngine
from relgraph.errors import RelgraphError

pytestmark = pytest.mark.slow


def test_frames_parquet_folders_and_cached_tables(spark: Any, tmp_path: Path) -> None:
    engine = SparkEngine(spark)
    times = pd.DatetimeIndex(
        [pd.Timestamp("2024-03-31 01:30"), pd.Timestamp("2024-10-27 02:30:00.000001")]
    )
    engine.register_frame("e_frame", pd.DataFrame({"k": [1, 2], "t": times}))
    engine.materialize("e_cached", "SELECT k, t + INTERVAL '1' DAY AS t FROM e_frame")
    engine.write_parquet("SELECT * FROM e_cached", tmp_path / "out")
    assert not any(p.name.startswith("_") and p.suffix == ".parquet" for p in tmp_path.iterdir())
    engine.register_parquet("e_back", tmp_path / "out")
    back = engine.fetch("SELECT k, t FROM e_back ORDER BY k")
    assert back["k"].tolist() == [1, 2]
    assert back["t"].tolist() == list(times + pd.Timedelta(days=1))
    for name in ("e_frame", "e_cached", "e_back"):
        assert engine.has_table(name)
        engine.drop(name)
        assert not engine.has_table(name)


def test_zoned_times_are_read_as_utc(spark: Any) -> None:
    engine = SparkEngine(spark)
    zoned = spark.sql("SELECT TIMESTAMP '2024-06-01 12:00:00' AS t")  # UTC session
    engine.register_dataframe("e_zoned", zoned)
    try:
        out = engine.fetch("SELECT t, typeof(t) AS kind FROM e_zoned")
        assert out["kind"].tolist() == ["timestamp_ntz"]
        assert out["t"].tolist() == [pd.Timestamp("2024-06-01 12:00:00")]
    finally:
        engine.drop("e_zoned")


def test_a_zoned_table_in_another_session_zone_is_refused(spark: Any) -> None:
    engine = SparkEngine(spark)
    zoned = spark.sql("SELECT TIMESTAMP '2024-06-01 12:00:00' AS t")
    spark.conf.set("spark.sql.session.timeZone", "Europe/Berlin")
    try:
        with pytest.raises(RelgraphError, match="time zone is 'Europe/Berlin'.*UTC"):
            engine.register_dataframe("e_berlin", zoned)
        # naive times need no zone: the label SQL reads the same in any zone
        ntz = engine.fetch(
            "SELECT CAST('2024-03-31 01:30' AS TIMESTAMP) + INTERVAL '1' DAY AS t", read="duckdb"
        )
        assert ntz["t"].tolist() == [pd.Timestamp("2024-04-01 01:30")]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
