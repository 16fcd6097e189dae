"""Time-aware summaries of every sampled node's related rows, as node inputs.

A node of the GNN sees the few dozen neighbours the sampler gave it. What a
product's reviews say on average, or how many times it was bought, needs all
of its rows up to the anchor: for the ecommerce demo's planted signal (churn
follows the quality of the products a customer bought, which other buyers'
ratings reveal) the net would otherwise have to see a product's reviews one
by one, a hop further out.

For every node type and every link that points at it (the reverse direction
of a foreign key, e.g. ``products <- reviews``), :class:`NodeSummaries` gives
each sampled node, at its seed's anchor time:

- ``log1p`` of the number of referencing rows visible then,
- for a table with a time column, ``log1p`` of the days since the latest of
  them (0 when there is none),
- the mean of each numerical column of those rows (robustly normalised with
  the encoder's training statistics) and the share of each value of a small
  categorical column.

Nothing after the anchor is read: the referencing rows of a node are sorted
by time in the graph's CSR, so the visible ones are a prefix, found by one
vectorized binary search, and the sums over it come from prefix sums (one
pass over the table when the model is built, two lookups per node and batch).

Example:
    >>> import pandas as pd
    >>> import relgraph as rg
    >>> from relgraph.encode import encode_database
    >>> from relgraph.graph import TemporalGraph
    >>> db = rg.connect({
    ...     "products": pd.DataFrame({"product_id": [1, 2]}),
    ...     "reviews": pd.DataFrame({
    ...         "review_id": [1, 2, 3], "product_id": [1, 1, 2],
    ...         "rating": [1.0, 5.0, 4.0],
    ...         "reviewed_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-15"])}),
    ... })
    >>> encoded = encode_database(db, until=None)
    >>> summaries = NodeSummaries(
    ...     TemporalGraph.from_database(db), {t: s for t, (s, _) in encoded.items()},
    ...     {t: x for t, (_, x) in encoded.items()})
    >>> summaries.names("products")
    ['reviews: count', 'reviews: days since latest', 'reviews: mean rating']
    >>> jan20 = pd.Timestamp("2024-01-20").value // 10**9
    >>> x = summaries.compute("products", np.array([0, 1]), np.array([jan20, jan20]))
    >>> np.expm1(x[:, 0]).round().tolist()   # reviews visible on 20 January
    [1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from relgraph.db.schema import EdgeType
from relgraph.encode import TableStats, TableTensors
from relgraph.graph import TemporalGraph
from relgraph.graph.csr import CSR, STATIC_TIME
from relgraph.graph.sampler import visible_end

__all__ = ["NodeSummaries"]

#: Categorical columns with at most this many values get one share per value.
MAX_CATEGORIES = 8
#: At most this many columns of a referencing table are averaged.
MAX_COLUMNS = 12
_DAY = 86_400.0


@dataclass(frozen=True, eq=False)
class _Referencing:
    """One link pointing at a node type: its CSR and prefix sums of the
    referencing rows' values in CSR order (row 0 is zeros)."""

    edge_type: EdgeType
    indptr: np.ndarray
    time: np.ndarray
    timed: bool
    sums: np.ndarray  # (num_edges + 1, columns) float64
    known: np.ndarray  # (num_edges + 1, columns) float64, non-null values so far
    names: tuple[str, ...]


