"""Temporal neighbor sampling: leakage-free subgraphs around ``(entity, anchor time)``.

Given seeds of one node type, each with its own anchor time, the sampler grows
one subgraph per seed, hop by hop. At every hop and along every edge type, a
frontier node looks only at the neighbors *visible at its seed's anchor time*
(row time ``<=`` anchor, or a static table; NULL times are never visible) and
keeps up to ``fanout`` of them:

- ``"last"``: the most recent visible neighbors (ties in time: the later row,
  i.e. the larger row position, first; this is the CSR order);
- ``"uniform"``: a uniformly random subset, without replacement.

How it stays vectorized (no Python loop over seeds or neighbors; the loops are
over hops and edge types, plus one over the ``fanout`` slots of ``uniform``):

1. Each CSR keeps a node's neighbors sorted by time, so the visible ones are
   the prefix ``[indptr[v], cut)``. ``cut`` is found for all frontier nodes at
   once by a segmented binary search (``log2(max degree)`` numpy steps over
   the whole frontier, each comparing ``time[mid] <= anchor``).
2. The chosen positions are expanded with one ``repeat``/``cumsum``: ``last``
   takes ``[cut - k, cut)``; ``uniform`` draws ``k`` distinct offsets in
   ``[0, n)`` per row with Floyd's algorithm, vectorized over rows.
3. New nodes are merged per seed: key ``seed * num_nodes + row``, looked up
   with ``searchsorted`` in the sorted keys already sampled, new keys made
   unique with ``np.unique``. A row reached twice in one seed's subgraph is one
   node (later hops add an edge to it, not a copy; only newly reached nodes
   are expanded at the next hop); the same row in two seeds' subgraphs is two
   nodes.

The seed rows themselves must exist at their anchor time (row time ``<=``
anchor), so that no node of a subgraph, seeds included, postdates its anchor.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from relgraph.db.schema import REVERSE_PREFIX, EdgeType
from relgraph.errors import GraphError
from relgraph.graph.batch import SampledBatch
from relgraph.graph.csr import CSR, NEVER_TIME
from relgraph.graph.temporal_graph import TemporalGraph, edge_type_name

__all__ = [
    "STRATEGIES",
    "TemporalSampler",
    "sample_neighbors",
    "check_anchor_time",
    "check_seed_ids",
    "check_seeds_exist",
    "visible_end",
    "floyd_sample",
]

#: Sampling strategies.
STRATEGIES = ("uniform", "last")
#: Anchor times beyond this many seconds from the epoch (about the year 5138)
#: are taken for a finer unit.
MAX_PLAUSIBLE_SECONDS = 10**11
_FINER_UNITS = ((10**17, "nanoseconds", 10**9), (10**14, "microseconds", 10**6))

Fanouts = Sequence[int] | Mapping[EdgeType, Sequence[int]]


class TemporalSampler:
    """Samples disjoint temporal subgraphs around seed nodes.

    Args:
        graph (TemporalGraph): The graph to sample from.
        fanouts (Sequence[int] | Mapping[EdgeType, Sequence[int]]): Neighbors
            to keep per node, per hop: ``[32, 16]`` keeps up to 32 neighbors of
            each seed along every edge type, then up to 16 of each of those.
            A mapping gives one list per edge type (all of the same length);
            its keys are edge types in *message* direction, as in
            :attr:`SampledBatch.edge_index` and PyG's ``num_neighbors``:
            ``{("orders", "customer_id", "customers"): [10, 0]}`` lets each
            customer sample 10 orders at hop 1. Edge types left out are not
            sampled. ``-1`` keeps all visible neighbors; ``0`` none.
        strategy (str): ``"uniform"`` (random, without replacement) or
            ``"last"`` (most recent visible first). (default: ``"uniform"``)
        random_seed (int): Seed of the sampler's own random generator, used
            when :meth:`sample` gets no ``random_seed``. (default: ``0``)

    Raises:
        GraphError: On a bad fanout, an unknown edge type or strategy.

    Example:
        >>> import numpy as np, relgraph as rg, pandas as pd
        >>> db = rg.connect({
        ...     "users": pd.DataFrame({"user_id": [1, 2]}),
        ...     "posts": pd.DataFrame({
        ...         "post_id": [10, 11, 12], "user_id": [1, 1, 2],
        ...         "posted_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])}),
        ... })
        >>> graph = TemporalGraph.from_database(db)
        >>> sampler = TemporalSampler(graph, [5], strategy="last")
        >>> anchor = int(np.datetime64("2024-01-15", "s").astype(np.int64))
        >>> out = sampler.sample("users", [0, 0], [anchor, anchor + 86_400 * 30])
        >>> # post 11 (row 1) is after seed 0's anchor, not after seed 1's
        >>> out.node["posts"].tolist(), out.batch["posts"].tolist()
        ([0, 0, 1], [0, 1, 1])
        >>> out.edge_index[("posts", "user_id", "users")].tolist()  # posts -> users
        [[0, 1, 2], [0, 1, 1]]
    """

    def __init__(
        self,
        graph: TemporalGraph,
        fanouts: Fanouts,
        *,
        strategy: str = "uniform",
        random_seed: int = 0,
    ) -> None:
        if not isinstance(graph, TemporalGraph):
            raise GraphError(
                f"Expected a TemporalGraph (got {type(graph).__name__}); build one with "
                "TemporalGraph.from_database(db)."
            )
        self.graph = graph
        self.strategy = _check_strategy(strategy)
        self.random_seed = _check_seed(random_seed, "random_seed")
        self._rng = np.random.default_rng(self.random_seed)
        # Sampling along the CSR of edge type (A, r, B) sends messages B -> A,
        # i.e. along the paired edge type (B, r', A).
        self.message_type: dict[EdgeType, EdgeType] = {
            edge_type: _message_type(edge_type, csr) for edge_type, csr in graph.csr.items()
        }
        self.fanouts: dict[EdgeType, list[int]] = _check_fanouts(
            fanouts, list(self.message_type.values())
        )
        self.num_hops = len(next(iter(self.fanouts.values()), []))
        self._by_source: dict[str, list[EdgeType]] = {}
        for edge_type in graph.csr:
            self._by_source.setdefault(edge_type[0], []).append(edge_type)

    # ------------------------------------------------------------------ public

    @property
    def edge_types(self) -> list[EdgeType]:
        """Edge types of the batches, in message direction."""
        return list(self.message_type.values())

    def sample(
        self,
        seed_type: str,
        seed_ids: Any,
        anchor_time: Any,
        *,
        random_seed: int | Sequence[int] | None = None,
    ) -> SampledBatch:
        """Sample one subgraph per seed.

        Args:
            seed_type (str): Node type of the seeds.
            seed_ids (array-like of int): Row positions of the seeds in their
                table (``0 .. num_nodes - 1``); may repeat (each occurrence is
                a seed of its own).
            anchor_time (array-like of int | int): Epoch seconds (``int64``),
                one per seed, or one for all. Convert datetimes with
                ``values.astype("datetime64[s]").astype("int64")``.
            random_seed (int | Sequence[int], optional): Seed of this call's
                random draws (anything ``np.random.default_rng`` takes, e.g.
                ``(seed, epoch, batch)``); the sampler's own generator when
                ``None``. (default: :obj:`None`)

        Returns:
            SampledBatch

        Raises:
            GraphError: On an unknown node type, seed ids out of range, anchor
                times of the wrong type or unit, mismatched lengths, or a seed
                row whose time is after its anchor time.
        """
        seed_type = check_node_type(self.graph, seed_type)
        seed_rows = check_seed_ids(seed_ids, self.graph.num_nodes(seed_type), seed_type)
        anchor = check_anchor_time(anchor_time, len(seed_rows))
        check_seeds_exist(self.graph, seed_type, seed_rows, anchor)
        rng = self._rng if random_seed is None else _generator(random_seed)
        return self._sample(seed_type, seed_rows, anchor, rng)

    def __repr__(self) -> str:
        return (
            f"TemporalSampler(strategy={self.strategy!r}, num_hops={self.num_hops}, "
            f"edge_types={len(self.message_type)})"
        )

    # ------------------------------------------------------------------ core

    def _sample(
        self,
        seed_type: str,
        seed_rows: np.ndarray,
        anchor: np.ndarray,
        rng: np.random.Generator,
    ) -> SampledBatch:
        graph = self.graph
        batch_size = len(seed_rows)
        node_parts: dict[str, list[np.ndarray]] = {t: [] for t in graph.node_types}
        batch_parts: dict[str, list[np.ndarray]] = {t: [] for t in graph.node_types}
        time_parts: dict[str, list[np.ndarray]] = {t: [] for t in graph.node_types}
        counts: dict[str, list[int]] = {t: [0] for t in graph.node_types}
        edge_parts: dict[EdgeType, list[tuple[np.ndarray, np.ndarray]]] = {
            m: [] for m in self.message_type.values()
        }
        edge_counts: dict[EdgeType, list[int]] = {m: [] for m in self.message_type.values()}
        # Sorted keys ``seed * num_nodes + row`` of the nodes sampled so far, and
        # their local positions, per node type.
        keys: dict[str, np.ndarray] = {}
        key_local: dict[str, np.ndarray] = {}
        total: dict[str, int] = dict.fromkeys(graph.node_types, 0)

        seed_batch = np.arange(batch_size, dtype=np.int64)
        seed_rel = _rel_time(graph, seed_type, anchor, graph.node_time[seed_type][seed_rows])
        node_parts[seed_type].append(seed_rows)
        batch_parts[seed_type].append(seed_batch)
        time_parts[seed_type].append(seed_rel)
        counts[seed_type][0] = batch_size
        total[seed_type] = batch_size
        keys[seed_type] = seed_batch * graph.num_nodes(seed_type) + seed_rows
        key_local[seed_type] = seed_batch.copy()
        # Frontier per node type: (rows, seed index, local positions).
        frontier: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {
            seed_type: (seed_rows, seed_batch, seed_batch.copy())
        }

        for hop in range(self.num_hops):
            last_hop = hop == self.num_hops - 1
            # Per neighbor type: (CSR edge type, positions, seed index, sampler local).
            found: dict[str, list[tuple[EdgeType, np.ndarray, np.ndarray, np.ndarray]]] = {}
            for node_type, (rows, batch, local) in frontier.items():
                for edge_type in self._by_source.get(node_type, ()):
                    message_type = self.message_type[edge_type]
                    fanout = self.fanouts[message_type][hop]
                    if fanout == 0:
                        continue
                    csr = graph.csr[edge_type]
                    positions, owner = self._pick(
                        csr, rows, anchor[batch], fanout, graph.is_static[edge_type[2]], rng
                    )
                    found.setdefault(edge_type[2], []).append(
                        (edge_type, positions, batch[owner], local[owner])
                    )
            for edge_type in edge_counts:
                edge_counts[edge_type].append(0)
            new_frontier = {}
            for node_type, parts in found.items():
                num_nodes = graph.num_nodes(node_type)
                rows = _concat([graph.csr[e].indices[p] for e, p, _, _ in parts])
                times = _concat([graph.csr[e].time[p] for e, p, _, _ in parts])
                batch = _concat([b for _, _, b, _ in parts])
                key = batch * num_nodes + rows
                local = np.empty(len(key), dtype=np.int64)
                old_keys = keys.get(node_type)
                if old_keys is not None and len(old_keys):
                    at = np.searchsorted(old_keys, key)
                    np.minimum(at, len(old_keys) - 1, out=at)
                    hit = old_keys[at] == key
                    local[hit] = key_local[node_type][at[hit]]
                    miss = np.flatnonzero(~hit)
                else:
                    miss = np.arange(len(key), dtype=np.int64)
                new_keys, first, inverse = np.unique(
                    key[miss], return_index=True, return_inverse=True
                )
                start = total[node_type]
                local[miss] = start + inverse
                pick = miss[first]
                new_rows, new_batch = rows[pick], batch[pick]
                node_parts[node_type].append(new_rows)
                batch_parts[node_type].append(new_batch)
                time_parts[node_type].append(
                    _rel_time(graph, node_type, anchor[new_batch], times[pick])
                )
                total[node_type] = start + len(new_keys)
                if not last_hop:
                    new_local = np.arange(start, start + len(new_keys), dtype=np.int64)
                    if old_keys is not None and len(old_keys):
                        at = np.searchsorted(old_keys, new_keys)
                        keys[node_type] = np.insert(old_keys, at, new_keys)
                        key_local[node_type] = np.insert(key_local[node_type], at, new_local)
                    else:
                        keys[node_type], key_local[node_type] = new_keys, new_local
                    new_frontier[node_type] = (new_rows, new_batch, new_local)
                offset = 0
                for edge_type, positions, _, sampler_local in parts:
                    n = len(positions)
                    message_type = self.message_type[edge_type]
                    edge_parts[message_type].append((local[offset : offset + n], sampler_local))
                    edge_counts[message_type][-1] += n
                    offset += n
            for node_type in graph.node_types:
                counts[node_type].append(total[node_type] - sum(counts[node_type]))
            frontier = new_frontier

        return SampledBatch(
            seed_type=seed_type,
            anchor_time=anchor,
            node={t: _concat(p) for t, p in node_parts.items()},
            batch={t: _concat(p) for t, p in batch_parts.items()},
            rel_time={t: _concat(p) for t, p in time_parts.items()},
            static=dict(graph.is_static),
            edge_index={m: _edge_index(p) for m, p in edge_parts.items()},
            num_sampled_nodes=counts,
            num_sampled_edges=edge_counts,
        )

    def _pick(
        self,
        csr: CSR,
        rows: np.ndarray,
        anchor: np.ndarray,
        fanout: int,
        static_neighbors: bool,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """CSR positions of the chosen neighbors of ``rows`` and, for each, the
        index into ``rows`` of the node that chose it."""
        start = csr.indptr[rows]
        end = csr.indptr[rows + 1]
        cut = end if static_neighbors else visible_end(csr.time, start, end, anchor)
        visible = cut - start
        take = visible if fanout < 0 else np.minimum(visible, fanout)
        owner = np.repeat(np.arange(len(rows), dtype=np.int64), take)
        first = np.cumsum(take) - take  # offset of each row's first pick
        # ``last`` (and every row with at most ``fanout`` visible): [cut - take, cut).
        positions = np.arange(len(owner), dtype=np.int64) + (cut - take - first)[owner]
        if self.strategy == "uniform" and fanout > 0:
            over = np.flatnonzero(visible > fanout)
            if len(over):
                chosen = floyd_sample(rng, visible[over], fanout)
                slots = first[over, None] + np.arange(fanout, dtype=np.int64)
                positions[slots] = start[over, None] + chosen
        return positions, owner


# ---------------------------------------------------------------- vector kernels


def visible_end(
    time: np.ndarray, start: np.ndarray, end: np.ndarray, anchor: np.ndarray
) -> np.ndarray:
    """End of the visible prefix of each segment ``time[start[i]:end[i]]``.

    Each segment is sorted ascending; the result is the first position in it
    whose time is ``> anchor[i]`` (``end[i]`` if none): a binary search run on
    all segments at once, ``log2(longest segment)`` numpy steps.

    Example:
        >>> time = np.array([1, 5, 9, 2, 3])
        >>> visible_end(time, np.array([0, 3]), np.array([3, 5]), np.array([5, 0])).tolist()
        [2, 3]
    """
    low = np.array(start, dtype=np.int64, copy=True)
    high = np.array(end, dtype=np.int64, copy=True)
    if len(low) == 0:
        return high
    steps = int((high - low).max()).bit_length()
    for _ in range(steps):
        mid = (low + high) >> 1
        go_right = (np.take(time, mid, mode="clip") <= anchor) & (low < high)
        low = np.where(go_right, mid + 1, low)
        high = np.where(go_right, high, mid)
    return low


def floyd_sample(rng: np.random.Generator, n: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct uniform draws from ``[0, n[i])`` for every row ``i`` (``n > k``).

    Floyd's algorithm, vectorized over rows: for ``j = n - k .. n - 1`` draw
    ``t`` in ``[0, j]`` and keep ``t``, or ``j`` if ``t`` is already taken.
    Every ``k``-subset is equally likely. Returns ``(len(n), k)`` ``int64``.

    Example:
        >>> out = floyd_sample(np.random.default_rng(0), np.array([5, 100]), 3)
        >>> out.shape, bool((out[0] < 5).all()), [len(set(r)) for r in out.tolist()]
        ((2, 3), True, [3, 3])
    """
    n = np.asarray(n, dtype=np.int64)
    out = np.empty((len(n), k), dtype=np.int64)
    for i in range(k):
        j = n - k + i
        draw = (rng.random(len(n)) * (j + 1)).astype(np.int64)
        np.minimum(draw, j, out=draw)
        if i:
            taken = (out[:, :i] == draw[:, None]).any(axis=1)
            draw = np.where(taken, j, draw)
        out[:, i] = draw
    return out


# ---------------------------------------------------------------- checks


def sample_neighbors(
    graph: TemporalGraph,
    seed_type: str,
    seed_ids: Any,
    anchor_time: Any,
    fanouts: Fanouts,
    *,
    strategy: str = "uniform",
    random_seed: int = 0,
) -> SampledBatch:
    """One-call temporal sampling: ``TemporalSampler(graph, fanouts, ...).sample(...)``.

    See :class:`TemporalSampler` and :meth:`TemporalSampler.sample`.
    """
    sampler = TemporalSampler(graph, fanouts, strategy=strategy, random_seed=random_seed)
    return sampler.sample(seed_type, seed_ids, anchor_time)


def check_seed_ids(seed_ids: Any, num_nodes: int, node_type: str) -> np.ndarray:
    """Seed row positions as a 1-D ``int64`` array, checked against ``[0, num_nodes)``."""
    ids = _as_numpy(seed_ids)
    if ids.ndim == 0:
        ids = ids.reshape(1)
    if ids.ndim != 1:
        raise GraphError(f"Expected a 1-D array of seed ids (got shape {ids.shape}).")
    if ids.dtype.kind not in "iu" and not (ids.dtype.kind in "fO" and len(ids) == 0):
        raise GraphError(
            f"Expected integer seed ids (row positions of {node_type!r}, 0 .. {num_nodes - 1}); "
            f"got dtype {ids.dtype}. Map primary-key values to row positions first."
        )
    ids = np.array(ids, dtype=np.int64)  # a copy: the batch owns (and may hand to torch) it
    bad = (ids < 0) | (ids >= num_nodes)
    if bad.any():
        example = int(ids[np.flatnonzero(bad)[0]])
        raise GraphError(
            f"{int(bad.sum())} seed id(s) out of range for node type {node_type!r}, which has "
            f"{num_nodes} nodes (e.g. {example}). Seed ids are row positions 0 .. "
            f"{num_nodes - 1}, not primary-key values."
        )
    return ids


def check_anchor_time(anchor_time: Any, num_seeds: int) -> np.ndarray:
    """Anchor times as ``int64`` epoch seconds, one per seed (a scalar is repeated).

    Raises:
        GraphError: If the values are not integers (floats, datetimes, text),
            look like milli-, micro- or nanoseconds, or their number is not
            ``num_seeds``.

    Example:
        >>> check_anchor_time(1_700_000_000, 2).tolist()
        [1700000000, 1700000000]
    """
    times = _as_numpy(anchor_time)
    if times.ndim == 1 and len(times) == 0:
        times = times.astype(np.int64)
    kind = times.dtype.kind
    if kind == "M":
        raise GraphError(
            f"Anchor times must be int64 epoch seconds (got numpy {times.dtype}). Convert with "
            "`times.astype('datetime64[s]').astype('int64')` (or "
            "relgraph.graph.timeutil.to_epoch_seconds for Arrow/pandas columns)."
        )
    if kind == "m":
        raise GraphError(
            f"Anchor times must be int64 epoch seconds (got durations, {times.dtype})."
        )
    if kind == "f":
        raise GraphError(
            f"Anchor times must be int64 epoch seconds (got {times.dtype}). Cast whole seconds "
            "with `times.astype('int64')`; floats lose precision at epoch scale."
        )
    if kind not in "iu" and len(times):
        raise GraphError(
            f"Anchor times must be int64 epoch seconds (got {times.dtype}, e.g. "
            f"{times.ravel()[0]!r}). Convert datetimes with "
            "relgraph.graph.timeutil.to_epoch_seconds(values).seconds."
        )
    if kind == "u" and len(times) and int(times.max()) > np.iinfo(np.int64).max:
        raise GraphError("Anchor times overflow int64 seconds.")
    times = np.array(times, dtype=np.int64)  # a copy, as for the seed ids
    if times.ndim == 0:
        times = np.full(num_seeds, int(times), dtype=np.int64)
    if times.ndim != 1:
        raise GraphError(f"Expected a 1-D array of anchor times (got shape {times.shape}).")
    if len(times) != num_seeds:
        raise GraphError(
            f"Got {num_seeds} seed ids but {len(times)} anchor times; give one anchor time "
            "per seed (or a single one for all)."
        )
    if len(times):
        largest = max(-int(times.min()), int(times.max()))
        if largest > MAX_PLAUSIBLE_SECONDS:
            unit, factor = "milliseconds", 10**3
            for bound, name, per_second in _FINER_UNITS:
                if largest > bound:
                    unit, factor = name, per_second
                    break
            raise GraphError(
                f"Anchor times must be epoch seconds, but {largest} is too large for seconds "
                f"(beyond the year 5000); it looks like {unit}. Divide by {factor:,} "
                f"(`times // {factor}`)."
            )
    return times


def check_seeds_exist(
    graph: TemporalGraph, seed_type: str, seed_rows: np.ndarray, anchor: np.ndarray
) -> None:
    """Raise :class:`GraphError` unless every seed row's time is ``<=`` its anchor."""
    if graph.is_static[seed_type] or not len(seed_rows):
        return
    seed_time = graph.node_time[seed_type][seed_rows]
    late = seed_time > anchor
    if late.any():
        i = int(np.flatnonzero(late)[0])
        when = "has a NULL time" if seed_time[i] == NEVER_TIME else f"has time {seed_time[i]}"
        raise GraphError(
            f"{int(late.sum())} seed(s) of {seed_type!r} do not exist yet at their anchor time "
            f"(e.g. seed {i}: row {int(seed_rows[i])} {when}, anchor {int(anchor[i])}). "
            "A seed's row must have time <= its anchor time; drop those examples from the "
            "training table."
        )


def _generator(random_seed: Any) -> np.random.Generator:
    try:
        return np.random.default_rng(random_seed)
    except (TypeError, ValueError) as err:
        raise GraphError(
            f"random_seed must be an integer >= 0 or a sequence of them (got {random_seed!r})."
        ) from err


def check_node_type(graph: TemporalGraph, node_type: Any) -> str:
    if not isinstance(node_type, str) or node_type not in graph.node_time:
        raise GraphError(_unknown("node type", str(node_type), graph.node_types))
    return node_type


def _check_strategy(strategy: Any) -> str:
    if strategy not in STRATEGIES:
        raise GraphError(
            f"Unknown sampling strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}."
        )
    return strategy


def _check_seed(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise GraphError(f"{name} must be an integer >= 0 (got {value!r}).")
    return int(value)


def _check_fanouts(fanouts: Any, edge_types: list[EdgeType]) -> dict[EdgeType, list[int]]:
    """One list of per-hop fanouts per (message) edge type."""
    if isinstance(fanouts, Mapping):
        known = set(edge_types)
        names = {edge_type_name(e): e for e in edge_types}
        out: dict[EdgeType, list[int]] = {}
        for key, values in fanouts.items():
            edge_type = names.get(key) if isinstance(key, str) else tuple(key)
            if edge_type not in known:
                raise GraphError(
                    _unknown(
                        "edge type", key if isinstance(key, str) else edge_type_name(key), names
                    )
                    + " Fanout keys are edge types in message direction "
                    "(neighbor type, relation, sampling type)."
                )
            out[edge_type] = _check_hops(values, f"fanouts[{edge_type_name(edge_type)}]")
        lengths = {len(v) for v in out.values()}
        if len(lengths) > 1:
            raise GraphError(
                "Every edge type needs the same number of hops in `fanouts` (got lengths "
                f"{sorted(lengths)}); pad with 0 for hops an edge type should skip."
            )
        hops = lengths.pop() if lengths else 0
        return {e: out.get(e, [0] * hops) for e in edge_types}
    hops = _check_hops(fanouts, "fanouts")
    return {e: list(hops) for e in edge_types}


def _check_hops(values: Any, name: str) -> list[int]:
    if isinstance(values, int | np.integer) and not isinstance(values, bool):
        raise GraphError(
            f"{name} must be a list with one fanout per hop (got {values!r}); e.g. [{values}]."
        )
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        raise GraphError(f"{name} must be a list of integers, one per hop (got {values!r}).")
    hops = list(values)
    for value in hops:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise GraphError(f"{name} must hold integers (got {value!r} in {hops}).")
        if value < -1:
            raise GraphError(
                f"{name} has a negative fanout ({int(value)} in {hops}); a fanout is >= 0, "
                "or -1 for all visible neighbors."
            )
    return [int(v) for v in hops]


def _message_type(edge_type: EdgeType, csr: CSR) -> EdgeType:
    """The edge type pointing the other way (``fk`` <-> ``rev_fk``)."""
    src, relation, dst = edge_type
    if csr.reverse and relation.startswith(REVERSE_PREFIX):
        return (dst, relation[len(REVERSE_PREFIX) :], src)
    return (dst, REVERSE_PREFIX + relation, src)


def _rel_time(
    graph: TemporalGraph, node_type: str, anchor: np.ndarray, time: np.ndarray
) -> np.ndarray:
    if graph.is_static[node_type]:
        return np.zeros(len(time), dtype=np.int64)
    return anchor - time


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.empty(0, dtype=np.int64)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _edge_index(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    if not parts:
        return np.empty((2, 0), dtype=np.int64)
    return np.stack([np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])])


def _as_numpy(values: Any) -> np.ndarray:
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # torch.Tensor
        values = values.detach().cpu().numpy()
    elif hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):  # pandas
        values = values.to_numpy()
    return np.asarray(values)


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"Unknown {kind} {name!r}.{hint} Known: {', '.join(known) or 'none'}."
