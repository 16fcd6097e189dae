"""The one tabular input pipeline (gbdt, icl, and the gnn's seed features):
automatic relational features plus the target's own history, for any examples
of a task."""

from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import dataclass

import pandas as pd

from relgraph.engines.base import Engine
from relgraph.features import FeatureConfig, FeaturePlan
from relgraph.models.core.history import horizon_timedelta, target_history
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

#: Feature tables per task (dropped with the task).
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _frame_digest(examples: pd.DataFrame, key: str) -> str:
    cols = examples[[key, "anchor_time"]]
    return hashlib.sha256(
        pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes()
    ).hexdigest()


#: The windows of relational features for a target without a time window.
STATIC_FEATURE_HORIZON = pd.Timedelta(days=30)


def feature_horizon(task: Task) -> pd.Timedelta:
    """The base window of the task's relational features: its horizon, or
    :data:`STATIC_FEATURE_HORIZON` for a target without a time window."""
    return horizon_timedelta(task) if task.horizon is not None else STATIC_FEATURE_HORIZON


def uses_target_history(task: Task) -> bool:
    """Whether the target's own past labels are an input: for a windowed
    condition or number (a category's or a ranked list's past is not one number)."""
    return task.horizon is not None and task.task_type in (
        TaskType.binary_classification,
        TaskType.regression,
    )


@dataclass
class TaskInputs:
    """Builds feature tables for examples of one task, leakage-free.

    Fitted once (which columns, which category values) on rows visible at the
    task's ``val_time``; then :meth:`transform` works for any examples.
    """

    plan: FeaturePlan
    use_history: bool

    @classmethod
    def fit(
        cls,
        task: Task,
        config: FeatureConfig | None = None,
        until: pd.Timestamp | None = None,
    ) -> TaskInputs:
        """Choose the features from rows visible at ``until`` (default: the
        task's ``val_time``; never later).

        Example:
            >>> import relgraph as rg
            >>> from relgraph.bench.demo import make_ecommerce
            >>> db = rg.connect(make_ecommerce(scale=0.05))
            >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
            ...                           "FOR EACH customers.customer_id")
            >>> inputs = TaskInputs.fit(task)
            >>> x = inputs.transform(task, task.table("val").head(4))
            >>> len(x), inputs.use_history
            (4, True)
        """
        until = task.val_time if until is None else until
        plan = FeaturePlan.fit(task.db, task.entity_table, feature_horizon(task), until, config)
        return cls(plan, uses_target_history(task))

    def transform(
        self,
        task: Task,
        examples: pd.DataFrame,
        cutoff: pd.Timestamp | None = None,
        engine: Engine | None = None,
    ) -> pd.DataFrame:
        """Features of ``examples`` (entity key, ``anchor_time``), indexed like them.

        Results are cached on the task (several seeds of a model, or several
        models, reuse the same feature table). ``engine`` runs the features'
        SQL elsewhere (a :class:`~relgraph.engines.SparkEngine` reading the
        same tables; the result is DuckDB's) and is not cached."""
        if engine is not None:
            out = self._transform(task, examples, cutoff, engine)
            out.index = examples.index
            return out
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
        self,
        task: Task,
        examples: pd.DataFrame,
        cutoff: pd.Timestamp | None,
        engine: Engine | None = None,
    ) -> pd.DataFrame:
        frame = self.plan.transform(task.db, examples, cutoff=cutoff, engine=engine)
        if not self.use_history or examples.empty:
            return frame
        hist = target_history(task, examples, cutoff, engine)
        return pd.concat([frame, hist], axis=1)
