"""Predictions out of relgraph: into a CSV or Parquet file, or back into the
source database as a new table (a DuckDB file, a SQLite file or PostgreSQL).

Writing a table is one transaction: the table appears whole or not at all.
An existing table is never touched unless ``replace=True``, and even then only
a table of predictions relgraph wrote itself: a table of the user's own data is
never replaced. Each table written is marked as relgraph's predictions (a table
comment; in SQLite a comment inside its ``CREATE`` statement), and relgraph's
loaders skip marked tables, so predictions are never read back as data a model
learns from.

Example:
    >>> import tempfile, pathlib, duckdb, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.duckdb"
    >>> duckdb.connect(str(path)).close()
    >>> preds = pd.DataFrame({"customer_id": [17, 42], "probability": [0.8, 0.1]})
    >>> write_table(preds, path, "churn_predictions")
    'churn_predictions'
    >>> write_table(preds, path, "churn_predictions")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.writeback.OutputError: Table 'churn_predictions' already exists in ...
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from relgraph.db.sources.base import PREDICTIONS_MARK, is_predictions_table, quote_ident
from relgraph.errors import RelgraphError

__all__ = ["OutputError", "check_table", "write_predictions", "write_table"]

SQLITE_MAGIC = b"SQLite format 3\x00"
#: PostgreSQL truncates longer names (NAMEDATALEN - 1 bytes).
POSTGRES_NAME_BYTES = 63


class OutputError(RelgraphError):
    """Predictions cannot be written where asked (format, existing table)."""


# ---------------------------------------------------------------- files
def write_predictions(preds: pd.DataFrame, path: str | Path) -> Path:
    """Write ``preds`` to a ``.csv`` or ``.parquet`` file (lists and
    contributions as JSON text in CSV; contributions as JSON text in Parquet).

    Raises:
        OutputError: another file type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise OutputError(f"Expected a .csv or .parquet file for predictions (got {path.name!r}).")
    frame = _plain_columns(preds, lists_as_text=suffix == ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


# ---------------------------------------------------------------- tables
@dataclass(frozen=True)
class TableTarget:
    """Where a table of predictions goes: ``kind`` is ``'duckdb'``,
    ``'sqlite'`` or ``'postgres'``; ``location`` a file path or the URL."""

    kind: str
    location: str

    @property
    def shown(self) -> str:
        """The location for messages (a PostgreSQL URL without its password)."""
        if self.kind != "postgres":
            return self.location
        from relgraph.db.sources.postgres import parse_url

        return parse_url(self.location).description


def table_target(source: str | Path) -> TableTarget:
    """The database ``source`` names, if predictions can be written into it.

    Raises:
        OutputError: ``source`` is not a DuckDB file, a SQLite file or a
            ``postgresql://`` URL (a folder of files, a DataFrame, ...).
    """
    from relgraph.db.database import _url_path

    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        return TableTarget("postgres", text)
    path = Path(text).expanduser()
    for prefix in ("duckdb://", "sqlite://"):
        if text.startswith(prefix):
            path = Path(_url_path(text, prefix)).expanduser()
    head = b""
    if path.is_file():
        with path.open("rb") as handle:
            head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return TableTarget("sqlite", str(path))
    if head[8:12] == b"DUCK":
        return TableTarget("duckdb", str(path))
    raise OutputError(
        "--table writes back into the source database: a DuckDB or SQLite file or a "
        f"PostgreSQL server ({text!r} is none of them); use --out preds.csv or "
        "--out preds.parquet."
    )


def check_table(source: str | Path, table: str, replace: bool = False) -> TableTarget:
    """Check before any work that ``table`` can be written into ``source``
    (what :func:`write_table` checks again, inside its transaction).

    Raises:
        OutputError: ``source`` cannot take a table, the name is not allowed,
            or the table exists (and ``replace`` is false, or it is not a table
            of predictions relgraph wrote).
    """
    target = table_target(source)
    _check_name(target, table)
    with _session(target, write=False) as session:
        session.refuse_existing(table, replace)
    return target


def write_table(
    preds: pd.DataFrame,
    source: str | Path,
    table: str,
    replace: bool = False,
    note: str | None = None,
) -> str:
    """Write ``preds`` into the database ``source`` as a new table ``table``.

    ``source`` is what ``relgraph.connect`` took: a DuckDB or SQLite file
    (path, ``duckdb:///path``, ``sqlite:///path``) or a PostgreSQL URL (the
    table goes into the URL's ``?schema=``, ``public`` by default). Lists
    (ranked ids, scores) and ``contributions`` become DuckDB lists and JSON
    text, JSON text in SQLite, ``jsonb`` in PostgreSQL; times stay timestamps
    (ISO text in SQLite).

    Args:
        preds (DataFrame): predictions, as :func:`relgraph.predict` returns them.
        source (str | Path): the database.
        table (str): the new table's name.
        replace (bool): replace a table of predictions relgraph wrote before
            (never another table). (default: False)
        note (str, optional): what the table's comment says after the mark.
            (default: the query and anchor time in ``preds.attrs``)

    Returns:
        str: ``table``.

    Raises:
        OutputError: as :func:`check_table`, or the database refused the write
            (nothing is left half written).
    """
    target = table_target(source)
    _check_name(target, table)
    if note is None:
        note = " ".join(
            f"{preds.attrs.get('query', '')} as of {preds.attrs.get('anchor_time', '')}".split()
        )
    comment = f"{PREDICTIONS_MARK}: {note}".strip().rstrip(":")
    with _session(target, write=True) as session:
        if session.refuse_existing(table, replace):
            session.drop(table)
        session.create(table, preds, comment)
    return table


def _check_name(target: TableTarget, table: str) -> None:
    if not table or not table.strip():
        raise OutputError("--table needs a name for the new table (got an empty one).")
    if target.kind == "postgres" and len(table.encode()) > POSTGRES_NAME_BYTES:
        raise OutputError(
            f"Table name {table!r} is longer than PostgreSQL's {POSTGRES_NAME_BYTES} bytes; "
            "choose a shorter one."
        )


def _exists_message(table: str, where: str, ours: bool) -> str:
    if ours:
        return (
            f"Table {table!r} already exists in {where!r}; choose another name, or "
            "pass --replace to overwrite it."
        )
    return (
        f"Table {table!r} already exists in {where!r} and holds data relgraph did not write; "
        "it is never replaced, even with --replace. Choose another name."
    )


# ---------------------------------------------------------------- sessions
class _Session:
    """One open database: find an existing table, create the new one."""

    where: str

    def existing(self, table: str) -> tuple[bool, bool]:
        """``(exists, written by relgraph)`` for a table or view named ``table``."""
        raise NotImplementedError

    def drop(self, table: str) -> None:
        raise NotImplementedError

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        raise NotImplementedError

    def close(self, commit: bool) -> None:
        raise NotImplementedError

    def refuse_existing(self, table: str, replace: bool) -> bool:
        """Raise unless ``table`` is absent, or ours and ``replace``; whether it
        exists (then a write drops it inside its transaction, so that a failure
        leaves it as it was)."""
        exists, ours = self.existing(table)
        if exists and not (replace and ours):
            raise OutputError(_exists_message(table, self.where, ours))
        return exists


@contextmanager
def _session(target: TableTarget, write: bool) -> Iterator[_Session]:
    """A session on ``target``: with ``write``, one transaction committed at the
    end and rolled back on any error; without, read-only."""
    opener = {"duckdb": _DuckDBSession, "sqlite": _SQLiteSession, "postgres": _PostgresSession}
    session = opener[target.kind](target, write)
    try:
        yield session
    except BaseException:
        session.close(commit=False)
        raise
    session.close(commit=write)


class _DuckDBSession(_Session):
    def __init__(self, target: TableTarget, write: bool) -> None:
        self.where = target.shown
        try:
            self.con = duckdb.connect(target.location, read_only=not write)
            if write:
                self.con.execute("BEGIN TRANSACTION")
        except duckdb.Error as exc:
            raise OutputError(f"Cannot open {self.where!r} to write predictions: {exc}") from None

    def existing(self, table: str) -> tuple[bool, bool]:
        rows = self.con.execute(
            "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND lower(table_name) = lower(?) "
            "UNION ALL SELECT NULL FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND lower(view_name) = lower(?) AND NOT internal",
            [table, table],
        ).fetchall()
        return bool(rows), bool(rows) and all(is_predictions_table(r[0]) for r in rows)

    def drop(self, table: str) -> None:
        try:
            self.con.execute(f"DROP TABLE {quote_ident(table)}")
        except duckdb.Error as exc:
            raise OutputError(f"Cannot replace table {table!r} in {self.where!r}: {exc}") from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        view = "__relgraph_predictions"
        self.con.register(view, _plain_columns(preds, lists_as_text=False))
        try:
            self.con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM {view}")
            self.con.execute(f"COMMENT ON TABLE {quote_ident(table)} IS {_sql_string(comment)}")
        except duckdb.Error as exc:
            raise OutputError(f"Cannot write table {table!r} into {self.where!r}: {exc}") from None
        finally:
            self.con.unregister(view)

    def close(self, commit: bool) -> None:
        try:
            if commit:
                self.con.execute("COMMIT")
        finally:
            self.con.close()  # an open transaction is rolled back


class _SQLiteSession(_Session):
    def __init__(self, target: TableTarget, write: bool) -> None:
        self.where = target.shown
        uri = f"file:{Path(target.location).resolve()}?mode={'rw' if write else 'ro'}"
        try:
            self.con = sqlite3.connect(uri, uri=True, isolation_level=None)
            if write:
                self.con.execute("BEGIN IMMEDIATE")  # the write lock, before the check
        except sqlite3.Error as exc:
            raise OutputError(f"Cannot open {self.where!r} to write predictions: {exc}") from None

    def existing(self, table: str) -> tuple[bool, bool]:
        rows = self.con.execute(
            "SELECT type, sql FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND lower(name) = lower(?)",
            [table],
        ).fetchall()
        ours = all(kind == "table" and is_predictions_table(sql) for kind, sql in rows)
        return bool(rows), bool(rows) and ours

    def drop(self, table: str) -> None:
        try:
            self.con.execute(f"DROP TABLE {quote_ident(table)}")
        except sqlite3.Error as exc:
            raise OutputError(f"Cannot replace table {table!r} in {self.where!r}: {exc}") from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        columns = _typed_columns(preds)
        types = {"boolean": "INTEGER", "integer": "INTEGER", "float": "REAL"}
        # SQLite keeps the CREATE statement as written: the mark lives in it. Only
        # the fixed mark goes there (a query text could end the comment).
        body = ", ".join(f"{quote_ident(c.name)} {types.get(c.kind, 'TEXT')}" for c in columns)
        values = [c.sqlite_values() for c in columns]
        marks = ", ".join("?" for _ in columns)
        try:
            self.con.execute(f"CREATE TABLE {quote_ident(table)} (/* {PREDICTIONS_MARK} */ {body})")
            self.con.executemany(
                f"INSERT INTO {quote_ident(table)} VALUES ({marks})", zip(*values, strict=True)
            )
        except sqlite3.Error as exc:
            raise OutputError(f"Cannot write table {table!r} into {self.where!r}: {exc}") from None

    def close(self, commit: bool) -> None:
        try:
            if self.con.in_transaction:
                self.con.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self.con.close()


class _PostgresSession(_Session):
    TYPES = {
        "boolean": "boolean",
        "integer": "bigint",
        "float": "double precision",
        "timestamp": "timestamp",
        "json": "jsonb",
        "text": "text",
    }

    def __init__(self, target: TableTarget, write: bool) -> None:
        from relgraph.db.sources.postgres import connect, parse_url

        self.target = parse_url(target.location)
        self.where = self.target.description
        self.conn = connect(self.target)
        self.conn.read_only = not write

    def _error(self, doing: str, error: Exception) -> OutputError:
        from relgraph.db.sources.postgres import server_reason

        return OutputError(f"Cannot {doing} in {self.where}: {server_reason(self.target, error)}.")

    def _name(self, table: str) -> Any:
        from psycopg import sql

        return sql.Identifier(self.target.schema, table)

    def existing(self, table: str) -> tuple[bool, bool]:
        import psycopg

        try:
            if not self.conn.execute(
                "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (self.target.schema,)
            ).fetchall():
                raise OutputError(
                    f"Schema {self.target.schema!r} does not exist in {self.target.address}; "
                    "create it, or pick another with ?schema=NAME in the URL."
                )
            rows = self.conn.execute(
                "SELECT c.relkind, obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s",
                (self.target.schema, table),
            ).fetchall()
        except psycopg.Error as error:
            raise self._error("look up the tables", error) from None
        ours = all(kind in ("r", "p") and is_predictions_table(c) for kind, c in rows)
        return bool(rows), bool(rows) and ours

    def drop(self, table: str) -> None:
        import psycopg
        from psycopg import sql

        try:
            self.conn.execute(sql.SQL("DROP TABLE {}").format(self._name(table)))
        except psycopg.Error as error:
            raise self._error(f"replace table {table!r}", error) from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        import psycopg
        from psycopg import sql

        columns = _typed_columns(preds)
        body = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(self.TYPES[c.kind]))
            for c in columns
        )
        names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
        try:
            self.conn.execute(sql.SQL("CREATE TABLE {} ({})").format(self._name(table), body))
            self.conn.execute(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(self._name(table), sql.Literal(comment))
            )
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(self._name(table), names)
            with self.conn.cursor() as cursor, cursor.copy(copy) as out:
                for row in zip(*(c.python_values() for c in columns), strict=True):
                    out.write_row(row)
        except psycopg.Error as error:
            raise self._error(f"write table {table!r}", error) from None

    def close(self, commit: bool) -> None:
        import psycopg

        try:
            if commit:
                self.conn.commit()
            else:
                self.conn.rollback()
        except psycopg.Error as error:
            raise self._error("commit the new table", error) from None
        finally:
            self.conn.close()


