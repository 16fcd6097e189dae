"""``rg.suggest`` and ``relgraph suggest``: questions found from the schema and
data alone, each of which passes check and labels."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def shop() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.03, seed=1))


def test_every_suggestion_checks_and_labels_as_it_says(shop: rg.Database) -> None:
    found = rg.suggest(shop, limit=12)
    assert {"churn", "count", "amount", "next items", "fill in"} <= {s.kind for s in found}
    assert len({s.query for s in found}) == len(found)
    for s in found:
        task = rg.Task.from_query(shop, s.query)  # checks
        assert task.task_type.value == s.task_type
        train = task.table("train")
        assert len(train) == s.examples["train"] > 0
        if s.task_type == "binary_classification":
            assert 0 < train["label"].mean() < 1
            assert s.labels["positive_rate"] == pytest.approx(train["label"].mean(), abs=1e-4)
    first = found[0]
    assert first.kind == "churn" and "FOR EACH customers.customer_id" in first.query


def test_no_question_about_an_entitys_own_details_or_a_calendar() -> None:
    # items are timed by their order: an order's items are known when it is placed
    orders = pd.DataFrame(
        {
            "order_id": range(400),
            "customer_id": [i % 40 for i in range(400)],
            "season": [2000 + i % 8 for i in range(400)],
            "ordered_at": pd.Timestamp("2020-01-01") + pd.to_timedelta(range(0, 4000, 10), "D"),
        }
    )
    items = pd.DataFrame({"item_id": range(800), "order_id": [i // 2 for i in range(800)]})
    seasons = pd.DataFrame({"season": range(2000, 2008), "name": [f"s{i}" for i in range(8)]})
    customers = pd.DataFrame({"customer_id": range(40)})
    db = rg.connect({"orders": orders, "items": items, "seasons": seasons, "customers": customers})
    queries = [s.query for s in rg.suggest(db, limit=20)]
    assert queries and all("FOR EACH customers.customer_id" in q for q in queries)


def test_a_database_without_time_gets_no_suggestion_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "airports.csv").write_text("faa,name\nJFK,Kennedy\nLGA,LaGuardia\n")
    (folder / "routes.csv").write_text("route_id,origin\n1,JFK\n2,LGA\n3,JFK\n")
    assert rg.suggest(rg.connect(folder)) == []
    result = runner.invoke(app, ["suggest", str(folder)])
    assert result.exit_code == 0, result.output
    assert "No question to suggest" in " ".join(result.stderr.split())


def test_cli_prints_each_query_whole_and_json(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.03, seed=1), path)
    result = runner.invoke(app, ["suggest", str(path), "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. Which active customers")
    assert lines[1].strip().startswith("PREDICT ") and lines[1].strip().endswith("> 0")
    as_json = runner.invoke(app, ["suggest", str(path), "--limit", "2", "--json"])
    doc = json.loads(as_json.stdout)
    assert [d["kind"] for d in doc] == ["churn", "count"]
    check = runner.invoke(app, ["check", str(path), doc[1]["query"]])
    assert check.exit_code == 0, check.output


def test_an_amount_named_total_is_not_said_twice() -> None:
    """chinook's invoice.total: 'What total of invoice ...', not 'total total'."""
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(range(0, 3000, 5), "D")
    invoices = pd.DataFrame(
        {
            "invoice_id": range(600),
            "customer_id": [i % 30 for i in range(600)],
            "total": [float(1 + (i * 7) % 23) for i in range(600)],
            "invoice_date": days,
        }
    )
    db = rg.connect({"invoice": invoices, "customer": pd.DataFrame({"customer_id": range(30)})})
    amounts = [s.question for s in rg.suggest(db, limit=20) if s.kind == "amount"]
    assert amounts and amounts[0].startswith("What total of invoice will each active customer")
