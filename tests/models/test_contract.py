"""The one contract every model family keeps, run for each registered family
(as scikit-learn's common tests run for each estimator): fit, predict, explain,
save and load, no rows in giving no rows out, and no leak from rows after the
anchor, for every task type the family claims.

A new family in ``registry.FAMILIES`` must add its small settings to
``SETTINGS``; the first test fails until it does. The hybrid family trains
several nets per fit, so its cases run with the slow tests (CI runs both sets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.models.core.base import ModelError
from relgraph.models.registry import FAMILIES, load, model_class
from relgraph.pql.task_type import TaskType

QUERIES = {
    TaskType.binary_classification: "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
    "FOR EACH customers.customer_id WHERE COUNT(orders.*, -90, 0, days) > 0",
    TaskType.regression: "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    TaskType.multiclass_classification: "PREDICT FIRST(orders.channel, 0, 30, days) "
    "FOR EACH customers.customer_id",
    TaskType.link_prediction: "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) "
    "RANK TOP 5 FOR EACH customers.customer_id",
    # one category's 8 products: one booster per label stays quick
    TaskType.multilabel_classification: "PREDICT LIST_DISTINCT(order_items.product_id "
    "WHERE products.category = 'grocery', 0, 30, days) CLASSIFY FOR EACH customers.customer_id",
    # two windows: a family without its own forecast fits one model per window
    TaskType.forecast: "PREDICT SUM(orders.amount, 0, 15, days) FORECAST 2 TIMEFRAMES "
    "FOR EACH customers.customer_id",
}
TINY_GNN = {"hidden": 8, "epochs": 1, "fanout": (4, 2), "batch_size": 256, "ensemble": 1}
#: Small settings per family: the contract, not the quality, is under test.
SETTINGS = {
    "baseline": {},
    "gbdt": {"num_boost_round": 30, "early_stopping_rounds": 10},
    "gnn": {**TINY_GNN, "refit_with_val": False},
    "hybrid": {"gnn": TINY_GNN, "folds": 2, "num_boost_round": 20},
    "icl": {"mode": "fast"},
}
SLOW = {"hybrid"}
#: A forecast is one model per window in these families: slow tests.
SLOW_FORECAST = {"gnn", "icl"}


def _explains(family: str, kind: TaskType) -> bool:
    """Whether the family explains its predictions of a task type (if not, it
    must refuse with a ModelError): the baselines have nothing to explain, and
    the gnn's ranked lists have no single output to attribute."""
    if family == "baseline":
        return False
    return not (family == "gnn" and kind is TaskType.link_prediction)


def _cases() -> list:
    cases = []
    for family in FAMILIES:
        for kind in model_class(family).supported:
            if kind is TaskType.multilabel_ranking:  # needs a multicategorical column:
                continue  # tests/models/test_category_ranking.py holds its contract
            slow = family in SLOW or (kind is TaskType.forecast and family in SLOW_FORECAST)
            marks = [pytest.mark.slow] if slow else []
            cases.append(pytest.param(family, kind, marks=marks, id=f"{family}-{kind.value}"))
    return cases


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.05, seed=4))


@pytest.fixture(scope="module")
def tasks(db: rg.Database) -> dict[TaskType, rg.Task]:
    return {kind: rg.Task.from_query(db, query) for kind, query in QUERIES.items()}


def test_every_family_has_contract_settings() -> None:
    assert set(SETTINGS) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_predict_before_fit_fails_clearly(family: str) -> None:
    model = model_class(family)(**SETTINGS[family])
    with pytest.raises(ModelError, match="is not fitted yet; call fit"):
        model.predict(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(("family", "kind"), _cases())
def test_fit_predict_explain_save_load(
    family: str, kind: TaskType, tasks, db, tmp_path: Path
) -> None:
    task = tasks[kind]
    model = model_class(family)(**SETTINGS[family]).fit(task)
    test = task.table("test").head(40)
    preds = model.predict(test)
    assert len(preds) == len(test)
    assert preds[task.entity_key].tolist() == test[task.entity_key].tolist()
    _check_values(kind, preds, task)

    again = load(model.save(tmp_path / "m.rg"), db)
    assert type(again) is type(model)
    pd.testing.assert_frame_equal(preds, again.predict(test))
    empty = again.predict(test.head(0))
    assert len(empty) == 0 and list(empty.columns) == _columns(family, kind, preds)

    if not _explains(family, kind):
        with pytest.raises(ModelError):
            model.explain(test.head(3))
        return
    explained = model.explain(test.head(3), top=2)
    assert len(explained) == 3
    assert explained["top_signal"].map(lambda s: isinstance(s, str) and len(s) > 3).all()


def _columns(family: str, kind: TaskType, preds: pd.DataFrame) -> list[str]:
    """The columns a call with no examples gives: those of a call with some,
    except where the classes (or labels) come from each query's own context
    (icl), which no example means none to score."""
    columns = list(preds.columns)
    if family == "icl" and kind in (
        TaskType.multiclass_classification,
        TaskType.multilabel_classification,
    ):
        return [c for c in columns if not c.startswith("score_")]
    return columns


def _check_values(kind: TaskType, preds: pd.DataFrame, task: rg.Task) -> None:
    if kind is TaskType.binary_classification:
        assert preds["probability"].between(0, 1).all()
    elif kind is TaskType.regression:
        assert np.isfinite(preds["prediction"]).all()
    elif kind is TaskType.multiclass_classification:
        assert set(preds["predicted"]) <= set(task.table("train")["label"].astype(str))
    elif kind is TaskType.forecast:
        steps = [c for c in preds.columns if c.startswith("step_")]
        assert steps == ["step_1", "step_2"] and np.isfinite(preds[steps]).all().all()
    elif kind is TaskType.multilabel_classification:
        seen = {str(x) for items in task.table("train")["label"] for x in items}
        scores = preds[[c for c in preds.columns if c.startswith("score_")]]
        assert {c.removeprefix("score_") for c in scores.columns} <= seen
        assert ((scores >= 0) & (scores <= 1)).all().all()
        assert all(set(p) <= seen for p in preds["predicted"])
    else:
        assert preds["predicted"].map(len).le(task.k).all()


@pytest.mark.parametrize(
    "family",
    [pytest.param(f, marks=[pytest.mark.slow] if f in SLOW else []) for f in FAMILIES],
)
def test_rows_after_the_anchor_do_not_change_predictions(family: str) -> None:
    """Every order after the anchor scrambled (amounts and owners): the same predictions."""
    frames = make_ecommerce(scale=0.05, seed=7)
    query = QUERIES[TaskType.binary_classification]
    times = {"val_time": "2024-06-01", "test_time": "2024-09-01"}
    task = rg.Task.from_query(rg.connect(frames), query, **times)
    model = model_class(family)(**SETTINGS[family]).fit(task)
    anchor = pd.Timestamp("2024-09-01")
    ids = frames["customers"]["customer_id"].head(60)
    examples = pd.DataFrame({"customer_id": ids, "anchor_time": anchor})
    before = model.predict(examples)

    orders = frames["orders"].copy()
    late = orders["ordered_at"] > anchor
    orders.loc[late, "amount"] = 1.0
    owners = orders.loc[late, "customer_id"].sample(frac=1, random_state=0).to_numpy()
    orders.loc[late, "customer_id"] = owners
    changed = rg.connect({**frames, "orders": orders})
    moved = model_class(family).from_state(
        rg.Task.from_query(changed, query, **times), model.state_files(), model.get_params()
    )
    pd.testing.assert_frame_equal(before, moved.predict(examples))
