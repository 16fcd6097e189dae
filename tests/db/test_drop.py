"""Dropped columns (``connect(drop=...)``, ``db.drop``, ``drop`` in the schema
TOML, ``--drop`` on the command line): gone before inference, never read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.cli.main import app
from relgraph.db.overrides import schema_to_toml
from relgraph.errors import SchemaError


def frames() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame({"user_id": [1, 2, 3], "plan": ["a", "b", "a"], "age": [30, 40, 50]})
    deals = pd.DataFrame(
        {
            "deal_id": [1, 2, 3],
            "user_id": [1, 2, 3],
            "made_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "closed_at": pd.to_datetime(["2024-02-01", "2024-02-02", "2024-02-03"]),
            "won": [True, False, True],
        }
    )
    return {"users": users, "deals": deals}


def test_connect_drop_removes_the_column_before_inference() -> None:
    db = rg.connect(frames(), drop=["deals.won", "users.plan"])
    assert "won" not in db.schema.tables["deals"].columns
    assert "plan" not in db.table("users").columns
    assert db.schema.dropped == ["deals.won", "users.plan"]
    with pytest.raises(rg.PQLError, match="won"):
        rg.Task.from_query(db, "PREDICT deals.won FOR EACH deals.deal_id")


def test_dropping_a_link_column_removes_the_link() -> None:
    db = rg.connect(frames())
    assert [str(x) for x in db.schema.links] == ["deals.user_id -> users.user_id"]
    db.drop("deals.user_id")
    assert db.schema.links == []
    assert "user_id" not in db.schema.tables["deals"].columns


def test_dropping_the_time_column_says_the_table_may_turn_static() -> None:
    db = rg.connect(frames(), drop=["deals.made_at"])
    assert db.schema.tables["deals"].time_column != "made_at"
    assert any("deals.made_at" in w and "static" in w for w in db.schema.warnings)


@pytest.mark.parametrize(
    ("refs", "match"),
    [
        (["deals.wonn"], r"'deals' has no column 'wonn'. Did you mean: won\?"),
        (["deal.won"], r"unknown table 'deal'. Did you mean: deals\?"),
        (["won"], r"form 'table.column'"),
        (["users.user_id", "users.plan", "users.age"], "Cannot drop every column of 'users'"),
    ],
)
def test_bad_drops_say_what_is_wrong(refs: list[str], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        rg.connect(frames(), drop=refs)


def test_toml_drop_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "schema.toml"
    written = schema_to_toml(rg.connect(frames()).schema)
    # a file --write-schema wrote still lists the column's stype: dropping wins
    path.write_text('drop = ["deals.won"]\n' + written.split("\n\n", 1)[1])
    db = rg.connect(frames(), schema=path)
    assert "won" not in db.schema.tables["deals"].columns
    again = tmp_path / "again.toml"
    again.write_text(schema_to_toml(db.schema))
    assert rg.connect(frames(), schema=again).schema.to_dict() == db.schema.to_dict()


def test_toml_cannot_drop_a_column_it_uses(tmp_path: Path) -> None:
    path = tmp_path / "schema.toml"
    path.write_text('drop = ["deals.made_at"]\n[tables.deals]\ntime_column = "made_at"\n')
    with pytest.raises(SchemaError, match="deals.made_at is dropped, so it cannot be time_column"):
        rg.connect(frames(), schema=path)
    path.write_text('drop = "deals.won"\n')
    with pytest.raises(SchemaError, match="drop must be a list"):
        rg.connect(frames(), schema=path)


def test_drop_on_the_command_line(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    for name, frame in frames().items():
        frame.to_parquet(shop / f"{name}.parquet")
    runner = CliRunner()
    result = runner.invoke(
        app, ["inspect", str(shop), "--json", "--drop", "deals.won", "--drop", "users.plan"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dropped"] == ["deals.won", "users.plan"]
    assert "won" not in doc["tables"]["deals"]["columns"]
    bad = runner.invoke(
        app,
        ["check", str(shop), "PREDICT deals.won FOR EACH deals.deal_id", "--drop", "deals.nope"],
    )
    assert bad.exit_code == 1 and "'deals' has no column 'nope'" in bad.output
