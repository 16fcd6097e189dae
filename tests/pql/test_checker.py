"""Checking queries against a schema: every semantic error (with its caret),
join paths and VIA, task types, metrics and the default horizon."""

from __future__ import annotations

import pytest

import relgraph as rg
from relgraph.errors import PQLSemanticError
from relgraph.pql import TaskType, check, parse
from relgraph.pql.duration import Duration
from tests.pql.carets import checked, fails

# ---------------------------------------------------------------- names


def test_unknown_table_suggests_close_names(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT COUNT(orderz.*, 0, 30) FOR EACH customers.customer_id",
        "Unknown table 'orderz'",
        "orderz",
    )
    assert "did you mean orders, order_items?" in err.hint
    fails(
        market,
        "PREDICT COUNT(orders.*, 0, 30) FOR EACH customer.customer_id",
        "Unknown table 'customer'.(?s:.*)did you mean customers",
        "customer",
    )
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) FOR EACH customers.customer_id WHERE custmers.age > 3",
        "Unknown table 'custmers'",
        "custmers",
    )


def test_unknown_column_suggests_close_names(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT SUM(orders.amout, 0, 30) FOR EACH customers.customer_id",
        "Unknown column 'amout' in table 'orders'",
        "amout",
    )
    assert "did you mean amount?" in err.hint and "Columns of orders:" in err.hint
    fails(
        market,
        "PREDICT COUNT(orders.*, 0, 30) FOR EACH customers.customerid",
        "Unknown column 'customerid'(?s:.*)did you mean customer_id",
        "customerid",
    )
    fails(
        market,
        "PREDICT COUNT(orders.* VIA orders.buyer, 0, 30) FOR EACH customers.customer_id",
        "Unknown column 'buyer'(?s:.*)did you mean buyer_id",
        "buyer",
    )


def test_entity_column_must_be_the_primary_key(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT COUNT(orders.*, 0, 30) FOR EACH customers.country",
        "customers.country is not the primary key of customers \\(its key is customer_id\\)",
        "country",
    )
    assert "FOR EACH customers.customer_id" in err.hint


# ---------------------------------------------------------------- paths


def test_unreachable_table() -> None:
    import pandas as pd

    db = rg.connect(
        {
            "users": pd.DataFrame({"user_id": [1, 2]}),
            "logs": pd.DataFrame(
                {"log_id": [1], "at": pd.to_datetime(["2024-01-01"]), "level": ["x"]}
            ),
        }
    )
    err = fails(
        db,
        "PREDICT COUNT(logs.*, 0, 30) FOR EACH users.user_id",
        "logs cannot be reached from the entity table users through links",
        "logs",
    )
    assert "db.link(" in err.hint


def test_unreachable_table_names_the_link_rejected_for_dangling_values() -> None:
    import pandas as pd

    users = pd.DataFrame({"user_id": range(10)})
    # half of the logs name a user that does not exist: the link is not made
    logs = pd.DataFrame(
        {
            "log_id": range(20),
            "user_id": [*range(10), *range(100, 110)],
            "at": pd.to_datetime(["2024-01-01"] * 20),
        }
    )
    db = rg.connect({"users": users, "logs": logs})
    err = fails(
        db,
        "PREDICT COUNT(logs.*, 0, 30) FOR EACH users.user_id",
        "logs cannot be reached from the entity table users through links",
        "logs",
    )
    assert err.hint.startswith("links of users: none. Link logs.user_id -> users.user_id was not ")
    assert "10 of 20 values (50.0%) match no key of users (at most 20% may)" in err.hint
    assert "Force it with db.link('logs.user_id', 'users.user_id')" in err.hint
    db.link("logs.user_id", "users.user_id")
    assert checked(db, "PREDICT COUNT(logs.*, 0, 30) FOR EACH users.user_id").task_type


