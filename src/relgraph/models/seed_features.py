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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Columns whose scale grows without bound: compared on a log scale.
_LOG_SCALED = (".count.", "days_since")


@dataclass
class SeedScaler:
    """Fixed column order, log scaling of counts and ages, standardisation
    fitted on training examples; a missing value becomes 0 plus a flag."""

    columns: list[str]
    mean: list[float]
    std: list[float]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> SeedScaler:
        values = _log_scale(frame)
        mean = np.nanmean(values, axis=0) if len(values) else np.zeros(values.shape[1])
        std = np.nanstd(values, axis=0) if len(values) else np.ones(values.shape[1])
        mean = np.nan_to_num(mean)
        std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
        return cls(list(frame.columns), mean.tolist(), std.tolist())

    @property
    def width(self) -> int:
        return 2 * len(self.columns)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``(len(frame), width)`` float32: scaled values, then missing flags."""
        values = _log_scale(frame.reindex(columns=self.columns))
        missing = np.isnan(values)
        scaled = (values - np.asarray(self.mean)) / np.asarray(self.std)
        scaled[missing] = 0.0
        return np.concatenate([scaled, missing], axis=1).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedScaler:
        return cls(list(data["columns"]), list(data["mean"]), list(data["std"]))


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
