"""Temporal backtests: fit models on a task's training split, score them on its
validation and test splits, side by side, over several seeds.

Two evaluation protocols (docs/evaluation.md, "Protocols"; docs/rel-f1.md):

- ``rolling``: each example sees all history up to its own anchor time (a
  backtest, as in real use; never a row after the anchor).
- ``relbench``: RelBench's: every model sees the database cut at
  ``test_time``, so a test example anchored later sees history only up to
  ``test_time``.

Fitting does not depend on the protocol (training and validation windows end
by ``test_time``), so with both protocols a model is fitted once per seed,
validation is scored once, and test is predicted under each protocol.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> task = rg.Task.from_query(db, "PREDICT SUM(orders.amount, 0, 30, days) "
    ...                           "FOR EACH customers.customer_id")
    >>> result = evaluate_models(task, ["prior", "history"])
    >>> result.models, result.summary("history", "test", "mae")["std"]
    (['prior', 'history'], 0.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relgraph.errors import RelgraphError
from relgraph.metrics import MetricError, metric
from relgraph.models.core.base import ModelError
from relgraph.models.core.outputs import step_columns
from relgraph.models.core.targets import label_matrix
from relgraph.models.registry import make_model
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

__all__ = [
    "EVAL_SPLITS",
    "PROTOCOLS",
    "EvaluationError",
    "ModelRun",
    "ProgressHook",
    "TaskEvaluation",
    "cutoff_for",
    "evaluate_models",
    "metric_inputs",
    "plan_runs",
    "protocols_of",
    "score_predictions",
]

#: The evaluation protocols, and what each hides (see the module docstring).
PROTOCOLS = ("rolling", "relbench")

#: ``progress(description, advance)``: called with ``advance=0`` when a run
#: starts and ``advance=1`` when it ends (one run = one model and seed).
ProgressHook = Callable[[str, int], None]

EVAL_SPLITS = ("val", "test")


class EvaluationError(RelgraphError):
    """An evaluation cannot run as asked (unknown protocol, no seeds, empty splits)."""


def protocols_of(protocol: str) -> list[str]:
    """``'rolling'``, ``'relbench'`` or ``'both'`` as a list of protocols.

    Raises:
        EvaluationError: any other value.
    """
    if protocol == "both":
        return list(PROTOCOLS)
    if protocol not in PROTOCOLS:
        raise EvaluationError(
            f"Unknown protocol {protocol!r}; expected one of {', '.join([*PROTOCOLS, 'both'])}."
        )
    return [protocol]


def cutoff_for(task: Task, protocol: str) -> pd.Timestamp | None:
    """The ``cutoff`` a model's ``predict`` takes under ``protocol``: ``None``
    (rolling) or the task's ``test_time`` (relbench)."""
    protocols_of(protocol)
    return task.test_time if protocol == "relbench" else None


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """``3`` -> ``[0, 1, 2]``; a list of seeds is kept as given."""
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise EvaluationError(f"Expected at least one seed (got seeds={seeds}).")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise EvaluationError("Expected at least one seed (got an empty list).")
    return out


def plan_runs(
    model_names: Sequence[str],
    seeds: int | Sequence[int] = 1,
    params: dict[str, dict[str, Any]] | None = None,
) -> list[tuple[str, int | None]]:
    """The runs of an evaluation: ``(model name, seed)``; a model without a
    ``seed`` hyperparameter is deterministic and runs once (seed ``None``).

    Raises:
        ModelError: an unknown model name (before any work is done).
        EvaluationError: no model, or no seed.
    """
    names = list(dict.fromkeys(model_names))
    if not names:
        raise EvaluationError("Expected at least one model name (got none).")
    seeds = seed_list(seeds)
    runs: list[tuple[str, int | None]] = []
    for name in names:
        model = make_model(name, **(params or {}).get(name, {}))
        if "seed" in model.get_params():
            runs += [(name, s) for s in seeds]
        else:
            runs.append((name, None))
    return runs


