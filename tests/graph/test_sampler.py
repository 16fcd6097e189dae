"""Temporal neighbor sampler: no leakage, `last` and full fanouts against a
brute-force reference, `uniform` is uniform, determinism, errors, PyG."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.db.schema import Link, Schema, TableSchema
from relgraph.db.stype import Stype
from relgraph.errors import GraphError
from relgraph.graph import NEVER_TIME, SampledBatch, TemporalGraph, TemporalSampler
from relgraph.graph.sampler import floyd_sample, sample_neighbors, visible_end
from tests.factories import shop_frames
from tests.graph.reference_sampler import (
    is_visible,
    message_type,
    per_seed,
    reference_sample,
    visible_neighbors,
)

DAY = 86_400
#: The comparisons with the brute-force reference: 100 random graphs each
#: (at 300, each took 3 to 4 s of the fast run). The leakage property, which
#: every strategy and fanout must keep, keeps 300.
REFERENCE_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
T0 = 1_700_006_400  # 2023-11-15, a plausible epoch-seconds anchor


# ---------------------------------------------------------------- graphs


def make_graph(tables: dict) -> TemporalGraph:
    """``tables``: name -> (times or None for static, {fk column: (dst table, values)}).

    Keys are ``0 .. n - 1``; ``None`` in times or foreign keys is NULL.
    """
    schema_tables, arrow, links = {}, {}, []
    for name, (n_rows, times, fks) in tables.items():
        columns = {"id": pa.array(np.arange(n_rows), pa.int64())}
        stypes = {"id": Stype.id}
        if times is not None:
            columns["at"] = pa.array(list(times), pa.int64()).cast(pa.timestamp("s"))
            stypes["at"] = Stype.timestamp
        for column, (dst, values) in fks.items():
            columns[column] = pa.array(list(values), pa.int64())
            stypes[column] = Stype.id
            links.append(Link(name, column, dst, "id"))
        arrow[name] = pa.table(columns)
        schema_tables[name] = TableSchema(
            name, stypes, {}, n_rows, "id", None if times is None else "at"
        )
    return TemporalGraph.from_tables(Schema(tables=schema_tables, links=links), arrow)


@st.composite
def graphs_and_seeds(draw):
    """users (static or timed) <- posts (self-link parent_id, -> tags, static)
    <- comments (-> users): times over few days (many ties), some NULL times,
    NULL foreign keys; seeds of users or posts with anchors at or after them."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_users = draw(st.integers(1, 6))
    n_tags = draw(st.integers(1, 3))
    n_posts = draw(st.integers(0, 14))
    n_comments = draw(st.integers(0, 20))
    days = draw(st.sampled_from([2, 5, 40]))
    null_rate = draw(st.sampled_from([0.0, 0.2]))

    def times(n):
        values = (T0 + rng.integers(0, days, n) * DAY).tolist()
        return [None if rng.random() < null_rate else v for v in values]

    def fk(n, n_dst):
        return [
            None if n_dst == 0 or rng.random() < null_rate else int(rng.integers(0, n_dst))
            for _ in range(n)
        ]

    graph = make_graph(
        {
            "users": (n_users, None if draw(st.booleans()) else times(n_users), {}),
            "tags": (n_tags, None, {}),
            "posts": (
                n_posts,
                times(n_posts),
                {
                    "user_id": ("users", fk(n_posts, n_users)),
                    "tag_id": ("tags", fk(n_posts, n_tags)),
                    "parent_id": ("posts", fk(n_posts, n_posts)),
                },
            ),
            "comments": (
                n_comments,
                times(n_comments),
                {
                    "post_id": ("posts", fk(n_comments, n_posts)),
                    "user_id": ("users", fk(n_comments, n_users)),
                },
            ),
        }
    )
    seed_type = draw(st.sampled_from(["users", "posts"]))
    seed_time = graph.node_time[seed_type]
    candidates = np.flatnonzero(seed_time != NEVER_TIME)
    n_seeds = draw(st.integers(0, 6)) if len(candidates) else 0
    seeds = rng.choice(candidates, n_seeds) if n_seeds else np.empty(0, np.int64)
    base = np.maximum(seed_time[seeds], T0) if n_seeds else np.empty(0, np.int64)
    anchors = base + rng.integers(-1, days + 1, n_seeds) * DAY
    anchors = np.maximum(anchors, seed_time[seeds]) if n_seeds else anchors
    return graph, seed_type, seeds.astype(np.int64), anchors.astype(np.int64)


