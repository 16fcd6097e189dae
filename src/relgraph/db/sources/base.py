"""What every source loader hands back: the tables it registered in the
working DuckDB store, and the keys and links the source itself declares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa


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

    def add_primary_key(self, table: str, columns: list[str]) -> None:
        """Record a declared primary key; a composite one becomes a warning."""
        if len(columns) == 1:
            self.primary_keys[table] = columns[0]
        else:
            self.warnings.append(
                f"Composite primary key {table}({', '.join(columns)}) is not supported; "
                "relgraph infers a single-column key or numbers the rows."
            )

    def add_foreign_key(
        self, table: str, columns: list[str], ref_table: str, ref_columns: list[str]
    ) -> None:
        """Record a declared foreign key; a composite one becomes a warning."""
        if len(columns) == 1 and len(ref_columns) == 1:
            self.foreign_keys.append((table, columns[0], ref_table, ref_columns[0]))
        else:
            self.warnings.append(
                f"Composite foreign key {table}({', '.join(columns)}) -> "
                f"{ref_table}({', '.join(ref_columns)}) is not supported; link one column "
                f"with db.link('{table}.<column>', '{ref_table}.<key>')."
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
