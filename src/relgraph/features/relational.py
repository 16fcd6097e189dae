"""Automatic relational features: leakage-free aggregates of every table
reachable from the entity table, computed in DuckDB for all (entity, anchor
time) examples at once.

For an example ``(entity, t)`` only rows visible at ``t`` are read: every
timed table along a join path must have ``time <= t`` (NULL times never pass).
The plan (which paths, columns and category values) is fitted once on rows
visible at the last training anchor, so the feature columns never depend on
later data either.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02))
    >>> plan = FeaturePlan.fit(db, "customers", horizon="30D", until="2024-06-01")
    >>> when = pd.to_datetime(["2024-06-01"] * 2)
    >>> ex = pd.DataFrame({"customer_id": [1, 2], "anchor_time": when})
    >>> feats = plan.transform(db, ex)
    >>> "orders.amount.mean.last_30d" in feats.columns
    True
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlglot.expressions as sx

from relgraph.db.database import Database
from relgraph.db.paths import Hop, JoinPath
from relgraph.db.schema import Link
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.stype import Stype
from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.portable import days_between, step_interval
from relgraph.engines.spark_examples import (
    EXAMPLE_ID,
    attach,
    distinct_examples,
    number_examples,
    spark_column,
)
from relgraph.engines.spark_views import TempViews
from relgraph.errors import RelgraphError
from relgraph.features.levels import level_columns
from relgraph.features.path_names import count_names, numeric_names, share_names
from relgraph.features.paths import join_paths
from relgraph.features.running import Anchors, RunningPath, running_path_frame, worth_running
from relgraph.pql.duration import MONTH_SECONDS, YEAR_SECONDS, calendar_step

EXAMPLES = "__rg_examples"


@dataclass
class FeatureConfig:
    """What to aggregate.

    Args:
        max_hops (int): Longest join path from the entity table. (default: 2)
        window_multiples (tuple): Backward windows as multiples of the horizon;
            all history is always added. (default: (1, 4, 12))
        last_n (int): Also average the last ``last_n`` events. (default: 5)
        max_categories (int): Most frequent values of a categorical column that
            get a share feature. (default: 5)
        max_entity_categories (int): Values of an entity categorical column
            kept as categories (the rest read as missing). (default: 50)
        max_features (int): At most this many features in all: paths are
            taken shortest first, and a path that would pass the budget keeps
            only the columns that fit (a wide database, such as Lahman's with
            35 paths from a player, would otherwise give 10,000 features and
            tens of GB for a year of examples). rel-f1 and the demos use under
            500. (default: 2000)
    """

    max_hops: int = 2
    window_multiples: tuple[float, ...] = (1, 4, 12)
    last_n: int = 5
    max_categories: int = 5
    max_entity_categories: int = 50
    max_features: int = 2000


@dataclass
class PathPlan:
    path: JoinPath
    #: ``(position in path.tables, time column)`` of the last timed table, the
    #: time that places each aggregated row in a window; None if all static.
    event_time: tuple[int, str] | None
    numeric: list[str]
    categories: dict[str, list[Any]]
    #: Numeric columns that are levels (see :func:`level_columns`): no sums.
    levels: list[str] = field(default_factory=list)


@dataclass
class FeaturePlan:
    """Which features to compute for one entity table (fitted, then reused)."""

    entity_table: str
    entity_key: str
    windows: list[int]  # seconds
    config: FeatureConfig
    entity_numeric: list[str] = field(default_factory=list)
    entity_categories: dict[str, list[Any]] = field(default_factory=dict)
    entity_timestamps: list[str] = field(default_factory=list)
    entity_time: str | None = None
    paths: list[PathPlan] = field(default_factory=list)
    #: The windows' names in feature names (``last_30d``, ``last_1y``); a
    #: plan saved before they were stored keeps its older names (see from_dict).
    window_labels: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ saving
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (saved models carry their plan)."""

        def path_dict(pp: PathPlan) -> dict[str, Any]:
            steps = [
                [
                    s.link.src_table,
                    s.link.src_column,
                    s.link.dst_table,
                    s.link.dst_column,
                    not s.to_children,  # saved as "forward": files stay readable
                ]
                for s in pp.path.hops
            ]
            return {
                "name": pp.path.name,
                "steps": steps,
                "event_time": pp.event_time,
                "numeric": pp.numeric,
                "categories": _plain(pp.categories),
                "levels": pp.levels,
            }

        return {
            "entity_table": self.entity_table,
            "entity_key": self.entity_key,
            "windows": self.windows,
            "config": asdict(self.config),
            "entity_numeric": self.entity_numeric,
            "entity_categories": _plain(self.entity_categories),
            "entity_timestamps": self.entity_timestamps,
            "entity_time": self.entity_time,
            "paths": [path_dict(p) for p in self.paths],
            "window_labels": self.window_names,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeaturePlan:
        config = data["config"]
        config["window_multiples"] = tuple(config["window_multiples"])
        paths = []
        for p in data["paths"]:
            steps = tuple(Hop(Link(*s[:4]), not bool(s[4])) for s in p["steps"])
            event = tuple(p["event_time"]) if p["event_time"] else None
            paths.append(
                PathPlan(
                    JoinPath(data["entity_table"], steps, p["name"]),
                    event,
                    list(p["numeric"]),
                    dict(p["categories"]),
                    list(p.get("levels", [])),  # plans saved before levels sum every column
                )
            )
        return cls(
            entity_table=data["entity_table"],
            entity_key=data["entity_key"],
            windows=list(data["windows"]),
            config=FeatureConfig(**config),
            entity_numeric=list(data["entity_numeric"]),
            entity_categories=dict(data["entity_categories"]),
            entity_timestamps=list(data["entity_timestamps"]),
            entity_time=data["entity_time"],
            paths=paths,
            # A model saved with the older names finds its features by them.
            window_labels=list(
                data.get("window_labels") or [_legacy_window_name(w) for w in data["windows"]]
            ),
        )

    # ------------------------------------------------------------ fit
    @classmethod
    def fit(
        cls,
        db: Database,
        entity_table: str,
        horizon: str | pd.Timedelta,
        until: str | pd.Timestamp,
        config: FeatureConfig | None = None,
    ) -> FeaturePlan:
        """Choose paths, columns and category values from rows visible at ``until``."""
        config = config or FeatureConfig()
        schema = db.schema
        table = schema.table(entity_table)
        if table.primary_key is None:
            raise RelgraphError(f"Entity table {entity_table!r} has no primary key.")
        seconds = int(pd.Timedelta(horizon).total_seconds())
        if seconds <= 0:
            raise RelgraphError(f"The horizon must be positive (got {horizon!r}).")
        until = pd.Timestamp(until)
        plan = cls(
            entity_table=entity_table,
            entity_key=table.primary_key,
            windows=[int(seconds * m) for m in config.window_multiples],
            config=config,
            entity_time=table.time_column,
        )
        plan.window_labels = [window_name(w) for w in plan.windows]
        for col, stype in table.columns.items():
            if col == table.time_column:
                continue
            if stype is Stype.numerical:
                plan.entity_numeric.append(col)
            elif stype is Stype.timestamp:
                plan.entity_timestamps.append(col)
            elif stype is Stype.categorical:
                plan.entity_categories[col] = _vocabulary(
                    db, entity_table, col, table.time_column, until, config.max_entity_categories
                )
        used = len(plan.entity_numeric) + len(plan.entity_timestamps)
        used += len(plan.entity_categories) + (1 if plan.entity_time else 0)  # + age_days
        levels: dict[str, list[str]] = {}  # per table, read once
        for path in join_paths(schema, entity_table, config.max_hops):
            end = schema.tables[path.end]
            timed = [
                (i, schema.tables[t].time_column)
                for i, t in enumerate(path.tables)
                if i > 0 and schema.tables[t].time_column
            ]
            numeric = [c for c, s in end.columns.items() if s is Stype.numerical]
            categories = {}
            for c, s in end.columns.items():
                if s is Stype.categorical:
                    vocab = _vocabulary(
                        db, path.end, c, end.time_column, until, config.max_categories
                    )
                    if vocab:
                        categories[c] = vocab
            if path.end not in levels:
                levels[path.end] = level_columns(db, path.end, numeric, until)
            path_plan = PathPlan(
                path, timed[-1] if timed else None, numeric, categories, levels[path.end]
            )
            fitted = _within_budget(path_plan, len(plan.windows), config.max_features - used)
            if fitted is None:
                break  # paths come shortest first: the longer ones are left out
            used += _width(fitted, len(plan.windows))
            plan.paths.append(fitted)
        return plan

    # ------------------------------------------------------------ transform
    def check_readable(self, db: Database) -> None:
        """Refuse a plan that reads a column or a link ``db`` does not offer:
        a target's own column a task hides, a dropped column, or another
        schema. (A plan saved by an older relgraph may name such a column, and
        the SQL would find it in the working store.)

        Raises:
            RelgraphError: naming the first such column or link.
        """
        schema = db.schema
        reads = [(self.entity_table, c) for c in self.entity_numeric + self.entity_timestamps]
        reads += [(self.entity_table, c) for c in self.entity_categories]
        links = set(schema.links)
        for pp in self.paths:
            reads += [(pp.path.end, c) for c in [*pp.numeric, *pp.categories]]
            for step in pp.path.hops:
                if step.link not in links:
                    raise RelgraphError(
                        f"The feature plan joins along {step.link}, which this database does "
                        "not offer to models (a link through a target's own column, or another "
                        "schema); fit the model again on it."
                    )
        for table, column in reads:
            if table not in schema.tables or column not in schema.tables[table].columns:
                raise RelgraphError(
                    f"The feature plan reads {table}.{column}, which this database does not "
                    "offer to models (the target's own column, a dropped column, or another "
                    "schema); fit the model again on it."
                )

    def transform(
        self,
        db: Database,
        examples: pd.DataFrame,
        cutoff: pd.Timestamp | None = None,
        engine: Engine | None = None,
        running: bool = True,
    ) -> pd.DataFrame:
        """Features for each row of ``examples`` (columns: the entity key and
        ``anchor_time``), in the same order, indexed like ``examples``.

        ``cutoff`` hides every row after it as well (RelBench's protocol gives
        models the database cut at ``test_time``); windows stay relative to
        each example's own anchor time.

        ``engine`` runs the SQL (default: DuckDB on ``db.con``); another
        engine (:class:`~relgraph.engines.SparkEngine`) must read ``db``'s
        tables under their names. ``db`` still gives the schema.

        ``running``: on DuckDB, a timed path's aggregates come from running
        totals over each entity's rows (:mod:`relgraph.features.running`;
        the same values, several times faster when entities recur across
        anchors) where :func:`~relgraph.features.running.worth_running`
        says so; False runs the direct SQL for every path, as other engines do.
        """
        self.check_readable(db)
        for col in (self.entity_key, "anchor_time"):
            if col not in examples.columns:
                raise RelgraphError(
                    f"Examples need columns {self.entity_key!r} and 'anchor_time' "
                    f"(got {list(examples.columns)})."
                )
        ex = pd.DataFrame(
            {
                "__ex_id": np.arange(len(examples), dtype=np.int64),
                "__key": examples[self.entity_key].to_numpy(),
                "__t": pd.to_datetime(examples["anchor_time"]).to_numpy(dtype="datetime64[us]"),
            }
        )
        ex["__vis"] = ex["__t"]
        if cutoff is not None:
            ex["__vis"] = ex["__t"].clip(upper=pd.Timestamp(cutoff))
        for j, w in enumerate(self.windows):  # calendar months for a month or year horizon
            ex[f"__t_{j}"] = ex["__t"] - calendar_step(w)
        engine = engine or DuckDBEngine(db.con)
        engine.register_frame(EXAMPLES, ex)
        anchors = Anchors.of(ex, len(self.windows))
        running = running and worth_running(len(ex), ex["__key"].nunique())
        try:
            parts = [self._entity_frame(db, engine)]
            parts += [self._path_frame(db, engine, p, anchors, running) for p in self.paths]
        finally:
            engine.drop(EXAMPLES)
        # A part from SQL has a row per example with rows, in any order; a
        # running one a row per example, in order.
        rows = pd.RangeIndex(len(ex))
        out = pd.concat(
            [
                part.set_index("__ex_id").reindex(rows)
                if "__ex_id" in part.columns
                else part.set_axis(rows)
                for part in parts
            ],
            axis=1,
        )
        counts = [col for col in out.columns if is_count(col)]
        out[counts] = out[counts].fillna(0)
        for col, vocab in self.entity_categories.items():
            name = f"{self.entity_table}.{col}"
            out[name] = pd.Categorical(out[name], categories=vocab)
        out.index = examples.index
        return out

    def spark_transform(
        self, db: Database, entities: Any, views: TempViews, cutoff: pd.Timestamp | None = None
    ) -> Any:
        """:meth:`transform` on Spark: the features of every row of
        ``entities`` (a Spark DataFrame with the entity key and
        ``anchor_time``) as a Spark DataFrame of the key, ``anchor_time`` and
        the feature columns, with :meth:`spark_frame`'s values. Nothing comes
        back to the driver; ``views`` must stay open until the result is written.

        Example (a session is a JVM)::

            with TempViews(engine) as views:
                feats = plan.spark_transform(db, spark_entities(task, engine, "2024-12-01"), views)
                feats.write.parquet("feats/")
        """
        rows = number_examples(views, entities, self.entity_key)
        frame = self.spark_frame(db, distinct_examples(rows), views, cutoff)
        return attach(rows, [frame], self.entity_key)

    def spark_frame(
        self, db: Database, examples: Any, views: TempViews, cutoff: pd.Timestamp | None = None
    ) -> Any:
        """The features of distinct examples as a Spark DataFrame that stays
        on the cluster: ``__ex_id`` and :meth:`transform`'s columns, with its
        values (counts without rows are 0; an entity category is its raw
        value, not a pandas ``Categorical``).

        The same SQL as :meth:`transform` runs on ``views.engine``, which
        reads ``db``'s tables under their names; each path's aggregates run as
        one query (no cached rows, which would have to outlive the result).

        Args:
            db (Database): gives the schema (and the plan's check).
            examples (pyspark DataFrame): ``__ex_id``, ``__key`` and ``__t``,
                one row per example
                (:func:`~relgraph.engines.spark_examples.distinct_examples`).
            views (TempViews): keeps the examples' view until the result is written.
            cutoff (Timestamp, optional): as for :meth:`transform`.

        Example (a session is a JVM)::

            with TempViews(engine) as views:
                rows = number_examples(views, entities, plan.entity_key)
                feats = plan.spark_frame(db, distinct_examples(rows), views)
                attach(rows, [feats], plan.entity_key).write.parquet("feats/")
        """
        from pyspark.sql import functions as F

        self.check_readable(db)
        vis = F.col("__t")
        if cutoff is not None:
            at = pd.Timestamp(cutoff).isoformat(sep=" ")
            vis = F.least(vis, F.expr(f"TIMESTAMP_NTZ '{at}'"))
        shifted = [
            (F.col("__t") - F.expr(step_interval(w))).alias(f"__t_{j}")
            for j, w in enumerate(self.windows)
        ]
        ex = examples.select(EXAMPLE_ID, "__key", "__t", vis.alias("__vis"), *shifted)
        name = views.register(EXAMPLES, ex)
        engine = views.engine
        parts = [engine.dataframe(self._entity_sql(db, name))]
        for p in self.paths:
            rows = f"({self._path_rows(db, p, name)}) AS __rows"
            parts.append(engine.dataframe(_grouped(rows, self._path_aggregates(p))))
        out = examples.select(EXAMPLE_ID)
        for part in parts:
            out = out.join(part, EXAMPLE_ID, "left")
        filled = [
            F.coalesce(spark_column(c), F.lit(0)).alias(c) if is_count(c) else spark_column(c)
            for c in out.columns
        ]
        return out.select(*filled)

    @property
    def window_names(self) -> list[str]:
        return self.window_labels or [window_name(w) for w in self.windows]

    def _entity_frame(self, db: Database, engine: Engine) -> pd.DataFrame:
        return engine.fetch(self._entity_sql(db, EXAMPLES))

    def _entity_sql(self, db: Database, examples: str) -> str:
        """SQL of the entity's own columns: one row per example of the
        ``examples`` table."""
        e = self.entity_table
        cols = ["ex.__ex_id"]
        dtypes = db.schema.tables[e].dtypes
        cols += [
            f"{_number(f't0.{q(c)}', dtypes[c])} AS {q(f'{e}.{c}')}" for c in self.entity_numeric
        ]
        cols += [f"t0.{q(c)} AS {q(f'{e}.{c}')}" for c in self.entity_categories]
        for c in self.entity_timestamps:
            cols.append(f"{_days('ex.__t', f't0.{q(c)}')} AS {q(f'{e}.{c}.days_before')}")
        if self.entity_time:
            cols.append(f"{_days('ex.__t', f't0.{q(self.entity_time)}')} AS {q(f'{e}.age_days')}")
        return (
            f"SELECT {', '.join(cols)} FROM {examples} ex "
            f"LEFT JOIN {q(e)} t0 ON t0.{q(self.entity_key)} = ex.__key"
        )

    def _path_frame(
        self, db: Database, engine: Engine, plan: PathPlan, anchors: Anchors, running: bool
    ) -> pd.DataFrame:
        totals = self._running_path(db, plan, EXAMPLES) if running else None
        if totals is not None and isinstance(engine, DuckDBEngine):
            frame = running_path_frame(engine, totals, anchors, EXAMPLES)
            if frame is not None:
                return frame
        joined = self._path_rows(db, plan, EXAMPLES)
        aggs = self._path_aggregates(plan)
        # DuckDB's time and memory grow faster than linearly with the number
        # of aggregates in one GROUP BY (a wide table such as Lahman's Teams,
        # 34 numeric columns, took over 20 GB for 3,000 examples): aggregate a
        # bounded number at a time, then put the columns side by side (every
        # chunk has one row per example). With several chunks the joined,
        # ranked rows are stored once in a temporary table, not joined and
        # ranked again for each chunk (most of the time of a two-hop path).
        chunks = [
            aggs[start : start + AGGREGATES_PER_QUERY]
            for start in range(0, len(aggs), AGGREGATES_PER_QUERY)
        ]
        if len(chunks) == 1:
            return engine.fetch(_grouped(f"({joined}) AS __rows", chunks[0]))
        rows = f"__rg_path_rows_{uuid.uuid4().hex}"
        engine.materialize(rows, joined)
        try:
            frame = None
            for chunk in chunks:
                part = engine.fetch(_grouped(rows, chunk))
                frame = part if frame is None else frame.merge(part, on="__ex_id", how="outer")
        finally:
            engine.drop(rows)
        assert frame is not None
        return frame

    def _path_rows(self, db: Database, plan: PathPlan, examples: str) -> str:
        """SQL of the joined rows: one per (example of the ``examples``
        table, row at the path's end
        visible at its anchor), with the example's id and anchor time, the
        values to aggregate under short names (``__v<i>`` numeric, ``__c<i>``
        categorical), and when the path is timed the event time ``__et``, one
        flag per window (``__w<j>``: the row falls in it) and the rank of the
        row among the example's rows, newest first (``__rn``)."""
        path = plan.path
        joins = self._path_joins(plan, "ex")
        visible = [f"{time} <= ex.__vis" for time in _path_times(db, plan)]
        end = f"t{len(path)}"
        end_schema = db.schema.tables[path.end]
        cols = ["ex.__ex_id", "ex.__t"]
        cols += [
            f"{_number(f'{end}.{q(c)}', end_schema.dtypes[c])} AS __v{i}"
            for i, c in enumerate(plan.numeric)
        ]
        cols += [f"{end}.{q(c)} AS __c{i}" for i, c in enumerate(plan.categories)]
        if plan.event_time:
            et = f"t{plan.event_time[0]}.{q(plan.event_time[1])}"
            cols.append(f"{et} AS __et")
            # A window's flag once per row, not a comparison per aggregate.
            cols += [f"{et} > ex.__t_{j} AS __w{j}" for j in range(len(self.windows))]
            if plan.numeric:
                # Rank the rows of each example newest first, once for all
                # columns (the end table's key breaks ties the same way every
                # run): the mean of the last n is then a filtered average, not
                # one sorted list per column.
                order = f"{et} DESC"
                if end_schema.primary_key:
                    order += f", {end}.{q(end_schema.primary_key)} DESC"
                cols.append(f"row_number() OVER (PARTITION BY ex.__ex_id ORDER BY {order}) AS __rn")
        where = f"WHERE {' AND '.join(visible)}" if visible else ""
        return f"SELECT {', '.join(cols)} FROM {examples} ex {' '.join(joins)} {where}"

    def _path_joins(self, plan: PathPlan, keys: str) -> list[str]:
        """The joins from ``keys.__key`` (an entity's key) along the path:
        ``t0`` the entity table, ``t<i>`` the table after hop ``i``."""
        entity = f"JOIN {q(self.entity_table)} t0 ON t0.{q(self.entity_key)} = {keys}.__key"
        return [entity, *_hop_joins(plan)]

    def _running_path(self, db: Database, plan: PathPlan, examples: str) -> RunningPath | None:
        """The path as :mod:`relgraph.features.running` aggregates it (once per
        entity, read at each anchor), or None for a path it does not fit: one
        without a timed table, or whose end table has no key to order rows
        of one time by."""
        end_schema = db.schema.tables[plan.path.end]
        if plan.event_time is None or not end_schema.primary_key:
            return None
        times = _path_times(db, plan)
        end = f"t{len(plan.path)}"
        visible_from = times[0] if len(times) == 1 else f"greatest({', '.join(times)})"
        cols = [
            f"t0.{q(self.entity_key)} AS __key",
            f"{visible_from} AS __vt",
            f"t{plan.event_time[0]}.{q(plan.event_time[1])} AS __et",
            f"{end}.{q(end_schema.primary_key)} AS __pk",
        ]
        cols += [
            f"{_number(f'{end}.{q(c)}', end_schema.dtypes[c])} AS __v{i}"
            for i, c in enumerate(plan.numeric)
        ]
        cols += [f"{end}.{q(c)} AS __c{i}" for i, c in enumerate(plan.categories)]
        hops = _hop_joins(plan)  # from the entity table itself
        wanted = f"t0.{q(self.entity_key)} IN (SELECT __key FROM {examples})"
        rows = (
            f"SELECT {', '.join(cols)} FROM {q(self.entity_table)} t0 {' '.join(hops)} "
            f"WHERE {wanted} AND {' AND '.join(f'{time} IS NOT NULL' for time in times)}"
        )
        return RunningPath(
            name=plan.path.name,
            rows_sql=rows,
            numeric=list(plan.numeric),
            categories=[
                (c, [_literal(v) for v in vocab], list(vocab))
                for c, vocab in plan.categories.items()
            ],
            window_names=self.window_names,
            last_n=self.config.last_n,
            share_window=min(1, len(self.windows) - 1),
            times_may_differ=len(times) > 1,
            levels=list(plan.levels),
        )

    def _path_aggregates(self, plan: PathPlan) -> list[str]:
        """The aggregates of a path over its joined rows (see ``_path_rows``),
        each named after its feature (:mod:`relgraph.features.path_names`), in
        the order of the feature columns.

        Windowed aggregates read ``CASE WHEN __w<j> THEN value END``: NULL
        outside the window, which every aggregate here skips, so the value is
        that of ``FILTER (WHERE ...)``, which DuckDB evaluates more slowly."""
        path, windows = plan.path.name, self.window_names
        timed = plan.event_time is not None
        flags = [f"__w{j}" for j in range(len(windows))] if timed else []
        exprs = ["count(*)", *(f"count(CASE WHEN {w} THEN 1 END)" for w in flags)]
        if timed:
            exprs += [_days("__t", "max(__et)"), _days("__t", "min(__et)")]
        names = count_names(path, windows, timed)
        n = self.config.last_n
        for i, column in enumerate(plan.numeric):
            v = f"__v{i}"
            summed = column not in plan.levels
            overall = (
                ("avg", "sum", "min", "max", "stddev_samp")
                if summed
                else ("avg", "min", "max", "stddev_samp")
            )
            exprs += [f"{fn}({v})" for fn in overall]
            if timed:
                windowed = ("avg", "sum") if summed else ("avg",)
                exprs += [f"{fn}(CASE WHEN {w} THEN {v} END)" for w in flags for fn in windowed]
                # The newest non-missing value: a missing value gets no rank,
                # as DuckDB's arg_min skips it and Spark's min_by would not.
                exprs.append(f"arg_min({v}, CASE WHEN {v} IS NOT NULL THEN __rn END)")
                exprs.append(f"avg(CASE WHEN __rn <= {n} THEN {v} END)")
            names += numeric_names(path, column, windows, n, timed, summed=summed)
        # shares over all rows and over the second window (4x the horizon by default)
        share_at = min(1, len(windows) - 1)
        for i, (column, vocab) in enumerate(plan.categories.items()):
            for value in vocab:
                # Integers, not 1.0 / 0.0: Spark averages those as DECIMAL.
                share = f"CASE WHEN __c{i} = {_literal(value)} THEN 1 ELSE 0 END"
                exprs.append(f"avg({share})")
                if timed:
                    exprs.append(f"avg(CASE WHEN {flags[share_at]} THEN {share} END)")
                names += share_names(path, column, value, windows[share_at] if timed else None)
        return [f"{expr} AS {q(name)}" for expr, name in zip(exprs, names, strict=True)]


def _hop_joins(plan: PathPlan) -> list[str]:
    """The joins along the path's hops from the entity table ``t0``: ``t<i>``
    is the table after hop ``i``."""
    return [
        f"JOIN {q(step.to_table)} t{i} ON t{i}.{q(step.to_column)} = t{i - 1}.{q(step.from_column)}"
        for i, step in enumerate(plan.path.hops, start=1)
    ]


def _path_times(db: Database, plan: PathPlan) -> list[str]:
    """The time columns (``t<i>.column``) of the path's timed tables after the
    entity's: a row is visible when all of them are at or before the anchor."""
    return [
        f"t{i}.{q(db.schema.tables[t].time_column)}"
        for i, t in enumerate(plan.path.tables)
        if i > 0 and db.schema.tables[t].time_column
    ]


def is_count(feature: str) -> bool:
    """Whether a relational feature is a count of rows (0, not missing, for
    an example without rows).

    Example:
        >>> names = ("orders.count.all", "orders.count.last_30d", "orders.amount.sum.all")
        >>> [is_count(n) for n in names]
        [True, True, False]
    """
    return feature.endswith((".count.all", ".count")) or ".count.last_" in feature


def _grouped(rows: str, aggs: list[str]) -> str:
    """One row per example of ``rows`` (a table or a parenthesised query)."""
    return f"SELECT __ex_id, {', '.join(aggs)} FROM {rows} GROUP BY __ex_id, __t"


def _width(plan: PathPlan, windows: int) -> int:
    """How many features a path gives (see ``FeaturePlan._path_frame``)."""
    timed = plan.event_time is not None
    width = 1 + (windows + 2 if timed else 0)
    for column in plan.numeric:
        summed = column not in plan.levels
        width += (5 if summed else 4) + ((2 if summed else 1) * windows + 2 if timed else 0)
    width += sum(len(v) for v in plan.categories.values()) * (2 if timed else 1)
    return width


def _within_budget(plan: PathPlan, windows: int, budget: int) -> PathPlan | None:
    """``plan`` cut to at most ``budget`` features (numeric columns first, then
    categorical ones, in schema order); None when not even its counts fit."""
    if _width(plan, windows) <= budget:
        return plan
    cut = PathPlan(plan.path, plan.event_time, [], {}, plan.levels)
    if _width(cut, windows) > budget:
        return None
    for column in plan.numeric:
        cut.numeric.append(column)
        if _width(cut, windows) > budget:
            cut.numeric.pop()
            break
    for column, vocab in plan.categories.items():
        cut.categories[column] = vocab
        if _width(cut, windows) > budget:
            del cut.categories[column]
            break
    return cut


#: At most this many aggregates are computed by one query (see _path_frame).
AGGREGATES_PER_QUERY = 150


def _plain(value: Any) -> Any:
    """numpy scalars and timestamps -> JSON values, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _number(expr: str, dtype: str) -> str:
    """A numerical column as DOUBLE (TIME and INTERVAL as seconds)."""
    kind = dtype.split("(")[0].upper()
    return f"epoch({expr})" if kind in {"TIME", "INTERVAL"} else f"CAST({expr} AS DOUBLE)"


def _days(later: str, earlier: str) -> str:
    # days_between, not epoch(): Spark's form of epoch drops fractions of a second.
    return days_between(later, earlier)


def window_name(seconds: int) -> str:
    """A backward window's name in feature names: whole days, years, months
    or hours, else seconds (one name per length, so names stay unique).

    Example:
        >>> [window_name(s) for s in (30 * 86400, 31_556_952, 4 * 2_629_746, 7200)]
        ['last_30d', 'last_1y', 'last_4mo', 'last_2h']
    """
    for unit, length in (("d", 86400), ("y", YEAR_SECONDS), ("mo", MONTH_SECONDS), ("h", 3600)):
        if seconds % length == 0:
            return f"last_{seconds // length}{unit}"
    return f"last_{seconds}s"


def _legacy_window_name(seconds: int) -> str:
    """The name plans saved before ``window_labels`` give a window."""
    if seconds % 86400 == 0:
        return f"last_{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"last_{seconds // 3600}h"
    return f"last_{seconds}s"


def _literal(value: Any) -> str:
    """A SQL literal built by sqlglot (values come from the data: never pasted)."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        return sx.Literal.number(value).sql("duckdb")
    return sx.Literal.string(str(value)).sql("duckdb")


def _vocabulary(
    db: Database,
    table: str,
    column: str,
    time_column: str | None,
    until: pd.Timestamp,
    top: int,
) -> list[Any]:
    """The ``top`` most frequent values of a categorical column among rows
    visible at ``until`` (ties broken by value, so the plan is deterministic)."""
    visible = f"WHERE {q(time_column)} <= ?" if time_column else ""
    params = [until.to_pydatetime()] if time_column else []
    rows = db.con.execute(
        f"SELECT {q(column)}, count(*) AS n FROM {q(table)} {visible} "
        f"GROUP BY 1 HAVING {q(column)} IS NOT NULL ORDER BY n DESC, 1 LIMIT ?",
        [*params, top],
    ).fetchall()
    return [r[0] for r in rows]
