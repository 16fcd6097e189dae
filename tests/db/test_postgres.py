"""Reading PostgreSQL into relgraph, against a real server (``postgres_url``)."""

from __future__ import annotations

import datetime as dt
import math
import socket
from urllib.parse import quote

import duckdb
import psycopg
import pytest

import relgraph as rg
from relgraph.db.sources.postgres import _read_only_session, load_postgres, parse_url
from relgraph.errors import SourceError

pytestmark = pytest.mark.postgres

PASSWORD = "S3cr:et@pw/42"  # URL-special characters on purpose
PASSWORD_ROLE = "relgraph_pw"  # tests/postgres_server.py makes it log in with a password

SETUP_SQL = """
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);

CREATE TABLE customers (
    customer_id integer PRIMARY KEY,
    name text NOT NULL,
    signup_at timestamptz
);
CREATE TABLE products (
    product_id bigint PRIMARY KEY,
    title varchar(50),
    price numeric(10, 2)
);
CREATE TABLE orders (
    order_id integer PRIMARY KEY,
    customer_id integer REFERENCES customers (customer_id),
    ordered_at timestamp NOT NULL,
    total double precision
);
CREATE TABLE order_items (
    order_id integer REFERENCES orders (order_id),
    product_id bigint REFERENCES products (product_id),
    quantity smallint,
    PRIMARY KEY (order_id, product_id)
);
CREATE TABLE shipments (
    shipment_id integer PRIMARY KEY,
    order_id integer,
    product_id bigint,
    FOREIGN KEY (order_id, product_id) REFERENCES order_items (order_id, product_id)
);
CREATE TABLE all_types (
    id integer PRIMARY KEY,
    i2 smallint, i4 integer, i8 bigint,
    num numeric, r real, d double precision,
    t text, v varchar(40), c char(3),
    b boolean, dt date, ts timestamp, tstz timestamptz, tm time,
    u uuid, j jsonb, m mood, dom positive_int
);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;

INSERT INTO customers VALUES
    (1, 'Ann', '2024-01-01 09:00:00+00'),
    (2, 'Bob', '2024-01-05 18:30:00+02'),
    (3, 'Cé', NULL);
INSERT INTO products VALUES (10, 'pen', 1.50), (11, 'book', 12.99), (12, NULL, NULL);
INSERT INTO orders VALUES
    (100, 1, '2024-02-01 10:00:00', 3.0),
    (101, 1, '2024-02-03 11:00:00', 150.5),
    (102, 2, '2024-02-04 12:00:00', NULL),
    (103, NULL, '2024-02-05 13:00:00', 12.99);
INSERT INTO order_items VALUES (100, 10, 2), (101, 11, 1), (101, 10, 3), (102, 11, 1), (103, 11, 1);
INSERT INTO shipments VALUES (1, 100, 10), (2, 101, 11);
INSERT INTO all_types VALUES
    (1, -32768, 2147483647, 9223372036854775807,
     12.50, 0.5, -1.25e300,
     'plain', E'a,b "q"\\nline2', 'ab',
     true, '2024-02-29', '2024-01-02 03:04:05.123456', '2024-03-01 12:00:00+02', '13:45:30.25',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{"k": [1, 2]}}', 'happy', 7),
    (2, 0, -1, -9223372036854775808,
     'NaN', -0.25, 1e-300,
     '', '', 'xyz',
     false, '1970-01-01', '1999-12-31 23:59:59', '2000-01-01 00:00:00-05', '00:00:00',
     NULL, 'null', 'sad', 1),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE SCHEMA archive;
CREATE TABLE archive.legacy_customers (id integer PRIMARY KEY, name text);
CREATE TABLE archive.legacy_orders (
    id integer PRIMARY KEY,
    legacy_customer_id integer REFERENCES archive.legacy_customers (id),
    customer_id integer REFERENCES public.customers (customer_id)
);
INSERT INTO archive.legacy_customers VALUES (1, 'Old Ann');
INSERT INTO archive.legacy_orders VALUES (1, 1, 1), (2, 1, NULL);

CREATE SCHEMA empty_schema;
CREATE VIEW empty_schema.only_a_view AS SELECT 1 AS one;

CREATE SCHEMA odd;
CREATE TABLE odd.events (event_id integer PRIMARY KEY, happened_at timestamp, day date);
INSERT INTO odd.events VALUES (1, '2024-01-01', '2024-01-01'), (2, 'infinity', '-infinity');
CREATE TABLE odd.nothing_yet (id bigint PRIMARY KEY, at timestamptz, flag boolean);
CREATE TABLE odd.measurements (id integer, taken date, value real) PARTITION BY RANGE (taken);
CREATE TABLE odd.measurements_2023 PARTITION OF odd.measurements
    FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE odd.measurements_2024 PARTITION OF odd.measurements
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO odd.measurements VALUES (1, '2023-06-01', 1.5), (2, '2024-06-01', 2.5);

CREATE SCHEMA ancient;
CREATE TABLE ancient.ides (id integer PRIMARY KEY, day date);
INSERT INTO ancient.ides VALUES (1, '0044-03-15 BC');

CREATE ROLE {role} LOGIN PASSWORD {password};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
"""

