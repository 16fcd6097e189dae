"""rel-f1 built from the raw Ergast CSVs: the database as RelBench builds it, and
RelBench's driver task tables (reproduced by ``rel_f1_reference``) with its
published split sizes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.rel_f1 import REL_F1_TABLES, TEST_TIME, VAL_TIME, load_rel_f1
from relgraph.errors import SourceError
from tests.bench.rel_f1_reference import TASKS, split_anchors, time_bounds

needs_f1 = pytest.mark.f1

#: Columns of each table: the raw file's, less RelBench's dropped ones, plus ``date``.
COLUMNS = {
    "races": ["raceId", "year", "round", "circuitId", "name", "date", "time"],
    "circuits": ["circuitId", "circuitRef", "name", "location", "country", "lat", "lng", "alt"],
    "drivers": ["driverId", "driverRef", "code", "forename", "surname", "dob", "nationality"],
    "constructors": ["constructorId", "constructorRef", "name", "nationality"],
    "results": [
        "resultId",
        "raceId",
        "driverId",
        "constructorId",
        "number",
        "grid",
        "position",
        "positionOrder",
        "points",
        "laps",
        "milliseconds",
        "fastestLap",
        "rank",
        "statusId",
        "date",
    ],
    "standings": ["driverStandingsId", "raceId", "driverId", "points", "position", "wins", "date"],
    "constructor_results": ["constructorResultsId", "raceId", "constructorId", "points", "date"],
    "constructor_standings": [
        "constructorStandingsId",
        "raceId",
        "constructorId",
        "points",
        "position",
        "wins",
        "date",
    ],
    "qualifying": [
        "qualifyId",
        "raceId",
        "driverId",
        "constructorId",
        "number",
        "position",
        "date",
    ],
}
DROPPED = {
    "races": ["url", "fp1_date", "fp2_time", "fp3_date", "quali_date", "sprint_time"],
    "circuits": ["url"],
    "drivers": ["number", "url"],
    "constructors": ["url"],
    "results": ["positionText", "time", "fastestLapTime", "fastestLapSpeed"],
    "standings": ["positionText"],
    "constructor_results": ["status"],
    "constructor_standings": ["positionText"],
    "qualifying": ["q1", "q2", "q3"],
}
#: Rows per table in this copy of the dump (../shared/data/f1/README.md).
ROWS = {
    "races": 1149,
    "circuits": 77,
    "drivers": 864,
    "constructors": 212,
    "results": 27178,
    "standings": 35298,
    "constructor_results": 12835,
    "constructor_standings": 13601,
    "qualifying": 10913,
}
#: RelBench's published split sizes (train, val, test).
SPLIT_SIZES = {
    "driver-dnf": (11411, 566, 702),
    "driver-top3": (1353, 588, 726),
    "driver-position": (7453, 499, 760),
}
RACE_TABLES = ["results", "standings", "constructor_results", "constructor_standings"]


@pytest.fixture(scope="module")
def db(rel_f1_db: rg.Database) -> rg.Database:
    return rel_f1_db


@pytest.fixture(scope="module")
def task_tables(
    rel_f1_reference_tables: dict[tuple[str, str], pd.DataFrame],
) -> dict[tuple[str, str], pd.DataFrame]:
    return rel_f1_reference_tables


def scalar(db: rg.Database, query: str) -> object:
    return db.con.execute(query).fetchall()[0][0]


# --- the database -----------------------------------------------------------------------


@needs_f1
def test_tables_keys_time_columns_and_links(db: rg.Database) -> None:
    assert set(db.table_names) == set(REL_F1_TABLES)
    expected_links = set()
    for name, (key, time_column, foreign_keys) in REL_F1_TABLES.items():
        table = db.schema.tables[name]
        assert table.primary_key == key, name
        assert not table.generated_key, name
        assert table.time_column == time_column, name
        for column, parent in foreign_keys.items():
            expected_links.add(f"{name}.{column} -> {parent}.{REL_F1_TABLES[parent][0]}")
    assert {str(link) for link in db.schema.links} == expected_links
    assert len(expected_links) == 13
    assert [n for n, (_, t, _) in REL_F1_TABLES.items() if t is None] == [
        "circuits",
        "drivers",
        "constructors",
    ]
    assert db.schema.warnings == []


@needs_f1
def test_columns_and_row_counts(db: rg.Database) -> None:
    for name, columns in COLUMNS.items():
        assert list(db.schema.tables[name].dtypes) == columns, name
        assert not set(DROPPED[name]) & set(columns), name
        assert db.schema.tables[name].num_rows == ROWS[name], name
    assert db.schema.tables["results"].dtypes["date"] == "TIMESTAMP"
    assert db.schema.tables["races"].dtypes["date"] == "TIMESTAMP"


@needs_f1
def test_results_up_to_test_time_match_relbench_tutorial(db: rg.Database) -> None:
    rows, races, drivers = db.con.execute(
        "SELECT count(*), count(DISTINCT raceId), count(DISTINCT driverId) FROM results "
        "WHERE date <= TIMESTAMP '2010-01-01'"
    ).fetchall()[0]
    assert (rows, races, drivers) == (20323, 820, 806)


@needs_f1
def test_race_date_is_date_plus_time(db: rg.Database) -> None:
    races = db.table("races").set_index("raceId")
    # 2009 Australian GP: "2009-03-29", "06:00:00".
    assert races.loc[1, "date"] == pd.Timestamp("2009-03-29 06:00:00")
    # 1950 British GP (raceId 833): time is \N -> midnight.
    assert races.loc[833, "date"] == pd.Timestamp("1950-05-13 00:00:00")
    assert str(races.loc[833, "time"]) == "00:00:00"
    assert races["date"].notna().all()
    assert (races["date"].dt.normalize() != races["date"]).sum() > 300  # many races have a time


@needs_f1
def test_race_tables_carry_the_race_date_and_qualifying_the_day_before(
    db: rg.Database,
) -> None:
    for name in [*RACE_TABLES, "qualifying"]:
        shift = "INTERVAL 1 DAY" if name == "qualifying" else "INTERVAL 0 DAY"
        wrong = scalar(
            db,
            f"SELECT count(*) FROM {name} t JOIN races r USING (raceId) "
            f"WHERE t.date IS DISTINCT FROM r.date - {shift}",
        )
        assert wrong == 0, name
        assert scalar(db, f"SELECT count(*) FROM {name} WHERE date IS NULL") == 0, name
    # 2008 Australian GP (raceId 18): race 2008-03-16 04:30, qualifying a day earlier.
    qualifying = db.sql("SELECT DISTINCT date FROM qualifying WHERE raceId = 18")
    assert qualifying["date"].tolist() == [pd.Timestamp("2008-03-15 04:30:00")]


@needs_f1
def test_backslash_n_is_null(db: rg.Database) -> None:
    assert scalar(db, "SELECT count(*) FROM results WHERE position IS NULL") > 5000
    assert scalar(db, "SELECT count(*) FROM drivers WHERE code IS NULL") > 500
    for name, table in db.schema.tables.items():
        for column, dtype in table.dtypes.items():
            if dtype == "VARCHAR":
                found = scalar(db, f"SELECT count(*) FROM {name} WHERE {column} = '\\N'")
                assert found == 0, (name, column)


@needs_f1
def test_no_dangling_links(db: rg.Database) -> None:
    for link in db.schema.links:
        assert db.schema.link_info[link].dangling == 0, str(link)
        dangling = scalar(
            db,
            f"SELECT count(*) FROM {link.src_table} c LEFT JOIN {link.dst_table} p "
            f"ON c.{link.src_column} = p.{link.dst_column} "
            f"WHERE c.{link.src_column} IS NOT NULL AND p.{link.dst_column} IS NULL",
        )
        assert dangling == 0, str(link)


def test_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"rel-f1 raw data folder not found: .*nowhere"):
        load_rel_f1(tmp_path / "nowhere")


def test_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "races.csv").write_text("raceId,date\n1,2000-01-01\n")
    with pytest.raises(SourceError, match=r"needs circuits\.csv, .*driver_standings\.csv.*"):
        load_rel_f1(tmp_path)


@needs_f1
def test_a_file_without_the_expected_columns_is_named(f1_dir: Path, tmp_path: Path) -> None:
    for file in f1_dir.glob("*.csv"):
        shutil.copy(file, tmp_path / file.name)
    (tmp_path / "qualifying.csv").write_text("qualifyId,raceId\n1,18\n")
    with pytest.raises(SourceError, match=r"qualifying\.csv' lacks the columns \['constructorId'"):
        load_rel_f1(tmp_path)


# --- the task tables ----------------------------------------------------------------------


@needs_f1
@pytest.mark.parametrize("task", list(SPLIT_SIZES))
def test_split_sizes_match_relbench(
    task: str, task_tables: dict[tuple[str, str], pd.DataFrame]
) -> None:
    sizes = tuple(len(task_tables[task, split]) for split in ("train", "val", "test"))
    assert sizes == SPLIT_SIZES[task]


@needs_f1
@pytest.mark.parametrize("task", list(TASKS))
def test_anchors_follow_the_split_rule(db: rg.Database, task: str) -> None:
    horizon = TASKS[task].horizon
    earliest, _ = time_bounds(db)
    assert earliest == pd.Timestamp("1950-05-13")  # the first race; \N time -> midnight
    train, val, test = (split_anchors(db, horizon, s) for s in ("train", "val", "test"))
    assert train[-1] == VAL_TIME - horizon and train[0] >= earliest > train[0] - horizon
    assert all(b - a == horizon for a, b in zip(train, train[1:], strict=False))
    assert val[0] == VAL_TIME and val[-1] + horizon <= TEST_TIME
    assert len(val) == min(40, (TEST_TIME - VAL_TIME) // horizon)
    assert test[0] == TEST_TIME and len(test) == 40  # the cap, not the latest time, binds


@needs_f1
def test_an_anchor_before_the_earliest_time_would_change_the_sizes(db: rg.Database) -> None:
    # The boundary matters: the window of the anchor just before 1950-05-13 holds
    # the first race, so counting it would break RelBench's 11,411.
    horizon = TASKS["driver-dnf"].horizon
    before = split_anchors(db, horizon, "train")[0] - horizon
    results = db.table("results", ["date"])["date"]
    assert ((results > before) & (results <= before + horizon)).sum() > 0


@needs_f1
def test_examples_are_drivers_with_rows_in_the_window(
    db: rg.Database, task_tables: dict[tuple[str, str], pd.DataFrame]
) -> None:
    for (task, split), table in task_tables.items():
        assert list(table.columns) == ["driverId", "anchor_time", "label"]
        assert not table.duplicated(["driverId", "anchor_time"]).any(), (task, split)
        assert table["label"].notna().all(), (task, split)
        assert table["driverId"].isin(db.table("drivers", ["driverId"])["driverId"]).all()
        anchors = table["anchor_time"]
        if split == "train":
            assert (anchors + TASKS[task].horizon <= VAL_TIME).all()
        elif split == "val":
            assert anchors.between(VAL_TIME, TEST_TIME - TASKS[task].horizon).all()
        else:
            assert (anchors >= TEST_TIME).all()
            assert (anchors + TASKS[task].horizon <= time_bounds(db)[1]).all()
        if split == "train":
            continue
        # Brute force over (anchor, row) pairs: an example iff a row lies in (t, t + h].
        spec = TASKS[task]
        rows = db.table(spec.table, ["driverId", "date"])
        if split == "val":
            rows = rows[rows["date"] <= TEST_TIME]
        pairs = rows.merge(
            pd.DataFrame({"anchor_time": split_anchors(db, spec.horizon, split)}), how="cross"
        )
        inside = (pairs["date"] > pairs["anchor_time"]) & (
            pairs["date"] <= pairs["anchor_time"] + spec.horizon
        )
        expected = pairs[inside][["driverId", "anchor_time"]].drop_duplicates()
        got = table[["driverId", "anchor_time"]]
        assert len(expected) == len(got), (task, split)
        assert len(expected.merge(got, on=["driverId", "anchor_time"])) == len(got), (task, split)


@needs_f1
def test_hand_checked_examples(task_tables: dict[tuple[str, str], pd.DataFrame]) -> None:
    # Hamilton (driverId 1), 2008 season start: Australia 2008-03-16 04:30 (1st, qualified
    # 1st the day before), Malaysia 03-23 (5th), Bahrain 04-06 (13th, "+1 Lap": statusId 11).
    def labels(task: str, anchor: str) -> dict[int, float]:
        table = task_tables[task, "val"]
        return dict(
            table[table["anchor_time"] == pd.Timestamp(anchor)][["driverId", "label"]].values
        )

    # Anchor 2008-02-15 (val_time + 38 x 30 days): window (02-15, 03-16 00:00] holds no
    # race (Australia starts at 04:30) but does hold its qualifying (shifted to 03-15).
    assert 1 not in labels("driver-dnf", "2008-02-15")
    assert labels("driver-top3", "2008-02-15")[1] == 1
    # Anchor 2008-03-16 00:00: Australia, Malaysia and Bahrain; a lapped finish counts as DNF.
    assert labels("driver-dnf", "2008-03-16")[1] == 1
    # 60-day anchor 2008-02-15 (val_time + 19 x 60 days): window to 04-15, mean of 1, 5, 13.
    assert labels("driver-position", "2008-02-15")[1] == pytest.approx((1 + 5 + 13) / 3)


@needs_f1
def test_labels_are_plausible(task_tables: dict[tuple[str, str], pd.DataFrame]) -> None:
    for split in ("train", "val", "test"):
        dnf = task_tables["driver-dnf", split]["label"]
        top3 = task_tables["driver-top3", split]["label"]
        position = task_tables["driver-position", split]["label"]
        assert set(dnf.unique()) == {0, 1} and 0.2 < dnf.mean() < 0.9, split
        assert set(top3.unique()) == {0, 1} and 0.1 < top3.mean() < 0.3, split
        assert position.between(1, 40).all(), split
        assert 8 < position.mean() < 16, split
