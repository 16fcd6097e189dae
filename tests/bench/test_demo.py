"""The demo databases: determinism, sizes, integrity, planted signal, DuckDB output."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import relgraph.bench.demo as demo
from relgraph.bench.demo import DEMOS, make_ecommerce, make_trials, write_duckdb
from relgraph.bench.demo import ecommerce as ecommerce_module
from relgraph.bench.demo import trials as trials_module
from relgraph.bench.demo import writer as writer_module
from relgraph.errors import SourceError

# table: (primary key, time column or None, {foreign key: parent table})
ECOMMERCE_SCHEMA = {
    "customers": ("customer_id", "signup_at", {}),
    "products": ("product_id", None, {}),
    "orders": ("order_id", "ordered_at", {"customer_id": "customers"}),
    "order_items": (
        "order_item_id",
        "ordered_at",
        {"order_id": "orders", "product_id": "products"},
    ),
    "reviews": (
        "review_id",
        "reviewed_at",
        {"customer_id": "customers", "product_id": "products"},
    ),
}
TRIALS_SCHEMA = {
    "studies": ("study_id", "started_at", {}),
    "sites": ("site_id", "activated_at", {"study_id": "studies"}),
    "outcomes": ("outcome_id", "reported_at", {"site_id": "sites"}),
}
SCHEMAS = {"ecommerce": ECOMMERCE_SCHEMA, "trials": TRIALS_SCHEMA}
DAY = pd.Timedelta(days=1)
ANCHORS = [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-07-01"), pd.Timestamp("2024-10-01")]


@pytest.fixture(scope="module")
def shop() -> dict[str, pd.DataFrame]:
    return make_ecommerce(scale=1.0, seed=0)


@pytest.fixture(scope="module")
def registry() -> dict[str, pd.DataFrame]:
    return make_trials(scale=1.0, seed=0)


# --- API, determinism, sizes ------------------------------------------------------------


def test_demos_registry() -> None:
    expected = {"ecommerce": make_ecommerce, "trials": make_trials}
    assert expected == DEMOS
    assert set(demo.__all__) == {"DEMOS", "make_ecommerce", "make_trials", "write_duckdb"}


@pytest.mark.parametrize("module", [demo, ecommerce_module, trials_module, writer_module])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["ecommerce", "trials"])
def test_same_seed_same_tables_other_seed_other_tables(name: str) -> None:
    make = DEMOS[name]
    first, again, other = make(scale=0.2, seed=7), make(scale=0.2, seed=7), make(scale=0.2, seed=8)
    assert list(first) == list(SCHEMAS[name])
    for table in first:
        pd.testing.assert_frame_equal(first[table], again[table])
    assert any(
        len(first[t]) != len(other[t]) or not first[t].equals(other[t])
        for t in first
        if t != "products"
    )


def test_ecommerce_sizes_scale_linearly() -> None:
    half, full = make_ecommerce(scale=0.5), make_ecommerce(scale=1.0)
    assert len(half["customers"]) == 2500
    assert len(full["customers"]) == 5000
    assert len(full["products"]) == 500
    assert len(make_ecommerce(scale=4.0, seed=1)["products"]) == 1000  # square root
    for table in ("orders", "order_items", "reviews"):
        assert 1.7 < len(full[table]) / len(half[table]) < 2.3, table
    total = sum(len(frame) for frame in full.values())
    assert 180_000 < total < 300_000


def test_trials_sizes_scale_linearly() -> None:
    half, full = make_trials(scale=0.5), make_trials(scale=1.0)
    assert len(half["studies"]) == 3 + 1000
    assert len(full["studies"]) == 3 + 2000
    for table in ("sites", "outcomes"):
        assert 1.8 < (len(full[table]) - 5) / (len(half[table]) - 5) < 2.2, table
    sites_per_study = full["sites"].groupby("study_id").size()
    assert sites_per_study.between(1, 6).all()
    outcomes_per_site = full["outcomes"].groupby("site_id").size()
    assert outcomes_per_site.between(1, 4).all()


def test_bad_scale_is_refused() -> None:
    with pytest.raises(ValueError, match=r"make_ecommerce\(scale=...\) to be positive \(got 0"):
        make_ecommerce(scale=0)
    with pytest.raises(ValueError, match=r"make_trials\(scale=...\) to be >= 0 \(got -1"):
        make_trials(scale=-1)
    seeds_only = make_trials(scale=0)
    assert [len(seeds_only[t]) for t in TRIALS_SCHEMA] == [3, 5, 5]


# --- integrity --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ecommerce", "trials"])
def test_keys_links_and_timestamps_are_clean(
    name: str, shop: dict[str, pd.DataFrame], registry: dict[str, pd.DataFrame]
) -> None:
    tables = shop if name == "ecommerce" else registry
    for table, (primary_key, time_column, foreign_keys) in SCHEMAS[name].items():
        frame = tables[table]
        assert not frame.isna().any().any(), table
        assert frame[primary_key].is_unique, table
        for foreign_key, parent in foreign_keys.items():
            parent_key = SCHEMAS[name][parent][0]
            assert frame[foreign_key].isin(tables[parent][parent_key]).all(), (table, foreign_key)
        if time_column is not None:
            assert frame[time_column].dtype.kind == "M", table
        # No time column other than the table's own.
        datetime_columns = [c for c in frame.columns if frame[c].dtype.kind == "M"]
        assert datetime_columns == ([time_column] if time_column else []), table


def test_ecommerce_times_are_consistent(shop: dict[str, pd.DataFrame]) -> None:
    customers, orders, items, reviews = (
        shop[t] for t in ("customers", "orders", "order_items", "reviews")
    )
    item_orders = items.merge(orders, on="order_id", suffixes=("", "_order"))
    assert (item_orders["ordered_at"] == item_orders["ordered_at_order"]).all()
    amounts = (items["quantity"] * items["unit_price"]).groupby(items["order_id"]).sum()
    np.testing.assert_allclose(orders.set_index("order_id")["amount"], amounts, atol=0.01)
    signup = orders["customer_id"].map(customers.set_index("customer_id")["signup_at"])
    assert (orders["ordered_at"] >= signup).all()
    assert orders["ordered_at"].is_monotonic_increasing
    assert customers["signup_at"].is_monotonic_increasing
    for frame, column in [
        (customers, "signup_at"),
        (orders, "ordered_at"),
        (items, "ordered_at"),
        (reviews, "reviewed_at"),
    ]:
        assert frame[column].min() >= pd.Timestamp("2023-01-01")
        assert frame[column].max() < pd.Timestamp("2025-01-01")
    span = orders["ordered_at"].max() - orders["ordered_at"].min()
    assert span > 720 * DAY
    assert set(reviews["rating"]) == {1, 2, 3, 4, 5}
    assert set(orders["status"]) == {"paid", "refunded"}


def test_review_text_follows_rating(shop: dict[str, pd.DataFrame]) -> None:
    reviews = shop["reviews"]
    negative = reviews["text"].str.contains("broke|damaged|not as described|stopped|cheap")
    positive = reviews["text"].str.contains("great|quickly|exactly|perfectly")
    assert negative[reviews["rating"] <= 2].all()
    assert not negative[reviews["rating"] >= 3].any()
    assert positive[reviews["rating"] >= 4].all()


# --- planted signal in the shop ---------------------------------------------------------


def _orders_in(
    shop: dict[str, pd.DataFrame], anchor: pd.Timestamp, start: int, end: int
) -> pd.Series:
    """Orders per customer in ``(anchor + start days, anchor + end days]``, zeros included."""
    orders = shop["orders"]
    inside = (orders["ordered_at"] > anchor + start * DAY) & (
        orders["ordered_at"] <= anchor + end * DAY
    )
    counts = orders.loc[inside].groupby("customer_id").size()
    return counts.reindex(shop["customers"]["customer_id"], fill_value=0)


def _items_in(shop: dict[str, pd.DataFrame], anchor: pd.Timestamp, days: int) -> pd.DataFrame:
    """Items bought in the ``days`` before ``anchor``, with their buyer."""
    items = shop["order_items"]
    inside = (items["ordered_at"] > anchor - days * DAY) & (items["ordered_at"] <= anchor)
    return items.loc[inside].merge(shop["orders"][["order_id", "customer_id"]], on="order_id")


def _churn_vs_reference(
    group: pd.Series, reference: pd.Series, stratum: pd.Series, churned: pd.Series
) -> tuple[float, float, int]:
    """Churn rate of ``group`` and that of ``reference`` customers in the same strata.

    The second number weights the reference's churn rate per stratum by the
    group's customers, so that activity (more orders, more items) cannot
    explain the difference.
    """
    frame = pd.DataFrame({"stratum": stratum, "churned": churned.astype(float)})
    reference_rate = frame.loc[reference].groupby("stratum")["churned"].mean()
    in_group = frame.loc[group]
    expected = in_group["stratum"].map(reference_rate)
    assert expected.notna().all()
    return in_group["churned"].mean(), expected.mean(), len(in_group)


def _pooled(stats: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    n = sum(s[2] for s in stats)
    return sum(s[0] * s[2] for s in stats) / n, sum(s[1] * s[2] for s in stats) / n, n


def sequence_signal(shop: dict[str, pd.DataFrame]) -> tuple[float, float, int]:
    """P(an order in the next 30 days) of customers whose last 60 days were quieter than
    the 60 before, against same-total customers whose last 60 days were busier."""
    stats = []
    for anchor in ANCHORS:
        before = _orders_in(shop, anchor, -120, -60)
        recent = _orders_in(shop, anchor, -60, 0)
        ordering = _orders_in(shop, anchor, 0, 30) > 0
        total = before + recent
        considered = total.between(2, 8)
        dropped, rose = considered & (recent < before), considered & (recent > before)
        rate_dropped, rate_if_rose, n = _churn_vs_reference(dropped, rose, total, ~ordering)
        stats.append((1 - rate_dropped, 1 - rate_if_rose, n))
    return _pooled(stats)


def product_signal(shop: dict[str, pd.DataFrame]) -> tuple[float, float, int]:
    """Churn of recent buyers of products rated poorly by others, against buyers of
    none with as many recent orders; customers with a negative review excluded."""
    stats = []
    for anchor in ANCHORS:
        reviews = shop["reviews"].loc[lambda r, a=anchor: r["reviewed_at"] <= a]
        ratings = reviews.groupby("product_id")["rating"].agg(["mean", "size"])
        poorly_rated = ratings.index[(ratings["size"] >= 5) & (ratings["mean"] <= 2.2)]
        items = _items_in(shop, anchor, 60)
        share = (
            items["product_id"]
            .isin(poorly_rated)
            .groupby(items["customer_id"])
            .mean()
            .reindex(shop["customers"]["customer_id"], fill_value=0.0)
        )
        recent = _orders_in(shop, anchor, -60, 0)
        negative_reviewers = reviews.loc[reviews["rating"] <= 2, "customer_id"].unique()
        eligible = (recent > 0) & ~recent.index.isin(negative_reviewers)
        churned = _orders_in(shop, anchor, 0, 30) == 0
        stats.append(
            _churn_vs_reference(
                eligible & (share >= 0.25), eligible & (share == 0), recent.clip(upper=6), churned
            )
        )
    return _pooled(stats)


def propagation_signal(shop: dict[str, pd.DataFrame]) -> tuple[float, float, int]:
    """Churn of customers who recently bought a product whose buyers churned most at
    earlier anchors, against other customers with as many recent orders."""
    earlier = pd.date_range("2023-10-01", "2024-03-01", freq="MS")
    events = []
    for anchor in earlier:
        buyers = _items_in(shop, anchor, 60)[["customer_id", "product_id"]].drop_duplicates()
        buyers["churned"] = buyers["customer_id"].map(_orders_in(shop, anchor, 0, 30) == 0)
        events.append(buyers)
    per_product = pd.concat(events).groupby("product_id")["churned"].agg(["mean", "size"])
    per_product = per_product[per_product["size"] >= 20]
    churny = per_product.index[per_product["mean"] >= per_product["mean"].quantile(0.9)]
    stats = []
    for anchor in (pd.Timestamp("2024-07-01"), pd.Timestamp("2024-10-01")):
        recent_items = _items_in(shop, anchor, 60)
        bought_churny = recent_items.loc[recent_items["product_id"].isin(churny), "customer_id"]
        recent = _orders_in(shop, anchor, -60, 0)
        group = (recent > 0) & recent.index.isin(bought_churny.unique())
        churned = _orders_in(shop, anchor, 0, 30) == 0
        stats.append(
            _churn_vs_reference(group, (recent > 0) & ~group, recent.clip(upper=6), churned)
        )
    return _pooled(stats)


def review_signal(shop: dict[str, pd.DataFrame]) -> tuple[float, float, int]:
    """Churn of customers with a review rated 1-2 in the last 60 days, against customers
    whose reviews there were all rated 3-5 with as many recent orders."""
    stats = []
    for anchor in ANCHORS:
        reviews = shop["reviews"]
        recent_reviews = reviews[
            (reviews["reviewed_at"] > anchor - 60 * DAY) & (reviews["reviewed_at"] <= anchor)
        ]
        negative = recent_reviews.loc[recent_reviews["rating"] <= 2, "customer_id"].unique()
        reviewers = recent_reviews["customer_id"].unique()
        recent = _orders_in(shop, anchor, -60, 0)
        active = recent > 0
        churned = _orders_in(shop, anchor, 0, 30) == 0
        group = active & recent.index.isin(negative)
        reference = active & recent.index.isin(reviewers) & ~group
        stats.append(_churn_vs_reference(group, reference, recent.clip(upper=6), churned))
    return _pooled(stats)


def test_signal_recent_frequency_as_a_sequence(shop: dict[str, pd.DataFrame]) -> None:
    rate_dropped, rate_rose, n = sequence_signal(shop)
    assert n > 1000
    assert rate_dropped + 0.15 < rate_rose, (rate_dropped, rate_rose)


def test_signal_multi_hop_product_quality(shop: dict[str, pd.DataFrame]) -> None:
    churn_bad, churn_reference, n = product_signal(shop)
    assert n > 250
    assert churn_bad > churn_reference + 0.07, (churn_bad, churn_reference)


def test_signal_churn_propagates_through_products(shop: dict[str, pd.DataFrame]) -> None:
    churn_group, churn_reference, n = propagation_signal(shop)
    assert n > 250
    assert churn_group > churn_reference + 0.07, (churn_group, churn_reference)


def test_signal_negative_reviews(shop: dict[str, pd.DataFrame]) -> None:
    churn_negative, churn_reference, n = review_signal(shop)
    assert n > 500
    assert churn_negative > churn_reference + 0.12, (churn_negative, churn_reference)


# --- trials -----------------------------------------------------------------------------


def test_trials_seed_rows_are_exact(registry: dict[str, pd.DataFrame]) -> None:
    studies, sites, outcomes = (registry[t] for t in TRIALS_SCHEMA)
    assert studies.head(3).to_dict("list") == {
        "study_id": ["NCT-4401", "NCT-4402", "NCT-4403"],
        "phase": ["Phase 2", "Phase 3", "Phase 1"],
        "condition": ["Type 2 diabetes", "Hypertension", "Breast cancer"],
        "institution": [
            "Northlake University Hospital",
            "Rhine Medical Center",
            "Saint Aurelia Clinic",
        ],
        "country": ["US", "DE", "FR"],
        "enrolled": [180, 420, 24],
        "target": [200, 600, 40],
        "started_at": list(pd.to_datetime(["2021-03-15", "2021-09-01", "2022-06-20"])),
    }
    assert sites.head(5)[["site_id", "study_id"]].values.tolist() == [
        ["SITE-01", "NCT-4401"],
        ["SITE-02", "NCT-4401"],
        ["SITE-03", "NCT-4402"],
        ["SITE-04", "NCT-4402"],
        ["SITE-05", "NCT-4403"],
    ]
    assert outcomes.head(5)[["outcome_id", "site_id", "endpoint", "result"]].values.tolist() == [
        ["OUT-01", "SITE-01", "primary", "Positive"],
        ["OUT-02", "SITE-01", "safety", "Positive"],
        ["OUT-03", "SITE-02", "secondary", "Inconclusive"],
        ["OUT-04", "SITE-03", "primary", "Negative"],
        ["OUT-05", "SITE-04", "secondary", "Positive"],
    ]
    seed_sites = sites[sites["study_id"].isin(["NCT-4401", "NCT-4402", "NCT-4403"])]
    assert len(seed_sites) == 5
    sites_of_4403 = seed_sites.loc[seed_sites["study_id"] == "NCT-4403", "site_id"]
    assert sites_of_4403.tolist() == ["SITE-05"]
    assert not outcomes["site_id"].isin(sites_of_4403).any()
    assert outcomes["site_id"].isin(seed_sites["site_id"]).sum() == 5
    per_study = seed_sites.groupby("study_id")["enrolled"].sum()
    assert per_study.to_dict() == {"NCT-4401": 180, "NCT-4402": 420, "NCT-4403": 24}


def test_trials_ids_continue_the_seed_formats(registry: dict[str, pd.DataFrame]) -> None:
    studies, sites, outcomes = (registry[t] for t in TRIALS_SCHEMA)
    assert studies["study_id"].iloc[3] == "NCT-4404"
    assert sites["site_id"].iloc[5] == "SITE-06"
    assert outcomes["outcome_id"].iloc[5] == "OUT-06"
    numbers = studies["study_id"].str.extract(r"^NCT-(\d+)$")[0].astype(int)
    assert (numbers.diff().iloc[1:] == 1).all()
    assert sites["site_id"].str.fullmatch(r"SITE-\d{2,}").all()
    assert outcomes["outcome_id"].str.fullmatch(r"OUT-\d{2,}").all()
    # Generated rows are numbered in time order; none is later than the snapshot.
    assert studies["started_at"].iloc[3:].is_monotonic_increasing
    assert sites["activated_at"].iloc[5:].is_monotonic_increasing
    assert outcomes["reported_at"].iloc[5:].is_monotonic_increasing
    assert outcomes["reported_at"].max() < pd.Timestamp("2025-07-01")
    assert sites["activated_at"].max() < pd.Timestamp("2025-07-01")
    # Study enrollment is the sum over its sites; sites start no earlier than the study.
    per_study = sites.groupby("study_id")["enrolled"].sum()
    assert (studies.set_index("study_id")["enrolled"] == per_study).all()
    started = sites["study_id"].map(studies.set_index("study_id")["started_at"])
    assert (sites["activated_at"] >= started).all()
    reported_site = outcomes.merge(sites, on="site_id")
    assert (reported_site["reported_at"] > reported_site["activated_at"]).all()


def _outcome_rows(registry: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = registry["outcomes"].merge(registry["sites"], on="site_id")
    rows = rows.merge(registry["studies"], on="study_id", suffixes=("_site", ""))
    rows["positive"] = rows["result"] == "Positive"
    rows["inconclusive"] = rows["result"] == "Inconclusive"
    rows["fill"] = rows["enrolled"] / rows["target"]
    rows["lag_days"] = (rows["activated_at"] - rows["started_at"]).dt.days
    return rows


def test_trials_signal(registry: dict[str, pd.DataFrame]) -> None:
    rows = _outcome_rows(registry)
    by_phase = rows.groupby("phase")["positive"].mean()
    assert by_phase["Phase 3"] > by_phase["Phase 2"] + 0.15, by_phase
    by_condition = rows.groupby("condition")["positive"].mean()
    assert by_condition["Psoriasis"] > by_condition["Alzheimer disease"] + 0.2, by_condition
    full, short = rows["fill"] >= 0.9, rows["fill"] < 0.6
    assert rows.loc[full, "positive"].mean() > rows.loc[short, "positive"].mean() + 0.08
    early, late = rows["lag_days"] <= 30, rows["lag_days"] > 180
    assert rows.loc[early, "positive"].mean() > rows.loc[late, "positive"].mean() + 0.15
    small, large = rows["enrolled_site"] < 15, rows["enrolled_site"] >= 50
    assert rows.loc[small, "inconclusive"].mean() > rows.loc[large, "inconclusive"].mean() + 0.15


def test_trials_signal_from_sibling_sites(registry: dict[str, pd.DataFrame]) -> None:
    rows = _outcome_rows(registry)
    primary = rows.loc[rows["endpoint"] == "primary", ["study_id", "site_id", "result"]]
    pairs = primary.merge(primary, on="study_id", suffixes=("", "_sibling"))
    pairs = pairs[pairs["site_id"] != pairs["site_id_sibling"]]
    positive = (pairs["result"] == "Positive").groupby(pairs["result_sibling"]).mean()
    assert positive["Positive"] > positive["Negative"] + 0.2, positive


# --- DuckDB output ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ecommerce", "trials"])
def test_write_duckdb_round_trip(name: str, tmp_path: Path) -> None:
    tables = DEMOS[name](scale=0.05, seed=1)
    path = write_duckdb(tables, tmp_path / "sub" / f"{name}.duckdb")
    assert path == tmp_path / "sub" / f"{name}.duckdb"
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{name}.duckdb"]
    with duckdb.connect(str(path), read_only=True) as connection:
        listed = connection.sql("SELECT table_name FROM duckdb_tables()").fetchall()
        names = {row[0] for row in listed}
        assert names == set(tables)
        assert connection.sql("SELECT * FROM duckdb_constraints()").fetchall() == []
        assert connection.sql("SELECT * FROM duckdb_indexes()").fetchall() == []
        for table, (_, time_column, _) in SCHEMAS[name].items():
            count = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            assert count == len(tables[table])
            if time_column is not None:
                described = connection.execute(f'DESCRIBE "{table}"').fetchall()
                types = {row[0]: row[1] for row in described}
                assert types[time_column] == "TIMESTAMP"
        key = SCHEMAS[name][next(iter(tables))][0]
        first = next(iter(tables))
        back = connection.execute(f'SELECT * FROM "{first}" ORDER BY "{key}"').df()
    expected = tables[first].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_write_duckdb_stores_any_datetime_unit_as_timestamp(tmp_path: Path) -> None:
    times = pd.Series(pd.to_datetime(["2024-01-01 12:00", "2024-02-01 00:00"]), dtype="M8[ns]")
    frame = pd.DataFrame({"event_id": [1, 2], "at": times, "at_s": times.astype("datetime64[s]")})
    path = write_duckdb({"events": frame}, tmp_path / "events.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        types = {row[0]: row[1] for row in connection.execute("DESCRIBE events").fetchall()}
    assert types == {"event_id": "BIGINT", "at": "TIMESTAMP", "at_s": "TIMESTAMP"}


def test_write_duckdb_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "trials.duckdb"
    write_duckdb(make_trials(scale=0.01), path)
    before = path.read_bytes()
    with pytest.raises(
        SourceError, match=r"Refusing to overwrite .*trials\.duckdb.*overwrite=True"
    ):
        write_duckdb(make_trials(scale=0.02), path)
    assert path.read_bytes() == before
    write_duckdb({"only": pd.DataFrame({"x": [1, 2, 3]})}, path, overwrite=True)
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.sql("SELECT table_name FROM duckdb_tables()").fetchall() == [("only",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trials.duckdb"]


def test_write_duckdb_leaves_no_file_when_writing_fails(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1]})
    # DuckDB's identifiers are case-insensitive: the second table clashes with the first.
    with pytest.raises(SourceError, match=r"Could not write the DuckDB database .*broken\.duckdb"):
        write_duckdb({"orders": frame, "Orders": frame}, tmp_path / "broken.duckdb")
    assert list(tmp_path.iterdir()) == []


def test_write_duckdb_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="it is a folder"):
        write_duckdb({"t": pd.DataFrame({"x": [1]})}, tmp_path)
    with pytest.raises(ValueError, match="at least one table"):
        write_duckdb({}, tmp_path / "empty.duckdb")
    with pytest.raises(TypeError, match=r"tables=...\) to be a dict of DataFrames \(got list\)"):
        write_duckdb([pd.DataFrame()], tmp_path / "x.duckdb")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"table 't' to be a pandas DataFrame \(got dict\)"):
        write_duckdb({"t": {"x": [1]}}, tmp_path / "x.duckdb")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="non-empty strings"):
        write_duckdb({"": pd.DataFrame({"x": [1]})}, tmp_path / "x.duckdb")
    assert not any(re.search(r"\.tmp", p.name) for p in tmp_path.iterdir())
