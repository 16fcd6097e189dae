"""Writing a dict of DataFrames to a DuckDB file, atomically."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
from sqlglot import exp

from relgraph.errors import SourceError

__all__ = ["write_duckdb"]

_VIEW = "__relgraph_demo_frame"


def _create_table_sql(name: str) -> str:
    """``CREATE TABLE "name" AS SELECT * FROM "<view>"``, identifiers quoted by sqlglot."""
    create = exp.Create(
        this=exp.Table(this=exp.to_identifier(name, quoted=True)),
        kind="TABLE",
        expression=exp.select("*").from_(exp.Table(this=exp.to_identifier(_VIEW, quoted=True))),
    )
    return create.sql(dialect="duckdb")


def _with_microsecond_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Naive datetime columns as ``datetime64[us]``, so that DuckDB stores ``TIMESTAMP``.

    DuckDB maps ``datetime64[s]``, ``[ms]`` and ``[ns]`` to ``TIMESTAMP_S``,
    ``TIMESTAMP_MS`` and ``TIMESTAMP_NS``.
    """
    to_cast = {
        column: "datetime64[us]"
        for column, dtype in frame.dtypes.items()
        if pd.api.types.is_datetime64_dtype(dtype) and dtype != "datetime64[us]"
    }
    return frame.astype(to_cast) if to_cast else frame


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def write_duckdb(
    tables: Mapping[str, pd.DataFrame], path: str | Path, overwrite: bool = False
) -> Path:
    """Write tables to a new DuckDB database file.

    Each DataFrame becomes a plain table of the same name (``CREATE TABLE ...
    AS SELECT``): no primary or foreign key constraints are declared, so that
    readers must infer the schema. Naive datetime columns are stored as
    ``TIMESTAMP``. The file is written under a temporary name in the same
    folder and renamed when complete, so a crash never leaves half a database
    at ``path``.

    Args:
        tables (Mapping[str, pandas.DataFrame]): Table name to its rows, e.g.
            the output of :func:`make_ecommerce`.
        path (str | pathlib.Path): The database file to create; missing parent
            folders are created.
        overwrite (bool): Replace ``path`` if it exists. (default: ``False``)

    Returns:
        pathlib.Path: ``path``.

    Raises:
        SourceError: If ``path`` exists and ``overwrite`` is false, if it is a
            folder, or if DuckDB cannot write the file.
        TypeError: If ``tables`` is not a mapping of names to DataFrames.
        ValueError: If ``tables`` is empty.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from relgraph.bench.demo import make_trials, write_duckdb
        >>> folder = Path(tempfile.mkdtemp())
        >>> write_duckdb(make_trials(scale=0.01), folder / "trials.duckdb").name
        'trials.duckdb'
    """
    if not isinstance(tables, Mapping):
        raise TypeError(
            f"Expected write_duckdb(tables=...) to be a dict of DataFrames "
            f"(got {type(tables).__name__})."
        )
    if not tables:
        raise ValueError("Expected write_duckdb(tables=...) to hold at least one table (got {}).")
    for name, frame in tables.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"Expected table names to be non-empty strings (got {name!r}).")
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"Expected table {name!r} to be a pandas DataFrame (got {type(frame).__name__})."
            )

    path = Path(path)
    if path.is_dir():
        raise SourceError(f"Cannot write a DuckDB database to {path}: it is a folder.")
    if path.exists() and not overwrite:
        raise SourceError(
            f"Refusing to overwrite {path}: the file exists. "
            "Pass overwrite=True (CLI: --overwrite) to replace it, or choose another path."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary_wal = temporary.with_name(temporary.name + ".wal")
    _remove(temporary, temporary_wal)
    try:
        connection = duckdb.connect(str(temporary))
        try:
            for name, frame in tables.items():
                connection.register(_VIEW, _with_microsecond_times(frame))
                connection.execute(_create_table_sql(name))
                connection.unregister(_VIEW)
        finally:
            connection.close()
        # A write-ahead log left by a crashed writer of the old file must not be
        # replayed onto the new one.
        _remove(path.with_name(path.name + ".wal"))
        os.replace(temporary, path)
    except (duckdb.Error, OSError) as error:
        _remove(temporary, temporary_wal)
        raise SourceError(f"Could not write the DuckDB database {path}: {error}") from error
    except BaseException:
        _remove(temporary, temporary_wal)
        raise
    return path
