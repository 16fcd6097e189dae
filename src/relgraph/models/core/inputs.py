"""The one tabular input pipeline (gbdt, icl, and the gnn's seed features):
automatic relational features plus the target's own history, for any examples
of a task."""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from relgraph.engines.base import Engine
from relgraph.engines.spark_examples import attach, distinct_examples, number_examples
from relgraph.engines.spark_views import TempViews
from relgraph.features import FeatureConfig, FeaturePlan
from relgraph.models.core.history import (
    horizon_timedelta,
    reads_earlier_rows,
    target_history,
    target_history_spark,
)
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

#: Feature rows kept, one per (entity, anchor time): the relational features
#: per database (any task over it with the same plan reads the same rows), the
#: target's history per task; each dropped with its owner.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Most rows kept per store (about 100 MB at a hundred features) beside the
#: last call's own rows.
MAX_KEPT_ROWS = 100_000


def _kept_rows(
    owner: object,
    key: tuple,
    wanted: pd.MultiIndex,
    compute: Callable[[pd.DataFrame], pd.DataFrame],
    names: tuple[str, str],
) -> pd.DataFrame:
    """The rows of ``wanted`` (entity, anchor time) kept under ``owner`` and
    ``key``, computing (with ``compute``, on a frame of columns ``names``)
    only those not kept yet."""
    store: dict = _CACHE.setdefault(owner, {})
    kept = store.get(key)
    new = (wanted if kept is None else wanted[~wanted.isin(kept.index)]).unique()
    if len(new):
        rows = pd.DataFrame({names[0]: new.get_level_values(0), names[1]: new.get_level_values(1)})
        computed = compute(rows)
        computed.index = new
        kept = computed if kept is None else pd.concat([kept, computed])
        # bounded: past the size, a long-lived process keeps this call's rows only
        store[key] = kept if len(kept) <= MAX_KEPT_ROWS else kept.loc[wanted.unique()]
    assert kept is not None
    return kept.loc[wanted] if len(wanted) else kept.iloc[:0]


#: The windows of relational features for a target without a time window.
STATIC_FEATURE_HORIZON = pd.Timedelta(days=30)


def feature_horizon(task: Task) -> pd.Timedelta:
    """The base window of the task's relational features: its horizon, or
    :data:`STATIC_FEATURE_HORIZON` for a target without a time window."""
    return horizon_timedelta(task) if task.horizon is not None else STATIC_FEATURE_HORIZON


def uses_target_history(task: Task) -> bool:
    """Whether the target's own past labels are an input: for a windowed
    condition or number (a category's or a ranked list's past is not one
    number), and for a row-level one the table's earlier rows
    (:func:`~relgraph.models.core.history.reads_earlier_rows`)."""
    windowed = task.horizon is not None and task.task_type in (
        TaskType.binary_classification,
        TaskType.regression,
    )
    return windowed or reads_earlier_rows(task)


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

        Rows are kept, one per (entity, anchor time): several seeds or models
        reuse the same feature table, and a later call computes only the rows
        it has not seen. The relational features are kept per database and
        plan, so another query over the same entities reuses them too (a warm
        ``relgraph serve``); the target's history per task. A row depends on
        its own entity and anchor alone, so a kept row is the row computed again.

        ``engine`` runs the features' SQL elsewhere (a
        :class:`~relgraph.engines.SparkEngine` reading the same tables; the
        result is DuckDB's); those rows are not kept."""
        if engine is not None:
            out = self.plan.transform(task.db, examples, cutoff=cutoff, engine=engine)
            if self.use_history and not examples.empty:
                history = target_history(task, examples, cutoff, engine)
                out = pd.concat([out, history], axis=1)
            out.index = examples.index
            return out
        key = task.entity_key
        wanted = pd.MultiIndex.from_arrays(
            [
                examples[key].to_numpy(),
                pd.to_datetime(examples["anchor_time"]).to_numpy(dtype="datetime64[us]"),
            ]
        )
        names = (key, "anchor_time")
        parts = [
            _kept_rows(
                task.source_db,
                ("relational", self._plan_digest(), str(cutoff)),
                wanted,
                lambda rows: self.plan.transform(task.db, rows, cutoff=cutoff),
                names,
            )
        ]
        if self.use_history and len(wanted):
            parts.append(
                _kept_rows(
                    task,
                    ("history", self._fingerprint(), str(cutoff)),
                    wanted,
                    lambda rows: target_history(task, rows, cutoff),
                    names,
                )
            )
        out = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0].copy()
        out.index = examples.index
        return out

    def spark_transform(
        self,
        task: Task,
        entities: Any,
        views: TempViews,
        cutoff: pd.Timestamp | None = None,
    ) -> Any:
        """:meth:`transform` on Spark, for entities that stay there: a Spark
        DataFrame of the entity key, ``anchor_time`` and the feature columns
        (relational, then the target's history), one row per row of
        ``entities``, with the values :meth:`transform` gives (an entity
        category is its raw value, not a pandas ``Categorical``).

        The SQL runs on ``views.engine``, which reads the task's tables under
        their names; ``views`` must stay open until the result is written.
        Only the entities' distinct anchor times come to the driver.

        Example (a session is a JVM)::

            with TempViews(engine) as views:
                entities = spark_entities(task, engine, "2024-12-01")
                inputs.spark_transform(task, entities, views).write.parquet("x/")
        """
        rows = number_examples(views, entities, task.entity_key)
        unique = distinct_examples(rows)
        parts = [self.plan.spark_frame(task.db, unique, views, cutoff)]
        if self.use_history:
            parts.append(target_history_spark(task, unique, views, cutoff))
        return attach(rows, parts, task.entity_key)

    def _plan_digest(self) -> str:
        if not hasattr(self, "_plan_text"):
            self._plan_text = json.dumps(self.plan.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(self._plan_text.encode()).hexdigest()

    def _fingerprint(self) -> str:
        return hashlib.sha256(f"{self._plan_digest()}{self.use_history}".encode()).hexdigest()
