"""The icl model's per-query choice among its predictors and the simple rules,
and contexts that span several anchors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.metrics import mae
from relgraph.models.icl import model as icl_model
from relgraph.models.icl.context import sample_context
from relgraph.models.icl.model import IclModel
from relgraph.models.icl.selection import (
    MIN_CV_ROWS,
    MIN_HOLDOUT_ROWS,
    MIN_SMALL_HOLDOUT,
    choose,
    confident_choice,
    score,
    simple_predictions,
    validation_folds,
)
from relgraph.pql.task_type import TaskType


def test_holdout_is_the_latest_anchors_and_never_most_of_the_context() -> None:
    months = pd.to_datetime(["2024-01-01"] * 500 + ["2024-02-01"] * 140 + ["2024-03-01"] * 100)
    (fold,) = validation_folds(pd.Series(months))
    # March alone has fewer than MIN_HOLDOUT_ROWS rows: February joins it.
    assert MIN_HOLDOUT_ROWS == 200
    assert fold.held.sum() == 240 and (months[fold.held] >= pd.Timestamp("2024-02-01")).all()
    assert (fold.fit == ~fold.held).all()
    assert validation_folds(pd.Series(months[-300:])) is None  # too small a context
    two = pd.Series(pd.to_datetime(["2024-01-01"] * 200 + ["2024-02-01"] * 300))
    assert validation_folds(two) is None  # the latest anchor is most of it
    # a small context: its latest half, down to MIN_SMALL_HOLDOUT rows
    days = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D"))
    (fold,) = validation_folds(days)
    assert fold.held.sum() == 50 and fold.held[50:].all() and fold.fit[:50].all()
    assert validation_folds(days[: 2 * MIN_SMALL_HOLDOUT]) is not None
    assert validation_folds(days[: 2 * MIN_SMALL_HOLDOUT - 1]) is None


def test_a_holdout_of_equal_labels_moves_back() -> None:
    months = pd.Series(
        pd.to_datetime(["2024-01-01"] * 400 + ["2024-02-01"] * 250 + ["2024-03-01"] * 250)
    )
    varied = np.arange(900) % 2
    (fold,) = validation_folds(months, labels=varied)
    assert (months[fold.held] == pd.Timestamp("2024-03-01")).all()
    flat_march = np.r_[varied[:650], np.zeros(250)]
    (fold,) = validation_folds(months, labels=flat_march)
    # February, predicted from January alone: March predicts nothing
    assert (months[fold.held] == pd.Timestamp("2024-02-01")).all()
    assert (months[fold.fit] == pd.Timestamp("2024-01-01")).all() and fold.fit.sum() == 400
    # every label equal: nothing to choose on
    assert validation_folds(months, labels=np.zeros(900)) is None


def test_one_anchor_is_cross_validated_in_random_folds() -> None:
    once = pd.Series(pd.to_datetime(["2024-01-01"] * 1000))
    folds = validation_folds(once, seed=3)
    held = [f.held for f in folds]
    assert len(folds) == 5 and (np.sum(held, axis=0) == 1).all()  # each row held once
    assert all(180 <= h.sum() <= 220 for h in held)
    assert all((f.fit == ~f.held).all() for f in folds)
    again = validation_folds(once, seed=3)
    assert all((a.held == b.held).all() for a, b in zip(folds, again, strict=True))
    assert validation_folds(once[: MIN_CV_ROWS - 1]) is None
    assert validation_folds(once[:MIN_CV_ROWS]) is not None


def test_rules_fall_back_to_the_prior_without_history() -> None:
    x = pd.DataFrame(
        {"target.last": [1.0, np.nan, np.nan], "target.mean.last_12": [0.5, 0.25, np.nan]}
    )
    rules = simple_predictions(TaskType.binary_classification, x, np.array([0, 0, 0, 1.0]), None)
    assert rules["last"].tolist() == [1.0, 0.25, 0.25]
    assert rules["mean"].tolist() == [0.5, 0.25, 0.25]
    assert rules["prior"].tolist() == [0.25] * 3
    shares = simple_predictions(
        TaskType.multiclass_classification, x, np.array([0, 1, 1, 1]), ["a", "b", "c"]
    )
    assert list(shares) == ["prior"] and shares["prior"][0].tolist() == [0.25, 0.75, 0.0]


def test_the_recent_rule_reads_the_parents_rows_then_the_last_year() -> None:
    """A row-level target's ``recent`` rule: the mean of the same parent's
    earlier rows, else of the last year's, else the prior."""
    x = pd.DataFrame(
        {
            "earlier.mean.last_365d": [5.0, 6.0, np.nan],
            "earlier.mean.all": [4.0, 4.0, np.nan],
            "earlier[series].mean.all": [9.0, np.nan, np.nan],
            "earlier[other].mean.all": [1.0, 1.0, 1.0],
        }
    )
    rules = simple_predictions(TaskType.regression, x, np.array([2.0, 3.0, 4.0]), None)
    assert rules["recent"].tolist() == [9.0, 6.0, 3.0]
    assert set(rules) == {"recent", "prior"}  # no own history: no last, no mean


