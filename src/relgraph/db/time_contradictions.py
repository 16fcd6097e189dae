"""Times the data contradicts: a table's time that rows referencing it precede.

A row's time is when it becomes visible; a row that references it cannot
exist before it. So when many rows of a referencing table come before the row
they reference, the parent's inferred time is not its rows' creation but some
fact about them: Lahman's ``People.debut`` (a player's first major-league
game) comes after most of the player's ``CollegePlaying`` seasons; a TPC-DS
``customer`` timed by the first-sales day it references comes after most of
its catalog sales. Kept, such a time would hide the parent at anchors where
its children are visible, and models would see rows whose parent is missing.

A table's inferred time (its own column, a year column, or an inherited time)
is dropped, and the table is static, when the rows of one referencing timed
table that come before their parent's time are more than
:data:`MAX_EARLY_SHARE` of those that reference a timed parent, and at least
:data:`MIN_EARLY_ROWS`. A few early rows are data errors (a salary recorded a
year before a debut), not a contradiction. Times someone declared are never
dropped.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> players = pd.DataFrame({"player_id": range(40),
    ...     "debut": pd.to_datetime(["2010-06-01"] * 40)})
    >>> college = pd.DataFrame({"season_id": range(80), "player_id": list(range(40)) * 2,
    ...     "played_at": pd.to_datetime(["2008-09-01"] * 40 + ["2009-09-01"] * 40)})
    >>> db = rg.connect({"players": players, "college": college})
    >>> db.schema.tables["players"].time_column is None
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
    con: duckdb.DuckDBPyConnection, schema: Schema, fixed: set[str]
) -> dict[str, str]:
    """The timed tables, among those not in ``fixed``, whose time the rows
    referencing them contradict, each with the note that says why.

    Args:
        con: the working store.
        schema: the schema with its times decided (own, year and inherited).
        fixed: tables whose time someone declared (or declared static).
    """
    found: dict[str, str] = {}
    for name, table in schema.tables.items():
        if name in fixed or not table.time_column:
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
        f"{name} is static: its time ({what}) is not when its rows appear, since "
        f"{early:,} of {total:,} {link.src_table} rows ({child_what}) come before the "
        f"{name} row they reference ({link.src_column} -> {link.dst_column}). If rows of "
        f"{name} do appear over time, set its time column with "
        f"db.set_time_column({name!r}, <column>) (schema TOML: [tables.{name}] "
        f'time_column = "<column>").'
    )


def _described(column: str | None, origin: str, table: str) -> str:
    """``table.column``, or where a made time comes from."""
    return f"{table}.{column}, from {origin}" if origin else f"{table}.{column}"
