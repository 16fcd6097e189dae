"""Read a PostgreSQL schema into the working DuckDB store.

Every base table of one schema (``public`` unless chosen) is copied into DuckDB
under its own name, and its declared single-column primary and foreign keys
become :class:`~relgraph.db.sources.base.Declared` facts. Data travels as CSV
through ``COPY (SELECT ...) TO STDOUT`` and is parsed column by column by
pyarrow with the types fixed from the catalog, so no row passes through Python.

Types: ``smallint``/``integer``/``bigint`` keep their width; ``real``,
``double precision`` and ``numeric`` become float64; ``text``, ``varchar`` and
``char`` become strings; ``boolean``, ``date``, ``time`` and ``timestamp`` keep
their meaning; ``timestamptz`` becomes a timestamp without time zone, in UTC.
Any other type (``uuid``, ``json``, enums, arrays, ...) is read as its text form.
NULLs stay NULL and empty strings stay empty.

The server is never modified: everything runs in one read-only transaction
(``REPEATABLE READ``, so all tables come from the same snapshot), which is
rolled back at the end.
"""

from __future__ import annotations

import getpass
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from relgraph.db.sources.base import (
    Declared,
    is_predictions_table,
    register_arrow,
    skipped_predictions,
)
from relgraph.errors import SourceError

__all__ = ["load_postgres"]

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "public"
CONNECT_TIMEOUT_S = 10

#: PostgreSQL base type name -> Arrow type of the column read into DuckDB.
ARROW_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float64(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "citext": pa.string(),
    "date": pa.date32(),
    "time": pa.time64("us"),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us"),  # converted to UTC on the server
}
_TEMPORAL = ("date", "timestamp", "timestamptz")


@dataclass(frozen=True)
class PostgresTarget:
    """Where to read from: the libpq URL (without relgraph's ``schema``
    parameter), the schema, and the parts used in messages (never the password)."""

    conninfo: str
    schema: str
    host: str
    port: str
    dbname: str
    user: str
    password: str | None

    @property
    def address(self) -> str:
        """``postgresql://host:port/db``: the server and database, without credentials."""
        return f"postgresql://{self.host}:{self.port}/{self.dbname}"

    @property
    def description(self) -> str:
        return f"{self.address} (schema {self.schema})"

    def redact(self, text: str) -> str:
        """``text`` with the password (raw or percent-encoded) and the URL masked."""
        if self.password:
            for secret in {self.password, _percent_encoded_password(self.conninfo)}:
                if secret:
                    text = text.replace(secret, "***")
        return text


@dataclass(frozen=True)
class _Column:
    name: str
    base_type: str  # pg_type.typname of the column's type (of the base type for domains)

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES.get(self.base_type, pa.string())


