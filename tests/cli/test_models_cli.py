"""``relgraph evaluate / train / predict / features`` against their Python calls."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.features import feature_table
from relgraph.cli.main import app
from relgraph.evaluate.evaluation import evaluate_models, score_predictions
from relgraph.models.core.base import ModelError
from relgraph.models.core.inputs import TaskInputs
from relgraph.models.registry import load, make_model
from relgraph.predict import load_for_query

runner = CliRunner()
CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
SPLIT = {"val_time": "2024-06-01", "test_time": "2024-09-01", "horizon": "30d"}
SPLIT_ARGS = ["--val-time", "2024-06-01", "--test-time", "2024-09-01", "--horizon", "30d"]
FAST = ["--param", "num_boost_round=30", "--param", "early_stopping_rounds=10"]


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models_cli") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.05, seed=0), path)
    return path


@pytest.fixture(scope="module")
def db(shop_file: Path) -> rg.Database:
    return rg.connect(shop_file)


@pytest.fixture(scope="module")
def churn(db: rg.Database) -> rg.Task:
    return rg.Task.from_query(db, CHURN, **SPLIT)


@pytest.fixture(scope="module")
def gbdt_file(shop_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``relgraph train ... --model gbdt --out churn.rg --json`` (fast settings)."""
    path = tmp_path_factory.mktemp("models") / "churn.rg"
    cmd = ["train", str(shop_file), CHURN, "--model", "gbdt", *FAST, *SPLIT_ARGS]
    result = runner.invoke(app, [*cmd, "--out", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return path, json.loads(result.stdout)


def _err(result) -> str:
    """stderr with its line wrapping undone (the console wraps at its width)."""
    return " ".join(result.stderr.split())


def _scores(rows: list[dict]) -> list[tuple]:
    keys = ("task", "model", "split", "metric", "protocol", "mean", "std", "per_seed")
    return [tuple(json.dumps(r[k]) for k in keys) for r in rows]


# ---------------------------------------------------------------- evaluate
def test_evaluate_json_equals_evaluate_models(shop_file: Path, churn: rg.Task) -> None:
    cmd = ["evaluate", str(shop_file), CHURN, "--models", "baseline,prior", *SPLIT_ARGS]
    result = runner.invoke(app, [*cmd, "--protocol", "both", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = evaluate_models(churn, ["baseline", "prior"], protocol="both", name="query")
    assert _scores(doc["results"]) == _scores(expected.rows())
    assert doc["dataset"] == "shop.duckdb"
    assert doc["tasks"][0]["split_sizes"] == expected.split_sizes


def test_evaluate_table_and_report_files(shop_file: Path, tmp_path: Path) -> None:
    cmd = ["evaluate", str(shop_file), SPEND, "--models", "prior,baseline"]
    result = runner.invoke(app, [*cmd, "--out", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    for text in ("regression", "prior", "baseline", "mae", "rmse", "r2", "± 0.", "fit s"):
        assert text in result.stdout
    assert "split times chosen from the data" in _err(result)  # the split note
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == [
        "chart.png",
        "report.md",
        "results.json",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "gbdt,forest"], "Unknown model 'forest'; known: gbdt"),
        (["--param", "gnn.layers=2"], "is for 'gnn', which is not among the models"),
        (["--param", "gbdt.depth=2"], "gbdt has no hyperparameter 'depth'"),
    ],
)
def test_evaluate_errors_exit_1(shop_file: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["evaluate", str(shop_file), CHURN, *args])
    assert result.exit_code == 1, result.output
    assert message in _err(result)
    assert "Traceback" not in result.output


def test_evaluate_usage_errors_exit_2(shop_file: Path) -> None:
    for args in (["--protocol", "future"], ["--seeds", "0"], ["--models", " , "]):
        result = runner.invoke(app, ["evaluate", str(shop_file), CHURN, *args])
        assert result.exit_code == 2, (args, result.output)
    result = runner.invoke(app, ["evaluate", str(shop_file), CHURN, "--param", "depth=2"])
    assert result.exit_code == 2 and "say which model" in result.output


def test_evaluate_bad_query_exit_1(shop_file: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(shop_file), "PREDICT COUNT(ordrs.*, 0, 30)"])
    assert result.exit_code == 1
    assert "error:" in _err(result)


# ---------------------------------------------------------------- train
def test_train_baseline_equals_python(shop_file: Path, churn: rg.Task, tmp_path: Path) -> None:
    cmd = ["train", str(shop_file), CHURN, "--model", "baseline", *SPLIT_ARGS, "--json"]
    result = runner.invoke(app, [*cmd, "--out", str(tmp_path / "b.rg")])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    model = make_model("baseline").fit(churn)
    for split in ("val", "test"):
        examples = churn.table(split)
        expected = score_predictions(churn, examples, model.predict(examples), ["auroc"])
        assert info[split] == pytest.approx(expected["auroc"])
        assert info[f"{split}_examples"] == len(examples)
    assert info["metric"] == "auroc" and (tmp_path / "b.rg").exists()
    table = runner.invoke(app, cmd[:-1])
    assert table.exit_code == 0
    assert "auroc" in table.stdout and "not saved" in _err(table)


def test_train_gbdt_saves_what_python_gets(gbdt_file, db: rg.Database, churn: rg.Task) -> None:
    path, info = gbdt_file
    model = load(path, db)
    assert model.get_params()["num_boost_round"] == 30
    test = churn.table("test")
    expected = score_predictions(churn, test, model.predict(test), ["auroc"])["auroc"]
    assert info["test"] == pytest.approx(expected)


def test_train_errors(shop_file: Path) -> None:
    result = runner.invoke(app, ["train", str(shop_file), CHURN, "--model", "forest"])
    assert result.exit_code == 1 and "Unknown model 'forest'" in _err(result)
    result = runner.invoke(app, ["train", str(shop_file), SPEND, "--param", "depth=3"])
    assert result.exit_code == 1 and "gbdt has no hyperparameter 'depth'" in _err(result)
    result = runner.invoke(app, ["train", str(shop_file), SPEND, "--param", "depth"])
    assert result.exit_code == 2


# ---------------------------------------------------------------- predict
def test_entities_at_keeps_existing_entities_that_pass_where(db: rg.Database) -> None:
    task = rg.Task.from_query(db, CHURN)
    anchor = pd.Timestamp("2024-10-01")
    got = task.entities_at(anchor)
    orders, customers = db.table("orders"), db.table("customers")
    recent = orders[(orders["ordered_at"] > anchor - pd.Timedelta(days=90))]
    recent = recent[recent["ordered_at"] <= anchor]
    created = customers[customers["signup_at"] <= anchor]["customer_id"]
    expected = sorted(set(recent["customer_id"]) & set(created))
    assert sorted(got["customer_id"]) == expected
    assert (got["anchor_time"] == anchor).all()
    every = rg.Task.from_query(db, SPEND).entities_at(anchor)
    assert sorted(every["customer_id"]) == sorted(created)
    few = rg.Task.from_query(
        db, "PREDICT COUNT(orders.*, 0, 30) FOR customers.customer_id IN (3, 1)"
    )
    assert sorted(few.entities_at(anchor)["customer_id"]) == [1, 3]


def test_predict_explain_equals_python(gbdt_file, shop_file: Path, db, tmp_path: Path) -> None:
    path, _ = gbdt_file
    out = tmp_path / "preds.parquet"
    cmd = ["predict", str(shop_file), CHURN, "--model", str(path), "--explain", "--limit", "3"]
    result = runner.invoke(app, [*cmd, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "the latest time in the database" in _err(result)
    assert "top_signal" in result.stdout and "3 of" in result.stdout
    model = load(path, db)
    expected = model.explain(model.task_.entities_at(model.task_.latest))
    got = pd.read_parquet(out)
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    assert got["probability"].to_numpy() == pytest.approx(expected["probability"].to_numpy())
    assert got["top_signal"].tolist() == expected["top_signal"].tolist()
    assert json.loads(got["contributions"][0])[0]["feature"]


def test_predict_at_an_anchor_time_to_csv(gbdt_file, shop_file: Path, db, tmp_path: Path) -> None:
    path, _ = gbdt_file
    out = tmp_path / "preds.csv"
    cmd = ["predict", str(shop_file), CHURN, "--model", str(path), "--anchor-time", "2024-10-01"]
    result = runner.invoke(app, [*cmd, "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load(path, db)
    expected = model.predict(model.task_.entities_at("2024-10-01"))
    got = pd.read_csv(out)
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    assert got["probability"].to_numpy() == pytest.approx(expected["probability"].to_numpy())


def test_predict_refuses_another_query(gbdt_file, shop_file: Path, db) -> None:
    path, _ = gbdt_file
    with pytest.raises(ModelError, match="trained on another query"):
        load_for_query(path, db, SPEND)
    # the same query written differently is the same query
    assert load_for_query(path, db, CHURN.replace("PREDICT", "predict")).family == "gbdt"
    result = runner.invoke(app, ["predict", str(shop_file), SPEND, "--model", str(path)])
    assert result.exit_code == 1
    assert "trained on another query" in _err(result) and "saved: PREDICT COUNT" in _err(result)


def test_predict_errors(shop_file: Path, tmp_path: Path) -> None:
    base = ["predict", str(shop_file), CHURN]
    result = runner.invoke(app, [*base, "--model", str(tmp_path / "none.rg")])
    assert result.exit_code == 1 and "No model file" in _err(result)
    (tmp_path / "junk.rg").write_text("junk")
    result = runner.invoke(app, [*base, "--model", str(tmp_path / "junk.rg")])
    assert result.exit_code == 1 and "not a relgraph model file" in _err(result)
    result = runner.invoke(app, [*base, "--model", "prior", "--explain"])
    assert result.exit_code == 1 and "cannot explain" in _err(result)
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 2
    result = runner.invoke(app, [*base, "--model", "prior", "--anchor-time", "someday"])
    assert result.exit_code == 2


def test_predict_fits_a_named_model_on_the_spot(shop_file: Path, db) -> None:
    result = runner.invoke(app, ["predict", str(shop_file), SPEND, "--model", "prior"])
    assert result.exit_code == 0, result.output
    assert "fitted prior" in _err(result) and "prediction" in result.stdout


# ---------------------------------------------------------------- features
def test_features_equals_task_inputs(shop_file: Path, churn: rg.Task, tmp_path: Path) -> None:
    out = tmp_path / "feats.parquet"
    cmd = ["features", str(shop_file), CHURN, "--split", "val", *SPLIT_ARGS]
    result = runner.invoke(app, [*cmd, "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out)
    val = churn.table("val")
    features = TaskInputs.fit(churn).transform(churn, val).reset_index(drop=True)
    assert list(got.columns[:3]) == ["customer_id", "anchor_time", "label"]
    assert list(got.columns[3:]) == list(features.columns)
    assert got["label"].tolist() == val["label"].tolist()
    pd.testing.assert_frame_equal(got, feature_table(churn, "val"), check_dtype=False)
    listing = runner.invoke(app, cmd + ["--limit", "5"])
    assert listing.exit_code == 0
    assert "features of" in listing.stdout and "non-missing" in listing.stdout


def test_features_errors(shop_file: Path, tmp_path: Path) -> None:
    base = ["features", str(shop_file), CHURN]
    assert runner.invoke(app, [*base, "--split", "all"]).exit_code == 2
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "f.json")]).exit_code == 2
    assert runner.invoke(app, [*base, "--max-hops", "4"]).exit_code == 2
