"""Task types and their metrics (docs/pql.md, "One example per task type"), headline metric first.

Example:
    >>> TaskType.binary_classification.metrics()
    ['auroc', 'ap', 'accuracy', 'f1']
    >>> TaskType.link_prediction.metrics(k=10)
    ['map@10', 'precision@10', 'recall@10']
    >>> TaskType.multilabel_classification.metrics()[0]
    'macro_auroc'
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

    def metrics(self, k: int | None = None) -> list[str]:
        """Metric names, headline first (``k`` for link prediction)."""
        if self is TaskType.binary_classification:
            return ["auroc", "ap", "accuracy", "f1"]
        if self is TaskType.regression:
            return ["mae", "rmse", "r2"]
        if self is TaskType.multiclass_classification:
            return ["accuracy", "macro_f1", "mrr"]
        if self is TaskType.multilabel_classification:
            # headline: the mean over labels of each label's AUROC (docs/pql.md)
            return ["macro_auroc", "micro_auroc", "macro_ap", "micro_f1", "subset_accuracy"]
        if k is None:
            raise ValueError("Expected k for the metrics of a link prediction task (got None).")
        return [f"map@{k}", f"precision@{k}", f"recall@{k}"]
