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

import duckdb
import numpy as np
import pandas as pd

from relgraph.engines.base import Engine
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.engines.portable import days_between, seconds_interval

#: Past windows summarised: the last 1, 3 and 12 horizons, and all known history.
DEFAULT_LOOKBACKS: tuple[int | None, ...] = (1, 3, 12, None)

#: The names the two frames are registered under while the query runs.
HISTORY, EXAMPLES = "__rg_label_history", "__rg_label_examples"


def past_anchors(
    anchor_times: Sequence[pd.Timestamp] | pd.Series,
    horizon: pd.Timedelta,
    windows: int,
    earliest: pd.Timestamp | None = None,
) -> list[pd.Timestamp]:
    """Anchors ``t - k * horizon`` (``k = 1..windows``) of every given ``t``:
    where the target's history must be labelled."""
    times = pd.to_datetime(pd.Series(anchor_times)).drop_duplicates()
    out = sorted({t - k * horizon for t in times for k in range(1, windows + 1)})
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
    ``k`` horizons (``None``: all known), and its most recent known label.

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
    step = int(horizon.total_seconds())
    aggs = []
    for lb in lookbacks:
        name = "all" if lb is None else f"last_{lb}"
        # CASE, not FILTER, and an interval, not to_seconds: forms that mean
        # the same in every engine's dialect.
        since = None if lb is None else f"e.t - {seconds_interval(step * lb)}"
        value = "h.y" if since is None else f"CASE WHEN h.a >= {since} THEN h.y END"
        aggs += [
            f'avg({value}) AS "{prefix}.mean.{name}"',
            f'count({value}) AS "{prefix}.count.{name}"',
        ]
    aggs.append(f'arg_max(h.y, h.a) AS "{prefix}.last"')
    since_last = days_between("any_value(e.t)", "max(h.a)")
    aggs.append(f'{since_last} AS "{prefix}.days_since_last"')
    con = duckdb.connect() if engine is None else None
    run = engine or DuckDBEngine(con)
    try:
        run.register_frame(HISTORY, h)
        run.register_frame(EXAMPLES, e)
        # Known at t: the label's window (a, a + horizon] has ended by t.
        out = run.fetch(
            f"SELECT e.i, {', '.join(aggs)} FROM {EXAMPLES} e LEFT JOIN {HISTORY} h "
            f"ON h.k = e.k AND h.a + {seconds_interval(step)} <= e.known GROUP BY e.i ORDER BY e.i"
        )
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
