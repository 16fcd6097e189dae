"""The ``gnn`` family: fit and predict per task type, determinism, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.models.base import ModelError, load
from relgraph.models.gnn import GNNModel
from relgraph.models.registry import make_model
from tests.models.test_common import QUERIES

TINY = {"hidden": 16, "epochs": 2, "fanout": (4, 2), "batch_size": 256}


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.05))


@pytest.fixture(scope="module")
def tasks(db: rg.Database) -> dict[str, rg.Task]:
    return {kind: rg.Task.from_query(db, q) for kind, q in QUERIES.items()}


@pytest.fixture(scope="module")
def fitted(tasks) -> dict[str, GNNModel]:
    return {kind: GNNModel(**TINY).fit(task) for kind, task in tasks.items()}


def test_registered() -> None:
    assert isinstance(make_model("gnn", hidden=8), GNNModel)


def test_predict_before_fit_fails_clearly() -> None:
    with pytest.raises(ModelError, match="is not fitted yet; call fit"):
        GNNModel().predict(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("kind", list(QUERIES))
def test_fit_predict(kind: str, tasks, fitted) -> None:
    task, model = tasks[kind], fitted[kind]
    test = task.table("test")
    preds = model.predict(test)
    assert len(preds) == len(test)
    assert preds[task.entity_key].tolist() == test[task.entity_key].tolist()
    assert model.history_ and np.isfinite(model.history_[0]["loss"])
    if kind == "binary":
        assert preds["probability"].between(0, 1).all()
        assert set(preds["predicted"]) <= {0, 1}
    if kind == "regression":
        train = task.table("train")["label"]
        assert np.isfinite(preds["prediction"]).all()
        assert preds["prediction"].between(train.min(), train.max()).all()
    if kind == "multiclass":
        classes = sorted(task.table("train")["label"].astype(str).unique())
        assert set(preds["predicted"]) <= set(classes)
        scores = preds[[f"score_{c}" for c in classes]].to_numpy()
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_deterministic_for_a_seed(tasks, fitted) -> None:
    task = tasks["binary"]
    test = task.table("test")
    again = GNNModel(**TINY).fit(task).predict(test)
    pd.testing.assert_frame_equal(fitted["binary"].predict(test), again)


@pytest.mark.parametrize("kind", list(QUERIES))
def test_save_load_gives_identical_predictions(
    kind: str, tasks, fitted, db, tmp_path: Path
) -> None:
    task, model = tasks[kind], fitted[kind]
    test = task.table("test")
    path = model.save(tmp_path / "m.rg")
    loaded = load(path, db)
    assert isinstance(loaded, GNNModel)
    pd.testing.assert_frame_equal(model.predict(test), loaded.predict(test))


def test_unknown_entity_gets_the_prior(tasks, fitted) -> None:
    task, model = tasks["binary"], fitted["binary"]
    ex = pd.DataFrame({task.entity_key: [-12345], "anchor_time": [task.test_time]})
    preds = model.predict(ex)
    assert preds["probability"].iloc[0] == pytest.approx(model.prior_[0])


def test_uniform_sampling_and_refit_with_val(tasks) -> None:
    task = tasks["multiclass"]
    test = task.table("test")
    params = {**TINY, "strategy": "uniform", "refit_with_val": True, "aggr": ["mean", "sum"]}
    first = GNNModel(**params).fit(task)
    assert first.best_epoch_ in (0, 1)
    pd.testing.assert_frame_equal(first.predict(test), GNNModel(**params).fit(task).predict(test))


def test_early_stopping_keeps_the_best_epoch(tasks) -> None:
    model = GNNModel(**{**TINY, "epochs": 4, "patience": 1, "max_steps_per_epoch": 1}).fit(
        tasks["regression"]
    )
    vals = [h["val"] for h in model.history_]
    assert model.best_epoch_ == int(np.argmax(vals))
    assert len(vals) == 4 or vals[-1] <= max(vals[:-1])
