"""Test-only reference of RelBench's rel-f1 driver task tables, in plain pandas.

Written from the facts in DESIGN.md (section 3, time semantics and the split
rule; section 6, rel-f1), independently of relgraph's own label code, so that
the two can be compared row for row.

- Window of an example anchored at ``t``: ``(t, t + horizon]``.
- A (driver, t) example exists iff the driver has a row of the task's table
  in the window (RelBench's "active in the last year" filter has no upper
  bound, so it adds nothing).
- Training anchors: ``val_time - h, val_time - 2h, ...`` while ``>= earliest``
  (RelBench's ``pd.date_range(val_time - h, earliest, freq=-h)`` keeps an
  anchor equal to the earliest time, drops one before it).
- Validation anchors: ``val_time, val_time + h, ...`` while ``t + h <= test_time``,
  at most 40. Test anchors: ``test_time, ...`` while ``t + h <= latest``, at most 40.
- RelBench's ``get_db()`` cuts the database at ``test_time`` (rows ``<= test_time``)
  for the training and validation tables (``earliest`` then comes from the cut
  database); the test table is built from the full database (labels need the
  future, ``latest`` is the full database's).

Label polarity of driver-dnf: DESIGN says 1 = the driver has a result with
``statusId != 1`` in the window, and so does this reference. RelBench's own SQL
(``relbench/tasks/f1.py``, ``DriverDNFTask``) computes the opposite,
``did_not_finish = 0`` in that case and 1 when every result is "Finished".
Split sizes are unaffected; the label mean is 1 minus ours, and AUROC of a
model trained on either polarity is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relgraph import Database
from relgraph.bench.rel_f1 import TEST_TIME, VAL_TIME

MAX_EVAL_ANCHORS = 40
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class TaskSpec:
    table: str
    column: str
    horizon: pd.Timedelta
    #: Per (anchor_time, driverId) group of the window's values -> label.
    label: Callable[[pd.core.groupby.SeriesGroupBy], pd.Series]


TASKS = {
    # 1 if any result in the window has a status other than 1 ("Finished").
    "driver-dnf": TaskSpec(
        "results",
        "statusId",
        pd.Timedelta(days=30),
        lambda g: g.agg(lambda s: int((s.fillna(1) != 1).any())),
    ),
    # 1 if the best qualifying position in the window is 1, 2 or 3.
    "driver-top3": TaskSpec(
        "qualifying",
        "position",
        pd.Timedelta(days=30),
        lambda g: (g.min() <= 3).astype("int64"),
    ),
    # Mean finishing order over the window's results.
    "driver-position": TaskSpec(
        "results",
        "positionOrder",
        pd.Timedelta(days=60),
        lambda g: g.mean().astype("float64"),
    ),
}


def time_bounds(
    db: Database, upto: pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Earliest and latest row time over every timed table (rows ``<= upto`` if given)."""
    lows, highs = [], []
    for name, table in db.schema.tables.items():
        if table.time_column is None:
            continue
        times = pd.to_datetime(db.table(name, [table.time_column])[table.time_column]).dropna()
        if upto is not None:
            times = times[times <= upto]
        if len(times):
            lows.append(times.min())
            highs.append(times.max())
    return min(lows), max(highs)


def split_anchors(db: Database, horizon: pd.Timedelta, split: str) -> list[pd.Timestamp]:
    """The anchor times of ``split`` under RelBench's rule (see the module docstring)."""
    if split == "train":
        earliest, _ = time_bounds(db, upto=TEST_TIME)
        anchors = []
        t = VAL_TIME - horizon
        while t >= earliest:
            anchors.append(t)
            t -= horizon
        return anchors[::-1]
    if split == "val":
        start, end = VAL_TIME, TEST_TIME
    elif split == "test":
        start, end = TEST_TIME, time_bounds(db)[1]
    else:
        raise ValueError(f"split must be one of {SPLITS} (got {split!r})")
    anchors = []
    t = start
    while t + horizon <= end and len(anchors) < MAX_EVAL_ANCHORS:
        anchors.append(t)
        t += horizon
    return anchors


def reference_table(db: Database, task: str, split: str) -> pd.DataFrame:
    """RelBench's task table for ``task`` and ``split``.

    Returns:
        DataFrame with columns ``driverId``, ``anchor_time`` (Timestamp) and
        ``label``, sorted by ``anchor_time`` then ``driverId``.
    """
    spec = TASKS[task]
    rows = db.table(spec.table, ["driverId", "date", spec.column])
    rows["date"] = pd.to_datetime(rows["date"])
    if split != "test":  # RelBench's get_db() cut for the training and validation tables
        rows = rows[rows["date"] <= TEST_TIME]
    rows = rows.sort_values("date", kind="stable").reset_index(drop=True)
    times = rows["date"].to_numpy()

    pieces = []
    for anchor in split_anchors(db, spec.horizon, split):
        # Rows with anchor < time <= anchor + horizon: one contiguous slice of sorted times.
        lo = np.searchsorted(times, np.datetime64(anchor), side="right")
        hi = np.searchsorted(times, np.datetime64(anchor + spec.horizon), side="right")
        if hi > lo:
            pieces.append(rows.iloc[lo:hi].assign(anchor_time=anchor))
    window = pd.concat(pieces, ignore_index=True)
    labels = spec.label(window.groupby(["anchor_time", "driverId"])[spec.column])
    out = labels.rename("label").reset_index()
    out["anchor_time"] = pd.to_datetime(out["anchor_time"])
    return out[["driverId", "anchor_time", "label"]].sort_values(
        ["anchor_time", "driverId"], ignore_index=True
    )
