"""Relational features: right values, and nothing after the anchor time is read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.features import FeaturePlan, join_paths
from tests.factories import shop_frames


def examples(anchors: list[str], customers: int = 40) -> pd.DataFrame:
    ids = np.arange(1, customers + 1)
    return pd.DataFrame(
        {
            "customer_id": np.tile(ids, len(anchors)),
            "anchor_time": np.repeat(pd.to_datetime(anchors), len(ids)),
        }
    )


def test_join_paths_of_the_shop() -> None:
    db = rg.connect(shop_frames())
    names = [p.name for p in join_paths(db.schema, "customers", max_hops=2)]
    assert names == ["orders", "reviews", "orders>order_items", "reviews>products"]
    three = [p.name for p in join_paths(db.schema, "customers", max_hops=3)]
    assert three[4:] == ["orders>order_items>products", "reviews>products>order_items"]


def test_values_match_pandas() -> None:
    frames = shop_frames(seed=3)
    db = rg.connect(frames)
    plan = FeaturePlan.fit(db, "customers", "30D", "2024-07-01")
    ex = examples(["2024-07-01", "2024-10-15"])
    feats = plan.transform(db, ex)
    orders, items = frames["orders"], frames["order_items"]
    for i, (cid, t) in enumerate(zip(ex["customer_id"], ex["anchor_time"], strict=True)):
        mine = orders[(orders.customer_id == cid) & (orders.ordered_at <= t)]
        last30 = mine[mine.ordered_at > t - pd.Timedelta(days=30)]
        row = feats.iloc[i]
        assert row["orders.count.all"] == len(mine)
        assert row["orders.count.last_30d"] == len(last30)
        if len(mine):
            assert row["orders.amount.mean.all"] == pytest.approx(mine.amount.mean())
            newest_first = mine.sort_values(["ordered_at", "order_id"], ascending=False)
            assert row["orders.amount.last"] == pytest.approx(newest_first.amount.iloc[0])
            assert row["orders.amount.mean.last_5"] == pytest.approx(
                newest_first.amount.head(5).mean()
            )
            days = (t - mine.ordered_at.max()).total_seconds() / 86400
            assert row["orders.days_since_last"] == pytest.approx(days)
            n_items = items.order_id.isin(mine.order_id).sum()
            assert row["orders>order_items.count.all"] == n_items
        else:
            assert np.isnan(row["orders.amount.mean.all"])
    assert feats["customers.country"].dtype == "category"
    assert "customers.age_days" in feats.columns


def mutate_after(frames: dict[str, pd.DataFrame], t: pd.Timestamp, seed: int) -> dict:
    """Change every row dated after ``t`` and add new ones: nothing visible at ``t``."""
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in frames.items()}
    o = out["orders"]
    late = o.ordered_at > t
    o.loc[late, "amount"] = rng.uniform(0, 1e4, late.sum())
    o.loc[late, "customer_id"] = rng.integers(1, 41, late.sum())
    extra = pd.DataFrame(
        {
            "order_id": np.arange(90_000, 90_050),
            "customer_id": rng.integers(1, 41, 50),
            "ordered_at": t + pd.to_timedelta(rng.integers(1, 10_000, 50), unit="min"),
            "amount": rng.uniform(0, 10, 50),
        }
    )
    out["orders"] = pd.concat([o, extra], ignore_index=True)
    items = pd.DataFrame(
        {
            "order_item_id": np.arange(80_000, 80_050),
            "order_id": extra.order_id.to_numpy(),
            "product_id": rng.integers(100, 130, 50),
            "quantity": rng.integers(1, 9, 50),
        }
    )
    out["order_items"] = pd.concat([out["order_items"], items], ignore_index=True)
    r = out["reviews"]
    late = r.reviewed_at > t
    r.loc[late, "rating"] = rng.integers(1, 6, late.sum())
    r.loc[late, "text"] = "changed " + r.loc[late, "text"]
    return out


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.integers(30, 330), seed=st.integers(0, 1000))
def test_rows_after_the_anchor_change_nothing(day: int, seed: int) -> None:
    t = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day, hours=seed % 24)
    frames = shop_frames(seed=seed % 5)
    db = rg.connect(frames)
    plan = FeaturePlan.fit(db, "customers", "30D", t)
    anchors = [t - pd.Timedelta(days=40), t]  # every anchor at or before t
    before = plan.transform(db, examples([str(a) for a in anchors]))
    changed = rg.connect(mutate_after(frames, t, seed))
    after = plan.transform(changed, examples([str(a) for a in anchors]))
    pd.testing.assert_frame_equal(before, after)
    # The plan fitted on the changed database is the same plan.
    assert FeaturePlan.fit(changed, "customers", "30D", t) == plan


def test_missing_columns_and_bad_horizon() -> None:
    db = rg.connect(shop_frames())
    with pytest.raises(rg.RelgraphError, match="horizon must be positive"):
        FeaturePlan.fit(db, "customers", "0D", "2024-07-01")
    plan = FeaturePlan.fit(db, "customers", "30D", "2024-07-01")
    with pytest.raises(rg.RelgraphError, match="Examples need columns 'customer_id'"):
        plan.transform(db, pd.DataFrame({"id": [1]}))


def test_cutoff_hides_rows_after_it_for_later_anchors() -> None:
    cutoff = pd.Timestamp("2024-06-01")
    frames = shop_frames(seed=2)
    db = rg.connect(frames)
    plan = FeaturePlan.fit(db, "customers", "30D", cutoff)
    late = examples(["2024-08-01", "2024-11-01"])  # anchors after the cutoff
    before = plan.transform(db, late, cutoff=cutoff)
    after = plan.transform(rg.connect(mutate_after(frames, cutoff, 5)), late, cutoff=cutoff)
    pd.testing.assert_frame_equal(before, after)
    # Windows stay relative to each anchor: nothing falls in the last 30 days.
    assert (before["orders.count.last_30d"] == 0).all()
    assert (plan.transform(db, late)["orders.count.last_30d"] > 0).any()


def test_plan_survives_json() -> None:
    import json

    db = rg.connect(shop_frames())
    plan = FeaturePlan.fit(db, "customers", "30D", "2024-07-01")
    again = FeaturePlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan


def test_rows_at_the_same_time_are_ordered_by_their_key() -> None:
    # Three orders at the same moment: "last" and "mean of the last n" take
    # the highest keys first, the same way every run.
    t = pd.Timestamp("2024-03-01")
    frames = {
        "customers": pd.DataFrame({"customer_id": [1], "signup_at": [t - pd.Timedelta(days=90)]}),
        "orders": pd.DataFrame(
            {
                "order_id": [1, 2, 3, 4],
                "customer_id": [1, 1, 1, 1],
                "ordered_at": [t - pd.Timedelta(days=9)] + [t - pd.Timedelta(days=2)] * 3,
                "amount": [10.0, 7.0, 5.0, 3.0],
            }
        ),
    }
    db = rg.connect(frames)
    from relgraph.features import FeatureConfig

    plan = FeaturePlan.fit(db, "customers", "30D", t, FeatureConfig(last_n=2))
    ex = pd.DataFrame({"customer_id": [1], "anchor_time": [t]})
    for _ in range(3):
        row = plan.transform(db, ex).iloc[0]
        assert row["orders.amount.last"] == 3.0
        assert row["orders.amount.mean.last_2"] == pytest.approx(4.0)


def test_windows_of_months_and_years_have_readable_names() -> None:
    db = rg.connect(shop_frames())
    month = pd.Timedelta(days=30.436875)  # a horizon in PQL months
    plan = FeaturePlan.fit(db, "customers", month, "2024-07-01")
    assert plan.window_names == ["last_1mo", "last_4mo", "last_1y"]
    feats = plan.transform(db, examples(["2024-07-01"]))
    assert {"orders.count.last_1mo", "orders.amount.sum.last_1y"} <= set(feats.columns)
    yearly = FeaturePlan.fit(db, "customers", 12 * month, "2024-07-01")
    assert yearly.window_names == ["last_1y", "last_4y", "last_12y"]
    days = FeaturePlan.fit(db, "customers", "30D", "2024-07-01")
    assert days.window_names == ["last_30d", "last_120d", "last_360d"]


def test_a_plan_saved_before_window_labels_keeps_its_names() -> None:
    # A saved model finds its features by name: an older plan's windows are
    # named as they were when it was fitted.
    db = rg.connect(shop_frames())
    plan = FeaturePlan.fit(db, "customers", pd.Timedelta(days=30.436875), "2024-07-01")
    old = plan.to_dict()
    del old["window_labels"]
    again = FeaturePlan.from_dict(old)
    assert again.window_names == ["last_2629746s", "last_10518984s", "last_31556952s"]
    assert "orders.count.last_2629746s" in again.transform(db, examples(["2024-07-01"])).columns