def test_no_detour_around_a_link_that_was_not_made() -> None:
    """Half of the orders name no customer: orders.customer_id is not linked, and
    orders stay reachable only through reviews -> products -> order_items,
    which counts the orders of reviewed products: refused, unless VIA asks."""
    from relgraph.bench.demo import make_ecommerce

    frames = make_ecommerce(scale=0.02, seed=0)
    orders = frames["orders"]
    orders.loc[orders.index[::2], "customer_id"] = -1
    db = rg.connect(frames)
    err = fails(
        db,
        "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id",
        r"orders is reached from customers only through customers -> reviews .* -> orders "
        r"\(order_items.order_id\), because the link orders.customer_id -> "
        r"customers.customer_id was not made; with it the path would be customers -> orders",
        "orders",
    )
    assert "Force it with db.link('orders.customer_id', 'customers.customer_id')" in err.hint
    assert "name it with VIA reviews.customer_id" in err.hint
    checked(
        db,
        "PREDICT COUNT(orders.* VIA reviews.customer_id, 0, 30) > 0 FOR EACH customers.customer_id",
    )


def test_ambiguous_path_lists_paths_and_the_via_for_each(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id",
        "orders is linked to customers in 2 ways of 1 hop; pick one with VIA",
        "orders",
    )
    text = str(err)
    assert "customers -> orders (orders.buyer_id)" in text
    assert "pick it with: COUNT(orders.* VIA orders.buyer_id, 0, 30, days)" in text
    assert "customers -> orders (orders.seller_id)" in text
    assert "pick it with: COUNT(orders.* VIA orders.seller_id, 0, 30, days)" in text


def test_ambiguous_two_hop_path(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT SUM(order_items.quantity, 0, 30) FOR EACH customers.customer_id",
        "order_items is linked to customers in 2 ways of 2 hops",
        "order_items",
    )
    assert "VIA orders.buyer_id" in str(err) and "VIA orders.seller_id" in str(err)


def test_via_picks_a_path(market: rg.Database) -> None:
    c = checked(
        market, "PREDICT COUNT(orders.* VIA orders.seller_id, 0, 30) FOR EACH customers.customer_id"
    )
    (resolved,) = c.aggregations.values()
    assert str(resolved.path) == "customers -> orders (orders.seller_id)"
    c = checked(
        market,
        "PREDICT COUNT(order_items.* VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id",
    )
    (resolved,) = c.aggregations.values()
    assert resolved.path.tables == ["customers", "orders", "order_items"]
    assert resolved.event_table == "order_items"


def test_via_must_be_a_foreign_key_on_a_path(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT COUNT(orders.* VIA orders.amount, 0, 30) FOR EACH customers.customer_id",
        "orders.amount is not a foreign key, so VIA cannot follow it",
        "orders.amount",
    )
    import pandas as pd

    db = rg.connect(
        {
            "users": pd.DataFrame({"user_id": [1, 2]}),
            "events": pd.DataFrame(
                {"event_id": [1], "user_id": [1], "at": pd.to_datetime(["2024-01-01"])}
            ),
            "tags": pd.DataFrame({"tag_id": [1, 2]}),
            "labels": pd.DataFrame(
                {"label_id": [1], "tag_id": [2], "at": pd.to_datetime(["2024-01-01"])}
            ),
        }
    )
    err = fails(
        db,
        "PREDICT COUNT(events.* VIA labels.tag_id, 0, 30) FOR EACH users.user_id",
        "No path from users to events uses labels.tag_id",
        "labels.tag_id",
    )
    assert "paths from users to events: users -> events (events.user_id)" in err.hint


