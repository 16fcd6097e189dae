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
    >>> try:
    ...     write_table(preds, path, "churn_predictions")
    ... except OutputError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    Table 'churn_predictions' already exists in ...; choose another name, or pass --replace ...
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from relgraph.db.sources.base import (
    PREDICTIONS_MARK,
    SQLITE_PREDICTIONS_MARK,
    file_url_path,
    is_predictions_table,
    is_sqlite_predictions_table,
    quote_ident,
)
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
    location: str = field(repr=False)  # a URL may hold a password

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
        SourceError: a ``duckdb://`` or ``sqlite://`` URL that names no file.
    """
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        return TableTarget("postgres", text)
    # The file a URL names is found as connect() finds it: a table goes where
    # the predictions were read from.
    path = file_url_path(text) or Path(text).expanduser()
    head = b""
    if path.is_file():
        with path.open("rb") as handle:
            head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return TableTarget("sqlite", str(path))
    if head[8:12] == b"DUCK":
        return TableTarget("duckdb", str(path))
    # A URL is named by its scheme only: it may carry a password.
    named = f"a {text.split('://')[0]}:// URL" if "://" in text else repr(text)
    raise OutputError(
        "--table writes back into the source database: a DuckDB or SQLite file or a "
        f"PostgreSQL server ({named} is none of them); use --out preds.csv or "
        "--out preds.parquet."
    )


def check_table(source: str | Path, table: str, replace: bool = False) -> TableTarget:
    """Check before any work that ``table`` can be written into ``source``:
    the database opens for writing, the name is free (or a table of relgraph's
    predictions and ``replace``), and the user may create tables there.
    :func:`write_table` checks again, inside its transaction; this changes nothing.

    Raises:
        OutputError: ``source`` cannot take a table, the name is not allowed
            or taken, or the database cannot be written.
    """
    target = table_target(source)
    _check_name(target, table)
    with _session(target, commit=False) as session:
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

    ``source`` is what ``relgraph.connect`` took: a DuckDB or SQLite file (a
    path, or ``sqlite:///relative/path``, ``duckdb:////absolute/path``) or a
    PostgreSQL URL (the table goes into the URL's ``?schema=``, ``public`` by
    default). Lists (ranked ids, scores) and ``contributions`` become DuckDB
    lists and JSON text, JSON text in SQLite, ``jsonb`` in PostgreSQL (NaN as
    null); times stay timestamps (in UTC if they carry a time zone; ISO text
    in SQLite).

    Args:
        preds (DataFrame): predictions, as :func:`relgraph.predict` returns them.
        source (str | Path): the database.
        table (str): the new table's name, without a schema (a name with a
            dot is refused: it goes into DuckDB's and SQLite's ``main`` schema,
            or PostgreSQL's ``?schema=``).
        replace (bool): replace a table of predictions relgraph wrote before
            (never another table). (default: False)
        note (str, optional): what the table's comment says after the mark.
            (default: the query and anchor time in ``preds.attrs``)

    Returns:
        str: ``table``.

    Raises:
        OutputError: as :func:`check_table`; column names the database cannot
            tell apart; or the database refused the write (nothing is left
            half written).
    """
    target = table_target(source)
    _check_name(target, table)
    _check_columns(target, preds)
    if note is None:
        query, anchor = preds.attrs.get("query"), preds.attrs.get("anchor_time")
        note = " ".join(f"{query or ''}{f' as of {anchor}' if anchor else ''}".split())
    comment = f"{PREDICTIONS_MARK}: {note}" if note else PREDICTIONS_MARK
    with _session(target, commit=True) as session:
        if session.refuse_existing(table, replace):
            session.drop(table)
        session.create(table, preds, comment)
    return table


#: Where a plain table name goes, per kind of database.
_DEFAULT_SCHEMA = {
    "duckdb": "the file's main schema",
    "sqlite": "the file's main schema",
    "postgres": "the URL's ?schema= (public by default)",
}


def _check_name(target: TableTarget, table: str) -> None:
    if not table or not table.strip():
        raise OutputError("--table needs a name for the new table (got an empty one).")
    if "." in table:
        # "main.orders" would silently become a table literally named so, and
        # reading it as schema.table would guess at the user's quoting: refuse.
        suggestion = table.replace(".", "_")
        where = _DEFAULT_SCHEMA[target.kind]
        also = (
            "; to write into another schema, set ?schema=NAME in the URL"
            if target.kind == "postgres"
            else ""
        )
        raise OutputError(
            f"Table name {table!r} has a dot; --table takes a plain name (no schema) and "
            f"the table goes into {where}{also}. Name it without a dot, e.g. "
            f"--table {suggestion}."
        )
    if target.kind == "postgres" and len(table.encode()) > POSTGRES_NAME_BYTES:
        raise OutputError(
            f"Table name {table!r} is longer than PostgreSQL's {POSTGRES_NAME_BYTES} bytes; "
            "choose a shorter one."
        )


