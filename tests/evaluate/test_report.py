"""report.md, results.json and chart.png from evaluations (built by hand: no model runs)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from relgraph.bench.published import PUBLISHED_REL_F1, published_for
from relgraph.evaluate.evaluation import PROTOCOLS, ModelRun, TaskEvaluation
from relgraph.evaluate.report import Report, format_mean_std, format_value


def _evaluation() -> TaskEvaluation:
    ev = TaskEvaluation(
        task="driver-dnf",
        query="PREDICT ... FOR EACH drivers.driverId",
        task_type="binary_classification",
        metrics=["auroc", "ap"],
        val_time="2005-01-01 00:00:00",
        test_time="2010-01-01 00:00:00",
        split_sizes={"train": 11411, "val": 566, "test": 702},
        split_note="",
    )
    for seed, test_auroc in enumerate([0.80, 0.82, 0.84]):
        for protocol, shift in (("rolling", 0.0), ("relbench", -0.05)):
            ev.runs.append(
                ModelRun(
                    "gbdt",
                    protocol,
                    seed,
                    fit_seconds=2.0 + seed,
                    predict_seconds={"val": 0.1, "test": 0.2},
                    scores={
                        "val": {"auroc": 0.75, "ap": 0.9},
                        "test": {"auroc": test_auroc + shift, "ap": math.nan},
                    },
                )
            )
    for protocol in ("rolling", "relbench"):
        ev.runs.append(
            ModelRun(
                "baseline",
                protocol,
                None,
                fit_seconds=0.01,
                predict_seconds={"val": 0.05, "test": 0.05},
                scores={"val": {"auroc": 0.7, "ap": 0.8}, "test": {"auroc": 0.78, "ap": 0.85}},
            )
        )
    return ev


def test_summary_is_mean_and_sample_std_over_seeds() -> None:
    ev = _evaluation()
    s = ev.summary("gbdt", "test", "auroc")
    assert s["per_seed"] == pytest.approx([0.80, 0.82, 0.84])
    assert s["mean"] == pytest.approx(0.82)
    assert s["std"] == pytest.approx(np.std([0.80, 0.82, 0.84], ddof=1))
    assert s["fit_seconds"] == pytest.approx(3.0)
    assert ev.summary("gbdt", "test", "auroc", "relbench")["mean"] == pytest.approx(0.77)
    assert ev.summary("baseline", "test", "auroc")["std"] == 0.0


def test_results_json_shape() -> None:
    report = Report("rel-f1", [_evaluation()], published_for("driver-dnf"))
    doc = json.loads(json.dumps(report.to_json()))  # JSON-clean: NaN became null
    assert doc["dataset"] == "rel-f1"
    assert {"platform", "cpus", "python", "relgraph"} <= set(doc["machine"])
    assert doc["created"][:2] == "20"
    assert set(doc["protocols"]) == {"rolling", "relbench"}
    assert doc["tasks"][0]["split_sizes"] == {"train": 11411, "val": 566, "test": 702}
    rows = doc["results"]
    assert len(rows) == 2 * 2 * 2 * 2  # protocols x models x splits x metrics
    keys = {"task", "model", "split", "metric", "mean", "std", "per_seed"}
    keys |= {"fit_seconds", "predict_seconds", "protocol"}
    assert all(keys <= set(r) for r in rows)
    row = next(
        r
        for r in rows
        if (r["model"], r["split"], r["metric"], r["protocol"])
        == ("gbdt", "test", "auroc", "rolling")
    )
    assert row["mean"] == pytest.approx(0.82) and row["headline"] and row["higher_is_better"]
    assert row["examples"] == 702 and row["seeds"] == [0, 1, 2]
    undefined = [r for r in rows if r["model"] == "gbdt" and r["metric"] == "ap"]
    assert {r["split"]: r["mean"] for r in undefined} == {"val": 0.9, "test": None}
    assert all(r["per_seed"] == [None] * 3 for r in undefined if r["split"] == "test")
    published = doc["published"]
    assert {p["model"] for p in published} >= {"RDL GNN", "LightGBM"}
    assert all(p["split"] == "test" and p["protocol"] in PROTOCOLS for p in published)


def test_write_makes_three_files(tmp_path: Path) -> None:
    report = Report("rel-f1", [_evaluation()], published_for("driver-dnf"))
    paths = report.write(tmp_path / "report")
    assert sorted(p.name for p in paths.values()) == ["chart.png", "report.md", "results.json"]
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["json"].read_text())["results"]
    md = paths["markdown"].read_text()
    for text in (
        "# relgraph evaluation: rel-f1",
        "## driver-dnf",
        "11,411 / 566 / 702",
        "| gbdt | rolling | 0.7500 ± 0.0000 | 0.8200 ± 0.0200 |",
        "| RDL GNN | relbench | 0.7262 |",
        "| in-context foundation models | rolling | 0.8200 .. 0.8500 |",
        "![test auroc per model](chart.png)",
    ):
        assert text in md


def test_format() -> None:
    assert format_value(0.81234, "auroc") == "0.8123"
    assert format_value(2.70312, "mae") == "2.703"
    assert format_value(123.456, "rmse") == "123.5"
    assert format_value(math.nan, "auroc") == "-"
    assert format_value(None, "mae") == "-"
    assert format_mean_std(2.7031, 0.0123, "mae") == "2.703 ± 0.012"
    assert format_mean_std(0.8, 0.0, "map@10") == "0.8000 ± 0.0000"


def test_published_numbers_are_those_of_design_and_issue_5() -> None:
    def values(model: str) -> list[float]:
        return [p.value for p in PUBLISHED_REL_F1 if p.model == model]

    assert values("RDL GNN") == [0.7262, 0.7554, 4.022]
    assert values("LightGBM") == [0.6856, 0.7392, 4.170]
    assert values("RelBench GNN (measured here)") == [0.712, 0.782, 4.435]
    ranges = {p.task: (p.low, p.high) for p in PUBLISHED_REL_F1 if p.low is not None}
    assert ranges == {"driver-dnf": (0.82, 0.85), "driver-top3": (0.91, 0.94)}
    assert all(p.protocol in PROTOCOLS for p in PUBLISHED_REL_F1)
    assert {p.protocol for p in published_for("driver-dnf", "relbench")} == {"relbench"}