def test_shortest_path_wins(shop: rg.Database) -> None:
    c = checked(shop, "PREDICT COUNT(order_items.*, 0, 30) FOR EACH customers.customer_id")
    (resolved,) = c.aggregations.values()
    assert resolved.path.tables == ["customers", "orders", "order_items"]
    c = checked(
        shop,
        "PREDICT COUNT(products.* VIA order_items.product_id, 0, 30) "
        "FOR EACH customers.customer_id",
    )
    (resolved,) = c.aggregations.values()
    assert resolved.path.tables == ["customers", "orders", "order_items", "products"]
    assert resolved.event_table == "order_items"  # products is static


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("text", "match", "token"),
    [
        (
            "PREDICT SUM(orders.amount, -30, 0) FOR EACH customers.customer_id",
            "The target looks forward from the anchor time",
            "-30",
        ),
        (
            "PREDICT SUM(orders.amount, -INF, 0) FOR EACH customers.customer_id",
            "The target looks forward",
            "-INF",
        ),
        (
            "PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id "
            "WHERE COUNT(orders.*, -30, 10) > 1",
            "WHERE looks back from the anchor time \\(end <= 0\\), but \\(-30, 10, days\\) ends "
            "10 days after it",
            "10",
        ),
        (
            "PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id "
            "ASSUMING COUNT(orders.*, -5, 0) > 1",
            "ASSUMING looks forward",
            "-5",
        ),
        (
            "PREDICT SUM(orders.amount, 30, 30) FOR EACH customers.customer_id",
            "The window \\(30, 30, days\\) is empty",
            "30, 30",
        ),
    ],
)
def test_windows_the_wrong_way(shop: rg.Database, text: str, match: str, token: str) -> None:
    fails(shop, text, match, token)


@pytest.mark.parametrize(
    ("window", "token", "match"),
    [
        ("-99999999999999, 0, days", "-99999999999999", "365,250 days"),
        ("-365251, 0, days", "-365251", "365,250 days"),
        ("-12001, 0, months", "-12001", "12,000 months"),
        ("-8766001, 0, hours", "-8766001", "8,766,000 hours"),
        ("-31557600001, 0, seconds", "-31557600001", "31,557,600,000 seconds"),
    ],
)
def test_window_bounds_beyond_a_thousand_years_are_refused(
    shop: rg.Database, window: str, token: str, match: str
) -> None:
    err = fails(
        shop,
        "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id "
        f"WHERE COUNT(orders.*, {window}) > 0",
        f"The window bound {token} .* is too far from the anchor time: a bound may be at "
        f"most 1,000 years \\({match}\\)",
        token,
    )
    assert "-INF" in err.hint


def test_window_bounds_up_to_a_thousand_years_are_accepted(shop: rg.Database) -> None:
    checked(
        shop,
        "PREDICT COUNT(orders.*, 0, 12000, months) > 0 FOR EACH customers.customer_id "
        "WHERE COUNT(orders.*, -365250, 0, days) > 0 AND COUNT(orders.*, -52178, 0, weeks) > 0",
    )
    fails(
        shop,
        "PREDICT COUNT(orders.*, 0, 99999999999999) > 0 FOR EACH customers.customer_id",
        "The window bound 99999999999999 days is too far",
        "99999999999999",
    )


def test_window_over_static_rows_needs_minus_inf() -> None:
    import pandas as pd

    db = rg.connect(
        {
            "teams": pd.DataFrame({"team_id": [1, 2], "name": ["a", "b"]}),
            "players": pd.DataFrame({"player_id": [1, 2, 3], "team_id": [1, 1, 2]}),
        }
    )
    fails(
        db,
        "PREDICT COUNT(players.*, 0, 30) FOR EACH teams.team_id",
        "No table on the path teams -> players \\(players.team_id\\) has a time column",
        "0, 30",
    )
    c = checked(
        db, "PREDICT teams.name = 'a' FOR EACH teams.team_id WHERE COUNT(players.*, -INF, 0) > 1"
    )
    assert next(iter(c.aggregations.values())).event_table is None


def test_over_deep_queries_built_in_python_are_refused(shop: rg.Database) -> None:
    from relgraph.pql import ast

    parsed = parse("PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id")
    leaf = parse("PREDICT customers.customer_id = 1 FOR EACH customers.customer_id").target
    deep = leaf
    for _ in range(3000):  # built without the parser, which checks depth itself
        deep = ast.Not(deep)
    query = ast.Query(target=parsed.target, entity=parsed.entity, where=deep)
    with pytest.raises(PQLSemanticError, match="nests deeper than 100 levels"):
        check(query, shop.schema, shop.con)


