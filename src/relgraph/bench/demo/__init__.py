"""Deterministic demo databases, generated locally (no downloads).

- :func:`make_ecommerce`: an online shop (customers, products, orders,
  order_items, reviews) with planted churn signal.
- :func:`make_trials`: a clinical-trials registry (studies, sites, outcomes),
  the README's example.
- :func:`write_duckdb`: write either to a DuckDB file, keys not declared.

Example:
    >>> from relgraph.bench.demo import DEMOS
    >>> sorted(DEMOS)
    ['ecommerce', 'trials']
    >>> tables = DEMOS["trials"](scale=0.01, seed=0)
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from relgraph.bench.demo.ecommerce import make_ecommerce
from relgraph.bench.demo.trials import make_trials
from relgraph.bench.demo.writer import write_duckdb

__all__ = ["DEMOS", "make_ecommerce", "make_trials", "write_duckdb"]

DEMOS: dict[str, Callable[..., dict[str, pd.DataFrame]]] = {
    "ecommerce": make_ecommerce,
    "trials": make_trials,
}
