"""Shared pieces of model output: the prediction columns by task type, and
values made plain for JSON (explanations) and for LightGBM.

Example:
    >>> import numpy as np
    >>> from relgraph.pql.task_type import TaskType
    >>> format_predictions(TaskType.binary_classification, np.array([0.2, 0.7]), None)
       probability  predicted
    0          0.2          0
    1          0.7          1
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from relgraph.pql.task_type import TaskType


def format_predictions(kind: TaskType, raw: np.ndarray, classes: list[str] | None) -> pd.DataFrame:
    """``probability`` and ``predicted`` (binary), ``prediction`` (regression), or
    ``predicted`` and ``score_<class>`` (multiclass and multilabel, ``raw`` one
    column per class)."""
    if kind is TaskType.binary_classification:
        return pd.DataFrame({"probability": raw, "predicted": (raw >= 0.5).astype(int)})
    if kind is TaskType.regression:
        return pd.DataFrame({"prediction": raw})
    if classes is None:
        raise ValueError("multiclass and multilabel predictions need their classes")
    if kind is TaskType.multilabel_classification:
        return multilabel_predictions(raw, classes)
    out = pd.DataFrame(raw, columns=[f"score_{c}" for c in classes])
    out.insert(0, "predicted", np.array(classes, dtype=object)[raw.argmax(axis=1)])
    return out


def multilabel_predictions(raw: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """``predicted``, the labels of probability at least 0.5 (most likely
    first), and ``score_<label>``, each label's probability.

    Example:
        >>> multilabel_predictions(np.array([[0.6, 0.9], [0.1, 0.2]]), ["a", "b"])
          predicted  score_a  score_b
        0    [b, a]      0.6      0.9
        1        []      0.1      0.2
    """
    raw = np.asarray(raw, dtype=float).reshape(len(raw), len(classes))
    names = np.array(classes, dtype=object)
    predicted = []
    for row in raw:
        order = np.argsort(-row, kind="stable")
        predicted.append([str(names[j]) for j in order if row[j] >= 0.5])
    out = pd.DataFrame(raw, columns=[f"score_{c}" for c in classes])
    out.insert(0, "predicted", pd.Series(predicted, dtype=object))
    return out


def forecast_predictions(raw: np.ndarray) -> pd.DataFrame:
    """``step_1 .. step_n``: a forecast's value in each window, one row per example.

    Example:
        >>> forecast_predictions(np.array([[1.0, 2.0], [0.5, 0.0]]))
           step_1  step_2
        0     1.0     2.0
        1     0.5     0.0
    """
    raw = np.asarray(raw, dtype=float)
    return pd.DataFrame(raw, columns=[f"step_{i}" for i in range(1, raw.shape[1] + 1)])


def step_columns(frame: pd.DataFrame) -> list[str]:
    """A forecast's prediction columns, ``step_1`` first.

    Example:
        >>> step_columns(pd.DataFrame(columns=["id", "step_2", "step_1", "top_signal"]))
        ['step_1', 'step_2']
    """
    steps = [c for c in frame.columns if c.startswith("step_") and c[5:].isdigit()]
    return sorted(steps, key=lambda c: int(c[5:]))


def positional(x: pd.DataFrame) -> pd.DataFrame:
    """LightGBM refuses some characters in feature names: it sees positions."""
    return x.set_axis([f"f{i}" for i in range(x.shape[1])], axis=1)


def plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def json_value(value: Any) -> Any:
    """A feature value for JSON: Python scalars, ``None`` for NaN, ISO text for times."""
    value = plain(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
