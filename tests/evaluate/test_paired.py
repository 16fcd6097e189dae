"""The paired bootstrap of a metric's difference between two models."""

from __future__ import annotations

import numpy as np
import pytest

from relgraph.evaluate.paired import paired_bootstrap
from relgraph.metrics import auroc, mae


def _labels(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, n), rng


def test_identical_models_differ_by_nothing() -> None:
    y, rng = _labels()
    score = rng.normal(size=len(y)) + y
    result = paired_bootstrap(y, score, score.copy(), auroc)
    assert result.difference == result.low == result.high == 0.0
    assert result.p_better == 0.0 and result.resamples == 1000


def test_a_better_model_is_found_better_and_the_interval_holds_the_difference() -> None:
    y, rng = _labels()
    better, worse = y + rng.normal(0, 0.8, len(y)), y + rng.normal(0, 1.5, len(y))
    result = paired_bootstrap(y, better, worse, auroc, resamples=500)
    assert 0 < result.low < result.difference < result.high
    assert result.p_better > 0.99
    flipped = paired_bootstrap(y, worse, better, auroc, resamples=500)
    assert flipped.difference == pytest.approx(-result.difference)
    assert flipped.p_better < 0.01


def test_pairing_is_tighter_than_separate_noise() -> None:
    """Two models that share most of their errors: the paired interval is far
    narrower than the spread of either model's own score over resamples."""
    y, rng = _labels(400)
    shared = y + rng.normal(0, 1.0, len(y))
    a, b = shared + rng.normal(0, 0.05, len(y)), shared + rng.normal(0, 0.05, len(y))
    paired = paired_bootstrap(y, a, b, auroc, resamples=300)
    alone = paired_bootstrap(y, a, np.zeros(len(y)), auroc, resamples=300)  # auroc(b=0) = 0.5
    assert (paired.high - paired.low) < 0.25 * (alone.high - alone.low)


def test_lower_is_better_metrics_are_negated_by_the_caller() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    close, far = y + rng.normal(0, 0.1, 300), y + rng.normal(0, 1.0, 300)
    result = paired_bootstrap(y, close, far, lambda t, p: -mae(t, p), resamples=200)
    assert result.low > 0


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="one score per label"):
        paired_bootstrap(np.array([0, 1]), np.array([0.1]), np.array([0.2, 0.3]), auroc)
    with pytest.raises(ValueError, match="level"):
        paired_bootstrap(
            np.array([0, 1]), np.array([0.1, 0.2]), np.array([0.2, 0.3]), auroc, level=2
        )
    with pytest.raises(ValueError, match="No resample"):
        paired_bootstrap(np.array([1, 1]), np.array([0.1, 0.2]), np.array([0.2, 0.3]), auroc)
