"""Wide databases stay within memory: a budget on the number of features, and
aggregates computed a bounded number at a time with the same result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.features import relational
from relgraph.features.relational import FeatureConfig, FeaturePlan
from tests.factories import shop_frames


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(shop_frames())


def examples(db: rg.Database) -> pd.DataFrame:
    ids = db.table("customers")["customer_id"].to_numpy()[:20]
    return pd.DataFrame({"customer_id": ids, "anchor_time": pd.Timestamp("2024-06-01")})


def test_the_budget_caps_the_number_of_features(db: rg.Database) -> None:
    full = FeaturePlan.fit(db, "customers", "30D", "2024-06-01")
    width = full.transform(db, examples(db)).shape[1]
    small = FeaturePlan.fit(db, "customers", "30D", "2024-06-01", FeatureConfig(max_features=40))
    frame = small.transform(db, examples(db))
    assert frame.shape[1] <= 40 < width
    assert [p.path.name for p in small.paths] == [p.path.name for p in full.paths][
        : len(small.paths)
    ]  # shortest paths first


def test_aggregates_in_chunks_give_the_same_features(
    db: rg.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = FeaturePlan.fit(db, "customers", "30D", "2024-06-01")
    whole = plan.transform(db, examples(db))
    monkeypatch.setattr(relational, "AGGREGATES_PER_QUERY", 7)
    chunked = plan.transform(db, examples(db))
    pd.testing.assert_frame_equal(whole, chunked)
    assert np.isfinite(whole.select_dtypes("number").to_numpy(dtype=float)).any()