SHOP_TABLES = ["all_types", "customers", "order_items", "orders", "products", "shipments"]


@pytest.fixture(scope="module")
def shop_url(postgres_url: str) -> str:
    """``postgres_url`` with the shop, archive, empty and odd schemas in it."""
    setup = psycopg.sql.SQL(SETUP_SQL).format(
        role=psycopg.sql.Identifier(PASSWORD_ROLE), password=psycopg.sql.Literal(PASSWORD)
    )
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(setup)
    return postgres_url


@pytest.fixture(scope="module")
def shop(shop_url: str) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    return con, load_postgres(shop_url, con)


def with_password(url: str, password: str = PASSWORD) -> str:
    return url.replace(
        "postgresql://postgres@", f"postgresql://{PASSWORD_ROLE}:{quote(password, safe='')}@"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- tables, types, values ---------------------------------------------------------------


def test_reads_every_base_table_in_name_order(shop):
    con, declared = shop
    assert declared.tables == SHOP_TABLES  # not the view
    stored = {
        row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert stored == set(SHOP_TABLES)
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SHOP_TABLES}
    assert counts == {
        "all_types": 3,
        "customers": 3,
        "order_items": 5,
        "orders": 4,
        "products": 3,
        "shipments": 2,
    }


def test_description_names_server_database_and_schema(shop, postgres_server):
    _, declared = shop
    assert (
        declared.description
        == f"postgresql://127.0.0.1:{postgres_server.port}/relgraph_test (schema public)"
    )


def test_column_types(shop):
    con, _ = shop
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'all_types'"
        ).fetchall()
    )
    assert types == {
        "id": "INTEGER",
        "i2": "SMALLINT",
        "i4": "INTEGER",
        "i8": "BIGINT",
        "num": "DOUBLE",
        "r": "DOUBLE",
        "d": "DOUBLE",
        "t": "VARCHAR",
        "v": "VARCHAR",
        "c": "VARCHAR",
        "b": "BOOLEAN",
        "dt": "DATE",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMP",
        "tm": "TIME",
        "u": "VARCHAR",
        "j": "VARCHAR",
        "m": "VARCHAR",
        "dom": "INTEGER",
    }


def test_values_and_nulls(shop):
    con, _ = shop
    rows = con.execute("SELECT * FROM all_types ORDER BY id").fetchall()
    assert rows[0] == (
        1, -32768, 2147483647, 9223372036854775807,
        12.5, 0.5, -1.25e300,
        "plain", 'a,b "q"\nline2', "ab ",
        True, dt.date(2024, 2, 29), dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
        dt.datetime(2024, 3, 1, 10, 0), dt.time(13, 45, 30, 250000),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"k": [1, 2]}', "happy", 7,
    )  # fmt: skip
    second = rows[1]
    assert math.isnan(second[4])
    assert second[:4] == (2, 0, -1, -9223372036854775808)
    assert second[5:] == (
        -0.25, 1e-300, "", "", "xyz",
        False, dt.date(1970, 1, 1), dt.datetime(1999, 12, 31, 23, 59, 59),
        dt.datetime(2000, 1, 1, 5, 0), dt.time(0, 0),
        None, "null", "sad", 1,
    )  # fmt: skip
    assert rows[2] == (3,) + (None,) * 18  # NULL stays NULL; '' above stays ''


def test_timestamptz_becomes_utc_whatever_the_server_time_zone(shop):
    con, _ = shop
    signups = con.execute("SELECT signup_at FROM customers ORDER BY customer_id").fetchall()
    assert [row[0] for row in signups] == [
        dt.datetime(2024, 1, 1, 9, 0),
        dt.datetime(2024, 1, 5, 16, 30),
        None,
    ]


def test_numeric_and_text_of_shop_tables(shop):
    con, _ = shop
    assert con.execute("SELECT * FROM products ORDER BY product_id").fetchall() == [
        (10, "pen", 1.5),
        (11, "book", 12.99),
        (12, None, None),
    ]
    assert con.execute("SELECT name FROM customers WHERE customer_id = 3").fetchone() == ("Cé",)


