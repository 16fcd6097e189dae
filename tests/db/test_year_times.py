"""Integer times: a year column gives a table its time (visible once the year
is over), epoch seconds/ms become times, YYYYMMDD only when declared."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import SchemaError


def lahman() -> dict[str, pd.DataFrame]:
    players = pd.DataFrame({"playerID": ["a", "b"], "birthYear": [1970, 1975]})
    batting = pd.DataFrame(
        {
            "playerID": ["a", "a", "b", "b"],
            "yearID": [2000, 2001, 2001, 2002],
            "HR": [10, 12, 3, 4],
        }
    )
    return {"players": players, "Batting": batting}


def test_a_year_column_is_the_time() -> None:
    db = rg.connect(lahman())
    t = db.schema.tables["Batting"]
    assert (t.time_column, t.time_origin) == ("_row_time", "Batting.yearID")
    assert t.dtypes["yearID"] == "BIGINT"  # the year itself is kept as it is
    frame = db.table("Batting")
    assert frame["yearID"].tolist() == [2000, 2001, 2001, 2002]
    assert frame["_row_time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2001-01-01 00:00",
        "2002-01-01 00:00",
        "2002-01-01 00:00",
        "2003-01-01 00:00",
    ]
    assert db.schema.tables["players"].time_column is None  # birthYear is no row time
    assert any("Batting: its rows' time is yearID" in w for w in db.schema.warnings)


def test_a_row_of_year_y_is_not_visible_inside_year_y() -> None:
    db = rg.connect(lahman())
    q = "PREDICT COUNT(Batting.*, 0, 300, days) FOR EACH players.playerID"
    task = rg.Task.from_query(db, q, val_time="2002-01-01", test_time="2003-01-01")
    # At an anchor inside 2001, the 2001 rows are still ahead (in the target window).
    inside = task.table_at([pd.Timestamp("2001-12-31 23:59")])
    assert dict(zip(inside["playerID"], inside.iloc[:, 2], strict=True)) == {"a": 1, "b": 1}
    # From the first instant of 2002 on, they are past (visible), not ahead.
    after = task.table_at([pd.Timestamp("2002-01-01")])
    assert dict(zip(after["playerID"], after.iloc[:, 2], strict=True)) == {"a": 0, "b": 0}
    seen = "PREDICT COUNT(Batting.*, 0, 1) FOR EACH players.playerID WHERE "
    seen += "COUNT(Batting.*, -INF, 0) >= 2"
    task = rg.Task.from_query(db, seen, val_time="2002-01-01", test_time="2003-01-01")
    assert task.table_at([pd.Timestamp("2001-12-31")]).empty
    assert task.table_at([pd.Timestamp("2002-01-01")])["playerID"].tolist() == ["a"]


def test_time_column_override_on_integer_years(tmp_path) -> None:
    frames = {"stats": pd.DataFrame({"stat_id": [1, 2, 3], "period": [1999, 2000, 2001]})}
    db = rg.connect(frames)
    assert db.schema.tables["stats"].time_column is None  # "period" does not say year
    db.set_time_column("stats", "period")
    t = db.schema.tables["stats"]
    assert (t.time_column, t.time_origin) == ("_row_time", "stats.period")
    toml = tmp_path / "s.toml"
    toml.write_text('[tables.Batting]\ntime_column = "yearID"\n')
    batting = rg.connect(lahman(), schema=toml).schema.tables["Batting"]
    assert (batting.time_column, batting.time_origin) == ("_row_time", "Batting.yearID")
    static = rg.connect(lahman(), schema={"tables": {"Batting": {"time_column": ""}}})
    assert static.schema.tables["Batting"].time_column is None


def test_integers_that_are_no_time_are_refused() -> None:
    db = rg.connect({"t": pd.DataFrame({"t_id": [1, 2], "score": [5, 70]})})
    with pytest.raises(SchemaError, match="integers must all be years 1000..2999"):
        db.set_time_column("t", "score")


def test_yyyymmdd_only_when_declared() -> None:
    frames = {"sales": pd.DataFrame({"sale_id": [1, 2], "day": [20240131, 20240201]})}
    db = rg.connect(frames)
    assert db.schema.tables["sales"].time_column is None
    db.set_time_column("sales", "day")
    t = db.schema.tables["sales"]
    assert (t.time_column, t.time_origin) == ("_row_time", "sales.day")
    assert db.table("sales")["_row_time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-31",
        "2024-02-01",
    ]


def test_epoch_seconds_and_millis() -> None:
    frames = {
        "events": pd.DataFrame(
            {
                "event_id": [1, 2],
                "created_ts": [1_700_000_000, 1_700_086_400],
                "sent_ms": [1_700_000_000_000, 1_700_000_001_500],
                "duration_ms": [1500, 98_000],  # a duration, not a time
            }
        )
    }
    db = rg.connect(frames)
    t = db.schema.tables["events"]
    assert t.time_column == "created_ts"
    assert t.dtypes["created_ts"] == "TIMESTAMP" and t.dtypes["sent_ms"] == "TIMESTAMP"
    assert t.dtypes["duration_ms"] == "BIGINT"
    frame = db.table("events")
    assert str(frame["created_ts"][0]) == "2023-11-14 22:13:20"
    assert str(frame["sent_ms"][1]) == "2023-11-14 22:13:21.500000"


def test_a_table_keyed_by_year_is_not_timed() -> None:
    # A table of years is a dimension: its rows exist before the year is over.
    seasons = pd.DataFrame({"year": [2000, 2001], "url": ["x", "y"]})
    keyed = {"tables": {"seasons": {"primary_key": "year"}}}
    db = rg.connect({"seasons": seasons}, schema=keyed)
    assert db.schema.tables["seasons"].time_column is None


def captures() -> dict[str, pd.DataFrame]:
    """The Portal surveys' shape: a capture dated by year, month and day columns."""
    return {
        "surveys": pd.DataFrame(
            {
                "record_id": [1, 2, 3, 4, 5],
                "month": [7, 7, 2, 2, 12],
                "day": [16, 30, 30, None, 31],  # Feb 30th: no such day; a missing day
                "year": [1977, 1977, 1980, 1980, 1981],
                "weekday": [6, 1, 2, 3, 4],  # no day of the month
                "weight": [40, 41, 9, 12, 30],
            }
        )
    }