class NodeSummaries:
    """Per node type, the summaries of the rows that reference it.

    Args:
        graph (TemporalGraph): The graph the sampler draws from.
        stats (Mapping[str, TableStats]): The encoder's fitted statistics per
            table (their numerical medians and scales normalise the values;
            their vocabularies name the categories).
        tensors (Mapping[str, TableTensors]): Every table's raw tensors.

    :attr:`widths` holds the node types that get summaries (a link points at
    them, or with ``parents`` at a row they reference), with their widths.
    """

    def __init__(
        self,
        graph: TemporalGraph,
        stats: Mapping[str, TableStats],
        tensors: Mapping[str, TableTensors],
        parents: bool = True,
    ) -> None:
        self._links: dict[str, list[_Referencing]] = {}
        child_values: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        # (forward edge type, its CSR) per node type: the rows it references.
        self._parents: dict[str, list[tuple[EdgeType, CSR]]] = {}
        for edge_type, csr in graph.csr.items():
            if not csr.reverse:
                if parents:
                    self._parents.setdefault(edge_type[0], []).append((edge_type, csr))
                continue
            parent, _, child = edge_type
            if child not in child_values:  # a table with several links: read once
                child_values[child] = _child_values(child, stats.get(child), tensors.get(child))
            values, names = child_values[child]
            values = values[csr.indices] if names else np.zeros((csr.num_edges, 0))
            known = np.isfinite(values)
            zero = np.zeros((1, values.shape[1]))
            link = _Referencing(
                edge_type=edge_type,
                indptr=csr.indptr,
                time=csr.time,
                timed=not graph.is_static[child],
                sums=np.concatenate([zero, np.cumsum(np.where(known, values, 0.0), axis=0)]),
                known=np.concatenate([zero, np.cumsum(known, axis=0, dtype=np.float64)]),
                names=names,
            )
            self._links.setdefault(parent, []).append(link)
        self._parents = {
            t: [(e, csr) for e, csr in edges if e[2] in self._links]
            for t, edges in self._parents.items()
        }
        # In the graph's order, never a set's: the net builds one encoder per
        # entry, and the order of creation sets the initial weights.
        widths = {t: len(self.names(t)) for t in graph.node_types}
        self.widths: dict[str, int] = {t: w for t, w in widths.items() if w}

    def names_of(self, link: _Referencing) -> list[str]:
        parent, relation, child = link.edge_type
        same = [x for x in self._links.get(parent, []) if x.edge_type[2] == child]
        if len(same) > 1:  # two foreign keys of one table to this one: say which
            child = f"{child} by {relation.removeprefix('rev_')}"
        names = [f"{child}: count"]
        if link.timed:
            names.append(f"{child}: days since latest")
        return names + [f"{child}: {name}" for name in link.names]

    def names(self, node_type: str) -> list[str]:
        """What each summary column of ``node_type`` means, in order."""
        names = self._own_names(node_type)
        for (_, fk, parent), _ in self._parents.get(node_type, []):
            names += [f"{fk} -> {name}" for name in self._own_names(parent)]
        return names

    def _own_names(self, node_type: str) -> list[str]:
        return [name for link in self._links.get(node_type, []) for name in self.names_of(link)]

    def sources(self, node_type: str) -> list[str]:
        """The table whose rows each summary column of ``node_type`` summarises."""
        tables = self._own_sources(node_type)
        for (_, _, parent), _ in self._parents.get(node_type, []):
            tables += self._own_sources(parent)
        return tables

    def _own_sources(self, node_type: str) -> list[str]:
        return [
            link.edge_type[2]
            for link in self._links.get(node_type, [])
            for _ in self.names_of(link)
        ]

    def positions_of(self, table: str) -> dict[str, np.ndarray]:
        """Per node type, the summary columns made from rows of ``table``
        (what explanations blank out to see what those summaries did)."""
        out = {}
        for node_type in self.widths:
            hits = np.flatnonzero(np.array(self.sources(node_type)) == table)
            if len(hits):
                out[node_type] = hits
        return out

    def summarised_tables(self) -> list[str]:
        """Tables whose rows some node type summarises, sorted."""
        return sorted({link.edge_type[2] for links in self._links.values() for link in links})

    def compute(
        self,
        node_type: str,
        rows: np.ndarray,
        visible: np.ndarray,
        anchor: np.ndarray | None = None,
    ) -> np.ndarray:
        """The summaries of nodes ``rows`` of ``node_type``, ``float32 (n, width)``.

        Args:
            node_type (str): Their table.
            rows (np.ndarray): Row positions, ``int64``.
            visible (np.ndarray): Per node, the latest time (epoch seconds)
                whose rows may be read.
            anchor (np.ndarray, optional): Per node, the time the recency is
                measured from; ``visible`` when omitted. (default: :obj:`None`)
        """
        rows = np.asarray(rows, dtype=np.int64)
        visible = np.asarray(visible, dtype=np.int64)
        anchor = visible if anchor is None else np.asarray(anchor, dtype=np.int64)
        parts = self._own(node_type, rows, visible, anchor)
        parts += self._parent_parts(node_type, rows, visible, anchor)
        if not parts:
            return np.zeros((len(rows), 0), dtype=np.float32)
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _own(
        self, node_type: str, rows: np.ndarray, visible: np.ndarray, anchor: np.ndarray
    ) -> list[np.ndarray]:
        """Summaries of the rows referencing each node, one array per part."""
        parts: list[np.ndarray] = []
        for link in self._links.get(node_type, []):
            start = link.indptr[rows]
            stop = visible_end(link.time, start, link.indptr[rows + 1], visible)
            count = stop - start
            parts.append(np.log1p(count)[:, None])
            if link.timed:
                latest = link.time[np.maximum(stop - 1, 0)]
                days = np.where(count > 0, np.maximum(anchor - latest, 0) / _DAY, 0.0)
                # A static-time child row (never for a timed table) would be huge: guard anyway.
                days = np.where(latest == STATIC_TIME, 0.0, days)
                parts.append(np.log1p(days)[:, None])
            if link.sums.shape[1]:
                total = link.sums[stop] - link.sums[start]
                known = link.known[stop] - link.known[start]
                parts.append(np.where(known > 0, total / np.maximum(known, 1.0), 0.0))
        return parts

    def _parent_parts(
        self, node_type: str, rows: np.ndarray, visible: np.ndarray, anchor: np.ndarray
    ) -> list[np.ndarray]:
        """The own summaries of the rows each node references (zeros where
        the foreign key is NULL or dangling)."""
        parts = []
        for (_, _, parent), csr in self._parents.get(node_type, []):
            start = csr.indptr[rows]
            has = csr.indptr[rows + 1] > start
            parent_rows = np.where(has, csr.indices[np.minimum(start, csr.num_edges - 1)], 0)
            summary = np.zeros((len(rows), len(self._own_names(parent))))
            if has.any():
                own = self._own(parent, parent_rows[has], visible[has], anchor[has])
                summary[has] = np.concatenate(own, axis=1)
            parts.append(summary)
        return parts


