"""``relgraph train --model gnn`` (progress per epoch), then ``relgraph predict`` with the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app
from relgraph.evaluate.evaluation import score_predictions
from relgraph.models.registry import load

runner = CliRunner()
CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
TINY = ["--param", "hidden=16", "--param", "epochs=2", "--param", "fanout=[4, 2]"]
TINY += ["--param", "max_steps_per_epoch=1"]  # the run, not the learning, is under test


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gnn_cli") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.05, seed=0), path)
    return path


@pytest.fixture(scope="module")
def trained(shop_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    path = tmp_path_factory.mktemp("gnn_model") / "churn.rg"
    cmd = ["train", str(shop_file), CHURN, "--model", "gnn", *TINY, "--out", str(path), "--json"]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    return path, json.loads(result.stdout), result.stderr


def test_train_gnn_shows_epochs_and_saves_what_python_gets(trained, shop_file: Path) -> None:
    path, info, stderr = trained
    # The default ensemble trains three nets, each shown epoch by epoch.
    assert "gnn net 1/3 epoch 1/2: loss" in stderr and "val" in stderr
    assert "gnn net 3/3 epoch 2/2: loss" in stderr
    db = rg.connect(shop_file)
    model = load(path, db)
    assert model.family == "gnn" and model.get_params()["hidden"] == 16
    assert len(model.members_) == 3
    test = model.task_.table("test")
    expected = score_predictions(model.task_, test, model.predict(test), ["auroc"])["auroc"]
    assert info["test"] == pytest.approx(expected)


def test_predict_with_saved_gnn(trained, shop_file: Path, tmp_path: Path) -> None:
    path, _, _ = trained
    out = tmp_path / "preds.parquet"
    cmd = ["predict", str(shop_file), CHURN, "--model", str(path), "--explain", "--out", str(out)]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    import pandas as pd

    preds = pd.read_parquet(out)
    assert {"customer_id", "anchor_time", "probability", "top_signal"} <= set(preds.columns)
    assert preds["probability"].between(0, 1).all()
    assert preds["top_signal"].str.len().gt(0).all()
