"""Rows without a time of their own take the time of the rows they reference."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import relgraph as rg
from relgraph.db.inherited_time import ROW_TIME
from relgraph.db.overrides import schema_to_toml
from relgraph.errors import SchemaError


def frames() -> dict[str, pd.DataFrame]:
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3],
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-03-01", None]),
        }
    )
    # one dangling key in ten (99): the link is still made
    items = pd.DataFrame(
        {
            "item_id": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
            "order_id": pd.array([1, 2, 3, None, 99, 1, 1, 2, 2, 1, 2], dtype="Int64"),
            "product_id": [7, 7, 8, 8, 7, 7, 7, 7, 7, 7, 7],
        }
    )
    # a row per item, with no time either: inherits through items
    notes = pd.DataFrame({"note_id": [100, 101], "item_id": [11, 10]})
    products = pd.DataFrame({"product_id": [7, 8], "price": [1.0, 2.0]})
    return {"orders": orders, "items": items, "notes": notes, "products": products}


def test_items_take_their_orders_time() -> None:
    db = rg.connect(frames())
    items = db.schema.tables["items"]
    assert (items.time_column, items.time_origin) == (ROW_TIME, "orders.ordered_at")
    times = db.table("items").set_index("item_id")[ROW_TIME]
    assert times[10] == pd.Timestamp("2024-01-01")
    assert times[11] == pd.Timestamp("2024-03-01")
    assert pd.isna(times[12])  # its order has no time: never visible, like the order
    # no order (NULL key, dangling key): visible at every anchor, as a static row was
    assert times[13] == times[14] == pd.Timestamp("2024-01-01")
    assert db.schema.tables["products"].time_column is None  # links to nothing timed
    assert any("items has no time column of its own" in w for w in db.schema.warnings)


def test_chains_inherit_hop_by_hop() -> None:
    db = rg.connect(frames())
    notes = db.schema.tables["notes"]
    assert (notes.time_column, notes.time_origin) == (ROW_TIME, "orders.ordered_at")
    times = db.table("notes").set_index("note_id")[ROW_TIME]
    assert times[100] == pd.Timestamp("2024-03-01") and times[101] == pd.Timestamp("2024-01-01")


def test_a_table_declared_static_stays_static(tmp_path: Path) -> None:
    db = rg.connect(frames()).set_time_column("items", None)
    assert db.schema.tables["items"].time_column is None
    assert ROW_TIME not in db.table("items").columns
    path = tmp_path / "schema.toml"
    path.write_text('[tables.items]\ntime_column = ""\n')
    assert rg.connect(frames(), schema=path).schema.tables["items"].time_column is None


def test_other_overrides_keep_it_and_the_toml_round_trips(tmp_path: Path) -> None:
    db = rg.connect(frames()).set_stype("products", "price", "categorical")
    assert db.schema.tables["items"].time_origin == "orders.ordered_at"
    assert list(db.table("items").columns).count(ROW_TIME) == 1
    path = tmp_path / "schema.toml"
    path.write_text(schema_to_toml(db.schema))
    again = rg.connect(frames(), schema=path)
    assert again.schema.to_dict()["tables"] == db.schema.to_dict()["tables"]
    assert again.schema.fingerprint() == db.schema.fingerprint()


def test_a_column_of_that_name_is_left_alone() -> None:
    data = frames()
    data["products"] = data["products"].assign(_row_time=["a", "b"])
    data["items"] = data["items"].assign(_row_time=range(11))
    db = rg.connect(data)
    assert db.schema.tables["items"].time_column is None
    assert db.table("items")["_row_time"].tolist() == list(range(11))


@pytest.mark.parametrize(
    ("anchor", "counts"), [("2023-12-15", {7: 5, 8: 1}), ("2024-01-15", {7: 4, 8: 0})]
)
def test_labels_count_items_in_their_orders_window(anchor: str, counts: dict) -> None:
    """Items of order 1 (Jan 1) and those without an order (the earliest time,
    Jan 1) fall in the first window; those of order 2 (Mar 1) in the second;
    item 12, whose order has no time, in none."""
    db = rg.connect(frames())
    query = "PREDICT COUNT(items.*, 0, 60, days) FOR EACH products.product_id"
    labels = rg.Task.from_query(db, query).table_at([anchor])
    assert labels.set_index("product_id")["label"].to_dict() == counts


def test_a_failed_change_leaves_the_database_as_it_was() -> None:
    """Every schema change is all or nothing, the working store included (the
    inherited times are dropped and added again while the schema is inferred)."""
    db = rg.connect(frames())
    before = db.schema.to_dict()
    with pytest.raises(rg.RelgraphError, match="duplicate"):
        db.set_primary_key("items", "product_id")
    assert db.schema.to_dict() == before
    assert db.table("items")[ROW_TIME].notna().sum() == 10
    with pytest.raises(SchemaError, match="already items's time"):
        db.set_time_column("items", ROW_TIME)
    with pytest.raises(SchemaError, match="declare items static instead"):
        db.drop(f"items.{ROW_TIME}")
    # a file that drops a column and then fails drops nothing
    with pytest.raises(SchemaError, match="nope"):
        db.apply_schema(
            {"drop": ["products.price"], "tables": {"products": {"primary_key": "nope"}}}
        )
    assert "price" in db.table("products").columns
    assert db.schema.to_dict() == before


def test_a_tasks_view_takes_no_schema_change() -> None:
    db = rg.connect(frames())
    task = rg.Task.from_query(db, "PREDICT products.price > 1 FOR EACH products.product_id")
    with pytest.raises(SchemaError, match="on the database itself"):
        task.db.set_stype("items", "product_id", "categorical")
    with pytest.raises(SchemaError, match="on the database itself"):
        task.db.drop("orders.ordered_at")