def _check_columns(target: TableTarget, preds: pd.DataFrame) -> None:
    """Column names must stay distinct in the database (DuckDB and SQLite ignore
    case; PostgreSQL cuts names at 63 bytes), or values would land elsewhere."""
    seen: dict[str, str] = {}
    for name in map(str, preds.columns):
        if target.kind == "postgres" and len(name.encode()) > POSTGRES_NAME_BYTES:
            raise OutputError(
                f"Column {name!r} is longer than PostgreSQL's {POSTGRES_NAME_BYTES} bytes; "
                "write the predictions with --out preds.parquet instead."
            )
        key = name if target.kind == "postgres" else name.lower()
        if key in seen:
            raise OutputError(
                f"Columns {seen[key]!r} and {name!r} differ only in case, which "
                f"{target.kind} cannot tell apart; write the predictions with "
                "--out preds.parquet instead."
            )
        seen[key] = name


def _exists_message(table: str, where: str, what: str, ours: bool) -> str:
    if ours:
        return (
            f"Table {table!r} already exists in {where!r}; choose another name, or "
            "pass --replace to overwrite it."
        )
    if what != "table":
        return f"A {what} named {table!r} already exists in {where!r}; choose another name."
    return (
        f"Table {table!r} already exists in {where!r} and holds data relgraph did not write; "
        "it is never replaced, even with --replace. Choose another name (a table of "
        "predictions written before relgraph marked them carries no mark: drop it yourself)."
    )


# ---------------------------------------------------------------- sessions
class _Session:
    """One open database, in one transaction: find what holds a name, drop a
    table, create the new one."""

    where: str
    con: Any  # a DB-API connection (DuckDB, sqlite3); PostgreSQL has its own drop
    #: What the driver raises.
    errors: tuple[type[Exception], ...] = ()

    #: ``(kind, comment or CREATE statement)`` of whatever holds the name given
    #: as the one query parameter (DB-API sessions; PostgreSQL has its own lookup).
    holders_sql: str = ""

    @staticmethod
    def marked(text: str | None) -> bool:
        """Whether a table's comment (or CREATE statement) is relgraph's mark."""
        return is_predictions_table(text)

    def existing(self, table: str) -> tuple[str | None, bool]:
        """``(what holds the name, written by relgraph)``: ``what`` is None when
        the name is free, else ``'table'``, ``'view'``, ``'index'``, ..."""
        rows = self.con.execute(self.holders_sql, [table]).fetchall()
        if not rows:
            return None, False
        what, text = rows[0]
        return what, what == "table" and self.marked(text)

    def drop(self, table: str) -> None:
        try:
            self.con.execute(f"DROP TABLE {quote_ident(table)}")
        except self.errors as exc:
            raise OutputError(f"Cannot replace table {table!r} in {self.where!r}: {exc}") from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        raise NotImplementedError

    def close(self, commit: bool) -> None:
        """Commit (or roll back) and close; a failed commit raises OutputError."""
        raise NotImplementedError

    def refuse_existing(self, table: str, replace: bool) -> bool:
        """Raise unless ``table`` is free, or ours and ``replace``; whether it
        exists (then a write drops it inside its transaction, so that a failure
        leaves it as it was)."""
        what, ours = self.existing(table)
        if what is not None and not (replace and ours):
            raise OutputError(_exists_message(table, self.where, what, ours))
        return what is not None


@contextmanager
def _session(target: TableTarget, commit: bool) -> Iterator[_Session]:
    """A session on ``target`` opened for writing, in one transaction: committed
    at the end if ``commit``, rolled back on any error (or when only checking)."""
    opener = {"duckdb": _DuckDBSession, "sqlite": _SQLiteSession, "postgres": _PostgresSession}
    session = opener[target.kind](target)
    try:
        yield session
    except BaseException:
        session.close(commit=False)
        raise
    session.close(commit=commit)


