"""The target's own history as features: the same query's label at earlier
anchors of the same entity, as far as those labels are known at the anchor.

A label at anchor ``a`` covers the window ``(a, a + horizon]``, so at anchor
``t`` it is known only when ``a + horizon <= t``. Nothing else is used.

Example:
    >>> import pandas as pd
    >>> day = pd.Timedelta(days=1)
    >>> t0 = pd.Timestamp("2024-01-01")
    >>> history = pd.DataFrame({"id": [7, 7, 7], "anchor_time": [t0, t0 + 30 * day, t0 + 60 * day],
    ...                         "label": [1.0, 0.0, 1.0]})
    >>> ex = pd.DataFrame({"id": [7], "anchor_time": [t0 + 90 * day]})
    >>> feats = label_history_features(history, ex, "id", 30 * day)
    >>> float(feats.loc[0, "target.mean.last_3"]), float(feats.loc[0, "target.last"])
    (0.6666666666666666, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.portable import days_between, step_interval
from relgraph.engines.spark_examples import EXAMPLE_ID, spark_column
from relgraph.engines.spark_views import TempViews
from relgraph.pql.duration import calendar_months, calendar_step

#: Past windows summarised: the last 1, 3 and 12 horizons, and all known history.
DEFAULT_LOOKBACKS: tuple[int | None, ...] = (1, 3, 12, None)

#: The names the two frames are registered under while the query runs.
HISTORY, EXAMPLES = "__rg_label_history", "__rg_label_examples"


#: The longest horizon with a season a year back (half a year), and the shortest.
_SEASON_SPAN = (pd.Timedelta(days=1), pd.Timedelta(days=183))


def season_lag(horizon: pd.Timedelta) -> int | None:
    """How many horizons back the same window a year earlier is: ``12 / months``
    for a horizon of whole months that divides a year, else the whole number of
    horizons nearest a year (52 weeks, 12 x 30 days, 4 x 90 days, 365 days) for
    a horizon from a day to half a year; None for any other.

    The label there is the ``target.year_ago`` feature: the seasonal naive
    forecast an analyst tries beside the last value (a shop's December, a
    quarter's sales, a winter month's delays).

    Example:
        >>> [season_lag(pd.Timedelta(days=d)) for d in (7, 30, 90, 365)]
        [52, 12, 4, None]
        >>> season_lag(pd.Timedelta(seconds=3 * 2_629_746))  # three calendar months
        4
    """
    months = calendar_months(horizon)
    if months is not None:
        return 12 // months if months < 12 and 12 % months == 0 else None
    if not _SEASON_SPAN[0] <= horizon <= _SEASON_SPAN[1]:
        return None
    return round(pd.Timedelta(days=365.2425) / horizon)


def past_anchors(
    anchor_times: Sequence[pd.Timestamp] | pd.Series,
    horizon: pd.Timedelta,
    windows: int,
    earliest: pd.Timestamp | None = None,
    season: bool = False,
) -> list[pd.Timestamp]:
    """Anchors ``t - k * horizon`` (``k = 1..windows``, and with ``season`` the
    :func:`season_lag` too) of every given ``t``: where the target's history
    must be labelled. A horizon of whole PQL months steps by calendar months
    (:func:`~relgraph.pql.duration.calendar_step`)."""
    times = pd.to_datetime(pd.Series(anchor_times)).drop_duplicates()
    step = calendar_step(horizon)
    lags = set(range(1, windows + 1))
    if season and (lag := season_lag(horizon)) is not None:
        lags.add(lag)
    out = sorted({t - k * step for t in times for k in lags})
    if earliest is not None:
        out = [t for t in out if t >= earliest]
    return out


def label_history_features(
    history: pd.DataFrame,
    examples: pd.DataFrame,
    key: str,
    horizon: pd.Timedelta,
    lookbacks: Sequence[int | None] = DEFAULT_LOOKBACKS,
    prefix: str = "target",
    cutoff: pd.Timestamp | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Per example: mean and count of the entity's past labels over the last
    ``k`` horizons (``None``: all known), its most recent known label, and its
    label a year before (``target.year_ago``, the window :func:`season_lag`
    horizons back, where the horizon has one and ``history`` holds it).

    Args:
        history: labelled examples ``[key, anchor_time, label]`` at earlier anchors.
        examples: ``[key, anchor_time]`` rows to describe.
        key: the entity key column.
        horizon: the label window length.
        lookbacks: how many past horizons each summary covers.
        prefix: feature name prefix.
        cutoff: also ignore labels whose window ends after it (RelBench's protocol).
        engine: where the query runs (default: a DuckDB connection of its own).

    Returns:
        A DataFrame indexed like ``examples``.
    """
    h = pd.DataFrame(
        {
            "k": history[key].to_numpy(),
            "a": pd.to_datetime(history["anchor_time"]).to_numpy(dtype="datetime64[us]"),
            "y": history["label"].to_numpy(dtype=float),
        }
    )
    t = pd.to_datetime(examples["anchor_time"]).to_numpy(dtype="datetime64[us]")
    known = t if cutoff is None else np.minimum(t, np.datetime64(pd.Timestamp(cutoff), "us"))
    e = pd.DataFrame(
        {"i": np.arange(len(examples)), "k": examples[key].to_numpy(), "t": t, "known": known}
    )
    con = duckdb.connect() if engine is None else None
    run = engine or DuckDBEngine(con)
    try:
        run.register_frame(HISTORY, h)
        run.register_frame(EXAMPLES, e)
        sql = _history_sql(EXAMPLES, HISTORY, horizon, lookbacks, prefix)
        out = run.fetch(f"{sql} ORDER BY e.i")
    finally:
        run.drop(HISTORY)
        run.drop(EXAMPLES)
        if con is not None:
            con.close()
    out = out.drop(columns="i")
    for col in out.columns:
        if ".count." in col:
            out[col] = out[col].fillna(0)
    out.index = examples.index
    return out