def load_postgres(url: str, con: duckdb.DuckDBPyConnection, schema: str | None = None) -> Declared:
    """Copy every base table of a PostgreSQL schema into ``con``.

    Args:
        url (str): ``postgresql://user:password@host:port/db`` (or
            ``postgres://...``); libpq query parameters (``sslmode=...``) are
            passed on, and ``?schema=NAME`` picks the schema.
        con (duckdb.DuckDBPyConnection): the working store; each table is
            created (or replaced) there under its PostgreSQL name.
        schema (str, optional): the schema to read; wins over ``?schema=``.
            (default: ``public``)

    Returns:
        Declared: the tables in name order, single-column primary keys, foreign
        keys between tables of the schema, and warnings about what was left out
        (composite keys, links to other schemas).

    Raises:
        SourceError: the URL is malformed, the server cannot be reached, the
            login is refused, the database or schema does not exist, the schema
            has no tables, or a table cannot be read.

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> declared = load_postgres("postgresql://me@localhost:5432/shop", con)  # doctest: +SKIP
        >>> declared.foreign_keys  # doctest: +SKIP
        [('orders', 'customer_id', 'customers', 'customer_id')]
    """
    target = parse_url(url, schema)
    with _read_only_session(target) as conn:
        namespace = _schema_oid(conn, target)
        tables = _list_tables(conn, target, namespace)
        if not tables:
            raise SourceError(
                f"schema {target.schema!r} of {target.address} has no tables (views, "
                "materialized views and foreign tables are not read). Pick a schema "
                "with tables: ?schema=NAME in the URL or schema=... in the call."
            )
        declared = Declared(description=target.description)
        columns = _list_columns(conn, target, [oid for oid, _ in tables.values()])
        seen: dict[str, str] = {}  # DuckDB names are case-insensitive
        for name, (oid, comment) in tables.items():
            if is_predictions_table(comment):
                declared.warnings.append(skipped_predictions(f"{target.schema}.{name}"))
                continue
            if name.lower() in seen:
                declared.warnings.append(
                    f"table {target.schema}.{name} was not read: its name differs from "
                    f"{seen[name.lower()]!r} only in case, which DuckDB cannot tell apart"
                )
                continue
            seen[name.lower()] = name
            if not columns.get(oid):
                declared.warnings.append(
                    f"table {target.schema}.{name} was not read: it has no columns"
                )
                continue
            arrow = _read_table(conn, target, name, columns[oid], declared.warnings)
            try:
                register_arrow(con, name, arrow)
            except duckdb.Error as error:
                raise SourceError(
                    f"cannot store table {target.schema}.{name} of {target.address} in "
                    f"DuckDB: {error}"
                ) from None
            declared.tables.append(name)
        _read_constraints(conn, target, namespace, declared)
    return declared


def parse_url(url: str, schema: str | None = None) -> PostgresTarget:
    """Split a ``postgresql://`` URL into what libpq gets and what relgraph uses.

    The ``schema`` query parameter is relgraph's and is removed; an explicit
    ``schema`` argument wins over it.

    Raises:
        SourceError: not a ``postgresql://``/``postgres://`` URL, or libpq rejects it.

    Example:
        >>> t = parse_url("postgresql://ann:pw@db.example:6543/shop?schema=sales&sslmode=require")
        >>> t.description, t.conninfo
        ('postgresql://db.example:6543/shop (schema sales)', 'postgresql://ann:pw@db.example:6543/shop?sslmode=require')
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise SourceError(
            f"expected a postgresql:// or postgres:// URL (got scheme {parts.scheme!r}); "
            "write it as postgresql://user:password@host:port/database"
        )
    kept: list[str] = []
    url_schema = None
    for item in parts.query.split("&") if parts.query else []:
        key, _, value = item.partition("=")
        if unquote(key) == "schema":
            url_schema = unquote(value)
        else:
            kept.append(item)
    conninfo = urlunsplit(parts._replace(query="&".join(kept)))
    chosen = schema if schema is not None else (url_schema or DEFAULT_SCHEMA)
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error as error:
        reason = str(error)
        if parts.password:
            reason = reason.replace(parts.password, "***").replace(unquote(parts.password), "***")
        raise SourceError(
            f"invalid PostgreSQL URL: {reason}. Write it as "
            "postgresql://user:password@host:port/database[?schema=NAME]"
        ) from None
    user = str(params.get("user") or os.environ.get("PGUSER") or _os_user())
    return PostgresTarget(
        conninfo=conninfo,
        schema=chosen,
        host=str(params.get("host") or os.environ.get("PGHOST") or "localhost"),
        port=str(params.get("port") or os.environ.get("PGPORT") or "5432"),
        dbname=str(params.get("dbname") or os.environ.get("PGDATABASE") or user),
        user=user,
        password=params.get("password"),
    )


def _os_user() -> str:
    """libpq's default user name: the login name of this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name; libpq would fail the same way
        return "postgres"


def _percent_encoded_password(conninfo: str) -> str | None:
    return urlsplit(conninfo).password


