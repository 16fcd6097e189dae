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

#: Past windows summarised: the last 1, 3 and 12 horizons, and all known history.
DEFAULT_LOOKBACKS: tuple[int | None, ...] = (1, 3, 12, None)


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
        cond = "TRUE" if lb is None else f"h.a >= e.t - to_seconds({step * lb})"
        aggs += [
            f'avg(h.y) FILTER (WHERE {cond}) AS "{prefix}.mean.{name}"',
            f'count(h.y) FILTER (WHERE {cond}) AS "{prefix}.count.{name}"',
        ]
    aggs.append(f'arg_max(h.y, h.a) AS "{prefix}.last"')
    aggs.append(
        f'(epoch(any_value(e.t)) - epoch(max(h.a))) / 86400.0 AS "{prefix}.days_since_last"'
    )
    con = duckdb.connect()
    try:
        con.register("h", h)
        con.register("e", e)
        # Known at t: the label's window (a, a + horizon] has ended by t.
        out = con.sql(
            f"SELECT e.i, {', '.join(aggs)} FROM e LEFT JOIN h ON h.k = e.k "
            f"AND h.a + to_seconds({step}) <= e.known GROUP BY e.i ORDER BY e.i"
        ).df()
    finally:
        con.close()
    out = out.drop(columns="i")
    for col in out.columns:
        if ".count." in col:
            out[col] = out[col].fillna(0)
    out.index = examples.index
    return out
