"""Kumo-style shorthand conditions (relgraph.pql.shorthand): what they are
rewritten to, and their labels against a brute force written from their
documented meaning alone (not from the rewrite), on the random databases of
the differential tests."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.errors import PQLSemanticError
from tests.pql.test_differential import BASE, DAYS, make_database

TARGET = "PREDICT COUNT(events.*, 0, 3, days) FOR EACH users.user_id"


def _visible_events(frames: dict[str, pd.DataFrame], user: int, at: pd.Timestamp, since=None):
    e = frames["events"]
    rows = e[(e["user_id"] == user) & e["ts"].notna() & (e["ts"] <= at)]
    return rows if since is None else rows[rows["ts"] > since]


def _users_at(frames: dict[str, pd.DataFrame], schema: dict, at: pd.Timestamp) -> list[int]:
    u = frames["users"]
    if schema["tables"]["users"]["time_column"]:
        u = u[u["created_at"].notna() & (u["created_at"] <= at)]
    return [int(x) for x in u["user_id"]]


def _kept(db: rg.Database, query: str, anchors: list[pd.Timestamp]) -> set[tuple[int, str]]:
    table = rg.Task.from_query(db, query).table_at(anchors)
    return {
        (int(k), str(pd.Timestamp(a)))
        for k, a in zip(table["user_id"], table["anchor_time"], strict=True)
    }


SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_shorthand_labels_equal_their_meaning(seed: int) -> None:
    """10 random databases on every run (make test)."""
    assert_shorthand_labels_equal_their_meaning(seed)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_shorthand_labels_equal_their_meaning_on_40_databases(seed: int) -> None:
    """The full run (make test-slow, CI): 40 more."""
    assert_shorthand_labels_equal_their_meaning(seed)


def assert_shorthand_labels_equal_their_meaning(seed: int) -> None:
    """Five shorthand conditions keep the entities their meaning keeps, at two
    random anchors of the random database of ``seed``."""
    r = random.Random(seed)
    frames, schema = make_database(r)
    db = rg.connect(frames, schema=schema)
    anchors = sorted({BASE + pd.Timedelta(days=r.randint(0, DAYS)) for _ in range(2)})
    tag = r.choice(["x", "y", "xy"])
    days = r.randint(1, 6)
    cases = {
        # any of the user's events so far has the tag
        f"WHERE events.tag = '{tag}'": lambda ev: (ev["tag"] == tag).any(),
        f"WHERE NOT events.tag = '{tag}'": lambda ev: not (ev["tag"] == tag).any(),
        "WHERE events.value > 2": lambda ev: (ev["value"] > 2).any(),
    }
    for where, meaning in cases.items():
        want = {
            (u, str(a))
            for a in anchors
            for u in _users_at(frames, schema, a)
            if meaning(_visible_events(frames, u, a))
        }
        assert _kept(db, f"{TARGET} {where}", anchors) == want, (seed, where)
    # the distinct tags of the last `days` days hold the tag (an element, not a substring)
    for negated in (False, True):
        word = "NOT CONTAINS" if negated else "CONTAINS"
        query = f"{TARGET} WHERE LIST_DISTINCT(events.tag, -{days}, 0, days) {word} '{tag}'"
        want = set()
        for a in anchors:
            since = a - pd.Timedelta(days=days)
            for u in _users_at(frames, schema, a):
                tags = set(_visible_events(frames, u, a, since)["tag"].dropna())
                if (tag in tags) != negated:
                    want.add((u, str(a)))
        assert _kept(db, query, anchors) == want, (seed, query)


def _db() -> rg.Database:
    frames, schema = make_database(random.Random(3))
    return rg.connect(frames, schema=schema)


def test_the_rewrites_read_as_the_aggregations_they_mean() -> None:
    checked = rg.Task.from_query(
        _db(),
        f"{TARGET} WHERE events.tag = 'x' AND users.age > 20 "
        "AND LIST_DISTINCT(items.group_id, -7, 0, days) NOT CONTAINS 10",
    ).checked
    where = checked.query.where.to_pql()
    assert "COUNT(events.* WHERE events.tag = 'x', -INF, 0, days) > 0" in where
    assert "users.age > 20" in where  # the entity's own column is left as it is
    assert "COUNT(items.group_id WHERE items.group_id = 10, -7, 0, days) = 0" in where


def test_a_list_element_of_the_wrong_type_points_at_what_was_written() -> None:
    text = f"{TARGET} WHERE LIST_DISTINCT(events.value, -7, 0, days) CONTAINS 'x'"
    with pytest.raises(PQLSemanticError, match="events.value is numeric") as e:
        rg.Task.from_query(_db(), text)
    assert "CONTAINS 'x'" in str(e.value)


def test_contains_on_text_takes_text() -> None:
    with pytest.raises(PQLSemanticError, match="CONTAINS matches text, but 3 is a number"):
        rg.Task.from_query(_db(), f"{TARGET} WHERE users.kind CONTAINS 3")
