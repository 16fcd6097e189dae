"""Rows to nodes, foreign keys to edges: the temporal graph of a database."""

from relgraph.graph.csr import CSR, NEVER_TIME, STATIC_TIME
from relgraph.graph.temporal_graph import TemporalGraph

__all__ = ["CSR", "NEVER_TIME", "STATIC_TIME", "TemporalGraph"]
