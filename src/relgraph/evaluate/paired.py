"""Is model A better than model B on the same test examples? A paired bootstrap.

Two models' scores on one test split are not independent: both are scored on
the same examples, so most of the split's sampling noise is shared. Comparing
their means with separate error bars overstates the uncertainty of the
difference; resampling the examples once for both models and measuring the
difference on each resample does not.

Example:
    >>> import numpy as np
    >>> from relgraph.metrics import auroc
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> good, noisy = y + rng.normal(0, 0.5, 400), y + rng.normal(0, 2.0, 400)
    >>> result = paired_bootstrap(y, good, noisy, auroc)
    >>> result.low > 0, result.p_better > 0.99
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from relgraph.metrics import MetricError

__all__ = ["PairedDifference", "paired_bootstrap"]


@dataclass(frozen=True)
class PairedDifference:
    """``metric(A) - metric(B)`` on the test split and over the resamples.

    Attributes:
        difference (float): on the test split itself.
        low (float), high (float): the central ``level`` interval of the
            resampled differences (percentile bootstrap).
        p_better (float): share of resamples where A scored higher than B.
        resamples (int): resamples with a defined metric (e.g. both classes).
        level (float): the interval's coverage.
    """

    difference: float
    low: float
    high: float
    p_better: float
    resamples: int
    level: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_bootstrap(
    y_true: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    metric: Callable[[np.ndarray, np.ndarray], float],
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """Bootstrap ``metric(y, a) - metric(y, b)`` by resampling examples (with
    replacement), the same examples for both models.

    Args:
        y_true (np.ndarray): labels of the test examples.
        score_a (np.ndarray), score_b (np.ndarray): each model's scores of
            the same examples, in the same order.
        metric (callable): ``metric(y_true, score)``, higher is better (pass a
            negated loss for a metric where lower is better).
        resamples (int): bootstrap resamples. (default: 1000)
        level (float): coverage of the interval. (default: 0.95)
        seed (int): seed of the resampling. (default: 0)
    """
    y_true = np.asarray(y_true)
    score_a, score_b = np.asarray(score_a), np.asarray(score_b)
    if not len(y_true) == len(score_a) == len(score_b):
        raise ValueError(
            f"paired_bootstrap needs one score per label from each model (got "
            f"{len(y_true)} labels, {len(score_a)} and {len(score_b)} scores)."
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level!r}).")
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        pick = rng.integers(0, len(y_true), len(y_true))
        try:
            diffs.append(metric(y_true[pick], score_a[pick]) - metric(y_true[pick], score_b[pick]))
        except MetricError:  # e.g. a resample with one class only
            continue
    if not diffs:
        raise ValueError("No resample had a defined metric (too few examples?).")
    values = np.asarray(diffs)
    tail = (1 - level) / 2
    return PairedDifference(
        difference=float(metric(y_true, score_a) - metric(y_true, score_b)),
        low=float(np.quantile(values, tail)),
        high=float(np.quantile(values, 1 - tail)),
        p_better=float(np.mean(values > 0)),
        resamples=len(values),
        level=level,
    )