# ---------------------------------------------------------------- scoring
def metric_inputs(
    task: Task, examples: pd.DataFrame, predictions: pd.DataFrame, name: str
) -> tuple[Any, Any, dict[str, Any]]:
    """The ``(y_true, y_pred, kwargs)`` that metric ``name`` takes, from the
    labelled ``examples`` and a model's ``predictions`` of them (same rows, same
    order, as :meth:`Model.predict` returns them).

    By task type: binary scores are ``probability`` and labels ``predicted``;
    regression takes ``prediction``; multiclass labels are ``predicted`` and
    class scores the ``score_<class>`` columns (a class the model never saw
    ranks last); link prediction ranks ``predicted``; multilabel labels are a
    0/1 matrix over the ``score_<label>`` columns' labels, scored by them; a
    forecast's labels and ``step_<i>`` predictions are matrices, one column per window.
    """
    key = task.entity_key
    if len(examples) != len(predictions) or not np.array_equal(
        examples[key].to_numpy(), predictions[key].to_numpy()
    ):
        raise EvaluationError(
            f"Expected one prediction per example, in the same order (got {len(predictions)} "
            f"predictions for {len(examples)} examples)."
        )
    m = metric(name)
    y_true = examples["label"].to_numpy()
    kind = task.task_type
    if kind is TaskType.binary_classification:
        if m.input == "score":
            return y_true, predictions["probability"].to_numpy(dtype=float), {}
        return y_true, predictions["predicted"].to_numpy(), {}
    if kind is TaskType.regression:
        return y_true.astype(float), predictions["prediction"].to_numpy(dtype=float), {}
    if kind is TaskType.multiclass_classification:
        truth = examples["label"].astype(str).to_numpy()
        if m.input == "class_scores":
            columns = [c for c in predictions.columns if c.startswith("score_")]
            classes = [c.removeprefix("score_") for c in columns]
            scores = predictions[columns].to_numpy(dtype=float)
            unseen = sorted(set(truth) - set(classes))
            if unseen:  # classes the model cannot score rank below every known class
                scores = np.hstack([scores, np.full((len(scores), len(unseen)), -np.inf)])
                classes += unseen
            return truth, scores, {"classes": classes}
        return truth, predictions["predicted"].astype(str).to_numpy(), {}
    if kind is TaskType.forecast:
        # one column per window, first window first
        truth = np.array(examples["label"].tolist(), dtype=float).reshape(len(examples), -1)
        return truth, predictions[step_columns(predictions)].to_numpy(dtype=float), {}
    if kind is TaskType.multilabel_classification:
        # the model's fixed labels; keys outside them are not scored
        columns = [c for c in predictions.columns if c.startswith("score_")]
        classes = [c.removeprefix("score_") for c in columns]
        truth = label_matrix(examples["label"], classes)
        return truth, predictions[columns].to_numpy(dtype=float).reshape(truth.shape), {}
    return list(examples["label"]), list(predictions["predicted"]), {}


def score_predictions(
    task: Task,
    examples: pd.DataFrame,
    predictions: pd.DataFrame,
    metrics: Sequence[str] | None = None,
) -> dict[str, float]:
    """The task's metrics (or ``metrics``) of ``predictions`` against the labels
    of ``examples``. A metric that is undefined on these labels (e.g. AUROC
    with one class only) is NaN.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> from relgraph.models.registry import make_model
        >>> db = rg.connect(make_ecommerce(scale=0.05))
        >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
        ...                           "FOR EACH customers.customer_id")
        >>> test = task.table("test")
        >>> preds = make_model("prior").fit(task).predict(test)
        >>> score_predictions(task, test, preds)["auroc"]
        0.5
    """
    out = {}
    for name in metrics or task.metrics:
        y_true, y_pred, kwargs = metric_inputs(task, examples, predictions, name)
        try:
            out[name] = float(metric(name).fn(y_true, y_pred, **kwargs))
        except MetricError:
            out[name] = math.nan
    return out


