"""Fitted gnn models that test_gnn.py and test_gnn_explain.py both read.

A gnn fit is the costliest step of the fast suite; these are fitted once per
run on the shared demo shop (``shop_db``, tests/conftest.py). They are
read-only: a test that changes a model's attributes fits its own.
"""

from __future__ import annotations

import pytest

import relgraph as rg
from relgraph.models.gnn.model import GNNModel
from tests.models.test_common import QUERIES, TINY_GNN


@pytest.fixture(scope="session")
def shop_tasks(shop_db: rg.Database) -> dict[str, rg.Task]:
    """One task per kind of ``QUERIES`` (binary, regression, multiclass)."""
    return {kind: rg.Task.from_query(shop_db, q) for kind, q in QUERIES.items()}


@pytest.fixture(scope="session")
def gnn_pairs(shop_tasks: dict[str, rg.Task]) -> dict[str, GNNModel]:
    """Two nets per task: the ensemble path (members, averaging, saving) at
    2/3 of the default three's cost."""
    return {kind: GNNModel(**TINY_GNN, ensemble=2).fit(t) for kind, t in shop_tasks.items()}


@pytest.fixture(scope="session")
def gnn_single(shop_tasks: dict[str, rg.Task]) -> GNNModel:
    """One net on the binary task (the first member of ``gnn_pairs['binary']``)."""
    return GNNModel(**TINY_GNN, ensemble=1).fit(shop_tasks["binary"])


@pytest.fixture(scope="session")
def gnn_summarised(shop_tasks: dict[str, rg.Task]) -> GNNModel:
    """One net on the binary task with two levels of node summaries."""
    return GNNModel(**TINY_GNN, ensemble=1, node_summaries=2).fit(shop_tasks["binary"])
