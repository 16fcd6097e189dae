"""In-context examples of the ``icl`` model: the query's own labels at earlier
anchors, known by the time of the prediction, sampled to a fixed size.

For a prediction at anchor ``t`` (and an optional ``cutoff``, RelBench's
protocol), the context anchors are ``t - Δ, t - 2Δ, ...`` whose windows end by
``min(t, cutoff)``: every context label is known at the prediction's time.

Example:
    >>> import pandas as pd
    >>> when = pd.date_range("2024-01-01", periods=6, freq="30D")
    >>> labels = pd.DataFrame({"id": range(6), "anchor_time": when,
    ...                        "label": [1, 0, 0, 0, 0, 0]})  # the one positive is the oldest
    >>> sample_context(labels, 3, stratify=False)["label"].tolist()
    [0, 0, 0]
    >>> sample_context(labels, 3, stratify=True)["label"].tolist()
    [1, 0, 0]
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from relgraph.pql import ast
from relgraph.pql.duration import calendar_step
from relgraph.pql.task import Task

#: Anchors labelled per SQL query while the context grows.
ANCHORS_PER_QUERY = 32
#: The most anchors labelled ahead in one query after batches without labels.
MAX_ANCHORS_AHEAD = 1024
#: Fewest anchors a context spans: where the latest anchor alone would fill it
#: (many entities), it takes an equal share of each of the latest few, so one
#: unusual window (a holiday week) does not set the base rate.
MIN_CONTEXT_ANCHORS = 4


def context_task(task: Task) -> Task:
    """The task whose labels are the context: the same query ``FOR EACH``
    entity (``FOR t.pk IN (...)`` asks about a few ids, yet every entity's
    history is context)."""
    if task.query.entity.form is ast.EntityForm.EACH:
        return task
    entity = dataclasses.replace(task.query.entity, form=ast.EntityForm.EACH, ids=())
    query = dataclasses.replace(task.query, entity=entity)
    return Task.from_query(task.source_db, query, horizon=task.horizon, anchor=task.anchor)


def context_anchors(
    anchor: pd.Timestamp,
    horizon: pd.Timedelta,
    earliest: pd.Timestamp,
    cutoff: pd.Timestamp | None = None,
) -> Iterator[pd.Timestamp]:
    """``anchor - k * horizon`` (``k = 1, 2, ...``), most recent first, whose
    window ends by ``anchor`` and by ``cutoff``, back to ``earliest``. A
    horizon of whole PQL months steps by calendar months, as the splits do
    (:func:`~relgraph.pql.duration.calendar_step`).

    Example:
        >>> year = pd.Timedelta(days=365.2425)
        >>> t = pd.Timestamp("2022-01-01")
        >>> [str(a.date()) for a in context_anchors(t, year, pd.Timestamp("2019-06-01"))]
        ['2021-01-01', '2020-01-01']
    """
    known_end = anchor if cutoff is None else min(anchor, pd.Timestamp(cutoff))
    step = calendar_step(horizon)
    k = 1
    while (a := anchor - k * step) >= earliest:
        if a + step <= known_end:
            yield a
        k += 1


class LabelCache:
    """Labels of one task by anchor, computed in batches and kept (one SQL
    query per :data:`ANCHORS_PER_QUERY` anchors).

    After a batch without any label the next query labels twice as many
    anchors ahead (up to :data:`MAX_ANCHORS_AHEAD`), so a long stretch without
    data (a year-9999 placeholder time far after the rest) costs a few
    queries, not thousands; after labelled batches it labels as many anchors
    as their rows per anchor say are still needed (half as many more), so a
    context usually costs two queries. Batches are still taken
    :data:`ANCHORS_PER_QUERY` at a time, so the labels gathered are the same.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self._by_anchor: dict[pd.Timestamp, pd.DataFrame] = {}

    def gather(
        self, anchors: Iterator[pd.Timestamp], rows: int, min_anchors: int = 1
    ) -> pd.DataFrame:
        """Labels at ``anchors`` (in the order given) until at least ``rows``
        examples from at least ``min_anchors`` anchors with labels are
        gathered, or the anchors run out."""
        anchors = iter(anchors)
        ahead: list[pd.Timestamp] = []  # anchors taken from the iterator, not yet used
        parts: list[pd.DataFrame] = []
        total, empty_batches, consumed = 0, 0, 0
        while total < rows or len(parts) < min_anchors:
            if len(ahead) < ANCHORS_PER_QUERY:
                ahead += itertools.islice(anchors, ANCHORS_PER_QUERY - len(ahead))
            batch, ahead = ahead[:ANCHORS_PER_QUERY], ahead[ANCHORS_PER_QUERY:]
            if not batch:
                break
            if any(a not in self._by_anchor for a in batch):
                size = ANCHORS_PER_QUERY * 2**empty_batches
                if total:  # as many anchors as the rows so far say are still needed
                    per_anchor = total / consumed
                    size = max(size, int(np.ceil(1.5 * (rows - total) / per_anchor)))
                size = min(MAX_ANCHORS_AHEAD, size)
                ahead += itertools.islice(anchors, max(0, size - len(batch) - len(ahead)))
                self._label(batch + ahead)
            consumed += len(batch)
            new = [p for p in (self._by_anchor[a] for a in batch) if len(p)]
            parts.extend(new)  # empty parts add nothing (and are slow to concatenate)
            found = sum(len(p) for p in new)
            total += found
            empty_batches = 0 if found else empty_batches + 1
        if not parts:
            return self.task.table_at([])
        return pd.concat(parts, ignore_index=True)

    def _label(self, anchors: list[pd.Timestamp]) -> None:
        missing = [a for a in anchors if a not in self._by_anchor]
        if missing:
            table = self.task.table_at(missing)
            groups = dict(iter(table.groupby("anchor_time", sort=False)))
            empty = table.iloc[:0]
            for a in missing:
                self._by_anchor[a] = groups.get(a, empty)