# ---------------------------------------------------------------- aggregations and types


def test_sum_and_avg_need_numbers(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT SUM(orders.channel VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id",
        "SUM needs a numeric column; orders.channel is VARCHAR",
        "channel",
    )
    fails(
        market,
        "PREDICT AVG(reviews.text, 0, 30) FOR EACH customers.customer_id",
        "AVG needs a numeric column; reviews.text is VARCHAR",
        "text",
    )


def test_star_only_with_count(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT SUM(reviews.*, 0, 30) FOR EACH customers.customer_id",
        "SUM needs a column, not reviews.\\*",
        "*",
    )


def test_list_distinct_needs_a_foreign_key(market: rg.Database) -> None:
    err = fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.rating, 0, 30) RANK TOP 3 FOR EACH customers.customer_id",
        "LIST_DISTINCT lists foreign keys .* but reviews.rating is not a foreign key",
        "rating",
    )
    assert "customer_id, product_id" in err.hint


def test_rank_top_and_list_distinct_go_together(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) RANK TOP 3 FOR EACH customers.customer_id",
        "RANK TOP k ranks the keys of a LIST_DISTINCT target",
        "3",
    )
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) > 1 RANK TOP 3 FOR EACH customers.customer_id",
        "RANK TOP k ranks the keys of a LIST_DISTINCT target",
        "3",
    )
    fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) FOR EACH customers.customer_id",
        "A LIST_DISTINCT target ranks keys: it needs RANK TOP k",
        "LIST_DISTINCT(reviews.product_id, 0, 30)",
    )
    fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) RANK TOP 2 CLASSIFY "
        "FOR EACH customers.customer_id",
        "CLASSIFY does not apply to LIST_DISTINCT",
        "CLASSIFY",
    )


@pytest.mark.parametrize("k", ["0", "4", "2.5"])
def test_k_out_of_range(market: rg.Database, k: str) -> None:
    fails(
        market,
        f"PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) RANK TOP {k} "
        "FOR EACH customers.customer_id",
        f"k out of range: RANK TOP {k} over products, which has 3 rows",
        k,
    )


@pytest.mark.parametrize(
    ("condition", "match", "token"),
    [
        (
            "customers.age > 'old'",
            "Type mismatch: customers.age is numeric \\(BIGINT\\) but 'old' is a string",
            "'old'",
        ),
        (
            "customers.country = 3",
            "Type mismatch: customers.country is string .* but 3 is a number",
            "3",
        ),
        ("customers.country IN ('DE', 4)", "but 4 is a number", "4"),
        ("customers.vip = 'yes'", "customers.vip is boolean .* but 'yes' is a string", "'yes'"),
        ("customers.vip > TRUE", "> does not order booleans", ">"),
        (
            "customers.age LIKE '3%'",
            "LIKE matches text, but customers.age is numeric",
            "customers.age",
        ),
        ("customers.age CONTAINS '3'", "CONTAINS matches text", "customers.age"),
        ("customers.signup_at > 'soon'", "'soon' is not a date or time", "'soon'"),
        ("customers.signup_at > 3", "customers.signup_at is temporal .* but 3 is a number", "3"),
        (
            "COUNT(reviews.*, -30, 0) = 'many'",
            "Type mismatch: COUNT\\(reviews.\\*\\) is numeric but 'many' is a string",
            "'many'",
        ),
    ],
)
def test_type_mismatch(market: rg.Database, condition: str, match: str, token: str) -> None:
    fails(
        market,
        f"PREDICT COUNT(reviews.*, 0, 30) FOR EACH customers.customer_id WHERE {condition}",
        match,
        token,
    )