# ---------------------------------------------------------------- properties


def _assert_no_leakage(graph: TemporalGraph, out: SampledBatch, anchors: np.ndarray) -> None:
    for node_type, rows in out.node.items():
        seed_anchor = anchors[out.batch[node_type]]
        rel = out.rel_time[node_type]
        assert rel.dtype == np.int64 and (rel >= 0).all()
        if graph.is_static[node_type]:
            assert (rel == 0).all()
        else:
            row_time = graph.node_time[node_type][rows]
            assert (row_time != NEVER_TIME).all()
            assert (row_time <= seed_anchor).all(), f"{node_type}: a row after its anchor"
            assert (rel == seed_anchor - row_time).all()
        assert sum(out.num_sampled_nodes[node_type]) == len(rows)
    for edge_type, index in out.edge_index.items():
        assert index.dtype == np.int64 and index.shape[0] == 2
        assert sum(out.num_sampled_edges[edge_type]) == index.shape[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graphs_and_seeds(),
    st.lists(st.sampled_from([-1, 0, 1, 2, 3]), min_size=0, max_size=3),
    st.sampled_from(["uniform", "last"]),
    st.integers(0, 1000),
)
def test_no_sampled_node_postdates_its_seeds_anchor(case, fanouts, strategy, random_seed):
    graph, seed_type, seeds, anchors = case
    sampler = TemporalSampler(graph, fanouts, strategy=strategy, random_seed=random_seed)
    out = sampler.sample(seed_type, seeds, anchors)
    _assert_no_leakage(graph, out, anchors)
    assert out.node[seed_type][: len(seeds)].tolist() == seeds.tolist()
    assert out.batch[seed_type][: len(seeds)].tolist() == list(range(len(seeds)))
    # Every edge joins a node to one of its visible neighbors, within one seed.
    for seed, (nodes, edges) in enumerate(per_seed(out)):
        for (msg, neighbor, sampler_row), count in edges.items():
            assert count == 1
            csr_type = (msg[2], _other(graph, msg), msg[0])
            assert neighbor in visible_neighbors(graph, csr_type, sampler_row, int(anchors[seed]))
            assert nodes[(msg[0], neighbor)] <= nodes[(msg[2], sampler_row)] + 1


def _other(graph: TemporalGraph, message: tuple) -> str:
    """Relation of the CSR edge type whose message type is ``message``."""
    for edge_type in graph.csr:
        if message_type(graph, edge_type) == message:
            return edge_type[1]
    raise AssertionError(message)


@REFERENCE_SETTINGS
@given(
    graphs_and_seeds(),
    st.lists(st.sampled_from([-1, 50]), min_size=1, max_size=3),
    st.sampled_from(["uniform", "last"]),
)
def test_fanout_above_degree_gives_the_whole_visible_neighborhood(case, fanouts, strategy):
    graph, seed_type, seeds, anchors = case
    sampler = TemporalSampler(graph, fanouts, strategy=strategy)
    out = sampler.sample(seed_type, seeds, anchors, random_seed=7)
    everything = {m: [-1] * len(fanouts) for m in sampler.edge_types}
    expected = reference_sample(graph, seed_type, seeds.tolist(), anchors.tolist(), everything)
    assert per_seed(out) == expected