def sample_context(
    labels: pd.DataFrame,
    size: int,
    *,
    stratify: bool,
    seed: int = 0,
    min_anchors: int = MIN_CONTEXT_ANCHORS,
) -> pd.DataFrame:
    """At most ``size`` rows of ``labels``, the most recent anchors first (rows
    of one anchor in a random order: labels come sorted by key, and the lowest
    keys are often the oldest entities). Where fewer than ``min_anchors`` of
    the latest anchors would fill the context, the latest ``min_anchors`` each
    give an equal share.

    With ``stratify`` (classification) each class keeps at least
    ``size / (2 * classes)`` rows when it has them, so a rare class is never
    crowded out by the recent majority; the rest follows the class shares.
    """
    shuffle = np.random.default_rng(seed).permutation(len(labels))
    ordered = labels.iloc[shuffle].sort_values("anchor_time", ascending=False, kind="stable")
    ordered = _spread(ordered, size, min_anchors)
    if len(ordered) <= size:
        return ordered.sort_values("anchor_time", kind="stable").reset_index(drop=True)
    if not stratify:
        return ordered.head(size).sort_values("anchor_time", kind="stable").reset_index(drop=True)
    classes = ordered["label"].astype(str)
    counts = classes.value_counts()
    floor = max(1, size // (2 * len(counts)))
    quota = {c: int(min(n, max(floor, round(size * n / len(ordered))))) for c, n in counts.items()}
    excess = sum(quota.values()) - size
    while excess > 0:  # take the surplus from the largest quota
        big = max(quota, key=quota.get)
        cut = min(excess, quota[big] - min(counts[big], floor))
        if cut <= 0:
            break
        quota[big] -= cut
        excess -= cut
    rank = ordered.groupby(classes, sort=False).cumcount()
    keep = rank.to_numpy() < classes.map(quota).to_numpy()
    return ordered[keep].sort_values("anchor_time", kind="stable").reset_index(drop=True)


def _spread(ordered: pd.DataFrame, size: int, min_anchors: int) -> pd.DataFrame:
    """``ordered`` (latest anchor first) with the rows of its latest
    ``min_anchors`` anchors interleaved (the first row of each, then the
    second, ...) when fewer anchors than that hold ``size`` rows."""
    anchors = pd.to_datetime(ordered["anchor_time"])
    per_anchor = anchors.value_counts(sort=False).sort_index(ascending=False)
    filled = int(np.searchsorted(per_anchor.cumsum().to_numpy(), size)) + 1
    if len(ordered) <= size or filled >= min_anchors:
        return ordered
    latest = anchors >= per_anchor.index[min(min_anchors, len(per_anchor)) - 1]
    rank = ordered.groupby(anchors, sort=False).cumcount()
    head = ordered[latest.to_numpy()].assign(_rank=rank[latest.to_numpy()].to_numpy())
    head = head.sort_values(["_rank", "anchor_time"], ascending=[True, False], kind="stable")
    return pd.concat([head.drop(columns="_rank"), ordered[~latest.to_numpy()]])


def class_counts(labels: pd.Series) -> dict[str, int]:
    """Examples per class, as plain ``str -> int``."""
    return {str(k): int(v) for k, v in labels.astype(str).value_counts().items()}


def positions(rows: pd.DataFrame, key: str, wanted: pd.DataFrame) -> np.ndarray:
    """Where each ``(key, anchor_time)`` of ``wanted`` sits in ``rows``."""
    index = pd.MultiIndex.from_arrays([rows[key], pd.to_datetime(rows["anchor_time"])])
    pos = index.get_indexer(
        pd.MultiIndex.from_arrays([wanted[key], pd.to_datetime(wanted["anchor_time"])])
    )
    assert (pos >= 0).all()
    return pos
