"""Benchmark: predictions on the real-database corpus.

Runs every task of ``benchmarks/corpus/tasks.toml`` (questions a user of each
corpus database would ask, in PQL) through relgraph's evaluation
(:func:`relgraph.evaluate.evaluation.evaluate_models`, rolling protocol, one
seed) and scores, on the test split, each model beside the simple baselines an
analyst tries first:

- relgraph's ``baseline`` (the entity's own labels over its last 12 windows)
  and ``prior`` (the training rate, median, class frequencies or most popular
  targets);
- computed here from the labels: ``last`` (the entity's label in the last
  window that ended by the anchor: "copy last window"), ``past mean`` (its mean
  label over every window that ended by the anchor: its own past label rate for
  a condition, its past class frequencies for a category) and ``global mean``
  (the training labels' mean, regression only). An entity with no past label
  gets the training mean, rate, class frequencies or most popular targets.
  For a row-level target (no window: each entity is labelled once), ``last
  year``: the mean label (or rate) of the rows in the year before the
  example's anchor, strictly before it.

Every score is the task's headline metric as relgraph reports it (AUROC, MAE,
accuracy, MAP@k); the summary says on how many tasks icl is at least the best
simple baseline and the mean gap of icl and gbdt to it, signed so that positive
is better whatever the metric's direction. A task relgraph cannot run today is
reported as skipped with relgraph's own reason, never a crash.

Run::

    python -m benchmarks.corpus_predictions [--db NAME ...] [--task NAME ...]
        [--models icl,gbdt,baseline,prior] [--param gbdt.ensemble_size=1]
        [--json PATH] [--sample-rows N]
"""

from __future__ import annotations

import argparse
import math
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.corpus import CORPUS

TASKS_FILE = Path(__file__).resolve().parent / "corpus" / "tasks.toml"
DEFAULT_MODELS = ("icl", "gbdt", "baseline", "prior")
#: The baselines computed here from the labels (see the module docstring).
SIMPLE = ("last", "past mean", "last year", "global mean")
#: What counts as a simple baseline when picking the best one.
SIMPLE_MODELS = ("baseline", "prior", "history")


@dataclass(frozen=True)
class CorpusTask:
    """One question on one corpus database (a ``[[tasks]]`` entry of tasks.toml)."""

    db: str
    name: str
    question: str
    query: str
    val_time: str = ""
    test_time: str = ""
    needs_own_time: tuple[str, ...] = ()
    expected: str = ""
    caveat: str = ""

    @property
    def label(self) -> str:
        return f"{self.db}/{self.name}"


def load_tasks(path: Path = TASKS_FILE, databases: Any = None) -> list[CorpusTask]:
    """The tasks of a tasks.toml file, checked for known databases (``databases``,
    default the corpus) and fields.

    Example:
        >>> tasks = load_tasks()
        >>> sorted({t.db for t in tasks}) == sorted(CORPUS)
        True
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = set(CorpusTask.__dataclass_fields__)
    out = []
    for i, entry in enumerate(data.get("tasks", [])):
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"{path.name}: task {i} has unknown fields {sorted(unknown)}")
        if entry.get("db") not in (CORPUS if databases is None else databases):
            db = entry.get("db")
            raise ValueError(f"{path.name}: task {i} names no known database ({db!r})")
        entry = {**entry, "needs_own_time": tuple(entry.get("needs_own_time", ()))}
        out.append(CorpusTask(**entry))
    labels = [t.label for t in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{path.name}: task names repeat within a database")
    return out


@dataclass
class TaskResult:
    """One task's outcome: test scores of each model and simple baseline, or why
    it was skipped."""

    task: CorpusTask
    task_type: str = ""
    metric: str = ""
    higher_is_better: bool = True
    scores: dict[str, float] = field(default_factory=dict)
    model_seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Models that do not claim the task's type (shown as n/a, not as errors).
    not_applicable: list[str] = field(default_factory=list)
    split_sizes: dict[str, int] = field(default_factory=dict)
    #: model -> its difference from the best simple baseline with a 95% paired
    #: bootstrap interval over the test examples (signed: positive = better).
    versus_best: dict[str, dict[str, float]] = field(default_factory=dict)
    val_time: str = ""
    test_time: str = ""
    seconds: float = 0.0
    skipped: str = ""

    def best_simple(self) -> tuple[str, float]:
        """The best simple baseline by the headline metric: ``(name, score)``."""
        candidates = (*SIMPLE_MODELS, *SIMPLE)
        names = [n for n in candidates if math.isfinite(self.scores.get(n, math.nan))]
        if not names:
            return "", math.nan
        pick = max if self.higher_is_better else min
        best = pick(names, key=lambda n: self.scores[n])
        return best, self.scores[best]

    def gap(self, model: str) -> float:
        """``model``'s gap to the best simple baseline, relative to it, positive
        when the model is better (NaN when either is missing)."""
        _, best = self.best_simple()
        value = self.scores.get(model, math.nan)
        if not (math.isfinite(best) and math.isfinite(value)) or best == 0:
            return math.nan
        sign = 1.0 if self.higher_is_better else -1.0
        return sign * (value - best) / abs(best)


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def own_time_missing(db: Any, tables: tuple[str, ...]) -> str:
    """Why the labels would mean nothing: a table of ``tables`` that has no time
    column of its own in ``db``'s schema ('' when all have one)."""
    schema = db.schema
    for name in tables:
        table = schema.tables.get(name)
        if table is None:
            return f"{name} is not a table of the database"
        origin = getattr(table, "time_origin", "") or ""
        if table.time_column is None:
            return f"{name} has no time column"
        if origin and not origin.startswith(f"{name}."):
            return f"{name} has no time of its own (relgraph times its rows by {origin})"
    return ""


