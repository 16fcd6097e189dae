"""Checks of the data against its schema. Problems that lose nothing
(dangling links, NULL times, empty tables) become warnings with counts;
duplicate primary keys are an error unless the user asks to dedupe."""

from __future__ import annotations

import duckdb

from relgraph.db.schema import Schema
from relgraph.db.sources.base import quote_ident
from relgraph.db.timestamps import far_times_warning
from relgraph.errors import DataValidationError


def check_primary_key(
    con: duckdb.DuckDBPyConnection, table: str, key: str, dedupe: bool
) -> list[str]:
    """Raise on duplicate or NULL keys, or (``dedupe=True``) keep the first row
    per key, drop NULL keys, and return a warning that says how many went."""
    q, k = quote_ident(table), quote_ident(key)
    rows, non_null, distinct = con.execute(
        f"SELECT count(*), count({k}), count(DISTINCT {k}) FROM {q}"
    ).fetchall()[0]
    duplicates, nulls = non_null - distinct, rows - non_null
    if not duplicates and not nulls:
        return []
    if not dedupe:
        examples = [
            r[0]
            for r in con.execute(
                f"SELECT {k} FROM {q} WHERE {k} IS NOT NULL GROUP BY {k} HAVING count(*) > 1 "
                f"ORDER BY count(*) DESC, {k} LIMIT 5"
            ).fetchall()
        ]
        what = []
        if duplicates:
            what.append(f"{duplicates} duplicate values (e.g. {examples})")
        if nulls:
            what.append(f"{nulls} NULL values")
        raise DataValidationError(
            f"Primary key {table}.{key} has {' and '.join(what)}. Pass dedupe=True "
            f"(CLI: --dedupe) to keep the first row per key and drop NULL keys, or choose "
            f"another key with db.set_primary_key({table!r}, ...)."
        )
    con.execute(
        f"CREATE OR REPLACE TABLE {q} AS SELECT * EXCLUDE (__rg_n) FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY {k} ORDER BY __rg_pos) AS __rg_n FROM "
        f"(SELECT *, rowid AS __rg_pos FROM {q}) WHERE {k} IS NOT NULL) "
        f"WHERE __rg_n = 1 ORDER BY __rg_pos"
    )
    con.execute(f"ALTER TABLE {q} DROP COLUMN __rg_pos")
    return [
        f"{table}.{key}: dropped {duplicates} rows with a duplicate key and {nulls} with a "
        "NULL key (dedupe=True keeps the first row per key)."
    ]


def data_warnings(con: duckdb.DuckDBPyConnection, schema: Schema) -> list[str]:
    """Warnings about empty tables, NULL times and dangling links."""
    out = []
    for name, t in schema.tables.items():
        if t.num_rows == 0:
            out.append(f"Table {name!r} is empty.")
        if t.generated_key and t.key_note:
            out.append(t.key_note)
        elif t.generated_key:
            out.append(
                f"Table {name!r} has no single-column primary key; rows are numbered in "
                f"column {t.primary_key!r}. Set one with db.set_primary_key({name!r}, ...)."
            )
        if t.time_column and t.num_rows:
            c = quote_ident(t.time_column)
            nulls = con.execute(
                f"SELECT count(*) FROM {quote_ident(name)} WHERE {c} IS NULL"
            ).fetchall()[0][0]
            if nulls:
                out.append(
                    f"{name}.{t.time_column}: {nulls:,} of {t.num_rows:,} rows have no time; "
                    "they are never visible to any anchor, for any model (treated as later "
                    "than every anchor)."
                )
            far = far_times_warning(con, name, t.time_column)
            if far:
                out.append(far)
    for link in schema.links:
        info = schema.link_info[link]
        if info.dangling:
            out.append(
                f"Link {link}: {info.dangling} of {info.non_null} values "
                f"({info.dangling_share:.1%}) match no key; those edges are dropped, rows kept."
            )
    return out
