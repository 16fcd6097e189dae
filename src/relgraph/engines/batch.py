"""Batch predictions on Spark: a fitted model run over entities partitioned
on the cluster, written as a Parquet folder, with no entity list on the driver.

How it works: the entities are a Spark DataFrame (:func:`spark_entities`
lists them with the query's own SQL, where the tables are). The model is
saved once to bytes on the driver and shipped with the task to every Python
worker; ``mapInPandas`` hands each worker its partitions' entities in Arrow
batches; the worker opens the database (``source``, as the driver did, with
the same schema options), loads the model once per partition and calls
``model.predict`` on each batch. The predictions go straight to Parquet, or
into a table of the session's catalog (:func:`write_catalog_table`).

What that assumes: every worker reads ``source`` (a DuckDB file on shared
storage, a PostgreSQL server it can reach...) and holds what the model's
features read for its entities, as one machine does today; the entity list
and the predictions are what scale out.

A ``gbdt`` model can do without that (``features="spark"``): its input
features are computed as a Spark DataFrame by the same SQL, on the tables
the engine reads, and the workers get only the boosters and the small
metadata (no task, no database) with ``mapInPandas`` over the feature rows.

Example (a session is a JVM; see :func:`relgraph.engines.local_spark`)::

    import relgraph as rg
    from relgraph.engines import local_spark, open_engine, predict_on_spark, spark_entities
    db = rg.connect("shop.duckdb")
    model = rg.load("churn.rg", db)
    spark = local_spark()
    with open_engine(db, "spark", spark=spark) as engine:
        entities = spark_entities(model.task_, engine, "2024-12-01")
        predict_on_spark(model, entities, "preds/", source="shop.duckdb")
"""

from __future__ import annotations

import copy
import itertools
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relgraph.engines.spark_engine import SparkEngine
from relgraph.engines.spark_examples import spark_column
from relgraph.engines.spark_views import TempViews
from relgraph.engines.tables import spark_path
from relgraph.errors import RelgraphError

__all__ = [
    "FEATURE_PLACES",
    "PREDICTIONS_MARK",
    "check_catalog_table",
    "predict_on_spark",
    "spark_entities",
    "write_catalog_table",
]

#: The table property that marks a catalog table as predictions relgraph
#: wrote: only such a table is ever replaced.
PREDICTIONS_MARK = "relgraph.predictions"
#: A catalog table name relgraph writes: ``name`` or ``database.name``, plain
#: identifiers (the name goes into DROP and ALTER statements).
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
#: Where a model's input features are computed (``predict_on_spark(features=)``):
#: by each worker from the source with DuckDB, or on Spark as a DataFrame.
FEATURE_PLACES = ("workers", "spark")


def spark_entities(task: Any, engine: SparkEngine, anchor_time: Any) -> Any:
    """The entities to predict at ``anchor_time`` as a Spark DataFrame
    (``<entity key>, anchor_time``): the rows of
    :meth:`Task.entities_at <relgraph.Task.entities_at>`, computed on Spark.

    Args:
        task (Task): the query's task (a fitted model's ``task_``).
        engine (SparkEngine): reads the task's tables under their names.
        anchor_time (str | Timestamp): the anchor time.
    """
    return engine.dataframe(task.entities_sql(anchor_time))


