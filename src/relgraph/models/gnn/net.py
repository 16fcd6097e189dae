"""The torch module of the ``gnn`` family: column encoders, relative time,
heterogeneous GraphSAGE layers and a head on the seed nodes.

Node ids of a sampled batch are row positions, so every table's raw tensors
(:class:`~relgraph.encode.TableTensors`) are held once and the batch gathers
its rows. Messages flow along the batch's edge types (both directions of every
foreign key) toward the seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import HeteroConv, SAGEConv

from relgraph.db.schema import EdgeType
from relgraph.encode import RelativeTimeEncoder, TableEncoder, TableStats, TableTensors

__all__ = ["GNNNet"]


class GNNNet(nn.Module):
    """Encoders per table, ``layers`` of hetero GraphSAGE, an MLP head.

    Args:
        stats (Mapping[str, TableStats]): Fitted statistics per node type
            (``TableStats(table=name, columns={})`` for a table without
            feature columns: its nodes get a learned constant).
        static (Mapping[str, bool]): Whether each node type is a static table.
        edge_types (Sequence[EdgeType]): Edge types of the batches (message direction).
        hidden (int): Width of every node embedding.
        layers (int): Message-passing layers.
        out_dim (int): Outputs of the head (1, or the number of classes).
        aggr (str): Neighbor aggregation of each SAGEConv (``"mean"``, ``"sum"``,
            ``"max"``, or a list such as ``["mean", "sum"]``). (default: ``"mean"``)
        seed_dim (int): Width of per-example seed features (``seed_x`` on the
            seed type, e.g. the target's history), added to the seed
            embeddings after message passing, and also mapped linearly to
            the output (a shortcut: the target's history alone is a strong
            predictor that the deep part should not have to relearn); 0 for
            none. (default: 0)
        dropout (float): Dropout after every layer and in the head. (default: 0.0)
        id_embeddings (Mapping[str, int] | None): Node types that also get a
            learned vector per row, with their number of rows; rows beyond it
            (added later) share one extra vector. (default: None)
        summary_dims (Mapping[str, int] | None): Node types that get
            per-node summaries (``summary`` on their store, see
            :mod:`relgraph.models.gnn.node_summaries`), with their widths; each
            is mapped by a small MLP and added to the node's embedding.
            (default: None)
    """

    def __init__(
        self,
        stats: Mapping[str, TableStats],
        static: Mapping[str, bool],
        edge_types: Sequence[EdgeType],
        hidden: int,
        layers: int,
        out_dim: int,
        aggr: str = "mean",
        seed_dim: int = 0,
        dropout: float = 0.0,
        id_embeddings: Mapping[str, int] | None = None,
        summary_dims: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.node_types = list(stats)
        self.static = {t: bool(static.get(t, False)) for t in self.node_types}
        # ModuleDict keys must be plain identifiers: index node types by position.
        self._key = {t: f"t{i}" for i, t in enumerate(self.node_types)}
        self.encoders = nn.ModuleDict(
            {self._key[t]: TableEncoder(stats[t], hidden) for t in self.node_types}
        )
        self.id_rows = {t: int(n) for t, n in (id_embeddings or {}).items()}
        self.id_embeddings = nn.ModuleDict(
            {self._key[t]: nn.Embedding(n + 1, hidden) for t, n in self.id_rows.items()}
        )
        for emb in self.id_embeddings.values():
            nn.init.normal_(emb.weight, std=0.1)
        self.summary_encoders = nn.ModuleDict(
            {
                self._key[t]: nn.Sequential(
                    nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden)
                )
                for t, d in (summary_dims or {}).items()
                if t in self._key
            }
        )
        self.time_encoder = RelativeTimeEncoder(hidden)
        self.edge_types = [tuple(e) for e in edge_types]
        self.convs = nn.ModuleList(
            HeteroConv(
                {e: SAGEConv((hidden, hidden), hidden, aggr=aggr) for e in self.edge_types},
                aggr="sum",
            )
            for _ in range(layers)
        )
        self.norms = nn.ModuleList(
            nn.ModuleDict({self._key[t]: nn.LayerNorm(hidden) for t in self.node_types})
            for _ in range(layers)
        )
        self.seed_encoder = (
            nn.Sequential(nn.Linear(seed_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
            if seed_dim
            else None
        )
        self.seed_linear = nn.Linear(seed_dim, out_dim) if seed_dim else None
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.LayerNorm(hidden),
            nn.Dropout(dropout),
            nn.Linear(hidden, out_dim),
        )

    def embed(self, data: HeteroData, tensors: Mapping[str, TableTensors]) -> dict[str, Tensor]:
        """Initial embedding of every sampled node: its columns plus its age."""
        x_dict: dict[str, Tensor] = {}
        for t in self.node_types:
            store = data[t]
            encoder = self.encoders[self._key[t]]
            n = int(store.num_nodes)
            if encoder.has_features:
                rows = tensors[t].index_select(store.n_id)
                x = encoder(rows, store.seed_time)
            else:
                x = encoder.constant.expand(n, -1)
            if t in self.id_rows:
                n_rows = self.id_rows[t]
                ids = torch.where(
                    store.n_id < n_rows, store.n_id, torch.full_like(store.n_id, n_rows)
                )
                x = x + self.id_embeddings[self._key[t]](ids)
            if self._key[t] in self.summary_encoders:
                x = x + self.summary_encoders[self._key[t]](store.summary)
            x_dict[t] = x + self.time_encoder(store.rel_time, static=self.static[t])
        return x_dict

    def forward(
        self, data: HeteroData, tensors: Mapping[str, TableTensors], seed_type: str
    ) -> Tensor:
        """Head outputs of the seeds (the first ``batch_size`` nodes of ``seed_type``)."""
        out = self.head(self.seed_embedding(data, tensors, seed_type))
        if self.seed_linear is not None:
            out = out + self.seed_linear(data[seed_type].seed_x)
        return out

    def seed_embedding(
        self, data: HeteroData, tensors: Mapping[str, TableTensors], seed_type: str
    ) -> Tensor:
        """The seeds' embeddings after message passing (the head's input)."""
        x_dict = self.embed(data, tensors)
        edge_index_dict = {e: data[e].edge_index for e in self.edge_types if e in data.edge_types}
        for conv, norms in zip(self.convs, self.norms, strict=True):
            out = conv(x_dict, edge_index_dict)
            x_dict = {
                t: x + self.dropout(torch.relu(norms[self._key[t]](out[t]))) if t in out else x
                for t, x in x_dict.items()
            }
        seeds = x_dict[seed_type][: int(data[seed_type].batch_size)]
        if self.seed_encoder is not None:
            seeds = seeds + self.seed_encoder(data[seed_type].seed_x)
        return seeds
