"""Multilabel targets (``LIST_DISTINCT(...) CLASSIFY``, a multicategorical
column's ``CLASSIFY``) in the in-context model: one binary question per label
of the fixed set, each predicted from the same context and features as a
binary target would be (one-vs-rest, as ``gbdt`` fits one booster per label).

Each label's question also reads the entity's own rate of that label over its
last windows (``target.label_rate``, NaN without any): the one input the
``history`` baseline reads, and no feature of the shared table says it.

Example:
    >>> import pandas as pd
    >>> history = pd.DataFrame({"row": [0, 0, 1], "label": [["a"], ["a", "b"], []]})
    >>> own_rates(history, 3, ["a", "b"]).tolist()
    [[1.0, 0.5], [0.0, 0.0], [nan, nan]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relgraph.models.core.history import past_labels
from relgraph.models.core.targets import label_matrix
from relgraph.pql.task import Task

#: The column a label's own rate is added as (beside the shared features).
RATE_COLUMN = "target.label_rate"


def own_rates(history: pd.DataFrame, n: int, classes: list[str]) -> np.ndarray:
    """Each row's share of its past windows that held each label (rows by
    labels; NaN for a row without history). ``history`` as
    :func:`~relgraph.models.core.history.past_labels` gives it."""
    out = np.full((n, len(classes)), np.nan)
    if len(history):
        rows = history["row"].to_numpy(dtype=int)
        hits = label_matrix(history["label"], classes).astype(float)
        sums = np.zeros_like(out)
        np.add.at(sums, rows, hits)
        counts = np.bincount(rows, minlength=n).astype(float)
        seen = counts > 0
        out[seen] = sums[seen] / counts[seen, None]
    return out


def label_rates(
    task: Task, rows: pd.DataFrame, classes: list[str], cutoff: pd.Timestamp | None
) -> np.ndarray:
    """:func:`own_rates` of ``rows`` (entity key and ``anchor_time``, each seen
    at its own anchor): only labels known by then (and by ``cutoff``)."""
    return own_rates(past_labels(task, rows.reset_index(drop=True), cutoff), len(rows), classes)


def with_rate(x: pd.DataFrame, rates: np.ndarray) -> pd.DataFrame:
    """``x`` with one label's own rate as :data:`RATE_COLUMN` (left out when
    no row has history: an all-NaN column says nothing)."""
    if np.isnan(rates).all():
        return x
    return x.assign(**{RATE_COLUMN: rates})


def label_counts(labels: pd.Series, classes: list[str]) -> dict[str, int]:
    """How many context rows hold each label (``last_context_['classes']``)."""
    totals = label_matrix(labels, classes).sum(axis=0)
    return {c: int(v) for c, v in zip(classes, totals, strict=True)}