@REFERENCE_SETTINGS
@given(graphs_and_seeds(), st.data())
def test_last_keeps_exactly_the_most_recent_visible_neighbors(case, data):
    graph, seed_type, seeds, anchors = case
    hops = data.draw(st.integers(1, 3))
    per_edge = data.draw(st.booleans())
    probe = TemporalSampler(graph, [1] * hops)
    fanouts = {
        m: data.draw(st.lists(st.sampled_from([0, 1, 2, 3, -1]), min_size=hops, max_size=hops))
        if per_edge
        else None
        for m in probe.edge_types
    }
    if not per_edge:
        same = data.draw(st.lists(st.sampled_from([1, 2, 3]), min_size=hops, max_size=hops))
        fanouts = {m: same for m in probe.edge_types}
    out = TemporalSampler(graph, fanouts, strategy="last").sample(seed_type, seeds, anchors)
    expected = reference_sample(graph, seed_type, seeds.tolist(), anchors.tolist(), fanouts)
    assert per_seed(out) == expected


@REFERENCE_SETTINGS
@given(
    graphs_and_seeds(),
    st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3),
    st.integers(0, 10_000),
)
def test_uniform_keeps_min_fanout_degree_distinct_visible_neighbors(case, fanouts, random_seed):
    graph, seed_type, seeds, anchors = case
    out = TemporalSampler(graph, fanouts, strategy="uniform").sample(
        seed_type, seeds, anchors, random_seed=random_seed
    )
    for seed, (nodes, edges) in enumerate(per_seed(out)):
        chosen: dict = {}
        for msg, neighbor, sampler_row in edges:
            chosen.setdefault((msg, sampler_row), []).append(neighbor)
        for (node_type, row), hop in nodes.items():
            if hop == len(fanouts):
                continue  # the last hop is not expanded
            for edge_type in graph.csr:
                if edge_type[0] != node_type:
                    continue
                visible = visible_neighbors(graph, edge_type, row, int(anchors[seed]))
                got = chosen.get((message_type(graph, edge_type), row), [])
                assert len(got) == len(set(got)) == min(fanouts[hop], len(visible))
                assert set(got) <= set(visible)


# ---------------------------------------------------------------- uniformity


def _fan_graph(n_posts: int, times: list) -> TemporalGraph:
    """One user with ``n_posts`` posts at ``times``."""
    return make_graph(
        {
            "users": (1, None, {}),
            "posts": (n_posts, times, {"user_id": ("users", [0] * n_posts)}),
        }
    )


def test_uniform_draws_every_subset_equally_often():
    # One user, 6 visible posts, fanout 3: each of the C(6, 3) = 20 subsets
    # should come up equally often over 6000 independent seeds.
    graph = _fan_graph(6, [T0 + i for i in range(6)])
    draws = 6000
    out = sample_neighbors(graph, "users", np.zeros(draws, np.int64), T0 + 10, [3], random_seed=1)
    posts, seed = out.node["posts"], out.batch["posts"]
    assert np.bincount(seed, minlength=draws).tolist() == [3] * draws
    order = np.lexsort((posts, seed))
    subsets = Counter(map(tuple, posts[order].reshape(draws, 3).tolist()))
    assert set(subsets) == set(itertools.combinations(range(6), 3))
    expected = draws / 20
    chi2 = sum((c - expected) ** 2 / expected for c in subsets.values())
    assert chi2 < 43.82, f"chi-square {chi2:.1f} above the 0.1% critical value (19 dof)"


