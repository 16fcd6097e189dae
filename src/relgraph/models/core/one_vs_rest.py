"""One binary LightGBM booster per label of a multilabel target (one-vs-rest),
on one feature table: what ``gbdt`` fits for ``LIST_DISTINCT(...) CLASSIFY``.

A label that never or always occurs in training has nothing to learn: it keeps
its training rate. Early stopping (on log loss: a validation split may lack a
label's positives) picks each booster's rounds.

Example:
    >>> import numpy as np, pandas as pd
    >>> x = pd.DataFrame({"f0": np.arange(200.0)})
    >>> y = np.stack([(x["f0"] > 100).astype(int), np.zeros(200, dtype=int)], axis=1)
    >>> ovr = OneVsRest.fit(x, y, {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5}, 20)
    >>> p = ovr.predict(pd.DataFrame({"f0": [10.0, 190.0]}))
    >>> bool(p[0, 0] < 0.5 < p[1, 0]), p[:, 1].tolist()
    (True, [0.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd


@dataclass
class OneVsRest:
    """Per label: a booster and its rounds, or ``None`` and a constant rate."""

    boosters: list[lgb.Booster | None]
    rounds: list[int]
    rates: list[float]

    @classmethod
    def fit(
        cls,
        x: pd.DataFrame,
        y: np.ndarray,
        params: dict[str, Any],
        num_boost_round: int,
        x_val: pd.DataFrame | None = None,
        y_val: np.ndarray | None = None,
        early_stopping_rounds: int = 0,
        refit_with_val: bool = False,
    ) -> OneVsRest:
        """Fit one booster per column of the 0/1 matrix ``y`` (features ``x``,
        positional names as LightGBM takes them)."""
        params = {**params, "objective": "binary", "metric": "binary_logloss"}
        boosters: list[lgb.Booster | None] = []
        rounds, rates = [], []
        use_val = x_val is not None and y_val is not None and early_stopping_rounds > 0
        # Binned once, relabelled per label (binning is the slow part of a small fit).
        dtrain = lgb.Dataset(x, label=np.zeros(len(x)), free_raw_data=False)
        dval = dall = None
        if use_val:
            assert x_val is not None and y_val is not None
            dval = lgb.Dataset(x_val, label=np.zeros(len(x_val)), reference=dtrain)
            if refit_with_val:
                x_all = pd.concat([x, x_val], ignore_index=True)
                dall = lgb.Dataset(x_all, label=np.zeros(len(x_all)), free_raw_data=False)
        for j in range(y.shape[1]):
            column = y[:, j]
            rate = float(column.mean()) if len(column) else 0.0
            rates.append(rate)
            if rate in (0.0, 1.0):
                boosters.append(None)
                rounds.append(0)
                continue
            dtrain.set_label(column)
            valid_sets, callbacks = [], []
            if dval is not None and y_val is not None:
                dval.set_label(y_val[:, j])
                valid_sets = [dval]
                callbacks = [lgb.early_stopping(early_stopping_rounds, verbose=False)]
            booster = lgb.train(
                params, dtrain, num_boost_round, valid_sets=valid_sets, callbacks=callbacks
            )
            best = booster.best_iteration or booster.current_iteration()
            if dall is not None and y_val is not None:
                dall.set_label(np.concatenate([column, y_val[:, j]]))
                booster = lgb.train(params, dall, best)
            boosters.append(booster)
            rounds.append(best)
        return cls(boosters, rounds, rates)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Probabilities: one row per example, one column per label."""
        out = np.empty((len(x), len(self.boosters)))
        for j, booster in enumerate(self.boosters):
            if booster is None or len(x) == 0:
                out[:, j] = self.rates[j]
            else:
                out[:, j] = booster.predict(x, num_iteration=self.rounds[j])
        return out

    def contributions(self, x: pd.DataFrame, j: int) -> np.ndarray | None:
        """Label ``j``'s per-feature contributions (bias last); ``None`` for a constant label."""
        booster = self.boosters[j]
        if booster is None:
            return None
        return booster.predict(x, num_iteration=self.rounds[j], pred_contrib=True)

    def to_files(self, prefix: str) -> dict[str, bytes]:
        """The boosters as text files, and the rounds and rates as JSON text."""
        import json

        files = {
            f"{prefix}labels.json": json.dumps(
                {
                    "rounds": self.rounds,
                    "rates": self.rates,
                    "fitted": [b is not None for b in self.boosters],
                }
            ).encode()
        }
        for j, booster in enumerate(self.boosters):
            if booster is not None:
                files[f"{prefix}label_{j}.txt"] = booster.model_to_string().encode()
        return files

    @classmethod
    def from_files(cls, files: dict[str, bytes], prefix: str) -> OneVsRest:
        """Read back :meth:`to_files`."""
        import json

        meta = json.loads(files[f"{prefix}labels.json"])
        boosters = [
            lgb.Booster(model_str=files[f"{prefix}label_{j}.txt"].decode()) if fitted else None
            for j, fitted in enumerate(meta["fitted"])
        ]
        return cls(boosters, meta["rounds"], meta["rates"])