# ---------------------------------------------------------------- simple baselines
def _history(task: Any, test: pd.DataFrame) -> pd.DataFrame:
    """Each test example's past labels: ``row, past_anchor, label`` for every
    window of the task's step grid that ended by the example's anchor."""
    from relgraph.pql.splits import train_anchors

    step, reach = task.horizon, task.checked.horizon or task.horizon
    grid = train_anchors(task.test_time, step, task.earliest) + task.anchor_times("test")
    ends = {a: reach.add(a) for a in grid}
    grid = [a for a in grid if ends[a] <= task.latest]
    past = task.table_at(grid)
    key = task.entity_key
    past["end"] = past["anchor_time"].map(lambda a: ends[pd.Timestamp(a)])
    rows = test[[key, "anchor_time"]].reset_index(drop=True).rename_axis("row").reset_index()
    joined = rows.merge(past, on=key, suffixes=("", "_past"))
    joined = joined[joined["end"] <= joined["anchor_time"]]  # window over by the anchor
    joined = joined.rename(columns={"anchor_time_past": "past_anchor"})
    return joined[["row", "past_anchor", "label"]]


def _last_year(task: Any, base: pd.DataFrame, fallback: float) -> pd.DataFrame:
    """A row-level target's analyst baseline: the mean label of the rows in
    the year before each example (strictly before its anchor), else the
    train mean."""
    from relgraph.pql.task_type import TaskType

    rows = task.table_at([task.latest])
    times = pd.to_datetime(rows["anchor_time"]).to_numpy()
    order = np.argsort(times, kind="stable")
    times, labels = times[order], rows["label"].to_numpy(dtype=float)[order]
    sums = np.r_[0.0, np.cumsum(labels)]
    t = pd.to_datetime(base["anchor_time"]).to_numpy()
    end = np.searchsorted(times, t, side="left")  # rows strictly before
    start = np.searchsorted(times, t - np.timedelta64(365, "D"), side="left")
    count = end - start
    value = np.where(count > 0, (sums[end] - sums[start]) / np.maximum(count, 1), fallback)
    if task.task_type is TaskType.regression:
        return base.assign(prediction=value)
    return base.assign(probability=value, predicted=(value >= 0.5).astype(int))


