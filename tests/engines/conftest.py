"""A real Spark session for the engine tests, and the demos as Parquet folders.

``spark`` is one ``local[2]`` session for the whole run (a JVM takes 15-60 s
to start), stopped at the end. It skips, saying why, when pyspark or Java is
missing, except on CI (``CI=true``), where these tests must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, make_trials
from relgraph.engines import SparkEngine, export_parquet, local_spark, register_parquet_tables


def _missing() -> str | None:
    """Why Spark cannot start here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        return "Java is not installed (Spark needs a JDK 17+ on PATH or in JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A ``local[2]`` SparkSession (UTC, 2 shuffle partitions; catalog tables
    under a temporary folder, not the working directory), stopped at the end."""
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(f"Spark tests skipped: {why}")
    warehouse = str(tmp_path_factory.mktemp("spark_warehouse"))
    session = local_spark(
        cores=2,
        shuffle_partitions=2,
        app_name="relgraph-tests",
        conf={"spark.sql.warehouse.dir": warehouse},
    )
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def shop() -> rg.Database:
    """The e-commerce demo, small (about 500 customers, 20k rows)."""
    return rg.connect(make_ecommerce(scale=0.1, seed=0))


@pytest.fixture(scope="session")
def trials() -> rg.Database:
    """The clinical-trials demo, small (static targets)."""
    return rg.connect(make_trials(scale=0.2, seed=0))


def _engine_for(spark: Any, db: rg.Database, folder: Path) -> SparkEngine:
    engine = SparkEngine(spark)
    register_parquet_tables(engine, export_parquet(db, folder))
    return engine


@pytest.fixture(scope="session")
def shop_spark(
    spark: Any, shop: rg.Database, tmp_path_factory: pytest.TempPathFactory
) -> SparkEngine:
    """A Spark engine reading the shop's tables from Parquet folders."""
    return _engine_for(spark, shop, tmp_path_factory.mktemp("shop_parquet"))


@pytest.fixture(scope="session")
def trials_spark(
    spark: Any, trials: rg.Database, tmp_path_factory: pytest.TempPathFactory
) -> SparkEngine:
    """A Spark engine reading the trials' tables (the demos share no table
    name, so both register on one session)."""
    return _engine_for(spark, trials, tmp_path_factory.mktemp("trials_parquet"))
