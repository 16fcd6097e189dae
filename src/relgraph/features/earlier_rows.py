"""A row-level target's values on the table's earlier rows, as features.

A target without a time window that reads the entity table's own column
(``PREDICT ratings.viewers FOR EACH ratings.episode``) hides that column from
every path (:func:`relgraph.pql.task.target_columns`), so no input says how
large the value has been lately: what an analyst tries first for such a task
("last season's average", "this plane's previous delays"). These features give
it back for the rows strictly before each example's anchor:

- ``earlier.mean.last_30d`` / ``.count.`` (30, 90, 365 days, ``all``): the
  mean and count of the earlier rows' labels;
- ``earlier.last`` and ``earlier.days_since_last``: the latest earlier row's
  label and how long ago it was;
- ``earlier[<column>].mean.all`` / ``.count.all`` / ``.last``: the same over the
  earlier rows that share the example's value of a link column (the rows of the
  same parent: the same series, the same plane).

Leakage: a row's label counts only from its own time, strictly before the
example's anchor and by the cutoff; an example whose own row is older than its
anchor is described as of its own time, so its own label is never an input.
Rows at the example's very instant do not count (they are predicted together).
Windows end at what is known: the anchor, or the cutoff when that is earlier
(every test row of a RelBench-style evaluation sees the same last year).

Example:
    >>> import duckdb, pandas as pd
    >>> from relgraph.engines.duckdb_engine import DuckDBEngine
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE ep AS SELECT * FROM (VALUES (1, 'a'), (2, 'a'), "
    ...                 "(3, 'b'), (4, 'a')) t(id, series)")
    >>> days = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-09", "2024-01-15"])
    >>> history = pd.DataFrame({"id": [1, 2, 3, 4], "anchor_time": days,
    ...                         "label": [5.0, 7.0, 1.0, 9.0]})
    >>> examples = history[["id", "anchor_time"]].tail(1)
    >>> feats = earlier_rows_features(history, examples, "ep", "id", ["series"],
    ...                               engine=DuckDBEngine(con))
    >>> float(feats.loc[3, "earlier.mean.last_30d"]), float(feats.loc[3, "earlier.last"])
    (4.333333333333333, 1.0)
    >>> float(feats.loc[3, "earlier[series].mean.all"])  # the two earlier rows of series 'a'
    6.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from relgraph.db.sources.base import quote_ident as q
from relgraph.engines.base import Engine
from relgraph.engines.portable import epoch_microseconds
from relgraph.engines.spark_examples import EXAMPLE_ID, spark_column
from relgraph.engines.spark_views import TempViews

#: Windows (days) of the mean and count over all earlier rows; ``None``: all.
WINDOWS: tuple[int | None, ...] = (30, 90, 365, None)
#: Link columns summarised on their own (the first ones of the table's links).
MAX_PARENTS = 4

#: The names the two frames are registered under while the query runs.
HISTORY, EXAMPLES = "__rg_earlier_history", "__rg_earlier_examples"

_DAY_US = 86_400_000_000


def earlier_rows_sql(
    examples: str,
    history: str,
    entity_table: str,
    key: str,
    parents: Sequence[str],
    cutoff: pd.Timestamp | None = None,
    windows: Sequence[int | None] = WINDOWS,
) -> str:
    """The features' query (DuckDB text, translatable) over the ``examples``
    (``i, k, t``) and ``history`` (``k, a, y``: every labelled row at its own
    time) tables and the entity table (for its ``parents`` columns): one row
    per ``i``.

    Examples and earlier rows go into one time-ordered sequence; each
    example reads the windows ending just before its instant (``RANGE ...
    AND 1 PRECEDING`` on microseconds), so a window costs one sort, not a join
    of every example with every earlier row."""
    e, t0 = q(entity_table), "t0"
    pcols = [f"{t0}.{q(p)} AS __p{j}" for j, p in enumerate(parents)]
    # the example's instant: its anchor, or its own row's time when that is
    # earlier, or just after the cutoff (rows at the cutoff are seen)
    anchor, own = epoch_microseconds("x.t"), epoch_microseconds("o.a")
    instant = f"least({anchor}, coalesce({own}, {anchor}))"
    seen = ""
    if cutoff is not None:
        at = f"TIMESTAMP '{pd.Timestamp(cutoff).isoformat(sep=' ')}'"
        seen = f"WHERE h.a <= {at}"
        instant = f"least({instant}, {epoch_microseconds(at)} + 1)"
    rows = (
        f"SELECT NULL AS i, {epoch_microseconds('h.a')} AS ts, CAST(h.y AS DOUBLE) AS y"
        + "".join(f", {c}" for c in pcols)
        + f" FROM {history} h LEFT JOIN {e} {t0} ON {t0}.{q(key)} = h.k {seen}"
    )
    asked = (
        f"SELECT x.i, {instant} AS ts, CAST(NULL AS DOUBLE) AS y"
        + "".join(f", {c}" for c in pcols)
        + f" FROM {examples} x LEFT JOIN {history} o ON o.k = x.k"
        + f" LEFT JOIN {e} {t0} ON {t0}.{q(key)} = x.k"
    )

    def over(partition: str, days: int | None) -> str:
        start = "UNBOUNDED" if days is None else str(days * _DAY_US)
        by = f"PARTITION BY {partition} " if partition else ""
        return f"OVER ({by}ORDER BY ts RANGE BETWEEN {start} PRECEDING AND 1 PRECEDING)"

    def column(name: str, aggregate: str, parent: int | None, days: int | None) -> str:
        if aggregate == "age":
            latest = f"max(CASE WHEN y IS NOT NULL THEN ts END) {over('', None)}"
            return f'CAST(ts - {latest} AS DOUBLE) / {_DAY_US}.0 AS "{name}"'
        value = f"{_AGGREGATES[aggregate]} {over('' if parent is None else f'__p{parent}', days)}"
        if parent is not None:  # no parent: no rows of it
            value = f"CASE WHEN __p{parent} IS NOT NULL THEN {value} END"
        return f'{value} AS "{name}"'

    cols = [column(*spec) for spec in _columns(parents, windows)]
    # the examples first: their ``i`` types the union (a struct on Spark)
    body = f"SELECT i, {', '.join(cols)} FROM ({asked} UNION ALL {rows}) AS u"
    return f"SELECT * FROM ({body}) AS f WHERE i IS NOT NULL"


_AGGREGATES = {"mean": "avg(y)", "count": "count(y)", "last": "last_value(y IGNORE NULLS)"}


def _columns(
    parents: Sequence[str], windows: Sequence[int | None]
) -> list[tuple[str, str, int | None, int | None]]:
    """Each output column as (name, aggregate, parent's index or None, days
    or None for all), in order: the one list the SQL and the names read."""
    out: list[tuple[str, str, int | None, int | None]] = []
    for days in windows:
        span = "all" if days is None else f"last_{days}d"
        out += [(f"earlier.mean.{span}", "mean", None, days)]
        out += [(f"earlier.count.{span}", "count", None, days)]
    out += [("earlier.last", "last", None, None), ("earlier.days_since_last", "age", None, None)]
    for j, p in enumerate(parents):
        for suffix, aggregate in (("mean.all", "mean"), ("count.all", "count"), ("last", "last")):
            out.append((f"earlier[{p}].{suffix}", aggregate, j, None))
    return out


def feature_names(parents: Sequence[str], windows: Sequence[int | None] = WINDOWS) -> list[str]:
    """The columns :func:`earlier_rows_features` returns, in order."""
    return [name for name, *_ in _columns(parents, windows)]


def earlier_rows_features(
    history: pd.DataFrame,
    examples: pd.DataFrame,
    entity_table: str,
    key: str,
    parents: Sequence[str] = (),
    cutoff: pd.Timestamp | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Per example: the labels of the entity table's rows before its anchor,
    overall and per link column in ``parents`` (see the module).

    Args:
        history: every labelled row of the entity table ``[key, anchor_time,
            label]``, at its own time.
        examples: ``[key, anchor_time]`` rows to describe.
        entity_table, key: the table the rows are of, and its key.
        parents: link columns of ``entity_table`` to summarise the rows of.
        cutoff: also ignore rows after it (RelBench's protocol).
        engine: runs the query; it must read ``entity_table`` under its name.

    Returns:
        A DataFrame indexed like ``examples``, columns :func:`feature_names`.
    """
    if engine is None:
        raise ValueError("earlier_rows_features needs an engine that reads the entity table.")
    h = pd.DataFrame(
        {
            "k": history[key].to_numpy(),
            "a": pd.to_datetime(history["anchor_time"]).to_numpy(dtype="datetime64[us]"),
            "y": history["label"].to_numpy(dtype=float),
        }
    )
    x = pd.DataFrame(
        {
            "i": np.arange(len(examples), dtype=np.int64),
            "k": examples[key].to_numpy(),
            "t": pd.to_datetime(examples["anchor_time"]).to_numpy(dtype="datetime64[us]"),
        }
    )
    engine.register_frame(HISTORY, h)
    engine.register_frame(EXAMPLES, x)
    try:
        sql = earlier_rows_sql(EXAMPLES, HISTORY, entity_table, key, parents, cutoff)
        out = engine.fetch(f"{sql} ORDER BY i")
    finally:
        engine.drop(HISTORY)
        engine.drop(EXAMPLES)
    out = out.drop(columns="i").astype(float)
    for col in out.columns:
        if ".count." in col:
            out[col] = out[col].fillna(0)
    out.index = examples.index
    return out[feature_names(parents)]