def simple_predictions(task: Any, test: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The simple baselines' predictions of ``test`` in the shape relgraph's
    models give them (``probability``, ``prediction``, ``score_<class>`` or
    ``predicted`` lists), keyed by baseline name.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
        >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) "
        ...     "FOR EACH customers.customer_id", val_time="2024-09-01", test_time="2024-11-01")
        >>> sorted(simple_predictions(task, task.table("test")))
        ['global mean', 'last', 'past mean']
    """
    from relgraph.pql.task_type import TaskType

    kind, key = task.task_type, task.entity_key
    train = task.table("train")["label"]
    base = test[[key, "anchor_time"]].reset_index(drop=True)
    n = len(base)
    out: dict[str, pd.DataFrame] = {}
    if kind is TaskType.regression:
        out["global mean"] = base.assign(prediction=float(train.mean()))
    if task.is_static:  # no windows, so no past labels of one's own
        if kind in (TaskType.binary_classification, TaskType.regression):
            out["last year"] = _last_year(task, base, float(train.mean()))
        return out
    hist = _history(task, test).sort_values(["row", "past_anchor"])
    last = hist.groupby("row").tail(1).set_index("row")["label"]
    if kind in (TaskType.binary_classification, TaskType.regression):
        fallback = float(train.mean())
        for name, values in (("last", last), ("past mean", hist.groupby("row")["label"].mean())):
            value = np.full(n, fallback)
            value[values.index.to_numpy(dtype=int)] = values.to_numpy(dtype=float)
            if kind is TaskType.regression:
                out[name] = base.assign(prediction=value)
            else:
                out[name] = base.assign(probability=value, predicted=(value >= 0.5).astype(int))
    elif kind is TaskType.multiclass_classification:
        classes = sorted(train.astype(str).unique())
        prior = train.astype(str).value_counts(normalize=True).reindex(classes).to_numpy()
        hist["label"] = hist["label"].astype(str)
        freq = pd.crosstab(hist["row"], hist["label"], normalize="index")
        one_hot = pd.crosstab(last.index, last.astype(str).to_numpy())
        for name, table in (("last", one_hot), ("past mean", freq)):
            scores = np.tile(prior, (n, 1))
            table = table.reindex(columns=classes, fill_value=0.0)
            scores[table.index.to_numpy(dtype=int)] = table.to_numpy(dtype=float)
            frame = base.assign(predicted=np.asarray(classes)[scores.argmax(axis=1)])
            out[name] = pd.concat(
                [frame, pd.DataFrame(scores, columns=[f"score_{c}" for c in classes])], axis=1
            )
    else:  # link prediction: last window's targets, then the most popular ones
        k = task.k or 10
        popular = [item for item, _ in Counter(i for items in train for i in items).most_common(k)]
        lists = [list(popular) for _ in range(n)]
        for row, items in last.items():
            ranked = list(items) + [i for i in popular if i not in set(items)]
            lists[int(row)] = ranked[:k]
        out["last"] = base.assign(predicted=lists)
    return out


# ---------------------------------------------------------------- running
def run_task(
    ct: CorpusTask,
    models: list[str],
    sample_rows: int | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    databases: dict[str, Any] | None = None,
    connect: Any = None,
) -> TaskResult:
    """Evaluate ``models`` and the simple baselines on one task (test split).

    ``databases`` caches connected databases by name between tasks;
    ``connect(name, sample_rows)`` opens one (default: the corpus). Anything
    relgraph refuses (connect, the query, the splits) makes the task skipped
    with its message; a model that fails leaves its cell empty with the error.
    """
    import relgraph as rg
    from relgraph.errors import RelgraphError
    from relgraph.evaluate.evaluation import evaluate_models, score_predictions
    from relgraph.metrics import metric
    from relgraph.models.registry import make_model

    start = time.perf_counter()
    result = TaskResult(ct)
    databases = {} if databases is None else databases
    try:
        if ct.db not in databases:
            if connect is None:
                databases[ct.db] = rg.connect(CORPUS[ct.db].source(sample_rows=sample_rows))
            else:
                databases[ct.db] = connect(ct.db, sample_rows)
        db = databases[ct.db]
        missing = own_time_missing(db, ct.needs_own_time)
        if missing:
            result.skipped = missing
            return result
        task = rg.Task.from_query(
            db, ct.query, val_time=ct.val_time or None, test_time=ct.test_time or None
        )
        test = task.table("test")
        result.task_type, result.metric = task.task_type.value, task.metrics[0]
        result.higher_is_better = metric(result.metric).higher_is_better
        result.val_time, result.test_time = str(task.val_time), str(task.test_time)
        result.split_sizes = {s: len(task.table(s)) for s in ("train", "val")} | {"test": len(test)}
        if test.empty:
            result.skipped = f"no test examples (test_time {task.test_time})"
            return result
    except (RelgraphError, ValueError) as exc:  # relgraph's own reason, reported
        result.skipped = _first_line(exc)
        return result
    finally:
        result.seconds = time.perf_counter() - start
    predictions: dict[str, pd.DataFrame] = {}
    for name in models:
        if task.task_type not in make_model(name).supported:
            result.not_applicable.append(name)
            continue
        t0 = time.perf_counter()
        try:
            ev = evaluate_models(task, [name], seeds=1, params=params, keep_predictions=True)
            s = ev.summary(name, "test", result.metric)
            result.scores[name] = s["mean"]
            predictions[name] = ev.runs[0].test_predictions
        except RelgraphError as exc:
            result.errors[name] = _first_line(exc)
        result.model_seconds[name] = time.perf_counter() - t0
    for name, preds in simple_predictions(task, test).items():
        result.scores[name] = score_predictions(task, test, preds, [result.metric])[result.metric]
        predictions[name] = preds
    best, _ = result.best_simple()
    for name in models:
        if name in predictions and best in predictions and name != best:
            result.versus_best[name] = versus(task, test, predictions[name], predictions[best])
    result.seconds = time.perf_counter() - start
    return result


#: Bootstrap resamples of each model's difference from the best simple baseline.
RESAMPLES = 200


def versus(
    task: Any, test: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame, resamples: int = RESAMPLES
) -> dict[str, float]:
    """``metric(a) - metric(b)`` on the test split with its 95% paired
    bootstrap interval (the test examples resampled, the same rows for both
    models), signed so that positive means ``a`` is better whatever the
    metric's direction. Resamples where the metric is undefined (one class)
    are skipped."""
    from relgraph.evaluate.evaluation import score_predictions
    from relgraph.metrics import MetricError, metric

    name = task.metrics[0]
    sign = 1.0 if metric(name).higher_is_better else -1.0
    test, a, b = (f.reset_index(drop=True) for f in (test, a, b))

    def difference(rows: np.ndarray) -> float:
        examples = test.iloc[rows].reset_index(drop=True)
        score_a = score_predictions(task, examples, a.iloc[rows].reset_index(drop=True), [name])
        score_b = score_predictions(task, examples, b.iloc[rows].reset_index(drop=True), [name])
        return sign * (score_a[name] - score_b[name])

    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(resamples):
        try:
            diffs.append(difference(rng.integers(0, len(test), len(test))))
        except MetricError:
            continue
    low, high = np.quantile(diffs, [0.025, 0.975]) if diffs else (math.nan, math.nan)
    return {"difference": difference(np.arange(len(test))), "low": low, "high": high}


# ---------------------------------------------------------------- reporting
def summary(results: list[TaskResult], models: list[str]) -> dict[str, Any]:
    """How icl and gbdt compare with the best simple baseline over the tasks
    that ran and carry no caveat."""
    ran = [r for r in results if not r.skipped and not r.task.caveat]
    out: dict[str, Any] = {"tasks_run": len(ran), "skipped": sum(bool(r.skipped) for r in results)}
    for model in ("icl", "gbdt"):
        if model not in models:
            continue
        gaps = [r.gap(model) for r in ran]
        scored = [g for g in gaps if math.isfinite(g)]
        out[model] = {
            "tasks": len(scored),
            "at_least_best_simple": sum(g >= 0 for g in scored),
            "mean_gap": float(np.mean(scored)) if scored else None,
            "worse_than_last": [r.task.label for r in ran if _worse(r, model, "last")],
            "below_beyond_noise": [r.task.label for r in ran if below_beyond_noise(r, model)],
        }
    return out


def below_beyond_noise(r: TaskResult, model: str) -> bool:
    """Whether ``model`` is below the best simple baseline by more than the
    noise of the test split (the whole 95% paired interval below zero)."""
    versus = r.versus_best.get(model)
    return versus is not None and versus["high"] < 0


def _worse(r: TaskResult, model: str, baseline: str) -> bool:
    a, b = r.scores.get(model, math.nan), r.scores.get(baseline, math.nan)
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return a < b if r.higher_is_better else a > b


def _cell(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _score_cell(r: TaskResult, column: str) -> str:
    if column in r.not_applicable:
        return "n/a"
    return "error" if column in r.errors else _cell(r.scores.get(column))


def _not_applicable_notes(results: list[TaskResult]) -> list[str]:
    """One line per (model, task type) left out: the model does not claim that type."""
    seen: dict[tuple[str, str], list[str]] = {}
    for r in results:
        for name in r.not_applicable:
            seen.setdefault((name, r.task_type), []).append(r.task.label)
    return [
        f"- n/a: {name} does not do {kind.replace('_', ' ')} (not in its supported task "
        f"types), so it is not run on {', '.join(labels)}"
        for (name, kind), labels in seen.items()
    ]


def render(results: list[TaskResult], models: list[str]) -> str:
    """The table (markdown), the skipped tasks with their reasons, and the summary."""
    columns = [*models, *SIMPLE]
    head = ["task", "type", "metric", *columns, "best simple", "s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    kinds = {
        "binary_classification": "binary",
        "regression": "regression",
        "multiclass_classification": "multiclass",
        "link_prediction": "link",
    }
    for r in results:
        if r.skipped:
            continue
        best, _ = r.best_simple()
        arrow = "↑" if r.higher_is_better else "↓"
        mark = " (caveat)" if r.task.caveat else ""
        kind = kinds.get(r.task_type, r.task_type)
        cells = [f"{r.task.label}{mark}", kind, f"{r.metric} {arrow}"]
        cells += [_score_cell(r, c) for c in columns]
        cells += [best or "-", f"{r.seconds:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    skipped = [r for r in results if r.skipped]
    if skipped:
        lines += ["", "Skipped:"]
        lines += [f"- {r.task.label}: {r.skipped}" for r in skipped]
    notes = [f"- {r.task.label}: {n}: {e}" for r in results for n, e in r.errors.items()]
    notes += [
        f"- {r.task.label}: caveat: {r.task.caveat}"
        for r in results
        if r.task.caveat and not r.skipped
    ]
    notes += _not_applicable_notes(results)
    if notes:
        lines += ["", "Notes:", *notes]
    s = summary(results, models)
    run, skipped = s["tasks_run"], s["skipped"]
    lines += ["", f"Summary over {run} tasks run without a caveat ({skipped} skipped):"]
    for model in ("icl", "gbdt"):
        if model in s:
            m = s[model]
            gap = "-" if m["mean_gap"] is None else f"{100 * m['mean_gap']:+.1f}%"
            worse = ", ".join(m["worse_than_last"]) or "none"
            beyond = ", ".join(m["below_beyond_noise"]) or "none"
            lines.append(
                f"- {model} >= best simple baseline on {m['at_least_best_simple']}/{m['tasks']} "
                f"tasks; mean gap to it {gap} (positive = better); below it beyond the noise "
                f"(95% paired bootstrap over test examples) on: {beyond}; worse than "
                f"copy-last-window on: {worse}"
            )
    return "\n".join(lines)


def report(results: list[TaskResult], models: list[str], sample_rows: int | None) -> dict[str, Any]:
    """The JSON document: settings, one entry per task, the summary."""

    def clean(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return {
        "sample_rows": sample_rows,
        "models": models,
        "protocol": "rolling",
        "tasks": [
            {
                "db": r.task.db,
                "task": r.task.name,
                "question": r.task.question,
                "query": r.task.query,
                "task_type": r.task_type,
                "metric": r.metric,
                "higher_is_better": r.higher_is_better,
                "val_time": r.val_time,
                "test_time": r.test_time,
                "split_sizes": r.split_sizes,
                "scores": {k: clean(v) for k, v in r.scores.items()},
                "best_simple": r.best_simple()[0],
                "versus_best_simple": r.versus_best,
                "model_seconds": {k: round(v, 1) for k, v in r.model_seconds.items()},
                "errors": r.errors,
                "not_applicable": r.not_applicable,
                "seconds": round(r.seconds, 1),
                "skipped": r.skipped,
                "expected": r.task.expected,
                "caveat": r.task.caveat,
            }
            for r in results
        ],
        "summary": summary(results, models),
    }


def parse_params(values: list[str]) -> dict[str, dict[str, Any]]:
    """``["gbdt.ensemble_size=1"]`` -> ``{"gbdt": {"ensemble_size": 1}}`` (values read
    as numbers when they are)."""
    out: dict[str, dict[str, Any]] = {}
    for item in values:
        name, sep, value = item.partition("=")
        model, dot, key = name.partition(".")
        if not (sep and dot and model and key):
            raise SystemExit(f"--param expects model.name=value (got {item!r})")
        parsed: Any = value
        for kind in (int, float):
            try:
                parsed = kind(value)
                break
            except ValueError:
                continue
        out.setdefault(model, {})[key] = parsed
    return out


def main(argv: list[str] | None = None) -> list[TaskResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", action="append", choices=sorted(CORPUS), help="a database (repeatable; default all)"
    )
    parser.add_argument("--task", action="append", help="a task name (repeatable; default all)")
    parser.add_argument(
        "--models", default=",".join(DEFAULT_MODELS), help="comma-separated relgraph model names"
    )
    parser.add_argument(
        "--param", action="append", default=[], help="model.name=value, e.g. gbdt.ensemble_size=1"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--sample-rows", type=int, default=None, help="keep each table's first N rows (quick runs)"
    )
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    params = parse_params(args.param)
    tasks = [
        t
        for t in load_tasks()
        if (not args.db or t.db in args.db) and (not args.task or t.name in args.task)
    ]
    databases: dict[str, Any] = {}
    results = []
    for t in tasks:
        results.append(run_task(t, models, args.sample_rows, params, databases))
        r = results[-1]
        state = f"skipped: {r.skipped}" if r.skipped else f"{r.seconds:.0f} s"
        print(f"{t.label}: {state}", flush=True)
    print()
    print(render(results, models))
    if args.json is not None:
        from benchmarks.common import write_report

        write_report(args.json, "corpus_predictions", report(results, models, args.sample_rows))
    return results


if __name__ == "__main__":
    main()
