"""Small databases for tests, built in code so every test says what it reads."""

from __future__ import annotations

import numpy as np
import pandas as pd


def shop_frames(seed: int = 0, customers: int = 40, orders: int = 200) -> dict[str, pd.DataFrame]:
    """customers <- orders <- order_items -> products, reviews -> customers/products."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00")
    cust = pd.DataFrame(
        {
            "customer_id": np.arange(1, customers + 1),
            "signup_at": start + rng.integers(0, 100, customers).astype("timedelta64[D]"),
            "country": rng.choice(["DE", "FR", "US"], customers),
            "birth_date": np.datetime64("1980-01-01")
            + rng.integers(0, 9000, customers).astype("timedelta64[D]"),
        }
    )
    prod = pd.DataFrame(
        {
            "product_id": np.arange(100, 130),
            "category": rng.choice(["toys", "books", "garden"], 30),
            "price": rng.uniform(1, 100, 30).round(2),
        }
    )
    ordd = pd.DataFrame(
        {
            "order_id": np.arange(1000, 1000 + orders),
            "customer_id": rng.integers(1, customers + 1, orders),
            "ordered_at": start + rng.integers(0, 365 * 24, orders).astype("timedelta64[h]"),
            "amount": rng.uniform(5, 500, orders).round(2),
        }
    )
    items = pd.DataFrame(
        {
            "order_item_id": np.arange(orders * 2),
            "order_id": np.repeat(ordd["order_id"].to_numpy(), 2),
            "product_id": rng.integers(100, 130, orders * 2),
            "quantity": rng.integers(1, 5, orders * 2),
        }
    )
    words = np.array(
        [
            "great product works well",
            "terrible broke after a day",
            "okay for the price I guess",
            "would buy again happily",
        ]
    )
    rev = pd.DataFrame(
        {
            "review_id": np.arange(60),
            "customer_id": rng.integers(1, customers + 1, 60),
            "product_id": rng.integers(100, 130, 60),
            "reviewed_at": start + rng.integers(0, 365, 60).astype("timedelta64[D]"),
            "rating": rng.integers(1, 6, 60),
            "text": words[rng.integers(0, 4, 60)],
        }
    )
    return {
        "customers": cust,
        "products": prod,
        "orders": ordd,
        "order_items": items,
        "reviews": rev,
    }


SHOP_LINKS = {
    "orders.customer_id -> customers.customer_id",
    "order_items.order_id -> orders.order_id",
    "order_items.product_id -> products.product_id",
    "reviews.customer_id -> customers.customer_id",
    "reviews.product_id -> products.product_id",
}
