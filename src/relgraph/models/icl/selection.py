"""Per-query choice of the in-context predictor, on the context's own latest
labelled window.

The context is labelled history, so the rows of its most recent anchor are a
free backtest: every candidate predicts them from the older context rows, and
the one that scores best there predicts the query. The candidates are the
model's predictors (the pre-trained transformer, LightGBM on the context) and
the rules an analyst tries first, read from the entity's own history features
(``target.*``, see :func:`relgraph.features.label_history_features`):

- ``last``: the entity's most recent known label;
- ``mean``: its mean label over the last 12 windows (all windows if none);
- ``prior``: the context's rate (binary), median (regression) or class shares.

An entity without history takes the prior. Everything the choice reads is
known at the query's anchor: the holdout is part of the context.

Example:
    >>> import numpy as np, pandas as pd
    >>> from relgraph.pql.task_type import TaskType
    >>> x = pd.DataFrame({"target.last": [3.0, np.nan], "target.mean.last_12": [2.5, np.nan]})
    >>> rules = simple_predictions(TaskType.regression, x, np.array([1.0, 2.0, 9.0]), None)
    >>> {name: raw.tolist() for name, raw in rules.items()}
    {'last': [3.0, 2.0], 'mean': [2.5, 2.0], 'prior': [2.0, 2.0]}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relgraph.metrics import accuracy, auroc, mae
from relgraph.pql.task_type import TaskType

#: The simple rules, in the order they are preferred on a tie.
RULES = ("last", "mean", "prior")
#: Fewest rows in the holdout (and left to predict it from) for a choice.
MIN_HOLDOUT_ROWS = 40
#: The holdout is at most this share of the context.
MAX_HOLDOUT_SHARE = 0.5
#: A static context (one anchor) holds out this random share instead.
RANDOM_HOLDOUT_SHARE = 0.2

#: What each rule reads from the entity's own history, most specific first.
_RULE_COLUMNS = {
    "last": ("target.last",),
    "mean": ("target.mean.last_12", "target.mean.all"),
}
#: How each rule reads in a reason.
RULE_TEXT = {
    "last": "its own latest label",
    "mean": "its own mean label over recent windows",
    "prior": "the context's overall rate",
}


def holdout_rows(anchor_times: pd.Series, seed: int = 0) -> np.ndarray | None:
    """Which context rows to hold out: those of the most recent anchors, at
    least :data:`MIN_HOLDOUT_ROWS` and at most :data:`MAX_HOLDOUT_SHARE` of the
    context; a random :data:`RANDOM_HOLDOUT_SHARE` when the context has one
    anchor. ``None`` when the context is too small to choose on.

    Example:
        >>> when = pd.Series(pd.to_datetime(["2024-01-01"] * 60 + ["2024-02-01"] * 50))
        >>> int(holdout_rows(when).sum())  # the 50 rows of February
        50
    """
    times = pd.to_datetime(anchor_times).to_numpy()
    n = len(times)
    if n < 2 * MIN_HOLDOUT_ROWS:
        return None
    distinct = np.unique(times)
    if len(distinct) == 1:
        held = np.random.default_rng(seed).random(n) < RANDOM_HOLDOUT_SHARE
        return held if held.sum() >= MIN_HOLDOUT_ROWS else None
    for start in distinct[::-1]:  # most recent first, until enough rows
        held = times >= start
        if held.sum() >= MIN_HOLDOUT_ROWS:
            break
    if held.sum() > MAX_HOLDOUT_SHARE * n or held.all():
        return None
    return held


def simple_predictions(
    kind: TaskType, x: pd.DataFrame, y_train: np.ndarray, classes: list[str] | None
) -> dict[str, np.ndarray]:
    """The raw predictions of each simple rule for the rows of ``x``, as the
    model's predictors give them (a probability, a value, or one column of
    class scores per class); ``y_train`` (class codes for a category) sets the
    prior. A rule whose history columns ``x`` lacks is left out."""
    if kind is TaskType.multiclass_classification:
        shares = np.bincount(y_train.astype(int), minlength=len(classes or [])) / max(
            len(y_train), 1
        )
        return {"prior": np.tile(shares, (len(x), 1))}
    prior = float(np.median(y_train) if kind is TaskType.regression else np.mean(y_train))
    out = {}
    for rule, columns in _RULE_COLUMNS.items():
        present = [c for c in columns if c in x.columns]
        if not present:
            continue
        value = pd.Series(np.nan, index=x.index)
        for column in present:
            value = value.fillna(x[column].astype(float))
        out[rule] = value.fillna(prior).to_numpy(dtype=float)
    out["prior"] = np.full(len(x), prior)
    return out


def score(kind: TaskType, y: np.ndarray, raw: np.ndarray) -> float:
    """How well ``raw`` predicts ``y``, higher is better: AUROC (binary; 0.5
    when the holdout has one class), minus MAE (regression), accuracy
    (multiclass; ``y`` as class codes)."""
    if kind is TaskType.binary_classification:
        if len(np.unique(y)) < 2:
            return 0.5
        return auroc(y.astype(float), raw)
    if kind is TaskType.regression:
        return -mae(y.astype(float), raw)
    return accuracy(y.astype(int), raw.argmax(axis=1))


def choose(scores: dict[str, float]) -> str:
    """The best-scoring candidate; on a tie, the first given (the model's
    predictors are given first, then :data:`RULES` in order).

    Example:
        >>> choose({"transformer": 0.71, "last": 0.74, "prior": 0.5})
        'last'
        >>> choose({"transformer": 0.74, "last": 0.74})
        'transformer'
    """
    best = max(scores.values())
    return next(name for name, value in scores.items() if value >= best)
