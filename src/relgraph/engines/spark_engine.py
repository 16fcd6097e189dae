"""An engine on a Spark session: local, a cluster, or Spark Connect.

relgraph's times are naive UTC (``TIMESTAMP`` in DuckDB, ``TIMESTAMP_NTZ`` in
Spark); the SQL is rendered so that every literal and every interval reads
that way, whatever the session's time zone. A zoned Spark ``TIMESTAMP``
column is read as its UTC time, which needs the session time zone to be UTC
(``spark.sql.session.timeZone``); the engine says so instead of guessing.

Example (a session is a JVM; see :func:`relgraph.engines.local_spark`)::

    from relgraph.engines import SparkEngine, local_spark
    spark = local_spark()                       # or SparkSession.builder.remote("sc://host")
    engine = SparkEngine(spark)
    engine.register_parquet("orders", "s3://lake/shop/orders/")
    engine.register_table("customers", "crm.customers")    # from the session catalog
    engine.fetch("SELECT count(*) AS n FROM orders")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from relgraph.engines.base import Engine, Query
from relgraph.engines.tables import spark_path
from relgraph.errors import RelgraphError

__all__ = ["SparkEngine"]


class SparkEngine(Engine):
    """Runs relgraph's SQL on a given ``SparkSession`` (classic or Spark Connect).

    Only the DataFrame and SQL API is used (no ``SparkContext``), so a Spark
    Connect session works as a local one does. Results come back with
    ``toPandas`` (Arrow when the session enables it); :meth:`write_parquet`
    keeps them on the cluster.

    Args:
        spark (SparkSession): the session to run on; relgraph never stops it.
    """

    dialect = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._cached: dict[str, Any] = {}
        self._views: set[str] = set()

    def __repr__(self) -> str:
        return f"SparkEngine(spark {self.spark.version})"

    # ------------------------------------------------------------ running
    def dataframe(self, query: Query, read: str = "duckdb") -> Any:
        """The rows of ``query`` as a Spark DataFrame: nothing runs, nothing
        comes back to the driver (for steps that stay on Spark)."""
        return self.spark.sql(self.sql_text(query, read))

    def _fetch(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def _execute(self, sql: str) -> None:
        self.spark.sql(sql).collect()

    def _write_parquet(self, sql: str, path: str) -> None:
        self.spark.sql(sql).write.mode("overwrite").parquet(path)

    def _materialize(self, name: str, sql: str) -> None:
        # A cached DataFrame behind a temporary view: computed once, read from
        # memory, and bound to the plan (not to the names) it was made from, so
        # it outlives the tables it read.
        frame = self.spark.sql(sql).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame

    # ------------------------------------------------------------ tables
    def register_dataframe(self, name: str, frame: Any) -> None:
        """Make a Spark DataFrame readable as table ``name`` (a temporary view);
        zoned ``TIMESTAMP`` columns become their naive UTC time."""
        self._naive_utc(frame, name).createOrReplaceTempView(name)
        self._views.add(name)

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        # pandas' naive times arrive zoned, read in the session time zone:
        # under UTC, the cast back to TIMESTAMP_NTZ gives the same wall time.
        has_times = any(pd.api.types.is_datetime64_any_dtype(t) for t in frame.dtypes)
        if has_times:
            self._require_utc(f"the pandas frame {name!r}")
        self.register_dataframe(name, self.spark.createDataFrame(frame))

    def register_parquet(self, name: str, path: str | Path) -> None:
        self.register_dataframe(name, self.spark.read.parquet(spark_path(path)))

    def register_table(self, name: str, table: str) -> None:
        """Read ``table`` of the session catalog (``db.table``) as ``name``."""
        self.register_dataframe(name, self.spark.table(table))

    def drop(self, name: str) -> None:
        if name in self._cached:
            self._cached.pop(name).unpersist()
            self._views.add(name)
        if name in self._views:
            self.spark.catalog.dropTempView(name)
            self._views.discard(name)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    # ------------------------------------------------------------ times
    def _naive_utc(self, frame: Any, name: str) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql.types import TimestampNTZType, TimestampType

        zoned = [f.name for f in frame.schema.fields if isinstance(f.dataType, TimestampType)]
        if not zoned:
            return frame
        self._require_utc(f"{name} ({', '.join(zoned)})")
        columns = []
        for c in frame.columns:
            column = F.col("`" + c.replace("`", "``") + "`")
            columns.append(column.cast(TimestampNTZType()).alias(c) if c in zoned else column)
        return frame.select(*columns)

    def _require_utc(self, what: str) -> None:
        zone = self.spark.conf.get("spark.sql.session.timeZone")
        if zone not in ("UTC", "Etc/UTC", "GMT", "Z", "+00:00"):
            raise RelgraphError(
                f"{what} has zoned times, which relgraph reads as UTC, but the Spark session's "
                f"time zone is {zone!r}. Set spark.conf.set('spark.sql.session.timeZone', 'UTC') "
                "before registering it, or store the times as TIMESTAMP_NTZ in UTC."
            )