def test_dates_compare_with_date_strings(market: rg.Database) -> None:
    checked(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) FOR EACH customers.customer_id "
        "WHERE customers.signup_at >= '2024-01-02 10:00'",
    )


def test_entity_ids_are_typed_and_must_exist(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) FOR customers.customer_id = 'x'",
        "Type mismatch: customers.customer_id is numeric",
        "'x'",
    )
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) FOR customers.customer_id IN (1, 99)",
        "No row of customers has customer_id = 99",
        "99",
    )
    checked(market, "PREDICT COUNT(reviews.*, 0, 30) FOR customers.customer_id IN (1, 2)")


def test_filters_inside_aggregations(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT COUNT(reviews.* WHERE COUNT(orders.*, -1, 0) > 1, 0, 30) "
        "FOR EACH customers.customer_id",
        "An aggregation cannot stand inside another aggregation's WHERE",
        "COUNT(orders.*, -1, 0)",
    )
    fails(
        market,
        "PREDICT COUNT(reviews.* WHERE orders.channel = 'web', 0, 30) "
        "FOR EACH customers.customer_id",
        "conditions are on the aggregated rows: columns of reviews, or of a table each row "
        "references; orders is not a parent of reviews",
        "orders.channel",
    )
    # a table each aggregated row references (a parent), off the path, is read through it
    c = checked(
        market,
        "PREDICT COUNT(reviews.* WHERE products.price > 3 AND customers.age > 3, 0, 30) "
        "FOR EACH customers.customer_id",
    )
    (resolved,) = c.aggregations.values()
    assert {t: str(p) for t, p in resolved.filter_parents} == {
        "products": "reviews -> products (reviews.product_id)",
        "customers": "reviews -> customers (reviews.customer_id)",
    }
    fails(
        market,
        "PREDICT COUNT(order_items.* WHERE customers.age > 3, 0, 30) FOR EACH products.product_id",
        "customers is linked to order_items in 2 ways",
        "customers.age",
    )
    c = checked(
        market,
        "PREDICT COUNT(order_items.* VIA orders.buyer_id WHERE orders.channel = 'web', 0, 30) "
        "FOR EACH customers.customer_id",
    )
    assert len(c.aggregations) == 1  # columns of every table on the path are allowed


def test_columns_outside_aggregations_need_one_row_per_entity(market: rg.Database) -> None:
    # (in WHERE it means "any of the entity's rows so far": tests/pql/test_shorthand.py)
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) FOR EACH customers.customer_id "
        "ASSUMING reviews.rating > 3",
        "reviews.rating is a column of reviews, which has many rows per customers row",
        "reviews.rating",
    )
    c = checked(
        market,
        "PREDICT COUNT(order_items.*, 0, 30) FOR EACH order_items.item_id "
        "WHERE orders.channel = 'web' AND products.price > 3",
    )
    paths = {str(ref): str(r.path) for ref, r in c.columns.items()}
    assert paths["orders.channel"] == "order_items -> orders (order_items.order_id)"
    # a parent reached in two ways: pick one with VIA in an aggregation of its one row
    err = fails(
        market,
        "PREDICT COUNT(order_items.*, 0, 30) FOR EACH orders.order_id WHERE customers.age > 3",
        "customers is linked to orders in 2 ways of 1 hop; pick one with VIA in an aggregation",
        "customers.age",
    )
    assert "pick it with: MAX(customers.age VIA orders.buyer_id, -INF, 0, days)" in str(err)


@pytest.mark.parametrize(
    "entity", ["FOR EACH customers.customer_id", "FOR customers.customer_id = 1"]
)
def test_the_entity_key_is_no_target(market: rg.Database, entity: str) -> None:
    err = fails(
        market,
        f"PREDICT customers.customer_id {entity}",
        "customers.customer_id is the key of customers: it identifies the row and cannot be "
        "predicted",
        "customers.customer_id",
    )
    assert "predict another column" in err.hint
    # another table's key read through a link is a value of the entity's row
    checked(market, "PREDICT customers.customer_id FOR EACH reviews.review_id")


