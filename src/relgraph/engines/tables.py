"""Moving a database's tables to where an engine reads them: one Parquet
folder per table, registered by the table's name.

Example:
    >>> import tempfile, relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.01, seed=0))
    >>> folders = export_parquet(db, tempfile.mkdtemp())
    >>> sorted(folders)[:2], folders["orders"].name
    (['customers', 'order_items'], 'orders')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlglot import exp

from relgraph.engines.base import Engine

__all__ = ["export_parquet", "register_parquet_tables", "table_folder_name"]

#: File and folder names Spark and Hadoop skip when listing a folder.
_HIDDEN = re.compile(r"^[_.]")


def spark_path(path: str | Path) -> str:
    """``path`` as a Spark server reads or writes it: a local path made
    absolute (a Spark Connect server, a cluster's executors and their Python
    workers each have their own working directory); a URL (``s3://``,
    ``hdfs://``, ``postgresql://``...) as given.

    Example:
        >>> import os
        >>> spark_path("shop.duckdb") == os.path.join(os.getcwd(), "shop.duckdb")
        True
        >>> spark_path("s3://bucket/shop/")
        's3://bucket/shop/'
    """
    local = local_path(path)
    return str(path) if local is None else str(local.expanduser().absolute())


def local_path(path: str | Path) -> Path | None:
    """``path`` as a local path (``file://`` dropped), or ``None`` for a URL
    (``s3://``, ``hdfs://``...).

    Example:
        >>> local_path("file:///tmp/shop"), local_path("s3://bucket/shop/")
        (PosixPath('/tmp/shop'), None)
    """
    text = str(path)
    if "://" in text and not text.startswith("file://"):
        return None
    return Path(text.removeprefix("file://"))


def table_folder_name(table: str) -> str:
    """A folder name for ``table`` that no reader skips.

    Example:
        >>> table_folder_name("orders"), table_folder_name("_meta")
        ('orders', 'table__meta')
    """
    safe = re.sub(r"[^\w.-]", "_", table)
    return f"table_{safe}" if _HIDDEN.match(safe) or not safe else safe


def export_parquet(
    db: Any, folder: str | Path, tables: Iterable[str] | None = None
) -> dict[str, Path]:
    """Write every table of ``db`` (as relgraph reads it: times in naive UTC,
    converted columns) to ``folder/<table>/part-00000.parquet``.

    Args:
        db (Database): the database (``relgraph.connect(...)``).
        folder (str | Path): where to write; created if missing.
        tables (list of str, optional): only these tables. (default: all)

    Returns:
        Table name -> its Parquet folder (pass it to :func:`register_parquet_tables`).
    """
    root = Path(folder)
    out: dict[str, Path] = {}
    for name in db.table_names if tables is None else list(tables):
        target = root / table_folder_name(name)
        if target in out.values():
            target = root / f"{table_folder_name(name)}_{len(out)}"
        target.mkdir(parents=True, exist_ok=True)
        select = exp.select("*").from_(exp.Table(this=exp.to_identifier(name, quoted=True)))
        path = exp.Literal.string(str(target / "part-00000.parquet"))
        db.con.execute(f"COPY ({select.sql('duckdb')}) TO {path.sql('duckdb')} (FORMAT PARQUET)")
        out[name] = target
    return out


def register_parquet_tables(engine: Engine, folders: dict[str, str | Path]) -> None:
    """Register each table's Parquet folder on ``engine`` under the table's name."""
    for name, path in folders.items():
        engine.register_parquet(name, path)
