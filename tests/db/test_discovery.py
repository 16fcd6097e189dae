"""Schema discovery on databases keyed and linked as real ones are: natural
codes, composite keys, role-named links, links found from values alone; and
overrides of each that round-trip through the schema TOML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.db.overrides import schema_to_toml
from relgraph.errors import SchemaError


def link_set(db: rg.Database) -> set[str]:
    out = set()
    for link in db.schema.links:
        src, dst = db.schema.link_parts(link)
        out.add(
            f"{rg.db.schema.format_key_ref(link.src_table, src)} -> "
            f"{rg.db.schema.format_key_ref(link.dst_table, dst)}"
        )
    return out


def flights_frames(n: int = 400) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    codes = [f"{a}{b}{c}" for a in "ABCD" for b in "EFGH" for c in "JKLM"]  # 64 airports
    tails = [f"N{i:03d}XY" for i in range(50)]
    return {
        "airports": pd.DataFrame({"faa": codes, "name": [f"Airport {c} Field" for c in codes]}),
        "planes": pd.DataFrame({"tailnum": tails, "seats": rng.integers(50, 300, 50)}),
        "flights": pd.DataFrame(
            {
                "time_hour": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), "h"),
                "origin": rng.choice(codes[:3], n),
                "dest": rng.choice(codes, n),
                "tailnum": np.where(rng.random(n) < 0.1, "NA", rng.choice(tails, n)),
                "dep_delay": rng.normal(5, 20, n).round(),
            }
        ),
    }


def test_natural_keys_and_links_found_from_values_alone() -> None:
    db = rg.connect(flights_frames())
    keys = {name: t.key_parts for name, t in db.schema.tables.items()}
    assert keys["airports"] == ("faa",) and keys["planes"] == ("tailnum",)
    assert link_set(db) == {
        "flights.origin -> airports.faa",  # role names: only the values say it
        "flights.dest -> airports.faa",
        "flights.tailnum -> planes.tailnum",
    }
    info = {str(x): db.schema.link_info[x] for x in db.schema.links}
    assert info["flights.origin -> airports.faa"].evidence.startswith("values only: 100%")
    assert info["flights.tailnum -> planes.tailnum"].evidence == "named like the key"
    # "NA" written for a missing tail number is missing, not a dangling reference.
    assert info["flights.tailnum -> planes.tailnum"].dangling == 0


def test_small_numbers_are_not_links_into_a_dense_key() -> None:
    # quantity 1..5 is contained in every key 1..N, by chance: no link.
    tracks = pd.DataFrame({"TrackId": np.arange(1, 201)})
    lines = pd.DataFrame(
        {
            "InvoiceLineId": np.arange(1, 301),
            "TrackId": np.arange(300) % 200 + 1,
            "Quantity": np.arange(300) % 5 + 1,
        }
    )
    db = rg.connect({"Track": tracks, "InvoiceLine": lines})
    assert link_set(db) == {"InvoiceLine.TrackId -> Track.TrackId"}


def test_role_named_links_and_self_links() -> None:
    employees = pd.DataFrame(
        {
            "id": np.arange(1, 9),
            "last_name": list("abcdefgh"),
            "reports_to": [np.nan, 1, 2, 2, 1, 5, 5, 1],
        }
    )
    customers = pd.DataFrame({"id": np.arange(1, 60), "support_rep": np.arange(59) % 3 + 3})
    albums = pd.DataFrame({"id": np.arange(1, 30), "artist": np.arange(29) % 10 + 1})
    artists = pd.DataFrame({"id": np.arange(1, 11), "name": [f"A{i}" for i in range(10)]})
    db = rg.connect(
        {"employee": employees, "customer": customers, "album": albums, "artist": artists}
    )
    assert link_set(db) == {
        "employee.reports_to -> employee.id",  # a float column of ids with NULLs
        "customer.support_rep -> employee.id",
        "album.artist -> artist.id",
    }


def test_values_that_fit_several_keys_make_no_link_and_say_so() -> None:
    a = pd.DataFrame({"code": ["XA", "XB", "XC"]})
    b = pd.DataFrame({"code": ["XA", "XB", "XC", "XD"]})
    c = pd.DataFrame({"ref": ["XA", "XB", "XB"], "v": [1, 2, 3]})
    db = rg.connect({"alpha": a, "beta": b, "events": c})
    assert not any(x.src_table == "events" for x in db.schema.links)
    assert any("events.ref could reference any of" in w for w in db.schema.warnings)


def lahman_like() -> dict[str, pd.DataFrame]:
    teams = pd.DataFrame(
        {
            "yearID": [2000, 2000, 2001, 2001],
            "teamID": ["BOS", "NYA", "BOS", "NYA"],
            "W": [85, 87, 82, 95],
        }
    )
    batting = pd.DataFrame(
        {
            "playerID": ["p1", "p1", "p2", "p2", "p3", "p1", "p2", "p3", "p3"],
            "yearID": [2000, 2000, 2000, 2001, 2001, 2001, 2000, 2000, 2000],
            "stint": [1, 2, 1, 1, 1, 1, 2, 2, 3],
            "teamID": ["BOS", "NYA", "BOS", "NYA", "BOS", "BOS", "NYA", "BOS", "BOS"],
            "HR": [5, 5, 3, 7, 1, 5, 3, 1, 1],
        }
    )
    series = pd.DataFrame(
        {
            "yearID": [2000, 2000, 2001],
            "round": ["ALCS", "WS", "WS"],
            "teamIDwinner": ["NYA", "NYA", "NYA"],
            "teamIDloser": ["BOS", "BOS", "BOS"],
        }
    )
    return {"Teams": teams, "Batting": batting, "SeriesPost": series}


def test_composite_keys_and_links_with_roles() -> None:
    db = rg.connect(lahman_like())
    t = db.schema.tables
    assert t["Teams"].key_parts == ("yearID", "teamID")
    assert t["Batting"].key_parts == ("playerID", "yearID", "stint")
    assert {
        "Batting.(yearID, teamID) -> Teams.(yearID, teamID)",
        "SeriesPost.(yearID, teamIDwinner) -> Teams.(yearID, teamID)",
        "SeriesPost.(yearID, teamIDloser) -> Teams.(yearID, teamID)",
    } <= link_set(db)
    # The made columns hold the parts joined; a graph can be built on them.
    assert db.table("Teams")["yearID_teamID"].tolist()[:2] == ["2000|BOS", "2000|NYA"]
    from relgraph.graph import TemporalGraph

    graph = TemporalGraph.from_database(db)
    assert ("Batting", "yearID_teamID", "Teams") in graph.edge_types


def test_composite_overrides_round_trip_through_toml(tmp_path: Path) -> None:
    db = rg.connect(lahman_like())
    path = tmp_path / "schema.toml"
    path.write_text(schema_to_toml(db.schema))
    text = path.read_text()
    assert 'primary_key = [\n    "yearID",\n    "teamID",\n]' in text or (
        'primary_key = ["yearID", "teamID"]' in text
    )
    assert '"Batting.(yearID, teamID)"' in text
    again = rg.connect(lahman_like(), schema=path)
    assert link_set(again) == link_set(db)
    assert {n: x.key_parts for n, x in again.schema.tables.items()} == {
        n: x.key_parts for n, x in db.schema.tables.items()
    }


def test_composite_overrides_in_python() -> None:
    frames = lahman_like()
    frames["Teams"]["lgID"] = ["AL", "AL", "AL", "AL"]
    db = rg.connect(frames)
    db.set_primary_key("Teams", ["yearID", "lgID", "teamID"])
    assert db.schema.tables["Teams"].key_parts == ("yearID", "lgID", "teamID")
    with pytest.raises(SchemaError, match="is not the key of 'Teams'"):
        db.link("Batting.(yearID, teamID)", "Teams.(yearID, teamID)")
    db.set_primary_key("Teams", ["yearID", "teamID"])
    db.unlink("Batting.(yearID, teamID)")
    assert "Batting.(yearID, teamID) -> Teams.(yearID, teamID)" not in link_set(db)
    db.link("Batting.(yearID, teamID)", "Teams.(yearID, teamID)")
    assert "Batting.(yearID, teamID) -> Teams.(yearID, teamID)" in link_set(db)


def test_inspect_shows_evidence(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from relgraph.cli.main import app

    for name, frame in flights_frames().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "values only: 100% of its distinct values are keys there" in result.stdout
    assert "named like the key" in result.stdout


def test_a_text_column_declared_numerical_is_converted_not_ignored() -> None:
    frames = {"f": pd.DataFrame({"id": [1, 2, 3, 4], "delay": ["1.5", "NA", "x", "4"]})}
    db = rg.connect(frames, schema={"tables": {"f": {"columns": {"delay": "numerical"}}}})
    assert db.schema.tables["f"].dtypes["delay"] == "DOUBLE"
    assert db.table("f")["delay"].isna().tolist() == [False, True, True, False]
    assert any("f.delay: 1 of 3 values are not numbers (e.g. x)" in w for w in db.schema.warnings)
    words = {"f": pd.DataFrame({"id": [1, 2], "note": ["late", "early"]})}
    with pytest.raises(SchemaError, match="cannot be numerical: only 0 of 2 values"):
        rg.connect(words).set_stype("f", "note", "numerical")


def test_written_schema_names_every_field() -> None:
    text = schema_to_toml(rg.connect(lahman_like()).schema)
    for field in ("links", "unlink", "drop", "primary_key", "time_column", "[tables.T.columns]"):
        assert field in text.split("\n\n")[0], field


def test_inspect_names_parallel_links_with_the_query_that_picks_one(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from relgraph.cli.main import app

    for name, frame in flights_frames().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)], env={"COLUMNS": "250"})
    assert "flights reaches airports by 2 links (dest, origin)" in result.stdout
    query = result.stdout.split("e.g. ")[1].strip().replace("\n", " ")
    assert "VIA flights." in query
    check = CliRunner().invoke(app, ["check", str(tmp_path), query])
    assert check.exit_code == 0, check.output


def test_missing_tokens_round_trip_through_the_written_schema(tmp_path: Path) -> None:
    frames = {"t": pd.DataFrame({"id": [1, 2, 3], "v": ["1", "-", "3"]})}
    db = rg.connect(frames, missing=["-"])
    assert db.schema.tables["t"].dtypes["v"] != "VARCHAR"
    path = tmp_path / "s.toml"
    path.write_text(schema_to_toml(db.schema))
    assert 'missing = [\n    "-",\n]' in path.read_text() or 'missing = ["-"]' in path.read_text()
    again = rg.connect(frames, schema=path)
    assert again.table("t")["v"].isna().tolist() == [False, True, False]


def test_a_reference_to_another_table_is_not_the_key_even_when_unique() -> None:
    # One item per order: order_items.order_id is unique, but it names orders' key.
    orders = pd.DataFrame({"order_id": range(5), "customer": list("abcde")})
    items = pd.DataFrame({"order_item_id": range(100, 105), "order_id": range(5)})
    db = rg.connect({"orders": orders, "order_items": items})
    assert db.schema.tables["order_items"].key_parts == ("order_item_id",)
    assert link_set(db) == {"order_items.order_id -> orders.order_id"}


def test_hints_name_the_fix_not_a_workaround() -> None:
    from relgraph.errors import PQLError

    planes = pd.DataFrame({"tail": ["a", "a", "b"], "seats": [1, 1, 2]})
    flights = pd.DataFrame(
        {
            "f_id": [1, 2],
            "tail": ["a", "b"],
            "at": pd.to_datetime(["2024-01-01"] * 2),
            "amt": ["10", "9"],
        }
    )
    db = rg.connect({"planes": planes, "f": flights})
    with pytest.raises(PQLError) as err:
        rg.Task.from_query(db, "PREDICT COUNT(f.*, 0, 30, days) FOR EACH planes.tail")
    assert "declare it the key: db.set_primary_key('planes', 'tail')" in str(err.value)
    assert "FOR EACH planes._row_id" not in str(err.value)
    with pytest.raises(PQLError) as err:
        rg.Task.from_query(db, "PREDICT COUNT(f.* WHERE f.amt > 9, 0, 30, days) FOR EACH f.f_id")
    assert "numbers stored as text; declare it numerical" in str(err.value)
    assert "single quotes" not in str(err.value)


def test_an_ordinal_part_is_keyed_within_the_group_it_counts():
    # (playerID, yearID, inseason) is unique too, but a manager hired second
    # has inseason 2 alone in his group: the order counts managers of a team.
    # (a manager fired and rehired by one team in one season is in it twice)
    managers = pd.DataFrame(
        {
            "playerID": ["a", "b", "c", "c", "d", "a", "e", "a", "f", "g"],
            "yearID": [2000] * 5 + [2001] * 5,
            "teamID": ["X", "X", "X", "Y", "Y", "X", "X", "X", "Y", "Y"],
            "inseason": [1, 2, 3, 1, 2, 1, 2, 3, 1, 2],
            "W": [40, 41, 50, 33, 60, 20, 55, 26, 30, 31],
        }
    )
    teams = pd.DataFrame({"teamID": ["X", "Y"], "name": ["Ex", "Why"]})
    db = rg.connect({"Managers": managers, "Teams": teams})
    assert set(db.schema.tables["Managers"].key_parts) == {"yearID", "teamID", "inseason"}


def test_a_single_season_stays_in_the_key_and_a_date_keeps_it_out():
    half = pd.DataFrame(
        {
            "yearID": [1981] * 4,
            "teamID": ["X", "X", "Y", "Y"],
            "Half": [1, 2, 1, 2],
            "W": [30, 25, 28, 31],
        }
    )
    weather = pd.DataFrame(
        {
            "origin": ["EWR", "JFK", "EWR", "JFK"],
            "year": [2013] * 4,
            "time_hour": pd.to_datetime(["2013-01-01 01:00"] * 2 + ["2013-01-01 02:00"] * 2),
            "temp": [1.0, 2.0, 3.0, 4.0],
        }
    )
    teams = pd.DataFrame({"teamID": ["X", "Y"], "name": ["Ex", "Why"]})
    airports = pd.DataFrame({"faa": ["EWR", "JFK", "LGA"], "name": ["Newark", "JFK", "LaGuardia"]})
    db = rg.connect({"TeamsHalf": half, "weather": weather, "Teams": teams, "airports": airports})
    assert set(db.schema.tables["TeamsHalf"].key_parts) == {"yearID", "teamID", "Half"}
    assert set(db.schema.tables["weather"].key_parts) == {"origin", "time_hour"}


def test_a_row_keyed_by_its_season_is_timed_by_the_season_not_its_first_date():
    games = pd.DataFrame(
        {
            "yearkey": [2001, 2001, 2002, 2002],
            "teamkey": ["X", "Y", "X", "Y"],
            "spanfirst": pd.to_datetime(["2001-04-02", "2001-04-03", "2002-04-01", "2002-04-05"]),
            "attendance": [100, 200, 300, 400],
        }
    )
    teams = pd.DataFrame({"teamkey": ["X", "Y"], "name": ["Ex", "Why"]})
    db = rg.connect({"HomeGames": games, "Teams": teams})
    table = db.schema.tables["HomeGames"]
    assert table.time_origin == "HomeGames.yearkey"
    # a season's totals are visible once it is over, not at its first game
    assert db.table("HomeGames")[table.time_column].min() == pd.Timestamp("2002-01-01")


def test_tables_sharing_a_sparse_key_are_linked_one_to_one():
    ids = [372 + 7919 * i for i in range(60)]
    films = pd.DataFrame({"ID": ids, "Title": [f"Film {i}" for i in ids], "Year": 2000})
    reviews = pd.DataFrame({"ID": ids, "Meter": range(60)})
    db = rg.connect({"omdb": films, "tomatoes": reviews})
    assert link_set(db) == {"tomatoes.ID -> omdb.ID"}
    # row numbers 1..N of two tables contain each other by chance: no link
    dense = rg.connect(
        {
            "a": pd.DataFrame({"id": range(1, 61), "x": 1.5, "y": 2}),
            "b": films.assign(id=range(1, 61)).drop(columns="ID"),
        }
    )
    assert dense.schema.links == []


def test_a_year_time_set_by_the_user_round_trips_and_its_row_time_cannot_be_dropped(tmp_path):
    stats = pd.DataFrame(
        {"team": ["a", "b", "a", "b"], "period": [2001, 2001, 2002, 2002], "W": [1, 2, 3, 4]}
    )
    db = rg.connect({"stats": stats})
    assert db.schema.tables["stats"].time_column is None  # "period" is not named like a year
    db.set_time_column("stats", "period")
    path = tmp_path / "schema.toml"
    path.write_text(schema_to_toml(db.schema))
    again = rg.connect({"stats": stats}, schema=path).schema.tables["stats"]
    assert (again.time_column, again.time_origin) == ("_row_time", "stats.period")
    with pytest.raises(SchemaError, match="declare stats static"):
        db.drop("stats._row_time")
    assert db.schema.tables["stats"].time_column == "_row_time"


def test_two_digit_years_in_a_csv_are_read_in_the_past(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "accidents.csv").write_text(
        "accident_id,driver,date\n1,A,6/18/52\n2,B,5/15/53\n3,C,8/2/69\n4,D,10/5/14\n"
    )
    db = rg.connect(folder)
    dates = db.table("accidents")["date"]
    assert [d.year for d in pd.to_datetime(dates)] == [1952, 1953, 1969, 2014]
    assert any("two-digit years" in w for w in db.schema.warnings)