def test_first_and_last_need_a_time_column(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT FIRST(products.category VIA order_items.product_id, 0, 30) "
        "FOR EACH orders.order_id",
        "FIRST orders rows by time, but products has no time column",
        "FIRST",
    )


def test_classify_and_condition_targets(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT COUNT(reviews.*, 0, 30) > 0 CLASSIFY FOR EACH customers.customer_id",
        "A condition is already a yes/no target; CLASSIFY does not apply",
        "CLASSIFY",
    )


def test_dates_and_lists_are_no_targets(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT MAX(reviews.reviewed_at, 0, 30) FOR EACH customers.customer_id",
        "A date or time is not a target PQL can learn",
        "MAX(reviews.reviewed_at, 0, 30)",
    )
    fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) = 1 FOR EACH customers.customer_id",
        "LIST_DISTINCT gives a list of keys; it cannot be compared",
        "LIST_DISTINCT(reviews.product_id, 0, 30)",
    )


def test_static_targets(trials: rg.Database, shop: rg.Database) -> None:
    c = checked(trials, "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id")
    assert c.is_static and c.static_path.tables == ["studies", "sites", "outcomes"]
    assert c.task_type is TaskType.binary_classification and c.horizon is None
    c = checked(
        trials,
        "PREDICT outcomes.result = 'Positive' AND sites.country = 'US' FOR EACH studies.study_id",
    )
    assert c.static_path.end == "outcomes"
    fails(
        trials,
        "PREDICT outcomes.result FOR EACH studies.study_id",
        "outcomes.result has many values per studies row",
        "outcomes.result",
    )
    fails(
        shop,
        "PREDICT reviews.rating > 3 OR orders.amount > 1 FOR EACH customers.customer_id",
        "A target without a window reads one chain of linked rows, but orders",
        "orders.amount",
    )


# ---------------------------------------------------------------- task types and horizon


@pytest.mark.parametrize(
    ("text", "task_type", "metrics"),
    [
        (
            "PREDICT COUNT(orders.*, 0, 30) = 0 FOR EACH customers.customer_id",
            TaskType.binary_classification,
            ["auroc", "ap", "accuracy", "f1"],
        ),
        (
            "PREDICT customers.segment = 'premium' FOR EACH customers.customer_id",
            TaskType.binary_classification,
            ["auroc", "ap", "accuracy", "f1"],
        ),
        (
            "PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id",
            TaskType.regression,
            ["mae", "rmse", "r2"],
        ),
        (
            "PREDICT COUNT(orders.*, 0, 30) FOR EACH customers.customer_id",
            TaskType.regression,
            ["mae", "rmse", "r2"],
        ),
        (
            "PREDICT MAX(orders.amount, 0, 30) FOR EACH customers.customer_id",
            TaskType.regression,
            ["mae", "rmse", "r2"],
        ),
        ("PREDICT customers.age FOR EACH customers.customer_id", TaskType.regression, None),
        (
            "PREDICT FIRST(orders.channel, 0, 30) FOR EACH customers.customer_id",
            TaskType.multiclass_classification,
            ["accuracy", "macro_f1", "mrr"],
        ),
        (
            "PREDICT customers.segment FOR EACH customers.customer_id",
            TaskType.multiclass_classification,
            None,
        ),
        (
            "PREDICT COUNT(orders.*, 0, 30) CLASSIFY FOR EACH customers.customer_id",
            TaskType.multiclass_classification,
            None,
        ),
        (
            "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 12 "
            "FOR EACH customers.customer_id",
            TaskType.link_prediction,
            ["map@12", "precision@12", "recall@12"],
        ),
    ],
)
def test_task_types_and_metrics(shop: rg.Database, text: str, task_type, metrics) -> None:
    c = checked(shop, text)
    assert c.task_type is task_type
    if metrics is not None:
        assert c.metrics == metrics


