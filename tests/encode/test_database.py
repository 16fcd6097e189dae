from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.encode import (
    EncodeConfig,
    RelativeTimeEncoder,
    TableEncoder,
    TableStats,
    encode_database,
)
from relgraph.graph.timeutil import to_epoch_seconds

UNTIL = pd.Timestamp("2024-06-30")


@pytest.fixture(scope="module")
def db() -> rg.Database:
    database = rg.connect(make_ecommerce(scale=0.05, seed=3))
    database.set_stype("reviews", "text", "text")
    return database


@pytest.fixture(scope="module")
def encoded(db):
    return encode_database(db, UNTIL, EncodeConfig(text_method="hashing", text_buckets=1024))


def test_every_table_with_features_is_encoded(db, encoded):
    with_features = {
        name
        for name, t in db.schema.tables.items()
        if any(s.is_feature for s in t.columns.values())
    }
    assert set(encoded) == with_features
    for name, (stats, tensors) in encoded.items():
        assert tensors.num_rows == db.schema.tables[name].num_rows
        assert stats.table == name
        assert all(c.stype.is_feature for c in stats.columns.values())


def test_stats_see_only_rows_up_to_until(db, encoded):
    for name, (stats, _tensors) in encoded.items():
        time_column = db.schema.tables[name].time_column
        if time_column is None:
            assert stats.num_rows == db.schema.tables[name].num_rows
            continue
        seconds, is_null = to_epoch_seconds(db.arrow(name, [time_column]).column(0))
        visible = (~is_null & (seconds <= int(UNTIL.timestamp()))).sum()
        assert stats.num_rows == visible < db.schema.tables[name].num_rows
        assert stats == TableStats.fit(db, name, UNTIL, stats.config)


def test_tensors_are_row_aligned_with_the_tables(db, encoded):
    _stats, tensors = encoded["orders"]
    amounts = db.arrow("orders", ["amount"]).column(0).to_numpy()
    np.testing.assert_allclose(tensors.numerical[:, 0].numpy(), amounts, rtol=1e-6)
    assert tensors.text_tokens.shape[1] == 0
    _stats, reviews = encoded["reviews"]
    assert reviews.text_tokens.shape[1] == 1


def test_a_batch_through_the_encoders(encoded):
    torch.manual_seed(0)
    stats, tensors = encoded["orders"]
    encoder = TableEncoder(stats, width=16)
    relative = RelativeTimeEncoder(width=16)
    n_id = torch.tensor([0, 5, 5, 11])
    anchor = torch.full((4,), int(UNTIL.timestamp()))
    batch = tensors.index_select(n_id)
    rel_time = anchor - batch.timestamp[:, tensors.columns["timestamp"].index("ordered_at")]
    x = encoder(batch, anchor) + relative(rel_time)
    assert x.shape == (4, 16) and torch.isfinite(x).all()
    x[:, 0].sum().backward()
