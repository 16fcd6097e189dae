"""A multicategorical column's likeliest categories (``PREDICT articles.tags
RANK TOP k``) from any family that serves multilabel classification: the
family's model of the same query with ``CLASSIFY`` gives each category of the
fixed set a probability, and the ``k`` likeliest are the ranking (docs/pql.md,
"Multicategorical targets").

The ``CLASSIFY`` query keeps the split times and anchors; it also learns from
the rows without any category (ranking has nothing to score there).

Example:
    >>> ranked_predictions(pd.DataFrame({"predicted": [["b"]], "score_a": [0.2],
    ...                                  "score_b": [0.7], "score_c": [0.4]}), k=2)
      predicted      scores
    0    [b, c]  [0.7, 0.4]
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from relgraph.pql.task import Task

#: A model of one family (``relgraph.models.core.base.Model``, which imports
#: this module: named loosely here so that the imports stay one way).
Model = Any

#: Where the ``CLASSIFY`` model's files sit in a saved ranking model.
PREFIX = "categories/"


def classify_task(task: Task) -> Task:
    """The ``CLASSIFY`` form of a ranking task: same database, split times and anchors."""
    query = dataclasses.replace(task.query, rank=None, classify=True)
    return task.with_query(query)


def ranked_predictions(multilabel: pd.DataFrame, k: int) -> pd.DataFrame:
    """``predicted`` (the ``k`` likeliest categories, likeliest first; ties in
    the fixed set's order) and ``scores`` (their probabilities), from
    multilabel predictions' ``score_<category>`` columns."""
    columns = [c for c in multilabel.columns if c.startswith("score_")]
    names = np.array([c.removeprefix("score_") for c in columns], dtype=object)
    raw = multilabel[columns].to_numpy(dtype=float).reshape(len(multilabel), len(columns))
    order = np.argsort(-raw, axis=1, kind="stable")[:, :k]
    predicted = [names[row].tolist() for row in order]
    scores = [raw[i, row].tolist() for i, row in enumerate(order)]
    return pd.DataFrame(
        {"predicted": pd.Series(predicted, dtype=object), "scores": pd.Series(scores, dtype=object)}
    )


class RankedCategories:
    """A fitted ``CLASSIFY`` model of a family, read as a ranking of ``k``."""

    def __init__(self, model: Model, k: int) -> None:
        self.model = model
        self.k = k

    @classmethod
    def fit(cls, family: type[Model], params: dict[str, Any], task: Task) -> RankedCategories:
        """Fit ``family(**params)`` on the task's ``CLASSIFY`` form."""
        assert task.k is not None
        return cls(family(**params).fit(classify_task(task)), task.k)

    @classmethod
    def load(
        cls, family: type[Model], params: dict[str, Any], task: Task, files: dict[str, bytes]
    ) -> RankedCategories:
        """Rebuild from :meth:`state` (files under :data:`PREFIX`)."""
        assert task.k is not None
        own = {k.removeprefix(PREFIX): v for k, v in files.items() if k.startswith(PREFIX)}
        return cls(family.from_state(classify_task(task), own, params), task.k)

    def state(self) -> dict[str, bytes]:
        """The ``CLASSIFY`` model's files, under :data:`PREFIX`."""
        return {f"{PREFIX}{k}": v for k, v in self.model.state_files().items()}

    def predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        """``predicted`` and ``scores``: the ``k`` likeliest categories."""
        return ranked_predictions(self.model.predict(examples, cutoff=cutoff), self.k)

    def run_info(self) -> dict[str, Any]:
        """What the ``CLASSIFY`` model recorded of its last prediction (the
        ``last_*`` attributes, e.g. icl's context and timings), for the ranking
        model to show as its own."""
        return {k: v for k, v in vars(self.model).items() if k.startswith("last_")}

    def explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        """The ranking with the ``CLASSIFY`` model's reasons (those of the
        likeliest category, the first of the ranking)."""
        inner = self.model.explain(examples, top)
        key = self.model.task_.entity_key
        out = pd.concat(
            [inner[[key, "anchor_time"]].reset_index(drop=True), ranked_predictions(inner, self.k)],
            axis=1,
        )
        for column in ("top_signal", "contributions"):
            if column in inner.columns:
                out[column] = inner[column].to_numpy()
        return out
