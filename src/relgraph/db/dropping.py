"""Columns the user drops (``--drop table.column``, ``connect(drop=...)``, ``drop``
in the schema TOML): removed from relgraph's working copy before the schema is
inferred, so no key, link, time column, query or model ever sees them.

The source itself is never touched; only the copy in the working store loses
the column. Use it for columns that leak the answer (a status written after the
fact, a copy of the target) or that must not be used.

Example:
    >>> import duckdb
    >>> from relgraph.db.sources.base import Declared
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE users (user_id INT, churned BOOL, age INT)")
    >>> drop_columns(con, Declared(tables=["users"]), ["users.churned"])
    ['users.churned']
    >>> [r[0] for r in con.execute("DESCRIBE users").fetchall()]
    ['user_id', 'age']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import duckdb

from relgraph.db.column_profile import is_time_type
from relgraph.db.schema import parse_column_ref
from relgraph.db.sources.base import Declared, quote_ident
from relgraph.errors import SchemaError


def drop_columns(
    con: duckdb.DuckDBPyConnection, declared: Declared, refs: Iterable[str]
) -> list[str]:
    """Drop ``"table.column"`` refs from the working store and from what the
    source declares (keys, links, time columns naming them).

    Returns:
        The dropped refs, sorted and without duplicates.

    Raises:
        SchemaError: a ref is malformed, or names an unknown table or column;
            a table would be left without columns.
    """
    wanted: dict[str, set[str]] = {}
    for ref in refs:
        table, column = parse_column_ref(ref, "column to drop")
        wanted.setdefault(table, set()).add(column)
    dtypes = {table: _dtypes(con, declared, table) for table in wanted}
    for table, columns in wanted.items():
        existing = list(dtypes[table])
        for column in sorted(columns):
            if column not in existing:
                raise SchemaError(_unknown_column(table, column, existing))
        if set(existing) <= columns:
            raise SchemaError(
                f"Cannot drop every column of {table!r} ({', '.join(existing)}); drop fewer."
            )
    for table, columns in wanted.items():
        for column in sorted(columns):
            con.execute(f"ALTER TABLE {quote_ident(table)} DROP COLUMN {quote_ident(column)}")
            if is_time_type(dtypes[table][column]):
                declared.warnings.append(_time_dropped(table, column))
        _forget_declared(declared, table, columns)
    return sorted(f"{t}.{c}" for t, cs in wanted.items() for c in cs)


def _time_dropped(table: str, column: str) -> str:
    # A table without a time column is visible at every anchor: say so, since
    # dropping the wrong column can turn a leak-free table into a leaking one.
    return (
        f"Dropped {table}.{column}, a date/time column. If it was the time of "
        f"{table!r}'s rows, check `relgraph inspect`: {table} now uses another time column, "
        "takes its time from the rows it references, or is static (every row visible at "
        "every anchor)."
    )


def _dtypes(con: duckdb.DuckDBPyConnection, declared: Declared, table: str) -> dict[str, str]:
    if table not in declared.tables:
        close = difflib.get_close_matches(table, declared.tables, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise SchemaError(
            f"Cannot drop a column of unknown table {table!r}.{hint} "
            f"Known: {', '.join(sorted(declared.tables)[:20])}."
        )
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()}


def _unknown_column(table: str, column: str, existing: list[str]) -> str:
    close = difflib.get_close_matches(column, existing, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return (
        f"Cannot drop {table}.{column}: {table!r} has no column {column!r}.{hint} "
        f"Columns: {', '.join(existing[:20])}."
    )


def _forget_declared(declared: Declared, table: str, columns: set[str]) -> None:
    if declared.primary_keys.get(table) in columns:
        del declared.primary_keys[table]
    if declared.time_columns.get(table) in columns:
        del declared.time_columns[table]
    declared.foreign_keys = [
        fk
        for fk in declared.foreign_keys
        if not ((fk[0] == table and fk[1] in columns) or (fk[2] == table and fk[3] in columns))
    ]
