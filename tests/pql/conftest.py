"""Small databases for the PQL tests, written out row by row so that every
expected label can be checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_trials


def times(texts: list[str | None]) -> pd.Series:
    """Timestamps from text (``None`` is NULL)."""
    return pd.Series([pd.Timestamp(t) if t else pd.NaT for t in texts], dtype="datetime64[us]")


def market_frames() -> tuple[dict[str, pd.DataFrame], dict]:
    """A marketplace: orders link to customers twice (buyer and seller)."""
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "signup_at": times(["2024-01-01", "2024-01-05", "2024-02-01", None]),
            "country": ["DE", "US", None, "US"],
            "age": [30, 41, 25, 50],
            "vip": [True, False, False, True],
        }
    )
    products = pd.DataFrame(
        {
            "product_id": [10, 11, 12],
            "category": ["toys", "books", "toys"],
            "price": [5.0, 12.5, 7.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [100, 101, 102, 103, 104, 105],
            "buyer_id": [1, 1, 2, 1, 3, 2],
            "seller_id": pd.array([2, 3, 1, 2, 1, None], dtype="Int64"),
            "ordered_at": times(
                [
                    "2024-01-10",
                    "2024-01-31",  # exactly on a window end
                    "2024-02-01",  # exactly on an anchor: not in (t, t+30]
                    "2024-02-15 12:00",
                    "2024-02-20",
                    None,  # never visible
                ]
            ),
            "amount": [10.0, 20.0, 5.0, None, 7.5, 100.0],
            "channel": ["web", "app", "web", "web", "store", "app"],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": [1000, 1001, 1002, 1003, 1004],
            "order_id": [100, 100, 101, 103, 104],
            "product_id": [10, 11, 10, 12, 11],
            "quantity": [1, 2, 1, 3, 1],
            "ordered_at": times(
                ["2024-01-10", "2024-01-10", "2024-01-31", "2024-02-15 12:00", "2024-02-20"]
            ),
        }
    )
    reviews = pd.DataFrame(
        {
            "review_id": [1, 2],
            "customer_id": [1, 2],
            "product_id": [10, 11],
            "reviewed_at": times(["2024-01-12", "2024-02-02"]),
            "rating": [5, 1],
            "text": ["great", "it's bad"],
        }
    )
    schema = {
        "tables": {
            "customers": {"primary_key": "customer_id", "time_column": "signup_at"},
            "products": {"primary_key": "product_id", "time_column": ""},
            "orders": {"primary_key": "order_id", "time_column": "ordered_at"},
            "order_items": {"primary_key": "item_id", "time_column": "ordered_at"},
            "reviews": {"primary_key": "review_id", "time_column": "reviewed_at"},
        },
        "links": [
            {"from": "orders.buyer_id", "to": "customers.customer_id"},
            {"from": "orders.seller_id", "to": "customers.customer_id"},
            {"from": "order_items.order_id", "to": "orders.order_id"},
            {"from": "order_items.product_id", "to": "products.product_id"},
            {"from": "reviews.customer_id", "to": "customers.customer_id"},
            {"from": "reviews.product_id", "to": "products.product_id"},
        ],
    }
    frames = {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_items": items,
        "reviews": reviews,
    }
    return frames, schema


@pytest.fixture(scope="session")
def market() -> rg.Database:
    frames, schema = market_frames()
    return rg.connect(frames, schema=schema)


@pytest.fixture(scope="session")
def shop(shop_db: rg.Database) -> rg.Database:
    """The e-commerce demo (small): one link per pair of tables (tests/conftest.py)."""
    return shop_db


@pytest.fixture(scope="session")
def trials() -> rg.Database:
    return rg.connect(make_trials(scale=0.05, seed=0))
