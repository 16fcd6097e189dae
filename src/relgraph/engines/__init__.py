"""Where relgraph's SQL runs: DuckDB (the default) or a Spark session.

Labels (and relational features) are SQL written with DuckDB's meaning; an
engine renders it in its dialect and runs it. See docs/engines.md.

Example:
    >>> import duckdb
    >>> from relgraph.engines import DuckDBEngine
    >>> DuckDBEngine(duckdb.connect()).fetch("SELECT 1 + 1 AS two")["two"].tolist()
    [2]
"""

from relgraph.engines.base import Engine, Query, to_dialect
from relgraph.engines.batch import (
    PREDICTIONS_MARK,
    predict_on_spark,
    spark_entities,
    write_catalog_table,
)
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.labels import task_table, task_table_at
from relgraph.engines.launch import ENGINE_NAMES, open_engine, parquet_tables
from relgraph.engines.session import (
    SparkUnavailableError,
    local_spark,
    spark_missing,
    spark_session,
)
from relgraph.engines.spark_engine import SparkEngine
from relgraph.engines.spark_views import TempViews
from relgraph.engines.tables import export_parquet, register_parquet_tables, table_folder_name

__all__ = [
    "ENGINE_NAMES",
    "DuckDBEngine",
    "Engine",
    "Query",
    "SparkEngine",
    "SparkUnavailableError",
    "export_parquet",
    "local_spark",
    "open_engine",
    "parquet_tables",
    "PREDICTIONS_MARK",
    "predict_on_spark",
    "register_parquet_tables",
    "spark_entities",
    "write_catalog_table",
    "spark_missing",
    "spark_session",
    "table_folder_name",
    "TempViews",
    "task_table",
    "task_table_at",
    "to_dialect",
]
