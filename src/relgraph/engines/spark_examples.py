"""Examples as a Spark DataFrame, with an id that is the same every time
the plan runs.

The feature SQL groups and joins on an example id (``__ex_id``). On DuckDB it
is the row's position in a pandas frame; on Spark a number such as
``monotonically_increasing_id`` may change when a partition is computed
again, so the id is the example itself: ``struct(key, t)``. Feature parts are
computed once per distinct example and joined back to every entity row
(:func:`attach`), so duplicate entity rows get equal features, as in
``FeaturePlan.transform``.

Example (a session is a JVM; see :func:`relgraph.engines.local_spark`)::

    with TempViews(engine) as views:
        rows = number_examples(views, entities, "customer_id")   # __ex_id, __key, __t
        unique = distinct_examples(rows)
        part = unique.selectExpr("__ex_id", "hour(__t) AS hour")
        attach(rows, [part], "customer_id").show()                # customer_id, anchor_time, hour
"""

from __future__ import annotations

from typing import Any

from relgraph.engines.spark_views import TempViews
from relgraph.errors import RelgraphError

__all__ = ["EXAMPLE_ID", "attach", "distinct_examples", "number_examples", "spark_column"]

#: The id column every feature part carries.
EXAMPLE_ID = "__ex_id"


def spark_column(name: str) -> Any:
    """A Spark column by its exact name (feature names hold dots, which a
    plain ``col`` reads as struct fields)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def number_examples(views: TempViews, entities: Any, key: str) -> Any:
    """Every row of ``entities`` (``key``, ``anchor_time``) as ``__ex_id``
    (``struct(key, t)``), ``__key`` and ``__t`` (a naive ``TIMESTAMP_NTZ``).

    Raises:
        RelgraphError: ``entities`` lacks ``key`` or ``anchor_time``.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType

    missing = {key, "anchor_time"} - set(entities.columns)
    if missing:
        raise RelgraphError(
            f"Examples need the columns {key!r} and 'anchor_time' (missing {sorted(missing)})."
        )
    # through a view: zoned times become naive UTC, as every engine reads them
    name = views.register(
        "__rg_entities", entities.select(spark_column(key), spark_column("anchor_time"))
    )
    rows = views.table(name).select(
        spark_column(key).alias("__key"),
        spark_column("anchor_time").cast(TimestampNTZType()).alias("__t"),
    )
    return rows.select(
        F.struct(F.col("__key").alias("key"), F.col("__t").alias("t")).alias(EXAMPLE_ID),
        "__key",
        "__t",
    )


def distinct_examples(rows: Any) -> Any:
    """Each example of :func:`number_examples`'s rows once."""
    return rows.dropDuplicates([EXAMPLE_ID])


def attach(rows: Any, parts: list[Any], key: str) -> Any:
    """The entity rows (``key``, ``anchor_time``) with the columns of each
    part (``__ex_id`` and features, one row per distinct example) beside
    them, in the parts' order."""
    out = rows.select(
        EXAMPLE_ID, spark_column("__key").alias(key), spark_column("__t").alias("anchor_time")
    )
    names = [key, "anchor_time"]
    for part in parts:
        out = out.join(part, EXAMPLE_ID, "left")
        names += [c for c in part.columns if c != EXAMPLE_ID]
    return out.select(*[spark_column(n) for n in names])
