"""``relgraph bench rel-f1``: build rel-f1 from the raw Ergast CSVs once, run
every model on each of its tasks it supports, and set the results beside the
published ones. A task no given model supports is skipped, and the report says
why; only when no task can run is it an error.

Example:
    >>> report = run_rel_f1("../shared/data/f1", ["baseline"], seeds=1)  # doctest: +SKIP
    >>> report.write("report/")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relgraph.bench.published import published_for
from relgraph.bench.rel_f1 import load_rel_f1
from relgraph.bench.rel_f1_tasks import REL_F1_TASKS
from relgraph.errors import RelgraphError
from relgraph.evaluate.evaluation import ProgressHook, evaluate_models, plan_runs, protocols_of
from relgraph.evaluate.report import Report
from relgraph.models.core.base import ModelError
from relgraph.models.registry import MODEL_NAMES, model_class
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

__all__ = [
    "BenchError",
    "RelF1Plan",
    "plan_rel_f1",
    "rel_f1_task_names",
    "run_rel_f1",
    "supporting_models",
]


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


def supporting_models(task_type: TaskType, models: Sequence[str]) -> list[str]:
    """The models of ``models`` (``--models`` names) that can fit a task of ``task_type``.

    Raises:
        ModelError: an unknown model name.
    """
    supported = []
    for name in dict.fromkeys(models):
        if name not in MODEL_NAMES:
            raise ModelError(f"Unknown model {name!r}; known: {', '.join(MODEL_NAMES)}.")
        if task_type in model_class(MODEL_NAMES[name][0]).supported:
            supported.append(name)
    return supported


@dataclass
class RelF1Plan:
    """The rel-f1 tasks built on the data, split into those some given model
    can run and those none can (with why): what :meth:`run` will do, known
    before any model is fitted (``relgraph bench`` sizes its progress bar by it).

    Make one with :func:`plan_rel_f1`.
    """

    tasks: dict[str, Task]
    models: list[str]
    seeds: int | Sequence[int]
    protocol: str
    params: dict[str, dict[str, Any]] | None = None
    #: task name -> why it is not run (no given model supports its task type)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def runnable(self) -> list[str]:
        """The tasks that will run, in order."""
        return [name for name in self.tasks if name not in self.skipped]

    def runs(self) -> int:
        """How many model fits :meth:`run` makes (each seed of each model on each task)."""
        return sum(
            len(
                plan_runs(
                    supporting_models(self.tasks[n].task_type, self.models), self.seeds, self.params
                )
            )
            for n in self.runnable
        )

    def run(self, progress: ProgressHook | None = None) -> Report:
        """Evaluate the models on every runnable task; the report lists the skipped ones."""
        evaluations = [
            evaluate_models(
                self.tasks[name],
                self.models,
                self.seeds,
                self.protocol,
                name=name,
                params=self.params,
                progress=progress,
            )
            for name in self.runnable
        ]
        published = [p for name in self.runnable for p in published_for(name)]
        return Report("rel-f1", evaluations, published, skipped=dict(self.skipped))


def plan_rel_f1(
    raw_dir: str | Path,
    models: Sequence[str],
    seeds: int | Sequence[int] = 5,
    protocol: str = "rolling",
    tasks: Sequence[str] | None = None,
    *,
    params: dict[str, dict[str, Any]] | None = None,
) -> RelF1Plan:
    """Check the arguments, read rel-f1 and build its tasks; decide which run.

    A task no given model supports (``gbdt`` on the link-prediction task
    ``driver-circuit-compete``) is skipped, with the reason in
    :attr:`RelF1Plan.skipped`; it is an error only when no task can run.

    Raises:
        BenchError: an unknown task name, or no task that a given model supports.
        ModelError: an unknown model name.
        EvaluationError: an unknown protocol, or no seeds.
        SourceError: the raw folder or one of its files is missing.
    """
    names = rel_f1_task_names(tasks)
    protocols_of(protocol)
    plan_runs(models, seeds, params)  # unknown models fail before the data is read
    db = load_rel_f1(raw_dir)
    built = {name: REL_F1_TASKS[name].task(db) for name in names}
    plan = RelF1Plan(built, list(dict.fromkeys(models)), seeds, protocol, params)
    for name, task in built.items():
        if not supporting_models(task.task_type, plan.models):
            which = (
                f"{plan.models[0]} does not support"
                if len(plan.models) == 1
                else f"none of {', '.join(plan.models)} supports"
            )
            plan.skipped[name] = f"{task.task_type} task, which {which}"
    if not plan.runnable:
        reasons = "; ".join(f"{name}: {why}" for name, why in plan.skipped.items())
        raise BenchError(
            f"No task can run with the models given ({', '.join(plan.models)}): {reasons}. "
            f"Add a model that supports them (e.g. {_suggestion(built.values())}), or choose "
            "other --tasks."
        )
    return plan


def _suggestion(tasks: Iterable[Task]) -> str:
    """Models that support every task type among ``tasks``."""
    types = {t.task_type for t in tasks}
    fits = [n for n in MODEL_NAMES if all(supporting_models(t, [n]) for t in types)]
    return ", ".join(fits[:3])


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
    """Evaluate ``models`` on the rel-f1 tasks (:func:`plan_rel_f1`, then :meth:`RelF1Plan.run`).

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
        task run, the published figures of those tasks, and the tasks no given
        model supports in ``skipped`` (name -> why).

    Raises:
        BenchError: an unknown task name, or no task a given model supports.
        ModelError: an unknown model name.
        EvaluationError: an unknown protocol, or no seeds.
        SourceError: the raw folder or one of its files is missing.
    """
    plan = plan_rel_f1(raw_dir, models, seeds, protocol, tasks, params=params)
    return plan.run(progress)