# -- declared keys and links -------------------------------------------------------------


def test_declared_primary_keys(shop):
    _, declared = shop
    assert declared.primary_keys == {
        "all_types": "id",
        "customers": "customer_id",
        "orders": "order_id",
        "products": "product_id",
        "shipments": "shipment_id",
    }


def test_declared_foreign_keys(shop):
    _, declared = shop
    assert declared.foreign_keys == [
        ("order_items", "order_id", "orders", "order_id"),
        ("order_items", "product_id", "products", "product_id"),
        ("orders", "customer_id", "customers", "customer_id"),
    ]


def test_composite_keys_are_read(shop):
    _, declared = shop
    assert declared.composite_keys["order_items"] == ("order_id", "product_id")
    assert (
        "shipments",
        ("order_id", "product_id"),
        "order_items",
        ("order_id", "product_id"),
    ) in declared.composite_foreign_keys
    assert declared.warnings == []


# -- choosing the schema -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["query", "argument", "argument wins"])
def test_schema_from_url_query_or_argument(shop_url, how):
    con = duckdb.connect()
    if how == "query":
        declared = load_postgres(shop_url + "?schema=archive", con)
    elif how == "argument":
        declared = load_postgres(shop_url, con, schema="archive")
    else:
        declared = load_postgres(shop_url + "?schema=public", con, schema="archive")
    assert declared.tables == ["legacy_customers", "legacy_orders"]
    assert declared.description.endswith("/relgraph_test (schema archive)")
    assert declared.primary_keys == {"legacy_customers": "id", "legacy_orders": "id"}
    # Only links inside the schema; the one to public.customers is reported.
    assert declared.foreign_keys == [
        ("legacy_orders", "legacy_customer_id", "legacy_customers", "id")
    ]
    assert declared.warnings == [
        "foreign key archive.legacy_orders(customer_id) -> public.customers(customer_id) "
        "leaves the tables read from schema archive; ignored"
    ]
    assert con.execute("SELECT * FROM legacy_orders ORDER BY id").fetchall() == [
        (1, 1, 1),
        (2, 1, None),
    ]
    assert "customers" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}


def test_other_url_parameters_reach_libpq(shop_url):
    target = parse_url(shop_url + "?application_name=rg%20test&schema=archive&sslmode=disable")
    assert target.schema == "archive"
    assert target.conninfo == shop_url + "?application_name=rg%20test&sslmode=disable"
    declared = load_postgres(
        target.conninfo.replace("postgresql://", "postgres://") + "&schema=archive",
        duckdb.connect(),
    )
    assert declared.tables == ["legacy_customers", "legacy_orders"]


def test_partitions_infinite_times_and_empty_tables(shop_url):
    con = duckdb.connect()
    declared = load_postgres(shop_url, con, schema="odd")
    assert declared.tables == ["events", "measurements", "nothing_yet"]  # not the partitions
    assert con.execute("SELECT id, taken, value FROM measurements ORDER BY id").fetchall() == [
        (1, dt.date(2023, 6, 1), 1.5),
        (2, dt.date(2024, 6, 1), 2.5),
    ]
    assert con.execute("SELECT * FROM events ORDER BY event_id").fetchall() == [
        (1, dt.datetime(2024, 1, 1), dt.date(2024, 1, 1)),
        (2, None, None),
    ]
    assert declared.warnings == [
        "table odd.events has infinite dates or timestamps in happened_at, day; "
        "they were read as NULL"
    ]
    empty = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'nothing_yet'"
    )
    assert empty.fetchall() == [("id", "BIGINT"), ("at", "TIMESTAMP"), ("flag", "BOOLEAN")]
    assert con.execute("SELECT count(*) FROM nothing_yet").fetchone() == (0,)


# -- passwords ---------------------------------------------------------------------------


def test_password_in_url_logs_in_and_never_shows(shop_url):
    url = with_password(shop_url)
    declared = load_postgres(url, duckdb.connect())
    assert declared.primary_keys["customers"] == "customer_id"
    assert (
        PASSWORD not in declared.description
        and quote(PASSWORD, safe="") not in declared.description
    )
    assert "relgraph_pw" not in declared.description
    assert all(PASSWORD not in w for w in declared.warnings)


def test_bad_password(shop_url, postgres_server):
    wrong = "wr0ng:pass"
    with pytest.raises(
        SourceError,
        match=r"cannot log in to postgresql://127\.0\.0\.1:\d+/relgraph_test "
        r"as user 'relgraph_pw' \(password authentication failed.*Check the user name and password",
    ) as info:
        load_postgres(with_password(shop_url, wrong), duckdb.connect())
    message = str(info.value)
    assert wrong not in message and quote(wrong, safe="") not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_missing_password(shop_url):
    url = shop_url.replace("postgresql://postgres@", f"postgresql://{PASSWORD_ROLE}@")
    with pytest.raises(SourceError, match="cannot log in .* no password supplied.*PGPASSWORD"):
        load_postgres(url, duckdb.connect())


