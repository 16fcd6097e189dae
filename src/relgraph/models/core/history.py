"""The entity's own past labels for a task, known at each example's anchor:
as rows (:func:`past_labels`, the history baseline's and the link models'
input) and as features (:func:`target_history`, the tabular models')."""

from __future__ import annotations

from typing import Any

import pandas as pd

from relgraph.engines.base import Engine
from relgraph.engines.spark_views import TempViews
from relgraph.features import label_history_features, past_anchors
from relgraph.features.label_history import label_history_spark
from relgraph.pql.duration import calendar_step
from relgraph.pql.task import Task

#: Past horizons whose labels count as the entity's history (as rows).
LOOKBACK = 12
#: Past horizons whose labels become history features.
HISTORY_WINDOWS = 24


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
    """
    horizon = horizon_timedelta(task)
    anchors = past_anchors(
        examples["anchor_time"], horizon, HISTORY_WINDOWS, earliest=task.earliest, season=True
    )
    if anchors:
        history = task.table_at(anchors, engine=engine)
    else:
        history = examples.iloc[:0].assign(label=0.0)
    return label_history_features(
        history, examples, task.entity_key, horizon, cutoff=cutoff, engine=engine
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

    horizon = horizon_timedelta(task)
    key = task.entity_key
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