def predict_on_spark(
    model: Any,
    entities: Any,
    out: str | Path | None = None,
    *,
    source: str | Path | None = None,
    connect_options: dict[str, Any] | None = None,
    partitions: int | None = None,
    cutoff: pd.Timestamp | None = None,
    table: str | None = None,
    replace: bool = False,
    features: str = "workers",
    engine: SparkEngine | None = None,
) -> str:
    """Write ``model.predict`` of every row of ``entities`` as a Parquet folder
    (``out``) or a table of the session's catalog (``table``).

    The rows equal ``model.predict(entities)`` run in one process (same
    columns and values; row order follows the partitions).

    Where the features are computed (``features``):

    - ``"workers"`` (any model): each worker opens ``source`` and computes
      its entities' features with DuckDB, as ``model.predict`` does;
    - ``"spark"`` (``gbdt``): the features are a Spark DataFrame computed
      by ``engine`` from the tables it reads, and the workers get only the
      boosters and the small metadata: no worker reads the source.

    Example (``features="spark"``; a session is a JVM)::

        with open_engine(db, "spark", spark=spark, parquet_dir="s3://lake/shop/") as engine:
            entities = spark_entities(model.task_, engine, "2024-12-01")
            predict_on_spark(model, entities, "s3://lake/preds/", features="spark", engine=engine)

    Args:
        model (Model): a fitted model (``gbdt``, ``icl``, ``gnn``...; anything
            :meth:`~relgraph.models.core.base.Model.save` writes).
        entities (pyspark DataFrame): the entity key and ``anchor_time``
            columns (e.g. :func:`spark_entities`).
        out (str | Path, optional): the Parquet folder to write (replaced if present).
        source (str | Path, optional): the database, as every worker opens it
            (the ``relgraph.connect`` source the model's database came
            from); needed by ``features="workers"``.
        connect_options (dict, optional): ``relgraph.connect`` keywords
            (``schema=``, ``drop=``, ``missing=``): the same as the driver's, so
            that the schema, and the model's fit to it, are the same.
        partitions (int, optional): repartition the entities first (default:
            as they are).
        cutoff (Timestamp, optional): as for ``model.predict``.
        table (str, optional): instead of ``out``, this table of the catalog
            (``name`` or ``database.name``; see :func:`write_catalog_table`).
        replace (bool): let ``table`` replace a table of predictions relgraph
            wrote (never another table). (default: ``False``)
        features (str): ``"workers"`` or ``"spark"``, above. (default: ``"workers"``)
        engine (SparkEngine, optional): for ``features="spark"``: the engine
            that reads the model's tables under their names (``entities``'
            session).

    Returns:
        ``out`` (or ``table``) as a string.

    Raises:
        RelgraphError: not exactly one of ``out`` and ``table``; ``entities``
            lacks the key or ``anchor_time``, or is empty; ``table`` is taken
            (see :func:`write_catalog_table`), checked before any prediction;
            ``features`` unknown, without what it needs (``source``,
            ``engine``), or ``"spark"`` for a model other than ``gbdt``.
    """
    if (out is None) == (table is None):
        raise RelgraphError(
            "predict_on_spark writes a Parquet folder (out=) or a catalog table (table=): "
            "give one of them."
        )
    _check_feature_place(model, features, source, engine)
    if table is not None:  # before any work, so that none is lost to a taken name
        check_catalog_table(entities.sparkSession, table, replace)
    key = model.task_.entity_key
    missing = {key, "anchor_time"} - set(entities.columns)
    if missing:
        raise RelgraphError(
            f"entities need the columns {key!r} and 'anchor_time' (missing {sorted(missing)})."
        )
    entities = entities.select(key, "anchor_time")
    first = entities.limit(1).toPandas()  # one row: the output's Spark schema
    if first.empty:
        raise RelgraphError("No entities to predict: the entities DataFrame is empty.")
    if features == "spark":
        assert engine is not None
        with TempViews(engine) as views:  # the features' views live until written
            predictions = _spark_feature_predictions(
                model, entities, first, views, cutoff, partitions
            )
            return _write(predictions, out, table, replace)
    assert source is not None
    schema = _output_schema(entities.sparkSession, model.predict(first, cutoff=cutoff))
    with tempfile.TemporaryDirectory(prefix="relgraph-model-") as folder:
        model_bytes = model.save(Path(folder) / "model.rg").read_bytes()
    worker = partition_predictor(
        model_bytes, _worker_source(source), dict(connect_options or {}), key,
        schema.fieldNames(), cutoff,
    )  # fmt: skip
    if partitions is not None:
        entities = entities.repartition(partitions)
    predictions = entities.mapInPandas(worker, schema)
    return _write(predictions, out, table, replace)


def _write(predictions: Any, out: str | Path | None, table: str | None, replace: bool) -> str:
    if table is not None:
        write_catalog_table(predictions, table, replace)
        return table
    assert out is not None
    predictions.write.mode("overwrite").parquet(spark_path(out))
    return str(out)


