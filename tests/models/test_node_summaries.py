"""Per-node summaries of the rows referencing a node, as of its seed's anchor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.encode import encode_database
from relgraph.graph import TemporalGraph
from relgraph.models.gnn.node_summaries import NodeSummaries

DAY = 86_400


def _summaries(tables, until=None, **kwargs) -> NodeSummaries:
    """Summaries of a database (or of the tables, connected with inferred links)."""
    db = tables if isinstance(tables, rg.Database) else rg.connect(tables)
    encoded = encode_database(db, until=until)
    return NodeSummaries(
        TemporalGraph.from_database(db),
        {t: s for t, (s, _) in encoded.items()},
        {t: x for t, (_, x) in encoded.items()},
        **kwargs,
    )


def _seconds(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).astype("datetime64[s]").astype("int64").to_numpy()


@pytest.fixture(scope="module")
def shop() -> dict[str, pd.DataFrame]:
    return make_ecommerce(scale=0.05)


@pytest.fixture(scope="module")
def summaries(shop) -> NodeSummaries:
    return _summaries(shop)


def test_names_and_widths(summaries: NodeSummaries) -> None:
    assert summaries.names("products") == [
        "order_items: count",
        "order_items: days since latest",
        "order_items: mean quantity",
        "order_items: mean unit_price",
        "reviews: count",
        "reviews: days since latest",
        "reviews: mean rating",
    ]
    # order_items references products and orders: it gets their own summaries.
    names = summaries.names("order_items")
    assert "product_id -> reviews: mean rating" in names
    assert "order_id -> order_items: count" in names
    for table, width in summaries.widths.items():
        assert width == len(summaries.names(table))
    assert "orders: share status=refunded" in summaries.names("customers")


def test_products_match_a_direct_computation(shop, summaries: NodeSummaries) -> None:
    products, reviews = shop["products"], shop["reviews"]
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(products), 60)
    anchors = _seconds(["2023-06-01", "2024-01-15", "2024-12-31"])[rng.integers(0, 3, 60)]
    got = summaries.compute("products", rows, anchors)
    names = summaries.names("products")
    encoded = encode_database(rg.connect(shop), until=None)
    rating = encoded["reviews"][0].columns["rating"]
    review_time = _seconds(reviews["reviewed_at"])
    for i, (row, anchor) in enumerate(zip(rows, anchors, strict=True)):
        mine = reviews[
            (reviews["product_id"] == products["product_id"].iloc[row]) & (review_time <= anchor)
        ]
        times = _seconds(mine["reviewed_at"])
        assert np.expm1(got[i, names.index("reviews: count")]) == pytest.approx(len(mine))
        if len(mine):
            z = (mine["rating"].clip(rating.lower, rating.upper) - rating.median) / rating.scale
            assert got[i, names.index("reviews: mean rating")] == pytest.approx(z.mean(), abs=1e-5)
            days = (anchor - times.max()) / DAY
            assert np.expm1(got[i, names.index("reviews: days since latest")]) == pytest.approx(
                days, rel=1e-4
            )
        else:
            assert got[i, names.index("reviews: mean rating")] == 0.0
            assert got[i, names.index("reviews: days since latest")] == 0.0


def test_rows_after_the_anchor_change_nothing(shop) -> None:
    """Leakage: rows after the anchor are never read (the encoder's statistics,
    fitted up to a time as in the models, are the same for both)."""
    anchor = _seconds(["2024-03-01"])[0]
    until = pd.Timestamp("2024-03-01")
    summaries = _summaries(shop, until=until)
    changed = {name: frame.copy() for name, frame in shop.items()}
    for name, column in [("reviews", "reviewed_at"), ("order_items", "ordered_at")]:
        frame = changed[name]
        later = _seconds(frame[column]) > anchor
        assert later.any()
        value = "rating" if name == "reviews" else "quantity"
        frame.loc[later, value] = frame.loc[later, value].max()
    other = _summaries(changed, until=until)
    for table in ("products", "order_items", "customers", "orders"):
        n = len(shop[table])
        rows = np.arange(n)
        # Equal up to rounding: the prefix sums run over other nodes' rows too.
        np.testing.assert_allclose(
            summaries.compute(table, rows, np.full(n, anchor)),
            other.compute(table, rows, np.full(n, anchor)),
            rtol=1e-6,
            atol=1e-6,
        )
    # ...while they are seen once the anchor is later.
    n = len(shop["products"])
    end = np.full(n, _seconds(["2025-01-01"])[0])
    assert not np.array_equal(
        summaries.compute("products", np.arange(n), end),
        other.compute("products", np.arange(n), end),
    )


def test_recency_from_the_anchor_reads_only_visible_rows(summaries: NodeSummaries) -> None:
    rows = np.arange(5)
    visible = np.full(5, _seconds(["2024-03-01"])[0])
    names = summaries.names("products")
    same = summaries.compute("products", rows, visible)
    later = summaries.compute("products", rows, visible, anchor=visible + 10 * DAY)
    days = names.index("reviews: days since latest")
    count = names.index("reviews: count")
    np.testing.assert_array_equal(same[:, count], later[:, count])
    has = same[:, count] > 0
    assert has.any()
    np.testing.assert_allclose(
        np.expm1(later[has, days]) - np.expm1(same[has, days]), 10.0, rtol=1e-4
    )


def test_a_null_foreign_key_gives_zeros_and_tables_without_links_none() -> None:
    tables = {
        "users": pd.DataFrame({"user_id": [1, 2]}),
        "posts": pd.DataFrame(
            {
                "post_id": [1, 2, 3],
                "user_id": pd.array([1, 1, None], dtype="Int64"),
                "likes": [3.0, 5.0, 7.0],
                "at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            }
        ),
    }
    summaries = _summaries(tables)
    assert summaries.widths["users"] == 3  # count, days since latest, mean likes
    late = np.full(3, _seconds(["2024-02-01"])[0])
    posts = summaries.compute("posts", np.arange(3), late)
    assert summaries.names("posts")[0] == "user_id -> posts: count"
    assert np.expm1(posts[0, 0]) == pytest.approx(2)
    np.testing.assert_array_equal(posts[2], 0.0)
    assert _summaries(tables, parents=False).widths.get("posts", 0) == 0
    assert summaries.compute("users", np.zeros(0, dtype=np.int64), np.zeros(0)).shape == (0, 3)


def test_sources_name_the_summarised_table_of_every_column(summaries: NodeSummaries) -> None:
    for node_type, width in summaries.widths.items():
        sources = summaries.sources(node_type)
        names = summaries.names(node_type)
        assert len(sources) == width
        for name, table in zip(names, sources, strict=True):
            assert name.split(" -> ")[-1].startswith(f"{table}: ")
    assert summaries.summarised_tables() == ["order_items", "orders", "reviews"]
    reviews = summaries.positions_of("reviews")
    assert set(reviews) == {"customers", "products", "order_items", "orders", "reviews"}
    names = summaries.names("products")
    assert [names[i] for i in reviews["products"]] == [
        "reviews: count",
        "reviews: days since latest",
        "reviews: mean rating",
    ]


def test_two_links_from_one_table_are_named_by_their_foreign_key() -> None:
    tables = {
        "teams": pd.DataFrame({"team_id": [1, 2, 3]}),
        "matches": pd.DataFrame(
            {
                "match_id": [1, 2, 3],
                "home_id": [1, 1, 2],
                "away_id": [2, 3, 3],
                "at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            }
        ),
    }
    db = rg.connect(tables).link("matches.home_id", "teams.team_id")
    db = db.link("matches.away_id", "teams.team_id")
    summaries = _summaries(db)
    names = summaries.names("teams")
    assert sorted(names) == [
        "matches by away_id: count",
        "matches by away_id: days since latest",
        "matches by home_id: count",
        "matches by home_id: days since latest",
    ]
    x = summaries.compute("teams", np.arange(3), np.full(3, _seconds(["2024-02-01"])[0]))
    home = np.expm1(x[:, names.index("matches by home_id: count")]).round().tolist()
    away = np.expm1(x[:, names.index("matches by away_id: count")]).round().tolist()
    assert (home, away) == ([2.0, 1.0, 0.0], [0.0, 1.0, 2.0])
