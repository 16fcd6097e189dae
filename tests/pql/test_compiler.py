"""The compiled SQL: hand-checked labels on the marketplace database (window
boundaries, NULL times, empty windows, WHERE, ASSUMING, explicit ids, FIRST/LAST
ties, units, lists, static targets), literals as data (the injection test), and
the same SQL in PostgreSQL and Spark SQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlglot

import relgraph as rg
from relgraph.pql.compiler import ident

T0 = pd.Timestamp("2024-01-01")
T1 = pd.Timestamp("2024-02-01")


def rows(db: rg.Database, text: str, anchors: list, **kwargs) -> list[tuple]:
    task = rg.Task.from_query(db, text, val_time="2024-02-01", test_time="2024-02-10")
    table = task.table_at(anchors, **kwargs)
    out = []
    for key, anchor, label in table.itertuples(index=False):
        out.append((key, str(pd.Timestamp(anchor).date()), label))
    return out


# ---------------------------------------------------------------- windows and existence


def test_window_is_open_at_start_and_closed_at_end(market: rg.Database) -> None:
    # buyer 1: orders at 01-10 and 01-31 (the end of (01-01, 01-31]) -> 2 at T0;
    # at T1: 103 (02-15); buyer 2's order at exactly 02-01 is out, 105 has no time;
    # customer 3 signed up at exactly T1 (exists); customer 4 has no signup time (never).
    q = "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id"
    assert rows(market, q, [T0, T1]) == [
        (1, "2024-01-01", 2.0),
        (1, "2024-02-01", 1.0),
        (2, "2024-02-01", 0.0),
        (3, "2024-02-01", 1.0),
    ]


def test_empty_windows(market: rg.Database) -> None:
    # AVG of a window without values is NULL: the example is dropped (customer 1's only
    # order at T1 has no amount; customer 2 has none); SUM of the same is 0.
    q = "PREDICT AVG(orders.amount VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id"
    assert rows(market, q, [T0, T1]) == [(1, "2024-01-01", 15.0), (3, "2024-02-01", 7.5)]
    q = q.replace("AVG", "SUM")
    assert rows(market, q, [T1]) == [
        (1, "2024-02-01", 0.0),
        (2, "2024-02-01", 0.0),
        (3, "2024-02-01", 7.5),
    ]
    # a condition on a NULL aggregation is NULL: dropped, not labelled 0
    q = "PREDICT MIN(orders.amount VIA orders.buyer_id, 0, 30) <= 8 FOR EACH customers.customer_id"
    assert rows(market, q, [T1]) == [(3, "2024-02-01", 1)]
    q = q.replace("<= 8", "IS NULL")
    assert rows(market, q, [T1]) == [
        (1, "2024-02-01", 1),
        (2, "2024-02-01", 1),
        (3, "2024-02-01", 0),
    ]


def test_units(market: rg.Database) -> None:
    q = "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 12, hours) FOR EACH customers.customer_id"
    at = pd.Timestamp("2024-02-15")
    assert (1, "2024-02-15", 1.0) in rows(market, q, [at])  # 12:00 is the window's end
    q = "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 1, months) FOR EACH customers.customer_id"
    # (01-31, 02-29]: calendar months; 101 (01-31) is on the open start, 102 (02-01) in
    assert rows(market, q, [pd.Timestamp("2024-01-31")]) == [
        (1, "2024-01-31", 1.0),
        (2, "2024-01-31", 1.0),
    ]
    q = "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 1, weeks) FOR EACH customers.customer_id"
    # (01-03, 01-10]: order 100 at 01-10 is on the end; customer 2 signs up on 01-05
    assert rows(market, q, [pd.Timestamp("2024-01-03")]) == [(1, "2024-01-03", 1.0)]


# ---------------------------------------------------------------- WHERE, ASSUMING, ids


def test_where_filters_entities_at_each_anchor(market: rg.Database) -> None:
    q = (
        "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id "
        "WHERE COUNT(reviews.*, -INF, 0) > 0"
    )
    # customer 2's review (02-02) is not visible at T1, and is at 02-02
    assert rows(market, q, [T1, pd.Timestamp("2024-02-02")]) == [
        (1, "2024-02-01", 1.0),
        (1, "2024-02-02", 1.0),
        (2, "2024-02-02", 0.0),
    ]
    q = (
        "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id "
        "WHERE customers.country = 'US' OR customers.country IS NULL"
    )
    assert rows(market, q, [T1]) == [(2, "2024-02-01", 0.0), (3, "2024-02-01", 1.0)]


def test_explicit_ids_skip_where_but_not_existence(market: rg.Database) -> None:
    q = (
        "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR customers.customer_id IN (2, 4) "
        "WHERE COUNT(reviews.*, -INF, 0) > 0"
    )
    assert rows(market, q, [T1]) == [(2, "2024-02-01", 0.0)]  # 4 has no signup time
    q = "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR customers.customer_id = 3"
    assert rows(market, q, [T0, T1]) == [(3, "2024-02-01", 1.0)]


def test_assuming_keeps_examples_where_it_holds_in_the_future(market: rg.Database) -> None:
    q = (
        "PREDICT COUNT(orders.* VIA orders.buyer_id WHERE orders.channel = 'web', 0, 30) > 0 "
        "FOR EACH customers.customer_id ASSUMING COUNT(orders.* VIA orders.buyer_id, 0, 30) > 0"
    )
    assert rows(market, q, [T0, T1]) == [
        (1, "2024-01-01", 1),
        (1, "2024-02-01", 1),
        (3, "2024-02-01", 0),
    ]


# ---------------------------------------------------------------- FIRST, LAST, lists, paths


def test_first_and_last_break_time_ties_by_key(market: rg.Database) -> None:
    # items 1000 (product 10) and 1001 (product 11) share their time
    q = (
        "PREDICT FIRST(order_items.product_id VIA orders.buyer_id, 0, 20) "
        "FOR EACH customers.customer_id"
    )
    assert rows(market, q, [T0]) == [(1, "2024-01-01", 10)]
    assert rows(market, q.replace("FIRST", "LAST"), [T0]) == [(1, "2024-01-01", 11)]
    assert rows(market, q.replace("20)", "30)").replace("FIRST", "LAST"), [T0]) == [
        (1, "2024-01-01", 10)
    ]


def test_list_distinct(market: rg.Database) -> None:
    q = (
        "PREDICT LIST_DISTINCT(order_items.product_id VIA orders.buyer_id, 0, 40) RANK TOP 2 "
        "FOR EACH customers.customer_id"
    )
    assert rows(market, q, [T0, T1]) == [
        (1, "2024-01-01", [10, 11]),
        (1, "2024-02-01", [12]),
        (3, "2024-02-01", [11]),
    ]


def test_two_hop_rows_must_exist_by_the_window_end(market: rg.Database) -> None:
    q = (
        "PREDICT SUM(order_items.quantity VIA orders.buyer_id WHERE orders.channel = 'web', "
        "0, 30) FOR EACH customers.customer_id"
    )
    assert rows(market, q, [T0]) == [(1, "2024-01-01", 3.0)]


def test_parent_columns_are_read_at_the_anchor(market: rg.Database) -> None:
    q = (
        "PREDICT COUNT(order_items.*, 0, 30) FOR EACH order_items.item_id "
        "WHERE orders.channel = 'web' AND products.category = 'toys'"
    )
    at = pd.Timestamp("2024-02-16")
    assert rows(market, q, [at]) == [(1000, "2024-02-16", 0.0), (1003, "2024-02-16", 0.0)]


# ---------------------------------------------------------------- static targets


def test_static_any_linked_row_target(market: rg.Database) -> None:
    q = "PREDICT reviews.rating >= 4 FOR EACH customers.customer_id"
    # one period: customers created by 03-01, labelled from reviews by then, at their own time
    assert rows(market, q, [pd.Timestamp("2024-03-01")]) == [
        (1, "2024-01-01", 1),
        (2, "2024-01-05", 0),
    ]
    # two periods: customer 1 (created in the first) has no review by its end
    assert rows(market, q, [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-03-01")]) == [
        (2, "2024-01-05", 0)
    ]
    # since: only entities created after it
    got = rows(market, q, [pd.Timestamp("2024-03-01")], since=pd.Timestamp("2024-01-02"))
    assert got == [(2, "2024-01-05", 0)]


def test_static_column_target(market: rg.Database) -> None:
    q = "PREDICT customers.country FOR EACH customers.customer_id"
    assert rows(market, q, [pd.Timestamp("2024-03-01")]) == [
        (1, "2024-01-01", "DE"),
        (2, "2024-01-05", "US"),
    ]


def test_static_target_on_trials(trials: rg.Database) -> None:
    task = rg.Task.from_query(
        trials, "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id"
    )
    table = task.table_at([pd.Timestamp("2030-01-01")])
    studies = trials.table("studies")
    outcomes = trials.sql(
        "SELECT s.study_id, max(CASE WHEN o.result = 'Positive' THEN 1 ELSE 0 END) AS label "
        "FROM outcomes o JOIN sites s USING (site_id) GROUP BY s.study_id"
    )
    want = outcomes.merge(studies[["study_id", "started_at"]], on="study_id")
    assert set(zip(table.study_id, table.label, strict=True)) == set(
        zip(want.study_id, want.label, strict=True)
    )
    assert (
        table.anchor_time.to_numpy()
        == want.set_index("study_id").loc[table.study_id, "started_at"].to_numpy()
    ).all()
    # NCT-4403 has a site but no outcome yet: not labelled
    assert "NCT-4403" not in set(table.study_id)


# ---------------------------------------------------------------- literals are data


def test_a_literal_never_becomes_sql() -> None:
    evil = "'; DROP TABLE orders; --"
    db = rg.connect(
        {
            "customers": pd.DataFrame({"customer_id": [1, 2]}),
            "orders": pd.DataFrame(
                {
                    "order_id": [1, 2, 3],
                    "customer_id": [1, 1, 2],
                    "ordered_at": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]),
                    "note": [evil, "fine", evil + " again"],
                }
            ),
        }
    )
    text = (
        "PREDICT COUNT(orders.* WHERE orders.note = '''; DROP TABLE orders; --', 0, 30) "
        "FOR EACH customers.customer_id WHERE customers.customer_id != 3"
    )
    task = rg.Task.from_query(db, text, val_time="2024-01-02", test_time="2024-01-03")
    table = task.table_at(["2024-01-01"])
    assert list(table.label) == [1.0, 0.0]
    assert len(db.table("orders")) == 3  # still there
    assert "'''; DROP TABLE orders; --'" in task.sql(["2024-01-01"])
    for dialect in ("postgres", "spark"):
        sql = task.sql(["2024-01-01"], dialect=dialect)
        literal = next(
            x
            for x in sqlglot.parse_one(sql, read=dialect).find_all(sqlglot.exp.Literal)
            if "DROP" in x.this
        )
        assert literal.this == evil
    contains = text.replace("orders.note = ", "orders.note CONTAINS ")
    assert list(rg.Task.from_query(db, contains).table_at(["2024-01-01"]).label) == [1.0, 1.0]


def test_names_are_quoted_identifiers() -> None:
    assert ident("customers").sql() == "customers"
    assert ident("driverId").sql() == '"driverId"'
    assert ident("date").sql() == '"date"'
    assert ident("order").sql() == '"order"'
    assert ident('we"ird; DROP').sql() == '"we""ird; DROP"'


# ---------------------------------------------------------------- dialects

DIALECT_QUERIES = [
    "PREDICT COUNT(orders.* VIA orders.buyer_id, 0, 30) FOR EACH customers.customer_id",
    "PREDICT AVG(orders.amount VIA orders.buyer_id WHERE orders.channel IN ('web', 'app'), 0, 30) "
    "FOR EACH customers.customer_id WHERE COUNT(reviews.*, -INF, 0) > 0 "
    "AND customers.signup_at >= '2024-01-01'",
    "PREDICT MIN(orders.amount VIA orders.seller_id, 0, 1, months) <= 8 "
    "FOR EACH customers.customer_id ASSUMING COUNT(orders.* VIA orders.seller_id, 0, 30) > 0",
    "PREDICT LAST(order_items.product_id VIA orders.buyer_id, 0, 60) "
    "FOR EACH customers.customer_id",
    "PREDICT COUNT_DISTINCT(order_items.product_id VIA orders.buyer_id WHERE "
    "order_items.quantity > 1 OR NOT orders.channel LIKE 'w%', 0, 720, hours) > 0 "
    "FOR EACH customers.customer_id WHERE customers.country STARTS WITH 'U' "
    "OR customers.country ENDS WITH 'E' OR customers.country CONTAINS 'x'",
    "PREDICT reviews.rating >= 4 FOR EACH customers.customer_id",
    "PREDICT LIST_DISTINCT(order_items.product_id VIA orders.buyer_id, 0, 60) RANK TOP 2 "
    "FOR EACH customers.customer_id",
]
ANCHORS = [T0, T1, pd.Timestamp("2024-03-01")]


@pytest.mark.parametrize("text", DIALECT_QUERIES)
@pytest.mark.parametrize("dialect", ["postgres", "spark"])
def test_sql_transpiles(market: rg.Database, text: str, dialect: str) -> None:
    task = rg.Task.from_query(market, text)
    sql = task.sql(ANCHORS, dialect=dialect)
    tree = sqlglot.parse_one(sql, read=dialect)  # parses back
    assert tree.find(sqlglot.exp.With) is not None
    assert "anchor_values" in sql or "period_values" in sql


@pytest.mark.parametrize("text", DIALECT_QUERIES)
def test_postgres_round_trip_keeps_the_meaning_on_duckdb(market: rg.Database, text: str) -> None:
    task = rg.Task.from_query(market, text)
    postgres = task.sql(ANCHORS, dialect="postgres")
    back = sqlglot.transpile(postgres, read="postgres", write="duckdb")[0]
    got = market.con.execute(back).df()
    want = task.table_at(ANCHORS)
    assert len(got) == len(want)
    got.columns = want.columns
    for a, b in zip(got.itertuples(index=False), want.itertuples(index=False), strict=True):
        assert a[0] == b[0] and pd.Timestamp(a[1]) == pd.Timestamp(b[1])
        assert (sorted(a[2]) == b[2]) if isinstance(b[2], list) else (a[2] == b[2])


# ---------------------------------------------------------------- a real PostgreSQL server


def _load_postgres(url: str, db: rg.Database, schema: str) -> None:
    import psycopg
    from psycopg import sql as pgsql

    types = {"BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT"}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema)))
        con.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(schema)))
        for name, table in db.schema.tables.items():
            columns = [
                pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(types.get(d, d)))
                for c, d in table.dtypes.items()
            ]
            target = pgsql.Identifier(schema, name)
            con.execute(
                pgsql.SQL("CREATE TABLE {} ({})").format(target, pgsql.SQL(", ").join(columns))
            )
            frame = db.table(name)
            rows = [
                tuple(
                    None
                    if pd.isna(v)
                    else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                    for v in r
                )
                for r in frame.itertuples(index=False)
            ]
            if rows:
                placeholders = pgsql.SQL(", ").join(pgsql.Placeholder() * len(frame.columns))
                with con.cursor() as cur:
                    cur.executemany(
                        pgsql.SQL("INSERT INTO {} VALUES ({})").format(target, placeholders), rows
                    )


def _f1_like() -> rg.Database:
    """camelCase names and a column called "date", as in rel-f1."""
    return rg.connect(
        {
            "drivers": pd.DataFrame({"driverId": [1, 2, 3]}),
            "results": pd.DataFrame(
                {
                    "resultId": [1, 2, 3, 4, 5],
                    "driverId": [1, 1, 2, 3, 3],
                    "statusId": [1, 11, 1, 1, 4],
                    "positionOrder": [1, 5, 2, 3, 9],
                    "date": pd.to_datetime(
                        ["2024-01-03", "2024-01-20", "2024-01-20", "2024-02-10", "2024-03-05"]
                    ),
                }
            ),
        },
        schema={
            "tables": {
                "drivers": {"primary_key": "driverId"},
                "results": {"primary_key": "resultId", "time_column": "date"},
            },
            "links": [{"from": "results.driverId", "to": "drivers.driverId"}],
        },
    )


@pytest.mark.postgres
def test_postgres_server_gives_the_same_tables(postgres_url: str, market: rg.Database) -> None:
    import psycopg

    cases = [(market, q) for q in DIALECT_QUERIES] + [
        (
            _f1_like(),
            "PREDICT COUNT(results.* WHERE results.statusId != 1, 0, 30, days) > 0 "
            "FOR EACH drivers.driverId ASSUMING COUNT(results.*, 0, 30, days) > 0",
        ),
        (_f1_like(), "PREDICT AVG(results.positionOrder, 0, 60, days) FOR EACH drivers.driverId"),
    ]
    loaded: set[int] = set()
    try:
        for db, text in cases:
            schema = f"pql_{id(db)}"
            if id(db) not in loaded:
                _load_postgres(postgres_url, db, schema)
                loaded.add(id(db))
            task = rg.Task.from_query(db, text)
            want = task.table_at(ANCHORS)
            sql = task.sql(ANCHORS, dialect="postgres")
            with psycopg.connect(postgres_url) as con:
                con.execute(f'SET search_path TO "{schema}"')
                got = con.execute(sql).fetchall()
            assert len(got) == len(want), text
            for a, b in zip(got, want.itertuples(index=False), strict=True):
                assert a[0] == b[0] and pd.Timestamp(a[1]) == pd.Timestamp(b[1]), text
                label = sorted(a[2]) if isinstance(b[2], list) else a[2]
                assert label == pytest.approx(b[2]) if isinstance(b[2], float) else label == b[2], (
                    text
                )
    finally:  # other tests list the server's schemas: leave none behind
        with psycopg.connect(postgres_url, autocommit=True) as con:
            for key in loaded:
                con.execute(f'DROP SCHEMA IF EXISTS "pql_{key}" CASCADE')
