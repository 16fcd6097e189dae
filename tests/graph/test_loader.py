"""TemporalLoader: every example once per epoch, seeded shuffling, labels and
feature rows of the sampled nodes, background thread and worker processes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch

import relgraph as rg
from relgraph.errors import GraphError
from relgraph.graph import TemporalGraph, TemporalLoader, TemporalSampler


@pytest.fixture(scope="module")
def graph() -> TemporalGraph:
    from tests.factories import shop_frames

    return TemporalGraph.from_database(rg.connect(shop_frames(seed=2)))


@pytest.fixture(scope="module")
def table(graph) -> dict:
    """37 examples: customers at one of three anchor times they exist at."""
    rng = np.random.default_rng(0)
    signup = graph.node_time["customers"]
    anchors = np.sort(graph.node_time["orders"])[[100, 150, 199]]
    entity, anchor = [], []
    for t in anchors:
        existing = np.flatnonzero(signup <= t)
        entity += rng.choice(existing, 13, replace=False).tolist()
        anchor += [int(t)] * 13
    entity, anchor = np.array(entity[:37]), np.array(anchor[:37], dtype=np.int64)
    return {"entity": entity, "anchor_time": anchor, "label": np.arange(37, dtype=np.float32)}


@pytest.fixture(scope="module")
def features(graph) -> dict:
    # Row i of every type holds (i, type number): easy to check gathered rows.
    return {
        t: torch.stack(
            [torch.arange(graph.num_nodes(t)).float(), torch.full((graph.num_nodes(t),), k)], 1
        )
        for k, t in enumerate(graph.node_types)
    }


def _loader(graph, table, **kwargs) -> TemporalLoader:
    sampler = TemporalSampler(graph, [4, 2], strategy="uniform")
    return TemporalLoader(
        sampler,
        "customers",
        table["entity"],
        table["anchor_time"],
        table["label"],
        batch_size=kwargs.pop("batch_size", 8),
        **kwargs,
    )


def _signature(batches) -> list:
    return [
        (
            b["customers"].input_id.tolist(),
            {t: b[t].n_id.tolist() for t in b.node_types},
            {e: b[e].edge_index.tolist() for e in b.edge_types},
        )
        for b in batches
    ]


def test_every_example_once_per_epoch_and_a_new_order_each_epoch(graph, table):
    loader = _loader(graph, table, random_seed=3)
    assert len(loader) == 5
    epochs = []
    for _ in range(3):
        batches = list(loader)
        assert [b["customers"].batch_size for b in batches] == [8, 8, 8, 8, 5]
        ids = np.concatenate([b["customers"].input_id.numpy() for b in batches])
        assert sorted(ids.tolist()) == list(range(37))
        epochs.append(ids.tolist())
    assert epochs[0] != epochs[1] != epochs[2]
    assert epochs[0] != list(range(37))
    # The same random seed replays the same epochs; another does not.
    again = _loader(graph, table, random_seed=3)
    assert [
        np.concatenate([b["customers"].input_id.numpy() for b in again]).tolist() for _ in range(3)
    ] == epochs
    other = _loader(graph, table, random_seed=4)
    assert np.concatenate([b["customers"].input_id.numpy() for b in other]).tolist() != epochs[0]
    # set_epoch replays a given epoch.
    loader.set_epoch(1)
    assert np.concatenate([b["customers"].input_id.numpy() for b in loader]).tolist() == epochs[1]


def test_no_shuffle_and_drop_last(graph, table):
    loader = _loader(graph, table, shuffle=False, drop_last=True, batch_size=10)
    assert len(loader) == 3
    ids = [b["customers"].input_id.tolist() for b in loader]
    assert ids == [list(range(0, 10)), list(range(10, 20)), list(range(20, 30))]


def test_batches_carry_labels_seeds_anchor_times_and_feature_rows(graph, table, features):
    loader = _loader(graph, table, features=features)
    for batch in loader:
        seeds = batch["customers"]
        input_id = seeds.input_id.numpy()
        size = seeds.batch_size
        assert seeds.y.tolist() == table["label"][input_id].tolist()
        assert seeds.n_id[:size].tolist() == table["entity"][input_id].tolist()
        assert seeds.seed_time[:size].tolist() == table["anchor_time"][input_id].tolist()
        for k, node_type in enumerate(graph.node_types):
            store = batch[node_type]
            assert torch.equal(store.x[:, 0].long(), store.n_id)
            assert (store.x[:, 1] == k).all()
            assert torch.equal(store.seed_time, seeds.seed_time[:size][store.batch])
            if not graph.is_static[node_type]:
                row_time = torch.from_numpy(graph.node_time[node_type])[store.n_id]
                assert (row_time <= store.seed_time).all()


def test_thread_prefetch_and_worker_processes_give_the_same_batches(graph, table, features):
    plain = _signature(_loader(graph, table, features=features, random_seed=5))
    threaded = _loader(graph, table, features=features, random_seed=5, prefetch=2)
    assert _signature(threaded) == plain
    workers = _loader(graph, table, features=features, random_seed=5, num_workers=2)
    assert _signature(workers) == plain
    # A second epoch differs, and matches between modes too.
    assert _signature(threaded) == _signature(workers) != plain


def test_thread_prefetch_raises_errors_in_the_consumer_and_stops_early(graph, table, monkeypatch):
    loader = _loader(graph, table, prefetch=1)
    first = next(iter(loader))  # stop after one batch: the thread must end
    assert first["customers"].batch_size == 8

    def broken(*args, **kwargs):
        raise GraphError("boom")

    monkeypatch.setattr(loader.sampler, "sample", broken)
    with pytest.raises(GraphError, match="boom"):
        list(loader)


def test_from_table_reads_named_columns_and_converts_datetimes(graph, table):
    sampler = TemporalSampler(graph, [2])
    frame = pd.DataFrame(
        {
            "customer": table["entity"],
            "at": pd.to_datetime(table["anchor_time"], unit="s").astype("datetime64[us]"),
            "churned": table["label"],
        }
    )
    loader = TemporalLoader.from_table(
        sampler,
        "customers",
        frame,
        entity_column="customer",
        time_column="at",
        label_column="churned",
        shuffle=False,
        batch_size=37,
    )
    np.testing.assert_array_equal(loader.anchor_time, table["anchor_time"])
    (batch,) = list(loader)
    assert batch["customers"].y.tolist() == table["label"].tolist()
    arrow = pa.table({"e": table["entity"], "t": table["anchor_time"]})
    loader = TemporalLoader.from_table(
        sampler, "customers", arrow, entity_column="e", time_column="t"
    )
    (batch,) = list(
        TemporalLoader.from_table(
            sampler, "customers", arrow, entity_column="e", time_column="t", batch_size=64
        )
    )
    assert "y" not in batch["customers"]
    with pytest.raises(GraphError, match=r"label_column='y' is not a column .*columns: e, t"):
        TemporalLoader.from_table(
            sampler, "customers", arrow, entity_column="e", time_column="t", label_column="y"
        )
    with pytest.raises(GraphError, match="null anchor time"):
        TemporalLoader.from_table(
            sampler,
            "customers",
            {"e": [0], "t": pa.array([None], pa.timestamp("s"))},
            entity_column="e",
            time_column="t",
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed_type": "customer"}, r"Unknown node type 'customer'\. Did you mean: customers\?"),
        ({"labels": np.zeros(3)}, r"Got 37 examples but labels of shape \(3,\)"),
        ({"features": {"customers": torch.zeros(3, 2)}}, r"features\['customers'\] has 3 rows"),
        ({"features": {"order": torch.zeros(3, 2)}}, r"Unknown node type 'order'\. Did you mean"),
        ({"features": {"orders": [1, 2]}}, r"must be a torch.Tensor or numpy array"),
        ({"features": [1]}, r"features must map node types"),
        ({"batch_size": 0}, r"batch_size must be at least 1"),
        ({"batch_size": 2.5}, r"batch_size must be an integer"),
        ({"prefetch": -1}, r"prefetch and num_workers must be >= 0"),
        ({"random_seed": -1}, r"random_seed must be an integer >= 0 \(got -1\)"),
        ({"anchor_time": np.zeros(37)}, r"int64 epoch seconds \(got float64\)"),
        ({"anchor_time": np.zeros(37, dtype=np.int64)}, r"do not exist yet at their anchor"),
    ],
)
def test_bad_loader_input_raises_a_clear_graph_error(graph, table, kwargs, match):
    args = {
        "seed_type": "customers",
        "anchor_time": table["anchor_time"],
        "labels": table["label"],
    }
    args.update(kwargs)
    seed_type, anchor, labels = args.pop("seed_type"), args.pop("anchor_time"), args.pop("labels")
    with pytest.raises(GraphError, match=match):
        TemporalLoader(
            TemporalSampler(graph, [2]), seed_type, table["entity"], anchor, labels, **args
        )
    with pytest.raises(GraphError, match="Expected a TemporalSampler"):
        TemporalLoader(graph, "customers", [0], [0])
