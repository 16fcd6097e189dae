"""Overrides from Python and from TOML; the TOML round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import relgraph as rg
from relgraph.db.overrides import read_overrides, schema_to_toml
from relgraph.errors import SchemaError
from tests.factories import SHOP_LINKS, shop_frames


def db_with_partner() -> rg.Database:
    users = pd.DataFrame({"user_id": [1, 2, 3]})
    deals = pd.DataFrame(
        {
            "deal_id": [1, 2],
            "user_id": [1, 2],
            "partner": [3, 3],
            "made_at": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "grade": [1, 5],
        }
    )
    return rg.connect({"users": users, "deals": deals})


def test_python_overrides() -> None:
    db = db_with_partner()
    assert [str(x) for x in db.schema.links] == ["deals.user_id -> users.user_id"]
    db.link("deals.partner", "users.user_id").unlink("deals.user_id")
    assert [str(x) for x in db.schema.links] == ["deals.partner -> users.user_id"]
    assert db.schema.link_info[db.schema.links[0]].origin == "override"
    db.set_stype("deals", "grade", "categorical").set_time_column("deals", None)
    assert db.schema.tables["deals"].columns["grade"] == rg.Stype.categorical
    assert db.schema.tables["deals"].time_column is None
    db.set_time_column("deals", "made_at").set_primary_key("deals", "deal_id")
    assert db.schema.tables["deals"].time_column == "made_at"
    db.link("deals.user_id", "users.user_id")  # a removed link can come back
    assert len(db.schema.links) == 2


def test_toml_round_trip(tmp_path: Path) -> None:
    db = rg.connect(shop_frames())
    text = schema_to_toml(db.schema)
    path = tmp_path / "schema.toml"
    path.write_text(text)
    again = rg.connect(shop_frames(), schema=path)
    assert again.schema.fingerprint() == db.schema.fingerprint()
    assert {str(x) for x in again.schema.links} == SHOP_LINKS

    edited = text.replace('time_column = "signup_at"', 'time_column = ""')
    edited = edited.replace('category = "categorical"', 'category = "text"')
    edited = "\n".join(
        line for line in edited.splitlines() if "reviews.product_id" not in line
    )  # drop one link
    path.write_text(edited)
    changed = rg.connect(shop_frames(), schema=path).schema
    assert changed.tables["customers"].time_column is None
    assert changed.tables["products"].columns["category"] == rg.Stype.text
    assert {str(x) for x in changed.links} == SHOP_LINKS - {
        "reviews.product_id -> products.product_id"
    }


def test_toml_with_some_overrides_keeps_inference(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'unlink = ["deals.user_id"]\nlinks = [{from = "deals.partner", to = "users.user_id"}]\n'
    )
    db = rg.connect(
        {
            "users": pd.DataFrame({"user_id": [1, 3]}),
            "deals": pd.DataFrame({"deal_id": [1], "user_id": [1], "partner": [3]}),
        },
        schema=path,
    )
    assert [str(x) for x in db.schema.links] == ["deals.partner -> users.user_id"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("this is = not toml [", "not valid TOML"),
        ("[tables.deals]\nprimary = 'deal_id'\n", r"unknown keys \['primary'\]"),
        ("colour = 1\n", r"unknown top-level keys \['colour'\]"),
        ("links = [{from = 'deals.partner'}]\n", "each link needs 'from' and 'to'"),
        ("[tables.deals.columns]\ngrade = 'number'\n", "Unknown stype 'number'"),
        ("[tables.dealz]\ntime_column = 'made_at'\n", "Unknown table 'dealz'"),
        ("[tables.deals]\nprimary_key = 'nope'\n", "Unknown column 'deals.nope'"),
    ],
)
def test_bad_toml(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    db = db_with_partner()
    with pytest.raises(SchemaError, match=match):
        db.apply_schema(path)
    with pytest.raises(SchemaError, match="not found"):
        read_overrides(tmp_path / "missing.toml")