def test_uniform_is_uniform_over_the_visible_prefix_only():
    # 40 posts, 25 of them visible at the anchor, fanout 5: each visible post is
    # drawn with probability 5/25; the 15 later ones never.
    graph = _fan_graph(40, [T0 + i * DAY for i in range(40)])
    draws = 4000
    out = sample_neighbors(
        graph, "users", np.zeros(draws, np.int64), T0 + 24 * DAY, [5], random_seed=3
    )
    counts = np.bincount(out.node["posts"], minlength=40)
    assert counts[25:].sum() == 0
    expected = draws * 5 / 25
    # Inclusion counts of a without-replacement draw vary less than a
    # multinomial's, so the chi-square bound (24 dof, 0.1%) is conservative.
    chi2 = float(((counts[:25] - expected) ** 2 / expected).sum())
    assert chi2 < 51.18, f"chi-square {chi2:.1f}"


def test_floyd_sample_gives_distinct_values_in_range():
    rng = np.random.default_rng(0)
    n = np.array([5, 6, 100, 10**9])
    out = floyd_sample(rng, n, 5)
    assert out.shape == (4, 5)
    assert all(len(set(row)) == 5 for row in out.tolist())
    assert ((out >= 0) & (out < n[:, None])).all()


def test_visible_end_is_a_segmented_upper_bound():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 40, 200)
    time = np.concatenate([np.sort(rng.integers(0, 20, k)) for k in lengths])
    start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    end = start + lengths
    anchor = rng.integers(-2, 22, 200)
    got = visible_end(time, start, end, anchor)
    want = [
        s + np.searchsorted(time[s:e], a, side="right")
        for s, e, a in zip(start, end, anchor, strict=True)
    ]
    assert got.tolist() == want


# ---------------------------------------------------------------- semantics


def test_last_breaks_ties_in_time_by_the_later_row():
    # Posts 0..4; posts 1, 2 and 3 share a time. With fanout 2, `last` keeps
    # the most recent: post 4, then among the tie the later row, post 3.
    graph = _fan_graph(5, [T0, T0 + 5, T0 + 5, T0 + 5, T0 + 9])
    out = sample_neighbors(graph, "users", [0], T0 + 100, [2], strategy="last")
    assert sorted(out.node["posts"].tolist()) == [3, 4]
    # At an anchor before post 4, the tie decides both.
    out = sample_neighbors(graph, "users", [0], T0 + 5, [2], strategy="last")
    assert sorted(out.node["posts"].tolist()) == [2, 3]


def test_static_rows_have_relative_time_zero_and_null_times_are_never_visible():
    graph = make_graph(
        {
            "users": (2, None, {}),
            "posts": (3, [T0, None, T0 + DAY], {"user_id": ("users", [0, 0, 1])}),
        }
    )
    out = sample_neighbors(graph, "users", [0, 1], [T0 + 2 * DAY, T0], [-1, -1])
    assert out.static == {"users": True, "posts": False}
    assert out.node["posts"].tolist() == [0]  # post 1 has a NULL time; post 2 is too late
    assert out.rel_time["posts"].tolist() == [2 * DAY]
    assert out.rel_time["users"].tolist() == [0, 0]
    # Hop 2 goes back to the user, who is already in the subgraph: an edge, no new node.
    assert out.num_sampled_nodes == {"users": [2, 0, 0], "posts": [0, 1, 0]}
    assert out.edge_index[("users", "rev_user_id", "posts")].tolist() == [[0], [0]]
    assert out.edge_index[("posts", "user_id", "users")].tolist() == [[0], [0]]
    np.testing.assert_array_equal(out.time("posts"), [T0])
    np.testing.assert_array_equal(out.time("users"), [T0 + 2 * DAY, T0])


