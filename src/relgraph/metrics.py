"""Metrics for every task type of PQL, in their natural scale (AUROC in 0..1).

Each metric is a plain function of numpy arrays; :data:`METRICS` maps the names
used in tasks and reports to them, with the direction that is better.

Example:
    >>> import numpy as np
    >>> round(auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 3)
    0.75
    >>> compute(["mae", "rmse"], np.array([1.0, 2.0]), np.array([1.5, 2.0]))
    {'mae': 0.25, 'rmse': 0.3535533905932738}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from relgraph.errors import RelgraphError


class MetricError(RelgraphError):
    """A metric cannot be computed on the given labels or predictions."""


# ---------------------------------------------------------------- binary
def auroc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    y_true, y_score = _binary(y_true), np.asarray(y_score, dtype=float)
    pos = int(y_true.sum())
    neg = len(y_true) - pos
    if pos == 0 or neg == 0:
        raise MetricError("AUROC needs both classes in the labels (got only one).")
    ranks = _average_ranks(np.asarray(y_score, dtype=float))
    return float((ranks[y_true == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (scipy's ``rankdata``; written
    out so that the CLI does not import scipy.stats, about 0.5 s, to start)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = ((starts + 1 + ends) / 2.0)[np.cumsum(first) - 1]
    return ranks


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Average precision: mean of the precision at each positive, ranked by score
    (ties share one threshold, as in scikit-learn)."""
    y_true, y_score = _binary(y_true), np.asarray(y_score, dtype=float)
    if y_true.sum() == 0:
        raise MetricError("Average precision needs at least one positive label.")
    order = np.argsort(-y_score, kind="mergesort")
    scores, hits = y_score[order], y_true[order]
    # Evaluate only where the score changes: tied items enter together.
    last_of_tie = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tp = np.cumsum(hits)[last_of_tie]
    precision = tp / (last_of_tie + 1)
    recall_gain = np.diff(np.r_[0, tp]) / tp[-1]
    return float(np.sum(precision * recall_gain))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of exact matches. For binary scores, predictions are ``score >= 0.5``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.dtype.kind == "f" and set(np.unique(y_true)) <= {0, 1}:
        y_pred = (y_pred >= 0.5).astype(int)
    return float(np.mean(y_true == y_pred))


def f1(y_true: np.ndarray, y_score: np.ndarray, threshold: float = 0.5) -> float:
    """F1 of the positive class at ``threshold``."""
    y_true = _binary(y_true)
    y_pred = (np.asarray(y_score, dtype=float) >= threshold).astype(int)
    tp = int(np.sum((y_pred == 1) & (y_true == 1)))
    fp = int(np.sum((y_pred == 1) & (y_true == 0)))
    fn = int(np.sum((y_pred == 0) & (y_true == 1)))
    return 0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn))


# ---------------------------------------------------------------- regression
def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(_float(y_true) - _float(y_pred))))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((_float(y_true) - _float(y_pred)) ** 2)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = _float(y_true), _float(y_pred)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0:
        raise MetricError("R² is undefined when every label is the same.")
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


# ---------------------------------------------------------------- multiclass
def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes present in labels or predictions."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_pred == c) & (y_true == c))
        denom = np.sum(y_pred == c) + np.sum(y_true == c)
        scores.append(0.0 if denom == 0 else 2 * tp / denom)
    return float(np.mean(scores))


def mrr(y_true: np.ndarray, class_scores: np.ndarray, classes: Sequence[Any]) -> float:
    """Mean reciprocal rank of the true class among ``class_scores`` columns
    (``classes`` names the columns)."""
    class_scores = np.asarray(class_scores, dtype=float)
    index = {c: i for i, c in enumerate(classes)}
    try:
        true_col = np.array([index[c] for c in np.asarray(y_true)])
    except KeyError as exc:
        raise MetricError(f"Label {exc.args[0]!r} is not among the scored classes.") from None
    true_score = class_scores[np.arange(len(true_col)), true_col]
    rank = 1 + np.sum(class_scores > true_score[:, None], axis=1)
    return float(np.mean(1.0 / rank))


# ---------------------------------------------------------------- ranking
def _ranking_hits(y_true: Sequence[Sequence[Any]], y_pred: Sequence[Sequence[Any]], k: int):
    if len(y_true) != len(y_pred):
        raise MetricError(
            f"Expected as many predictions as labels (got {len(y_pred)} and {len(y_true)})."
        )
    for truth, ranked in zip(y_true, y_pred, strict=True):
        relevant = set(truth)
        top = list(ranked)[:k]
        yield relevant, np.array([item in relevant for item in top], dtype=float)


def precision_at_k(y_true, y_pred, k: int) -> float:
    """Mean over entities of the share of the top ``k`` that are relevant."""
    return float(np.mean([hits.sum() / k for _, hits in _ranking_hits(y_true, y_pred, k)]))


def recall_at_k(y_true, y_pred, k: int) -> float:
    """Mean over entities (with a relevant item) of the share of relevant items in the top ``k``."""
    values = [hits.sum() / len(rel) for rel, hits in _ranking_hits(y_true, y_pred, k) if rel]
    return float(np.mean(values)) if values else 0.0


def map_at_k(y_true, y_pred, k: int) -> float:
    """Mean average precision at ``k``: per entity, the precision at each relevant
    position of the top ``k``, summed and divided by ``min(k, #relevant)``."""
    values = []
    for relevant, hits in _ranking_hits(y_true, y_pred, k):
        if not relevant:
            continue
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        values.append(float(np.sum(precision * hits) / min(k, len(relevant))))
    return float(np.mean(values)) if values else 0.0