def test_scores_are_higher_is_better() -> None:
    y = np.array([0, 1, 0, 1.0])
    assert score(TaskType.binary_classification, y, np.array([0.1, 0.9, 0.2, 0.8])) == 1.0
    assert score(TaskType.binary_classification, np.zeros(4), np.ones(4)) == 0.5
    assert score(TaskType.regression, y, y + 2) == -2.0
    raw = np.array([[0.9, 0.1], [0.2, 0.8]])
    assert score(TaskType.multiclass_classification, np.array([0, 0]), raw) == 0.5
    assert choose({"transformer": -2.0, "last": -1.0, "prior": -1.0}) == "last"


def test_a_replacement_no_better_than_the_prior_gives_way_to_it() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(float)
    binary = TaskType.binary_classification
    prior = np.full(400, y.mean())
    wrong = 1.0 - y + rng.normal(0, 0.5, 400)  # the mode's predictor, clearly beaten
    # a candidate without signal, lucky on this holdout; and a rule beside it
    luck = np.random.default_rng(2).random(400)  # AUROC 0.51 on this holdout
    noise = {"transformer": wrong, "lightgbm": luck, "prior": prior}
    chosen, scores, share = confident_choice(binary, y, noise, "transformer")
    assert scores["lightgbm"] > scores["prior"] and share >= 0.9
    assert chosen == "prior"
    signal = {"transformer": wrong, "lightgbm": y + rng.normal(0, 0.5, 400), "prior": prior}
    assert confident_choice(binary, y, signal, "transformer")[0] == "lightgbm"
    # a rule as good as the best within the noise does not replace it: only the prior
    both = {**signal, "mean": signal["lightgbm"] + rng.normal(0, 0.05, 400)}
    assert confident_choice(binary, y, both, "transformer")[0] in ("lightgbm", "mean")
    assert (
        confident_choice(binary, y, {"transformer": y, "prior": prior}, "transformer")[0]
        == "transformer"
    )


def test_a_context_of_many_entities_spans_several_anchors() -> None:
    weeks = pd.date_range("2024-01-01", periods=6, freq="7D")
    labels = pd.DataFrame(
        {"id": np.tile(np.arange(800), 6), "anchor_time": np.repeat(weeks, 800), "label": 1.0}
    )
    context = sample_context(labels, 1000, stratify=False)
    counts = context["anchor_time"].value_counts()
    assert sorted(counts.index) == list(weeks[-4:]) and (counts == 250).all()
    # Few entities per anchor (five anchors fill it): the latest anchors in full, as before.
    few = labels[labels["id"] < 100]
    counts = sample_context(few, 500, stratify=False)["anchor_time"].value_counts()
    assert sorted(counts.index) == list(weeks[-5:]) and (counts == 100).all()


def _repeating_shop(entities: int = 150, weeks: int = 30) -> rg.Database:
    """Each customer orders the same number of times every week (0 to 6)."""
    rng = np.random.default_rng(0)
    per_week = rng.integers(0, 7, entities)
    start = pd.Timestamp("2024-01-01")
    rows = [
        (c + 1, start + pd.Timedelta(days=7 * w + 1 + k % 5, hours=k))
        for c in range(entities)
        for w in range(weeks)
        for k in range(per_week[c])
    ]
    orders = pd.DataFrame(rows, columns=["customer_id", "ordered_at"])
    orders.insert(0, "order_id", np.arange(len(orders)))
    customers = pd.DataFrame(
        {"customer_id": np.arange(1, entities + 1), "signup_at": start - pd.Timedelta(days=1)}
    )
    return rg.connect({"customers": customers, "orders": orders})


@pytest.fixture(scope="module")
def repeating_task() -> rg.Task:
    db = _repeating_shop()
    return rg.Task.from_query(
        db, "PREDICT COUNT(orders.*, 0, 7, days) FOR EACH customers.customer_id"
    )


def test_a_count_that_repeats_is_never_worse_than_copying_it(repeating_task: rg.Task) -> None:
    """A count that repeats every window is predicted exactly by the entity's
    own last value; the chosen predictor is the best on the latest window."""
    test = repeating_task.table("test")
    model = IclModel().fit(repeating_task)
    preds = model.predict(test)
    choice = model.last_context_["choice"]
    assert {"last", "mean", "prior", "transformer"} <= set(choice["scores"])
    assert choice["chosen"] == choose(choice["scores"])
    assert mae(test["label"].to_numpy(float), preds["prediction"].to_numpy()) < 1e-6