def test_one_row_sampled_for_two_seeds_is_two_nodes():
    graph = _fan_graph(3, [T0, T0 + DAY, T0 + 2 * DAY])
    out = sample_neighbors(graph, "users", [0, 0], [T0 + DAY, T0 + 5 * DAY], [5])
    assert sorted(zip(out.batch["posts"].tolist(), out.node["posts"].tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (1, 2),
    ]
    assert out.rel_time["posts"][out.batch["posts"] == 0].tolist() in ([DAY, 0], [0, DAY])


def test_same_random_seed_gives_the_same_batch():
    graph = _fan_graph(200, [T0 + i for i in range(200)])
    seeds, anchors = np.zeros(50, np.int64), np.full(50, T0 + 150)
    a = sample_neighbors(graph, "users", seeds, anchors, [10, 3], random_seed=5)
    b = sample_neighbors(graph, "users", seeds, anchors, [10, 3], random_seed=5)
    c = sample_neighbors(graph, "users", seeds, anchors, [10, 3], random_seed=6)
    for name in ("node", "batch", "rel_time", "edge_index"):
        for key in getattr(a, name):
            np.testing.assert_array_equal(getattr(a, name)[key], getattr(b, name)[key])
    assert a.node["posts"].tolist() != c.node["posts"].tolist()
    # A sampler's own generator: the same sequence of batches for the same seed.
    first = TemporalSampler(graph, [10], random_seed=9)
    second = TemporalSampler(graph, [10], random_seed=9)
    for _ in range(3):
        np.testing.assert_array_equal(
            first.sample("users", seeds, anchors).node["posts"],
            second.sample("users", seeds, anchors).node["posts"],
        )


def test_per_edge_type_fanouts_accept_names_and_skip_missing_types():
    graph = _fan_graph(4, [T0] * 4)
    out = sample_neighbors(graph, "users", [0], T0, {"posts__user_id__users": [2, 1]})
    assert len(out.node["posts"]) == 2
    assert out.num_edges(("users", "rev_user_id", "posts")) == 0  # not in the fanouts
    out = sample_neighbors(graph, "users", [0], T0, {("posts", "user_id", "users"): [0]})
    assert out.num_nodes() == 1


def test_empty_seed_list_and_zero_hops():
    graph = _fan_graph(2, [T0, T0])
    assert sample_neighbors(graph, "users", [], [], [3]).num_nodes() == 0
    out = sample_neighbors(graph, "users", [0], T0, [])
    assert out.num_nodes() == 1 and out.num_edges() == 0


# ---------------------------------------------------------------- errors


@pytest.fixture(scope="module")
def small_graph() -> TemporalGraph:
    return _fan_graph(3, [T0, T0 + 1, None])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed_type": "user"}, r"Unknown node type 'user'\. Did you mean: users\?"),
        ({"seed_ids": [0, 1]}, r"1 seed id\(s\) out of range .* 'users', which has 1 nodes"),
        ({"seed_ids": [-1]}, r"out of range .*not primary-key values"),
        ({"seed_ids": [0.0]}, r"Expected integer seed ids .*got dtype float64"),
        ({"seed_ids": [[0]]}, r"1-D array of seed ids"),
        ({"anchor_time": [float(T0)]}, r"int64 epoch seconds \(got float64\).*astype\('int64'\)"),
        (
            {"anchor_time": np.array(["2024-01-01"], "datetime64[us]")},
            r"got numpy datetime64\[us\].*astype\('datetime64\[s\]'\)\.astype\('int64'\)",
        ),
        ({"anchor_time": [pd.Timestamp("2024-01-01")]}, r"got object.*to_epoch_seconds"),
        ({"anchor_time": [T0 * 1000]}, r"looks like milliseconds\. Divide by 1,000"),
        ({"anchor_time": [T0 * 10**6]}, r"looks like microseconds\. Divide by 1,000,000"),
        ({"anchor_time": [T0 * 10**9]}, r"looks like nanoseconds"),
        ({"anchor_time": [T0, T0]}, r"Got 1 seed ids but 2 anchor times"),
        ({"fanouts": [2, -2]}, r"negative fanout \(-2 in \[2, -2\]\).*-1 for all"),
        ({"fanouts": 3}, r"one fanout per hop .*e\.g\. \[3\]"),
        ({"fanouts": [1.5]}, r"must hold integers \(got 1\.5"),
        (
            {"fanouts": {("posts", "user", "users"): [1]}},
            r"Unknown edge type 'posts__user__users'\. Did you mean: posts__user_id__users"
            r".*message direction",
        ),
        (
            {
                "fanouts": {
                    ("posts", "user_id", "users"): [1],
                    ("users", "rev_user_id", "posts"): [1, 1],
                }
            },
            r"same number of hops",
        ),
        ({"strategy": "recent"}, r"Unknown sampling strategy 'recent'; use one of: uniform, last"),
    ],
)
def test_bad_input_raises_a_clear_graph_error(small_graph, kwargs, match):
    args = {
        "seed_type": "users",
        "seed_ids": [0],
        "anchor_time": [T0],
        "fanouts": [2],
        "strategy": "uniform",
    }
    args.update(kwargs)
    with pytest.raises(GraphError, match=match):
        sample_neighbors(
            small_graph,
            args["seed_type"],
            args["seed_ids"],
            args["anchor_time"],
            args["fanouts"],
            strategy=args["strategy"],
        )


