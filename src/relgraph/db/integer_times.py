"""Times stored as integers: years, epoch seconds or milliseconds, YYYYMMDD dates.

- **A year** (``yearID``, ``season``, ``fiscal_year``: named like a year, values
  within 1000..2999) is the time of a table that has no other: a season's
  statistics are known only once it is over, so a row of year ``Y`` becomes
  visible at the first instant of ``Y + 1`` (``Y+1-01-01 00:00:00``; visible
  at anchors ``>= Y+1-01-01``). The integer column stays as it is (it may be
  part of a key or a link); the time is a derived column ``_row_time`` whose
  ``TableSchema.time_origin`` names the year column (``"Batting.yearID"``).
- **Epoch seconds or milliseconds** in a column named so (``created_ts``,
  ``signup_epoch``, ``login_unix``, ``event_ms``) become ``TIMESTAMP`` in place
  when every value lies in a plausible range (1973..2103), so a duration in
  milliseconds is never read as a time.
- **A YYYYMMDD date** (``20240131``) is read only when the user or the source
  declares the column the table's time (``time_column = "day"``); it is
  visible from the date's midnight, as a ``DATE`` column is.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> batting = pd.DataFrame({"playerID": ["a", "a", "b"], "yearID": [2001, 2002, 2002],
    ...                         "HR": [10, 12, 3]})
    >>> t = rg.connect({"Batting": batting}).schema.tables["Batting"]
    >>> t.time_column, t.time_origin
    ('_row_time', 'Batting.yearID')
"""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import INTEGER_TYPES, base_type, is_time_type
from relgraph.db.inherited_time import ROW_TIME
from relgraph.db.naming import norm, time_name_score, words
from relgraph.db.schema import Schema
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.stype import Stype

#: Years read as times (older or later values are something else: counts, ids).
YEAR_RANGE = (1000, 2999)
#: Epoch values read as times: 1973-03-03 .. 2103-02-13 in seconds, and in ms.
EPOCH_SECONDS = (10**8, 4_200_000_000)
EPOCH_MILLIS = (10**11, 4_200_000_000_000)
#: A year column with fewer of its rows filled is not used (as for time columns).
MIN_FILLED = 0.5

_YEAR_WORDS = {"year", "yr", "season", "yearid", "yearkey", "seasonid"}
_EPOCH_WORDS = {"ts", "epoch", "unix", "ms", "millis"}


def is_year_name(name: str) -> bool:
    """Whether a column name says "year" (and not a birth or death year).

    Example:
        >>> [is_year_name(n) for n in ["yearID", "season", "fiscal_year", "birthYear", "years"]]
        [True, True, True, False, False]
    """
    ws = words(name)
    return time_name_score(name) > 0 and (
        any(w in _YEAR_WORDS for w in ws) or norm(name) in _YEAR_WORDS
    )


