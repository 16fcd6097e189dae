"""Integer columns that are codes or clock parts, not quantities.

``flights.flight`` (a flight number), ``hour``, ``minute``, ``month``, ``day``
parts of a date, HHMM clock times (``dep_time = 517`` is 05:17), zip codes:
summing or averaging them means nothing, and the parts of a clock or calendar
wrap around (hour 23 is next to hour 0), so they must not be ``numerical``
(features would read "flights.minute: sum"). A column is one when its name and
its values agree:

=====================  =============================================  ======================
kind                   name                                           values
=====================  =============================================  ======================
hour / minute / month  last word ``hour``, ``minute``, ``month``      0..24, 0..59, 1..12
day / weekday          last word ``day``, ``weekday``, ``dow``         1..31, 0..7
HHMM clock time        a word ``time``/``hhmm``/``clock``             0..2400, minutes < 60
code                   last word ``number``/``no``/``nr``/``num``/    integers >= 0, more
                       ``code``/``zip``/``postcode``/``flight``       than 1,000 distinct
=====================  =============================================  ======================

A clock part becomes ``categorical``; an HHMM time ``categorical`` when its
values recur (at most 1,000 distinct values, each on two rows or more on
average), ``id`` otherwise; a code ``id`` (not a model input). HHMM values are
not turned into minutes: the column keeps the values a query compares it with.

A code with fewer values (a car ``number``, a ``gameNum``) stays as inferred:
it may be a rank or a count as well, and RelBench's rel-f1 reads
``results.number`` as a number. A year stays as inferred too: years are
ordered and do not wrap, so a number keeps what they say (how recent), and
``races.year`` is numerical in rel-f1 (a year as a table's time:
:mod:`relgraph.db.integer_times`). A column named like its own table is not
taken for a code (``Salaries.salary`` is a quantity, ``flights.flight`` a
code: the name alone cannot tell).

Example:
    >>> import pandas as pd, relgraph as rg
    >>> flights = pd.DataFrame({"flight_id": range(200), "hour": [h % 24 for h in range(200)],
    ...                         "distance": range(100, 300)})
    >>> t = rg.connect({"flights": flights}).schema.tables["flights"]
    >>> t.columns["hour"].value, t.columns["distance"].value
    ('categorical', 'numerical')
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from relgraph.db.column_profile import INTEGER_TYPES, base_type
from relgraph.db.naming import words
from relgraph.db.schema import Schema
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.stype import Stype

#: Last words of clock parts, and the range their values must lie in.
_PARTS = {
    "hour": (0, 24),
    "hr": (0, 24),
    "minute": (0, 59),
    "month": (1, 12),
    "day": (1, 31),
    "weekday": (0, 7),
    "dow": (0, 7),
}
_CLOCK_WORDS = {"time", "hhmm", "clock"}


def is_time_part_name(name: str) -> bool:
    """Whether a column is named like a part of a date or clock (``month``,
    ``dep_hour``, ``sched_dep_time``, ``year``): a value read off the row's
    time, not a property of the row.

    Example:
        >>> [is_time_part_name(n) for n in ["month", "dep_hour", "arr_time", "status"]]
        [True, True, True, False]
    """
    ws = words(name)
    return bool(ws) and (ws[-1] in _PARTS or ws[-1] in _CLOCK_WORDS or ws[-1] in ("year", "yr"))


_CODE_WORDS = {
    "number",
    "no",
    "nr",
    "num",
    "code",
    "zip",
    "zipcode",
    "postcode",
    "postal",
    "flight",
}
#: A code with at most this many distinct values, each on this many rows on
#: average, is a category (its values recur); else an identifier.
MAX_CATEGORIES = 1000
MIN_ROWS_PER_VALUE = 2
#: An HHMM column needs this many distinct values: a few small integers prove nothing.
MIN_CLOCK_VALUES = 30


def code_stypes(
    con: duckdb.DuckDBPyConnection, schema: Schema, fixed: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Stype]:
    """The new stype of every integer column inferred ``numerical`` that is a
    code or clock part (``fixed``: ``(table, column)`` pairs the user typed).

    Returns:
        ``{(table, column): stype}``; :func:`apply_code_stypes` applies it.
    """
    out: dict[tuple[str, str], Stype] = {}
    for name, table in schema.tables.items():
        kinds = {
            col: kind
            for col, stype in table.columns.items()
            if stype is Stype.numerical
            and (name, col) not in fixed
            and base_type(table.dtypes[col]) in INTEGER_TYPES
            and (kind := _kind_by_name(name, col)) is not None
        }
        if not kinds or not table.num_rows:
            continue
        stats = _stats(con, name, list(kinds))
        for col, kind in kinds.items():
            lo, hi, distinct, non_null, late_minutes = stats[col]
            if lo is None or not _values_fit(kind, lo, hi, distinct, late_minutes):
                continue
            few = distinct <= MAX_CATEGORIES and distinct * MIN_ROWS_PER_VALUE <= non_null
            out[(name, col)] = Stype.categorical if kind in _PARTS or few else Stype.id
    return out


def apply_code_stypes(
    con: duckdb.DuckDBPyConnection, schema: Schema, fixed: Collection[tuple[str, str]]
) -> list[str]:
    """Retype codes and clock parts in ``schema`` (in place); one note per table."""
    changed = code_stypes(con, schema, fixed)
    by_table: dict[str, list[str]] = {}
    for (table, col), stype in changed.items():
        schema.tables[table].columns[col] = stype
        by_table.setdefault(table, []).append(f"{col} ({stype.value})")
    return [
        f"{table}: integer codes and clock parts are not quantities: {', '.join(cols)}. "
        f"Set an stype to change it, e.g. [tables.{table}.columns] "
        f'{cols[0].split(" ")[0]} = "numerical".'
        for table, cols in by_table.items()
    ]


def _kind_by_name(table: str, column: str) -> str | None:
    ws = words(column)
    if not ws:
        return None
    if ws[-1] in _PARTS:
        return ws[-1]
    if _CLOCK_WORDS & set(ws):
        return "clock"
    if ws[-1] in _CODE_WORDS:
        return "code"
    return None


def _values_fit(kind: str, lo: int, hi: int, distinct: int, late_minutes: int) -> bool:
    if kind in _PARTS:
        low, high = _PARTS[kind]
        return low <= lo and hi <= high
    if kind == "clock":
        return lo >= 0 and hi <= 2400 and not late_minutes and distinct >= MIN_CLOCK_VALUES
    # A code: negative values are quantities (deltas, balances); a few distinct
    # values may be a rank or count as well (a car number), so only many count.
    return lo >= 0 and distinct > MAX_CATEGORIES


def _stats(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> dict[str, tuple]:
    parts = []
    for col in columns:
        c = q(col)
        parts += [
            f"min({c})",
            f"max({c})",
            f"approx_count_distinct({c})",
            f"count({c})",
            f"count(*) FILTER (WHERE {c} % 100 >= 60)",
        ]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {q(table)}").fetchall()[0]
    return {col: tuple(row[5 * i : 5 * i + 5]) for i, col in enumerate(columns)}