def test_a_seed_that_does_not_exist_yet_at_its_anchor_is_an_error(small_graph):
    with pytest.raises(
        GraphError, match=r"1 seed\(s\) of 'posts' do not exist yet .*seed 1: row 1"
    ):
        sample_neighbors(small_graph, "posts", [0, 1], [T0, T0], [1])
    with pytest.raises(GraphError, match=r"row 2 has a NULL time"):
        sample_neighbors(small_graph, "posts", [2], [T0], [1])


def test_sampler_needs_a_temporal_graph():
    with pytest.raises(GraphError, match=r"Expected a TemporalGraph \(got dict\)"):
        TemporalSampler({}, [1])
    with pytest.raises(GraphError, match=r"random_seed must be an integer >= 0"):
        TemporalSampler(_fan_graph(1, [T0]), [1], random_seed=1.5)
    with pytest.raises(GraphError, match=r"or a sequence of them \(got -3\)"):
        TemporalSampler(_fan_graph(1, [T0]), [1]).sample("users", [0], T0, random_seed=-3)


# ---------------------------------------------------------------- PyG


@pytest.fixture(scope="module")
def shop_graph() -> TemporalGraph:
    return TemporalGraph.from_database(rg.connect(shop_frames(seed=1)))


def _shop_seeds(graph: TemporalGraph, n: int = 16):
    order_time = graph.node_time["orders"]
    anchors = np.full(n, int(np.median(order_time)), dtype=np.int64)
    seeds = np.flatnonzero(graph.node_time["customers"] <= anchors[0])[:n]
    return seeds, anchors[: len(seeds)]


def test_to_hetero_data_holds_ids_times_and_edges(shop_graph):
    seeds, anchors = _shop_seeds(shop_graph)
    sampler = TemporalSampler(shop_graph, [4, 3], strategy="last")
    out = sampler.sample("customers", seeds, anchors)
    x = {t: torch.randn(shop_graph.num_nodes(t), 3) for t in shop_graph.node_types}
    data = out.to_hetero_data(features=x)
    assert set(data.node_types) == set(shop_graph.node_types)
    assert set(data.edge_types) == set(sampler.edge_types)
    for node_type in data.node_types:
        store = data[node_type]
        assert store.n_id.tolist() == out.node[node_type].tolist()
        assert store.num_nodes == len(out.node[node_type])
        assert torch.equal(store.x, x[node_type][store.n_id])
        assert torch.equal(store.seed_time - store.time, store.rel_time)
        assert (store.rel_time >= 0).all()
        assert torch.equal(store.seed_time, torch.from_numpy(anchors)[store.batch])
        for name in ("n_id", "batch", "time", "rel_time", "seed_time"):
            assert store[name].dtype == torch.long
    seed_store = data["customers"]
    assert seed_store.batch_size == len(seeds)
    assert seed_store.n_id[: len(seeds)].tolist() == seeds.tolist()
    for edge_type in data.edge_types:
        src, _, dst = edge_type
        index = data[edge_type].edge_index
        assert index.dtype == torch.long
        if index.numel():
            assert int(index[0].max()) < data[src].num_nodes
            assert int(index[1].max()) < data[dst].num_nodes
    assert data[("orders", "customer_id", "customers")].edge_index.size(1) > 0
    assert "SampledBatch(seed_type='customers'" in repr(out)