def _check_feature_place(
    model: Any, features: str, source: str | Path | None, engine: SparkEngine | None
) -> None:
    if features not in FEATURE_PLACES:
        raise RelgraphError(
            f"features={features!r}: give 'workers' (each worker reads the source) or "
            "'spark' (the features are a Spark DataFrame; gbdt models)."
        )
    if features == "workers":
        if source is None:
            raise RelgraphError(
                "features='workers' opens the database on every worker: give source= "
                "(or features='spark' with engine= for a gbdt model)."
            )
        return
    if engine is None:
        raise RelgraphError(
            "features='spark' computes the features on Spark: give engine= (the "
            "SparkEngine that reads the model's tables, e.g. from open_engine)."
        )
    if not serves_spark_features(model):
        raise RelgraphError(
            f"features='spark' predicts gbdt models from features computed on Spark; this "
            f"{model.family} model ({model.task_.task_type}) is predicted by workers that open "
            "the source: predict_on_spark(model, entities, out, source=..., "
            "features='workers')."
        )


def serves_spark_features(model: Any) -> bool:
    """Whether ``model`` predicts from features computed on Spark: a fitted
    ``gbdt`` model whose task one booster set serves (not a forecast or a
    ranked category, which are several models)."""
    from relgraph.models.gbdt import GBDTModel

    return (
        isinstance(model, GBDTModel)
        and model.family == "gbdt"
        and hasattr(model, "task_")
        and not model.per_step
        and not model.by_labels
    )


@dataclass(frozen=True)
class TaskFacts:
    """What predicting from features reads of a task: its type and key (the
    task itself holds the database, which workers need not open)."""

    task_type: Any
    entity_key: str


def detached_model(model: Any) -> Any:
    """A copy of a gbdt model that predicts from features with no database:
    its boosters, feature names, classes and plan, and :class:`TaskFacts`
    for its task (small, and picklable to ship to workers)."""
    task = model.task_
    detached = copy.copy(model)
    detached.task_ = TaskFacts(task.task_type, task.entity_key)
    return detached


def _spark_feature_predictions(
    model: Any,
    entities: Any,
    first: pd.DataFrame,
    views: TempViews,
    cutoff: pd.Timestamp | None,
    partitions: int | None,
) -> Any:
    """The predictions of a gbdt model as a lazy Spark DataFrame: features
    on Spark, then the boosters over the feature rows."""
    key = model.task_.entity_key
    names = list(model.feature_names_)
    x = model.inputs_.spark_transform(model.task_, entities, views, cutoff)
    # plain names across mapInPandas: pyspark resolves each column by name,
    # and a feature name such as `reviews.text=Great..share.all` does not parse
    plain = [spark_column(n).alias(f"__f{i}") for i, n in enumerate(names)]
    x = x.select(spark_column(key).alias("__key"), spark_column("anchor_time").alias("__t"), *plain)
    if partitions is not None:
        x = x.repartition(partitions)
    detached = detached_model(model)
    # the output's schema from a row of missing features: no data needed
    blank = detached.predict_features(pd.DataFrame({n: [np.nan] for n in names}))
    sample = pd.concat([first[[key, "anchor_time"]], blank], axis=1)
    schema = _output_schema(entities.sparkSession, sample)
    return x.mapInPandas(feature_predictor(detached, key, schema.fieldNames()), schema)


