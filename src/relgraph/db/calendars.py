"""Calendar tables: one row per day (or hour, week, month), referenced by the
tables whose rows happen on that day.

A data warehouse keys its facts on a surrogate day key (TPC-DS's
``store_sales.ss_sold_date_sk`` -> ``date_dim.d_date_sk``) and generates the
calendar far beyond the facts (``date_dim`` runs 1900..2100). Its date column
reads like a time column, but a calendar row is not an event: every day of
2100 is known today. Timed by its date, the calendar would make 2100 the
database's latest time (the default anchor of ``predict``, the split times of
``evaluate``), past every fact.

So a table is a calendar when its would-be time column is:

- **unique and filled**: one row per time;
- **regular**: consecutive times are evenly spaced (the largest gap is at most
  :data:`MAX_GAP_RATIO` times the smallest; months and years, whose lengths
  vary a little, pass);
- **referenced**: other tables link to it;
- **far wider than its use**: the times of the rows other tables reference
  cover less of the calendar's span than the rows no one references.

A calendar is static, and its date is not the table's time; the tables that
reference it take their rows' time from the date they reference (see
:mod:`relgraph.db.inherited_time`). A daily weather table that flights
reference by day is none: the flights use every day it has.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> days = pd.DataFrame({"day_sk": range(3653),
    ...     "day": pd.date_range("2000-01-01", periods=3653, freq="D")})
    >>> sales = pd.DataFrame({"sale_id": [1, 2, 3], "day_sk": [10, 40, 70]})
    >>> db = rg.connect({"days": days, "sales": sales})
    >>> db.schema.tables["days"].time_column is None, db.schema.tables["days"].calendar_column
    (True, 'day')
    >>> db.schema.tables["sales"].time_origin
    'days.day'
"""

from __future__ import annotations

import duckdb

from relgraph.db.schema import Link
from relgraph.db.sources.base import quote_ident as q

#: Consecutive times of a calendar are evenly spaced up to this ratio of the
#: largest gap to the smallest (31/28 days for months, 366/365 for years).
MAX_GAP_RATIO = 1.25
#: A calendar has at least this many rows (two or three times are no series).
MIN_CALENDAR_ROWS = 28


def is_calendar(
    con: duckdb.DuckDBPyConnection, table: str, key: str, column: str, incoming: list[Link]
) -> bool:
    """Whether ``table`` (keyed on ``key``) is a calendar of ``column``'s times
    that the links ``incoming`` reference (see the module docstring for the rule).

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE d AS SELECT i AS k, DATE '2000-01-01' + "
        ...                 "CAST(i AS INTEGER) AS day FROM range(400) t(i)")
        >>> _ = con.execute("CREATE TABLE f AS SELECT i % 30 AS k FROM range(100) t(i)")
        >>> is_calendar(con, "d", "k", "day", [Link("f", "k", "d", "k")])
        True
    """
    refs = [x for x in incoming if x.dst_table == table and x.src_table != table]
    if not refs:
        return False
    if not _regular(con, table, column):
        return False
    used = " UNION ".join(f"SELECT {q(x.src_column)} FROM {q(x.src_table)}" for x in refs)
    lo, hi, first, last = con.execute(
        f"SELECT min(c) FILTER (WHERE used), max(c) FILTER (WHERE used), min(c), max(c) "
        f"FROM (SELECT epoch(CAST({q(column)} AS TIMESTAMP)) AS c, "
        f"{q(key)} IN ({used}) AS used FROM {q(table)})"
    ).fetchall()[0]
    if lo is None:  # no row is referenced: nothing says what the table is
        return False
    return (last - hi) + (lo - first) > hi - lo


def _regular(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Filled, unique and evenly spaced times, at least :data:`MIN_CALENDAR_ROWS`."""
    c = q(column)
    rows, filled, distinct = con.execute(
        f"SELECT count(*), count({c}), count(DISTINCT {c}) FROM {q(table)}"
    ).fetchall()[0]
    if rows < MIN_CALENDAR_ROWS or filled < rows or distinct < rows:
        return False
    smallest, largest = con.execute(
        f"SELECT min(g), max(g) FROM (SELECT epoch(CAST({c} AS TIMESTAMP)) - "
        f"lag(epoch(CAST({c} AS TIMESTAMP))) OVER (ORDER BY {c}) AS g FROM {q(table)})"
    ).fetchall()[0]
    return bool(smallest) and largest <= MAX_GAP_RATIO * smallest


def find_calendars(
    con: duckdb.DuckDBPyConnection,
    candidates: dict[str, str],
    keys: dict[str, str],
    links: list[Link],
) -> dict[str, str]:
    """The calendars among ``candidates`` (table -> its would-be time column),
    as table -> date column. A table without a key is referenced by no one."""
    found = {}
    for table, column in candidates.items():
        key = keys.get(table)
        incoming = [x for x in links if x.dst_table == table and x.dst_column == key]
        if key and is_calendar(con, table, key, column, incoming):
            found[table] = column
    return found


def calendar_note(table: str, column: str) -> str:
    """The warning that says a table was read as a calendar, and how to undo it."""
    return (
        f"{table} reads as a calendar: one row per {column}, evenly spaced, referenced by "
        f"other tables that use a small part of it. It is static, and {column} is not its "
        f"time (it would make the database's latest time {table}'s last row); the tables "
        f"that reference it take their time from it. If rows of {table} appear over time, "
        f"set its time column with db.set_time_column({table!r}, {column!r}) (schema TOML: "
        f'[tables.{table}] time_column = "{column}").'
    )