class _DuckDBSession(_Session):
    errors = (duckdb.Error,)
    holders_sql = (
        "SELECT 'table', comment FROM duckdb_tables() WHERE database_name = "
        "current_database() AND schema_name = 'main' AND lower(table_name) = lower($1) "
        "UNION ALL SELECT 'view', NULL FROM duckdb_views() WHERE database_name = "
        "current_database() AND schema_name = 'main' AND lower(view_name) = lower($1) "
        "AND NOT internal"
    )

    def __init__(self, target: TableTarget) -> None:
        self.where = target.shown
        try:
            self.con = duckdb.connect(target.location)
        except duckdb.Error as exc:
            raise OutputError(f"Cannot open {self.where!r} to write predictions: {exc}") from None
        try:
            self.con.execute("BEGIN TRANSACTION")
        except duckdb.Error as exc:
            self.con.close()
            raise OutputError(f"Cannot write into {self.where!r}: {exc}") from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        view = "__relgraph_predictions"
        try:
            self.con.register(view, _plain_columns(preds, lists_as_text=False))
            self.con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM {view}")
            self.con.execute(f"COMMENT ON TABLE {quote_ident(table)} IS {_sql_string(comment)}")
        except duckdb.Error as exc:
            raise OutputError(f"Cannot write table {table!r} into {self.where!r}: {exc}") from None

    def close(self, commit: bool) -> None:
        try:
            if commit:
                self.con.execute("COMMIT")
        except duckdb.Error as exc:
            raise OutputError(f"Cannot commit the new table in {self.where!r}: {exc}") from None
        finally:
            self.con.close()  # an open transaction is rolled back


class _SQLiteSession(_Session):
    errors = (sqlite3.Error,)
    holders_sql = "SELECT type, sql FROM sqlite_master WHERE lower(name) = lower(?1)"
    marked = staticmethod(is_sqlite_predictions_table)

    def __init__(self, target: TableTarget) -> None:
        self.where = target.shown
        uri = f"file:{Path(target.location).resolve()}?mode=rw"
        try:
            self.con = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise OutputError(f"Cannot open {self.where!r} to write predictions: {exc}") from None
        try:
            self.con.execute("BEGIN IMMEDIATE")  # the write lock, before the check
        except sqlite3.Error as exc:
            self.con.close()
            raise OutputError(f"Cannot write into {self.where!r}: {exc}") from None

    def create(self, table: str, preds: pd.DataFrame, comment: str) -> None:
        columns = _typed_columns(preds)
        types = {"boolean": "INTEGER", "integer": "INTEGER", "float": "REAL"}
        # SQLite keeps the CREATE statement as written: the mark lives in it. Only
        # the fixed mark goes there (a query text could end the comment).
        body = ", ".join(f"{quote_ident(c.name)} {types.get(c.kind, 'TEXT')}" for c in columns)
        values = [c.sqlite_values() for c in columns]
        marks = ", ".join("?" for _ in columns)
        try:
            self.con.execute(
                f"CREATE TABLE {quote_ident(table)} ({SQLITE_PREDICTIONS_MARK} {body})"
            )
            self.con.executemany(
                f"INSERT INTO {quote_ident(table)} VALUES ({marks})", zip(*values, strict=True)
            )
        except (sqlite3.Error, OverflowError, UnicodeEncodeError) as exc:  # a lone surrogate
            raise OutputError(f"Cannot write table {table!r} into {self.where!r}: {exc}") from None

    def close(self, commit: bool) -> None:
        try:
            if self.con.in_transaction:
                self.con.execute("COMMIT" if commit else "ROLLBACK")
        except sqlite3.Error as exc:
            raise OutputError(f"Cannot commit the new table in {self.where!r}: {exc}") from None
        finally:
            self.con.close()  # an open transaction is rolled back


