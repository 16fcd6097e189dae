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

from relgraph.db.column_profile import FLOAT_TYPES, INTEGER_TYPES, base_type, is_time_type
from relgraph.db.inherited_time import ROW_TIME
from relgraph.db.naming import norm, time_name_score, words
from relgraph.db.schema import Schema, TableSchema
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
        parts = date_parts(con, table, column) if kind == "year" and name not in fixed else ()
        if parts:
            _add_date_from_parts(con, name, (column, *parts))
            table.time_origin = f"{name}.({', '.join((column, *parts))})"
        else:
            _add_time(con, name, column, kind)
            table.time_origin = f"{name}.{column}"
        table.columns[ROW_TIME] = Stype.timestamp
        table.dtypes[ROW_TIME] = "TIMESTAMP"
        table.time_column = ROW_TIME
        notes.append(_note(name, column, kind, parts))
        done.add(name)
    return done, notes


def _note(table: str, column: str, kind: str, parts: tuple[str, ...]) -> str:
    if len(parts) == 2:
        what, when = (
            f"the date of {column}, {parts[0]} and {parts[1]}",
            "from the midnight of its date (a missing day: once its month is over)",
        )
    elif parts:
        what, when = f"the month of {column} and {parts[0]}", "once its month is over"
    elif kind == "year":
        what = f"{column} (a year)"
        when = "at the first instant of the next year (a year's rows are known once it is over)"
    else:
        what, when = f"{column} (YYYYMMDD)", "from the midnight of their date"
    return (
        f"{table}: its rows' time is {what}, as column {ROW_TIME}: a row is visible {when}. "
        f'Declare {table} static (time_column = "") to see every row at every anchor.'
    )


#: Names of a month and of a day of the month beside a year column.
_MONTH_WORDS = {"month", "mon", "mo", "mm", "monthid"}
_DAY_WORDS = {"day", "dd", "dom", "mday", "dayofmonth", "dayid"}


def date_parts(con: duckdb.DuckDBPyConnection, table: TableSchema, year: str) -> tuple[str, ...]:
    """The integer columns beside ``year`` that give its row's month, and the
    day of that month: ``(month, day)``, ``(month,)`` or ``()``.

    A column is a part when it is named so (``month``, ``day``, ``mo``...),
    filled wherever the year is (but for a few) and in range (1..12, 1..31).
    ``weekday`` or ``days`` are no day of the month. The Portal surveys record
    a capture by ``year``, ``month`` and ``day``; a flight by ``year``,
    ``month``, ``day`` too (with a timestamp beside, which is then the time).

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> caps = pd.DataFrame({"record_id": [1, 2, 3], "year": [1977, 1977, 1978],
        ...                      "month": [7, 8, 1], "day": [16, 2, 30], "weight": [40, 41, 9]})
        >>> t = rg.connect({"captures": caps}).schema.tables["captures"]
        >>> t.time_origin
        'captures.(year, month, day)'
    """
    month = _part(con, table, year, _MONTH_WORDS, 12)
    if month is None:
        return ()
    day = _part(con, table, year, _DAY_WORDS, 31)
    return (month, day) if day is not None else (month,)


def _part(
    con: duckdb.DuckDBPyConnection, table: TableSchema, year: str, names: set[str], top: int
) -> str | None:
    for column, dtype in table.dtypes.items():
        # whole numbers in a float column too: pandas writes an integer column with gaps so
        if column == year or base_type(dtype) not in INTEGER_TYPES | FLOAT_TYPES:
            continue
        if not (names & set(words(column)) or norm(column) in names):
            continue
        c = q(column)
        row = con.execute(
            f"SELECT min({c}), max({c}), count({q(year)}), "
            f"count({c}) FILTER (WHERE {q(year)} IS NOT NULL), "
            f"count({c}) FILTER (WHERE {c} <> floor({c})) FROM {q(table.name)}"
        ).fetchall()[0]
        lo, hi, years, filled, fractions = row
        if lo is None or fractions or not (lo >= 1 and hi <= top):
            continue
        if filled >= (1 - MISSING_PARTS) * years:
            return column
    return None


#: At most this share of the rows with a year may lack a month (or a day);
#: such a row is seen once its month (or year) is over, never earlier.
MISSING_PARTS = 0.5


def _add_date_from_parts(
    con: duckdb.DuckDBPyConnection, table: str, parts: tuple[str, ...]
) -> None:
    """``_row_time`` from a year, a month and maybe a day: the day's midnight
    (a date, as a ``DATE`` column is seen); without a valid day, the first
    instant of the next month; without a month, of the next year."""
    y = f"CAST({q(parts[0])} AS BIGINT)"
    m = f"CAST({q(parts[1])} AS BIGINT)"
    next_year = f"make_timestamp({y} + 1, 1, 1, 0, 0, 0)"
    next_month = f"(make_timestamp({y}, {m}, 1, 0, 0, 0) + INTERVAL 1 MONTH)"
    cases = [f"WHEN {m} BETWEEN 1 AND 12 THEN {next_month}"]
    if len(parts) == 3:
        d = f"CAST({q(parts[2])} AS BIGINT)"
        day = f"try_strptime(printf('%04d-%02d-%02d', {y}, {m}, {d}), '%Y-%m-%d')"
        cases.insert(0, f"WHEN {d} IS NOT NULL AND {day} IS NOT NULL THEN CAST({day} AS TIMESTAMP)")
    value = f"CASE WHEN {y} IS NULL THEN NULL {' '.join(cases)} ELSE {next_year} END"
    con.execute(f"ALTER TABLE {q(table)} ADD COLUMN {ROW_TIME} TIMESTAMP")
    con.execute(f"UPDATE {q(table)} SET {ROW_TIME} = {value}")


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
