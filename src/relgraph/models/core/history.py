"""The entity's own past labels for a task, known at each example's anchor:
as rows (:func:`past_labels`, the history baseline's and the link models'
input) and as features (:func:`target_history`, the tabular models'). For a
row-level target (no time window, a column of the entity table) the history
is the table's earlier rows instead (:mod:`relgraph.features.earlier_rows`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.spark_views import TempViews
from relgraph.features import label_history_features, past_anchors
from relgraph.features.earlier_rows import MAX_PARENTS, earlier_rows_features, earlier_rows_spark
from relgraph.features.label_history import label_history_spark
from relgraph.pql.duration import calendar_step
from relgraph.pql.task import Task, target_columns
from relgraph.pql.task_type import TaskType

#: Past horizons whose labels count as the entity's history (as rows).
LOOKBACK = 12
#: Past horizons whose labels become history features.
HISTORY_WINDOWS = 24


def reads_earlier_rows(task: Task) -> bool:
    """Whether the task's history is the entity table's earlier rows: a
    condition or number without a time window, on the entity table's own
    columns only, over a timed entity table. A target on a linked table
    (``customers.segment FOR EACH orders``) is not one: the earlier rows of
    the same customer would carry the answer itself.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
        >>> amount = "PREDICT orders.amount FOR EACH orders.order_id"
        >>> reads_earlier_rows(rg.Task.from_query(db, amount))
        True
        >>> reads_earlier_rows(rg.Task.from_query(db, "PREDICT customers.segment = 'vip' "
        ...                                          "FOR EACH orders.order_id"))
        False
    """
    if task.horizon is not None or task.splits_by_key:
        return False
    if task.task_type not in (TaskType.binary_classification, TaskType.regression):
        return False
    table = task.db.schema.tables[task.entity_table]
    columns = target_columns(task.checked)
    return table.time_column is not None and all(t == task.entity_table for t, _ in columns)


def earlier_parents(task: Task) -> list[str]:
    """The entity table's link columns whose earlier rows are summarised on
    their own (:data:`~relgraph.features.earlier_rows.MAX_PARENTS` at most;
    not the key, not the target's columns)."""
    hidden = {c for _, c in target_columns(task.checked)}
    links = task.db.schema.links_from(task.entity_table)
    columns = [
        link.src_column
        for link in links
        if link.src_column != task.entity_key and link.src_column not in hidden
    ]
    return list(dict.fromkeys(columns))[:MAX_PARENTS]


def horizon_timedelta(task: Task) -> pd.Timedelta:
    """The task's step between anchors as a Timedelta (months as 30.44 days)."""
    if task.horizon is None:
        raise ValueError("A target without a time window has no horizon.")
    return pd.Timedelta(seconds=task.horizon.seconds)


def past_labels(
    task: Task, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
) -> pd.DataFrame:
    """For each example row (by position), its entity's labels at the last
    ``LOOKBACK`` anchors whose windows ended by the example's anchor (and by
    ``cutoff``). Columns: ``row``, ``anchor_time``, ``label``."""
    if task.horizon is None or examples.empty:
        return pd.DataFrame({"row": [], "anchor_time": [], "label": []})
    step = horizon_timedelta(task)
    anchors = past_anchors(examples["anchor_time"], step, LOOKBACK, earliest=task.earliest)
    if not anchors:
        return pd.DataFrame({"row": [], "anchor_time": [], "label": []})
    history = task.table_at(anchors)
    key = task.entity_key
    ex = pd.DataFrame(
        {
            "row": range(len(examples)),
            key: examples[key].to_numpy(),
            "t": pd.to_datetime(examples["anchor_time"]).to_numpy(),
        }
    )
    joined = ex.merge(history, on=key)
    step = calendar_step(step)  # the anchors past_anchors stepped back to
    known = joined["anchor_time"] + step <= joined["t"]
    recent = joined["anchor_time"] >= joined["t"] - LOOKBACK * step
    if cutoff is not None:
        known &= joined["anchor_time"] + step <= pd.Timestamp(cutoff)
    return joined.loc[known & recent, ["row", "anchor_time", "label"]].reset_index(drop=True)


def target_history(
    task: Task,
    examples: pd.DataFrame,
    cutoff: pd.Timestamp | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The target's own history at each example (``target.*`` columns of
    :func:`~relgraph.features.label_history_features`): the same query's
    labels at the last :data:`HISTORY_WINDOWS` earlier anchors, as far as they
    are known at the example's anchor (and by ``cutoff``). Indexed like ``examples``.

    ``engine`` runs the labels' and the features' SQL (default: DuckDB on the
    task's database); the result is the same.

    For a row-level target (:func:`reads_earlier_rows`): the entity table's
    earlier rows (:func:`~relgraph.features.earlier_rows.earlier_rows_features`).
    """
    # on the task's own connection: a new one costs ~0.1 s
    features_engine = engine or DuckDBEngine(task.db.con)
    if reads_earlier_rows(task):
        if engine is not None:  # another engine: its own tables, not cached
            history = task.table_at([task.latest], engine=engine)
        else:  # read once per task: a fit and its predictions ask several times
            history = task.labels_at_latest
        return earlier_rows_features(
            history,
            examples,
            task.entity_table,
            task.entity_key,
            earlier_parents(task),
            cutoff=cutoff,
            engine=features_engine,
        )
    horizon = horizon_timedelta(task)
    anchors = past_anchors(
        examples["anchor_time"], horizon, HISTORY_WINDOWS, earliest=task.earliest, season=True
    )
    if anchors:
        history = task.table_at(anchors, engine=engine)
    else:
        history = examples.iloc[:0].assign(label=0.0)
    return label_history_features(
        history,
        examples,
        task.entity_key,
        horizon,
        cutoff=cutoff,
        engine=features_engine,
    )


def target_history_spark(
    task: Task, examples: Any, views: TempViews, cutoff: pd.Timestamp | None = None
) -> Any:
    """:func:`target_history` on Spark: the same labels and features,
    computed by ``views.engine`` and kept there, as a Spark DataFrame of
    ``__ex_id`` and the ``target.*`` columns, one row per example.

    Only the distinct anchor times of ``examples`` come to the driver (one
    for a batch of predictions): they choose the past anchors to label.

    Args:
        task (Task): the query's task; its label SQL runs on ``views.engine``.
        examples (pyspark DataFrame): ``__ex_id``, ``__key`` and ``__t``, one
            row per example
            (:func:`~relgraph.engines.spark_examples.distinct_examples`).
        views (TempViews): keeps the inputs' views until the result is written.
        cutoff (Timestamp, optional): as for :func:`target_history`.

    Example (a session is a JVM)::

        with TempViews(engine) as views:
            rows = number_examples(views, entities, task.entity_key)
            history = target_history_spark(task, distinct_examples(rows), views)
            attach(rows, [history], task.entity_key).write.parquet("history/")
    """
    from pyspark.sql import functions as F

    key = task.entity_key
    if reads_earlier_rows(task):
        labels = views.engine.dataframe(task.sql([task.latest], pretty=False))
        history = labels.toDF(key, "anchor_time", "label")
        parents = earlier_parents(task)
        return earlier_rows_spark(
            history, examples, task.entity_table, key, views, parents, cutoff=cutoff
        )
    horizon = horizon_timedelta(task)
    times = examples.select("__t").distinct().toPandas()["__t"]
    anchors = past_anchors(times, horizon, HISTORY_WINDOWS, earliest=task.earliest, season=True)
    if anchors:
        labels = views.engine.dataframe(task.sql(anchors, pretty=False))
        history = labels.toDF(key, "anchor_time", "label")
    else:  # no earlier anchor: no history, as in target_history
        history = examples.select(
            F.col("__key").alias(key),
            F.col("__t").alias("anchor_time"),
            F.lit(None).cast("double").alias("label"),
        ).where(F.lit(False))
    return label_history_spark(history, examples, key, horizon, views, cutoff=cutoff)