def test_a_date_from_year_month_and_day_columns() -> None:
    db = rg.connect(captures())
    t = db.schema.tables["surveys"]
    assert (t.time_column, t.time_origin) == ("_row_time", "surveys.(year, month, day)")
    assert db.table("surveys")["_row_time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "1977-07-16 00:00",  # the day's midnight, as a DATE column
        "1977-07-30 00:00",
        "1980-03-01 00:00",  # no valid day: once its month is over
        "1980-03-01 00:00",
        "1981-12-31 00:00",
    ]
    assert any("the date of year, month and day" in w for w in db.schema.warnings)


def test_a_capture_is_not_seen_before_its_day() -> None:
    plots = pd.DataFrame({"plot_id": [1, 2]})
    frames = captures()
    frames["surveys"]["plot_id"] = [1, 1, 2, 2, 1]
    frames["plots"] = plots
    db = rg.connect(frames)
    q = "PREDICT COUNT(surveys.*, 0, 10, days) FOR EACH plots.plot_id"
    task = rg.Task.from_query(db, q, val_time="1980-01-01", test_time="1981-01-01")
    labels = task.table_at([pd.Timestamp("1977-07-15"), pd.Timestamp("1977-07-16")])
    counts = labels[labels["plot_id"] == 1].sort_values("anchor_time").iloc[:, 2].tolist()
    assert counts == [1, 0]  # from July 16th on, that capture is past


def test_a_month_without_a_day_and_parts_out_of_range() -> None:
    monthly = pd.DataFrame(
        {"site_id": [1, 1, 2], "year": [2001, 2001, 2002], "month": [1, 12, 6], "n": [3, 4, 5]}
    )
    db = rg.connect({"counts": monthly})
    t = db.schema.tables["counts"]
    assert t.time_origin == "counts.(year, month)"
    assert db.table("counts")["_row_time"].dt.strftime("%Y-%m-%d").tolist() == [
        "2001-02-01",  # a month's rows once the month is over
        "2002-01-01",
        "2002-07-01",
    ]
    zero_based = monthly.assign(month=[0, 11, 5])  # not months 1..12: the year alone
    t = rg.connect({"counts": zero_based}).schema.tables["counts"]
    assert t.time_origin == "counts.year"
