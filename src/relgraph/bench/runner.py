"""``relgraph bench rel-f1``: build rel-f1 from the raw Ergast CSVs once, run
every model on each of its tasks, and set the results beside the published ones.

Example:
    >>> report = run_rel_f1("../shared/data/f1", ["baseline"], seeds=1)  # doctest: +SKIP
    >>> report.write("report/")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relgraph.bench.published import published_for
from relgraph.bench.rel_f1 import load_rel_f1
from relgraph.bench.rel_f1_tasks import REL_F1_TASKS
from relgraph.errors import RelgraphError
from relgraph.evaluate.evaluation import ProgressHook, evaluate_models, plan_runs, protocols_of
from relgraph.evaluate.report import Report

__all__ = ["BenchError", "rel_f1_task_names", "run_rel_f1"]


class BenchError(RelgraphError):
    """A benchmark cannot run as asked (e.g. an unknown task name)."""


def rel_f1_task_names(tasks: Sequence[str] | None = None) -> list[str]:
    """The rel-f1 tasks to run (all by default), checked.

    Raises:
        BenchError: an unknown task name (the message lists the known ones).
    """
    if not tasks:
        return list(REL_F1_TASKS)
    names = list(dict.fromkeys(tasks))
    unknown = [t for t in names if t not in REL_F1_TASKS]
    if unknown:
        raise BenchError(
            f"Unknown rel-f1 task {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(REL_F1_TASKS)}."
        )
    return names


def run_rel_f1(
    raw_dir: str | Path,
    models: Sequence[str],
    seeds: int | Sequence[int] = 5,
    protocol: str = "rolling",
    tasks: Sequence[str] | None = None,
    *,
    params: dict[str, dict[str, Any]] | None = None,
    progress: ProgressHook | None = None,
) -> Report:
    """Evaluate ``models`` on the rel-f1 tasks.

    Args:
        raw_dir (str | Path): the folder of raw Ergast CSV files.
        models (list[str]): ``--models`` names (``gbdt``, ``baseline``, ...).
        seeds (int | list[int]): seeds per seeded model. (default: ``5``)
        protocol (str): ``'rolling'``, ``'relbench'`` or ``'both'``. (default: ``'rolling'``)
        tasks (list[str], optional): task names (default: every task of
            :data:`~relgraph.bench.rel_f1_tasks.REL_F1_TASKS`).
        params (dict, optional): hyperparameters per model name.
        progress (callable, optional): see :data:`relgraph.evaluate.evaluation.ProgressHook`.

    Returns:
        A :class:`~relgraph.evaluate.report.Report` with one evaluation per
        task and the published figures of those tasks.

    Raises:
        BenchError: an unknown task name.
        ModelError: an unknown model name.
        EvaluationError: an unknown protocol, or no seeds.
        SourceError: the raw folder or one of its files is missing.
    """
    names = rel_f1_task_names(tasks)
    protocols_of(protocol)
    plan_runs(models, seeds, params)  # unknown models fail before the data is read
    db = load_rel_f1(raw_dir)
    evaluations = []
    for name in names:
        task = REL_F1_TASKS[name].task(db)
        evaluations.append(
            evaluate_models(
                task, models, seeds, protocol, name=name, params=params, progress=progress
            )
        )
    published = [p for name in names for p in published_for(name)]
    return Report("rel-f1", evaluations, published)
