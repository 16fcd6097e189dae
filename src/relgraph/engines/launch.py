"""Opening an engine by name, with the database's tables where it reads them:
what ``relgraph labels|features|predict --engine spark`` do.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> with open_engine(db) as engine:
    ...     int(engine.fetch("SELECT count(*) AS n FROM customers")["n"][0]) > 0
    True
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.session import require_spark, spark_session
from relgraph.engines.spark_engine import SparkEngine
from relgraph.engines.tables import export_parquet, local_path, table_folder_name
from relgraph.errors import RelgraphError

__all__ = ["ENGINE_NAMES", "open_engine", "parquet_tables"]

#: The names ``open_engine`` (and the CLI's ``--engine``) accept.
ENGINE_NAMES = ("duckdb", "spark")


def parquet_tables(db: Any, parquet_dir: str | Path) -> dict[str, str]:
    """Each table of ``db`` -> its folder under ``parquet_dir``
    (``parquet_dir/<table>/``, as :func:`export_parquet` writes them).

    A local ``parquet_dir`` gets the tables it lacks written from ``db`` first
    (those already there are read as they are: your lake's copy); a URL
    (``s3://``, ``hdfs://``...) must hold every table.
    """
    names = {name: table_folder_name(name) for name in db.table_names}
    root = local_path(parquet_dir)
    if root is None:
        url = str(parquet_dir).rstrip("/")
        return {name: f"{url}/{folder}" for name, folder in names.items()}
    missing = [n for n, folder in names.items() if not any((root / folder).glob("*.parquet"))]
    if missing:
        export_parquet(db, root, tables=missing)
    return {name: str(root / folder) for name, folder in names.items()}


@contextlib.contextmanager
def open_engine(
    db: Any,
    engine: str = "duckdb",
    *,
    master: str | None = None,
    remote: str | None = None,
    parquet_dir: str | Path | None = None,
    spark: Any = None,
) -> Iterator[Engine]:
    """An engine that reads ``db``'s tables under their names, closed on exit.

    ``"duckdb"`` is ``db``'s own connection. ``"spark"`` is a Spark session
    (``spark``, or one started on ``master``/``remote`` and stopped on exit)
    reading the tables from Parquet folders (:func:`parquet_tables`) as
    temporary views, dropped on exit; a local session without ``parquet_dir``
    gets them in a temporary folder. A session this process already runs is
    shared through ``newSession()`` (its own views are left alone).

    Args:
        db (Database): the database (its schema, and the data to export).
        engine (str): ``"duckdb"`` or ``"spark"``. (default: ``"duckdb"``)
        master (str, optional): a Spark master URL. (default: ``"local[2]"``)
        remote (str, optional): a Spark Connect URL (``sc://host:15002``).
        parquet_dir (str | Path, optional): the tables' Parquet folders, one per
            table; a cluster needs one that every executor reads.
        spark (SparkSession, optional): a session to use (not stopped on exit).

    Raises:
        RelgraphError: an unknown engine, or a cluster without ``parquet_dir``.
        SparkUnavailableError: pyspark or Java is missing.
    """
    if engine not in ENGINE_NAMES:
        expected = ", ".join(ENGINE_NAMES)
        raise RelgraphError(f"Unknown engine {engine!r}; expected one of {expected}.")
    if engine == "duckdb":
        yield DuckDBEngine(db.con)
        return
    if spark is not None:
        master, remote = spark.conf.get("spark.master", None), None
        master = master or "a Spark Connect session"
    local = remote is None and (master or "local").startswith("local")
    if parquet_dir is None and not local:
        where = f"--spark-remote {remote}" if remote else f"--spark-master {master}"
        raise RelgraphError(
            f"A Spark cluster ({where}) reads the tables from a folder every executor sees: "
            "pass --parquet-dir (parquet_dir=) on shared storage, e.g. s3://bucket/shop/ or "
            "hdfs:///shop/, holding one Parquet folder per table."
        )
    session, started = spark, False
    if session is None:
        require_spark(remote=remote is not None)
        before = _active_session() if remote is None else None
        if before is not None:
            # this process runs a session already: share its JVM, not its
            # temporary views, and leave it running
            session = before.newSession()
            session.conf.set("spark.sql.session.timeZone", "UTC")
            session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        else:
            session, started = spark_session(master or "local[2]", remote), True
    with contextlib.ExitStack() as stack:
        if started:
            stack.callback(session.stop)
        folder = parquet_dir
        if folder is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="relgraph-parquet-"))
        spark_engine = SparkEngine(session)
        for name, path in parquet_tables(db, folder).items():
            stack.callback(spark_engine.drop, name)
            spark_engine.register_parquet(name, path)
        yield spark_engine


def _active_session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()
