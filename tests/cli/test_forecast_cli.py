"""``FORECAST n TIMEFRAMES`` from the command line: ``relgraph predict`` shows
one column per window, ``labels`` each window's mean, ``evaluate`` each
window's MAE (a long forecast: its first windows and its last)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app

runner = CliRunner()
QUERY = "PREDICT COUNT(orders.*, 0, 7, days) FORECAST 3 TIMEFRAMES FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forecast_cli") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.02, seed=0), path)
    return path


def test_predict_writes_one_column_per_window(shop_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    args = ["predict", str(shop_file), QUERY, "--model", "last", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "step_1" in result.stdout and "step_3" in result.stdout
    preds = pd.read_csv(out)
    assert {"step_1", "step_2", "step_3"} <= set(preds.columns)
    # the last window repeated: every window the same
    assert (preds["step_1"] == preds["step_3"]).all()


def test_labels_and_evaluate(shop_file: Path) -> None:
    labels = runner.invoke(app, ["labels", str(shop_file), QUERY])
    assert labels.exit_code == 0, labels.output
    assert "by window" in " ".join(labels.stdout.split())
    long = QUERY.replace("3 TIMEFRAMES", "6 TIMEFRAMES")
    ev = runner.invoke(app, ["evaluate", str(shop_file), long, "--models", "prior,last"])
    assert ev.exit_code == 0, ev.output
    assert "mae_step_3" in ev.stdout and "mae_step_6" in ev.stdout
    assert "mae_step_4" not in ev.stdout and "mae_step_5" not in ev.stdout
