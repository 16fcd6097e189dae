"""The engine contract: where relgraph's SQL runs.

relgraph writes its SQL with DuckDB's meaning (a ``TIMESTAMP`` is a naive UTC
time, ``date_diff`` counts whole units...). An :class:`Engine` takes that SQL,
as text or as a sqlglot expression, renders it in its own dialect, and runs
it: the result comes back as a pandas frame, or is written as Parquet where
it stays on the engine. Tables are registered by name (a pandas frame, a
Parquet folder) or already exist in the engine's catalog.

Example:
    >>> to_dialect("SELECT CAST('2024-01-01' AS TIMESTAMP) AS t", "spark")
    "SELECT CAST('2024-01-01' AS TIMESTAMP_NTZ) AS t"
    >>> from sqlglot import exp
    >>> to_dialect(exp.select("a").from_("t"), "duckdb")
    'SELECT a FROM t'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd
import sqlglot
from sqlglot import exp

__all__ = ["Engine", "Query", "to_dialect"]

#: SQL text, or a sqlglot expression (both read with DuckDB's meaning by default).
Query = str | exp.Expression


def to_dialect(query: Query, dialect: str, read: str = "duckdb") -> str:
    """``query`` as SQL text of ``dialect``.

    An expression is first rendered in ``read`` and parsed back: the builders
    leave some types open (``TIMESTAMP`` is zoned in Spark, naive in DuckDB),
    and relgraph's trees mean what they mean in DuckDB.

    Args:
        query (str | Expression): the SQL.
        dialect (str): the sqlglot dialect to write (``"duckdb"``, ``"spark"``...).
        read (str): the dialect ``query`` is written in. (default: ``"duckdb"``)
    """
    text = query.sql(dialect=read) if isinstance(query, exp.Expression) else query
    if dialect == read:
        return text
    statements = sqlglot.transpile(text, read=read, write=dialect)
    return ";\n".join(statements)


class Engine(ABC):
    """Runs relgraph's SQL on one backend (see :class:`DuckDBEngine`, :class:`SparkEngine`).

    Subclasses say what their dialect is and how to run text in it; the base
    translates every query first (:func:`to_dialect`).

    Attributes:
        dialect (str): the sqlglot dialect the backend reads.
    """

    dialect: str = "duckdb"

    def sql_text(self, query: Query, read: str = "duckdb") -> str:
        """The text this engine runs for ``query`` (written in ``read``)."""
        return to_dialect(query, self.dialect, read)

    def fetch(self, query: Query, read: str = "duckdb") -> pd.DataFrame:
        """Run ``query`` and return its rows as a pandas frame (in its order)."""
        return self._fetch(self.sql_text(query, read))

    def execute(self, query: Query, read: str = "duckdb") -> None:
        """Run a statement whose result is not needed."""
        self._execute(self.sql_text(query, read))

    def write_parquet(self, query: Query, path: str | Path, read: str = "duckdb") -> None:
        """Write the rows of ``query`` as Parquet at ``path`` (a folder on Spark)."""
        self._write_parquet(self.sql_text(query, read), str(path))

    def materialize(self, name: str, query: Query, read: str = "duckdb") -> None:
        """Store the rows of ``query`` as a temporary table ``name`` (read many times)."""
        self._materialize(name, self.sql_text(query, read))

    @abstractmethod
    def _fetch(self, sql: str) -> pd.DataFrame: ...

    @abstractmethod
    def _execute(self, sql: str) -> None: ...

    @abstractmethod
    def _write_parquet(self, sql: str, path: str) -> None: ...

    @abstractmethod
    def _materialize(self, name: str, sql: str) -> None: ...

    @abstractmethod
    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas frame readable as table ``name`` (until :meth:`drop`)."""

    @abstractmethod
    def register_parquet(self, name: str, path: str | Path) -> None:
        """Make a Parquet file or folder readable as table ``name``."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget a table registered or materialized by this engine (no error if absent)."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether ``name`` can be read (registered, materialized or in the catalog)."""
