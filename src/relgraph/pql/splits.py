"""Temporal splits (docs/pql.md, "Splits"; as RelBench).

Given ``val_time``, ``test_time`` and a horizon ``Δ``:

- training anchors are ``val_time - Δ, val_time - 2Δ, ...`` back to the
  earliest timestamp in the database (so every training window ends by
  ``val_time``);
- validation anchors are ``val_time, val_time + Δ, ...`` while ``t + Δ <= test_time``,
  at most 40;
- test anchors are ``test_time, test_time + Δ, ...`` while ``t + Δ`` is at most
  the latest timestamp in the database, at most 40.

``k·Δ`` is computed from the split time each time (calendar months do not drift).
When the split times are not given, :func:`choose_split_times` takes the last
``k`` horizons for test and the ``k`` before them for validation, with ``k``
about a tenth of the history (1 to 40).

Example:
    >>> import pandas as pd
    >>> from relgraph.pql.duration import Duration
    >>> d, t = Duration(30), pd.Timestamp
    >>> [str(a.date()) for a in train_anchors(t("2024-04-01"), d, t("2024-01-01"))]
    ['2024-03-02', '2024-02-01', '2024-01-02']
    >>> [str(a.date()) for a in eval_anchors(t("2024-04-01"), t("2024-06-01"), d)]
    ['2024-04-01', '2024-05-01']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlglot import exp

from relgraph.errors import PQLError
from relgraph.pql.duration import Duration

__all__ = [
    "MAX_EVAL_ANCHORS",
    "SPLITS",
    "choose_split_times",
    "database_time_range",
    "eval_anchors",
    "key_split",
    "train_anchors",
]

SPLITS = ("train", "val", "test")
#: At most this many validation and test anchors (as RelBench's rel-f1 tasks).
MAX_EVAL_ANCHORS = 40
_MAX_TRAIN_ANCHORS = 100_000


def train_anchors(
    val_time: pd.Timestamp, horizon: Duration, earliest: pd.Timestamp
) -> list[pd.Timestamp]:
    """``val_time - Δ, val_time - 2Δ, ...`` while ``>= earliest``, latest first."""
    out = []
    for i in range(1, _MAX_TRAIN_ANCHORS):
        t = horizon.add(val_time, -i)
        if t < earliest:
            break
        out.append(t)
    return out


def eval_anchors(
    start: pd.Timestamp, stop: pd.Timestamp, horizon: Duration, limit: int = MAX_EVAL_ANCHORS
) -> list[pd.Timestamp]:
    """``start, start + Δ, ...`` while ``t + Δ <= stop``, at most ``limit``."""
    out = []
    for i in range(limit):
        t = horizon.add(start, i)
        if horizon.add(t) > stop:
            break
        out.append(t)
    return out


def database_time_range(db) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The earliest and latest timestamp over every time column of every table."""
    parts = []
    for name, table in db.schema.tables.items():
        if table.time_column is None:
            continue
        from relgraph.pql.compiler import col, ident

        column = col(table.time_column)
        parts.append(
            exp.select(
                exp.cast(exp.Min(this=column), "TIMESTAMP").as_("lo"),
                exp.cast(exp.Max(this=column.copy()), "TIMESTAMP").as_("hi"),
            ).from_(exp.Table(this=ident(name)))
        )
    if not parts:
        raise PQLError(
            "No table has a time column, so there is no time to split at; set one with "
            "db.set_time_column(table, column)."
        )
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    query = exp.select(exp.Min(this=exp.column("lo")), exp.Max(this=exp.column("hi"))).from_(
        union.subquery("ranges")
    )
    lo, hi = db.con.execute(query.sql("duckdb")).fetchall()[0]
    if lo is None:
        raise PQLError("Every time column is empty (all NULL), so there is no time to split at.")
    return pd.Timestamp(lo), pd.Timestamp(hi)


def table_time_end(db, table: str) -> pd.Timestamp | None:
    """The latest time of ``table``'s rows (``None``: no time column, or all empty).

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> orders = pd.DataFrame({"order_id": [1, 2], "at": pd.to_datetime(["2024-01-05",
        ...                                                               "2024-03-01"])})
        >>> str(table_time_end(rg.connect({"orders": orders}), "orders"))
        '2024-03-01 00:00:00'
    """
    from relgraph.pql.compiler import col, ident

    time_column = db.schema.tables[table].time_column
    if time_column is None:
        return None
    query = exp.select(exp.cast(exp.Max(this=col(time_column)), "TIMESTAMP")).from_(
        exp.Table(this=ident(table))
    )
    (end,) = db.con.execute(query.sql("duckdb")).fetchall()[0]
    return None if end is None else pd.Timestamp(end)


