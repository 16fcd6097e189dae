"""The ``hybrid`` family: gbdt on automatic features plus out-of-fold GNN predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate import evaluation
from relgraph.models.core.base import ModelError
from relgraph.models.hybrid import HybridModel
from relgraph.models.registry import load
from tests.models.test_common import QUERIES

# A family built on two others (gbdt and gnn, each tested in the default run):
# its fits take about 20 s here, so it runs with the slow tests (CI runs both).
pytestmark = pytest.mark.slow

# No refit of each fold GNN on train+val: the folds, not the refit, are under test.
GNN = {"hidden": 16, "epochs": 2, "fanout": [4, 2], "batch_size": 256, "refit_with_val": False}
GBDT = {"num_boost_round": 40, "early_stopping_rounds": 10, "ensemble_size": 1}


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.05))


@pytest.fixture(scope="module")
def tasks(db: rg.Database) -> dict[str, rg.Task]:
    return {kind: rg.Task.from_query(db, QUERIES[kind]) for kind in ("binary", "regression")}


@pytest.fixture(scope="module")
def fitted(tasks) -> dict[str, HybridModel]:
    return {kind: HybridModel(gnn=GNN, **GBDT).fit(task) for kind, task in tasks.items()}


def test_params_round_trip() -> None:
    model = HybridModel(gnn={"hidden": 8}, folds=3, num_boost_round=10)
    params = model.get_params()
    assert params["gnn"] == {"hidden": 8} and params["folds"] == 3
    assert params["num_boost_round"] == 10
    assert HybridModel(**params).get_params() == params


def test_folds_must_be_two_or_more(tasks) -> None:
    with pytest.raises(ModelError, match=r"HybridModel.folds must be an integer >= 2 \(got 1\)"):
        HybridModel(gnn=GNN, folds=1, **GBDT).fit(tasks["binary"])


def test_folds_keep_each_entity_together(fitted, tasks) -> None:
    model = fitted["binary"]
    train = tasks["binary"].table("train")
    fold = model._assign_folds(train["customer_id"])
    per_entity = pd.Series(fold).groupby(train["customer_id"].to_numpy()).nunique()
    assert (per_entity == 1).all() and set(fold) == {0, 1}


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_fit_predict(kind: str, tasks, fitted) -> None:
    task, model = tasks[kind], fitted[kind]
    test = task.table("test")
    preds = model.predict(test)
    assert len(preds) == len(test) and len(model.gnns_) == 2
    column = "gnn.probability" if kind == "binary" else "gnn.prediction"
    assert column in model.feature_names_
    if kind == "binary":
        assert list(preds.columns) == ["customer_id", "anchor_time", "probability", "predicted"]
        assert preds["probability"].between(0, 1).all()
    else:
        assert list(preds.columns) == ["customer_id", "anchor_time", "prediction"]
        assert np.isfinite(preds["prediction"]).all()
    # With a cutoff (the relbench protocol) the GNN features see less: still well formed.
    cut = model.predict(test, cutoff=task.val_time)
    assert len(cut) == len(test) and cut.iloc[:, 2].notna().all()


def test_training_features_are_out_of_fold(tasks, fitted) -> None:
    """A training example's GNN feature comes from the GNN that did not see it."""
    task, model = tasks["regression"], fitted["regression"]
    train = task.table("train").head(200)
    fold = model._assign_folds(task.table("train")["customer_id"])[:200]
    x = model._fit_features(task, train, "val")  # the fold mean, as for new examples
    own = np.stack([model._gnn_outputs(m, train, None)[:, 0] for m in model.gnns_], axis=1)
    np.testing.assert_allclose(x["gnn.prediction"], own.mean(axis=1), rtol=1e-6)
    model._oof = pd.DataFrame({"gnn.prediction": own[np.arange(len(train)), fold]})
    try:
        oof = model._fit_features(task, train, "train")["gnn.prediction"]
    finally:
        del model._oof
    np.testing.assert_allclose(oof, own[np.arange(len(train)), fold])


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_save_load_gives_identical_predictions(
    kind: str, tasks, fitted, db, tmp_path: Path
) -> None:
    model = fitted[kind]
    test = tasks[kind].table("test")
    again = load(model.save(tmp_path / "m.rg"), db)
    assert isinstance(again, HybridModel) and again.get_params() == model.get_params()
    pd.testing.assert_frame_equal(model.predict(test), again.predict(test))


def test_embeddings_save_load_and_explain(tasks, db, tmp_path: Path) -> None:
    task = tasks["binary"]
    model = HybridModel(gnn=GNN, embedding_dim=3, **GBDT).fit(task)
    names = [c for c in model.feature_names_ if c.startswith("gnn.")]
    assert names == ["gnn.probability", "gnn.embedding_0", "gnn.embedding_1", "gnn.embedding_2"]
    test = task.table("test").head(20)
    again = load(model.save(tmp_path / "m.rg"), db)
    pd.testing.assert_frame_equal(model.predict(test), again.predict(test))
    texts = [model._describe(n, 0.25) for n in names]
    assert texts[0] == "graph model's probability: 0.25"
    assert texts[1] == "graph embedding, component 0: 0.25"
    out = model.explain(test, top=50)
    assert {"top_signal", "contributions"} <= set(out.columns)
    described = {c["feature"]: c["text"] for items in out["contributions"] for c in items}
    for name in set(described) & set(names):
        assert described[name].startswith(("graph model's", "graph embedding"))


@pytest.mark.slow  # the whole evaluation harness around a hybrid fit
def test_runs_through_evaluate_models(tasks) -> None:
    params = {"hybrid": {"gnn": GNN, **GBDT}}
    result = evaluation.evaluate_models(tasks["binary"], ["hybrid"], params=params)
    assert result.models == ["hybrid"]
    assert np.isfinite(result.summary("hybrid", "test", "auroc")["mean"])


def test_multiclass_gets_one_column_per_class(db) -> None:
    task = rg.Task.from_query(db, QUERIES["multiclass"])
    model = HybridModel(gnn=GNN, **GBDT).fit(task)
    classes = sorted(task.table("train")["label"].astype(str).unique())
    assert [c for c in model.feature_names_ if c.startswith("gnn.")] == [
        f"gnn.score_{c}" for c in classes
    ]
    preds = model.predict(task.table("test").head(30))
    assert set(preds["predicted"]) <= set(classes)
    assert model._describe(f"gnn.score_{classes[0]}", 0.5) == (
        f"graph model's probability of {classes[0]!r}: 0.5"
    )
