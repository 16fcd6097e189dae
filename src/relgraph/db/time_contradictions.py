"""Inherited times the data contradicts: a table that took its rows' time
from the rows they reference (:mod:`relgraph.db.inherited_time`), when rows
referencing it come before that time.

An inherited time is relgraph's own guess ("a row cannot exist before what
it references"); the rows that reference the table can refute it. A TPC-DS
``customer`` references its first-sales and first-ship-to days in the
calendar, so it would inherit the later of them, yet most of its own catalog
sales come before that day: kept, the guess would hide the customer at anchors
where its sales are visible, and every sale would wait for its customer.

A table's inherited time is dropped, and the table is static (as it is
without the guess), when the rows of one referencing timed table that come
before the row they reference are more than :data:`MAX_EARLY_SHARE` of those
that reference a row with a time, and at least :data:`MIN_EARLY_ROWS`. A few
early rows are data errors, not a refutation.

A table's own time column is never dropped this way: rows that reference a
row before its time are often right (qualifying a day before its race, a
booking before its flight: a row known ahead of its time), and a table made
static would show its later columns (a race's results, a player's final game)
at every anchor.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> launches = pd.DataFrame({"launch_id": range(40),
    ...     "launched_at": pd.date_range("2020-02-01", periods=40, freq="D")})
    >>> customers = pd.DataFrame({"customer_id": range(40), "launch_id": range(40)})
    >>> orders = pd.DataFrame({"order_id": range(80), "customer_id": [*range(40)] * 2,
    ...     "ordered_at": pd.to_datetime(["2020-01-01"] * 80)})  # before every launch
    >>> db = rg.connect({"launches": launches, "customers": customers, "orders": orders})
    >>> db.schema.tables["customers"].time_column is None
    True
"""

from __future__ import annotations

import duckdb

from relgraph.db.schema import Link, Schema
from relgraph.db.sources.base import quote_ident as q

#: A referencing table contradicts its parent's time when more than this share
#: of its rows (that reference a timed parent) come before that time.
MAX_EARLY_SHARE = 0.25
#: ... and at least this many of its rows do.
MIN_EARLY_ROWS = 20


def contradicted_times(
    con: duckdb.DuckDBPyConnection, schema: Schema, inherited: set[str]
) -> dict[str, str]:
    """The tables, among ``inherited`` (those whose time is inherited), whose
    time the rows referencing them contradict, each with the note that says why.

    Args:
        con: the working store.
        schema: the schema with its times decided (own, year and inherited).
        inherited: the tables whose time was inherited from their parents.
    """
    found: dict[str, str] = {}
    for name, table in schema.tables.items():
        if name not in inherited or not table.time_column:
            continue
        for link in schema.links_to(name):
            child = schema.tables[link.src_table]
            if link.src_table == name or not child.time_column:
                continue
            early, total = _early_rows(con, schema, link)
            if early >= MIN_EARLY_ROWS and early > MAX_EARLY_SHARE * total:
                found[name] = _note(schema, link, early, total)
                break
    return found


def _early_rows(con: duckdb.DuckDBPyConnection, schema: Schema, link: Link) -> tuple[int, int]:
    """How many rows of the link's table come before the row they reference,
    and how many reference a row with a time (both times filled)."""
    child_time = q(schema.tables[link.src_table].time_column or "")
    parent_time = q(schema.tables[link.dst_table].time_column or "")
    early, total = con.execute(
        f"SELECT count(*) FILTER (WHERE CAST(c.{child_time} AS TIMESTAMP) < "
        f"CAST(p.{parent_time} AS TIMESTAMP)), count(*) "
        f"FROM {q(link.src_table)} AS c JOIN {q(link.dst_table)} AS p "
        f"ON c.{q(link.src_column)} = p.{q(link.dst_column)} "
        f"WHERE c.{child_time} IS NOT NULL AND p.{parent_time} IS NOT NULL"
    ).fetchall()[0]
    return int(early), int(total)


def _note(schema: Schema, link: Link, early: int, total: int) -> str:
    parent = schema.tables[link.dst_table]
    child = schema.tables[link.src_table]
    name = link.dst_table
    what = _described(parent.time_column, parent.time_origin, name)
    child_what = _described(child.time_column, child.time_origin, link.src_table)
    return (
        f"{name} is static: the time it would inherit ({what}) is not when its rows appear, since "
        f"{early:,} of {total:,} {link.src_table} rows ({child_what}) come before the "
        f"{name} row they reference ({link.src_column} -> {link.dst_column})."
    )


def _described(column: str | None, origin: str, table: str) -> str:
    """``table.column``, or where a made time comes from."""
    return f"{table}.{column}, from {origin}" if origin else f"{table}.{column}"