def _floor(time: pd.Timestamp, horizon: Duration) -> pd.Timestamp:
    unit = {"seconds": "s", "minutes": "min", "hours": "h"}.get(horizon.unit.value, "D")
    return time.floor(unit)


@dataclass(frozen=True)
class SplitTimes:
    val_time: pd.Timestamp
    test_time: pd.Timestamp
    note: str


def choose_split_times(
    earliest: pd.Timestamp,
    latest: pd.Timestamp,
    horizon: Duration,
    val_time: pd.Timestamp | None = None,
    test_time: pd.Timestamp | None = None,
) -> SplitTimes:
    """Fill in the split times the user did not give, and say what was chosen."""
    span = (latest - earliest).total_seconds()
    n = int(span // horizon.seconds) if horizon.seconds else 0
    k = max(1, min(MAX_EVAL_ANCHORS, n // 10))
    chosen = []
    if test_time is None:
        if n < 3:
            raise PQLError(
                f"The database spans {earliest} .. {latest}, fewer than 3 horizons of "
                f"{horizon}; give a shorter horizon (e.g. --horizon 7d) or the split times."
            )
        test_time = horizon.add(_floor(latest, horizon), -k)
        if val_time is not None and test_time <= val_time:
            test_time = horizon.add(val_time, k)
        chosen.append(f"test_time {test_time} (the last {k} horizon{'s' if k > 1 else ''})")
    if val_time is None:
        val_time = horizon.add(test_time, -k)
        chosen.append(f"val_time {val_time} ({k} horizon{'s' if k > 1 else ''} before test_time)")
    if not val_time < test_time:
        raise PQLError(f"Expected val_time < test_time (got {val_time} and {test_time}).")
    note = ""
    if chosen:
        note = (
            f"split times chosen from the data ({earliest} .. {latest}, horizon {horizon}): "
            + "; ".join(chosen)
            + ". Give val_time/test_time (--val-time/--test-time) to choose them yourself."
        )
    return SplitTimes(val_time, test_time, note)


def choose_static_split_times(
    entity_times: pd.Series,
    earliest: pd.Timestamp,
    latest: pd.Timestamp,
    val_time: pd.Timestamp | None = None,
    test_time: pd.Timestamp | None = None,
) -> SplitTimes:
    """Split times for a target without a window: the 80th and 90th percentiles
    (to the day) of the times of the entities labelled by the end of the data,
    or of the database's span when the entity table is static."""
    times = entity_times.dropna()
    chosen = []

    def pick(q: float) -> pd.Timestamp:
        if len(times):
            return pd.Timestamp(times.quantile(q)).floor("D")
        return (earliest + (latest - earliest) * q).floor("D")

    if test_time is None:
        test_time = pick(0.9)
        chosen.append(f"test_time {test_time}")
    if val_time is None:
        val_time = min(pick(0.8), test_time - pd.Timedelta(days=1))
        chosen.append(f"val_time {val_time}")
    if not val_time < test_time:
        raise PQLError(f"Expected val_time < test_time (got {val_time} and {test_time}).")
    note = ""
    if chosen:
        what = "labelled entities' own times" if len(times) else "database's time span"
        note = (
            "split times chosen from the data (80th/90th percentiles of the "
            f"{what}): " + "; ".join(chosen) + "."
        )
    return SplitTimes(val_time, test_time, note)


#: Shares of a split by key (train, validation; test takes the rest).
KEY_SPLIT = (0.8, 0.1)
#: The anchor of a database without any time: rows have no time, so every
#: row is visible at it; a fixed instant keeps results the same on every run.
TIMELESS_ANCHOR = pd.Timestamp("1970-01-01")


def key_split(keys: pd.Series) -> np.ndarray:
    """``"train"``, ``"val"`` or ``"test"`` for each key, from a hash of its
    text (the same on every run and machine): 80% / 10% / 10%.

    Example:
        >>> import pandas as pd
        >>> parts = key_split(pd.Series(range(1000)))
        >>> sorted(str(p) for p in set(parts)), round(float((parts == "train").mean()), 1)
        (['test', 'train', 'val'], 0.8)
    """
    buckets = np.array(
        [
            int.from_bytes(hashlib.blake2b(str(k).encode(), digest_size=8).digest(), "big") % 1000
            for k in keys
        ]
    )
    train, val = (int(share * 1000) for share in KEY_SPLIT)
    return np.where(buckets < train, "train", np.where(buckets < train + val, "val", "test"))
