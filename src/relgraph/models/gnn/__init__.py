"""The temporal graph neural network family (docs/gnn.md): a heterogeneous
GraphSAGE over time-respecting sampled subgraphs, its link-prediction head and
its explanations."""

from relgraph.models.gnn.model import GNNModel

__all__ = ["GNNModel"]
