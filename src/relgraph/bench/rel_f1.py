"""RelBench's ``rel-f1`` database, built from the raw Ergast Formula 1 CSV dump.

The tables, kept columns, keys, time columns and links are those RelBench's
``F1Dataset.make_db`` builds (see docs/rel-f1.md), with one deliberate
difference: the original Ergast ids (``raceId``, ``driverId``, ...) are kept as
they are, where RelBench re-indexes every primary key to ``0..N-1`` and remaps
the foreign keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from relgraph.db.database import Database, connect
from relgraph.db.sources.files import load_file
from relgraph.errors import SourceError

#: Validation split time of rel-f1: validation anchors start here.
VAL_TIME = pd.Timestamp("2005-01-01")
#: Test split time of rel-f1: test anchors start here.
TEST_TIME = pd.Timestamp("2010-01-01")

#: rel-f1 table -> (primary key, time column or None, {foreign key: parent table}).
REL_F1_TABLES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "races": ("raceId", "date", {"circuitId": "circuits"}),
    "circuits": ("circuitId", None, {}),
    "drivers": ("driverId", None, {}),
    "constructors": ("constructorId", None, {}),
    "results": (
        "resultId",
        "date",
        {"raceId": "races", "driverId": "drivers", "constructorId": "constructors"},
    ),
    "standings": ("driverStandingsId", "date", {"raceId": "races", "driverId": "drivers"}),
    "constructor_results": (
        "constructorResultsId",
        "date",
        {"raceId": "races", "constructorId": "constructors"},
    ),
    "constructor_standings": (
        "constructorStandingsId",
        "date",
        {"raceId": "races", "constructorId": "constructors"},
    ),
    "qualifying": (
        "qualifyId",
        "date",
        {"raceId": "races", "driverId": "drivers", "constructorId": "constructors"},
    ),
}

#: rel-f1 table -> the raw Ergast file it is read from.
_FILES = {name: f"{name}.csv" for name in REL_F1_TABLES} | {"standings": "driver_standings.csv"}

#: Columns RelBench drops (URLs, free-text duplicates, mostly-empty or leaking columns).
_DROPPED = {
    "races": [
        "url",
        "fp1_date",
        "fp1_time",
        "fp2_date",
        "fp2_time",
        "fp3_date",
        "fp3_time",
        "quali_date",
        "quali_time",
        "sprint_date",
        "sprint_time",
    ],
    "circuits": ["url"],
    "drivers": ["number", "url"],
    "constructors": ["url"],
    "results": ["positionText", "time", "fastestLapTime", "fastestLapSpeed"],
    "standings": ["positionText"],
    "constructor_results": ["status"],
    "constructor_standings": ["positionText"],
    "qualifying": ["q1", "q2", "q3"],
}

#: Tables that get the date of their race; qualifying is a day earlier than the race.
_RACE_DAY_OFFSET = {
    "results": 0,
    "standings": 0,
    "constructor_results": 0,
    "constructor_standings": 0,
    "qualifying": -1,
}


def load_rel_f1(raw_dir: str | Path = "../shared/data/f1") -> Database:
    """Build RelBench's rel-f1 database from the raw Ergast CSV files.

    Nine tables, as RelBench builds them: ``races``, ``circuits``, ``drivers``,
    ``constructors``, ``results``, ``standings`` (read from
    ``driver_standings.csv``), ``constructor_results``,
    ``constructor_standings`` and ``qualifying``.

    - ``races.date`` is the race's date plus its start time (a missing time
      counts as 00:00:00), a TIMESTAMP; ``races.time`` keeps that start time.
    - Every table with a ``raceId`` gets that race's ``date`` as its time
      column; ``qualifying.date`` is one day earlier (qualifying is held the
      day before the race).
    - ``\\N`` (and an empty field) is NULL.
    - RelBench's dropped columns are dropped: URLs, the practice, qualifying
      and sprint session dates and times of ``races``, ``drivers.number``,
      ``positionText`` everywhere, ``results.time`` / ``fastestLapTime`` /
      ``fastestLapSpeed``, ``constructor_results.status`` and
      ``qualifying.q1`` / ``q2`` / ``q3``.
    - Primary keys, time columns and links are set explicitly (no inference):
      see :data:`REL_F1_TABLES`. ``circuits``, ``drivers`` and ``constructors``
      are static.

    Unlike RelBench, the original Ergast ids are kept (``raceId``,
    ``driverId``, ...); RelBench re-indexes every primary key to ``0..N-1``
    (timed tables sorted by time) and remaps the foreign keys. Rows are the
    same; only the id values differ.

    The raw dump may be newer than RelBench's (mid-2023); the task tables of
    rel-f1 do not depend on the later seasons (:data:`VAL_TIME`,
    :data:`TEST_TIME` and at most 40 evaluation windows end by about 2016).

    Args:
        raw_dir (str or Path): the folder of raw Ergast CSV files
            (default: ``"../shared/data/f1"``, relative to the working directory).

    Returns:
        A :class:`~relgraph.Database` with the nine rel-f1 tables.

    Raises:
        SourceError: the folder or one of the needed CSV files is missing or
            cannot be read.

    Example:
        >>> from relgraph.bench.rel_f1 import load_rel_f1, VAL_TIME, TEST_TIME
        >>> str(VAL_TIME), str(TEST_TIME)
        ('2005-01-01 00:00:00', '2010-01-01 00:00:00')
        >>> db = load_rel_f1("../shared/data/f1")  # doctest: +SKIP
        >>> db.schema.tables["qualifying"].time_column  # doctest: +SKIP
        'date'
        >>> db.sql("SELECT date FROM races WHERE raceId = 1")  # doctest: +SKIP
                         date
        0 2009-03-29 06:00:00
    """
    folder = Path(raw_dir).expanduser()
    if not folder.is_dir():
        raise SourceError(
            f"rel-f1 raw data folder not found: {str(folder.resolve())!r}. Pass the folder "
            "of Ergast CSV files (races.csv, results.csv, ...) as raw_dir."
        )
    missing = sorted({f for f in _FILES.values() if not (folder / f).is_file()})
    if missing:
        raise SourceError(
            f"rel-f1 needs {', '.join(missing)} in {str(folder.resolve())!r} (not found). "
            f"Expected the Ergast CSV dump: {', '.join(sorted(set(_FILES.values())))}."
        )
    with duckdb.connect(":memory:") as con:
        for name, file in _FILES.items():
            load_file(con, f"raw_{name}", folder / file, "csv")
        _check_columns(con, "races", folder / _FILES["races"], {"raceId", "date", "time"})
        # A race's start: its date plus its time of day (a missing time counts as midnight).
        con.execute(
            "CREATE TABLE race_start AS SELECT raceId, CAST(date AS DATE) + "
            "coalesce(CAST(time AS TIME), TIME '00:00:00') AS date FROM raw_races"
        )
        tables = {name: _build_table(con, name, folder / _FILES[name]) for name in REL_F1_TABLES}
    return connect(tables, schema=_schema_overrides())


def _build_table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> pa.Table:
    """One rel-f1 table from its raw copy ``raw_<name>`` in ``con``, as Arrow."""
    key, _, links = REL_F1_TABLES[name]
    _check_columns(con, name, path, {key, *links, *_DROPPED[name]})
    raw = f"raw_{name}"
    dropped = ", ".join(_DROPPED[name])
    if name == "races":
        sql = (
            f"SELECT t.* EXCLUDE ({dropped}) REPLACE (s.date AS date, "
            "coalesce(CAST(t.time AS TIME), TIME '00:00:00') AS time) "
            f"FROM {raw} AS t JOIN race_start AS s ON t.raceId = s.raceId"
        )
    elif name in _RACE_DAY_OFFSET:
        sql = (
            f"SELECT t.* EXCLUDE ({dropped}), "
            f"s.date + INTERVAL ({_RACE_DAY_OFFSET[name]}) DAY AS date "
            f"FROM {raw} AS t LEFT JOIN race_start AS s ON t.raceId = s.raceId"
        )
    else:
        sql = f"SELECT t.* EXCLUDE ({dropped}) FROM {raw} AS t"
    return con.sql(f"{sql} ORDER BY t.{key}").to_arrow_table()


def _check_columns(con: duckdb.DuckDBPyConnection, name: str, path: Path, needed: set[str]) -> None:
    """Raise a clear :class:`SourceError` when the raw file lacks columns rel-f1 uses."""
    columns = [row[0] for row in con.execute(f"DESCRIBE raw_{name}").fetchall()]
    absent = sorted(needed - set(columns))
    if absent:
        raise SourceError(
            f"{str(path)!r} lacks the columns {absent}; rel-f1 needs the Ergast CSV dump "
            f"(columns found: {columns})."
        )


def _schema_overrides() -> dict[str, Any]:
    """Keys, time columns and the full set of links, as :func:`relgraph.connect` takes them."""
    return {
        "tables": {
            name: {"primary_key": key, "time_column": time or ""}
            for name, (key, time, _) in REL_F1_TABLES.items()
        },
        "links": [
            {"from": f"{name}.{fk}", "to": f"{parent}.{REL_F1_TABLES[parent][0]}"}
            for name, (_, _, fks) in REL_F1_TABLES.items()
            for fk, parent in fks.items()
        ],
    }
