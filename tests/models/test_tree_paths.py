"""Path contributions of LightGBM boosters: they add up to the raw score for
every objective the models fit, their bias is TreeSHAP's, and on trees of one
split they are TreeSHAP's numbers."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from relgraph.models.core.tree_paths import path_contributions

QUIET = {"verbose": -1, "seed": 0, "deterministic": True}


@pytest.fixture
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(
        {
            "a": rng.normal(size=600),
            "b": rng.exponential(size=600),
            "c": pd.Categorical(rng.choice(["web", "store", "app"], 600)),
        }
    )
    x.loc[rng.random(600) < 0.1, "b"] = np.nan
    signal = x["a"] + np.where(x["c"] == "web", 1.0, 0.0) - x["b"].fillna(0)
    return x, signal.to_numpy()


@pytest.mark.parametrize(
    "objective",
    [{"objective": "binary"}, {"objective": "l1"}, {"objective": "multiclass", "num_class": 3}],
)
def test_contributions_add_up_to_the_raw_score(data, objective) -> None:
    x, signal = data
    if objective["objective"] == "binary":
        y = (signal > 0).astype(int)
    elif objective["objective"] == "multiclass":
        y = np.digitize(signal, [-0.5, 0.5])
    else:
        y = signal
    booster = lgb.train({**QUIET, **objective, "num_leaves": 15}, lgb.Dataset(x, y), 30)
    contrib = path_contributions(booster, x)
    assert contrib.shape == booster.predict(x, pred_contrib=True).shape
    classes = objective.get("num_class", 1)
    margin = contrib.reshape(len(x), classes, x.shape[1] + 1).sum(axis=2)
    raw = booster.predict(x, raw_score=True).reshape(len(x), classes)
    np.testing.assert_allclose(margin, raw, atol=1e-9)
    # the bias is the trees' expected value, as TreeSHAP reports it
    shap = booster.predict(x, pred_contrib=True).reshape(len(x), classes, -1)
    np.testing.assert_allclose(
        contrib.reshape(len(x), classes, -1)[:, :, -1], shap[:, :, -1], atol=1e-9
    )


def test_stumps_give_treeshap_numbers(data) -> None:
    x, signal = data
    params = {**QUIET, "objective": "l2", "max_depth": 1, "num_leaves": 2}
    booster = lgb.train(params, lgb.Dataset(x, signal), 40)
    np.testing.assert_allclose(
        path_contributions(booster, x), booster.predict(x, pred_contrib=True), atol=1e-9
    )


def test_early_stopping_uses_the_best_round(data) -> None:
    x, signal = data
    y = (signal > 0).astype(int)
    train, valid = lgb.Dataset(x[:400], y[:400]), lgb.Dataset(x[400:], y[400:])
    booster = lgb.train(
        {**QUIET, "objective": "binary", "learning_rate": 0.5},
        train,
        200,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(5, verbose=False)],
        keep_training_booster=True,  # otherwise the trees past the best round are cut
    )
    assert 0 < booster.best_iteration < booster.current_iteration()
    margin = path_contributions(booster, x).sum(axis=1)
    np.testing.assert_allclose(margin, booster.predict(x, raw_score=True), atol=1e-9)


def test_the_feature_that_decides_gets_the_credit(data) -> None:
    x, _ = data
    y = (x["a"] > 0).astype(int)
    booster = lgb.train({**QUIET, "objective": "binary"}, lgb.Dataset(x, y), 20)
    contrib = path_contributions(booster, x)[:, :-1]
    assert (np.abs(contrib).argmax(axis=1) == 0).mean() > 0.95
    assert (np.sign(contrib[:, 0]) == np.where(y == 1, 1, -1)).mean() > 0.95


def test_a_booster_of_single_leaves_is_all_bias() -> None:
    x = pd.DataFrame({"a": np.zeros(50)})
    booster = lgb.train({**QUIET, "objective": "l2"}, lgb.Dataset(x, np.full(50, 3.0)), 3)
    contrib = path_contributions(booster, x.iloc[:2])
    np.testing.assert_allclose(contrib, [[0.0, 3.0], [0.0, 3.0]], atol=1e-9)
