"""Windows in years: parsed, checked, compiled in every dialect, labelled as
12 calendar months."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import PQLError
from relgraph.pql import parse
from relgraph.pql.ast import TimeUnit
from relgraph.pql.duration import Duration


def players_db() -> rg.Database:
    players = pd.DataFrame({"playerID": ["a", "b"]})
    batting = pd.DataFrame(
        {
            "playerID": ["a", "a", "b", "a"],
            "yearID": [2000, 2001, 2001, 2003],
            "HR": [10, 12, 3, 9],
        }
    )
    return rg.connect({"players": players, "Batting": batting})


def test_parse_and_durations() -> None:
    q = parse("PREDICT COUNT(Batting.*, 0, 1, years) FOR EACH players.playerID")
    assert q.target.window.unit is TimeUnit.years
    assert parse("PREDICT COUNT(Batting.*, 0, 2, YEAR) FOR EACH p.id").target.window.unit == "years"
    assert Duration.parse("1y") == Duration(1, TimeUnit.years)
    assert str(Duration.parse("3 years")) == "3 years"
    # a calendar year, leap days included: 2024-02-29 + 1 year is 2025-02-28
    assert Duration(1, TimeUnit.years).add(pd.Timestamp("2024-02-29")) == pd.Timestamp("2025-02-28")
    assert Duration(1, TimeUnit.years).seconds > Duration(12, TimeUnit.months).seconds * 0.99


def test_labels_in_years() -> None:
    db = players_db()
    q = "PREDICT COUNT(Batting.*, 0, 1, years) FOR EACH players.playerID"
    task = rg.Task.from_query(db, q, val_time="2002-01-01", test_time="2003-01-01")
    assert str(task.horizon) == "1 year"
    # At 2001-01-01 the 2000 season is visible; the 2001 season (time 2002-01-01) is
    # the one ahead: (2001-01-01, 2002-01-01].
    table = task.table_at([pd.Timestamp("2001-01-01"), pd.Timestamp("2002-01-01")])
    got = {(k, str(pd.Timestamp(t).date())): v for k, t, v in table.itertuples(index=False)}
    assert got == {
        ("a", "2001-01-01"): 1,
        ("b", "2001-01-01"): 1,
        ("a", "2002-01-01"): 0,
        ("b", "2002-01-01"): 0,
    }
    assert [str(t.date()) for t in task.anchor_times("test")] == ["2003-01-01"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_sql_in_every_dialect(dialect: str) -> None:
    db = players_db()
    q = "PREDICT COUNT(Batting.*, 0, 2, years) FOR EACH players.playerID"
    task = rg.Task.from_query(db, q, val_time="2001-01-01", test_time="2002-01-01")
    sql = task.sql(split="test", dialect=dialect)
    assert "24" in sql and "MONTH" in sql.upper()  # 2 years as 24 calendar months
    if dialect == "duckdb":  # the printed SQL runs and gives the same labels
        assert len(db.con.execute(sql).fetchall()) == len(task.table("test")) == 2


def test_checker_bounds_in_years() -> None:
    db = players_db()
    bad = "PREDICT COUNT(Batting.*, 0, 1001, years) FOR EACH players.playerID"
    with pytest.raises(PQLError, match="1,000 years"):
        rg.Task.from_query(db, bad)
    ok = "PREDICT COUNT(Batting.*, 0, 1, years) FOR EACH players.playerID "
    ok += "WHERE COUNT(Batting.*, -2, 0, years) > 0"
    rg.Task.from_query(db, ok, val_time="2002-01-01", test_time="2003-01-01")
