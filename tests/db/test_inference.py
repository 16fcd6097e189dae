"""Schema inference: keys, time columns, links and stypes from names and data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.db.column_profile import ColumnProfile
from relgraph.db.key_inference import ROW_ID, primary_key_score
from relgraph.db.link_inference import link_name_score
from relgraph.db.naming import plural, singular, table_variants, time_name_score, words
from relgraph.db.stype_inference import infer_stype
from tests.factories import shop_frames


def test_naming_helpers() -> None:
    assert words("signupAt_utc") == ["signup", "at", "utc"]
    assert words("driverStandingsId") == ["driver", "standings", "id"]
    assert singular("categories") == "category"
    assert singular("status") == "status"
    assert singular("species") == "species" and singular("tv_series") == "tv_series"
    assert [plural(w) for w in ("lineitem", "category", "orders", "box", "species", "day")] == [
        "lineitems",
        "categories",
        "orders",
        "boxes",
        "species",
        "days",
    ]
    assert singular("addresses") == "address"
    assert table_variants("order_items") == {"orderitems", "orderitem"}


@pytest.mark.parametrize(
    ("table", "column", "score"),
    [
        ("customers", "customer_id", 100),
        ("customers", "id", 100),
        ("races", "raceId", 100),
        ("driver_standings", "driverStandingsId", 100),
        ("qualifying", "qualifyId", 80),
        ("customers", "name", 0),
        ("profiles", "customer_id", 40),
    ],
)
def test_primary_key_score(table: str, column: str, score: int) -> None:
    assert primary_key_score(table, column, ["customers", "profiles", table]) == score


@pytest.mark.parametrize(
    ("column", "dst", "key", "expected"),
    [
        ("customer_id", "customers", "customer_id", 100),
        ("customer_id", "customers", "id", 90),
        ("CustomerID", "customers", "customer_id", 100),
        ("buyer_customer_id", "customers", "customer_id", 60),
        ("id", "customers", "id", 0),
        ("product_id", "customers", "customer_id", 0),
    ],
)
def test_link_name_score(column: str, dst: str, key: str, expected: int) -> None:
    assert link_name_score(column, dst, key) == expected


@pytest.mark.parametrize(
    ("name", "event_time"),
    [
        ("created_at", True),
        ("ordered_at", True),
        ("date", True),
        ("signupDate", True),
        ("dob", False),
        ("birth_date", False),
        ("updated_at", False),
        ("end_date", False),
        ("expires_at", False),
    ],
)
def test_time_name_score(name: str, event_time: bool) -> None:
    assert (time_name_score(name) > 0) == event_time


def test_shop_stypes() -> None:
    cols = rg.connect(shop_frames()).schema.tables
    assert cols["customers"].columns["country"] == rg.Stype.categorical
    assert cols["customers"].columns["birth_date"] == rg.Stype.timestamp
    assert cols["orders"].columns["amount"] == rg.Stype.numerical
    assert cols["orders"].columns["customer_id"] == rg.Stype.id
    assert cols["reviews"].columns["rating"] == rg.Stype.numerical
    assert cols["products"].columns["category"] == rg.Stype.categorical


def profile(values: list, dtype: str = "VARCHAR", **kw) -> ColumnProfile:
    non_null = sum(v is not None for v in values)
    return ColumnProfile("c", dtype, non_null, len(set(values) - {None}), **kw)


def test_string_stypes_from_data() -> None:
    db = rg.connect(
        {
            "t": pd.DataFrame(
                {
                    "t_id": np.arange(400),
                    "tags": [
                        ["a|b", "b|c", "a|c|d", "d"][i % 4] + f"|x{i % 7}" for i in range(400)
                    ],
                    "review": [f"this is review number {i} and it is long" for i in range(400)],
                    "url": [f"https://example.com/{i}" for i in range(400)],
                    "code": [f"C{i:05d}" for i in range(400)],
                    "color": ["red", "green", "blue", "red"] * 100,
                    "flag": [True, False] * 200,
                    "score": np.linspace(0, 1, 400),
                    "external_id": np.arange(1000, 1400),
                }
            )
        }
    )
    cols = db.schema.tables["t"].columns
    assert cols == {
        "t_id": rg.Stype.id,
        "tags": rg.Stype.multicategorical,
        "review": rg.Stype.text,
        "url": rg.Stype.id,
        "code": rg.Stype.id,
        "color": rg.Stype.categorical,
        "flag": rg.Stype.categorical,
        "score": rg.Stype.numerical,
        "external_id": rg.Stype.id,
    }


def test_infer_stype_time_and_lists() -> None:
    assert infer_stype(profile([1], "TIMESTAMP"), 1) == rg.Stype.timestamp
    assert infer_stype(profile([1], "DATE"), 1) == rg.Stype.timestamp
    assert infer_stype(profile([1], "VARCHAR[]"), 1) == rg.Stype.multicategorical
    assert infer_stype(profile([1, 2], "DOUBLE"), 2) == rg.Stype.numerical


def test_keys_named_id_and_role_links() -> None:
    users = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})
    sales = pd.DataFrame(
        {
            "id": [10, 11, 12, 13],
            "user_id": [1, 2, 2, 3],
            "buyer_user_id": [3, 3, 1, 2],
            "sold_at": pd.to_datetime(["2024-01-01"] * 4),
        }
    )
    db = rg.connect({"users": users, "sales": sales})
    assert {str(x) for x in db.schema.links} == {
        "sales.user_id -> users.id",
        "sales.buyer_user_id -> users.id",
    }


def test_link_needs_most_values_to_match() -> None:
    customers = pd.DataFrame({"customer_id": np.arange(10)})
    mostly = pd.DataFrame(
        {"order_id": np.arange(100), "customer_id": np.r_[np.arange(95) % 10, np.arange(95, 100)]}
    )
    hardly = pd.DataFrame({"visit_id": np.arange(100), "customer_id": np.arange(100)})
    db = rg.connect({"customers": customers, "orders": mostly, "visits": hardly})
    assert [str(x) for x in db.schema.links] == ["orders.customer_id -> customers.customer_id"]
    info = db.schema.link_info[db.schema.links[0]]
    assert (info.dangling, info.non_null) == (5, 100)
    assert any("5 of 100 values (5.0%) match no key" in w for w in db.schema.warnings)
    # the link named like one but matching too few values is recorded and warned about
    (rejected,) = db.schema.rejected_links
    assert str(rejected) == "visits.customer_id -> customers.customer_id"
    info = db.schema.rejected_links[rejected]
    assert (info.dangling, info.non_null) == (90, 100)
    assert any(
        w.startswith("Link visits.customer_id -> customers.customer_id was not made: 90 of 100")
        and "db.link('visits.customer_id', 'customers.customer_id')" in w
        for w in db.schema.warnings
    )
    db.link("visits.customer_id", "customers.customer_id")  # forced: no longer rejected
    assert db.schema.rejected_links == {} and len(db.schema.links) == 2


def test_own_key_is_not_a_link() -> None:
    # sprint_results.resultId numbers its own rows; it is not a reference to results.
    results = pd.DataFrame({"resultId": np.arange(1, 50)})
    sprints = pd.DataFrame({"resultId": np.arange(1, 10), "points": np.arange(9)})
    db = rg.connect({"results": results, "sprint_results": sprints})
    assert db.schema.links == []


def test_table_with_composite_key() -> None:
    pits = pd.DataFrame({"race_id": [1, 1, 2], "stop": [1, 2, 1], "ms": [2.5, 3.1, 2.2]})
    races = pd.DataFrame({"race_id": [1, 2]})
    db = rg.connect({"pit_stops": pits, "races": races})
    t = db.schema.tables["pit_stops"]
    assert (t.key_parts, t.primary_key, t.generated_key) == (
        ("race_id", "stop"),
        "race_id_stop",
        False,
    )
    assert db.table("pit_stops")["race_id_stop"].tolist() == ["1|1", "1|2", "2|1"]
    assert [str(x) for x in db.schema.links] == ["pit_stops.race_id -> races.race_id"]


def test_table_without_key_gets_row_numbers() -> None:
    # No set of columns is unique: the rows are numbered.
    pits = pd.DataFrame({"race_id": [1, 1, 2, 2], "stop": [1, 1, 1, 1]})
    races = pd.DataFrame({"race_id": [1, 2]})
    db = rg.connect({"pit_stops": pits, "races": races})
    t = db.schema.tables["pit_stops"]
    assert (t.primary_key, t.generated_key) == (ROW_ID, True)
    assert db.table("pit_stops")[ROW_ID].tolist() == [0, 1, 2, 3]
    assert [str(x) for x in db.schema.links] == ["pit_stops.race_id -> races.race_id"]
    assert any("no single-column primary key" in w for w in db.schema.warnings)


def test_birth_date_is_not_a_time_column() -> None:
    people = pd.DataFrame({"person_id": [1, 2], "dob": pd.to_datetime(["1990-01-01"] * 2)})
    events = pd.DataFrame(
        {
            "event_id": [1, 2],
            "person_id": [1, 2],
            "updated_at": pd.to_datetime(["2024-01-01"] * 2),
            "created_at": pd.to_datetime(["2023-01-01"] * 2),
        }
    )
    s = rg.connect({"people": people, "events": events}).schema
    assert s.tables["people"].time_column is None
    assert s.tables["events"].time_column == "created_at"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_time_columns_of_every_unit(unit: str) -> None:
    times = pd.Series(pd.to_datetime(["1950-05-13", "2024-01-01"])).astype(f"datetime64[{unit}]")
    db = rg.connect({"races": pd.DataFrame({"race_id": [1, 2], "date": times})})
    assert db.schema.tables["races"].time_column == "date"
    assert db.table("races")["date"].dt.year.tolist() == [1950, 2024]


def test_sentences_with_commas_are_text_not_tags() -> None:
    texts = ["Love it, works perfectly.", "Terrible, not as described.", "Okay, arrived late."]
    genres = ["Action, Comedy", "Drama", "Comedy, Drama, Horror", "Action"]
    db = rg.connect(
        {
            "r": pd.DataFrame(
                {
                    "r_id": np.arange(300),
                    "review": [texts[i % 3] for i in range(300)],
                    "genres": [genres[i % 4] for i in range(300)],
                }
            )
        }
    )
    cols = db.schema.tables["r"].columns
    assert cols["genres"] == rg.Stype.multicategorical
    assert cols["review"] in (rg.Stype.text, rg.Stype.categorical)


def test_unlinked_codes_are_categories() -> None:
    frame = pd.DataFrame({"result_id": np.arange(500), "statusId": np.arange(500) % 7})
    cols = rg.connect({"results": frame}).schema.tables["results"].columns
    assert cols["statusId"] == rg.Stype.categorical