def test_heteroconv_sage_runs_forward_and_backward_on_a_batch(shop_graph):
    from torch_geometric.nn import HeteroConv, SAGEConv

    seeds, anchors = _shop_seeds(shop_graph)
    sampler = TemporalSampler(shop_graph, [5, 3], strategy="uniform")
    features = {t: torch.randn(shop_graph.num_nodes(t), 8) for t in shop_graph.node_types}
    data = sampler.sample("customers", seeds, anchors).to_hetero_data(features)
    torch.manual_seed(0)
    layers = torch.nn.ModuleList(
        HeteroConv({et: SAGEConv((-1, -1), 64) for et in sampler.edge_types}, aggr="sum")
        for _ in range(2)
    )
    head = torch.nn.Linear(64, 1)
    x_dict = data.x_dict
    for layer in layers:
        x_dict = {t: h.relu() for t, h in layer(x_dict, data.edge_index_dict).items()}
    logits = head(x_dict["customers"][: data["customers"].batch_size]).squeeze(-1)
    assert logits.shape == (len(seeds),)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.ones(len(seeds)))
    loss.backward()
    grads = [p.grad for p in layers.parameters() if p.grad is not None]
    assert all(torch.isfinite(g).all() for g in grads)
    # Orders feed the customers in both layers, so both those convs learn.
    for layer in layers:
        conv = layer.convs[("orders", "customer_id", "customers")]
        assert float(conv.lin_l.weight.grad.abs().sum()) > 0
    assert head.weight.grad is not None


def test_pyg_node_loader_drives_the_sampler(shop_graph):
    from torch_geometric.loader import NodeLoader

    from relgraph.graph import PyGTemporalSampler

    seeds, anchors = _shop_seeds(shop_graph)
    adapter = PyGTemporalSampler(TemporalSampler(shop_graph, [3, 2], strategy="last"))
    features = {"customers": torch.arange(shop_graph.num_nodes("customers")).float()[:, None]}
    loader = NodeLoader(
        adapter.feature_data(features),
        node_sampler=adapter,
        input_nodes=("customers", torch.from_numpy(seeds)),
        input_time=torch.from_numpy(anchors),
        batch_size=5,
    )
    batches = list(loader)
    assert [b["customers"].batch_size for b in batches] == [5, 5, 5, 1]
    expected = TemporalSampler(shop_graph, [3, 2], strategy="last").sample(
        "customers", seeds[:5], anchors[:5]
    )
    first = batches[0]
    assert first["customers"].n_id.tolist() == expected.node["customers"].tolist()
    assert first["customers"].x[:, 0].long().tolist() == expected.node["customers"].tolist()
    edge_type = ("orders", "customer_id", "customers")
    assert first[edge_type].edge_index.tolist() == expected.edge_index[edge_type].tolist()
    assert first["customers"].seed_time.tolist() == anchors[:5].tolist()
    with pytest.raises(GraphError, match="input_time"):
        next(iter(NodeLoader(adapter.feature_data(), adapter, ("customers", torch.tensor([0])))))


def test_is_visible_reference_agrees_with_csr_times(shop_graph):
    # The reference reads node times, the sampler CSR times: they must agree.
    for edge_type, csr in shop_graph.csr.items():
        target = edge_type[2]
        np.testing.assert_array_equal(csr.time, shop_graph.node_time[target][csr.indices])
    assert is_visible(shop_graph, "products", 0, 0)