# ---------------------------------------------------------------- multilabel
# Labels are a 0/1 matrix (one row per example, one column per label of the
# task's fixed set) and scores a matrix of probabilities of the same shape.
def _matrices(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=float)
    y_score = np.asarray(y_score, dtype=float)
    if y_true.ndim != 2 or y_true.shape != y_score.shape:
        raise MetricError(
            f"Expected a label matrix and a score matrix of one shape (got {y_true.shape} "
            f"and {y_score.shape})."
        )
    return y_true.astype(int), y_score


def _per_label(fn: Callable[..., float], y_true: Any, y_score: Any) -> float:
    """The mean of ``fn`` over the labels where it is defined."""
    truth, scores = _matrices(y_true, y_score)
    values = []
    for j in range(truth.shape[1]):
        try:
            values.append(fn(truth[:, j], scores[:, j]))
        except MetricError:
            continue
    if not values:
        raise MetricError("No label has both classes among these examples.")
    return float(np.mean(values))


def macro_auroc(y_true: Any, y_score: Any) -> float:
    """Mean over labels of each label's AUROC (labels with one class only are
    left out).

    Example:
        >>> truth = np.array([[1, 0], [0, 1], [0, 0]])
        >>> macro_auroc(truth, np.array([[0.9, 0.2], [0.1, 0.8], [0.2, 0.9]]))
        0.75
    """
    return _per_label(auroc, y_true, y_score)


def micro_auroc(y_true: Any, y_score: Any) -> float:
    """AUROC of every (example, label) pair pooled."""
    truth, scores = _matrices(y_true, y_score)
    return auroc(truth.ravel(), scores.ravel())


def macro_ap(y_true: Any, y_score: Any) -> float:
    """Mean over labels (with a positive) of each label's average precision."""
    return _per_label(average_precision, y_true, y_score)


def micro_f1(y_true: Any, y_score: Any, threshold: float = 0.5) -> float:
    """F1 of every (example, label) pair pooled, a label predicted at ``threshold``."""
    truth, scores = _matrices(y_true, y_score)
    return f1(truth.ravel(), scores.ravel(), threshold)


def subset_accuracy(y_true: Any, y_score: Any, threshold: float = 0.5) -> float:
    """Share of examples whose predicted labels (score >= ``threshold``) are
    exactly their labels."""
    truth, scores = _matrices(y_true, y_score)
    return float(np.mean(((scores >= threshold).astype(int) == truth).all(axis=1)))


# ---------------------------------------------------------------- forecast
# Labels and predictions are matrices, one column per window: ``mae`` and
# ``rmse`` pool every window (the mean of the windows' MAEs, as each has one
# value per example); ``mae_step_<i>`` is window i's alone.
def mae_step(y_true: Any, y_pred: Any, step: int) -> float:
    """MAE of window ``step`` (from 1) of a forecast.

    Example:
        >>> mae_step(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [3.0, 5.0]]), 2)
        1.5
    """
    truth, pred = _float(y_true), _float(y_pred)
    if truth.ndim != 2 or truth.shape != pred.shape or not 1 <= step <= truth.shape[1]:
        raise MetricError(
            f"Expected label and prediction matrices of one shape with a window {step} "
            f"(got {truth.shape} and {pred.shape})."
        )
    return mae(truth[:, step - 1], pred[:, step - 1])


# ---------------------------------------------------------------- registry
@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[..., float]
    higher_is_better: bool
    input: str  # "score", "label", "class_scores", "ranking" or "label_matrix"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("auroc", auroc, True, "score"),
        Metric("ap", average_precision, True, "score"),
        Metric("accuracy", accuracy, True, "label"),
        Metric("f1", f1, True, "score"),
        Metric("mae", mae, False, "label"),
        Metric("rmse", rmse, False, "label"),
        Metric("r2", r2, True, "label"),
        Metric("macro_f1", macro_f1, True, "label"),
        Metric("mrr", mrr, True, "class_scores"),
        Metric("macro_auroc", macro_auroc, True, "label_matrix"),
        Metric("micro_auroc", micro_auroc, True, "label_matrix"),
        Metric("macro_ap", macro_ap, True, "label_matrix"),
        Metric("micro_f1", micro_f1, True, "label_matrix"),
        Metric("subset_accuracy", subset_accuracy, True, "label_matrix"),
    ]
}


def metric(name: str) -> Metric:
    """Look up a metric by name; ``map@k``/``precision@k``/``recall@k`` take
    ``k``, ``mae_step_<i>`` a forecast's window ``i``."""
    if "@" in name:
        base, _, k = name.partition("@")
        fns = {"map": map_at_k, "precision": precision_at_k, "recall": recall_at_k}
        if base in fns and k.isdigit() and int(k) > 0:
            fn = fns[base]
            return Metric(name, lambda t, p, _k=int(k), _f=fn: _f(t, p, _k), True, "ranking")
    step = name.removeprefix("mae_step_")
    if step != name and step.isdigit() and int(step) > 0:
        return Metric(name, lambda t, p, _s=int(step): mae_step(t, p, _s), False, "label")
    if name not in METRICS:
        known = ", ".join([*METRICS, "map@k", "precision@k", "recall@k", "mae_step_<i>"])
        raise MetricError(f"Unknown metric {name!r}; known: {known}.")
    return METRICS[name]


def compute(names: Sequence[str], y_true: Any, y_pred: Any, **kwargs: Any) -> dict[str, float]:
    """Compute several metrics on the same labels and predictions."""
    out = {}
    for name in names:
        m = metric(name)
        out[name] = (
            m.fn(y_true, y_pred, **kwargs) if m.input == "class_scores" else m.fn(y_true, y_pred)
        )
    return out


def _binary(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == bool:
        return y.astype(int)
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise MetricError(f"Expected binary labels 0/1 (got values {sorted(values)[:5]}).")
    return y.astype(int)


def _float(y: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=float)
