"""Inference is right on both demo databases, read back from DuckDB files."""

from __future__ import annotations

from pathlib import Path

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, make_trials, write_duckdb


def test_ecommerce_schema(tmp_path: Path) -> None:
    path = write_duckdb(make_ecommerce(scale=0.2, seed=1), tmp_path / "shop.duckdb")
    s = rg.connect(path).schema
    assert {n: (t.primary_key, t.time_column) for n, t in s.tables.items()} == {
        "customers": ("customer_id", "signup_at"),
        "products": ("product_id", None),
        "orders": ("order_id", "ordered_at"),
        "order_items": ("order_item_id", "ordered_at"),
        "reviews": ("review_id", "reviewed_at"),
    }
    assert {str(x) for x in s.links} == {
        "orders.customer_id -> customers.customer_id",
        "order_items.order_id -> orders.order_id",
        "order_items.product_id -> products.product_id",
        "reviews.customer_id -> customers.customer_id",
        "reviews.product_id -> products.product_id",
    }
    assert s.tables["orders"].columns["amount"] == rg.Stype.numerical
    assert s.tables["orders"].columns["channel"] == rg.Stype.categorical
    assert s.tables["products"].columns["category"] == rg.Stype.categorical
    assert s.tables["reviews"].columns["rating"] == rg.Stype.numerical
    assert s.tables["reviews"].columns["text"] in (rg.Stype.text, rg.Stype.categorical)
    assert s.warnings == []


def test_trials_schema(tmp_path: Path) -> None:
    path = write_duckdb(make_trials(scale=0.2, seed=1), tmp_path / "trials.duckdb")
    s = rg.connect(path).schema
    assert {n: (t.primary_key, t.time_column) for n, t in s.tables.items()} == {
        "studies": ("study_id", "started_at"),
        "sites": ("site_id", "activated_at"),
        "outcomes": ("outcome_id", "reported_at"),
    }
    assert {str(x) for x in s.links} == {
        "sites.study_id -> studies.study_id",
        "outcomes.site_id -> sites.site_id",
    }
    assert s.tables["outcomes"].columns["result"] == rg.Stype.categorical
    assert s.tables["studies"].columns["phase"] == rg.Stype.categorical
    assert s.tables["studies"].columns["enrolled"] == rg.Stype.numerical