def connect(target: PostgresTarget) -> psycopg.Connection:
    """A connection (not in autocommit) with relgraph's defaults: a connect
    timeout and ``application_name`` unless the URL sets them.

    Raises:
        SourceError: the server cannot be reached or refuses the login; the
            message names the server and never the password.
    """
    options: dict[str, object] = {}
    params = conninfo_to_dict(target.conninfo)
    if "connect_timeout" not in params:
        options["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in params:
        options["application_name"] = "relgraph"
    try:
        return psycopg.connect(target.conninfo, autocommit=False, **options)
    except psycopg.Error as error:
        raise SourceError(_connect_message(target, error)) from None


@contextmanager
def _read_only_session(target: PostgresTarget) -> Iterator[psycopg.Connection]:
    """A connection inside one read-only, repeatable-read transaction, in UTC.

    The transaction is rolled back on exit; errors of the server become
    :class:`SourceError` naming the server, never the password.
    """
    conn = connect(target)
    try:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.execute("SET DateStyle = 'ISO, YMD'")
            conn.execute("SET IntervalStyle = 'iso_8601'")
            conn.execute("SET extra_float_digits = 3")
        except psycopg.Error as error:
            raise SourceError(_query_message(target, "prepare the session", error)) from None
        yield conn
    finally:
        try:
            conn.rollback()
        except psycopg.Error:
            pass  # a broken connection has nothing to roll back
        finally:
            conn.close()


def _connect_message(target: PostgresTarget, error: psycopg.Error) -> str:
    reason = server_reason(target, error)
    where = target.address
    lowered = reason.lower()
    if "database" in lowered and "does not exist" in lowered:
        return (
            f"database {target.dbname!r} does not exist on PostgreSQL server "
            f"{target.host}:{target.port} ({reason}). Check the database name in the URL "
            f"(list them with: psql -h {target.host} -p {target.port} -U {target.user} -l)."
        )
    login = (
        "password authentication failed",
        "no password supplied",
        "authentication failed",
        "role",
        "pg_hba.conf",
        "permission denied",
    )
    if any(word in lowered for word in login):
        return (
            f"cannot log in to {where} as user {target.user!r} ({reason}). Check the user "
            "name and password in the URL (postgresql://user:password@host:port/db), "
            "PGPASSWORD or ~/.pgpass, and that the server's pg_hba.conf admits this user."
        )
    unreachable = (
        "connection refused",
        "could not connect",
        "timeout expired",
        "failed to resolve host",
        "could not translate host name",
        "no route to host",
        "network is unreachable",
        "connection timed out",
        "is the server running",
    )
    if any(word in lowered for word in unreachable):
        return (
            f"cannot reach PostgreSQL server at {target.host}:{target.port} for database "
            f"{target.dbname!r} ({reason}). Check that the server is running and accepts "
            "TCP/IP connections there, and the host and port in the URL."
        )
    return f"cannot connect to {where} as user {target.user!r} ({reason}). Check the URL."


def server_reason(target: PostgresTarget, error: psycopg.Error) -> str:
    """The server's or libpq's own words, without the prefix psycopg adds."""
    text = str(error).strip()
    text = re.sub(r"^connection failed:\s*", "", text)
    text = re.sub(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed:\s*', "", text)
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text)
    text = " ".join(text.split())
    return target.redact(text)


def _query_message(target: PostgresTarget, doing: str, error: psycopg.Error) -> str:
    reason = server_reason(target, error)
    message = f"cannot {doing} in {target.description}: {reason}."
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        message += (
            f" Grant read access to user {target.user!r}, e.g. GRANT USAGE ON SCHEMA "
            f"{target.schema} TO ...; GRANT SELECT ON ALL TABLES IN SCHEMA {target.schema} TO ..."
        )
    return message


def _fetch(
    conn: psycopg.Connection,
    target: PostgresTarget,
    doing: str,
    query: str | sql.Composable,
    params: tuple[object, ...] = (),
) -> list[tuple]:
    """Run a catalog query; a server error becomes a :class:`SourceError`."""
    try:
        return conn.execute(query, params).fetchall()
    except psycopg.Error as error:
        raise SourceError(_query_message(target, doing, error)) from None


def _schema_oid(conn: psycopg.Connection, target: PostgresTarget) -> int:
    rows = _fetch(
        conn,
        target,
        "look up the schema",
        "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s",
        (target.schema,),
    )
    if rows:
        return rows[0][0]
    names = [
        row[0]
        for row in _fetch(
            conn,
            target,
            "list schemas",
            "SELECT nspname FROM pg_catalog.pg_namespace "
            "WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname",
        )
    ]
    raise SourceError(
        f"schema {target.schema!r} not found in {target.address}; its schemas are: "
        f"{', '.join(names) or '(none)'}. Pick one with ?schema=NAME in the URL or "
        "schema=... in the call."
    )


def _list_tables(
    conn: psycopg.Connection, target: PostgresTarget, namespace: int
) -> dict[str, tuple[int, str | None]]:
    """Base tables (plain and partitioned, not partitions), name -> (oid, comment),
    in name order."""
    rows = _fetch(
        conn,
        target,
        "list tables",
        "SELECT relname, oid, obj_description(oid, 'pg_class') FROM pg_catalog.pg_class "
        "WHERE relnamespace = %s AND relkind IN ('r', 'p') AND NOT relispartition "
        "ORDER BY relname",
        (namespace,),
    )
    return {name: (oid, comment) for name, oid, comment in rows}


def _list_columns(
    conn: psycopg.Connection, target: PostgresTarget, oids: list[int]
) -> dict[int, list[_Column]]:
    rows = _fetch(
        conn,
        target,
        "list columns",
        "SELECT a.attrelid, a.attname, base.typname "
        "FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "JOIN pg_catalog.pg_type base "
        "  ON base.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END "
        "WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attrelid, a.attnum",
        (oids,),
    )
    columns: dict[int, list[_Column]] = {}
    for oid, name, base_type in rows:
        columns.setdefault(oid, []).append(_Column(name, base_type))
    return columns


def _select_list(columns: list[_Column], finite_only: bool) -> sql.Composed:
    items = []
    for column in columns:
        ident = sql.Identifier(column.name)
        expr: sql.Composable = ident
        if column.base_type not in ARROW_TYPES:
            expr = sql.SQL("{}::text").format(ident)
        elif column.base_type == "timestamptz":
            expr = sql.SQL("({} AT TIME ZONE 'UTC')").format(ident)
        if finite_only and column.base_type in _TEMPORAL:
            expr = sql.SQL("CASE WHEN isfinite({}) THEN {} END").format(ident, expr)
        items.append(sql.SQL("{} AS {}").format(expr, ident))
    return sql.SQL(", ").join(items)


def _read_table(
    conn: psycopg.Connection,
    target: PostgresTarget,
    table: str,
    columns: list[_Column],
    warnings: list[str],
) -> pa.Table:
    """One table as Arrow, with the types of :data:`ARROW_TYPES`.

    ``infinity`` dates and timestamps have no Arrow value: when the first read
    meets one, the table is read again with them as NULL, and a warning names
    the columns that had them.
    """
    try:
        return _copy_table(conn, target, table, columns, finite_only=False)
    except pa.ArrowInvalid as error:
        temporal = [c for c in columns if c.base_type in _TEMPORAL]
        if not ("infinity" in str(error).lower() and temporal):
            column = _failed_column(error, columns)
            raise SourceError(_conversion_message(target, table, column, error)) from None
    try:
        arrow = _copy_table(conn, target, table, columns, finite_only=True)
    except pa.ArrowInvalid as error:
        column = _failed_column(error, columns)
        raise SourceError(_conversion_message(target, table, column, error)) from None
    infinite = _columns_with_infinity(conn, target, table, temporal)
    warnings.append(
        f"table {target.schema}.{table} has infinite dates or timestamps in "
        f"{', '.join(infinite)}; they were read as NULL"
    )
    return arrow


def _columns_with_infinity(
    conn: psycopg.Connection, target: PostgresTarget, table: str, temporal: list[_Column]
) -> list[str]:
    """The names of the columns of ``temporal`` holding ``infinity`` or ``-infinity``."""
    checks = sql.SQL(", ").join(
        sql.SQL("coalesce(bool_or(NOT isfinite({})), false)").format(sql.Identifier(c.name))
        for c in temporal
    )
    query = sql.SQL("SELECT {} FROM {}").format(checks, sql.Identifier(target.schema, table))
    flags = _fetch(conn, target, f"read table {target.schema}.{table}", query)[0]
    return [column.name for column, flag in zip(temporal, flags, strict=True) if flag]


def _copy_table(
    conn: psycopg.Connection,
    target: PostgresTarget,
    table: str,
    columns: list[_Column],
    finite_only: bool,
) -> pa.Table:
    query = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv)").format(
        _select_list(columns, finite_only), sql.Identifier(target.schema, table)
    )
    buffer = io.BytesIO()
    try:
        with conn.cursor() as cursor, cursor.copy(query) as copy:
            for chunk in copy:
                buffer.write(chunk)
    except psycopg.Error as error:
        raise SourceError(
            _query_message(target, f"read table {target.schema}.{table}", error)
        ) from None
    names = [c.name for c in columns]
    types = {c.name: c.arrow_type for c in columns}
    if buffer.tell() == 0:
        return pa.table({name: pa.array([], type=types[name]) for name in names})
    buffer.seek(0)
    return pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(
            column_names=names, autogenerate_column_names=False, block_size=1 << 24
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            # COPY writes NULL as an unquoted empty field and '' as "".
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )


