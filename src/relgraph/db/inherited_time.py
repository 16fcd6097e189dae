"""Times for rows that have none of their own but reference rows that do.

A table without a time column is static: its rows are visible at every anchor.
That is right for rows that exist independently of time (``products``,
``drivers``), but not for rows that belong to a later row: the items of an
order placed after the anchor must not be visible at it, whichever way a model
reaches them (through ``orders``, or from ``products``).

So a table that no one declared static, that has no time column, and that
links to tables with times, gets one: ``_row_time``, the latest time of the
rows each row references (a row cannot exist before what it references).
- A reference to a row whose time is NULL makes the row's time NULL: that row
  is never visible, as its parent is not.
- A row that references no existing timed row (NULL or dangling keys) keeps
  being always visible: it takes the earliest time of the tables it links to.
- Chains resolve in order: a table may inherit from a table that inherited.
- A calendar (:mod:`relgraph.db.calendars`) is static, but the rows that
  reference it take the date they reference (a sale keyed on its day);
  a row that references no day takes the earliest day referenced.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> orders = pd.DataFrame({"order_id": [1, 2], "ordered_at": pd.to_datetime(
    ...     ["2024-01-01", "2024-03-01"])})
    >>> items = pd.DataFrame({"item_id": [10, 11, 12], "order_id": [1, 2, 2]})
    >>> db = rg.connect({"orders": orders, "items": items})
    >>> db.schema.tables["items"].time_column, db.schema.tables["items"].time_origin
    ('_row_time', 'orders.ordered_at')
    >>> db.table("items")["_row_time"].dt.month.tolist()
    [1, 3, 3]
"""

from __future__ import annotations

import duckdb

from relgraph.db.schema import Link, Schema
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.stype import Stype

#: The column that holds an inherited time.
ROW_TIME = "_row_time"


def drop_inherited_times(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """Remove earlier ``_row_time`` columns (before the schema is inferred again)."""
    for table in sorted(tables):
        con.execute(f"ALTER TABLE {q(table)} DROP COLUMN IF EXISTS {ROW_TIME}")


def inherit_times(
    con: duckdb.DuckDBPyConnection, schema: Schema, fixed: set[str]
) -> tuple[set[str], list[str]]:
    """Give static tables that link to timed tables their rows' inherited time.

    Args:
        con: the working store (``_row_time`` columns are added to it).
        schema: the inferred schema; changed in place (time column, stype, dtype).
        fixed: tables whose time column someone declared (source or override),
            including "static": they are left as they are.

    Returns:
        The tables that got a ``_row_time`` column, and notes for the schema's
        warnings (one per table, naming where its time comes from).
    """
    done: set[str] = set()
    notes: list[str] = []
    changed = True
    while changed:  # parents first: a chain inherits hop by hop
        changed = False
        for name, table in schema.tables.items():
            if name in fixed or name in done or table.time_column is not None:
                continue
            if ROW_TIME in table.columns:
                continue  # the user's own column of that name: leave the table alone
            parents = [
                link
                for link in schema.links_from(name)
                if link.dst_table != name and _time_of(schema, link.dst_table)
            ]
            if not parents:
                continue
            _add_row_time(con, schema, name, parents)
            origins = sorted({_origin(schema, link) for link in parents})
            table.columns[ROW_TIME] = Stype.timestamp
            table.dtypes[ROW_TIME] = "TIMESTAMP"
            table.time_column = ROW_TIME
            table.time_origin = ", ".join(origins)
            notes.append(
                f"{name} has no time column of its own: its rows take the latest time of "
                f"the rows they reference ({table.time_origin}), as column {ROW_TIME}, so a "
                f"row that belongs to a later row is not visible before it. Declare "
                f'{name} static (time_column = "") to see every row at every anchor.'
            )
            done.add(name)
            changed = True
    return done, notes


def _time_of(schema: Schema, table: str) -> str | None:
    """The column a table gives its referrers' rows their time by: its time
    column, or a calendar's date."""
    t = schema.tables[table]
    return t.time_column or t.calendar_column or None


def _origin(schema: Schema, link: Link) -> str:
    parent = schema.tables[link.dst_table]  # an inherited time names its own origin
    return parent.time_origin or f"{link.dst_table}.{_time_of(schema, link.dst_table)}"


def _floor(schema: Schema, link: Link, table: str) -> str:
    """The earliest time of a parent table: the time a row that references
    no timed row takes. For a calendar, the earliest day this table references
    (its first day may lie a century before any row)."""
    parent = schema.tables[link.dst_table]
    time = f"CAST({q(_time_of(schema, link.dst_table))} AS TIMESTAMP)"
    if parent.time_column:
        return f"(SELECT min({time}) FROM {q(link.dst_table)})"
    return (
        f"(SELECT min({time}) FROM {q(link.dst_table)} WHERE {q(link.dst_column)} IN "
        f"(SELECT {q(link.src_column)} FROM {q(table)}))"
    )


def _add_row_time(
    con: duckdb.DuckDBPyConnection, schema: Schema, table: str, parents: list[Link]
) -> None:
    joins, times, orphaned = [], [], []
    for i, link in enumerate(parents):
        alias = f"p{i}"
        parent_time = _time_of(schema, link.dst_table)
        joins.append(
            f"LEFT JOIN {q(link.dst_table)} AS {alias} "
            f"ON t.{q(link.src_column)} = {alias}.{q(link.dst_column)}"
        )
        time = f"CAST({alias}.{q(parent_time)} AS TIMESTAMP)"
        times.append(time)
        # a matched parent without a time is never visible, and so is its child
        orphaned.append(f"({alias}.{q(link.dst_column)} IS NOT NULL AND {time} IS NULL)")
    floor = ", ".join(_floor(schema, x, table) for x in parents)
    value = (
        f"CASE WHEN {' OR '.join(orphaned)} THEN NULL "
        f"ELSE coalesce(greatest({', '.join(times)}), least({floor})) END"
    )
    con.execute(f"ALTER TABLE {q(table)} ADD COLUMN {ROW_TIME} TIMESTAMP")
    con.execute(
        f"UPDATE {q(table)} SET {ROW_TIME} = s.v FROM (SELECT t.rowid AS rid, {value} AS v "
        f"FROM {q(table)} AS t {' '.join(joins)}) AS s WHERE {q(table)}.rowid = s.rid"
    )
