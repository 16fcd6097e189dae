"""Validation: clear messages with counts, never a traceback, nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import DataValidationError, SchemaError


def dup_customers() -> dict[str, pd.DataFrame]:
    return {
        "customers": pd.DataFrame(
            {"customer_id": [1, 2, 2, 3, 3, 3], "name": ["a", "b1", "b2", "c1", "c2", "c3"]}
        ),
        "orders": pd.DataFrame({"order_id": [1, 2], "customer_id": [2, 3]}),
    }


def test_a_guessed_key_with_duplicates_is_passed_over_with_a_warning() -> None:
    # Never a dead end: only a key the user declares may stop the run.
    db = rg.connect(dup_customers())
    t = db.schema.tables["customers"]
    # customer_id repeats in half the rows, name is unique by itself: neither
    # is the key and no pair of them is minimal, so the rows are numbered.
    assert t.key_parts == () and t.generated_key
    assert t.key_note.startswith("customers.customer_id has 3 duplicate values")
    assert "dedupe" not in t.key_note  # half the rows repeat: no advice that deletes them
    with pytest.raises(DataValidationError, match=r"3 duplicate values \(e.g. \[3, 2\]\)"):
        rg.connect(
            dup_customers(), schema={"tables": {"customers": {"primary_key": "customer_id"}}}
        )


def test_dedupe_keeps_the_first_row_per_key() -> None:
    db = rg.connect(dup_customers(), dedupe=True)
    assert db.table("customers")["name"].tolist() == ["a", "b1", "c1"]
    assert db.schema.tables["customers"].num_rows == 3
    assert any("dropped 3 rows with a duplicate key" in w for w in db.schema.warnings)
    assert [str(x) for x in db.schema.links] == ["orders.customer_id -> customers.customer_id"]


def test_null_primary_keys_from_a_declared_key(tmp_path: Path) -> None:
    path = tmp_path / "nulls.db"
    con = sqlite3.connect(path)  # SQLite lets a TEXT primary key hold NULL
    con.executescript(
        "CREATE TABLE t (code TEXT PRIMARY KEY, v INT);"
        "INSERT INTO t VALUES ('a', 1), (NULL, 2), (NULL, 3);"
    )
    con.close()
    with pytest.raises(DataValidationError, match=r"t.code has 2 NULL values"):
        rg.connect(path)
    assert rg.connect(path, dedupe=True).table("t")["code"].tolist() == ["a"]


def null_key_customers() -> dict[str, pd.DataFrame]:
    """customers.customer_id with 12 NULLs of 40; orders refer to customers 1..28."""
    ids = pd.array([None] * 12 + list(range(1, 29)), dtype="Int64")
    return {
        "customers": pd.DataFrame({"customer_id": ids, "age": np.arange(40)}),
        "orders": pd.DataFrame({"order_id": np.arange(30), "customer_id": np.arange(30) % 28}),
    }


def test_null_key_candidate_says_what_was_found() -> None:
    db = rg.connect(null_key_customers())
    t = db.schema.tables["customers"]
    assert (t.primary_key, t.generated_key) == ("_row_id", True)
    assert t.key_note.startswith(
        "customers.customer_id has 12 NULL values, so it cannot be the key; relgraph "
        "numbers the rows as _row_id instead (FOR EACH customers._row_id)"
    )
    assert "To use customer_id, drop or fill the NULL rows" in t.key_note
    assert t.key_note in db.schema.warnings
    assert not any("no single-column primary key" in w for w in db.schema.warnings)
    # Made-up row numbers are no target for orders.customer_id (they used to be).
    assert [str(x) for x in db.schema.links] == []
    # The fix the note gives: declare the key and let dedupe drop the NULL rows.
    fixed = rg.connect(
        null_key_customers(),
        schema={"tables": {"customers": {"primary_key": "customer_id"}}},
        dedupe=True,
    )
    assert fixed.schema.tables["customers"].num_rows == 28
    assert fixed.schema.tables["customers"].key_note == ""
    assert [str(x) for x in fixed.schema.links] == ["orders.customer_id -> customers.customer_id"]


def test_duplicate_key_candidate_says_what_was_found() -> None:
    # qualifyId is named like the key of qualifying, but repeats.
    qualifying = pd.DataFrame({"qualifyId": [1, 2, 2, 3, 3, None], "position": range(6)})
    db = rg.connect({"qualifying": qualifying.astype({"qualifyId": "Int64"})})
    note = db.schema.tables["qualifying"].key_note
    assert note.startswith(
        "qualifying.qualifyId has 1 NULL value and 2 duplicate values, so it cannot be the key"
    )
    assert "part of a larger key" in note  # 2 repeats in 6 rows
    # A reference to another table is no key candidate: the plain warning stays.
    pits = rg.connect({"pit_stops": pd.DataFrame({"race_id": [1, 1], "stop": [1, 2]})})
    assert pits.schema.tables["pit_stops"].key_note == ""
    assert any("no single-column primary key" in w for w in pits.schema.warnings)


def test_set_primary_key_to_a_non_unique_column_fails_and_rolls_back() -> None:
    db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2, 3], "team": [1, 1, 2]})})
    with pytest.raises(DataValidationError, match="users.team has 1 duplicate values"):
        db.set_primary_key("users", "team")
    assert db.schema.tables["users"].primary_key == "user_id"


def test_null_and_unparseable_times_are_counted(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text(
        "event_id,created_at\n1,2024-01-01 10:00:00\n2,2024-01-02 10:00:00\n3,\n"
        + "".join(f"{i},2024-02-01 00:00:00\n" for i in range(4, 40))
        + "40,not a date at all\n"
    )
    db = rg.connect(tmp_path)
    warnings = " | ".join(db.schema.warnings)
    assert db.schema.tables["events"].time_column == "created_at"
    assert "events.created_at: 1 values do not parse as times ('not a date at all', ...)" in (
        warnings
    )
    assert "events.created_at: 2 of 40 rows have no time; they are never visible" in warnings


def test_empty_table_warning() -> None:
    db = rg.connect({"things": pd.DataFrame({"thing_id": pd.Series([], dtype="int64")})})
    assert "Table 'things' is empty." in db.schema.warnings


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda db: db.link("orders.customer_id", "clients.customer_id"),
            "Unknown table 'clients'.*Known: customers",
        ),
        (
            lambda db: db.link("orders.custmer_id", "customers.customer_id"),
            "Unknown column 'orders.custmer_id'. Did you mean: customer_id",
        ),
        (lambda db: db.link("orders", "customers.customer_id"), "form 'table.column'"),
        (lambda db: db.link("orders.amount", "customers.country"), "not unique"),
        (lambda db: db.set_time_column("orders", "amount"), "not a date or timestamp"),
        (lambda db: db.set_primary_key("orders", "amount"), "must be an integer or text"),
        (lambda db: db.set_stype("orders", "amount", "numeric"), "Unknown stype 'numeric'"),
        (lambda db: db.unlink("orders.amount"), "There is no link from orders.amount"),
    ],
)
def test_bad_overrides(call, match: str) -> None:
    db = rg.connect(
        {
            "customers": pd.DataFrame({"customer_id": [1, 2], "country": ["DE", "DE"]}),
            "orders": pd.DataFrame(
                {"order_id": [1, 2], "customer_id": [1, 2], "amount": np.array([1.5, 2.5])}
            ),
        }
    )
    with pytest.raises(SchemaError, match=match):
        call(db)
