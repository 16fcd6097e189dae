"""Temporal splits (DESIGN.md section 3) and horizons."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import PQLError
from relgraph.pql.ast import TimeUnit
from relgraph.pql.duration import Duration
from relgraph.pql.splits import (
    MAX_EVAL_ANCHORS,
    choose_split_times,
    eval_anchors,
    train_anchors,
)

D30 = Duration(30)


def dates(times: list[pd.Timestamp]) -> list[str]:
    return [str(t.date()) if t == t.normalize() else str(t) for t in times]


def test_training_anchors_go_back_to_the_earliest_time() -> None:
    got = train_anchors(pd.Timestamp("2024-04-01"), D30, pd.Timestamp("2024-01-02"))
    assert dates(got) == ["2024-03-02", "2024-02-01", "2024-01-02"]  # equal to earliest: kept
    got = train_anchors(pd.Timestamp("2024-04-01"), D30, pd.Timestamp("2024-01-02 00:00:01"))
    assert dates(got) == ["2024-03-02", "2024-02-01"]


def test_evaluation_anchors_end_their_window_by_the_stop() -> None:
    got = eval_anchors(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"), D30)
    assert dates(got) == ["2024-01-01", "2024-01-31"]  # 01-31 + 30 d = 03-01 <= stop
    got = eval_anchors(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-29"), D30)
    assert dates(got) == ["2024-01-01"]
    many = eval_anchors(pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01"), Duration(1))
    assert len(many) == MAX_EVAL_ANCHORS


def test_months_do_not_drift() -> None:
    got = eval_anchors(
        pd.Timestamp("2024-01-31"), pd.Timestamp("2024-06-30"), Duration(1, TimeUnit.months)
    )
    assert dates(got) == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]


def test_chosen_split_times() -> None:
    earliest, latest = pd.Timestamp("2023-01-01 05:00"), pd.Timestamp("2024-12-31 22:00")
    split = choose_split_times(earliest, latest, D30)
    # 24 horizons of history: k = 2 horizons each for test and validation, to the day
    assert split.test_time == pd.Timestamp("2024-12-31") - pd.Timedelta(days=60)
    assert split.val_time == split.test_time - pd.Timedelta(days=60)
    assert "split times chosen from the data" in split.note and "the last 2 horizons" in split.note
    assert len(eval_anchors(split.test_time, latest, D30)) == 2
    assert len(eval_anchors(split.val_time, split.test_time, D30)) == 2
    given = choose_split_times(earliest, latest, D30, val_time=pd.Timestamp("2024-06-01"))
    assert given.val_time == pd.Timestamp("2024-06-01")
    assert "test_time 2024-11-01" in given.note and "val_time 2024" not in given.note
    assert (
        choose_split_times(
            earliest, latest, D30, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-01")
        ).note
        == ""
    )


def test_split_time_errors() -> None:
    earliest, latest = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-15")
    with pytest.raises(PQLError, match="fewer than 3 horizons of 30 days; give a shorter horizon"):
        choose_split_times(earliest, latest, D30)
    with pytest.raises(PQLError, match="Expected val_time < test_time"):
        choose_split_times(
            earliest, latest, Duration(1), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-01-01")
        )


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30d", 30, TimeUnit.days),
        ("30 days", 30, TimeUnit.days),
        ("2w", 2, TimeUnit.weeks),
        ("1mo", 1, TimeUnit.months),
        ("12h", 12, TimeUnit.hours),
        ("90min", 90, TimeUnit.minutes),
        ("10s", 10, TimeUnit.seconds),
        ("3 Months", 3, TimeUnit.months),
    ],
)
def test_horizon_parsing(text: str, amount: int, unit: TimeUnit) -> None:
    assert Duration.parse(text) == Duration(amount, unit)


@pytest.mark.parametrize("text", ["30", "d", "0d", "-3d", "30 fortnights", "1.5d"])
def test_bad_horizons(text: str) -> None:
    with pytest.raises(PQLError, match="Cannot read the horizon"):
        Duration.parse(text)


def test_task_splits_follow_the_rule(shop: rg.Database) -> None:
    task = rg.Task.from_query(
        shop,
        "PREDICT COUNT(orders.*, 0, 30) = 0 FOR EACH customers.customer_id",
        val_time="2024-06-01",
        test_time="2024-09-01",
    )
    assert task.split_note == ""
    train, val, test = (task.anchor_times(s) for s in ("train", "val", "test"))
    assert train[-1] == pd.Timestamp("2024-05-02") and train[0] >= task.earliest
    assert train[0] - pd.Timedelta(days=30) < task.earliest
    assert dates(val) == ["2024-06-01", "2024-07-01", "2024-07-31"]
    assert all(t + pd.Timedelta(days=30) <= task.latest for t in test) and test[0] == pd.Timestamp(
        "2024-09-01"
    )
    assert task.table("train").anchor_time.max() <= pd.Timestamp("2024-05-02")
    with pytest.raises(PQLError, match="Unknown split 'dev'"):
        task.anchor_times("dev")


def test_the_horizon_defaults_to_the_window_and_can_be_given(shop: rg.Database) -> None:
    q = "PREDICT COUNT(orders.*, 0, 14) = 0 FOR EACH customers.customer_id"
    assert str(rg.Task.from_query(shop, q).horizon) == "14 days"
    task = rg.Task.from_query(shop, q, horizon="1mo", val_time="2024-06-30", test_time="2024-09-30")
    assert dates(task.anchor_times("val")) == ["2024-06-30", "2024-07-30", "2024-08-30"]
    short = rg.Task.from_query(shop, q, horizon="7d")
    assert "shorter than the target window" in short.split_note


def test_static_target_splits(trials: rg.Database) -> None:
    q = "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id"
    task = rg.Task.from_query(trials, q, horizon="30d")
    assert task.horizon is None and "horizon is ignored" in task.split_note
    assert "80th/90th percentiles" in task.split_note
    train, val, test = (task.table(s) for s in ("train", "val", "test"))
    assert len(train) and (train.anchor_time <= task.val_time).all()
    assert ((val.anchor_time > task.val_time) & (val.anchor_time <= task.test_time)).all()
    assert len(test) and (test.anchor_time > task.test_time).all()
    assert task.anchor_times("val") == [task.test_time]
