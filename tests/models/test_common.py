"""More of what the model families keep, beyond the shared contract of
tests/models/test_contract.py: the prior strategy, empty inputs to explain,
schema checks on load, reasons, unsupported tasks and names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.models.core.base import ModelError
from relgraph.models.registry import MODEL_NAMES, load, make_model

QUERIES = {
    "binary": "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0",
    "regression": "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    "multiclass": "PREDICT FIRST(orders.channel, 0, 30, days) FOR EACH customers.customer_id",
}
FAST = {"gbdt": {"num_boost_round": 40, "early_stopping_rounds": 10}}
#: A small, quick gnn, not meant to learn: two epochs of a 16-wide net.
TINY_GNN = {"hidden": 16, "epochs": 2, "fanout": (4, 2), "batch_size": 256, "refit_with_val": False}


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.08, seed=4))


@pytest.fixture(scope="module")
def tasks(db: rg.Database) -> dict[str, rg.Task]:
    return {kind: rg.Task.from_query(db, q) for kind, q in QUERIES.items()}


@pytest.mark.parametrize("kind", list(QUERIES))
@pytest.mark.parametrize("name", ["prior"])
def test_fit_predict_save_load(name: str, kind: str, tasks, db, tmp_path: Path) -> None:
    task = tasks[kind]
    model = make_model(name, **FAST.get(name, {})).fit(task)
    test = task.table("test")
    preds = model.predict(test)
    assert len(preds) == len(test)
    assert preds[task.entity_key].tolist() == test[task.entity_key].tolist()
    if kind == "binary":
        assert preds["probability"].between(0, 1).all()
    if kind == "regression":
        assert np.isfinite(preds["prediction"]).all()
    if kind == "multiclass":
        assert set(preds["predicted"]) <= set(task.table("train")["label"].astype(str))
    path = model.save(tmp_path / "m.rg")
    again = load(path, db).predict(test)
    pd.testing.assert_frame_equal(preds, again)


def assert_no_rows_in_no_rows_out(model, task: rg.Task) -> None:
    """Zero examples give zero predictions with the columns of a non-empty call."""
    test = task.table("test").head(3)
    none = test.head(0)
    for method in (model.predict, model.explain):
        full, empty = method(test), method(none)
        assert len(empty) == 0 and list(empty.columns) == list(full.columns)


@pytest.fixture(scope="module")
def gbdt(tasks) -> dict:
    """A small gbdt fitted on each of ``tasks``."""
    return {kind: make_model("gbdt", **FAST["gbdt"]).fit(task) for kind, task in tasks.items()}


@pytest.mark.parametrize("kind", list(QUERIES))
def test_gbdt_predicts_no_rows_for_no_examples(kind: str, tasks, db, gbdt, tmp_path: Path) -> None:
    """A saved gbdt asked for an anchor with no entities: LightGBM refused the
    empty matrix ('Input data must be 2 dimensional and non empty')."""
    model = gbdt[kind]
    assert_no_rows_in_no_rows_out(model, tasks[kind])
    loaded = load(model.save(tmp_path / "m.rg"), db)
    assert_no_rows_in_no_rows_out(loaded, tasks[kind])


def test_icl_predicts_no_rows_for_no_examples(tasks, db, tmp_path: Path) -> None:
    model = make_model("icl-lightgbm").fit(tasks["binary"])
    loaded = load(model.save(tmp_path / "m.rg"), db)
    assert_no_rows_in_no_rows_out(loaded, tasks["binary"])


def test_load_refuses_another_schema(tasks, tmp_path: Path) -> None:
    path = make_model("prior").fit(tasks["binary"]).save(tmp_path / "m.rg")
    other = rg.connect(make_ecommerce(scale=0.05, seed=1))
    other.set_stype("orders", "channel", "text")
    with pytest.raises(ModelError, match="another schema"):
        load(path, other)
    (tmp_path / "junk.rg").write_text("not a zip")
    with pytest.raises(ModelError, match="not a relgraph model file"):
        load(tmp_path / "junk.rg", other)


def test_explain_gives_readable_reasons(tasks, gbdt) -> None:
    model = gbdt["binary"]
    out = model.explain(tasks["binary"].table("test").head(4), top=3)
    assert out["top_signal"].str.len().gt(5).all()
    assert all(len(c) == 3 for c in out["contributions"])
    assert {"feature", "value", "contribution", "text"} <= set(out["contributions"][0][0])


def test_unsupported_task_and_bad_names(tasks, db) -> None:
    link = rg.Task.from_query(
        db,
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) "
        "RANK TOP 5 FOR EACH customers.customer_id",
    )
    with pytest.raises(ModelError, match="does not support link_prediction"):
        make_model("gbdt").fit(link)
    with pytest.raises(ModelError, match="Unknown model 'xgb'"):
        make_model("xgb")
    assert set(MODEL_NAMES) >= {"gbdt", "baseline", "prior", "history"}


def test_link_prediction_baselines(db) -> None:
    task = rg.Task.from_query(
        db,
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) "
        "RANK TOP 5 FOR EACH customers.customer_id",
    )
    test = task.table("test")
    for name in ("prior", "history"):
        preds = make_model(name).fit(task).predict(test)
        assert preds["predicted"].map(len).le(5).all()
