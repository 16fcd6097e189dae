"""A :class:`Task`: a checked query on a database, with its temporal splits and
labelled training tables.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> task = rg.Task.from_query(
    ...     db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
    ...     val_time="2024-09-01", test_time="2024-11-01")
    >>> task.task_type.value, task.metrics[0], str(task.horizon)
    ('binary_classification', 'auroc', '30 days')
    >>> [str(t.date()) for t in task.anchor_times("val")]
    ['2024-09-01', '2024-10-01']
    >>> list(task.table("val").columns)
    ['customer_id', 'anchor_time', 'label']
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from relgraph.db.schema import Link
from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.errors import PQLError
from relgraph.pql import ast
from relgraph.pql.categories import category_sets
from relgraph.pql.checker import CheckedQuery, check
from relgraph.pql.compiler import compile_entity_anchored, compile_static, compile_windowed
from relgraph.pql.duration import Duration
from relgraph.pql.granularity import window_notes
from relgraph.pql.parser import parse
from relgraph.pql.splits import (
    SPLITS,
    TIMELESS_ANCHOR,
    SplitTimes,
    choose_split_times,
    choose_static_split_times,
    database_time_range,
    eval_anchors,
    key_split,
    table_time_end,
    train_anchors,
)
from relgraph.pql.task_type import TaskType

__all__ = ["Task"]

TimeLike = str | pd.Timestamp | np.datetime64 | Any


def _timestamp(value: TimeLike, what: str) -> pd.Timestamp:
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise PQLError(
            f"Cannot read {what} {value!r} as a date or time; e.g. '2024-06-01'."
        ) from None
    if pd.isna(t):
        raise PQLError(f"Expected a date or time for {what} (got {value!r}).")
    if t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return t


class Task:
    """A predictive query bound to a database: task type, metrics, splits, tables.

    Make one with :meth:`from_query`. Labelled examples come from
    :meth:`table` (a split) or :meth:`table_at` (any anchor times), as a
    DataFrame with the entity key, ``anchor_time`` and ``label``. Their SQL
    runs on ``source_db``'s DuckDB connection, or on the ``engine=`` given
    (a :class:`~relgraph.engines.SparkEngine` reading the same tables): the
    query is checked and the split times chosen on ``source_db`` either way.

    Models read ``task.db``: the database with the target's own columns hidden
    (see :meth:`~relgraph.db.database.Database.without_columns`) when the
    target has no time window, since then no anchor time keeps the answer out.
    Labels are computed from ``task.source_db``, the database as given.

    Attributes:
        db (Database): what models may read.
        source_db (Database): the database the task was made on.
        query (ast.Query): the parsed query.
        checked (CheckedQuery): the query resolved against the schema.
        task_type (TaskType): binary classification, regression, multiclass
            classification, link prediction, multilabel classification or forecast.
        metrics (list[str]): metric names, headline first.
        horizon (Duration | None): the step between anchors (``None`` for a
            target without a window).
        val_time, test_time (pd.Timestamp): the split times.
        earliest, latest (pd.Timestamp): the database's time range.
        split_note (str): how the split times were chosen when not given ('' otherwise).
    """

    def __init__(
        self,
        db: Any,
        checked: CheckedQuery,
        *,
        val_time: pd.Timestamp | None = None,
        test_time: pd.Timestamp | None = None,
        horizon: Duration | None = None,
        anchor: str = "grid",
    ) -> None:
        self.source_db = db
        #: ``"grid"``: anchors every horizon; ``"entity"``: each entity at its own time.
        self.anchor = anchor
        self.checked = checked
        hidden = target_columns(checked)
        self.db = db.without_columns(hidden) if hidden else db
        self.query = checked.query
        self.horizon = horizon
        self._val_time = val_time
        self._test_time = test_time
        self._notes: list[str] = []
        #: Warnings about the target's windows (one that drifts against a
        #: table of whole years or months), also in :attr:`split_note`.
        self.window_notes: list[str] = []
        self._tables: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------ construction
    @classmethod
    def from_query(
        cls,
        db: Any,
        query: str | ast.Query,
        *,
        val_time: TimeLike | None = None,
        test_time: TimeLike | None = None,
        horizon: str | Duration | None = None,
        anchor: str = "grid",
    ) -> Task:
        """Parse and check ``query`` against ``db``.

        The split times are fixed when first needed (``table``,
        ``anchor_times``, ``val_time``, ``split_note``...); ``table_at`` needs none.

        Args:
            db (Database): the database (``relgraph.connect(...)``).
            query (str | ast.Query): the PQL query.
            val_time (str | Timestamp, optional): start of validation; chosen
                from the data when not given (see ``split_note``).
            test_time (str | Timestamp, optional): start of test; likewise.
            horizon (str | Duration, optional): step between anchor times, e.g.
                ``"30d"``; defaults to the target window's length (its end).
            anchor (str): ``"grid"``: every entity at anchors one horizon apart;
                ``"entity"``: each entity once, at its own time (Kumo's
                ``anchor_time='entity'``: will a new customer order within 30
                days of signing up?); a split keeps the entities whose target
                window ends by its end. (default: ``"grid"``)

        Raises:
            PQLSyntaxError: the query does not parse.
            PQLSemanticError: it does not fit the schema.
            PQLError: a horizon or split time that cannot be read (split times
                that cannot work raise when the splits are first needed).
        """
        q = parse(query) if isinstance(query, str) else query
        checked = check(q, db.schema, db.con)
        if anchor not in ("grid", "entity"):
            raise PQLError(f"anchor must be 'grid' or 'entity' (got {anchor!r}).")
        entity_time = db.schema.tables[checked.entity_table].time_column
        if anchor == "entity" and not checked.is_static and entity_time is None:
            raise PQLError(
                f"anchor='entity' anchors each {checked.entity_table} row at its own time, but "
                f"{checked.entity_table} has no time column; set one with "
                f"db.set_time_column({checked.entity_table!r}, <column>)."
            )
        step = None
        if not checked.is_static:
            step = Duration.parse(horizon) if horizon is not None else checked.horizon
        task = cls(
            db,
            checked,
            val_time=_timestamp(val_time, "val_time") if val_time is not None else None,
            test_time=_timestamp(test_time, "test_time") if test_time is not None else None,
            horizon=step,
            anchor="grid" if checked.is_static else anchor,  # static: entity-anchored already
        )
        if checked.is_static and horizon is not None:
            task._notes.append("the horizon is ignored: the target has no time window")
        task.window_notes = window_notes(checked, db)
        if (
            checked.horizon is not None
            and step is not None
            and step.seconds < checked.horizon.seconds
        ):
            task._notes.append(
                f"the horizon {step} is shorter than the target window (up to "
                f"{checked.horizon}): the last training windows reach past val_time"
            )
        return task

    def with_query(self, query: ast.Query) -> Task:
        """Another question on the same database, with this task's split
        times (fixed now, if they were not), horizon and anchors: a forecast's
        window, a ranking's ``CLASSIFY`` form.

        Example:
            >>> import relgraph as rg
            >>> from relgraph.bench.demo import make_ecommerce
            >>> db = rg.connect(make_ecommerce(scale=0.05))
            >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) "
            ...                           "FOR EACH customers.customer_id")
            >>> spend = rg.pql.parse("PREDICT SUM(orders.amount, 0, 30, days) "
            ...                      "FOR EACH customers.customer_id")
            >>> other = task.with_query(spend)
            >>> (other.val_time, other.horizon) == (task.val_time, task.horizon)
            True
        """
        return Task.from_query(
            self.source_db,
            query,
            val_time=self.val_time,
            test_time=self.test_time,
            horizon=self.horizon,
            anchor=self.anchor,
        )

    # ------------------------------------------------------------ splits (when first needed)
    @functools.cached_property
    def _time_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        try:
            return database_time_range(self.db)
        except PQLError:
            if not self.splits_by_key:
                raise
            return TIMELESS_ANCHOR, TIMELESS_ANCHOR

    @property
    def splits_by_key(self) -> bool:
        """True when the entities have no time to split at (a target without a
        window on an entity table without a time column): the splits take
        80% / 10% / 10% of them by a hash of the key, all at one anchor, the
        latest time (:data:`~relgraph.pql.splits.TIMELESS_ANCHOR` in a database
        without any time)."""
        return self.is_static and self.db.schema.tables[self.entity_table].time_column is None

    @functools.cached_property
    def _split_times(self) -> SplitTimes:
        if self.splits_by_key:
            latest = self._time_range[1]
            given = (
                " (the val_time and test_time given are not used)"
                if (self._val_time is not None or self._test_time is not None)
                else ""
            )
            note = (
                f"{self.entity_table} has no time column: examples split by a hash of "
                f"{self.entity_key}, 80% train, 10% val, 10% test, all at {latest}{given}"
            )
            return SplitTimes(latest, latest, note)
        earliest, latest = self._time_range
        if not self.is_static:
            latest = self.labels_end
        if self.is_static:
            times = pd.Series([], dtype="datetime64[us]")
            entity = self.db.schema.tables[self.entity_table]
            if entity.time_column is not None and (
                self._val_time is None or self._test_time is None
            ):
                # the times of the entities labelled by the end of the data
                times = self.table_at([latest])["anchor_time"]
            return choose_static_split_times(
                times, earliest, latest, self._val_time, self._test_time
            )
        assert self.horizon is not None
        return choose_split_times(earliest, latest, self.horizon, self._val_time, self._test_time)

    @property
    def earliest(self) -> pd.Timestamp:
        """The earliest timestamp in the database (over all time columns)."""
        return self._time_range[0]

    @property
    def latest(self) -> pd.Timestamp:
        """The latest timestamp in the database (over all time columns)."""
        return self._time_range[1]

    @functools.cached_property
    def labels_end(self) -> pd.Timestamp:
        """The latest time a window of this target is recorded to: the
        database's latest time, or earlier, the last time of a table the
        target aggregates when that table ends first (a window past it is not
        recorded yet, not empty: its label would read 0). Split anchors, the
        in-context examples and the target's own history stop there.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> orders = pd.DataFrame({"order_id": [1, 2], "customer_id": [1, 1],
            ...     "at": pd.to_datetime(["2024-01-05", "2024-03-01"])})
            >>> visits = pd.DataFrame({"visit_id": [1], "customer_id": [1],
            ...     "at": pd.to_datetime(["2024-09-30"])})
            >>> customers = pd.DataFrame({"customer_id": [1]})
            >>> db = rg.connect({"customers": customers, "orders": orders, "visits": visits})
            >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 7, days) "
            ...                           "FOR EACH customers.customer_id")
            >>> str(task.latest), str(task.labels_end)
            ('2024-09-30 00:00:00', '2024-03-01 00:00:00')
        """
        latest = self._time_range[1]
        if self.is_static:
            return latest
        ends = [
            table_time_end(self.db, e.table)
            for e in ast.expressions(self.query.target)
            if isinstance(e, ast.Aggregation)
        ]
        return min([latest, *[e for e in ends if e is not None]])

    def unrecorded_note(self, anchor: pd.Timestamp) -> str:
        """What an anchor past :attr:`labels_end` means for a prediction there,
        with the anchor to use instead ("" for an anchor within it)."""
        if self.is_static or self.labels_end >= anchor:
            return ""
        end = self.labels_end
        return (
            f"the target's table ends at {end}, before this anchor: its windows after that "
            "read as 0, in the context and in each entity's history; "
            f"--anchor-time {end} predicts from the last recorded data"
        )

    @property
    def val_time(self) -> pd.Timestamp:
        """Start of validation (given, or chosen from the data)."""
        return self._split_times.val_time

    @property
    def test_time(self) -> pd.Timestamp:
        """Start of test (given, or chosen from the data)."""
        return self._split_times.test_time

    @property
    def split_note(self) -> str:
        """How the split times were chosen when not given, and warnings ('' when none)."""
        notes = (self._split_times.note, *self._notes, *self.window_notes)
        return "; ".join([n for n in notes if n])

    # ------------------------------------------------------------ facts
    @property
    def task_type(self) -> TaskType:
        return self.checked.task_type

    @property
    def metrics(self) -> list[str]:
        return list(self.checked.metrics)

    @property
    def entity_table(self) -> str:
        return self.checked.entity_table

    @property
    def entity_key(self) -> str:
        return self.checked.entity_key

    @property
    def k(self) -> int | None:
        """``k`` of ``RANK TOP k`` (link prediction)."""
        return self.checked.k

    @property
    def steps(self) -> int | None:
        """``n`` of ``FORECAST n TIMEFRAMES``: the windows a forecast predicts."""
        return self.checked.steps

    @property
    def target_link(self) -> Link | None:
        """For link prediction: the foreign key whose values are ranked."""
        return self.checked.list_link

    @property
    def is_static(self) -> bool:
        """True for a target without a time window (anchored at each entity's own time)."""
        return self.checked.is_static

    def __repr__(self) -> str:
        return (
            f"Task({self.query.to_pql()!r}, task_type={self.task_type.value}, "
            f"val_time={self.val_time}, test_time={self.test_time}, horizon={self.horizon})"
        )

    # ------------------------------------------------------------ anchors
    def anchor_times(self, split: str) -> list[pd.Timestamp]:
        """The anchor times of ``split`` (``'train'``, ``'val'`` or ``'test'``), in time order.

        For a target without a window, the one cutoff of the split: its
        examples are the entities created in the split's period, labelled from
        the rows that exist by this time (see :meth:`table`).
        """
        _check_split(split)
        if self.splits_by_key:
            return [self.latest]
        if self.is_static or self.anchor == "entity":
            return [{"train": self.val_time, "val": self.test_time, "test": self.latest}[split]]
        assert self.horizon is not None
        if split == "train":
            return sorted(train_anchors(self.val_time, self.horizon, self.earliest))
        if split == "val":
            return eval_anchors(self.val_time, min(self.test_time, self.labels_end), self.horizon)
        return eval_anchors(self.test_time, self.labels_end, self.horizon)

    def split_start(self, split: str) -> pd.Timestamp | None:
        """Where ``split``'s examples start for a target without a window
        (``since`` of :meth:`table_at`): ``None`` for train, ``val_time``,
        ``test_time``."""
        _check_split(split)
        return {"train": None, "val": self.val_time, "test": self.test_time}[split]

    def entities_at(self, anchor_time: Any) -> pd.DataFrame:
        """The examples to predict at ``anchor_time``: ``<entity key>, anchor_time``.

        Entities are the rows of the entity table that exist at the anchor (time
        at or before it; every row of a static table), restricted to the ids of
        ``FOR t.pk = v`` / ``IN (...)`` and, for a windowed target, to those that
        pass the query's ``WHERE`` at the anchor. ``ASSUMING`` (a condition on the
        future) is not applied: the prediction is read as conditional on it.

        The ``WHERE`` filter runs the query's own SQL: the target is replaced by a
        ``COUNT`` over the target's first aggregation, which is never NULL, so
        every entity that passes ``WHERE`` gets a row.
        """
        anchor = pd.Timestamp(anchor_time)
        query = self.query
        key = self.entity_key
        probe = self._entity_probe()
        if probe is not None:
            table = probe.table_at([anchor])
            return table[[key, "anchor_time"]].reset_index(drop=True)
        # a target without a window: the entities created by the anchor, and the given ids
        entity = self.db.schema.tables[self.entity_table]
        frame = self.db.table(self.entity_table)
        keep = frame[key].notna()
        if entity.time_column is not None:
            keep &= pd.to_datetime(frame[entity.time_column]) <= anchor
        if query.entity.ids:
            keep &= frame[key].isin([v.value for v in query.entity.ids])
        ids = frame.loc[keep, key].to_numpy()
        return pd.DataFrame({key: ids, "anchor_time": anchor}).astype(
            {"anchor_time": "datetime64[us]"}
        )

    def _entity_probe(self) -> Task | None:
        """A windowed target's probe: the query with its target replaced by a
        ``COUNT`` over its first aggregation (never NULL), whose labelled rows
        at an anchor are the entities that pass ``WHERE`` there."""
        query = self.query
        agg = next(
            (e for e in ast.expressions(query.target) if isinstance(e, ast.Aggregation)), None
        )
        if agg is None:
            return None
        count = ast.Aggregation(ast.AggFunc.COUNT, agg.table, None, agg.window, via=agg.via)
        probe = dataclasses.replace(
            query, target=count, assuming=None, rank=None, classify=False, forecast=None
        )
        return Task.from_query(self.source_db, probe)

    def entities_sql(self, anchor_time: TimeLike) -> str:
        """SQL (DuckDB's meaning, for any :class:`~relgraph.engines.Engine`)
        whose rows are :meth:`entities_at`'s: ``<entity key>, anchor_time``.

        It lets an engine list the entities where the data are, e.g. as a Spark
        DataFrame that never comes back to the driver. Rows are in no set order.

        Example:
            >>> import relgraph as rg
            >>> from relgraph.bench.demo import make_ecommerce
            >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
            >>> task = rg.Task.from_query(
            ...     db, "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.customer_id")
            >>> rows = db.con.execute(task.entities_sql("2024-06-01")).df()
            >>> len(rows) == len(task.entities_at("2024-06-01"))
            True
        """
        anchor = _timestamp(anchor_time, "anchor time")
        key = exp.to_identifier(self.entity_key, quoted=True)
        probe = self._entity_probe()
        if probe is not None:
            inner = probe._expression([anchor], None).subquery("entities")
            return exp.select(key, "anchor_time").from_(inner).sql(dialect="duckdb")
        # a target without a window: the entities created by the anchor, and the given ids
        at = exp.cast(exp.Literal.string(anchor.isoformat(sep=" ")), "TIMESTAMP")
        select = exp.select(key, exp.alias_(at, "anchor_time")).from_(
            exp.to_table(exp.to_identifier(self.entity_table, quoted=True))
        )
        select = select.where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
        time_column = self.db.schema.tables[self.entity_table].time_column
        if time_column is not None:
            created = exp.cast(exp.to_identifier(time_column, quoted=True), "TIMESTAMP")
            select = select.where(exp.LTE(this=created, expression=at.copy()))
        if self.query.entity.ids:
            ids = [_literal(v.value) for v in self.query.entity.ids]
            select = select.where(exp.In(this=key.copy(), expressions=ids))
        return select.sql(dialect="duckdb")

    # ------------------------------------------------------------ tables
    def table(self, split: str, *, engine: Engine | None = None) -> pd.DataFrame:
        """The labelled examples of a split: ``<entity key>, anchor_time, label``.

        A target without a window takes, per split, the entities created in
        its period (train: up to ``val_time``; val: up to ``test_time``; test:
        up to the latest time), anchored at their own time.

        Args:
            split (str): ``'train'``, ``'val'`` or ``'test'``.
            engine (Engine, optional): where the label SQL runs; the result
                equals DuckDB's. Tables of the default engine are kept for the
                next call, others are not. (default: DuckDB on ``source_db``)
        """
        _check_split(split)
        if engine is not None:
            return self._split_table(split, engine)
        if split not in self._tables:
            self._tables[split] = self._split_table(split, None)
        return self._tables[split].copy()

    def _split_table(self, split: str, engine: Engine | None) -> pd.DataFrame:
        if self.splits_by_key:
            every = (
                self.labels_at_latest
                if engine is None
                else self.table_at([self.latest], engine=engine)
            )
            return every[key_split(every[self.entity_key]) == split].reset_index(drop=True)
        if self.anchor == "entity":
            (cutoff,) = self.anchor_times(split)
            return self._entity_anchored(self.split_start(split), cutoff, engine)
        return self.table_at(self.anchor_times(split), since=self.split_start(split), engine=engine)

    def labelled_by(self, cutoff: TimeLike, *, engine: Engine | None = None) -> pd.DataFrame:
        """For ``anchor="entity"``: every entity anchored at its own time whose
        target window ends by ``cutoff`` (its label is known then), whatever
        its split: the examples a model may learn from at ``cutoff``."""
        if self.anchor != "entity":
            raise PQLError("labelled_by is for tasks anchored at each entity's own time.")
        return self._entity_anchored(None, _timestamp(cutoff, "cutoff"), engine)

    def _entity_anchored(
        self, start: pd.Timestamp | None, cutoff: pd.Timestamp, engine: Engine | None
    ) -> pd.DataFrame:
        sql = compile_entity_anchored(self.checked, start, cutoff)
        return self.labels_frame(self._engine(engine).fetch(sql.sql(dialect="duckdb")))

    def _engine(self, engine: Engine | None) -> Engine:
        return DuckDBEngine(self.source_db.con) if engine is None else engine

    @functools.cached_property
    def labels_at_latest(self) -> pd.DataFrame:
        """:meth:`table_at` the latest time, computed once per task (read, not
        changed, by its users): every labelled entity of a task split by key
        (the three splits), every row's label of a row-level target (its
        earlier rows, :mod:`relgraph.features.earlier_rows`)."""
        return self.table_at([self.latest])

    def table_at(
        self,
        anchor_times: Iterable[TimeLike],
        since: TimeLike | None = None,
        *,
        engine: Engine | None = None,
    ) -> pd.DataFrame:
        """Labelled examples at any anchor times, in one SQL query.

        Args:
            anchor_times: the anchor times (any order; duplicates are dropped).
            since (optional): for a target without a window only: entities
                created after this time. (default: ``None``)
            engine (Engine, optional): where the SQL runs. (default: DuckDB
                on ``source_db``)

        Returns:
            A DataFrame with the entity key, ``anchor_time`` and ``label``,
            ordered by anchor time and key. Binary labels are 0/1 integers,
            regression labels floats, link labels sorted lists of keys,
            multilabel labels sorted lists of the keys that occur (empty when none),
            forecast labels lists of one float per window, first window first.
        """
        anchors = self._anchors(anchor_times)
        if not anchors:
            return self._empty()
        sql = None if self.is_static else self._windowed_sql(anchors)
        if sql is None:
            sql = self._expression(anchors, since).sql(dialect="duckdb")
        return self.labels_frame(self._engine(engine).fetch(sql))

    def _windowed_sql(self, anchors: list[pd.Timestamp]) -> str | None:
        """The windowed labels' DuckDB SQL at ``anchors`` from a text compiled
        once per task (building it with sqlglot costs about 40 ms; only the
        anchors' VALUES differ between calls). None when the template does
        not hold its placeholder exactly once."""
        template, placeholder = self._windowed_template
        if template.count(placeholder) != 1:
            return None
        values = ", ".join(f"('{t.isoformat(sep=' ')}')" for t in anchors)
        return template.replace(placeholder, values)

    @functools.cached_property
    def _windowed_template(self) -> tuple[str, str]:
        marker = pd.Timestamp("1677-09-22 00:12:43.145224")  # no real anchor
        sql = compile_windowed(self.checked, [marker]).sql(dialect="duckdb")
        return sql, f"('{marker.isoformat(sep=' ')}')"

    def sql(
        self,
        anchor_times: Iterable[TimeLike] | None = None,
        *,
        split: str | None = None,
        dialect: str = "duckdb",
        pretty: bool = True,
        since: TimeLike | None = None,
    ) -> str:
        """The SQL that :meth:`table_at` (or :meth:`table`) runs, readable.

        Args:
            anchor_times (optional): anchor times (default: those of ``split``).
            split (str, optional): ``'train'``, ``'val'`` or ``'test'`` when no
                anchor times are given. (default: ``'train'``)
            dialect (str): a sqlglot dialect: ``'duckdb'``, ``'postgres'``, ``'spark'``...
            pretty (bool): indent the SQL. (default: ``True``)
            since (optional): as for :meth:`table_at`.
        """
        if anchor_times is None:
            split = split or "train"
            anchor_times = self.anchor_times(split)
            since = self.split_start(split)
        anchors = self._anchors(anchor_times)
        if not anchors:
            where = f" in the {split} split" if split else ""
            raise PQLError(f"Expected at least one anchor time (got none{where}).")
        return self._expression(anchors, since).sql(dialect=dialect, pretty=pretty)

    def _anchors(self, anchor_times: Iterable[TimeLike]) -> list[pd.Timestamp]:
        if isinstance(anchor_times, str | pd.Timestamp):
            anchor_times = [anchor_times]
        return sorted({_timestamp(t, "anchor time") for t in anchor_times})

    def _expression(self, anchors: list[pd.Timestamp], since: TimeLike | None):
        if self.is_static:
            start = _timestamp(since, "since") if since is not None else None
            periods = []
            for end in anchors:
                if start is None or end > start:
                    periods.append((start, end))
                    start = end
            if not periods:
                periods = [(start, start)]
            return compile_static(self.checked, periods)
        return compile_windowed(self.checked, anchors)

    def _empty(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                self.entity_key: pd.Series([], dtype=object),
                "anchor_time": pd.Series([], dtype="datetime64[us]"),
                "label": pd.Series([], dtype=self._label_dtype()),
            }
        )

    def _label_dtype(self) -> str:
        return {
            TaskType.binary_classification: "int64",
            TaskType.regression: "float64",
        }.get(self.task_type, "object")

    def labels_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of this task's label SQL (as any engine returns them) with
        :meth:`table`'s names and dtypes: 0/1 ``int64`` binary labels, float
        regression labels, sorted lists of keys, ``datetime64[us]`` anchors."""
        frame.columns = [self.entity_key, "anchor_time", "label"]
        if self.task_type is TaskType.binary_classification:
            frame["label"] = frame["label"].astype("int64")
        elif self.task_type is TaskType.regression:
            frame["label"] = frame["label"].astype("float64")
        elif self.task_type is TaskType.link_prediction:
            frame["label"] = [
                sorted(x.tolist() if hasattr(x, "tolist") else x) for x in frame["label"]
            ]
        elif self.task_type is TaskType.forecast:
            frame["label"] = [[float(v) for v in x] for x in frame["label"]]
        elif self.checked.categories:
            frame = self._category_labels(frame)
        elif self.task_type is TaskType.multilabel_classification:
            # NULL: nothing in the window, no key occurs
            frame["label"] = [
                sorted(x.tolist() if hasattr(x, "tolist") else x) if _is_list(x) else []
                for x in frame["label"]
            ]
        if frame["anchor_time"].dtype != "datetime64[us]":
            frame["anchor_time"] = frame["anchor_time"].astype("datetime64[us]")
        return frame.reset_index(drop=True)

    def _category_labels(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A multicategorical target's labels: each row's set of categories
        (relgraph.pql.categories). Ranking drops a row without any (nothing to
        rank, as an empty LIST_DISTINCT window); CLASSIFY keeps it as ``[]``."""
        sets = category_sets(frame["label"])
        frame = frame.assign(label=pd.Series(sets, index=frame.index, dtype=object))
        keep = np.array([s is not None and (bool(s) or not self.k) for s in sets], dtype=bool)
        return frame.loc[keep]

    # ------------------------------------------------------------ summary
    def summary(self, *, engine: Engine | None = None) -> dict[str, Any]:
        """Anchors and examples per split, with the label balance or distribution
        (the labels computed by ``engine``, as for :meth:`table`)."""
        out: dict[str, Any] = {
            "query": self.query.to_pql(),
            "task_type": self.task_type.value,
            "metrics": self.metrics,
            "entity": f"{self.entity_table}.{self.entity_key}",
            "horizon": str(self.horizon) if self.horizon else None,
            "val_time": str(self.val_time),
            "test_time": str(self.test_time),
            "time_range": [str(self.earliest), str(self.latest)],
            "split_note": self.split_note,
            "splits": {},
        }
        for split in SPLITS:
            table = self.table(split, engine=engine)
            anchors = self.anchor_times(split)
            if self.is_static or self.anchor == "entity":  # at each entity's own time
                anchors = sorted(table["anchor_time"].unique())
            info: dict[str, Any] = {
                "anchors": len(anchors),
                "first_anchor": str(pd.Timestamp(anchors[0])) if anchors else None,
                "last_anchor": str(pd.Timestamp(anchors[-1])) if anchors else None,
                "examples": len(table),
                "entities": int(table.iloc[:, 0].nunique()),
            }
            info["labels"] = label_stats(table["label"], self.task_type)
            out["splits"][split] = info
        return out


