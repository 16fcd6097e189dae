"""The default engine: a DuckDB connection (relgraph's working store).

Example:
    >>> import duckdb, pandas as pd
    >>> engine = DuckDBEngine(duckdb.connect())
    >>> engine.register_frame("t", pd.DataFrame({"x": [1, 2, 3]}))
    >>> engine.fetch("SELECT max(x) AS m FROM t")["m"].tolist()
    [3]
    >>> engine.drop("t"); engine.has_table("t")
    False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sqlglot import exp

from relgraph.engines.base import Engine, Query

__all__ = ["DuckDBEngine"]


def _name(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def _path(path: str | Path) -> str:
    return exp.Literal.string(str(path)).sql(dialect="duckdb")


class DuckDBEngine(Engine):
    """Runs SQL on a DuckDB connection, as relgraph always has.

    Args:
        con (duckdb.DuckDBPyConnection): the connection (``db.con`` of a
            :class:`~relgraph.db.database.Database`).
    """

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._frames: set[str] = set()
        self._tables: set[str] = set()
        self._views: set[str] = set()

    def __repr__(self) -> str:
        return "DuckDBEngine()"

    def _fetch(self, sql: str) -> pd.DataFrame:
        with self._quiet():
            return self.con.execute(sql).df()

    def fetch_arrays(self, query: Query, read: str = "duckdb") -> dict[str, np.ndarray]:
        """Run ``query`` and return each column as a numpy array (a masked
        array where it has NULLs), without building a pandas frame: for a few
        thousand rows the frame costs more than the query."""
        with self._quiet():
            return self.con.execute(self.sql_text(query, read)).fetchnumpy()

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        # DuckDB's progress bar would print to stdout, where CLI results go.
        before = self.con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]
        if before:
            self.con.execute("SET enable_progress_bar = false")
        try:
            yield
        finally:
            if before:
                self.con.execute("SET enable_progress_bar = true")

    def _execute(self, sql: str) -> None:
        self.con.execute(sql)

    def _write_parquet(self, sql: str, path: str) -> None:
        self.con.execute(f"COPY ({sql}) TO {_path(path)} (FORMAT PARQUET)")

    def _materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_name(name)} AS {sql}")
        self._tables.add(name)

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)
        self._frames.add(name)

    def register_parquet(self, name: str, path: str | Path) -> None:
        path = Path(path)
        files = path / "*.parquet" if path.is_dir() else path
        source = f"read_parquet({_path(files)})"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {_name(name)} AS SELECT * FROM {source}")
        self._views.add(name)

    def drop(self, name: str) -> None:
        if name in self._frames:
            self.con.unregister(name)
            self._frames.discard(name)
        if name in self._tables:
            self.con.execute(f"DROP TABLE IF EXISTS {_name(name)}")
            self._tables.discard(name)
        if name in self._views:
            self.con.execute(f"DROP VIEW IF EXISTS {_name(name)}")
            self._views.discard(name)

    def has_table(self, name: str) -> bool:
        try:
            self.con.execute(f"SELECT * FROM {_name(name)} LIMIT 0")
        except duckdb.CatalogException:
            return False
        return True
