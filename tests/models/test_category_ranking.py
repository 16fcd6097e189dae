"""A multicategorical column as the target (``PREDICT articles.tags RANK TOP k``)
in the models: every multilabel family ranks the categories through its
``CLASSIFY`` model, with the contract of tests/models/test_contract.py; and
icl on a multilabel target, one label at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import score_predictions
from relgraph.models import load
from relgraph.models.core.base import ModelError
from relgraph.models.core.ranking import ranked_predictions
from relgraph.models.registry import make_model
from relgraph.pql import TaskType

RANK = "PREDICT articles.tags RANK TOP 3 FOR EACH articles.article_id"
SETTINGS = {
    "prior": {},
    "gbdt": {"num_boost_round": 40, "early_stopping_rounds": 10, "ensemble_size": 1},
    "icl": {},
}


def catalogue(n: int = 400, seed: int = 0) -> rg.Database:
    """Articles whose tags follow their kind (and price: 'premium'), some on
    sale at random; sales of them."""
    rng = np.random.default_rng(seed)
    kinds = np.array(["shoe", "shirt", "toy", "book", "lamp"])
    usual = {
        "shoe": ["sport", "leather"],
        "shirt": ["cotton", "summer"],
        "toy": ["kids", "wood"],
        "book": ["paper", "kids"],
        "lamp": ["home", "light"],
    }
    kind = kinds[rng.integers(0, len(kinds), n)]
    price = rng.gamma(2.0, 20.0, n).round(2)
    tags = []
    for k, p in zip(kind, price, strict=True):
        own = [t for t in usual[k] if rng.random() < 0.85]
        tags.append(own + ["premium"] * int(p > 50) + ["sale"] * int(rng.random() < 0.15))
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    articles = pd.DataFrame(
        {"article_id": np.arange(1, n + 1), "created_at": created, "kind": kind, "price": price}
    )
    articles["tags"] = pd.Series(tags, dtype=object)
    sold = rng.integers(1, n + 1, 2 * n)
    sales = pd.DataFrame(
        {
            "sale_id": np.arange(2 * n),
            "article_id": sold,
            "sold_at": created[sold - 1] + pd.to_timedelta(rng.integers(0, 60, 2 * n), unit="D"),
        }
    )
    schema = {
        "tables": {
            "articles": {"primary_key": "article_id", "time_column": "created_at"},
            "sales": {"primary_key": "sale_id", "time_column": "sold_at"},
        },
        "links": [{"from": "sales.article_id", "to": "articles.article_id"}],
    }
    return rg.connect({"articles": articles, "sales": sales}, schema=schema)


@pytest.fixture(scope="module")
def task() -> rg.Task:
    return rg.Task.from_query(catalogue(), RANK)


@pytest.fixture(scope="module")
def fitted(task: rg.Task) -> dict:
    return {name: make_model(name, **params).fit(task) for name, params in SETTINGS.items()}


def test_ranked_predictions_take_the_likeliest() -> None:
    multilabel = pd.DataFrame({"score_a": [0.1, 0.9], "score_b": [0.5, 0.2], "score_c": [0.3, 0.9]})
    out = ranked_predictions(multilabel, 2)
    assert out["predicted"].tolist() == [["b", "c"], ["a", "c"]]  # a tie keeps the set's order
    assert out["scores"].tolist() == [[0.5, 0.3], [0.9, 0.9]]


def test_families_rank_the_categories(task: rg.Task, fitted: dict) -> None:
    assert task.task_type is TaskType.multilabel_ranking
    test = task.table("test")
    seen = {c for labels in task.table("train")["label"] for c in labels}
    scores = {}
    for name, model in fitted.items():
        preds = model.predict(test)
        assert list(preds.columns) == ["article_id", "anchor_time", "predicted", "scores"]
        assert preds["predicted"].map(len).eq(3).all()
        assert all(set(p) <= seen for p in preds["predicted"])
        assert all(list(s) == sorted(s, reverse=True) for s in preds["scores"])
        scores[name] = score_predictions(task, test, preds)["map@3"]
    # the tags follow the kind and price: the models read them, the prior cannot
    assert scores["gbdt"] > scores["prior"] + 0.3
    assert scores["icl"] > scores["prior"] + 0.3


def test_the_contract(task: rg.Task, fitted: dict, tmp_path) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        make_model("gbdt").predict(task.table("test"))
    test = task.table("test").head(20)
    for name in ("gbdt", "icl"):
        model = fitted[name]
        again = load(model.save(tmp_path / f"{name}.zip"), task.source_db)
        pd.testing.assert_frame_equal(again.predict(test), model.predict(test))
        explained = model.explain(test)
        assert explained["top_signal"].map(bool).all()
        # a static target's own column is never an input
        used = {item["feature"] for items in explained["contributions"] for item in items}
        assert used and not any("tags" in feature for feature in used)
    assert fitted["icl"].last_timings_  # what relgraph predict reports, as for any query


def test_icl_serves_multilabel_one_label_at_a_time() -> None:
    db = rg.connect(make_ecommerce(scale=0.05, seed=4))
    task = rg.Task.from_query(
        db,
        "PREDICT LIST_DISTINCT(order_items.product_id WHERE products.category = 'grocery', "
        "0, 30, days) CLASSIFY FOR EACH customers.customer_id",
    )
    test = task.table("test")
    test = test[test["anchor_time"] == test["anchor_time"].max()]  # one anchor: one context
    icl = make_model("icl").fit(task)
    preds = icl.predict(test)
    classes = set(icl.last_context_["classes"])
    assert {c.removeprefix("score_") for c in preds.columns if c.startswith("score_")} == classes
    scores = {"icl": score_predictions(task, test, preds)["macro_auroc"]}
    for name in ("prior", "history"):
        baseline = make_model(name).fit(task).predict(test)
        scores[name] = score_predictions(task, test, baseline)["macro_auroc"]
    assert scores["prior"] == 0.5
    assert scores["icl"] > max(scores["history"], 0.6), scores
