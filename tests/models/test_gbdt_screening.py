"""gbdt on inputs too large to train on whole: features screened by a quick
booster's gain, and one booster in place of the ensemble."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.models.gbdt import MIN_SCREENED_FEATURES, GBDTModel, compact

FAST = {"num_boost_round": 30, "early_stopping_rounds": 10}


@pytest.fixture(scope="module")
def task() -> rg.Task:
    db = rg.connect(make_ecommerce(scale=0.05, seed=0))
    return rg.Task.from_query(
        db,
        "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
        val_time="2024-09-01",
        test_time="2024-11-01",
    )


def test_small_inputs_keep_every_feature_and_the_ensemble(task: rg.Task) -> None:
    model = GBDTModel(**FAST, ensemble_size=2).fit(task)
    every = model.inputs_.transform(task, task.table("train").head(3)).columns
    assert model.feature_names_ == list(every)
    assert len(model.boosters_) == 2


def test_too_many_cells_keeps_the_features_with_most_gain(task: rg.Task) -> None:
    full = GBDTModel(**FAST, ensemble_size=1).fit(task)
    train = len(task.table("train"))
    assert len(full.feature_names_) > MIN_SCREENED_FEATURES  # else nothing to screen
    screened = GBDTModel(**FAST, ensemble_size=1, max_train_cells=train * 10).fit(task)
    kept = screened.feature_names_
    assert 0 < len(kept) <= MIN_SCREENED_FEATURES < len(full.feature_names_)
    assert kept == [c for c in full.feature_names_ if c in set(kept)]  # order kept
    # the kept features are the ones the full model leans on, not arbitrary
    gain = pd.Series(full.boosters_[0].feature_importance("gain"), index=full.feature_names_)
    top = gain.sort_values(ascending=False).index[:5]
    assert len(set(top) & set(kept)) >= 3
    preds = screened.predict(task.table("test"))
    assert len(preds) == len(task.table("test")) and preds["prediction"].notna().all()


def test_many_examples_train_one_booster(task: rg.Task) -> None:
    model = GBDTModel(**FAST, ensemble_size=3, ensemble_max_examples=10).fit(task)
    assert len(model.boosters_) == 1


def test_compact_casts_numbers_only() -> None:
    x = pd.DataFrame({"a": [1.5], "n": [3], "c": pd.Categorical(["x"]), "b": [True]})
    out = compact(x)
    assert out["a"].dtype == "float32" and out["n"].dtype == "float32"
    assert out["c"].dtype == "category" and out["b"].dtype == bool
