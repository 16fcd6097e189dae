"""``relgraph check`` and ``relgraph labels`` against their Python counterparts."""

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
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
SPLIT = ["--val-time", "2024-06-01", "--test-time", "2024-09-01", "--horizon", "30d"]
WIDE = {"COLUMNS": "200"}


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.05, seed=0), path)
    return path


@pytest.fixture(scope="module")
def churn(shop_file: Path) -> rg.Task:
    db = rg.connect(shop_file)
    return rg.Task.from_query(
        db, CHURN, val_time="2024-06-01", test_time="2024-09-01", horizon="30d"
    )


def test_check_prints_what_the_query_means(shop_file: Path) -> None:
    result = runner.invoke(app, ["check", str(shop_file), CHURN], env=WIDE)
    assert result.exit_code == 0, result.output
    for text in ("binary_classification", "auroc (headline)", "customers.customer_id", "30 days"):
        assert text in result.stdout


def test_check_json_matches_python(shop_file: Path) -> None:
    result = runner.invoke(app, ["check", str(shop_file), CHURN, "--json"])
    assert result.exit_code == 0, result.output
    db = rg.connect(shop_file)
    expected = rg.pql.check(rg.pql.parse(CHURN), db.schema, db.con).describe()
    assert json.loads(result.stdout) == {**expected, "notes": []}  # no window drifts


@pytest.mark.parametrize(
    ("query", "message", "token"),
    [
        (
            "PREDICT COUNT(orders.*) FOR EACH customers.customer_id "
            "WHERE customers.country = 'a rather long literal to pass eighty columns'",
            "an aggregation needs a time window",
            ")",
        ),
        (
            "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
            "WHERE customers.country = 'a rather long literal' AND customers.agee > 3",
            "Unknown column 'agee' in table 'customers'",
            "agee",
        ),
    ],
)
def test_check_errors_keep_the_caret_under_the_token(
    shop_file: Path, query: str, message: str, token: str
) -> None:
    result = runner.invoke(app, ["check", str(shop_file), query])
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    query_line = next(line for line in lines if line.strip() == query)
    caret = lines[lines.index(query_line) + 1]
    start = caret.index("^")
    assert query_line[start : start + caret.count("^")] == token


def test_labels_summary_json_matches_python(shop_file: Path, churn: rg.Task) -> None:
    result = runner.invoke(app, ["labels", str(shop_file), CHURN, "--summary", "--json", *SPLIT])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(churn.summary()))


def test_labels_summary_table(shop_file: Path) -> None:
    result = runner.invoke(app, ["labels", str(shop_file), CHURN, *SPLIT], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "train" in result.stdout and "% positive" in result.stdout
    assert "note:" not in result.stderr  # split times given


def test_labels_note_when_split_times_are_chosen(shop_file: Path) -> None:
    result = runner.invoke(app, ["labels", str(shop_file), CHURN, "--summary"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "note: split times chosen from the data" in result.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_labels_out_matches_python(
    shop_file: Path, churn: rg.Task, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"train{suffix}"
    result = runner.invoke(
        app, ["labels", str(shop_file), CHURN, "--split", "train", "--out", str(out), *SPLIT]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {len(churn.table('train')):,} examples (train)" in result.stderr
    got = (
        pd.read_parquet(out)
        if suffix == ".parquet"
        else pd.read_csv(out, parse_dates=["anchor_time"])
    )
    want = churn.table("train")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_labels_out_all_splits(shop_file: Path, churn: rg.Task, tmp_path: Path) -> None:
    out = tmp_path / "all.parquet"
    result = runner.invoke(app, ["labels", str(shop_file), CHURN, "--out", str(out), *SPLIT])
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out)
    assert list(got.columns) == ["split", "customer_id", "anchor_time", "label"]
    for split in ("train", "val", "test"):
        part = got[got.split == split].drop(columns="split").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, churn.table(split), check_dtype=False)


def test_labels_show_sql(shop_file: Path, churn: rg.Task) -> None:
    result = runner.invoke(
        app, ["labels", str(shop_file), CHURN, "--show-sql", "--split", "val", *SPLIT]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == churn.sql(split="val").strip()
    spark = runner.invoke(
        app, ["labels", str(shop_file), CHURN, "--show-sql", "--dialect", "spark", *SPLIT]
    )
    assert spark.stdout.strip() == churn.sql(split="train", dialect="spark").strip()


def test_labels_errors(shop_file: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["labels", str(shop_file), CHURN, "--out", str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and ".parquet or .csv" in bad.output
    horizon = runner.invoke(app, ["labels", str(shop_file), CHURN, "--horizon", "soon"])
    assert horizon.exit_code == 1 and "Cannot read the horizon 'soon'" in horizon.stderr
    order = runner.invoke(
        app,
        ["labels", str(shop_file), CHURN, "--val-time", "2024-09-01", "--test-time", "2024-06-01"],
    )
    assert order.exit_code == 1 and "Expected val_time < test_time" in order.stderr
    syntax = runner.invoke(app, ["labels", str(shop_file), "PREDICT"])
    assert syntax.exit_code == 1 and "PQL syntax error at line 1" in syntax.stderr
    missing = runner.invoke(app, ["labels", str(tmp_path / "none.duckdb"), CHURN])
    assert missing.exit_code == 1 and "No such file" in missing.stderr
