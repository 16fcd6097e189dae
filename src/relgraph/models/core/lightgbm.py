"""LightGBM settings shared by the families that fit boosters (gbdt, icl and
its link ranker): reproducible runs, and the objective of each task type."""

from __future__ import annotations

from typing import Any

from relgraph.pql.task_type import TaskType

#: Same trees for the same data and seed, and no LightGBM output on the terminal.
REPRODUCIBLE: dict[str, Any] = {"deterministic": True, "verbose": -1}


def objective(
    task_type: TaskType,
    *,
    num_class: int | None = None,
    regression: str = "l1",
    with_metric: bool = False,
) -> dict[str, Any]:
    """LightGBM's objective (and, ``with_metric``, its early-stopping metric)
    for a task type; regression defaults to ``l1``, the median, which is what
    MAE rewards and robust to outliers.

    Example:
        >>> objective(TaskType.binary_classification, with_metric=True)
        {'objective': 'binary', 'metric': 'auc'}
        >>> objective(TaskType.multiclass_classification, num_class=3)
        {'objective': 'multiclass', 'num_class': 3}
    """
    if task_type is TaskType.binary_classification:
        params: dict[str, Any] = {"objective": "binary"}
        metric = "auc"
    elif task_type is TaskType.regression:
        params = {"objective": regression}
        metric = "l1"
    elif task_type is TaskType.multiclass_classification:
        params = {"objective": "multiclass", "num_class": num_class}
        metric = "multi_logloss"
    else:
        raise ValueError(f"LightGBM boosters here do not fit {task_type} targets.")
    if with_metric:
        params["metric"] = metric
    return params
