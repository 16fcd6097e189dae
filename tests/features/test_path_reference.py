"""A two-hop path's features against a plain pandas computation of the same
definitions, whether they come from running aggregates per entity
(:mod:`relgraph.features.running`) or from the direct SQL, in one query or in
many chunks over the stored joined rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.features import FeatureConfig, FeaturePlan, relational, running

T0 = pd.Timestamp("2024-01-01")
PATH = "orders>items"


def frames(seed: int = 0, early: bool = False) -> dict[str, pd.DataFrame]:
    """customers <- orders <- items, both timed; items packed at or after their
    order (some after the anchors), with missing prices and equal times. With
    ``early``, some items are packed before their order is placed: such a row
    is visible from its order's time but windowed by its own."""
    rng = np.random.default_rng(seed)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(60),
            "customer_id": rng.integers(1, 9, 60),
            "ordered_at": T0 + pd.to_timedelta(rng.integers(0, 300, 60), unit="D"),
        }
    )
    order = rng.integers(0, 60, 240)
    delay = rng.choice([-3 if early else 0, 0, 1, 5, 40], 240)  # equal times within an order
    price = rng.uniform(1, 50, 240).round(2)
    price[rng.random(240) < 0.15] = np.nan
    items = pd.DataFrame(
        {
            "item_id": np.arange(240),
            "order_id": order,
            "packed_at": orders.ordered_at.to_numpy()[order] + pd.to_timedelta(delay, unit="D"),
            "price": price,
            "units": rng.integers(1, 6, 240),
            "made_in": rng.integers(2015, 2024, 240),  # a level: no sums
            "kind": rng.choice(["a", "b", "c", None], 240, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    customers = pd.DataFrame({"customer_id": np.arange(1, 10)})  # 9 has no orders
    return {"customers": customers, "orders": orders, "items": items}


def reference(data: dict[str, pd.DataFrame], plan: FeaturePlan, ex: pd.DataFrame) -> pd.DataFrame:
    """The path's features from their definitions, one example at a time."""
    (pp,) = [p for p in plan.paths if p.path.name == PATH]
    rows = data["orders"].merge(data["items"], on="order_id")
    n = plan.config.last_n
    windows = list(zip(plan.window_names, plan.windows, strict=True))
    out = []
    for cid, t in zip(ex["customer_id"], ex["anchor_time"], strict=True):
        mine = rows[(rows.customer_id == cid) & (rows.ordered_at <= t) & (rows.packed_at <= t)]
        mine = mine.sort_values(["packed_at", "item_id"], ascending=False)  # newest first
        inside = {w: mine[mine.packed_at > t - pd.Timedelta(seconds=s)] for w, s in windows}
        f: dict[str, float] = {f"{PATH}.count.all": len(mine)}
        for w, _ in windows:
            f[f"{PATH}.count.{w}"] = len(inside[w])
        days = (t - mine.packed_at).dt.total_seconds() / 86400
        f[f"{PATH}.days_since_last"] = days.min() if len(mine) else np.nan
        f[f"{PATH}.days_since_first"] = days.max() if len(mine) else np.nan
        for c in pp.numeric:
            v = mine[c].astype(float)
            summed = c not in pp.levels
            f[f"{PATH}.{c}.mean.all"] = v.mean()
            if summed:
                f[f"{PATH}.{c}.sum.all"] = v.sum(min_count=1)
            f[f"{PATH}.{c}.min.all"] = v.min()
            f[f"{PATH}.{c}.max.all"] = v.max()
            f[f"{PATH}.{c}.std.all"] = v.std(ddof=1)
            for w, _ in windows:
                vw = inside[w][c].astype(float)
                f[f"{PATH}.{c}.mean.{w}"] = vw.mean()
                if summed:
                    f[f"{PATH}.{c}.sum.{w}"] = vw.sum(min_count=1)
            f[f"{PATH}.{c}.last"] = v.dropna().iloc[0] if v.notna().any() else np.nan
            f[f"{PATH}.{c}.mean.last_{n}"] = v.head(n).mean()  # the n newest rows
        share_window = windows[min(1, len(windows) - 1)][0]
        for c, vocab in pp.categories.items():
            for value in vocab:
                f[f"{PATH}.{c}={value}.share.all"] = (
                    (mine[c] == value).mean() if len(mine) else np.nan
                )
                part = inside[share_window][c]
                f[f"{PATH}.{c}={value}.share.{share_window}"] = (
                    (part == value).mean() if len(part) else np.nan
                )
        out.append(f)
    return pd.DataFrame(out, index=ex.index)


@pytest.mark.parametrize("early", [False, True], ids=["one-time", "two-times"])
@pytest.mark.parametrize("how", ["running", "direct", "direct-chunks"])
def test_a_two_hop_path_matches_its_definition(
    how: str, early: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = frames(early=early)
    db = rg.connect(data)
    plan = FeaturePlan.fit(db, "customers", "30D", "2024-08-01", FeatureConfig(last_n=3))
    (pp,) = [p for p in plan.paths if p.path.name == PATH]
    assert pp.event_time == (2, "packed_at") and pp.numeric == ["price", "units", "made_in"]
    assert pp.levels == ["made_in"]
    assert pp.categories == {"kind": ["a", "b", "c"]}
    anchors = pd.to_datetime(["2024-03-01", "2024-06-15", "2024-10-01"])
    ex = pd.DataFrame(
        {"customer_id": np.tile(np.arange(1, 10), 3), "anchor_time": np.repeat(anchors, 9)}
    )
    if how == "direct-chunks":
        monkeypatch.setattr(relational, "AGGREGATES_PER_QUERY", 4)
    declined = []
    if how == "running":  # declined where a row's visible and window times differ
        real = running.running_path_frame

        def watched(*args: object) -> pd.DataFrame | None:
            frame = real(*args)
            declined.append(frame is None)
            return frame

        monkeypatch.setattr(relational, "running_path_frame", watched)
    feats = plan.transform(db, ex, running=how == "running")
    want = reference(data, plan, ex)
    mine = feats[[c for c in feats.columns if c.startswith(PATH + ".")]]
    assert list(mine.columns) == list(want.columns)  # names, and their order
    pd.testing.assert_frame_equal(mine.astype(float), want.astype(float), rtol=1e-9)
    assert (want[f"{PATH}.count.all"] > 0).sum() > 10  # the check saw rows
    assert want[f"{PATH}.price.last"].notna().sum() > 10
    if how == "running":
        # orders (one time) and orders>items (two times) are both timed paths
        assert declined == [False, early]


def test_running_aggregates_skip_missing_values_as_the_sql_does() -> None:
    """Running minimum, maximum, newest value and the mean of the last rows
    over a column with gaps, read at every row's own time."""
    at = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(8), unit="D")
    value = [np.nan, 4.0, np.nan, 1.0, 9.0, np.nan, np.nan, 2.0]
    data = {
        "users": pd.DataFrame({"user_id": ["u1", "u2"]}),  # a text key
        "visits": pd.DataFrame(
            {"visit_id": range(8), "user_id": ["u1"] * 8, "visited_at": at, "minutes": value}
        ),
    }
    db = rg.connect(data)
    plan = FeaturePlan.fit(db, "users", "2D", at[-1], FeatureConfig(last_n=3))
    ex = pd.DataFrame({"user_id": ["u1"] * 8 + ["u2"], "anchor_time": [*at, at[-1]]})
    feats = plan.transform(db, ex)
    got = feats[[f"visits.minutes.{s}" for s in ("min.all", "max.all", "last", "mean.last_3")]]
    want = [
        [np.nan, np.nan, np.nan, np.nan],
        [4, 4, 4, 4],
        [4, 4, 4, 4],
        [1, 4, 1, 2.5],
        [1, 9, 9, (1 + 9) / 2],
        [1, 9, 9, (1 + 9) / 2],
        [1, 9, 9, 9],
        [1, 9, 2, 2],
        [np.nan, np.nan, np.nan, np.nan],  # a user without visits
    ]
    np.testing.assert_allclose(got.to_numpy(float), np.array(want, dtype=float))
    assert feats["visits.count.all"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 0]


def test_a_window_of_zeros_after_decimals_sums_to_zero_exactly() -> None:
    """A window's sum is a difference of running sums (pandas sums with Kahan
    compensation, so adding 0 after 0.07 + 0.25 + 0.57 moves the running sum
    by 1e-16); a window of zeros must still sum to exactly 0."""
    at = pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 1, 2, 10, 11], unit="D")
    data = {
        "users": pd.DataFrame({"user_id": [1]}),
        "visits": pd.DataFrame(
            {"visit_id": range(5), "user_id": 1, "visited_at": at, "rain": [0.07, 0.25, 0.57, 0, 0]}
        ),
    }
    db = rg.connect(data)
    plan = FeaturePlan.fit(db, "users", "3D", at[-1], FeatureConfig(last_n=2))
    feats = plan.transform(db, pd.DataFrame({"user_id": [1], "anchor_time": [at[-1]]}))
    assert feats["visits.rain.sum.last_3d"].iloc[0] == 0.0
    assert feats["visits.rain.mean.last_2"].iloc[0] == 0.0
    assert feats["visits.rain.sum.all"].iloc[0] == pytest.approx(0.89)
