"""DuckDB database files: every base table of the file is copied into the
working store; PRIMARY KEY / FOREIGN KEY constraints are used as given."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from relgraph.db.sources.base import (
    Declared,
    is_predictions_table,
    quote_ident,
    skipped_predictions,
    unreadable_file,
)
from relgraph.errors import SourceError

_ALIAS = "__relgraph_src"


def load_duckdb(path: str | Path, con: duckdb.DuckDBPyConnection) -> Declared:
    """Copy the tables of a DuckDB file into ``con`` (the file is opened read-only)."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"DuckDB file not found: {str(path)!r}.")
    try:
        con.execute(f"ATTACH {_sql_string(str(path))} AS {_ALIAS} (READ_ONLY)")
    except duckdb.Error as exc:
        raise SourceError(unreadable_file(path, "DuckDB", exc)) from None
    try:
        return _copy_attached(con, _ALIAS, f"duckdb file {path}")
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise  # not the file's fault
    except duckdb.Error as exc:
        # A block whose checksum does not match is found only when it is read.
        raise SourceError(unreadable_file(path, "DuckDB", exc)) from None
    finally:
        with contextlib.suppress(duckdb.Error):  # the error above is the one to report
            con.execute(f"DETACH {_ALIAS}")


def _copy_attached(con: duckdb.DuckDBPyConnection, alias: str, description: str) -> Declared:
    declared = Declared(description=description)
    rows = con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() "
        "WHERE database_name = ? AND NOT internal ORDER BY schema_name <> 'main', table_name",
        [alias],
    ).fetchall()
    seen: dict[str, str] = {}
    for schema, table, comment in rows:
        if is_predictions_table(comment):
            declared.warnings.append(skipped_predictions(table))
            continue
        if table in seen:
            declared.warnings.append(
                f"Table {table!r} exists in schemas {seen[table]!r} and {schema!r}; "
                f"only {seen[table]}.{table} is read."
            )
            continue
        seen[table] = schema
        source = f"{alias}.{quote_ident(schema)}.{quote_ident(table)}"
        con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM {source}")
        declared.tables.append(table)
    constraints = con.execute(
        "SELECT schema_name, table_name, constraint_type, constraint_column_names, "
        "referenced_table, referenced_column_names FROM duckdb_constraints() "
        "WHERE database_name = ? AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')",
        [alias],
    ).fetchall()
    for schema, table, kind, columns, ref_table, ref_columns in constraints:
        if seen.get(table) != schema:
            continue
        if kind == "PRIMARY KEY":
            declared.add_primary_key(table, list(columns))
        else:
            declared.add_foreign_key(table, list(columns), ref_table, list(ref_columns or []))
    return declared


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
