"""What the GNN head's outputs mean for each task type: the training targets
made from labels, the loss, the outputs as predictions, and the validation
score that early stopping maximises.

Example:
    >>> import pandas as pd, torch
    >>> from relgraph.pql.task_type import TaskType
    >>> objective = Objective(TaskType.regression, label_stats={"mean": 10.0, "std": 2.0,
    ...                       "min": 0.0, "max": 20.0})
    >>> objective.targets(pd.Series([12.0, 8.0])).squeeze(-1).tolist()
    [1.0, -1.0]
    >>> objective.to_raw(torch.tensor([[1.0], [20.0]])).tolist()  # clipped to the labels seen
    [12.0, 20.0]
    >>> objective.score(pd.Series([12.0, 8.0]), objective.to_raw(torch.tensor([[1.0], [-1.0]])))
    -0.0

    A multilabel target has one output per label of its fixed set:

    >>> labels = Objective(TaskType.multilabel_classification, classes=["3", "7"])
    >>> labels.targets(pd.Series([[7], [3, 9], []])).tolist()  # 9 is not in the set
    [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    >>> labels.to_raw(torch.zeros(1, 2)).tolist()  # sigmoid per label
    [[0.5, 0.5]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import torch
from torch import Tensor, nn

from relgraph.metrics import MetricError, accuracy, auroc, macro_auroc, mae, map_at_k
from relgraph.models.core.targets import class_codes, label_matrix
from relgraph.models.gnn.link import label_rows, multi_hot, softmax_loss
from relgraph.pql.task_type import TaskType

#: Task types whose head has one output per class (or label).
_PER_CLASS = (TaskType.multiclass_classification, TaskType.multilabel_classification)


@dataclass
class Objective:
    """The head's meaning for one task.

    Args:
        task_type: the task's type.
        label_stats: mean, std, min and max of the training labels
            (regression targets are standardised by them, predictions clipped
            to their range).
        classes: the classes, in head order (multiclass), or the fixed label
            set (multilabel: one output per label).
        items: the candidate keys, in head order (link prediction).
        k: how many candidates a link prediction ranks.
    """

    task_type: TaskType
    label_stats: dict[str, float] = field(default_factory=dict)
    classes: list[Any] | None = None
    items: pa.Array | None = None
    k: int = 10

    @property
    def width(self) -> int | None:
        """The head's width, or None when the net's hidden width sets it (link
        prediction's entity tower)."""
        if self.task_type in _PER_CLASS:
            return len(self.classes or [])
        if self.task_type is TaskType.link_prediction:
            return None
        return 1

    def targets(self, labels: pd.Series) -> Tensor:
        """Training targets: class codes (multiclass), a multi-hot row of
        candidates (link prediction) or of labels (multilabel; keys outside
        the fixed set are left out), or one float column."""
        kind = self.task_type
        if kind is TaskType.link_prediction:
            example, item_rows = label_rows(self.items, list(labels))
            return multi_hot(example, item_rows, len(labels), len(self.items))
        if kind is TaskType.multilabel_classification:
            return torch.tensor(label_matrix(labels, self.classes or []), dtype=torch.float32)
        if kind is TaskType.multiclass_classification:
            return torch.tensor(class_codes(labels, self.classes), dtype=torch.long)
        y = labels.to_numpy(dtype=np.float32)
        if kind is TaskType.regression:
            y = (y - self.label_stats["mean"]) / self.label_stats["std"]
        return torch.tensor(y, dtype=torch.float32).unsqueeze(-1)

    def loss(self) -> Callable[[Tensor, Tensor], Tensor]:
        """The training loss of head outputs against :meth:`targets`."""
        kind = self.task_type
        # multilabel: one independent yes/no per label, as one-vs-rest boosters
        if kind in (TaskType.binary_classification, TaskType.multilabel_classification):
            return nn.BCEWithLogitsLoss()
        if kind is TaskType.regression:
            return nn.L1Loss()
        if kind is TaskType.link_prediction:
            return softmax_loss
        return nn.CrossEntropyLoss()

    @staticmethod
    def known(target: Tensor) -> np.ndarray:
        """Examples whose target is usable (multiclass: a class seen in training)."""
        if target.dtype == torch.long:
            return (target >= 0).numpy()
        return torch.isfinite(target[:, 0]).numpy()

    def to_raw(self, out: Tensor) -> np.ndarray:
        """Head outputs as probabilities (binary), values (regression), class
        probabilities (multiclass, one column per class), label probabilities
        (multilabel, one column per label) or candidate scores."""
        out = out.detach().cpu()
        kind = self.task_type
        if kind is TaskType.binary_classification:
            return torch.sigmoid(out[:, 0]).numpy().astype(float)
        if kind is TaskType.multilabel_classification:
            return torch.sigmoid(out).numpy().astype(float)
        if kind is TaskType.regression:
            s = self.label_stats
            values = out[:, 0].numpy().astype(float) * s["std"] + s["mean"]
            return np.clip(values, s["min"], s["max"])
        if kind is TaskType.link_prediction:
            return out.numpy().astype(float)
        return torch.softmax(out, dim=1).numpy().astype(float)

    def score(self, labels: pd.Series, raw: np.ndarray) -> float:
        """Validation score, higher is better (AUROC, -MAE, accuracy, MAP@k,
        macro AUROC over the labels)."""
        kind = self.task_type
        if kind is TaskType.binary_classification:
            y = labels.to_numpy(dtype=float)
            if len(np.unique(y)) < 2:
                return -float(np.mean(np.abs(y - raw)))
            return auroc(y, raw)
        if kind is TaskType.multilabel_classification:
            y = label_matrix(labels, self.classes or [])
            try:
                return macro_auroc(y, raw)
            except MetricError:  # no label has both classes: nothing to rank
                return -float(np.mean(np.abs(y - raw)))
        if kind is TaskType.regression:
            return -mae(labels.to_numpy(dtype=float), raw)
        if kind is TaskType.link_prediction:
            return map_at_k(list(labels), self.top_k(raw)[0], self.k)
        predicted = np.array(self.classes, dtype=object)[raw.argmax(axis=1)]
        return accuracy(labels.astype(str).to_numpy(), predicted)

    def top_k(self, raw: np.ndarray) -> tuple[list[list[Any]], list[list[float]]]:
        """The ``k`` best candidates of every row (keys, best first) and their scores."""
        k = min(self.k, raw.shape[1])
        top = np.argpartition(-raw, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(raw, top, axis=1).argsort(axis=1)[:, ::-1]
        top = np.take_along_axis(top, order, axis=1)
        keys = np.asarray(self.items.to_pylist(), dtype=object)
        scores = np.take_along_axis(raw, top, axis=1)
        return keys[top].tolist(), scores.tolist()