def label_history_spark(
    history: Any,
    examples: Any,
    key: str,
    horizon: pd.Timedelta,
    views: TempViews,
    lookbacks: Sequence[int | None] = DEFAULT_LOOKBACKS,
    prefix: str = "target",
    cutoff: pd.Timestamp | None = None,
) -> Any:
    """:func:`label_history_features` of distinct examples on Spark, with the
    same SQL and values, as a Spark DataFrame that stays on the cluster:
    ``__ex_id`` and the ``{prefix}.*`` columns, one row per example.

    Args:
        history (pyspark DataFrame): labelled examples ``[key, anchor_time,
            label]`` at earlier anchors (e.g. the task's label SQL run by
            ``views.engine``).
        examples (pyspark DataFrame): ``__ex_id``, ``__key`` and ``__t``, one
            row per example
            (:func:`~relgraph.engines.spark_examples.distinct_examples`).
        key: the entity key column of ``history``.
        horizon: the label window length.
        views (TempViews): keeps the two inputs' views until the result is written.
        lookbacks, prefix, cutoff: as for :func:`label_history_features`.

    Example (a session is a JVM)::

        with TempViews(engine) as views:
            rows = number_examples(views, entities, "customer_id")
            feats = label_history_spark(history, distinct_examples(rows), "customer_id",
                                        pd.Timedelta(days=30), views)
            attach(rows, [feats], "customer_id").write.parquet("history/")
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, TimestampNTZType

    h = history.select(
        spark_column(key).alias("k"),
        spark_column("anchor_time").cast(TimestampNTZType()).alias("a"),
        spark_column("label").cast(DoubleType()).alias("y"),
    )
    known = F.col("__t")
    if cutoff is not None:
        at = pd.Timestamp(cutoff).isoformat(sep=" ")
        known = F.least(known, F.expr(f"TIMESTAMP_NTZ '{at}'"))
    e = examples.select(
        F.col(EXAMPLE_ID).alias("i"),
        F.col("__key").alias("k"),
        F.col("__t").alias("t"),
        known.alias("known"),
    )
    sql = _history_sql(
        views.register(EXAMPLES, e), views.register(HISTORY, h), horizon, lookbacks, prefix
    )
    out = views.engine.dataframe(sql)
    columns = [F.col("i").alias(EXAMPLE_ID)]
    columns += [
        F.coalesce(spark_column(c), F.lit(0)).alias(c) if ".count." in c else spark_column(c)
        for c in out.columns
        if c != "i"
    ]
    return out.select(*columns)


def _history_sql(
    examples: str,
    history: str,
    horizon: pd.Timedelta,
    lookbacks: Sequence[int | None],
    prefix: str,
) -> str:
    """The history features' query over the ``examples`` (``i, k, t,
    known``) and ``history`` (``k, a, y``) tables: one row per ``e.i``."""
    step = int(horizon.total_seconds())
    aggs = []
    for lb in lookbacks:
        name = "all" if lb is None else f"last_{lb}"
        # CASE, not FILTER, and an interval, not to_seconds: forms that mean
        # the same in every engine's dialect.
        since = None if lb is None else f"e.t - {step_interval(step * lb)}"
        value = "h.y" if since is None else f"CASE WHEN h.a >= {since} THEN h.y END"
        aggs += [
            f'avg({value}) AS "{prefix}.mean.{name}"',
            f'count({value}) AS "{prefix}.count.{name}"',
        ]
    aggs.append(f'arg_max(h.y, h.a) AS "{prefix}.last"')
    lag = season_lag(horizon)
    if lag is not None:
        year_ago = f"e.t - {step_interval(step * lag)}"
        aggs.append(f'max(CASE WHEN h.a = {year_ago} THEN h.y END) AS "{prefix}.year_ago"')
    since_last = days_between("any_value(e.t)", "max(h.a)")
    aggs.append(f'{since_last} AS "{prefix}.days_since_last"')
    # Known at t: the label's window (a, a + horizon] has ended by t.
    return (
        f"SELECT e.i, {', '.join(aggs)} FROM {examples} e LEFT JOIN {history} h "
        f"ON h.k = e.k AND h.a + {step_interval(step)} <= e.known GROUP BY e.i"
    )