def _child_values(
    child: str, stats: TableStats | None, tensors: TableTensors | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The referencing table's normalised numerical values and one-hot small
    categories, row-aligned (NaN where unknown), with their names."""
    if stats is None or tensors is None:
        return np.zeros((0, 0)), ()
    columns: list[np.ndarray] = []
    names: list[str] = []
    numerical = tensors.numerical.cpu().numpy().astype(np.float64)
    for j, name in enumerate(tensors.columns.get("numerical", ())):
        col = stats.columns[name]
        if col.num_values == 0:
            continue
        z = (np.clip(numerical[:, j], col.lower, col.upper) - col.median) / col.scale
        columns.append(z)
        names.append(f"mean {name}")
    categorical = tensors.categorical.cpu().numpy()
    for j, name in enumerate(tensors.columns.get("categorical", ())):
        vocab = stats.columns[name].vocab
        if not 1 < len(vocab) <= MAX_CATEGORIES:
            continue
        code = categorical[:, j]
        for k, value in enumerate(vocab):
            columns.append((code == k + 1).astype(np.float64))
            names.append(f"share {name}={value}")
    columns, names = columns[:MAX_COLUMNS], names[:MAX_COLUMNS]
    if not columns:
        return np.zeros((0, 0)), ()
    return np.stack(columns, axis=1), tuple(names)
