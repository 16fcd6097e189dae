"""The subgraphs a temporal sampler returns for a batch of seeds.

A :class:`SampledBatch` holds one disjoint subgraph per seed, all in one set
of arrays: per node type the sampled rows, the seed each belongs to and its
time relative to that seed's anchor; per edge type the local ``edge_index``.
:meth:`SampledBatch.to_hetero_data` turns it into PyG ``HeteroData``.

Layout (what message passing relies on):

- Nodes of each type are stored hop by hop (``num_sampled_nodes[t][h]`` nodes
  found at hop ``h``); the ``batch_size`` seeds are the first nodes of the
  seed type, seed ``i`` at position ``i``.
- Edges point from the sampled neighbor to the node that sampled it, so that
  messages flow toward the seed: for edge type ``(src, rel, dst)``,
  ``edge_index[0]`` indexes nodes of type ``src`` (the neighbors) and
  ``edge_index[1]`` nodes of type ``dst`` (the frontier), as in PyG's
  ``NeighborLoader``. The edge type is the graph's own edge type in that
  direction: a customer that samples its orders (along the CSR of
  ``("customers", "rev_customer_id", "orders")``) receives messages along
  ``("orders", "customer_id", "customers")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from relgraph.db.schema import EdgeType
from relgraph.errors import GraphError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch_geometric.data import HeteroData

__all__ = ["SampledBatch"]


@dataclass(frozen=True, eq=False)
class SampledBatch:
    """Disjoint temporal subgraphs around a batch of ``(seed row, anchor time)``.

    Attributes:
        seed_type (str): Node type of the seeds.
        anchor_time (np.ndarray): ``int64`` epoch seconds, one per seed, ``(batch_size,)``.
        node (dict[str, np.ndarray]): Per node type, the global row id (position
            in the node type's table) of every sampled node, ``int64``. A row
            sampled for two seeds appears twice (once per seed); within one
            seed's subgraph a row appears once.
        batch (dict[str, np.ndarray]): Per node type, the index of the seed
            (into ``anchor_time``) each node belongs to, ``int64``.
        rel_time (dict[str, np.ndarray]): Per node type, the seed's anchor
            time minus the row's time, in seconds (``int64``, ``>= 0``). Rows
            of static tables have no time: their ``rel_time`` is ``0`` (see
            ``static``).
        static (dict[str, bool]): Whether a node type is a static table.
        edge_index (dict[EdgeType, np.ndarray]): Per edge type, ``(2, num_edges)``
            ``int64`` local indices ``[neighbor, sampler]`` (messages flow
            from row 0 to row 1, toward the seed).
        num_sampled_nodes (dict[str, list[int]]): Per node type, the number of
            nodes first reached at hop ``0`` (the seeds), ``1``, ... ``num_hops``.
        num_sampled_edges (dict[EdgeType, list[int]]): Per edge type, the
            number of edges sampled at hop ``1`` ... ``num_hops``.
    """

    seed_type: str
    anchor_time: np.ndarray
    node: dict[str, np.ndarray]
    batch: dict[str, np.ndarray]
    rel_time: dict[str, np.ndarray]
    static: dict[str, bool]
    edge_index: dict[EdgeType, np.ndarray]
    num_sampled_nodes: dict[str, list[int]] = field(default_factory=dict)
    num_sampled_edges: dict[EdgeType, list[int]] = field(default_factory=dict)

    # ------------------------------------------------------------------ sizes

    @property
    def batch_size(self) -> int:
        """Number of seeds."""
        return len(self.anchor_time)

    @property
    def seed_index(self) -> np.ndarray:
        """Positions of the seeds among the nodes of ``seed_type`` (``arange(batch_size)``)."""
        return np.arange(self.batch_size, dtype=np.int64)

    @property
    def node_types(self) -> list[str]:
        return list(self.node)

    @property
    def edge_types(self) -> list[EdgeType]:
        return list(self.edge_index)

    def num_nodes(self, node_type: str | None = None) -> int:
        """Sampled nodes of one type, or of all types."""
        if node_type is None:
            return sum(len(rows) for rows in self.node.values())
        return len(self.node[node_type])

    def num_edges(self, edge_type: EdgeType | None = None) -> int:
        """Sampled edges of one type, or of all types."""
        if edge_type is None:
            return sum(index.shape[1] for index in self.edge_index.values())
        return int(self.edge_index[edge_type].shape[1])

    def seed_time(self, node_type: str) -> np.ndarray:
        """Anchor time of the seed of every node of ``node_type`` (``int64``)."""
        return self.anchor_time[self.batch[node_type]]

    def time(self, node_type: str) -> np.ndarray:
        """Epoch seconds of every node of ``node_type`` (``int64``): the row's
        time, or, for a static table, its seed's anchor time, so that
        ``seed_time(t) - time(t) == rel_time[t]`` for every type."""
        return self.seed_time(node_type) - self.rel_time[node_type]

    # ------------------------------------------------------------------ PyG

    def to_hetero_data(self, features: Mapping[str, Any] | None = None) -> HeteroData:
        """The batch as PyG ``HeteroData``.

        Per node type: ``n_id`` (global row ids), ``batch`` (seed index),
        ``time`` (epoch seconds; a static row gets its seed's anchor time),
        ``rel_time`` (``seed_time - time``, seconds, ``>= 0``; ``0`` for static
        rows), ``seed_time`` (the anchor time of each node's seed; on the seed
        type its first ``batch_size`` entries are the seeds' own anchors, so
        ``data[seed_type].seed_time[data[t].batch]`` also works), ``num_nodes``,
        ``num_sampled_nodes`` (per hop) and ``x`` when ``features`` has the
        type. Per edge type: ``edge_index`` (``[neighbor, sampler]``, messages
        flow toward the seed) and ``num_sampled_edges``. The seed type also
        gets ``batch_size``. Every node and edge type of the graph is present,
        empty when nothing was sampled, so a ``HeteroConv`` sees the same
        types in every batch. All integer tensors are ``torch.long``.

        Args:
            features (Mapping[str, torch.Tensor | np.ndarray], optional):
                Row-aligned feature matrices per node type (row ``i`` holds the
                features of node ``i`` of the graph); the rows of the sampled
                nodes become ``x``. (default: :obj:`None`)

        Returns:
            torch_geometric.data.HeteroData
        """
        import torch
        from torch_geometric.data import HeteroData

        data = HeteroData()
        for node_type, rows in self.node.items():
            store = data[node_type]
            n_id = torch.from_numpy(rows)
            store.n_id = n_id
            store.batch = torch.from_numpy(self.batch[node_type])
            store.rel_time = torch.from_numpy(self.rel_time[node_type])
            seed_time = self.seed_time(node_type)
            store.seed_time = torch.from_numpy(seed_time)
            store.time = torch.from_numpy(seed_time - self.rel_time[node_type])
            store.num_nodes = len(rows)
            store.num_sampled_nodes = list(self.num_sampled_nodes.get(node_type, [len(rows)]))
            if features is not None and node_type in features:
                store.x = gather_rows(features[node_type], n_id, node_type)
        data[self.seed_type].batch_size = self.batch_size
        for edge_type, index in self.edge_index.items():
            store = data[edge_type]
            store.edge_index = torch.from_numpy(index)
            store.num_sampled_edges = list(self.num_sampled_edges.get(edge_type, []))
        return data

    def __repr__(self) -> str:
        nodes = ", ".join(f"{t}={len(r)}" for t, r in self.node.items() if len(r))
        return (
            f"SampledBatch(seed_type={self.seed_type!r}, batch_size={self.batch_size}, "
            f"nodes={self.num_nodes()} ({nodes}), edges={self.num_edges()})"
        )


def gather_rows(matrix: Any, index: torch.Tensor, node_type: str = "?") -> torch.Tensor:
    """Rows ``index`` of a row-aligned feature matrix (torch tensor or numpy array).

    Raises:
        GraphError: If ``matrix`` is neither, or has too few rows.
    """
    import torch

    if not isinstance(matrix, torch.Tensor | np.ndarray):
        raise GraphError(
            f"Features of node type {node_type!r} must be a torch.Tensor or numpy array with "
            f"one row per node (got {type(matrix).__name__})."
        )
    if len(index) and int(index.max()) >= matrix.shape[0]:
        raise GraphError(
            f"Features of node type {node_type!r} have {matrix.shape[0]} rows, but node "
            f"{int(index.max())} was sampled. Give one row per node of the graph."
        )
    if isinstance(matrix, np.ndarray):
        return torch.from_numpy(np.take(matrix, index.numpy(), axis=0))
    if matrix.device.type == "cpu" and not matrix.requires_grad and matrix.is_contiguous():
        # numpy's single-threaded take: as fast as torch's gather of rows, and
        # free of OpenMP's slowdowns when the cores are busy (e.g. with the
        # model's own threads while a loader thread prepares the next batch).
        try:
            array = matrix.numpy()
        except TypeError:  # a dtype numpy lacks, e.g. bfloat16
            array = None
        if array is not None:
            return torch.from_numpy(np.take(array, index.numpy(), axis=0))
    return matrix.index_select(0, index.to(matrix.device))
