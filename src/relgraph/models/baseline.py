"""Naive baselines every report shows (the floor any model must clear).

- ``prior``: binary: the training positive rate; regression: the training
  median; multiclass: the training class frequencies; link prediction: the
  most popular targets in training; multilabel: each label's training rate;
  forecast: each window's training median.
- ``history``: the entity's own labels over its last 12 windows (known at the
  anchor): its positive rate, its mean, its most frequent classes, its past
  targets (most frequent first), its rate of each label, its mean over every
  past window repeated (forecast); ``prior`` when it has none.
- ``last``: as ``history``, from the entity's latest known label only; a
  forecast repeats the value of its last window (the one that ends at the anchor).

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
    ...                           "FOR EACH customers.customer_id")
    >>> preds = BaselineModel("history").fit(task).predict(task.table("test"))
    >>> sorted(preds.columns)
    ['anchor_time', 'customer_id', 'predicted', 'probability']
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from relgraph.models.core.base import Model, ModelError
from relgraph.models.core.history import past_labels
from relgraph.models.core.outputs import forecast_predictions, multilabel_predictions, plain
from relgraph.models.core.targets import label_matrix, label_set
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

STRATEGIES = ("prior", "history", "last")


class BaselineModel(Model):
    """A naive baseline: ``strategy`` is ``"prior"``, ``"history"`` or ``"last"``."""

    family = "baseline"
    # a forecast's baselines read its own windows (last one repeated, own mean)
    native_forecast = True

    def __init__(self, strategy: str = "history") -> None:
        self.strategy = strategy

    def _fit(self, task: Task) -> None:
        if self.strategy not in STRATEGIES:
            raise ModelError(
                f"BaselineModel.strategy must be one of {STRATEGIES} (got {self.strategy!r})."
            )
        labels = task.table("train")["label"]
        if labels.empty:
            raise ModelError("The training split has no labelled examples.")
        kind = task.task_type
        if kind is TaskType.binary_classification:
            self.prior_ = float(labels.mean())
        elif kind is TaskType.regression:
            self.prior_ = float(labels.median())
        elif kind is TaskType.multiclass_classification:
            freq = labels.astype(str).value_counts(normalize=True)
            self.prior_ = {str(k): float(v) for k, v in freq.items()}
        elif kind is TaskType.forecast:
            self.prior_ = [float(v) for v in np.median(np.array(labels.tolist()), axis=0)]
        elif kind is TaskType.multilabel_classification:
            classes = label_set(labels)
            rates = label_matrix(labels, classes).mean(axis=0)
            self.prior_ = {c: float(r) for c, r in zip(classes, rates, strict=True)}
        else:
            counts = Counter(item for items in labels for item in items)
            k = task.k or 10
            self.prior_ = [plain(item) for item, _ in counts.most_common(k)]

    def _predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        task, n = self.task_, len(examples)
        history = past_labels(task, examples, cutoff) if self.strategy != "prior" else None
        if history is not None and self.strategy == "last" and len(history):
            latest = history.groupby("row")["anchor_time"].transform("max")
            history = history[history["anchor_time"] == latest]
        kind = task.task_type
        if kind is TaskType.forecast:
            return self._forecast(n, history)
        if kind in (TaskType.binary_classification, TaskType.regression):
            value = np.full(n, self.prior_, dtype=float)
            if history is not None and len(history):
                means = history.groupby("row")["label"].mean()
                value[means.index.to_numpy(dtype=int)] = means.to_numpy(dtype=float)
            if kind is TaskType.regression:
                return pd.DataFrame({"prediction": value})
            return pd.DataFrame({"probability": value, "predicted": (value >= 0.5).astype(int)})
        if kind is TaskType.multiclass_classification:
            classes = list(self.prior_)
            scores = np.tile([self.prior_[c] for c in classes], (n, 1))
            if history is not None and len(history):
                freq = pd.crosstab(history["row"], history["label"].astype(str), normalize="index")
                freq = freq.reindex(columns=classes, fill_value=0.0)
                scores[freq.index.to_numpy(dtype=int)] = freq.to_numpy() + 1e-6 * scores[0]
            out = pd.DataFrame(scores, columns=[f"score_{c}" for c in classes])
            out.insert(0, "predicted", np.array(classes, dtype=object)[scores.argmax(axis=1)])
            return out
        if kind is TaskType.multilabel_classification:
            classes = list(self.prior_)
            scores = np.tile([self.prior_[c] for c in classes], (n, 1)).reshape(n, len(classes))
            if history is not None and len(history):
                for row, labels in history.groupby("row")["label"]:
                    scores[int(row)] = label_matrix(labels, classes).mean(axis=0)
            return multilabel_predictions(scores, classes)
        k = task.k or 10
        ranked: list[list[Any]] = [list(self.prior_) for _ in range(n)]
        if history is not None and len(history):
            for row, labels in history.groupby("row")["label"]:
                own = Counter(item for items in labels for item in items)
                mine = [plain(item) for item, _ in own.most_common(k)]
                ranked[int(row)] = (mine + [x for x in self.prior_ if x not in mine])[:k]
        scores = [list(np.linspace(1.0, 0.0, len(r), endpoint=False)) for r in ranked]
        return pd.DataFrame({"predicted": ranked, "scores": scores})

    def _forecast(self, n: int, history: pd.DataFrame | None) -> pd.DataFrame:
        """Each window's training median; with history, the entity's mean over
        its past windows (``history``) or its last window's value (``last``),
        the same for every window."""
        values = np.tile(np.asarray(self.prior_, dtype=float), (n, 1))
        if history is not None and len(history):
            for row, labels in history.groupby("row")["label"]:
                past = np.array(labels.tolist(), dtype=float)
                own = past[-1, -1] if self.strategy == "last" else past.mean()
                values[int(row)] = own
        return forecast_predictions(values)

    def _state(self) -> dict[str, bytes]:
        return {"baseline.json": json.dumps({"prior": self.prior_}).encode()}

    def _load_state(self, files: dict[str, bytes]) -> None:
        self.prior_ = json.loads(files["baseline.json"])["prior"]
