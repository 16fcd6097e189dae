"""A task's labelled examples computed on an engine: the same SQL as
:meth:`relgraph.Task.table`, run where the data are.

The query is checked and compiled as usual (the task's database gives the
schema); only the SQL's execution moves. The engine must read the task's
tables under their names: for Spark, the Parquet folders of
:func:`~relgraph.engines.tables.export_parquet`, or tables of the session
catalog (:meth:`~relgraph.engines.spark_engine.SparkEngine.register_table`).

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> from relgraph.engines import DuckDBEngine
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> task = rg.Task.from_query(
    ...     db, "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.customer_id")
    >>> table = task_table(task, DuckDBEngine(db.con), "val")
    >>> table.equals(task.table("val"))
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from relgraph.engines.base import Engine
from relgraph.errors import PQLError
from relgraph.pql.compiler import compile_entity_anchored
from relgraph.pql.splits import SPLITS, key_split
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

__all__ = ["task_table", "task_table_at"]


def task_table(task: Task, engine: Engine, split: str) -> pd.DataFrame:
    """The labelled examples of ``split`` computed by ``engine``: equal to
    ``task.table(split)`` (same rows, order and dtypes).

    Args:
        task (Task): the task (its splits are fixed from its database).
        engine (Engine): where the SQL runs.
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Raises:
        PQLError: an unknown split.
    """
    if split not in SPLITS:
        raise PQLError(f"Unknown split {split!r}; expected one of {', '.join(SPLITS)}.")
    since = {"train": None, "val": task.val_time, "test": task.test_time}[split]
    if task.splits_by_key:
        every = task_table_at(task, engine, [task.latest])
        keep = key_split(every[task.entity_key]) == split
        return every[keep].reset_index(drop=True)
    if task.anchor == "entity":
        (cutoff,) = task.anchor_times(split)
        query = compile_entity_anchored(task.checked, since, cutoff)
        return _finish(task, engine.fetch(query))
    return task_table_at(task, engine, task.anchor_times(split), since=since)


def task_table_at(
    task: Task, engine: Engine, anchor_times: Iterable[Any], since: Any = None
) -> pd.DataFrame:
    """The labelled examples at ``anchor_times`` computed by ``engine``: equal
    to ``task.table_at(anchor_times, since)``."""
    anchors = list(anchor_times) if not isinstance(anchor_times, str) else [anchor_times]
    if not anchors:
        return task.table_at([])
    sql = task.sql(anchors, dialect="duckdb", pretty=False, since=since)
    return _finish(task, engine.fetch(sql))


def _finish(task: Task, frame: pd.DataFrame) -> pd.DataFrame:
    """The dtypes ``Task.table`` gives, whatever the engine returned."""
    frame.columns = [task.entity_key, "anchor_time", "label"]
    if task.task_type is TaskType.binary_classification:
        frame["label"] = frame["label"].astype("int64")
    elif task.task_type is TaskType.regression:
        frame["label"] = frame["label"].astype("float64")
    elif task.task_type is TaskType.link_prediction:
        frame["label"] = [sorted(x.tolist() if hasattr(x, "tolist") else x) for x in frame["label"]]
    if frame["anchor_time"].dtype != "datetime64[us]":
        frame["anchor_time"] = frame["anchor_time"].astype("datetime64[us]")
    return frame.reset_index(drop=True)