def test_permission_denied_names_table_and_grant(shop_url):
    with pytest.raises(
        SourceError,
        match=r"read table archive\.legacy_customers .*permission denied"
        r".*GRANT USAGE ON SCHEMA archive",
    ) as info:
        load_postgres(with_password(shop_url) + "?schema=archive", duckdb.connect())
    assert PASSWORD not in str(info.value)


# -- errors ------------------------------------------------------------------------------


def test_unreachable_server():
    port = free_port()  # nothing listens there
    url = f"postgresql://ann:{quote(PASSWORD, safe='')}@127.0.0.1:{port}/shop"
    with pytest.raises(
        SourceError,
        match=rf"cannot reach PostgreSQL server at 127\.0\.0\.1:{port} for database 'shop' "
        r"\(Connection refused.*Check that the server is running",
    ) as info:
        load_postgres(url, duckdb.connect())
    assert PASSWORD not in str(info.value)


def test_unknown_database(postgres_server):
    url = postgres_server.url("no_such_db").replace(
        "postgres@", f"postgres:{quote(PASSWORD, safe='')}@"
    )
    with pytest.raises(
        SourceError,
        match=rf"database 'no_such_db' does not exist on PostgreSQL server "
        rf"127\.0\.0\.1:{postgres_server.port}.*psql",
    ) as info:
        load_postgres(url, duckdb.connect())
    assert PASSWORD not in str(info.value)


def test_unknown_role(postgres_server):
    with pytest.raises(
        SourceError, match=r"cannot log in .* as user 'ghost' \(role \"ghost\" does not exist\)"
    ):
        load_postgres(postgres_server.url("relgraph_test", user="ghost"), duckdb.connect())


def test_unknown_schema_lists_the_schemas(shop_url):
    with pytest.raises(
        SourceError,
        match=r"schema 'nope' not found in postgresql://127\.0\.0\.1:\d+/relgraph_test; "
        r"its schemas are: ancient, archive, empty_schema, odd, public\. "
        r"Pick one with \?schema=NAME",
    ):
        load_postgres(shop_url + "?schema=nope", duckdb.connect())


def test_empty_schema(shop_url):
    with pytest.raises(
        SourceError,
        match=r"schema 'empty_schema' of postgresql://127\.0\.0\.1:\d+/relgraph_test has no tables",
    ):
        load_postgres(shop_url, duckdb.connect(), schema="empty_schema")


def test_value_without_arrow_equivalent_names_the_column(shop_url):
    with pytest.raises(
        SourceError, match=r"cannot convert column ancient\.ides\.day \(date\) of postgresql://"
    ):
        load_postgres(shop_url, duckdb.connect(), schema="ancient")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        (
            "mysql://ann:pw@host/db",
            r"expected a postgresql:// or postgres:// URL \(got scheme 'mysql'\)",
        ),
        (
            "postgresql://ann:hunter2@host/db?bogus=1",
            r"invalid PostgreSQL URL: invalid URI query parameter",
        ),
    ],
)
def test_malformed_url(url, match):
    with pytest.raises(SourceError, match=match) as info:
        load_postgres(url, duckdb.connect())
    assert "hunter2" not in str(info.value)


# -- read only ---------------------------------------------------------------------------


def test_session_is_read_only(shop_url):
    with _read_only_session(parse_url(shop_url)) as conn:
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("repeatable read",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO customers VALUES (99, 'Eve', NULL)")
    with psycopg.connect(shop_url) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (3,)


# -- through relgraph.connect ------------------------------------------------------------


def test_connect_uses_declared_keys_and_links(shop_url):
    db = rg.connect(shop_url)
    schema = db.schema
    assert schema.tables["customers"].primary_key == "customer_id"
    assert schema.tables["orders"].primary_key == "order_id"
    assert schema.tables["products"].primary_key == "product_id"
    links = {
        (link.src_table, link.src_column, link.dst_table, link.dst_column) for link in schema.links
    }
    assert {
        ("orders", "customer_id", "customers", "customer_id"),
        ("order_items", "order_id", "orders", "order_id"),
        ("order_items", "product_id", "products", "product_id"),
    } <= links
    for link in schema.links:
        if link.src_table in {"orders", "order_items"}:
            assert schema.link_info[link].origin == "declared"
