"""``run_rel_f1`` and ``relgraph bench rel-f1``: errors first (no data needed), then a
baselines-only run on the raw Ergast CSVs when they are present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relgraph.bench.rel_f1_tasks import REL_F1_TASKS
from relgraph.bench.runner import (
    BenchError,
    plan_rel_f1,
    rel_f1_task_names,
    run_rel_f1,
    supporting_models,
)
from relgraph.cli.main import app
from relgraph.errors import SourceError
from relgraph.evaluate.evaluation import EvaluationError
from relgraph.models.core.base import ModelError
from relgraph.models.registry import MODEL_NAMES
from relgraph.pql.task_type import TaskType

runner = CliRunner()

#: RelBench's split sizes (train, val, test), DESIGN.md section 6.
SPLIT_SIZES = {
    "driver-dnf": (11411, 566, 702),
    "driver-top3": (1353, 588, 726),
    "driver-position": (7453, 499, 760),
}


def test_task_names() -> None:
    assert rel_f1_task_names() == [
        "driver-dnf",
        "driver-top3",
        "driver-position",
        "driver-circuit-compete",
    ]
    assert rel_f1_task_names(["driver-top3", "driver-top3"]) == ["driver-top3"]


def test_errors_come_before_any_data_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    with pytest.raises(BenchError, match="Unknown rel-f1 task 'driver-wins'; known: driver-dnf"):
        run_rel_f1(missing, ["baseline"], 1, tasks=["driver-dnf", "driver-wins"])
    with pytest.raises(ModelError, match="Unknown model 'gnn9'"):
        run_rel_f1(missing, ["gnn9"], 1)
    with pytest.raises(EvaluationError, match="Unknown protocol 'all'"):
        run_rel_f1(missing, ["baseline"], 1, protocol="all")
    with pytest.raises(SourceError, match="rel-f1 raw data folder not found"):
        run_rel_f1(missing, ["baseline"], 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "driver-wins"], "Unknown rel-f1 task 'driver-wins'"),
        (["--models", "baseline,gnn9"], "Unknown model 'gnn9'"),
        (["--param", "baseline.num_leaves=3"], "baseline has no hyperparameter 'num_leaves'"),
        ([], "rel-f1 raw data folder not found"),
    ],
)
def test_cli_errors_exit_1(args: list[str], message: str, tmp_path: Path) -> None:
    cmd = ["bench", "rel-f1", "--raw", str(tmp_path / "none"), "--models", "baseline", *args]
    result = runner.invoke(app, cmd, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "rel-f1", "--protocol", "all"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["bench", "rel-f1", "--seeds", "0"])
    assert result.exit_code == 2


def test_supporting_models() -> None:
    link = TaskType.link_prediction
    assert supporting_models(link, ["gbdt", "baseline", "gnn", "gbdt"]) == ["baseline", "gnn"]
    assert supporting_models(link, ["gbdt"]) == []
    assert supporting_models(TaskType.regression, ["gbdt", "prior"]) == ["gbdt", "prior"]
    with pytest.raises(ModelError, match="Unknown model 'gnn9'; known: gbdt"):
        supporting_models(link, ["gnn9"])


def test_cli_help_lists_every_model_and_task() -> None:
    result = runner.invoke(app, ["bench", "rel-f1", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    for name in [*MODEL_NAMES, *REL_F1_TASKS]:
        assert name in text, name


@pytest.mark.f1
@pytest.mark.slow  # a benchmark run on rel-f1
def test_tasks_no_model_supports_are_skipped(f1_dir: Path, tmp_path: Path) -> None:
    plan = plan_rel_f1(f1_dir, ["gbdt"], 1, tasks=["driver-top3", "driver-circuit-compete"])
    assert plan.runnable == ["driver-top3"] and plan.runs() == 1
    assert plan.skipped == {
        "driver-circuit-compete": "link_prediction task, which gbdt does not support"
    }
    with pytest.raises(
        BenchError,
        match=r"No task can run with the models given \(gbdt, hybrid\): driver-circuit-compete: "
        r"link_prediction task, which none of gbdt, hybrid supports\. Add a model that "
        r"supports them \(e\.g\. gnn",
    ):
        plan_rel_f1(f1_dir, ["gbdt", "hybrid"], 1, tasks=["driver-circuit-compete"])
    cmd = ["bench", "rel-f1", "--raw", str(f1_dir), "--models", "gbdt", "--seeds", "1"]
    cmd += ["--tasks", "driver-top3,driver-circuit-compete", "--out", str(tmp_path / "out")]
    cmd += ["--param", "gbdt.num_boost_round=5"]
    result = runner.invoke(app, cmd, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert (
        "warning: driver-circuit-compete not run: link_prediction task, which gbdt does not "
        "support." in result.stderr
    )
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {r["task"] for r in doc["results"]} == {"driver-top3"}
    assert doc["skipped"] == plan.skipped
    assert "- `driver-circuit-compete`: link_prediction task, which gbdt does not support." in (
        (tmp_path / "out" / "report.md").read_text()
    )


@pytest.mark.f1
@pytest.mark.slow  # a benchmark run on rel-f1
def test_rel_f1_baselines_report(f1_dir: Path, tmp_path: Path) -> None:
    report = run_rel_f1(f1_dir, ["baseline", "prior"], seeds=1, protocol="both", tasks=SPLIT_SIZES)
    paths = report.write(tmp_path / "report")
    doc = json.loads(paths["json"].read_text())
    assert doc["dataset"] == "rel-f1"
    sizes = {t["task"]: t["split_sizes"] for t in doc["tasks"]}
    assert {name: (s["train"], s["val"], s["test"]) for name, s in sizes.items()} == SPLIT_SIZES
    rows = doc["results"]
    assert {r["task"] for r in rows} == set(SPLIT_SIZES)
    assert {r["protocol"] for r in rows} == {"rolling", "relbench"}
    for r in rows:
        assert r["examples"] == SPLIT_SIZES[r["task"]][1 if r["split"] == "val" else 2]
        assert r["std"] == 0.0 and r["seeds"] == [None]
    auroc = {
        (r["task"], r["model"], r["protocol"]): r["mean"]
        for r in rows
        if r["split"] == "test" and r["metric"] == "auroc"
    }
    assert auroc[("driver-dnf", "prior", "rolling")] == 0.5
    assert auroc[("driver-dnf", "baseline", "rolling")] > 0.75  # own label rate
    assert {p["model"] for p in doc["published"]} >= {"RDL GNN", "LightGBM"}
    md = paths["markdown"].read_text()
    assert "11,411 / 566 / 702" in md and "| RDL GNN | relbench | 0.7262 |" in md


@pytest.mark.f1
@pytest.mark.slow  # a benchmark run on rel-f1
def test_cli_bench_equals_run_rel_f1(f1_dir: Path, tmp_path: Path) -> None:
    cmd = ["bench", "rel-f1", "--raw", str(f1_dir), "--models", "baseline", "--seeds", "1"]
    cmd += ["--tasks", "driver-top3", "--json", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = run_rel_f1(f1_dir, ["baseline"], 1, tasks=["driver-top3"]).to_json()

    def scores(d: dict) -> list[tuple]:
        return [
            (r["task"], r["model"], r["split"], r["metric"], r["protocol"], r["mean"])
            for r in d["results"]
        ]

    assert scores(doc) == scores(expected)
    assert doc["tasks"][0]["split_sizes"] == {"train": 1353, "val": 588, "test": 726}
    assert (tmp_path / "out" / "chart.png").exists()
    table = runner.invoke(app, cmd[:-3])
    assert table.exit_code == 0, table.output
    for text in ("driver-top3", "baseline", "± 0.0000", "RDL GNN", "0.7554", "0.9100 .. 0.9400"):
        assert text in table.stdout
