"""The in-context predictor (``icl``) and ``relgraph.predict``: every task type
end to end on small demo databases, its error messages, and that nothing after
the anchor (or the cutoff) is read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, make_trials
from relgraph.evaluate.evaluation import evaluate_models
from relgraph.models.core.base import ModelError
from relgraph.models.icl.context import (
    ANCHORS_PER_QUERY,
    LabelCache,
    context_anchors,
    sample_context,
)
from relgraph.models.icl.model import IclModel, feature_parts
from tests.factories import shop_frames

CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (17, 42)"
CHANNEL = "PREDICT FIRST(orders.channel, 0, 30, days) FOR EACH customers.customer_id"
BASKET = (
    "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 5 "
    "FOR EACH customers.customer_id"
)
ANCHOR = "2024-10-01"


@pytest.fixture(scope="module")
def shop() -> dict[str, pd.DataFrame]:
    return make_ecommerce(scale=0.06, seed=1)


@pytest.fixture(scope="module")
def db(shop) -> rg.Database:
    return rg.connect(shop)


# ---------------------------------------------------------------- every task type
@pytest.mark.parametrize("predictor", ["transformer", "lightgbm"])
def test_binary_with_reasons(db: rg.Database, predictor: str) -> None:
    preds = rg.predict(db, CHURN, anchor_time=ANCHOR, explain=True, predictor=predictor)
    assert list(preds.columns) == [
        "customer_id",
        "anchor_time",
        "probability",
        "predicted",
        "top_signal",
        "contributions",
    ]
    assert len(preds) > 20 and preds["probability"].between(0, 1).all()
    assert preds["probability"].nunique() > 5  # not a constant
    assert (preds["anchor_time"] == pd.Timestamp(ANCHOR)).all()
    assert preds["top_signal"].str.contains(r"(?:raises|lowers) it\)$").all()
    first = preds["contributions"].iloc[0][0]
    assert {"feature", "value", "contribution", "text", "path", "hops", "window"} <= set(first)
    info = preds.attrs
    assert info["task_type"] == "binary_classification" and info["anchor_note"] == ""
    assert set(info["context"]["classes"]) == {"0", "1"}
    assert set(info["timings"]) == {"startup", "labels", "features", "prediction"}


@pytest.mark.parametrize("predictor", ["transformer", "lightgbm"])
def test_regression_for_given_ids_learns_from_every_entity(db: rg.Database, predictor: str) -> None:
    preds = rg.predict(db, SPEND, predictor=predictor)
    assert preds["customer_id"].tolist() == [17, 42]
    assert list(preds.columns) == ["customer_id", "anchor_time", "prediction", "top_signal"]
    assert np.isfinite(preds["prediction"]).all() and (preds["prediction"] >= 0).all()
    # the context is every customer's history, not only that of 17 and 42
    assert preds.attrs["context"]["examples"] >= 100
    assert "latest time in the database" in preds.attrs["anchor_note"]


@pytest.mark.parametrize("predictor", ["transformer", "lightgbm"])
def test_multiclass_scores_every_context_class(db: rg.Database, predictor: str) -> None:
    preds = rg.predict(db, CHANNEL, anchor_time=ANCHOR, entities=[1, 2, 3], predictor=predictor)
    scores = [c for c in preds.columns if c.startswith("score_")]
    assert sorted(scores) == ["score_app", "score_store", "score_web"]
    assert np.allclose(preds[scores].sum(axis=1), 1.0)
    assert set(preds["predicted"]) <= {"app", "store", "web"}


@pytest.mark.parametrize("predictor", ["transformer", "lightgbm", "blend"])
def test_link_prediction_ranks_k_products(db: rg.Database, shop, predictor: str) -> None:
    preds = rg.predict(db, BASKET, anchor_time=ANCHOR, explain=True, predictor=predictor)
    assert preds.attrs["predictor"] == predictor
    assert {"predicted", "scores", "top_signal", "contributions"} <= set(preds.columns)
    assert preds["predicted"].map(len).eq(5).all()
    assert preds["predicted"].map(lambda ids: len(set(ids)) == 5).all()
    products = set(shop["products"]["product_id"])
    assert all(set(ids) <= products for ids in preds["predicted"])
    assert all(list(s) == sorted(s, reverse=True) for s in preds["scores"])


@pytest.mark.slow  # a backtest of two models (about 15 s)
def test_link_prediction_beats_the_history_baseline(db: rg.Database) -> None:
    task = rg.Task.from_query(db, BASKET)
    result = evaluate_models(task, ["icl", "history"])
    icl = result.summary("icl", "test", "map@5")["mean"]
    history = result.summary("history", "test", "map@5")["mean"]
    assert icl >= history


def test_static_target_predicts_the_unlabelled_entities() -> None:
    trials = rg.connect(make_trials(scale=0.1, seed=0))
    query = "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id"
    preds = rg.predict(trials, query)
    task = rg.Task.from_query(trials, query)
    labelled = set(task.table_at([task.latest])["study_id"])
    assert len(preds) > 0 and not set(preds["study_id"]) & labelled
    assert "NCT-4403" in set(preds["study_id"])  # has a site, no outcome yet
    assert preds["probability"].between(0, 1).all()
    assert preds.attrs["context"]["examples"] >= 30


# ---------------------------------------------------------------- messages
def test_too_little_history_says_so(db: rg.Database) -> None:
    with pytest.raises(ModelError, match=r"Too little history .* needs at least 30"):
        rg.predict(db, CHURN, anchor_time="2023-02-15")


def test_single_class_history_says_so(db: rg.Database) -> None:
    never = "PREDICT COUNT(orders.*, 0, 30, days) > 1000 FOR EACH customers.customer_id"
    with pytest.raises(ModelError, match=r"single class .* have label 0"):
        rg.predict(db, never, anchor_time=ANCHOR)


def test_bad_mode() -> None:
    with pytest.raises(rg.RelgraphError, match="mode must be one of fast, normal, best"):
        rg.predict(None, CHURN, mode="quick")


# ---------------------------------------------------------------- no leakage
@pytest.mark.parametrize("predictor", ["transformer", "lightgbm", "blend"])
def test_rows_after_the_anchor_change_nothing(shop, predictor: str) -> None:
    """Drop every timed row after the anchor: the predictions are identical."""
    anchor = pd.Timestamp(ANCHOR)
    times = {
        "customers": "signup_at",
        "orders": "ordered_at",
        "order_items": "ordered_at",
        "reviews": "reviewed_at",
    }
    cut = {
        name: frame[frame[times[name]] <= anchor] if name in times else frame
        for name, frame in shop.items()
    }
    full = rg.predict(
        rg.connect(shop), CHURN, anchor_time=anchor, explain=True, predictor=predictor
    )
    past = rg.predict(rg.connect(cut), CHURN, anchor_time=anchor, explain=True, predictor=predictor)
    pd.testing.assert_frame_equal(full, past)


def test_context_windows_end_by_the_anchor_and_cutoff() -> None:
    day = pd.Timedelta(days=1)
    t = pd.Timestamp("2024-06-01")
    anchors = list(context_anchors(t, 30 * day, t - 100 * day))
    assert anchors == [t - 30 * day, t - 60 * day, t - 90 * day]
    assert all(a + 30 * day <= t for a in anchors)
    cut = list(context_anchors(t, 30 * day, t - 100 * day, cutoff=t - 45 * day))
    assert cut == [t - 90 * day]


class _Labels:
    """A stand-in task: one label per anchor in ``labelled``, queries counted."""

    def __init__(self, labelled: set[pd.Timestamp]) -> None:
        self.labelled, self.queries = labelled, 0

    def table_at(self, anchors: list[pd.Timestamp]) -> pd.DataFrame:
        self.queries += 1
        hit = [a for a in anchors if a in self.labelled]
        return pd.DataFrame({"id": range(len(hit)), "anchor_time": hit, "label": 1})


def _gather_32_at_a_time(anchors: list[pd.Timestamp], labelled, rows: int) -> list:
    """What the cache gathered before it labelled ahead: 32 anchors per step."""
    out: list = []
    for i in range(0, len(anchors), ANCHORS_PER_QUERY):
        if len(out) >= rows:
            break
        out += [a for a in anchors[i : i + ANCHORS_PER_QUERY] if a in labelled]
    return out


@pytest.mark.parametrize("rows", [1, 5, 40, 10_000])
def test_label_cache_crosses_a_long_empty_stretch_in_few_queries(rows: int) -> None:
    """A year-9999 anchor walks back thousands of empty anchors to the data."""
    day = pd.Timedelta(days=1)
    anchors = [pd.Timestamp("9999-12-01") - k * 30 * day for k in range(1, 20_000)]
    labelled = set(anchors[15_000:15_100]) | {anchors[3]}
    task = _Labels(labelled)
    got = LabelCache(task).gather(iter(anchors), rows)
    assert got["anchor_time"].tolist() == _gather_32_at_a_time(anchors, labelled, rows)
    assert task.queries <= 30  # 625 batches of 32


def test_label_cache_labels_what_the_rows_so_far_say_is_needed_in_one_query() -> None:
    day = pd.Timedelta(days=1)
    anchors = [pd.Timestamp("2024-01-01") - k * 7 * day for k in range(1, 1_000)]
    labelled = set(anchors[::2])  # one row every other anchor
    task = _Labels(labelled)
    got = LabelCache(task).gather(iter(anchors), 200)
    assert got["anchor_time"].tolist() == _gather_32_at_a_time(anchors, labelled, 200)
    assert task.queries == 2  # 32 anchors, then the rest at once (not 12 of 32)


def test_stratified_context_keeps_the_rare_class() -> None:
    when = pd.date_range("2020-01-01", periods=200, freq="D")
    labels = pd.DataFrame({"id": range(200), "anchor_time": when, "label": 0})
    labels.loc[:9, "label"] = 1  # ten positives, all old
    sample = sample_context(labels, 50, stratify=True)
    assert len(sample) == 50 and sample["label"].sum() == 10
    assert sample_context(labels, 50, stratify=False)["label"].sum() == 0


# ---------------------------------------------------------------- harness
@pytest.mark.slow  # both protocols of the evaluation harness, then two more fits
def test_icl_in_the_evaluation_harness(db: rg.Database) -> None:
    task = rg.Task.from_query(db, CHURN)
    result = evaluate_models(task, ["icl", "prior"], protocol="both")
    for protocol in ("rolling", "relbench"):
        auroc = result.summary("icl", "test", "auroc", protocol)["mean"]
        assert 0.6 < auroc <= 1.0
    test = task.table("test")
    lagged = IclModel(cutoff_lag="lagged").fit(task)
    lagged.predict(test, cutoff=task.test_time)
    # under the cutoff every test anchor shares one context that ends by test_time
    last = pd.Timestamp(lagged.last_context_["last_anchor"])
    assert last + pd.Timedelta(days=30) <= task.test_time
    assert lagged.last_context_["fits"] == test["anchor_time"].nunique()
    blend = IclModel().fit(task)  # one plain and one lagged fit per anchor after the cutoff
    blend.predict(test, cutoff=task.test_time)
    after = (test["anchor_time"].drop_duplicates() > task.test_time).sum()
    assert blend.last_context_["fits"] == test["anchor_time"].nunique() + after


def test_feature_parts() -> None:
    assert feature_parts("customers.age", "customers") == {
        "path": "customers",
        "hops": 0,
        "window": "",
    }


def test_save_load_keeps_settings(db: rg.Database, tmp_path) -> None:
    task = rg.Task.from_query(db, CHURN)
    model = IclModel(mode="normal", context_size=300).fit(task)
    examples = task.entities_at(ANCHOR)
    again = rg.load(model.save(tmp_path / "icl.rg"), db)
    assert again.get_params() == model.get_params()
    pd.testing.assert_frame_equal(model.predict(examples), again.predict(examples))


# ---------------------------------------------------------------- predictors
def test_blend_is_the_mean_of_both(db: rg.Database) -> None:
    task = rg.Task.from_query(db, CHURN)
    examples = task.entities_at(ANCHOR)
    out = {
        p: IclModel(predictor=p).fit(task).predict(examples)["probability"].to_numpy()
        for p in ("lightgbm", "transformer", "blend")
    }
    assert np.allclose(out["blend"], (out["lightgbm"] + out["transformer"]) / 2)


def test_lightgbm_in_the_evaluation_harness(db: rg.Database) -> None:
    task = rg.Task.from_query(db, CHURN)
    result = evaluate_models(task, ["icl-lightgbm"])  # "icl" (fast) is the transformer
    assert 0.6 < result.summary("icl-lightgbm", "test", "auroc")["mean"] <= 1.0


def test_bad_predictor(db: rg.Database) -> None:
    with pytest.raises(rg.RelgraphError, match="predictor must be one of lightgbm"):
        rg.predict(None, CHURN, predictor="forest")
    task = rg.Task.from_query(db, CHURN)
    with pytest.raises(ModelError, match="IclModel.predictor must be one of"):
        IclModel(predictor="forest").fit(task)


def test_each_mode_has_its_predictor(db: rg.Database) -> None:
    fast = rg.predict(db, CHURN, anchor_time=ANCHOR, entities=[1, 2, 3])
    assert fast.attrs["predictor"] == "transformer"
    normal = rg.predict(db, CHURN, anchor_time=ANCHOR, entities=[1, 2, 3], mode="normal")
    assert normal.attrs["predictor"] == "blend"
    asked = rg.predict(db, CHURN, anchor_time=ANCHOR, entities=[1, 2, 3], predictor="lightgbm")
    assert asked.attrs["predictor"] == "lightgbm"


def test_more_classes_than_the_transformer_has_fall_back_to_lightgbm(db: rg.Database) -> None:
    model = IclModel(predictor="transformer").fit(rg.Task.from_query(db, CHANNEL))
    assert model._predictor_for([str(i) for i in range(10)]) == "transformer"
    assert model._predictor_for([str(i) for i in range(11)]) == "lightgbm"


def test_normal_mode_stops_lightgbm_early(db: rg.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """normal and best hold out a fifth of the context and keep the best round;
    fast fits all its rounds on all of it. Reasons come from the kept rounds."""
    import lightgbm as lgb

    from relgraph.models.icl.model import MODES

    fits: list[tuple[lgb.Booster, dict]] = []
    real = lgb.train

    def spy(*args, **kwargs):
        booster = real(*args, **kwargs)
        fits.append((booster, kwargs))
        return booster

    monkeypatch.setattr(lgb, "train", spy)
    preds = rg.predict(db, CHURN, anchor_time=ANCHOR, mode="normal", predictor="lightgbm")
    booster, kwargs = fits[-1]
    assert "valid_sets" in kwargs and booster.best_iteration >= 1
    assert booster.current_iteration() < MODES["normal"].num_boost_round  # it stopped
    assert preds["top_signal"].notna().all() and preds["probability"].between(0, 1).all()
    assert preds.attrs["context"]["examples"] >= 500
    rg.predict(db, CHURN, anchor_time=ANCHOR, predictor="lightgbm")
    assert "valid_sets" not in fits[-1][1]


# ---------------------------------------------------------------- far times
def far_shop() -> dict[str, pd.DataFrame]:
    """A small shop with orders on 9999-12-31 and customers who signed up in 1850
    (microsecond columns: nanoseconds end in 2262)."""
    frames = shop_frames(customers=40, orders=300)
    for frame in frames.values():
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                frame[column] = frame[column].astype("datetime64[us]")
    orders = frames["orders"]
    far = orders.head(3).assign(
        order_id=orders["order_id"].max() + np.arange(1, 4),
        ordered_at=np.datetime64("9999-12-31T00:00:00", "us"),
    )
    frames["orders"] = pd.concat([orders, far], ignore_index=True)
    frames["customers"].loc[:2, "signup_at"] = np.datetime64("1850-03-01", "us")
    return frames


def test_far_future_and_pre_1900_times_work_end_to_end() -> None:
    """Issue 16: a year-9999 time made ``predict`` die with OutOfBoundsDatetime."""
    db = rg.connect(far_shop())
    assert any("3 are more than 50 years after" in w for w in db.schema.warnings)
    task = rg.Task.from_query(db, CHURN, val_time="2024-08-01", test_time="2024-10-01")
    assert task.earliest == pd.Timestamp("1850-03-01")
    assert task.latest == pd.Timestamp("9999-12-31")
    assert len(task.table("train")) > 0
    gbdt = evaluate_models(task, ["gbdt"], params={"gbdt": {"num_boost_round": 20}})
    assert 0 <= gbdt.runs[0].scores["test"]["auroc"] <= 1
    at = rg.predict(db, CHURN, anchor_time="2024-12-01")
    assert len(at) > 0 and at["probability"].between(0, 1).all()
    # The default anchor is the latest time, 9999-12-31; its context is in 2024.
    yearly = (
        "PREDICT COUNT(orders.*, 0, 365, days) = 0 FOR EACH customers.customer_id "
        "WHERE COUNT(orders.*, -3650, 0, days) > 0"
    )
    late = rg.predict(db, yearly)
    assert late.attrs["anchor_time"] == "9999-12-31 00:00:00"
    assert late["anchor_time"].eq(pd.Timestamp("9999-12-31")).all()
    assert set(late["customer_id"]) == set(far_shop()["orders"]["customer_id"].head(3))


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_fast_contexts_grow_with_the_entity_table(shop) -> None:
    """``fast`` takes about one anchor's entities as context, 1,000 to 2,048
    rows, whatever the number of rows asked for."""
    small = rg.connect({**shop, "customers": shop["customers"].head(700)})
    large = rg.connect(make_ecommerce(scale=0.3, seed=1))
    query = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
    sizes = {}
    for name, database in (("small", small), ("large", large)):
        task = rg.Task.from_query(database, query)
        model = IclModel().fit(task)
        asked = task.entities_at(ANCHOR)
        for rows in (3, len(asked)):
            model.predict(asked.head(rows))
            sizes[name, rows > 3] = model.last_context_["examples"]
    assert sizes["small", False] == sizes["small", True] == 1000
    customers = len(large.table("customers"))
    assert customers > 1000 and sizes["large", False] == sizes["large", True]
    assert sizes["large", True] == min(customers, 2048)


def test_a_kept_model_reuses_its_trees_and_kept_feature_rows(shop) -> None:
    """Asked again over the same context (other entities), a kept model
    predicts with the trees it fitted; rows filled in by keep_features are
    the rows a prediction computes. Neither changes a prediction."""
    from relgraph.predict import warm_model

    query = CHURN.split(" WHERE")[0]
    db = rg.connect(shop)
    ids = db.table("customers")["customer_id"].sort_values().to_numpy()
    model = warm_model(db, query, predictor="lightgbm")
    asked = {"anchor_time": ANCHOR, "predictor": "lightgbm", "fitted": model}
    rg.predict(db, query, entities=ids[:40], **asked)
    when = pd.Timestamp(ANCHOR)
    filled, columns = model.keep_features(pd.DataFrame({"customer_id": ids, "anchor_time": when}))
    assert filled == len(ids) and columns > 10
    fits, rows = [], []
    fit_trees, (inputs,) = model._fit_lightgbm, model._inputs.values()
    features = inputs.plan.transform
    model._fit_lightgbm = lambda *args: fits.append(1) or fit_trees(*args)
    inputs.plan.transform = lambda db, r, **kw: rows.append(len(r)) or features(db, r, **kw)
    warm = rg.predict(db, query, entities=ids[40:90], **asked)
    assert fits == [] and len(model._boosters) == 1 and rows == []
    assert len(model._inputs) == 1  # the same plan, so the rows were counted
    cold = rg.predict(
        rg.connect(shop), query, anchor_time=ANCHOR, entities=ids[40:90], predictor="lightgbm"
    )
    pd.testing.assert_frame_equal(warm, cold, check_exact=False, rtol=1e-9)
