"""``relgraph predict`` without a training step (the ``icl`` default) against
``relgraph.predict``: the terminal summary, output files, write-back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, make_trials, write_duckdb
from relgraph.cli.main import app
from relgraph.predict import OutputError, write_predictions, write_table

runner = CliRunner()
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (17, 42)"


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("predict_icl") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.05, seed=0), path)
    return path


def _err(result) -> str:
    return " ".join(result.stderr.split())


def test_transformer_predictor(shop_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    args = ["predict", str(shop_file), CHURN, "--predictor", "transformer", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "model: icl (fast, transformer), no training step" in _err(result)
    preds = pd.read_csv(out)
    assert preds["probability"].between(0, 1).all() and preds["top_signal"].notna().all()
    bad = runner.invoke(app, ["predict", str(shop_file), CHURN, "--predictor", "forest"])
    assert bad.exit_code != 0 and "forest" in bad.output


def test_default_is_icl_with_summary(shop_file: Path) -> None:
    result = runner.invoke(app, ["predict", str(shop_file), CHURN, "--limit", "3"])
    assert result.exit_code == 0, result.output
    err = _err(result)
    assert "the latest time in the database" in err
    assert "task: binary_classification; model: icl (fast, transformer), no training step" in err
    assert "labelled examples from" in err
    for step in ("loading", "labels", "features", "prediction"):
        assert f"{step} " in err
    assert "top_signal" in result.stdout and "3 of" in result.stdout


def test_out_files_equal_python(shop_file: Path, tmp_path: Path) -> None:
    expected = rg.predict(rg.connect(shop_file), SPEND, anchor_time="2024-10-01")
    for name in ("p.csv", "p.parquet"):
        out = tmp_path / name
        cmd = ["predict", str(shop_file), SPEND, "--anchor-time", "2024-10-01", "--out", str(out)]
        result = runner.invoke(app, cmd)
        assert result.exit_code == 0, result.output
        got = pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)
        assert got["customer_id"].tolist() == [17, 42]
        assert got["prediction"].to_numpy() == pytest.approx(expected["prediction"].to_numpy())
        assert got["top_signal"].tolist() == expected["top_signal"].tolist()


def test_no_reasons_for_bulk_scoring(shop_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulk.parquet"
    cmd = ["predict", str(shop_file), SPEND, "--no-reasons", "--out", str(out)]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    bulk = pd.read_parquet(out)
    assert "top_signal" not in bulk and bulk["prediction"].notna().all()
    both = runner.invoke(app, ["predict", str(shop_file), SPEND, "--no-reasons", "--explain"])
    assert both.exit_code != 0 and "--no-reasons" in both.output


def test_explain_adds_contributions(shop_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "why.parquet"
    cmd = ["predict", str(shop_file), SPEND, "--explain", "--out", str(out)]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    assert "why (the strongest inputs" in result.stdout and "hops" in result.stdout
    first = json.loads(pd.read_parquet(out)["contributions"][0])[0]
    assert {"feature", "text", "path", "hops", "window", "contribution"} <= set(first)


def test_write_back_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.03, seed=2), path)
    cmd = ["predict", str(path), SPEND, "--table", "spend_predictions"]
    assert runner.invoke(app, cmd).exit_code == 0
    again = runner.invoke(app, cmd)
    assert again.exit_code == 1
    assert "Table 'spend_predictions' already exists" in _err(again) and "--replace" in _err(again)
    assert runner.invoke(app, [*cmd, "--replace"]).exit_code == 0
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT customer_id FROM spend_predictions ORDER BY 1").fetchall()
    assert rows == [(17,), (42,)]
    overwrite = runner.invoke(app, ["predict", str(path), SPEND, "--table", "orders"])
    assert overwrite.exit_code == 1 and "already exists" in _err(overwrite)


def test_static_target_on_trials(tmp_path: Path) -> None:
    path = tmp_path / "trials.duckdb"
    write_duckdb(make_trials(scale=0.1, seed=0), path)
    query = "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id"
    result = runner.invoke(app, ["predict", str(path), query])
    assert result.exit_code == 0, result.output
    assert "NCT-4403" in result.stdout


def test_errors(shop_file: Path, tmp_path: Path) -> None:
    base = ["predict", str(shop_file), CHURN]
    assert runner.invoke(app, [*base, "--mode", "quick"]).exit_code == 2
    early = runner.invoke(app, [*base, "--anchor-time", "2023-01-20"])
    assert early.exit_code == 1 and "Too little history" in _err(early)
    assert "Traceback" not in early.output


def test_write_back_needs_a_database(tmp_path: Path) -> None:
    csv = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": [1]}).to_csv(csv, index=False)
    with pytest.raises(OutputError, match="writes back into the source database"):
        write_table(pd.DataFrame({"x": [1]}), csv, "t")
    with pytest.raises(OutputError, match="Expected a .csv or .parquet file"):
        write_predictions(pd.DataFrame({"x": [1]}), tmp_path / "p.xlsx")


# ---------------------------------------------------------------- nothing to predict


@pytest.mark.parametrize(
    ("query", "anchor", "message"),
    [
        (
            CHURN,
            "2000-01-01",
            "No customers to predict at 2000-01-01 00:00:00: the anchor time is before any data",
        ),
        (
            f"{CHURN} WHERE customers.age > 1000",
            "2024-06-01",
            "WHERE customers.age > 1000 keeps none of the",
        ),
        (
            "PREDICT customers.customer_id FOR EACH customers.customer_id",
            None,
            "customers.customer_id is the key of customers: it identifies the row and cannot be "
            "predicted",
        ),
    ],
)
def test_nothing_to_predict_is_an_error(
    shop_file: Path, query: str, anchor: str | None, message: str
) -> None:
    args = ["predict", str(shop_file), query] + (["--anchor-time", anchor] if anchor else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in _err(result) and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_saved_model_with_no_entities_at_the_anchor(shop_file: Path, tmp_path: Path) -> None:
    """A saved gbdt at an anchor before any data: a clear error, not LightGBM's
    'Input data must be 2 dimensional and non empty'."""
    from relgraph.models.registry import make_model

    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, CHURN)
    path = make_model("gbdt", num_boost_round=20, ensemble_size=1).fit(task).save(tmp_path / "m.rg")
    args = ["predict", str(shop_file), CHURN, "--model", str(path), "--anchor-time", "2000-01-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "No customers to predict at 2000-01-01 00:00:00" in _err(result)
    assert "Traceback" not in result.output and "non empty" not in result.output


def test_predict_says_which_link_values_it_dropped(tmp_path: Path) -> None:
    """5 % of orders name no customer: the link is kept, those edges are dropped,
    and predict says so on stderr (it said nothing)."""
    frames = make_ecommerce(scale=0.03, seed=0)
    orders = frames["orders"]
    lost = orders.index[: len(orders) // 20]
    orders.loc[lost, "customer_id"] = -1
    path = write_duckdb(frames, tmp_path / "shop.duckdb")
    result = runner.invoke(app, ["predict", str(path), CHURN, "--limit", "1"])
    assert result.exit_code == 0, result.output
    share = f"{len(lost)} of {len(orders)} values ({len(lost) / len(orders):.1%}) match no key"
    assert f"warning: Link orders.customer_id -> customers.customer_id: {share}" in _err(result)
    assert "match no key" not in result.stdout


def test_progress_bar_on_stderr(shop_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prediction step shows a bar over its chunks of rows on stderr (a
    terminal here), nothing on stdout."""
    import io

    from rich.console import Console

    import relgraph.cli.predict as cli_predict
    import relgraph.models.icl.model as icl

    terminal = io.StringIO()
    monkeypatch.setattr(cli_predict, "err", Console(file=terminal, force_terminal=True))
    monkeypatch.setattr(icl, "PREDICT_CHUNK", 64)  # several chunks on the small shop
    result = runner.invoke(app, ["predict", str(shop_file), CHURN, "--limit", "2"])
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    match = re.search(r"\(2 of ([\d,]+) rows\)", result.stdout)
    assert match is not None, result.stdout
    total = int(match.group(1).replace(",", ""))
    assert f"64 of {total:,} rows" in shown and f"{total:,} of {total:,} rows" in shown
    assert "rows" not in result.stdout.replace(f"2 of {total:,} rows", "")


@pytest.mark.slow  # about 8-12 s (the fast set stays under 5 min)
def test_evaluate_predict_runs_the_backtest_of_the_default(shop_file: Path) -> None:
    result = runner.invoke(app, ["predict", str(shop_file), f"EVALUATE {CHURN}"])
    assert result.exit_code == 0, result.output
    assert "EVALUATE: backtest of icl, baseline, prior" in _err(result)
    rows = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line]
    assert {"icl", "baseline", "prior"} <= set(rows)
    assert "auroc" in result.stdout and "top_signal" not in result.stdout
    saved = runner.invoke(app, ["predict", str(shop_file), f"EVALUATE {CHURN}", "--model", "x.rg"])
    assert saved.exit_code != 0 and "not a saved model file" in saved.output
    # Python: predictions are asked for, so a backtest query is refused with the way to run one
    with pytest.raises(rg.PQLError, match="asks for a backtest"):
        rg.predict(rg.connect(shop_file), f"evaluate {CHURN}")
