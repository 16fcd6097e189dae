"""The tabular input of the gbdt model (and of the icl model later): automatic
relational features plus the target's own history, for any examples of a task."""

from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import dataclass

import pandas as pd

from relgraph.features import FeatureConfig, FeaturePlan, label_history_features, past_anchors
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

#: How many past horizons of the target's own history are labelled.
HISTORY_WINDOWS = 24

#: Feature tables per task (dropped with the task).
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _frame_digest(examples: pd.DataFrame, key: str) -> str:
    cols = examples[[key, "anchor_time"]]
    return hashlib.sha256(
        pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes()
    ).hexdigest()


def horizon_timedelta(task: Task) -> pd.Timedelta:
    """The task's step between anchors as a Timedelta (months as 30.44 days)."""
    if task.horizon is None:
        raise ValueError("A target without a time window has no horizon.")
    return pd.Timedelta(seconds=task.horizon.seconds)


@dataclass
class TaskInputs:
    """Builds feature tables for examples of one task, leakage-free.

    Fitted once (which columns, which category values) on rows visible at the
    task's ``val_time``; then :meth:`transform` works for any examples.
    """

    plan: FeaturePlan
    use_history: bool

    @classmethod
    def fit(cls, task: Task, config: FeatureConfig | None = None) -> TaskInputs:
        horizon = horizon_timedelta(task) if task.horizon is not None else pd.Timedelta(days=30)
        plan = FeaturePlan.fit(task.db, task.entity_table, horizon, task.val_time, config)
        use_history = task.horizon is not None and task.task_type in (
            TaskType.binary_classification,
            TaskType.regression,
        )
        return cls(plan, use_history)

    def transform(
        self, task: Task, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Features of ``examples`` (entity key, ``anchor_time``), indexed like them.

        Results are cached on the task (several seeds of a model, or several
        models, reuse the same feature table)."""
        cache = _CACHE.setdefault(task, {})
        key = (self._fingerprint(), str(cutoff), _frame_digest(examples, task.entity_key))
        if key not in cache:
            cache[key] = self._transform(task, examples, cutoff)
        out = cache[key].copy()
        out.index = examples.index
        return out

    def _fingerprint(self) -> str:
        if not hasattr(self, "_digest"):
            text = json.dumps(self.plan.to_dict(), sort_keys=True, default=str)
            self._digest = hashlib.sha256(f"{text}{self.use_history}".encode()).hexdigest()
        return self._digest

    def _transform(
        self, task: Task, examples: pd.DataFrame, cutoff: pd.Timestamp | None
    ) -> pd.DataFrame:
        frame = self.plan.transform(task.db, examples, cutoff=cutoff)
        if not self.use_history or examples.empty:
            return frame
        hist = target_history(task, examples, cutoff)
        return pd.concat([frame, hist], axis=1)


def target_history(
    task: Task, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The target's own history at each example (``target.*`` columns of
    :func:`~relgraph.features.label_history_features`): the same query's
    labels at the last :data:`HISTORY_WINDOWS` earlier anchors, as far as they
    are known at the example's anchor (and by ``cutoff``). Indexed like ``examples``.
    """
    horizon = horizon_timedelta(task)
    anchors = past_anchors(
        examples["anchor_time"], horizon, HISTORY_WINDOWS, earliest=task.earliest
    )
    history = task.table_at(anchors) if anchors else examples.iloc[:0].assign(label=0.0)
    return label_history_features(history, examples, task.entity_key, horizon, cutoff=cutoff)
