"""Inference on the raw Ergast CSVs that RelBench's rel-f1 is built from."""

from __future__ import annotations

from pathlib import Path

import pytest

import relgraph as rg

pytestmark = pytest.mark.f1


@pytest.fixture(scope="module")
def f1(f1_dir: Path) -> rg.Database:
    return rg.connect(f1_dir)


def test_f1_primary_keys(f1: rg.Database) -> None:
    keys = {name: t.primary_key for name, t in f1.schema.tables.items()}
    assert keys["races"] == "raceId"
    assert keys["results"] == "resultId"
    assert keys["drivers"] == "driverId"
    assert keys["constructors"] == "constructorId"
    assert keys["circuits"] == "circuitId"
    assert keys["driver_standings"] == "driverStandingsId"
    assert keys["constructor_results"] == "constructorResultsId"
    assert keys["constructor_standings"] == "constructorStandingsId"
    assert keys["qualifying"] == "qualifyId"
    assert keys["status"] == "statusId"


def test_f1_links(f1: rg.Database) -> None:
    links = {str(x) for x in f1.schema.links}
    expected = {
        "races.circuitId -> circuits.circuitId",
        "results.raceId -> races.raceId",
        "results.driverId -> drivers.driverId",
        "results.constructorId -> constructors.constructorId",
        "results.statusId -> status.statusId",
        # seasons is keyed by its first column, year (Ergast's schema declares this link).
        "races.year -> seasons.year",
        "driver_standings.raceId -> races.raceId",
        "driver_standings.driverId -> drivers.driverId",
        "constructor_results.raceId -> races.raceId",
        "constructor_results.constructorId -> constructors.constructorId",
        "constructor_standings.raceId -> races.raceId",
        "constructor_standings.constructorId -> constructors.constructorId",
        "qualifying.raceId -> races.raceId",
        "qualifying.driverId -> drivers.driverId",
        "qualifying.constructorId -> constructors.constructorId",
    }
    assert expected <= links
    # Nothing else links out of the rel-f1 tables (e.g. no sprint_results.resultId -> results).
    rel_f1 = {
        "races",
        "results",
        "drivers",
        "constructors",
        "circuits",
        "driver_standings",
        "constructor_results",
        "constructor_standings",
        "qualifying",
    }
    extra = {x for x in links - expected if x.split(".")[0] in rel_f1}
    assert extra == set()
    assert all(f1.schema.link_info[x].dangling == 0 for x in f1.schema.links)


def test_f1_times_and_nulls(f1: rg.Database) -> None:
    t = f1.schema.tables
    assert t["races"].time_column == "date"
    assert t["drivers"].time_column is None  # dob is a birth date, not the row's time
    assert t["races"].num_rows == 1149 and t["drivers"].num_rows == 864
    results = f1.table("results", ["position", "fastestLapTime"])
    assert results["position"].isna().sum() > 0  # \N read as NULL
    assert t["results"].columns["points"] == rg.Stype.numerical
    assert t["drivers"].columns["nationality"] == rg.Stype.categorical
