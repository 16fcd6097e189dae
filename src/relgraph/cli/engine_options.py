"""The ``--engine`` options shared by ``labels``, ``features`` and ``predict``:
where the SQL (and batch predictions) run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from relgraph.cli.common import err


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Where the SQL runs: duckdb (in this process) or spark (a Spark session; "
        "needs pip install 'relgraph[spark]' and Java 17+).",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master for --engine spark: local[2] (default), spark://host:7077, yarn...",
    ),
]
SparkRemoteOption = Annotated[
    str | None,
    typer.Option("--spark-remote", help="A Spark Connect server instead, e.g. sc://host:15002."),
]
ParquetDirOption = Annotated[
    str | None,
    typer.Option(
        "--parquet-dir",
        help="For --engine spark: one Parquet folder per table (DIR/<table>/); a local DIR "
        "gets the missing tables written first. Needed on a cluster (e.g. s3://bucket/shop/).",
    ),
]


@contextlib.contextmanager
def engine_for(
    db: Any,
    engine: EngineName,
    master: str | None,
    remote: str | None,
    parquet_dir: str | Path | None,
) -> Iterator[Any]:
    """The engine the options name, reading ``db``'s tables (see
    :func:`relgraph.engines.open_engine`); Spark options without
    ``--engine spark`` are a usage error."""
    from relgraph.engines import open_engine

    if engine is EngineName.duckdb and (master or remote or parquet_dir):
        raise typer.BadParameter(
            "--spark-master, --spark-remote and --parquet-dir need --engine spark",
            param_hint="--engine",
        )
    if master and remote:
        raise typer.BadParameter("give --spark-master or --spark-remote, not both")
    if engine is EngineName.spark:
        err.print(f"starting Spark on {remote or master or 'local[2]'}")
    with open_engine(
        db, engine.value, master=master, remote=remote, parquet_dir=parquet_dir
    ) as opened:
        yield opened