# ---------------------------------------------------------------- results
@dataclass
class ModelRun:
    """One model fitted with one seed, scored under one protocol.

    Attributes:
        model (str): the model name (``--models``).
        protocol (str): ``'rolling'`` or ``'relbench'``.
        seed (int | None): ``None`` for a deterministic model (run once).
        fit_seconds (float): time to fit (features included).
        predict_seconds (dict[str, float]): per split.
        scores (dict[str, dict[str, float]]): split -> metric -> value.
        test_predictions (pd.DataFrame | None): the test predictions, kept
            with ``evaluate_models(..., keep_predictions=True)`` (for paired
            comparisons on the same examples); not part of reports.
    """

    model: str
    protocol: str
    seed: int | None
    fit_seconds: float
    predict_seconds: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    test_predictions: pd.DataFrame | None = field(default=None, repr=False, compare=False)


@dataclass
class TaskEvaluation:
    """Every run of every model on one task, with what the report needs."""

    task: str
    query: str
    task_type: str
    metrics: list[str]
    val_time: str
    test_time: str
    split_sizes: dict[str, int]
    split_note: str = ""
    runs: list[ModelRun] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(r.model for r in self.runs))

    @property
    def protocols(self) -> list[str]:
        return list(dict.fromkeys(r.protocol for r in self.runs))

    @property
    def headline(self) -> str:
        return self.metrics[0]

    def summary(
        self, model: str, split: str, name: str, protocol: str | None = None
    ) -> dict[str, Any]:
        """Mean, std (over seeds; 0 for one run), per-seed values and timings of
        ``model`` on ``split`` for metric ``name`` (the first protocol by default)."""
        protocol = protocol or self.protocols[0]
        runs = [r for r in self.runs if r.model == model and r.protocol == protocol]
        if not runs:
            raise EvaluationError(
                f"No run of {model!r} under protocol {protocol!r} on {self.task!r} "
                f"(models: {', '.join(self.models)}; protocols: {', '.join(self.protocols)})."
            )
        values = [r.scores.get(split, {}).get(name, math.nan) for r in runs]
        finite = np.isfinite(values).all()
        return {
            "mean": float(np.mean(values)) if finite else math.nan,
            "std": float(np.std(values, ddof=1)) if finite and len(values) > 1 else 0.0,
            "per_seed": values,
            "seeds": [r.seed for r in runs],
            "fit_seconds": float(np.mean([r.fit_seconds for r in runs])),
            "predict_seconds": float(np.mean([r.predict_seconds.get(split, 0.0) for r in runs])),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per model, protocol, split and metric (the shape of ``results.json``)."""
        rows = []
        for protocol in self.protocols:
            for model in self.models:
                if not any(r.model == model and r.protocol == protocol for r in self.runs):
                    continue
                for split in EVAL_SPLITS:
                    for name in self.metrics:
                        s = self.summary(model, split, name, protocol)
                        rows.append(
                            {
                                "task": self.task,
                                "model": model,
                                "split": split,
                                "metric": name,
                                "mean": _json_float(s["mean"]),
                                "std": _json_float(s["std"]),
                                "per_seed": [_json_float(v) for v in s["per_seed"]],
                                "seeds": s["seeds"],
                                "fit_seconds": round(s["fit_seconds"], 4),
                                "predict_seconds": round(s["predict_seconds"], 4),
                                "protocol": protocol,
                                "examples": self.split_sizes.get(split, 0),
                                "headline": name == self.headline,
                                "higher_is_better": metric(name).higher_is_better,
                            }
                        )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The task's facts (query, type, split times and sizes) without the rows."""
        return {
            "task": self.task,
            "query": self.query,
            "task_type": self.task_type,
            "metrics": self.metrics,
            "val_time": self.val_time,
            "test_time": self.test_time,
            "split_sizes": self.split_sizes,
            "split_note": self.split_note,
        }


def _json_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# ---------------------------------------------------------------- running
def evaluate_models(
    task: Task,
    model_names: Sequence[str],
    seeds: int | Sequence[int] = 1,
    protocol: str = "rolling",
    *,
    name: str | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    progress: ProgressHook | None = None,
    keep_predictions: bool = False,
) -> TaskEvaluation:
    """Fit each model per seed on ``task``, predict its validation and test
    splits, and record every metric with fit and predict seconds.

    Args:
        task (Task): the task (its splits are the backtest).
        model_names (list[str]): ``--models`` names (``gbdt``, ``baseline``, ...).
        seeds (int | list[int]): how many seeds (``0..n-1``) or which. A model
            without a ``seed`` hyperparameter runs once and reports std 0.
            (default: ``1``)
        protocol (str): ``'rolling'``, ``'relbench'`` or ``'both'``. (default: ``'rolling'``)
        name (str, optional): the task's name in reports (default: the query).
        params (dict, optional): hyperparameters per model name, e.g.
            ``{"gbdt": {"num_boost_round": 30}}``.
        progress (callable, optional): ``progress(description, advance)``, see
            :data:`ProgressHook`.
        keep_predictions (bool): keep each run's test predictions in
            :attr:`ModelRun.test_predictions`. (default: ``False``)

    Raises:
        ModelError: an unknown model name, or a model that cannot fit the task.
        EvaluationError: an unknown protocol, no seeds, an empty test split.
    """
    protocols = protocols_of(protocol)
    runs = plan_runs(model_names, seeds, params)
    tables = {split: task.table(split) for split in EVAL_SPLITS}
    if tables["test"].empty:
        raise EvaluationError(
            f"The test split has no labelled examples (test_time {task.test_time}); "
            "choose an earlier --test-time."
        )
    result = TaskEvaluation(
        task=name or task.query.to_pql(),
        query=task.query.to_pql(),
        task_type=task.task_type.value,
        metrics=task.metrics,
        val_time=str(task.val_time),
        test_time=str(task.test_time),
        split_sizes={"train": len(task.table("train"))} | {s: len(t) for s, t in tables.items()},
        split_note=task.split_note,
    )
    unsupported = sorted({m for m, _ in runs if task.task_type not in make_model(m).supported})
    if unsupported and len(unsupported) == len({m for m, _ in runs}):
        raise ModelError(
            f"No model given supports {task.task_type} tasks ({', '.join(unsupported)} do not)."
        )
    if unsupported:  # a benchmark mixes task types: leave those models out, and say so
        note = f"not run ({task.task_type} is not supported): {', '.join(unsupported)}"
        result.split_note = f"{result.split_note}; {note}" if result.split_note else note
    for model_name, seed in runs:
        if model_name in unsupported:
            continue
        label = f"{result.task}: {model_name}" + (f" seed {seed}" if seed is not None else "")
        if progress is not None:
            progress(label, 0)
        extra = dict((params or {}).get(model_name, {}))
        if seed is not None:
            extra["seed"] = seed
        model = make_model(model_name, **extra).fit(task)
        shared_seconds: dict[str, float] = {}
        shared_scores: dict[str, dict[str, float]] = {}
        if not tables["val"].empty:  # the same under every protocol
            seconds, scores, _ = _predict_and_score(task, model, tables["val"], None)
            shared_seconds["val"], shared_scores["val"] = seconds, scores
        for p in protocols:
            cutoff = cutoff_for(task, p)
            seconds, scores, predictions = _predict_and_score(task, model, tables["test"], cutoff)
            result.runs.append(
                ModelRun(
                    model=model_name,
                    protocol=p,
                    seed=seed,
                    fit_seconds=float(model.fit_seconds_),
                    predict_seconds={**shared_seconds, "test": seconds},
                    scores={**shared_scores, "test": scores},
                    test_predictions=predictions if keep_predictions else None,
                )
            )
        if progress is not None:
            progress(label, 1)
    return result


def _predict_and_score(
    task: Task, model: Any, examples: pd.DataFrame, cutoff: pd.Timestamp | None
) -> tuple[float, dict[str, float], pd.DataFrame]:
    start = time.perf_counter()
    predictions = model.predict(examples, cutoff=cutoff)
    seconds = time.perf_counter() - start
    return seconds, score_predictions(task, examples, predictions), predictions
