"""A forecast (``FORECAST n TIMEFRAMES``) served by any family that serves
regression: one model of the family per window, each fitted on the query
whose target is that window (docs/pql.md, "Forecasts").

Window ``i`` (from 0) of a forecast at anchor ``t`` is the target's window
moved ``i`` window lengths later, so its labels at the forecast's anchors are
those of a plain regression query; the step tasks keep the forecast's split
times and horizon, so each sees the same anchors and nothing after them.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> from relgraph.models.baseline import BaselineModel
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 7, days) FORECAST 2 "
    ...                           "TIMEFRAMES FOR EACH customers.customer_id")
    >>> step_task(task, 1).query.target.to_pql()
    'COUNT(orders.*, 7, 14, days)'
    >>> steps = StepModels.fit(BaselineModel, {"strategy": "prior"}, task)
    >>> list(steps.predict(task.table("test"), None).columns)
    ['step_1', 'step_2']
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from relgraph.models.core.outputs import forecast_predictions
from relgraph.pql import ast
from relgraph.pql.compiler import step_aggregation
from relgraph.pql.task import Task

#: A model of one family (``relgraph.models.core.base.Model``, which imports
#: this module: named loosely here so that the imports stay one way).
Model = Any


def step_task(task: Task, step: int) -> Task:
    """The regression task of window ``step`` (from 0) of a forecast task: same
    database, split times, horizon and anchors."""
    target = task.query.target
    assert isinstance(target, ast.Aggregation) and task.steps is not None
    query = dataclasses.replace(task.query, target=step_aggregation(target, step), forecast=None)
    return task.with_query(query)


class StepModels:
    """One fitted model of a family per forecast window, first window first."""

    def __init__(self, models: list[Model]) -> None:
        self.models = models

    @classmethod
    def fit(cls, family: type[Model], params: dict[str, Any], task: Task) -> StepModels:
        """Fit ``family(**params)`` on each window's regression task."""
        assert task.steps is not None
        return cls([family(**params).fit(step_task(task, i)) for i in range(task.steps)])

    @classmethod
    def load(
        cls, family: type[Model], params: dict[str, Any], task: Task, files: dict[str, bytes]
    ) -> StepModels:
        """Rebuild from :meth:`state` (files ``step_<i>/<name>``)."""
        assert task.steps is not None
        models = []
        for i in range(task.steps):
            prefix = f"step_{i + 1}/"
            own = {k.removeprefix(prefix): v for k, v in files.items() if k.startswith(prefix)}
            models.append(family.from_state(step_task(task, i), own, params))
        return cls(models)

    def state(self) -> dict[str, bytes]:
        """Every window's model files, under ``step_<i>/``."""
        out = {}
        for i, model in enumerate(self.models, 1):
            out.update({f"step_{i}/{k}": v for k, v in model.state_files().items()})
        return out

    def predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        """``step_1 .. step_n``: each window's predicted value."""
        raw = np.column_stack(
            [
                m.predict(examples, cutoff=cutoff)["prediction"].to_numpy(dtype=float)
                for m in self.models
            ]
        )
        return forecast_predictions(raw.reshape(len(examples), len(self.models)))

    def explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        """The forecast, with the first window's reasons (``top_signal`` and
        ``contributions``): the nearest window is the one its inputs speak to most."""
        first = self.models[0].explain(examples, top)
        values = self.predict(examples, None)
        front = first.drop(columns=["prediction", "top_signal", "contributions"], errors="ignore")
        out = pd.concat([front.reset_index(drop=True), values], axis=1)
        for column in ("top_signal", "contributions"):
            if column in first.columns:
                out[column] = first[column].to_numpy()
        return out