def test_boolean_column_is_binary(market: rg.Database) -> None:
    c = checked(market, "PREDICT customers.vip FOR EACH customers.customer_id")
    assert c.task_type is TaskType.binary_classification


def test_default_horizon_is_the_farthest_window_end(shop: rg.Database) -> None:
    c = checked(shop, "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id")
    assert c.horizon == Duration(30)
    c = checked(
        shop,
        "PREDICT COUNT(orders.*, 7, 14) > 0 FOR EACH customers.customer_id "
        "ASSUMING COUNT(reviews.*, 0, 1, months) > 0",
    )
    assert str(c.horizon) == "1 month"
    c = checked(
        shop,
        "PREDICT COUNT(orders.*, 0, 36, hours) > 0 FOR EACH customers.customer_id "
        "WHERE COUNT(orders.*, -INF, 0) > 0",
    )
    assert str(c.horizon) == "36 hours"


def test_describe(shop: rg.Database) -> None:
    info = checked(
        shop,
        "PREDICT COUNT(order_items.*, 0, 30) > 0 FOR EACH customers.customer_id "
        "WHERE COUNT(orders.*, -INF, 0) > 2",
    ).describe()
    assert info["task_type"] == "binary_classification" and info["horizon"] == "30 days"
    windows = {a["aggregation"]: a for a in info["aggregations"]}
    items = windows["COUNT(order_items.*, 0, 30, days)"]
    assert items["window"] == "(t, t + 30 days]" and items["time"] == "order_items.ordered_at"
    assert (
        items["path"]
        == "customers -> orders (orders.customer_id) -> order_items (order_items.order_id)"
    )
    assert windows["COUNT(orders.*, -INF, 0, days)"]["window"] == "(-INF, t]"
    assert "created by the anchor time" in info["entity"]


def test_a_key_with_nulls_says_so_in_the_hint() -> None:
    import pandas as pd

    import relgraph as rg

    ids = pd.array([1, 2, None, 4], dtype="Int64")
    customers = pd.DataFrame({"customer_id": ids, "age": [30, 40, 50, 60]})
    db = rg.connect({"customers": customers})
    with pytest.raises(PQLSemanticError, match=r"customer_id has 1 NULL value"):
        check(parse("PREDICT customers.age FOR EACH customers.customer_id"), db.schema, db.con)


def test_a_target_without_a_window_cannot_be_a_time() -> None:
    """Such a target is hidden from the models; a column that places rows in
    time cannot be hidden without turning rows static, or giving it away."""
    import pandas as pd

    stores = pd.DataFrame(
        {"store_id": [1, 2], "opened_at": pd.to_datetime(["2020-01-01", "2021-01-01"])}
    )
    tickets = pd.DataFrame({"ticket_id": range(20), "store_id": [1, 2] * 10, "prio": [0, 1] * 10})
    db = rg.connect({"stores": stores, "tickets": tickets})
    assert db.schema.tables["tickets"].time_origin == "stores.opened_at"
    for query, match in [
        (
            "PREDICT stores.opened_at > '2020-06-01' FOR EACH stores.store_id",
            r"stores.opened_at is the time of stores's rows",
        ),
        (
            "PREDICT tickets.store_id = 1 FOR EACH tickets.ticket_id",
            r"tickets takes the time of its rows through tickets.store_id -> stores.store_id",
        ),
    ]:
        with pytest.raises(PQLSemanticError, match=match):
            check(parse(query), db.schema, db.con)
    check(parse("PREDICT tickets.prio FOR EACH tickets.ticket_id"), db.schema, db.con)


def test_a_condition_on_the_entity_key_is_no_target(shop: rg.Database) -> None:
    """Every entity knows its own key: ``customer_id > 50`` has nothing to learn
    (predict found every label known and refused only then)."""
    with pytest.raises(PQLSemanticError, match="is the key of customers"):
        check(
            parse("PREDICT customers.customer_id > 50 FOR EACH customers.customer_id"),
            shop.schema,
            shop.con,
        )
