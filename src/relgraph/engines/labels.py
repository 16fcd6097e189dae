"""A task's labelled examples computed on an engine: the same SQL as
:meth:`relgraph.Task.table`, run where the data are.

The query is checked and compiled as usual (the task's database gives the
schema and the split times); only the SQL's execution moves. The engine must
read the task's tables under their names: for Spark, the Parquet folders of
:func:`~relgraph.engines.tables.export_parquet`, or tables of the session
catalog (:meth:`~relgraph.engines.spark_engine.SparkEngine.register_table`).
These are :meth:`Task.table` and :meth:`Task.table_at` with ``engine=``,
named for the engine side.

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
from typing import TYPE_CHECKING, Any

import pandas as pd

from relgraph.engines.base import Engine

if TYPE_CHECKING:  # relgraph.pql.task imports the engines at run time
    from relgraph.pql.task import Task

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
    return task.table(split, engine=engine)


def task_table_at(
    task: Task, engine: Engine, anchor_times: Iterable[Any], since: Any = None
) -> pd.DataFrame:
    """The labelled examples at ``anchor_times`` computed by ``engine``: equal
    to ``task.table_at(anchor_times, since)``."""
    return task.table_at(anchor_times, since, engine=engine)