def _failed_column(error: pa.ArrowInvalid, columns: list[_Column]) -> _Column | None:
    match = re.search(r"column #(\d+)", str(error))
    if match and int(match.group(1)) < len(columns):
        return columns[int(match.group(1))]
    return None


def _conversion_message(
    target: PostgresTarget, table: str, column: _Column | None, error: pa.ArrowInvalid
) -> str:
    where = f"{target.schema}.{table}" + (f".{column.name}" if column else "")
    kind = f" ({column.base_type})" if column else ""
    return (
        f"cannot convert column {where}{kind} of {target.address}: {error}. "
        "Values such as BC dates have no Arrow equivalent; cast or clean that column "
        "in a copy of the table."
    )


def _read_constraints(
    conn: psycopg.Connection, target: PostgresTarget, namespace: int, declared: Declared
) -> None:
    """Declared primary and foreign keys of the tables read into ``declared``."""
    schema = target.schema
    rows = _fetch(
        conn,
        target,
        "read primary and foreign keys",
        "SELECT con.contype, src.relname, dst.relname, dst_ns.nspname, "
        "  ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n) "
        "        JOIN pg_catalog.pg_attribute a "
        "          ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.n), "
        "  ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n) "
        "        JOIN pg_catalog.pg_attribute a "
        "          ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.n) "
        "FROM pg_catalog.pg_constraint con "
        "JOIN pg_catalog.pg_class src ON src.oid = con.conrelid "
        "LEFT JOIN pg_catalog.pg_class dst ON dst.oid = con.confrelid "
        "LEFT JOIN pg_catalog.pg_namespace dst_ns ON dst_ns.oid = dst.relnamespace "
        "WHERE con.contype IN ('p', 'f') AND con.conparentid = 0 "
        "  AND src.relnamespace = %s "
        "ORDER BY src.relname, con.contype DESC, con.conkey, con.conname",
        (namespace,),
    )
    tables = set(declared.tables)
    for kind, src, dst, dst_schema, src_cols, dst_cols in rows:
        if src not in tables:
            continue
        if kind == "p":
            declared.add_primary_key(src, list(src_cols))
            continue
        if dst_schema != schema or dst not in tables:
            declared.warnings.append(
                f"foreign key {schema}.{src}({', '.join(src_cols)}) -> "
                f"{dst_schema}.{dst}({', '.join(dst_cols)}) leaves the tables read from "
                f"schema {schema}; ignored"
            )
        else:
            declared.add_foreign_key(src, list(src_cols), dst, list(dst_cols))