def epoch_unit(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    """``"s"`` or ``"ms"`` when every value of an integer column lies in the
    plausible epoch range of that unit (None otherwise, or when all are NULL)."""
    lo, hi = _min_max(con, table, column)
    if lo is None:
        return None
    for unit, (low, high) in (("s", EPOCH_SECONDS), ("ms", EPOCH_MILLIS)):
        if low <= lo and hi <= high:
            return unit
    return None


def convert_epoch_times(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Make integer columns named like epoch times (``created_ts``, ``*_epoch``,
    ``*_unix``, ``*_ms``) ``TIMESTAMP`` columns, when their values fit; return notes."""
    described = con.execute(f"DESCRIBE {q(table)}").fetchall()
    notes = []
    for name, dtype, *_ in described:
        if base_type(dtype) not in INTEGER_TYPES or not _EPOCH_WORDS & set(words(name)):
            continue
        unit = epoch_unit(con, table, name)
        if unit is not None:
            convert_epoch(con, table, name, unit)
            what = "milliseconds" if unit == "ms" else "seconds"
            notes.append(f"{table}.{name}: integers read as epoch {what} (UTC times).")
    return notes


def convert_epoch(con: duckdb.DuckDBPyConnection, table: str, column: str, unit: str) -> None:
    """Replace an integer column of epoch ``unit`` (``"s"``/``"ms"``) by its UTC times."""
    c = q(column)
    scale = "1000.0" if unit == "ms" else "1.0"
    expr = f"CAST(to_timestamp({c} / {scale}) AT TIME ZONE 'UTC' AS TIMESTAMP)"
    t = q(table)
    con.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT * REPLACE ({expr} AS {c}) FROM {t}")


def integer_time_kind(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    """How the integers of a column declared a time read: ``"year"``,
    ``"yyyymmdd"``, ``"s"`` or ``"ms"`` (epoch), or None when none fits."""
    lo, hi = _min_max(con, table, column)
    if lo is None:
        return None
    if YEAR_RANGE[0] <= lo and hi <= YEAR_RANGE[1]:
        return "year"
    if lo >= 10000101 and hi <= 29991231:
        bad = con.execute(
            f"SELECT count(*) FROM {q(table)} WHERE {q(column)} IS NOT NULL AND "
            f"try_strptime(CAST({q(column)} AS VARCHAR), '%Y%m%d') IS NULL"
        ).fetchall()[0][0]
        if not bad:
            return "yyyymmdd"
    return epoch_unit(con, table, column)


def add_integer_times(
    con: duckdb.DuckDBPyConnection, schema: Schema, fixed: set[str]
) -> tuple[set[str], list[str]]:
    """Give tables their time from an integer column, as ``_row_time``.

    A table whose time column (declared or set by the user) is an integer
    column of years or YYYYMMDD dates reads it through ``_row_time``; a table
    nobody fixed takes a year column when it has no time column, or when the
    year is part of its key (a season's record, whatever dates it carries).

    Args:
        con: the working store (``_row_time`` columns are added to it).
        schema: the inferred schema; changed in place.
        fixed: tables whose time column someone declared (or declared static).

    Returns:
        The tables that got a ``_row_time`` column, and a note for each.
    """
    done: set[str] = set()
    notes: list[str] = []
    for name, table in schema.tables.items():
        if ROW_TIME in table.columns:
            continue  # the user's own column of that name
        column, kind = None, None
        if table.time_column and base_type(table.dtypes[table.time_column]) in INTEGER_TYPES:
            column = table.time_column
            kind = integer_time_kind(con, name, column)
        elif name not in fixed and table.num_rows:
            column = _year_column(con, schema, name)
            # A row keyed by its season (HomeGames by (year, team, park)) is
            # that season's record, known once it is over, whatever dates of
            # its first or last game it also carries.
            if table.time_column is not None and column not in table.key_parts:
                column = None
            kind = "year" if column else None
        if column is None or kind not in ("year", "yyyymmdd"):
            continue
        _add_time(con, name, column, kind)
        table.columns[ROW_TIME] = Stype.timestamp
        table.dtypes[ROW_TIME] = "TIMESTAMP"
        table.time_column = ROW_TIME
        table.time_origin = f"{name}.{column}"
        when = (
            "at the first instant of the next year (a year's rows are known once it is over)"
            if kind == "year"
            else "from the midnight of their date"
        )
        notes.append(
            f"{name}: its rows' time is {column} ({'a year' if kind == 'year' else 'YYYYMMDD'}), "
            f"as column {ROW_TIME}: a row is visible {when}. Declare {name} static "
            f'(time_column = "") to see every row at every anchor.'
        )
        done.add(name)
    return done, notes


def _year_column(con: duckdb.DuckDBPyConnection, schema: Schema, table: str) -> str | None:
    """The first integer column named like a year, filled enough, all of whose
    values are years.

    Not the table's key (a table of years is a dimension), nor the year of a
    table other rows link to by a key without that year (``planes.year``, the
    year a plane was built: the plane exists before that year is over; a
    ``Teams`` row keyed by ``(yearID, teamID)`` is a season, and is timed)."""
    t = schema.tables[table]
    linked = bool(schema.links_to(table))
    for column, dtype in t.dtypes.items():
        if column == t.primary_key or is_time_type(dtype) or not is_year_name(column):
            continue
        if linked and column not in t.key_parts:
            continue
        if base_type(dtype) not in INTEGER_TYPES:
            continue
        lo, hi = _min_max(con, table, column)
        filled = con.execute(f"SELECT count({q(column)}) FROM {q(table)}").fetchall()[0][0]
        if lo is None or filled < MIN_FILLED * t.num_rows:
            continue
        if YEAR_RANGE[0] <= lo and hi <= YEAR_RANGE[1]:
            return column
    return None


def _add_time(con: duckdb.DuckDBPyConnection, table: str, column: str, kind: str) -> None:
    c = q(column)
    if kind == "year":
        value = f"make_timestamp(CAST({c} AS BIGINT) + 1, 1, 1, 0, 0, 0)"
    else:
        value = f"CAST(try_strptime(CAST({c} AS VARCHAR), '%Y%m%d') AS TIMESTAMP)"
    con.execute(f"ALTER TABLE {q(table)} ADD COLUMN {ROW_TIME} TIMESTAMP")
    con.execute(f"UPDATE {q(table)} SET {ROW_TIME} = {value}")


def _min_max(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple:
    return tuple(
        con.execute(f"SELECT min({q(column)}), max({q(column)}) FROM {q(table)}").fetchall()[0]
    )
