"""What every source loader hands back: the tables it registered in the
working DuckDB store, and the keys and links the source itself declares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from relgraph.errors import SourceError


@dataclass
class Declared:
    """Keys, links and time columns a source declares (constraints, metadata).

    Declared facts are used as given; inference only fills what is missing.
    """

    tables: list[str] = field(default_factory=list)
    primary_keys: dict[str, str] = field(default_factory=dict)
    #: ``(src_table, src_column, dst_table, dst_column)``
    foreign_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    time_columns: dict[str, str | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    description: str = ""
    #: Keys of several columns: table -> its columns, in declared order.
    composite_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``(src_table, src_columns, dst_table, dst_columns)``, several columns each.
    composite_foreign_keys: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = field(
        default_factory=list
    )

    def add_primary_key(self, table: str, columns: list[str]) -> None:
        """Record a declared primary key of one or several columns."""
        if len(columns) == 1:
            self.primary_keys[table] = columns[0]
        elif columns:
            self.composite_keys[table] = tuple(columns)

    def add_foreign_key(
        self, table: str, columns: list[str], ref_table: str, ref_columns: list[str]
    ) -> None:
        """Record a declared foreign key of one or several columns."""
        if len(columns) == 1 and len(ref_columns) == 1:
            self.foreign_keys.append((table, columns[0], ref_table, ref_columns[0]))
        elif columns and len(columns) == len(ref_columns):
            self.composite_foreign_keys.append(
                (table, tuple(columns), ref_table, tuple(ref_columns))
            )
        else:
            self.warnings.append(
                f"Foreign key {table}({', '.join(columns)}) -> "
                f"{ref_table}({', '.join(ref_columns)}) does not name as many columns on "
                "both sides; it is ignored."
            )


#: How a table of predictions written back by relgraph is marked (its comment in
#: DuckDB and PostgreSQL, a comment inside its CREATE statement in SQLite).
PREDICTIONS_MARK = "relgraph predictions"


#: The SQLite form of the mark: the first thing inside the column list of the
#: CREATE statement SQLite keeps (SQLite has no table comments).
SQLITE_PREDICTIONS_MARK = f"/* {PREDICTIONS_MARK} */"
_SQLITE_MARKED = re.compile(
    r'\s*CREATE\s+TABLE\s+(?:"(?:[^"]|"")*"|[^\s(]+)\s*\(\s*' + re.escape(SQLITE_PREDICTIONS_MARK),
    re.IGNORECASE,
)


def is_predictions_table(comment: str | None) -> bool:
    """Whether a table's comment marks predictions relgraph wrote (the mark
    itself, or the mark, a colon and a note); loaders skip them, so a model
    never reads its own output. A comment that merely mentions the words is
    not a mark."""
    return comment is not None and (
        comment == PREDICTIONS_MARK or comment.startswith(PREDICTIONS_MARK + ":")
    )


def is_sqlite_predictions_table(create: str | None) -> bool:
    """Whether a SQLite ``CREATE TABLE`` statement carries the mark where
    relgraph writes it (right after the opening parenthesis)."""
    return create is not None and _SQLITE_MARKED.match(create) is not None


def skipped_predictions(table: str) -> str:
    """The warning a loader gives for a table of predictions it does not read."""
    return (
        f"table {table!r} holds predictions written by relgraph (--table) and was not read: "
        "a model must not learn from its own output. Read it directly with SQL."
    )


def unreadable_file(path: str | Path, engine: str, error: Exception) -> str:
    """The message for a database file its engine cannot read (a bad checksum,
    a truncated or foreign file): the file, and the engine's own words on one line."""
    said = " ".join(str(error).split()) or type(error).__name__
    return (
        f"{str(path)!r} is corrupted or not a {engine} database ({engine} says: {said}). "
        "Restore it from a backup, or give another file."
    )


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/PostgreSQL/SQLite SQL."""
    return '"' + name.replace('"', '""') + '"'


def register_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy an Arrow table into the working store as a real table ``name``."""
    view = "__relgraph_import"
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


#: URL schemes that name a database file (``duckdb:///shop.duckdb``).
FILE_URL_SCHEMES = ("duckdb", "sqlite")


def file_url_path(url: str) -> Path | None:
    """The file a ``duckdb://`` or ``sqlite://`` URL names; None for any other text.

    SQLAlchemy's convention: after the scheme's ``//`` comes an empty host and a
    ``/``, then the path, so three slashes give a path relative to the working
    directory and four an absolute one (``~`` is expanded).

    Raises:
        SourceError: the URL has a host part (``sqlite://data/shop.db``) or no
            path, or its relative path is missing where the absolute one exists
            (three slashes written for an absolute path).

    Example:
        >>> str(file_url_path("sqlite:///data/shop.db"))
        'data/shop.db'
        >>> str(file_url_path("duckdb:////srv/shop.duckdb"))
        '/srv/shop.duckdb'
        >>> file_url_path("shop.duckdb") is None
        True
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in FILE_URL_SCHEMES:
        return None
    how = (
        f"write {scheme}:///relative/path (three slashes: relative to the working directory) "
        f"or {scheme}:////absolute/path (four slashes)"
    )
    if not rest.startswith("/"):
        raise SourceError(f"{url!r} names a host, not a file; {how}.")
    if not rest[1:]:
        raise SourceError(f"{url!r} names no file; {how}.")
    path = Path(rest[1:]).expanduser()
    if not path.is_absolute() and not path.exists() and Path("/", path).exists():
        # Before SQLAlchemy's convention was followed, three slashes meant absolute.
        raise SourceError(
            f"{url!r} names {str(path)!r}, relative to the working directory, and there is "
            f"no such file; for the absolute path write {scheme}:///{Path('/', path)} "
            "(four slashes)."
        )
    return path
