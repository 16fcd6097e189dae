"""Tasks anchored at each entity's own time (``anchor="entity"``, Kumo's
``anchor_time='entity'``): labels and splits against a brute force written
from the documented meaning, on the random databases of the differential tests."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.errors import PQLError
from tests.pql.test_differential import BASE, make_database

VAL, TEST = BASE + pd.Timedelta(days=4), BASE + pd.Timedelta(days=8)


SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_entity_anchored_labels_and_splits(seed: int) -> None:
    """10 random databases on every run (make test)."""
    assert_entity_anchored_labels_and_splits(seed)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_entity_anchored_labels_and_splits_on_40_databases(seed: int) -> None:
    """The full run (make test-slow, CI): 40 more."""
    assert_entity_anchored_labels_and_splits(seed)


def assert_entity_anchored_labels_and_splits(seed: int) -> None:
    """Each split's labels equal the brute force's on the random database of ``seed``."""
    r = random.Random(seed)
    frames, schema = make_database(r)
    schema["tables"]["users"]["time_column"] = "created_at"
    db = rg.connect(frames, schema=schema)
    days = r.randint(1, 3)
    query = f"PREDICT COUNT(events.*, 0, {days}, days) FOR EACH users.user_id"
    task = rg.Task.from_query(db, query, val_time=VAL, test_time=TEST, anchor="entity")
    users, events = frames["users"], frames["events"]
    window = pd.Timedelta(days=days)
    for split, start, cutoff in (
        ("train", None, VAL),
        ("val", VAL, TEST),
        ("test", TEST, task.latest),
    ):
        want = {}
        for _, u in users.iterrows():
            t = u["created_at"]
            if pd.isna(t) or t + window > cutoff or (start is not None and t < start):
                continue
            mine = events[(events["user_id"] == u["user_id"]) & events["ts"].notna()]
            want[(int(u["user_id"]), t)] = float(
                ((mine["ts"] > t) & (mine["ts"] <= t + window)).sum()
            )
        table = task.table(split)
        got = {
            (int(k), pd.Timestamp(a)): float(v)
            for k, a, v in zip(table["user_id"], table["anchor_time"], table["label"], strict=True)
        }
        assert got == want, (seed, split)
    # what a model may learn from at a time: windows that ended by then
    cutoff = BASE + pd.Timedelta(days=6)
    known = task.labelled_by(cutoff)
    assert (pd.to_datetime(known["anchor_time"]) + window <= cutoff).all()


def test_entity_anchors_need_a_time_column_on_the_entity_table() -> None:
    frames, schema = make_database(random.Random(1))
    schema["tables"]["users"]["time_column"] = ""
    db = rg.connect(frames, schema=schema)
    with pytest.raises(PQLError, match="users has no time column"):
        rg.Task.from_query(
            db, "PREDICT COUNT(events.*, 0, 3, days) FOR EACH users.user_id", anchor="entity"
        )
    with pytest.raises(PQLError, match="anchor must be"):
        rg.Task.from_query(db, "PREDICT users.age FOR EACH users.user_id", anchor="row")


def test_entities_without_a_time_split_by_a_hash_of_the_key(tmp_path) -> None:
    folder = tmp_path / "snapshot"
    folder.mkdir()
    n = 400
    airports = pd.DataFrame(
        {"airport_id": range(n), "big": [i % 5 == 0 for i in range(n)], "alt": range(n)}
    )
    routes = pd.DataFrame({"route_id": range(3 * n), "source_id": [i % n for i in range(3 * n)]})
    airports.to_csv(folder / "airports.csv", index=False)
    routes.to_csv(folder / "routes.csv", index=False)
    db = rg.connect(folder)
    task = rg.Task.from_query(db, "PREDICT airports.big FOR EACH airports.airport_id")
    assert task.splits_by_key and "hash of airport_id" in task.split_note
    tables = {s: task.table(s) for s in ("train", "val", "test")}
    keys = [set(t["airport_id"]) for t in tables.values()]
    assert set().union(*keys) == set(range(n)) and sum(len(k) for k in keys) == n  # a partition
    assert 0.7 < len(keys[0]) / n < 0.9 and len(keys[1]) and len(keys[2])
    again = rg.Task.from_query(
        rg.connect(folder), "PREDICT airports.big FOR EACH airports.airport_id"
    )
    assert set(again.table("test")["airport_id"]) == keys[2]  # the same split on every run
    assert (
        tables["train"]["label"] == tables["train"]["airport_id"].map(lambda i: int(i % 5 == 0))
    ).all()
    # a windowed target still needs time
    with pytest.raises(PQLError):
        rg.Task.from_query(
            db, "PREDICT COUNT(routes.*, 0, 30, days) FOR EACH airports.airport_id"
        ).table("train")
