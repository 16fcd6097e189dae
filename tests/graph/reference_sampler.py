"""Brute-force temporal neighbor sampling, one seed and one node at a time.

Independent of the vectorized sampler: visibility and recency come from
``graph.node_time`` and ``graph.is_static`` (not from the CSR's time array),
and every choice is made in plain Python.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from relgraph.graph import NEVER_TIME, TemporalGraph

REVERSE_PREFIX = "rev_"


def message_type(graph: TemporalGraph, edge_type: tuple) -> tuple:
    """The edge type messages flow along when ``edge_type``'s CSR is sampled."""
    src, relation, dst = edge_type
    if graph.csr[edge_type].reverse:
        return (dst, relation[len(REVERSE_PREFIX) :], src)
    return (dst, REVERSE_PREFIX + relation, src)


def is_visible(graph: TemporalGraph, node_type: str, row: int, anchor: int) -> bool:
    if graph.is_static[node_type]:
        return True
    time = int(graph.node_time[node_type][row])
    return time != NEVER_TIME and time <= anchor


def visible_neighbors(graph: TemporalGraph, edge_type: tuple, node: int, anchor: int) -> list:
    """Visible neighbors of ``node``, oldest first; equal times by row position."""
    csr = graph.csr[edge_type]
    rows = [int(r) for r in csr.indices[csr.indptr[node] : csr.indptr[node + 1]]]
    target = edge_type[2]
    rows = [r for r in rows if is_visible(graph, target, r, anchor)]
    times = graph.node_time[target]
    return sorted(rows, key=lambda r: (0 if graph.is_static[target] else int(times[r]), r))


def reference_sample(
    graph: TemporalGraph,
    seed_type: str,
    seed_rows: list,
    anchors: list,
    fanouts: dict,
) -> list:
    """Per seed: ``(nodes, edges)`` where ``nodes`` maps ``(type, row)`` to the
    hop it was first reached at, and ``edges`` counts ``(message type,
    neighbor row, sampler row)``. Each node keeps its ``fanout`` most recent
    visible neighbors (all of them with ``-1``); this is the sampler's
    ``"last"`` strategy, and any strategy when fanouts exceed the degrees.

    ``fanouts`` maps message edge types to per-hop lists.
    """
    out = []
    for seed_row, anchor in zip(seed_rows, anchors, strict=True):
        nodes = {(seed_type, int(seed_row)): 0}
        edges: Counter = Counter()
        frontier = [(seed_type, int(seed_row))]
        num_hops = len(next(iter(fanouts.values())))
        for hop in range(num_hops):
            new = []
            for node_type, row in frontier:
                for edge_type in graph.csr:
                    if edge_type[0] != node_type:
                        continue
                    message = message_type(graph, edge_type)
                    fanout = fanouts[message][hop]
                    if fanout == 0:
                        continue
                    chosen = visible_neighbors(graph, edge_type, row, int(anchor))
                    if fanout > 0:
                        chosen = chosen[max(0, len(chosen) - fanout) :]
                    for neighbor in chosen:
                        edges[(message, neighbor, row)] += 1
                        key = (edge_type[2], neighbor)
                        if key not in nodes:
                            nodes[key] = hop + 1
                            new.append(key)
            frontier = new
        out.append((nodes, edges))
    return out


def per_seed(batch) -> list:
    """The sampler's output in the reference's form, one entry per seed."""
    out = [({}, Counter()) for _ in range(batch.batch_size)]
    for node_type, rows in batch.node.items():
        hops = np.repeat(
            np.arange(len(batch.num_sampled_nodes[node_type])), batch.num_sampled_nodes[node_type]
        )
        assert len(hops) == len(rows)
        for row, seed, hop in zip(
            rows.tolist(), batch.batch[node_type].tolist(), hops.tolist(), strict=True
        ):
            key = (node_type, row)
            assert key not in out[seed][0], f"{key} twice in the subgraph of seed {seed}"
            out[seed][0][key] = hop
    for edge_type, (src, dst) in batch.edge_index.items():
        src_type, _, dst_type = edge_type
        src_seed = batch.batch[src_type][src]
        dst_seed = batch.batch[dst_type][dst]
        assert (src_seed == dst_seed).all(), f"an edge of {edge_type} joins two seeds"
        neighbor = batch.node[src_type][src]
        sampler = batch.node[dst_type][dst]
        for seed, u, v in zip(dst_seed.tolist(), neighbor.tolist(), sampler.tolist(), strict=True):
            out[seed][1][(edge_type, u, v)] += 1
    return out
