"""A local Spark session set up the way relgraph reads data (for trying it
out, tests and benchmarks; on a cluster, pass your own session).

Example::

    from relgraph.engines import local_spark
    spark = local_spark(cores=2)     # a JVM starts: 15-60 s
    ...
    spark.stop()
"""

from __future__ import annotations

from typing import Any

__all__ = ["local_spark"]


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
        ImportError: pyspark is not installed (``pip install relgraph[spark]``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "relgraph's Spark engine needs pyspark: pip install 'relgraph[spark]'"
        ) from error
    settings = {
        "spark.sql.shuffle.partitions": str(shuffle_partitions or cores),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        **(conf or {}),
    }
    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