def feature_predictor(
    model: Any, key: str, columns: list[str]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The function ``mapInPandas`` runs over feature rows (the key, the
    anchor time and the model's ``feature_names_``, in that order, under any
    names): ``model.predict_features`` of each Arrow batch, with ``key`` and
    ``anchor_time`` in front. ``model`` is a :func:`detached_model`; nothing
    else travels, and no database is opened."""
    names = [key, "anchor_time", *model.feature_names_]

    def predict_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if batch.empty:
                continue
            batch = batch.set_axis(names, axis=1)
            preds = model.predict_features(batch)
            front = batch[[key, "anchor_time"]].reset_index(drop=True)
            yield pd.concat([front, preds], axis=1)[columns]

    return predict_partition


def check_catalog_table(spark: Any, table: str, replace: bool) -> bool:
    """Whether ``table`` exists, after checking that relgraph may write it:
    a plain name, free, or (with ``replace``) a table of predictions
    relgraph wrote (marked by :data:`PREDICTIONS_MARK`).

    Raises:
        RelgraphError: the name is not ``name`` or ``database.name``; the
            table exists and ``replace`` is off, or it is not relgraph's.
    """
    if not _TABLE_NAME.match(table):
        raise RelgraphError(
            f"Catalog table {table!r}: give name or database.name (letters, digits, _)."
        )
    if not spark.catalog.tableExists(table):
        return False
    if not replace:
        raise RelgraphError(
            f"Table {table} exists already, and relgraph never overwrites a table unasked: "
            "choose another name, or pass replace=True (CLI: --replace) to replace a table "
            "of predictions relgraph wrote."
        )
    properties = spark.sql(f"SHOW TBLPROPERTIES {table}").toPandas()
    marked = properties.loc[properties["key"] == PREDICTIONS_MARK, "value"].tolist()
    if marked != ["true"]:
        raise RelgraphError(
            f"Table {table} was not written by relgraph (it has no {PREDICTIONS_MARK} "
            "property), so it is never replaced: choose another name."
        )
    return True


def write_catalog_table(predictions: Any, table: str, replace: bool = False) -> None:
    """Write a Spark DataFrame of predictions as ``table`` of its session's
    catalog (Parquet, marked with the :data:`PREDICTIONS_MARK` property).

    A new table is created in one statement (it appears whole or not at all).
    One to replace is written beside it first and swapped in only once
    written: if the predictions fail, the old table is still there.

    Raises:
        RelgraphError: as :func:`check_catalog_table`.
    """
    spark = predictions.sparkSession
    exists = check_catalog_table(spark, table, replace)
    target = f"{table}__relgraph_new_{uuid.uuid4().hex[:12]}" if exists else table
    writer = predictions.writeTo(target).using("parquet")
    writer.tableProperty(PREDICTIONS_MARK, "true").create()
    if exists:
        spark.sql(f"DROP TABLE {table}")
        # the new name keeps the table's database (a rename cannot move it)
        spark.sql(f"ALTER TABLE {target} RENAME TO {table}")


def _worker_source(source: str | Path) -> str:
    """The database as a worker opens it: a local file or folder by its
    absolute path (workers do not start in the caller's directory)."""
    return spark_path(source) if Path(str(source)).exists() else str(source)


def partition_predictor(
    model_bytes: bytes,
    source: str,
    connect_options: dict[str, Any],
    key: str,
    columns: list[str],
    cutoff: pd.Timestamp | None = None,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The function ``mapInPandas`` runs on each partition: open the database
    and load the model once, then predict batch by batch.

    Everything it needs travels in its closure (the model as bytes), so it
    works on a classic cluster and on Spark Connect alike.
    """

    def predict_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        batches = iter(batches)
        head = next(batches, None)
        if head is None:  # an empty partition opens nothing
            return
        model = _load_model(model_bytes, source, connect_options)
        for batch in itertools.chain([head], batches):
            if batch.empty:
                continue
            preds = model.predict(batch[[key, "anchor_time"]], cutoff=cutoff)
            yield preds[columns]

    return predict_partition


def _load_model(model_bytes: bytes, source: str, connect_options: dict[str, Any]) -> Any:
    from relgraph.db.database import connect
    from relgraph.models.registry import load

    db = connect(source, **connect_options)
    with tempfile.TemporaryDirectory(prefix="relgraph-model-") as folder:
        path = Path(folder) / "model.rg"
        path.write_bytes(model_bytes)
        return load(path, db)


def _output_schema(spark: Any, sample: pd.DataFrame) -> Any:
    """The Spark schema of ``model.predict``'s frame; times stay naive
    (``TIMESTAMP_NTZ``), as relgraph's are."""
    from pyspark.sql.types import StructField, StructType, TimestampNTZType, TimestampType

    fields = []
    for field in spark.createDataFrame(sample).schema.fields:
        if isinstance(field.dataType, TimestampType):
            field = StructField(field.name, TimestampNTZType(), field.nullable)
        fields.append(field)
    return StructType(fields)
