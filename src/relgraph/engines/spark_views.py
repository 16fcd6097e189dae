"""Temporary views that a lazy Spark result reads, kept until it is written.

A DataFrame built with ``spark.sql`` over a temporary view may read the view
again whenever it runs (Spark Connect analyses the plan on the server at each
action), so the views must outlive the DataFrame's last use. Each name gets a
random suffix, so that two results built on one session never share a view.

Example (a session is a JVM; see :func:`relgraph.engines.local_spark`)::

    from relgraph.engines import SparkEngine, TempViews
    engine = SparkEngine(spark)
    with TempViews(engine) as views:
        name = views.register("__rg_entities", entities)     # '__rg_entities_3f9c...'
        frame = engine.dataframe(f"SELECT count(*) AS n FROM {name}")
        frame.write.parquet("counts/")
    # the views are dropped here
"""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any

from relgraph.engines.spark_engine import SparkEngine

__all__ = ["TempViews"]


class TempViews:
    """The temporary views of one lazy result on a :class:`SparkEngine`.

    Args:
        engine (SparkEngine): registers the views (zoned times become naive
            UTC, as :meth:`SparkEngine.register_dataframe` does).
    """

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine
        self.names: list[str] = []

    def register(self, stem: str, frame: Any) -> str:
        """Register the Spark DataFrame ``frame`` as a view named ``stem``
        plus a random suffix; returns the name (plain identifier characters)."""
        name = f"{stem}_{uuid.uuid4().hex[:16]}"
        self.engine.register_dataframe(name, frame)
        self.names.append(name)
        return name

    def table(self, name: str) -> Any:
        """The view ``name`` as a Spark DataFrame (as registered: naive times)."""
        return self.engine.spark.table(name)

    def drop(self) -> None:
        """Drop every view registered so far."""
        while self.names:
            self.engine.drop(self.names.pop())

    def __enter__(self) -> TempViews:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.drop()