def target_columns(checked: CheckedQuery) -> list[tuple[str, str]]:
    """The ``(table, column)`` pairs a target without a time window reads: no
    model may read them, on any path. A windowed target reads only rows after
    the anchor, which no input sees, so it hides nothing.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
        >>> q = "PREDICT customers.segment FOR EACH orders.order_id"
        >>> target_columns(rg.Task.from_query(db, q).checked)
        [('customers', 'segment')]
    """
    if not checked.is_static:
        return []
    refs = ast.expressions(checked.query.target)
    return sorted({(r.table, r.column) for r in refs if isinstance(r, ast.ColumnRef)})


def label_stats(labels: pd.Series, task_type: TaskType) -> dict[str, Any]:
    """The balance (classification) or distribution (regression) of labels."""
    if len(labels) == 0:
        return {}
    if task_type is TaskType.binary_classification:
        return {"positive": int(labels.sum()), "positive_rate": round(float(labels.mean()), 4)}
    if task_type is TaskType.regression:
        d = labels.describe()
        return {k: round(float(d[k]), 4) for k in ("mean", "std", "min", "50%", "max")}
    if task_type is TaskType.link_prediction:
        sizes = labels.map(len)
        return {"mean_list_size": round(float(sizes.mean()), 3), "max_list_size": int(sizes.max())}
    if task_type is TaskType.forecast:
        # the spread of every window's value, and the mean of each window
        values = np.array(labels.tolist(), dtype=float)
        d = pd.Series(values.ravel()).describe()
        names = ("mean", "std", "min", "50%", "max")
        out: dict[str, Any] = {k: round(float(d[k]), 4) for k in names}
        out["step_means"] = [round(float(v), 4) for v in values.mean(axis=0)]
        return out
    if task_type in (TaskType.multilabel_classification, TaskType.multilabel_ranking):
        sizes = labels.map(len)
        counts = pd.Series([str(x) for items in labels for x in items]).value_counts()
        return {
            "mean_labels": round(float(sizes.mean()), 3),
            "empty_rate": round(float((sizes == 0).mean()), 4),
            "classes": int(len(counts)),  # keys seen (labels before the cap)
            "top": {str(k): int(v) for k, v in counts.head(10).items()},
        }
    counts = labels.astype(str).value_counts()
    top = {str(k): int(v) for k, v in counts.head(10).items()}
    return {"classes": int(len(counts)), "top": top}


def _is_list(value: Any) -> bool:
    """A list of keys as an engine returns it (list or array), not NULL (None, NA, NaN)."""
    return isinstance(value, list | tuple | np.ndarray) or hasattr(value, "tolist")


def _literal(value: Any) -> exp.Expression:
    """A bound SQL literal for an id of ``FOR ... IN (...)``."""
    if isinstance(value, bool) or value is None:
        raise PQLError(f"Expected a number or text as an entity id (got {value!r}).")
    if isinstance(value, int | float | np.integer | np.floating):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise PQLError(f"Unknown split {split!r}; expected one of {', '.join(SPLITS)}.")
