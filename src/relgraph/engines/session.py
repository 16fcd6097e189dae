"""Spark sessions set up the way relgraph reads data: a local one (for trying
it out, tests and benchmarks), a cluster's master, or Spark Connect.

Example::

    from relgraph.engines import local_spark, spark_session
    spark = local_spark(cores=2)                         # a JVM starts: 15-60 s
    spark = spark_session(master="spark://head:7077")    # a standalone cluster
    spark = spark_session(remote="sc://head:15002")      # Spark Connect (no local JVM)
    ...
    spark.stop()
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from relgraph.errors import RelgraphError

__all__ = [
    "SparkUnavailableError",
    "local_spark",
    "require_spark",
    "spark_missing",
    "spark_session",
]


class SparkUnavailableError(RelgraphError):
    """pyspark, or the Java it starts, is missing."""


#: What pyspark's Spark Connect client imports beyond pyspark (its ``connect``
#: extra): the package to install and the module that shows it is there.
CONNECT_CLIENT = (
    ("pyarrow", "pyarrow"),
    ("grpcio", "grpc"),
    ("grpcio-status", "grpc_status"),
    ("googleapis-common-protos", "google.rpc"),
    ("zstandard", "zstandard"),
)


def spark_missing(remote: bool = False) -> str | None:
    """Why a Spark session cannot start here, or ``None`` when it can.

    Args:
        remote (bool): for Spark Connect, which needs no local Java. (default: ``False``)

    Example:
        >>> spark_missing() is None or "pip install" in spark_missing() or "Java" in spark_missing()
        True
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'relgraph[spark]'"
    if remote:
        absent = [package for package, module in CONNECT_CLIENT if not _importable(module)]
        if absent:
            return (
                f"the Spark Connect client needs {', '.join(absent)}: "
                "pip install 'pyspark[connect]' (relgraph[spark] has them)"
            )
        return None
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        return (
            "Java is not installed: Spark needs a JDK 17 or later on PATH or in JAVA_HOME "
            "(e.g. apt-get install openjdk-17-jre-headless)"
        )
    return None


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or blocked in sys.modules
        return False


def require_spark(remote: bool = False) -> None:
    """Raise :class:`SparkUnavailableError`, saying what to install, when a
    Spark session cannot start here (see :func:`spark_missing`)."""
    why = spark_missing(remote=remote)
    if why is not None:
        raise SparkUnavailableError(f"Spark cannot start: {why}.")


def _settings(shuffle_partitions: int, conf: dict[str, str] | None) -> dict[str, str]:
    return {
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        **(conf or {}),
    }


def spark_session(
    master: str | None = "local[2]",
    remote: str | None = None,
    shuffle_partitions: int | None = None,
    app_name: str = "relgraph",
    conf: dict[str, str] | None = None,
) -> Any:
    """A SparkSession on ``master`` (``local[2]``, ``spark://host:7077``,
    ``yarn``, ``k8s://...``) or on a Spark Connect server at ``remote``, with
    the UTC time zone and Arrow transfers relgraph needs.

    Args:
        master (str, optional): the master URL, when ``remote`` is not given.
            (default: ``"local[2]"``)
        remote (str, optional): a Spark Connect URL, e.g. ``"sc://head:15002"``.
        shuffle_partitions (int, optional): ``spark.sql.shuffle.partitions``
            (default: the cores of a ``local[n]`` master, else Spark's own).
        app_name (str): the application's name. (default: ``"relgraph"``)
        conf (dict, optional): more settings, applied last.

    Raises:
        SparkUnavailableError: pyspark or Java is missing (the message says
            what to install).
    """
    require_spark(remote=remote is not None)
    from pyspark.sql import SparkSession

    if shuffle_partitions is None and master and master.startswith("local["):
        cores = master[len("local[") : -1]
        shuffle_partitions = int(cores) if cores.isdigit() else None
    settings = _settings(shuffle_partitions or 200, conf)
    if remote is not None:
        builder = SparkSession.builder.remote(remote)
        # a Connect server owns its UI and parallelism; only SQL settings travel
        settings = {k: v for k, v in settings.items() if k.startswith("spark.sql.")}
    else:
        master = master or "local[2]"
        builder = SparkSession.builder.master(master).appName(app_name)
        if master.startswith("local"):
            # local Python workers (mapInPandas) run this interpreter, which sees
            # relgraph, not whatever ``python3`` is first on PATH
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if remote is None:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def local_spark(
    cores: int = 2,
    shuffle_partitions: int | None = None,
    app_name: str = "relgraph",
    conf: dict[str, str] | None = None,
) -> Any:
    """A ``local[cores]`` SparkSession: UTC time zone, Arrow transfers, no web UI.

    Args:
        cores (int): worker threads. (default: 2)
        shuffle_partitions (int, optional): ``spark.sql.shuffle.partitions``;
            Spark's 200 is made for clusters and slows small local jobs
            several times over. (default: ``cores``)
        app_name (str): the application's name. (default: ``"relgraph"``)
        conf (dict, optional): more settings, applied last.

    Raises:
        SparkUnavailableError: pyspark or Java is missing.
    """
    return spark_session(f"local[{cores}]", None, shuffle_partitions or cores, app_name, conf)