def test_a_rule_predicts_when_the_models_lose(repeating_task: rg.Task, monkeypatch) -> None:
    """With the predictors made useless, the entity's own last value wins on the
    latest window and predicts the query, with a reason that says so."""

    def useless(self, use, booster, x_context, y, x_query, classes, top):
        return np.full(len(x_query), 100.0), [], []

    monkeypatch.setattr(IclModel, "_predict_chunk", useless)
    test = repeating_task.table("test")
    model = IclModel().fit(repeating_task)
    preds = model.predict(test)
    assert model.last_context_["choice"]["chosen"] in ("last", "mean")
    assert mae(test["label"].to_numpy(float), preds["prediction"].to_numpy()) < 1e-9
    reasons = model.explain(test.head(2))
    assert reasons.loc[0, "top_signal"].startswith("its own")
    assert reasons.loc[0, "contributions"][0]["feature"].startswith("rule.")


def test_the_answer_worked_out_during_the_choice_is_the_usual_one(
    repeating_task: rg.Task, monkeypatch
) -> None:
    """The transformer predicts the query while the choice's trees grow; when
    it is chosen, that answer is the one a later call (its choice kept, no
    trees) computes after the choice."""
    calls: list[tuple[str, int]] = []
    predict_chunk = IclModel._predict_chunk

    def counted(self, use, booster, x_context, y, x_query, classes, top):
        calls.append((use, len(x_query)))
        return predict_chunk(self, use, booster, x_context, y, x_query, classes, top)

    monkeypatch.setattr(IclModel, "_predict_chunk", counted)
    monkeypatch.setattr(
        icl_model, "confident_choice", lambda kind, y, c, default, seed=0: (default, {}, 0.0)
    )
    rows = repeating_task.table("test").head(30)
    model = IclModel().fit(repeating_task)
    during = model.explain(rows, top=2)
    assert calls.index(("transformer", 30)) < next(
        i for i, (use, _) in enumerate(calls) if use == "lightgbm"
    )
    calls.clear()
    after = model.explain(rows, top=2)
    assert calls == [("transformer", 30)]  # the choice kept: nothing else runs
    pd.testing.assert_frame_equal(during, after)


def test_an_explicit_predictor_is_not_second_guessed(repeating_task: rg.Task) -> None:
    model = IclModel(predictor="transformer").fit(repeating_task)
    model.predict(repeating_task.table("test").head(20))
    assert model.last_context_["predictor"] == "transformer"
    assert "choice" not in model.last_context_


def test_reasons_compare_a_number_with_its_usual_value(repeating_task: rg.Task) -> None:
    """Directions beside the value's side of the context median, so "higher
    than usual, raises it" and "lower than usual, lowers it" read as one rule."""
    model = IclModel(predictor="transformer").fit(repeating_task)
    out = model.explain(repeating_task.table("test").head(30), top=3)
    checked = 0
    for signal, items in zip(out["top_signal"], out["contributions"], strict=True):
        lead = items[0]
        if "typical" in lead and isinstance(lead["value"], int | float):
            checked += 1
            side = "higher" if lead["value"] > lead["typical"] else "lower"
            if lead["value"] == lead["typical"]:
                side = "as usual"
            assert side in signal, signal
            assert signal.endswith("raises it)" if lead["contribution"] > 0 else "lowers it)")
    assert checked > 10


def _seasons() -> rg.Database:
    """A show's episodes: weekly within a season, one season a year, whose
    level wanders from season to season (the episodes of one season differ by
    noise only)."""
    rng = np.random.default_rng(3)
    rows, level = [], 5.0
    for season in range(1, 15):
        level = max(1.0, level + rng.normal(0, 2.5))
        start = pd.Timestamp("2005-08-01") + pd.DateOffset(years=season)
        for ep in range(1, 11):
            when = start + pd.Timedelta(days=7 * (ep - 1))
            rows.append((season * 100 + ep, season, when, level + rng.normal(0, 0.2)))
    episodes = pd.DataFrame(rows, columns=["episode_id", "season_id", "aired", "viewers"])
    seasons = pd.DataFrame({"season_id": range(1, 15), "name": [f"s{s}" for s in range(1, 15)]})
    return rg.connect({"seasons": seasons, "episodes": episodes})


def test_a_row_level_target_follows_the_recent_level(monkeypatch) -> None:
    """The table's earlier rows (the same season's episodes, the last year's)
    carry the level; without them the context's median is all a model has."""
    db = _seasons()
    query = "PREDICT episodes.viewers FOR EACH episodes.episode_id"
    task = rg.Task.from_query(db, query, val_time="2017-06-01", test_time="2018-06-01")
    test = task.table("test")
    y = test["label"].to_numpy(float)

    def error() -> float:
        preds = IclModel().fit(task).predict(test)
        return mae(y, preds["prediction"].to_numpy())

    with_rows = error()
    monkeypatch.setattr("relgraph.models.core.inputs.reads_earlier_rows", lambda task: False)
    without = error()
    spread = float(np.mean(np.abs(y - np.median(task.table("train")["label"]))))
    assert with_rows < 0.5 * without and with_rows < 0.25 * spread, (with_rows, without, spread)