# ---------------------------------------------------------------- values
@dataclass
class _Column:
    """One column of predictions as plain Python values (None for missing)."""

    name: str
    kind: str  # boolean, integer, float, timestamp, json, text
    values: list[Any]

    def python_values(self) -> list[Any]:
        return self.values

    def sqlite_values(self) -> list[Any]:
        if self.kind == "boolean":
            return [None if v is None else int(v) for v in self.values]
        if self.kind == "timestamp":
            return [None if v is None else v.isoformat(sep=" ") for v in self.values]
        return self.values


def _typed_columns(preds: pd.DataFrame) -> list[_Column]:
    """Each column with a portable kind and plain Python values."""
    out = []
    for name in preds.columns:
        series = preds[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        missing = series.isna().to_numpy() if series.dtype != object else None
        if pd.api.types.is_bool_dtype(series.dtype):
            kind, convert = "boolean", bool
        elif pd.api.types.is_integer_dtype(series.dtype):
            kind, convert = "integer", int
        elif pd.api.types.is_float_dtype(series.dtype):
            kind, convert = "float", float
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            kind, convert = "timestamp", lambda v: pd.Timestamp(v).to_pydatetime()
        else:
            kind, convert = _object_kind(name, series)
            missing = np.array([_is_missing(v) for v in series], dtype=bool)
        values = [None if gone else convert(v) for v, gone in zip(series, missing, strict=True)]
        out.append(_Column(str(name), kind, values))
    return out


def _object_kind(name: str, series: pd.Series) -> tuple[str, Any]:
    present = [v for v in series if not _is_missing(v)]
    if name == "contributions" or any(
        isinstance(v, list | tuple | dict | np.ndarray) for v in present
    ):
        return "json", lambda v: json.dumps(_listed(v), default=str)
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean", bool
    if present and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in present
    ):
        return "integer", int
    if present and all(isinstance(v, pd.Timestamp) for v in present):
        return "timestamp", lambda v: v.to_pydatetime()
    return "text", str


def _is_missing(value: Any) -> bool:
    if isinstance(value, list | tuple | dict | np.ndarray):
        return False
    return value is None or bool(pd.isna(value))


def _listed(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _plain_columns(preds: pd.DataFrame, lists_as_text: bool) -> pd.DataFrame:
    frame = preds.copy()
    frame.attrs = {}
    if "contributions" in frame:
        frame["contributions"] = [json.dumps(c, default=str) for c in frame["contributions"]]
    if lists_as_text:
        for column in ("predicted", "scores"):
            if column in frame and frame[column].map(lambda v: isinstance(v, list)).any():
                frame[column] = [json.dumps(v, default=str) for v in frame[column]]
    return frame


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
