"""SQLite database files, read with the standard library's ``sqlite3``
(read-only URI) so that no DuckDB extension download is needed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from relgraph.db.sources.base import (
    Declared,
    is_sqlite_predictions_table,
    quote_ident,
    register_arrow,
    skipped_predictions,
    unreadable_file,
)
from relgraph.errors import SourceError


def load_sqlite(path: str | Path, con: duckdb.DuckDBPyConnection) -> Declared:
    """Copy the tables of a SQLite file into ``con``; declared keys are used."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"SQLite file not found: {str(path)!r}.")
    try:
        src = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        tables = src.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    except sqlite3.Error as exc:
        raise SourceError(_read_error(path, "open", exc)) from None
    declared = Declared(description=f"sqlite file {path}")
    names = [name for name, create in tables if not is_sqlite_predictions_table(create)]
    declared.warnings += [
        skipped_predictions(n) for n, c in tables if is_sqlite_predictions_table(c)
    ]
    try:
        for name in names:
            frame = pd.read_sql_query(f"SELECT * FROM {quote_ident(name)}", src)
            register_arrow(con, name, _to_arrow(frame))
            declared.tables.append(name)
            info = src.execute(f"PRAGMA table_info({quote_ident(name)})").fetchall()
            pk_cols = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0]
            if pk_cols:
                declared.add_primary_key(name, pk_cols)
            fks: dict[int, list[tuple]] = {}
            for row in src.execute(f"PRAGMA foreign_key_list({quote_ident(name)})"):
                fks.setdefault(row[0], []).append(row)
            for rows in fks.values():
                ref_table = rows[0][2]
                ref_cols = [r[4] for r in rows]
                if any(c is None for c in ref_cols):  # REFERENCES t without columns: its PK
                    ref_info = src.execute(f"PRAGMA table_info({quote_ident(ref_table)})")
                    ref_cols = [r[1] for r in sorted(ref_info, key=lambda r: r[5]) if r[5] > 0]
                declared.add_foreign_key(name, [r[3] for r in rows], ref_table, ref_cols)
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise SourceError(_read_error(path, "read", exc)) from None
    finally:
        src.close()
    return declared


def _read_error(path: Path, doing: str, error: Exception) -> str:
    """A damaged file (SQLite's DatabaseError: "malformed", "not a database")
    is named as such; a file SQLite cannot get at (locked, no access) is not."""
    cause = error.__cause__ if isinstance(error, pd.errors.DatabaseError) else error
    damaged = isinstance(cause, sqlite3.DatabaseError) and not isinstance(
        cause, sqlite3.OperationalError
    )
    if damaged:
        return unreadable_file(path, "SQLite", cause)
    return f"Cannot {doing} {str(path)!r} as a SQLite database: {error}"


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """SQLite is dynamically typed: a column with mixed Python types becomes text."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        mixed = {
            c: frame[c].map(lambda v: None if v is None else str(v))
            for c in frame.columns
            if frame[c].dtype == object
        }
        return pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)
