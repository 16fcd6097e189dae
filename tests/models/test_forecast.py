"""Forecasts (``FORECAST n TIMEFRAMES``): metrics by hand, the baselines
(each window's median, the last window repeated, the entity's own mean), one
model per window whose labels are the forecast's columns, and a backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.evaluate.evaluation import evaluate_models, score_predictions
from relgraph.metrics import MetricError, compute, metric
from relgraph.models.baseline import BaselineModel
from relgraph.models.core.forecast import step_task
from relgraph.models.gbdt import GBDTModel

QUERY = "PREDICT SUM(sales.amount, 0, 1, days) FORECAST 3 TIMEFRAMES FOR EACH stores.store_id"


@pytest.fixture(scope="module")
def shop() -> rg.Database:
    """Two stores over 120 days: store 1 sells 10 a day, more on weekends;
    store 2 sells the day of the month."""
    days = pd.date_range("2024-01-01 12:00", periods=120, freq="D")
    rows = []
    for day in days:
        rows.append((1, day, 10.0 + (20.0 if day.day_of_week >= 5 else 0.0)))
        rows.append((2, day, float(day.day)))
    sales = pd.DataFrame(rows, columns=["store_id", "sold_at", "amount"])
    sales.insert(0, "sale_id", range(len(sales)))
    stores = pd.DataFrame({"store_id": [1, 2], "name": ["a", "b"]})
    schema = {
        "tables": {
            "stores": {"primary_key": "store_id", "time_column": ""},
            "sales": {"primary_key": "sale_id", "time_column": "sold_at"},
        }
    }
    return rg.connect({"stores": stores, "sales": sales}, schema=schema)


@pytest.fixture(scope="module")
def task(shop: rg.Database) -> rg.Task:
    return rg.Task.from_query(shop, QUERY, val_time="2024-03-31", test_time="2024-04-15")


def test_metrics_by_hand() -> None:
    truth = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    pred = np.array([[1.0, 4.0, 3.0], [1.0, 0.0, 0.0]])
    got = compute(["mae", "rmse", "mae_step_1", "mae_step_2", "mae_step_3"], truth, pred)
    assert got["mae"] == pytest.approx(3 / 6)  # |0|+|2|+|0|+|1|+|0|+|0| over six
    assert got["rmse"] == pytest.approx(np.sqrt(5 / 6))
    assert (got["mae_step_1"], got["mae_step_2"], got["mae_step_3"]) == (0.5, 1.0, 0.0)
    assert not metric("mae_step_2").higher_is_better
    with pytest.raises(MetricError, match="window 4"):
        compute(["mae_step_4"], truth, pred)


def test_baselines_by_hand(task: rg.Task) -> None:
    test = task.table("test")
    assert len(test) == 8 and test["label"].map(len).eq(3).all()  # 4 anchors, 2 stores
    train = np.array(task.table("train")["label"].tolist())
    prior = BaselineModel("prior").fit(task).predict(test)
    assert prior[["step_1", "step_2", "step_3"]].iloc[0].tolist() == list(np.median(train, axis=0))
    last = BaselineModel("last").fit(task).predict(test)
    for row, pred in zip(test.itertuples(), last.itertuples(), strict=True):
        # the day that ends at the anchor, repeated
        day = row.anchor_time - pd.Timedelta(days=1)
        before = task.table_at([day])
        own = before.loc[before["store_id"] == row.store_id, "label"].iloc[0][0]
        assert (pred.step_1, pred.step_2, pred.step_3) == (own, own, own)
    history = BaselineModel("history").fit(task).predict(test)
    one = history.iloc[0]
    assert one["step_1"] == one["step_3"]  # the entity's own mean, repeated
    # store 1's mean over its last 12 periods of 3 days: between 10 and 30
    assert 10.0 < history.loc[history["store_id"] == 1, "step_1"].iloc[0] < 30.0


def test_one_model_per_window_learns_its_own_window(task: rg.Task) -> None:
    for i in range(3):
        own = step_task(task, i).table("val")["label"].to_numpy()
        assert own.tolist() == [v[i] for v in task.table("val")["label"]]
    params = {"num_boost_round": 40, "min_data_in_leaf": 2, "ensemble_size": 1}
    model = GBDTModel(**params).fit(task)
    assert len(model.step_models_.models) == 3
    test = task.table("test")
    preds = model.predict(test)
    scores = score_predictions(task, test, preds)
    assert set(scores) == {"mae", "rmse", "mae_step_1", "mae_step_2", "mae_step_3"}
    assert scores["mae"] == pytest.approx(np.mean([scores[f"mae_step_{i}"] for i in (1, 2, 3)]))


def test_backtest_compares_the_baselines(task: rg.Task) -> None:
    result = evaluate_models(task, ["prior", "last", "history"])
    maes = {m: result.summary(m, "test", "mae")["mean"] for m in result.models}
    assert set(maes) == {"prior", "last", "history"}
    assert all(np.isfinite(v) for v in maes.values())