class _PostgresSession(_Session):
    TYPES = {
        "boolean": "boolean",
        "integer": "bigint",
        "float": "double precision",
        "timestamp": "timestamp",
        "json": "jsonb",
        "text": "text",
    }
    #: How long a replace waits for readers of the old table to finish.
    LOCK_TIMEOUT = "10s"
    KINDS = {"v": "view", "m": "materialized view", "i": "index", "S": "sequence"}

    def __init__(self, target: TableTarget) -> None:
        import psycopg

        from relgraph.db.sources.postgres import connect, parse_url

        self.target = parse_url(target.location)
        self.where = self.target.description
        self.conn = connect(self.target)
        try:  # a replace waits at most this long for readers of the old table
            self.conn.execute(f"SET LOCAL lock_timeout = '{self.LOCK_TIMEOUT}'")
        except psycopg.Error as error:
            self.conn.close()
            raise self._error("prepare the session", error) from None

    def _error(self, doing: str, error: Exception) -> OutputError:
        import psycopg

        from relgraph.db.sources.postgres import server_reason

        message = f"Cannot {doing} in {self.where}: {server_reason(self.target, error)}."
        if isinstance(error, psycopg.errors.LockNotAvailable):
            message += " Another session is reading the table; try again when it is done."
        return OutputError(message)

    def _name(self, table: str) -> Any:
        from psycopg import sql

        return sql.Identifier(self.target.schema, table)

    def existing(self, table: str) -> tuple[str | None, bool]:
        import psycopg

        schema, user = self.target.schema, self.target.user
        try:
            found = self.conn.execute(
                "SELECT oid, has_schema_privilege(oid, 'CREATE') FROM pg_catalog.pg_namespace "
                "WHERE nspname = %s",
                (schema,),
            ).fetchall()
            if not found:
                raise OutputError(
                    f"Schema {schema!r} does not exist in {self.target.address}; "
                    "create it, or pick another with ?schema=NAME in the URL."
                )
            namespace, may_create = found[0]
            if not may_create:
                raise OutputError(
                    f"User {user!r} may not create tables in schema {schema!r} of "
                    f"{self.target.address}; grant it (GRANT CREATE ON SCHEMA {schema} TO "
                    f"{user}) or pick another schema with ?schema=NAME."
                )
            rows = self.conn.execute(
                "SELECT relkind, obj_description(oid, 'pg_class') FROM pg_catalog.pg_class "
                "WHERE relnamespace = %s AND relname = %s",
                (namespace, table),
            ).fetchall()
            types = self.conn.execute(
                "SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace = %s AND typname = %s "
                "AND typrelid = 0",
                (namespace, table),
            ).fetchall()
        except psycopg.Error as error:
            raise self._error("look up the tables", error) from None
        if rows:
            kind, comment = rows[0]
            if kind in ("r", "p"):
                return "table", is_predictions_table(comment)
            return self.KINDS.get(kind, "relation"), False
        return ("type", False) if types else (None, False)

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
                for row in zip(*(c.values for c in columns), strict=True):
                    out.write_row(row)
        except psycopg.Error as error:
            raise self._error(f"write table {table!r}", error) from None

    def close(self, commit: bool) -> None:
        import psycopg

        try:
            if commit:
                self.conn.commit()
        except psycopg.Error as error:
            raise self._error("commit the new table", error) from None
        finally:
            # Nothing to roll back after a commit; a lost connection rolled back already.
            with contextlib.suppress(psycopg.Error):
                self.conn.rollback()
            self.conn.close()


# ---------------------------------------------------------------- values
@dataclass
class _Column:
    """One column of predictions as plain Python values (None for missing)."""

    name: str
    kind: str  # boolean, integer, float, timestamp, json, text
    values: list[Any]

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
        series = _utc(preds[name])
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
    nested = list | tuple | dict | np.ndarray
    if name == "contributions" or any(isinstance(v, nested) for v in present):
        return "json", _json_text
    if not present:
        return "text", str
    if all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean", bool
    numbers = [isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present]
    if all(numbers):
        whole = all(isinstance(v, int | np.integer) for v in present)
        return ("integer", int) if whole else ("float", float)
    if all(isinstance(v, pd.Timestamp) for v in present):
        return "timestamp", lambda v: _utc_stamp(v).to_pydatetime()
    return "text", str


def _is_missing(value: Any) -> bool:
    if isinstance(value, list | tuple | dict | np.ndarray):
        return False
    return value is None or bool(pd.isna(value))


def _utc(series: pd.Series) -> pd.Series:
    """Times with a zone -> the same instants in UTC, without the zone."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series


def _utc_stamp(value: pd.Timestamp) -> pd.Timestamp:
    return value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value


def _json_ready(value: Any) -> Any:
    """Lists, dicts and numpy values as plain JSON values; NaN and infinities
    as null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _json_text(value: Any) -> str:
    return json.dumps(_json_ready(value), default=str, allow_nan=False)


def _plain_columns(preds: pd.DataFrame, lists_as_text: bool) -> pd.DataFrame:
    """Predictions for a file or a DuckDB table: contributions as JSON text,
    lists of plain values (or JSON text), times in UTC when they carry a zone."""
    frame = preds.copy()
    frame.attrs = {}
    for column in frame.columns:
        series = _utc(frame[column])
        if column == "contributions":
            series = pd.Series([_json_text(v) for v in series], index=frame.index, dtype=object)
        elif (
            series.dtype == object and series.map(lambda v: isinstance(v, list | np.ndarray)).any()
        ):
            if lists_as_text:
                series = series.map(
                    lambda v: _json_text(v) if isinstance(v, list | np.ndarray) else v
                )
            else:
                series = series.map(
                    lambda v: _json_ready(v) if isinstance(v, list | np.ndarray) else v
                )
        elif series.dtype == object and len(series) == 0:
            series = series.astype("string")  # an empty column is still text
        frame[column] = series
    return frame


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
