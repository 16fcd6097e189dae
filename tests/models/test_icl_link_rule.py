"""The icl link ranker's own-frequency rule and the MAP@k it is chosen by:
the per-entity AP of ranked pairs equals :func:`relgraph.metrics.map_at_k` of
the same ranked lists, and the rule ranks as the history baseline does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.metrics import map_at_k
from relgraph.models.icl.links import average_precision, rule_scores
from relgraph.models.icl.model import IclModel


def test_pairs_average_precision_is_map_at_k() -> None:
    rng = np.random.default_rng(0)
    entities, items, k = 40, 12, 5
    pairs = pd.DataFrame(
        {"e": np.repeat(np.arange(entities), items), "item": np.tile(np.arange(items), entities)}
    )
    pairs["y"] = (rng.random(len(pairs)) < 0.2).astype(int)
    score = rng.random(len(pairs))
    # each entity's true targets: its positive pairs plus, for some, one that is no candidate
    extra = rng.random(entities) < 0.3
    relevant = pairs.groupby("e")["y"].sum() + extra
    relevant = relevant[relevant > 0]
    ap = average_precision(pairs, score, relevant, "e", k)
    truth, ranked = [], []
    for e in relevant.index:
        mine = pairs[pairs["e"] == e].assign(s=score[pairs["e"] == e])
        positives = list(mine.loc[mine["y"] == 1, "item"]) + ([-1] if extra[e] else [])
        truth.append(positives)
        ranked.append(list(mine.sort_values("s", ascending=False, kind="stable")["item"]))
    assert ap.mean() == pytest.approx(map_at_k(truth, ranked, k), abs=1e-12)


def test_rule_ranks_most_frequent_then_recent_then_popular() -> None:
    pairs = pd.DataFrame(
        {
            "own_windows": [1.0, 3.0, 3.0, 0.0, 0.0],
            "own_recency": [1.0, 0.9, 2.1, 0.0, 0.0],
            "pop_recency": [0.0, 0.0, 0.0, 0.2, 0.7],
        }
    )
    assert np.argsort(-rule_scores(pairs), kind="stable").tolist() == [2, 1, 0, 4, 3]


def test_link_predictions_report_how_many_anchors_the_rule_ranked() -> None:
    db = rg.connect(make_ecommerce(scale=0.05, seed=2))
    task = rg.Task.from_query(
        db,
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 3 "
        "FOR EACH customers.customer_id",
    )
    model = IclModel(predictor="lightgbm").fit(task)
    preds = model.predict(task.table("test").head(20))
    assert all(len(p) == 3 for p in preds["predicted"])
    assert 0 <= model.last_context_["own_rule_anchors"] <= model.last_context_["fits"]
