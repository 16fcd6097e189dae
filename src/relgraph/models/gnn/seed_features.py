"""Per-example inputs of the GNN's seed node that message passing cannot see:
the target's own history (the query's labels at the entity's earlier anchors).

A label is a function of many rows (e.g. "any result not finished in the next
30 days"); the GNN would have to recompute it for every past window from its
sampled neighbours. Handing it the known past labels directly, as the gbdt
model gets them, costs little and is leakage-free (a past label is used only
once its window has ended by the anchor).

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"target.mean.all": [0.5, None], "target.count.all": [4, 0]})
    >>> scaler = SeedScaler.fit(frame)
    >>> scaler.transform(frame).shape   # values, then one missing flag per column
    (2, 4)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Columns whose scale grows without bound: compared on a log scale.
_LOG_SCALED = (".count.", "days_since")
#: Knots of a quantile-mapped column (its training quantiles at these levels).
_QUANTILE_LEVELS = 33


@dataclass
class SeedScaler:
    """Fixed column order; a missing value becomes 0 plus a flag.

    Columns in ``knots`` are mapped through their training quantiles onto
    ``[-sqrt(3), sqrt(3)]`` (a uniform with unit variance): heavy tails and
    values beyond the training range (sums that grow with time) stay bounded,
    which a linear layer needs and a tree does not. The other columns (the
    target's history) are log-scaled where unbounded and standardised.
    """

    columns: list[str]
    mean: list[float]
    std: list[float]
    knots: dict[str, list[list[float]]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, quantile_columns: Sequence[str] = ()) -> SeedScaler:
        values = _log_scale(frame)
        with warnings.catch_warnings():  # a column without any value: handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0) if len(values) else np.zeros(values.shape[1])
            std = np.nanstd(values, axis=0) if len(values) else np.ones(values.shape[1])
        mean = np.nan_to_num(mean)
        std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
        knots = {}
        raw = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        wanted = set(quantile_columns)
        for j, name in enumerate(frame.columns):
            if name in wanted:
                knots[name] = _quantile_knots(raw[:, j])
        return cls(list(frame.columns), mean.tolist(), std.tolist(), knots)

    @property
    def width(self) -> int:
        return 2 * len(self.columns)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``(len(frame), width)`` float32: scaled values, then missing flags."""
        frame = frame.reindex(columns=self.columns)
        values = _log_scale(frame)
        missing = np.isnan(values)
        scaled = (values - np.asarray(self.mean)) / np.asarray(self.std)
        if self.knots:
            raw = frame.to_numpy(dtype=np.float64, na_value=np.nan)
            for j, name in enumerate(self.columns):
                if name in self.knots:
                    xs, levels = self.knots[name]
                    scaled[:, j] = np.interp(raw[:, j], xs, levels) if xs else 0.0
        scaled[missing] = 0.0
        return np.concatenate([scaled, missing], axis=1).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "mean": self.mean, "std": self.std, "knots": self.knots}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedScaler:
        knots = {k: [list(xs), list(lv)] for k, (xs, lv) in data.get("knots", {}).items()}
        return cls(list(data["columns"]), list(data["mean"]), list(data["std"]), knots)


def _quantile_knots(column: np.ndarray) -> list[list[float]]:
    """Distinct training quantiles and the level each maps to (a value held
    by many rows, such as a count of 0, maps to the middle of its levels)."""
    known = column[np.isfinite(column)]
    if not len(known):
        return [[], []]
    levels = np.linspace(-math.sqrt(3.0), math.sqrt(3.0), _QUANTILE_LEVELS)
    quantiles = np.quantile(known, np.linspace(0.0, 1.0, _QUANTILE_LEVELS))
    xs, which = np.unique(quantiles, return_inverse=True)
    mapped = np.bincount(which, weights=levels) / np.bincount(which)
    if len(xs) == 1:
        mapped = np.zeros(1)
    return [xs.tolist(), mapped.tolist()]


def _log_scale(frame: pd.DataFrame) -> np.ndarray:
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    for j, name in enumerate(frame.columns):
        if any(part in name for part in _LOG_SCALED):
            values[:, j] = np.log1p(np.clip(values[:, j], 0, None))
    return values


class SeedFeatureStore:
    """Seed features looked up by ``(entity row, anchor seconds)``, vectorised.

    Features are computed once per example (a SQL pass over the past labels)
    and then gathered for every mini-batch that holds the example.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self._keys = np.zeros(0, dtype=np.int64)
        self._values = np.zeros((0, width), dtype=np.float32)

    @staticmethod
    def key(rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        # Anchors are epoch seconds within +-2**33 (about +-270 years around 1970).
        return rows.astype(np.int64) * (1 << 35) + (anchors.astype(np.int64) + (1 << 34))

    def missing(self, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Mask of the pairs not stored yet."""
        keys = self.key(rows, anchors)
        if not len(self._keys):
            return np.ones(len(keys), dtype=bool)
        pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return self._keys[pos] != keys

    def add(self, rows: np.ndarray, anchors: np.ndarray, values: np.ndarray) -> None:
        keys = np.concatenate([self._keys, self.key(rows, anchors)])
        stacked = np.concatenate([self._values, values.astype(np.float32)])
        keys, first = np.unique(keys, return_index=True)
        self._keys, self._values = keys, stacked[first]

    def get(self, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Stored features of the pairs (all must be stored: see :meth:`missing`)."""
        pos = np.searchsorted(self._keys, self.key(rows, anchors))
        return self._values[pos]