def earlier_rows_spark(
    history: Any,
    examples: Any,
    entity_table: str,
    key: str,
    views: TempViews,
    parents: Sequence[str] = (),
    cutoff: pd.Timestamp | None = None,
) -> Any:
    """:func:`earlier_rows_features` of distinct examples on Spark, with the
    same SQL and values, as a Spark DataFrame of ``__ex_id`` and the
    ``earlier.*`` columns, one row per example.

    Args:
        history (pyspark DataFrame): ``[key, anchor_time, label]`` of every
            labelled row (e.g. the task's label SQL run by ``views.engine``).
        examples (pyspark DataFrame): ``__ex_id``, ``__key`` and ``__t``
            (:func:`~relgraph.engines.spark_examples.distinct_examples`).
        entity_table, key, parents, cutoff: as for :func:`earlier_rows_features`.
        views (TempViews): keeps the inputs' views until the result is written.

    Example (a session is a JVM)::

        with TempViews(engine) as views:
            rows = number_examples(views, entities, "id")
            feats = earlier_rows_spark(history, distinct_examples(rows), "ep", "id", views)
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, TimestampNTZType

    h = history.select(
        spark_column(key).alias("k"),
        spark_column("anchor_time").cast(TimestampNTZType()).alias("a"),
        spark_column("label").cast(DoubleType()).alias("y"),
    )
    x = examples.select(
        F.col(EXAMPLE_ID).alias("i"), F.col("__key").alias("k"), F.col("__t").alias("t")
    )
    sql = earlier_rows_sql(
        views.register(EXAMPLES, x), views.register(HISTORY, h), entity_table, key, parents, cutoff
    )
    out = views.engine.dataframe(sql)
    columns = [F.col("i").alias(EXAMPLE_ID)]
    for c in feature_names(parents):
        value = spark_column(c).cast(DoubleType())
        columns.append((F.coalesce(value, F.lit(0.0)) if ".count." in c else value).alias(c))
    return out.select(*columns)
