"""Metrics against scikit-learn and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from relgraph import metrics as M


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 5)), min_size=2, max_size=60))
def test_binary_metrics_match_sklearn(pairs: list[tuple[int, int]]) -> None:
    y = np.array([p[0] for p in pairs])
    score = np.array([p[1] for p in pairs]) / 5.0  # coarse scores: many ties
    if 0 < y.sum() < len(y):
        assert M.auroc(y, score) == pytest.approx(skm.roc_auc_score(y, score))
    if y.sum() > 0:
        assert M.average_precision(y, score) == pytest.approx(skm.average_precision_score(y, score))
    assert M.f1(y, score) == pytest.approx(skm.f1_score(y, score >= 0.5, zero_division=0))
    assert M.accuracy(y, score) == pytest.approx(skm.accuracy_score(y, score >= 0.5))


def test_regression_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert M.mae(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert M.rmse(y, p) == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert M.r2(y, p) == pytest.approx(skm.r2_score(y, p))


def test_multiclass_metrics() -> None:
    y = np.array(["a", "b", "c", "a", "b"])
    pred = np.array(["a", "c", "c", "a", "a"])
    assert M.accuracy(y, pred) == pytest.approx(0.6)
    assert M.macro_f1(y, pred) == pytest.approx(skm.f1_score(y, pred, average="macro"))
    scores = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.5, 0.3, 0.2]]
    )
    # true class ranks: 1, 2, 1, 1, 2
    assert M.mrr(y, scores, ["a", "b", "c"]) == pytest.approx((1 + 0.5 + 1 + 1 + 0.5) / 5)


def test_ranking_metrics_by_hand() -> None:
    truth = [[1, 2, 3], [7], []]
    ranked = [[1, 9, 2, 8], [5, 7, 6], [4]]
    # entity 1: hits at 1 and 3 -> AP@4 = (1/1 + 2/3) / 3; entity 2: hit at 2 -> (1/2) / 1
    assert M.map_at_k(truth, ranked, 4) == pytest.approx(((1 + 2 / 3) / 3 + 0.5) / 2)
    assert M.precision_at_k(truth, ranked, 2) == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)
    assert M.recall_at_k(truth, ranked, 2) == pytest.approx((1 / 3 + 1) / 2)
    assert M.metric("map@10").fn([[1]], [[1]]) == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: M.auroc(np.array([1, 1]), np.array([0.2, 0.3])), "both classes"),
        (lambda: M.auroc(np.array([0, 2]), np.array([0.2, 0.3])), "Expected binary labels"),
        (lambda: M.average_precision(np.array([0, 0]), np.array([0.2, 0.3])), "one positive"),
        (lambda: M.r2(np.array([1.0, 1.0]), np.array([1.0, 2.0])), "undefined"),
        (lambda: M.metric("auc"), "Unknown metric 'auc'"),
        (lambda: M.metric("map@0"), "Unknown metric 'map@0'"),
        (lambda: M.mrr(np.array(["z"]), np.array([[1.0]]), ["a"]), "not among the scored"),
        (lambda: M.map_at_k([[1]], [], 3), "as many predictions as labels"),
    ],
)
def test_metric_errors(call, match: str) -> None:
    with pytest.raises(M.MetricError, match=match):
        call()
