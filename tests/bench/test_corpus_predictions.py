"""The prediction tasks on the corpus: tasks.toml parses, every query passes
check on its database (first rows only), the simple baselines on a hand-made
case, and the benchmark end to end on one small task."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from benchmarks import corpus_predictions as cp
from benchmarks.corpus import CORPUS, MissingPackage

import relgraph as rg
from relgraph.errors import PQLError

SAMPLE = 200
MANY_TABLES = 12


def test_tasks_parse_and_cover_the_corpus() -> None:
    tasks = cp.load_tasks()
    per_db = {name: [t for t in tasks if t.db == name] for name in CORPUS}
    assert all(len(ts) >= 2 for ts in per_db.values()), {k: len(v) for k, v in per_db.items()}
    for t in tasks:
        assert t.question and t.query.startswith("PREDICT"), t.label
        rg.pql.parse(t.query)  # every query parses, even one expected to fail today


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "tasks.toml"
    bad.write_text('[[tasks]]\ndb = "movies"\nname = "x"\nquestion = "?"\nquery = "q"\nwhen = 1\n')
    with pytest.raises(ValueError, match="unknown fields"):
        cp.load_tasks(bad)


def _ref(table: str, columns: tuple[str, ...]) -> str:
    return f"{table}.{columns[0]}" if len(columns) == 1 else f"{table}.({', '.join(columns)})"


def _sampled(name: str, tables: set[str], tmp_path: Path) -> Any:
    """The database's first rows, with the documented keys and links declared:
    the first rows of two tables rarely reference each other, so links found on
    the whole database are not found on them. A folder of more than
    ``MANY_TABLES`` tables keeps only ``tables`` and the tables they link to
    (connecting all 27 Lahman tables would take most of the test's time; its
    tasks name every table on their paths)."""
    truth = CORPUS[name].truth()
    try:
        source = CORPUS[name].source(sample_rows=SAMPLE)
    except MissingPackage as exc:
        pytest.skip(str(exc))
    if source.is_dir() and len(truth.tables) > MANY_TABLES:
        tables = tables | {x.dst_table for x in truth.links if x.src_table in tables}
        folder = tmp_path / name
        folder.mkdir()
        for path in source.iterdir():
            if path.name.split(".")[0] in tables:
                shutil.copy(path, folder / path.name)
        source = folder
    else:
        tables = set(truth.tables)
    keys = {t: list(v.key) for t, v in truth.tables.items() if t in tables and v.key}
    links = [
        {"from": _ref(x.src_table, x.src_columns), "to": _ref(x.dst_table, x.dst_columns)}
        for x in truth.links
        if {x.src_table, x.dst_table} <= tables
    ]
    tables_spec = {t: {"primary_key": k} for t, k in keys.items()}
    return rg.connect(source, schema={"tables": tables_spec, "links": links})


@pytest.mark.slow  # connects all ten corpus databases (12 s); the parse test stays fast
def test_every_query_passes_check(tmp_path: Path) -> None:
    tasks = cp.load_tasks()
    for name in CORPUS:
        ts = [t for t in tasks if t.db == name]
        tables = {m for t in ts for m in re.findall(r"(\w+)\.", t.query)}
        db = _sampled(name, tables, tmp_path)
        for t in ts:
            if not t.expected:
                rg.Task.from_query(db, t.query)
                continue
            with contextlib.suppress(PQLError):  # may fail today, with relgraph's own error
                rg.Task.from_query(db, t.query)


def test_simple_baselines_copy_the_last_window() -> None:
    # one customer orders every 30 days, the other never: "last" is exact
    customers = pd.DataFrame({"cid": [1, 2]})
    days = pd.date_range("2024-01-05", periods=12, freq="30D")
    orders = pd.DataFrame({"oid": range(12), "cid": 1, "at": days})
    db = rg.connect({"customers": customers, "orders": orders})
    task = rg.Task.from_query(
        db,
        "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.cid",
        val_time="2024-07-01",
        test_time="2024-09-01",
    )
    test = task.table("test")
    preds = cp.simple_predictions(task, test)
    merged = test.assign(last=preds["last"]["prediction"], mean=preds["past mean"]["prediction"])
    assert (merged["last"] == merged["label"]).all()
    assert merged.loc[merged["cid"] == 2, "mean"].eq(0).all()
    assert preds["global mean"]["prediction"].nunique() == 1


def test_gap_follows_the_metric_direction() -> None:
    task = cp.CorpusTask("movies", "x", "?", "PREDICT ...")
    lower = cp.TaskResult(task, metric="mae", higher_is_better=False)
    lower.scores = {"prior": 2.0, "last": 4.0, "icl": 1.0}
    assert lower.best_simple() == ("prior", 2.0)
    assert lower.gap("icl") == pytest.approx(0.5)
    higher = cp.TaskResult(task, metric="auroc", higher_is_better=True)
    higher.scores = {"prior": 0.5, "last": 0.8, "icl": 0.6}
    assert higher.best_simple() == ("last", 0.8)
    assert higher.gap("icl") == pytest.approx(-0.25)


def test_benchmark_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    # gbdt kept small: the test checks the plumbing, not the model
    argv = ["--db", "chinook", "--task", "customer-spend", "--models", "gbdt,baseline,prior"]
    argv += ["--param", "gbdt.num_boost_round=20", "--param", "gbdt.ensemble_size=1"]
    try:
        results = cp.main([*argv, "--sample-rows", "1000", "--json", str(out)])
    except MissingPackage as exc:
        pytest.skip(str(exc))
    (r,) = results
    assert not r.skipped, r.skipped
    assert set(r.scores) >= {"gbdt", "baseline", "prior", "last", "past mean", "global mean"}
    printed = capsys.readouterr().out
    assert "| chinook/customer-spend | regression | mae ↓ |" in printed
    doc = json.loads(out.read_text())
    assert doc["tasks"][0]["metric"] == "mae" and doc["summary"]["tasks_run"] == 1


def test_a_model_without_the_task_type_is_na_not_an_error() -> None:
    task = cp.CorpusTask("chinook", "genres", "?", "PREDICT ...")
    r = cp.TaskResult(task, task_type="link_prediction", metric="map@3")
    r.scores = {"icl": 0.5, "prior": 0.4}
    r.not_applicable = ["gbdt"]
    text = cp.render([r], ["icl", "gbdt", "prior"])
    row = next(line for line in text.splitlines() if line.startswith("| chinook/genres"))
    assert "| n/a |" in row and "error" not in row
    assert "n/a: gbdt does not do link prediction" in text
    summary = cp.summary([r], ["icl", "gbdt", "prior"])
    assert summary["gbdt"]["tasks"] == 0  # n/a is no score, not a miss
