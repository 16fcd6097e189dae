"""Task types and their metrics (docs/pql.md, "One example per task type"), headline metric first.

Example:
    >>> TaskType.binary_classification.metrics()
    ['auroc', 'ap', 'accuracy', 'f1']
    >>> TaskType.link_prediction.metrics(k=10)
    ['map@10', 'precision@10', 'recall@10']
    >>> TaskType.multilabel_classification.metrics()[0]
    'macro_auroc'
    >>> TaskType.forecast.metrics(steps=2)
    ['mae', 'rmse', 'mae_step_1', 'mae_step_2']
    >>> TaskType.multilabel_ranking.metrics(k=5)
    ['map@5', 'precision@5', 'recall@5']
"""

from __future__ import annotations

from enum import StrEnum


class TaskType(StrEnum):
    """What a query's target asks for."""

    binary_classification = "binary_classification"
    regression = "regression"
    multiclass_classification = "multiclass_classification"
    link_prediction = "link_prediction"
    #: Which of a fixed set of keys occur in the window (``LIST_DISTINCT(...) CLASSIFY``).
    multilabel_classification = "multilabel_classification"
    #: A number in each of N consecutive windows (``... FORECAST N TIMEFRAMES``).
    forecast = "forecast"
    #: The ``k`` likeliest categories of a multicategorical column (``PREDICT
    #: articles.tags RANK TOP k``): ranked as link prediction is, over a fixed set.
    multilabel_ranking = "multilabel_ranking"

    def metrics(self, k: int | None = None, steps: int | None = None) -> list[str]:
        """Metric names, headline first (``k`` for link prediction, ``steps``
        for a forecast: its number of windows)."""
        if self is TaskType.binary_classification:
            return ["auroc", "ap", "accuracy", "f1"]
        if self is TaskType.regression:
            return ["mae", "rmse", "r2"]
        if self is TaskType.multiclass_classification:
            return ["accuracy", "macro_f1", "mrr"]
        if self is TaskType.multilabel_classification:
            # headline: the mean over labels of each label's AUROC (docs/pql.md)
            return ["macro_auroc", "micro_auroc", "macro_ap", "micro_f1", "subset_accuracy"]
        if self is TaskType.forecast:
            # headline: the MAE over every step, then each step's own MAE
            return ["mae", "rmse", *(f"mae_step_{i}" for i in range(1, (steps or 0) + 1))]
        if k is None:
            raise ValueError(f"Expected k for the metrics of a {self.value} task (got None).")
        return [f"map@{k}", f"precision@{k}", f"recall@{k}"]
