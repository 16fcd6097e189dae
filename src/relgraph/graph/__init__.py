"""Rows to nodes, foreign keys to edges: the temporal graph of a database.

The loader (:class:`TemporalLoader`, :class:`PyGTemporalSampler`) needs torch
and PyG; it is imported on first use so that ``import relgraph.graph`` stays
light.
"""

from typing import Any

from relgraph.graph.batch import SampledBatch
from relgraph.graph.csr import CSR, NEVER_TIME, STATIC_TIME
from relgraph.graph.sampler import TemporalSampler, sample_neighbors
from relgraph.graph.temporal_graph import TemporalGraph

__all__ = [
    "CSR",
    "NEVER_TIME",
    "STATIC_TIME",
    "PyGTemporalSampler",
    "SampledBatch",
    "TemporalGraph",
    "TemporalLoader",
    "TemporalSampler",
    "sample_neighbors",
]

_LAZY = {"TemporalLoader", "PyGTemporalSampler"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from relgraph.graph import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
