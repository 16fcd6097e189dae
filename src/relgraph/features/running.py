"""A timed path's aggregates from running totals: each entity's rows are
aggregated once, in time order, and every example reads the totals as of its
anchor, instead of joining each example to its entity's whole history.

:meth:`FeaturePlan.transform <relgraph.features.relational.FeaturePlan.transform>`
asks, for every example ``(entity, t)``, aggregates of the rows at a path's
end visible at ``t``. Written directly, an entity asked at 40 anchors has its
history joined and aggregated 40 times (rel-f1's drivers: 146,501 joined rows
for 1,025 examples, 0.2 s for the ``results`` path). Here the path's rows of
the examples' entities are read once, ordered by their time (then the end
table's key), and running aggregates are taken along each entity's rows with
numpy: the count, sum, minimum, maximum and standard deviation so far, the
newest non-missing value, the mean of the last ``n`` rows, the count of each
category value. An example then needs only ``n``, how many of its entity's
rows are visible at its anchor (a binary search): the running aggregates of
row ``n`` are those of all of them. A backward window ``(t - w, t]`` is the
difference of two such reads, row ``n`` and row ``n_w`` (the rows at or
before ``t - w``).

This holds when one time both decides whether a row is visible and places it
in a window; a path whose timed tables disagree on that (a row visible from
one table's time, windowed by another's) is left to the direct SQL: the
caller gets ``None``. The values are the direct SQL's up to the rounding of a
sum taken in another order (a window's sum is a difference of running sums; a
standard deviation comes from sums of squares about the entity's first value).

Example:
    >>> import duckdb, pandas as pd
    >>> from relgraph.engines.duckdb_engine import DuckDBEngine
    >>> con = duckdb.connect()
    >>> engine = DuckDBEngine(con)
    >>> orders = pd.DataFrame({"order_id": [1, 2], "customer_id": [1, 1],
    ...     "ordered_at": pd.to_datetime(["2024-01-05", "2024-02-05"]), "amount": [10.0, 30.0]})
    >>> engine.register_frame("orders", orders)
    >>> ex = pd.DataFrame({"__ex_id": [0, 1], "__key": [1, 1],
    ...     "__t": pd.to_datetime(["2024-01-31", "2024-02-29"]).astype("datetime64[us]")})
    >>> ex["__vis"] = ex["__t"]
    >>> ex["__t_0"] = ex["__t"] - pd.Timedelta(days=30)
    >>> engine.register_frame("ex", ex)
    >>> path = RunningPath(
    ...     name="orders",
    ...     rows_sql="SELECT customer_id AS __key, ordered_at AS __vt, ordered_at AS __et, "
    ...              "order_id AS __pk, amount AS __v0 FROM orders",
    ...     numeric=["amount"], categories=[], window_names=["last_30d"], last_n=5)
    >>> frame = running_path_frame(engine, path, Anchors.of(ex, windows=1), "ex")
    >>> frame[["orders.count.all", "orders.amount.sum.all", "orders.amount.mean.last_30d"]]
       orders.count.all  orders.amount.sum.all  orders.amount.mean.last_30d
    0               1.0                   10.0                         10.0
    1               2.0                   40.0                         30.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relgraph.engines.base import Engine
from relgraph.features.path_names import count_names, numeric_names, share_names

__all__ = ["Anchors", "RunningPath", "running_path_frame", "worth_running"]

#: A difference of running sums this small beside the magnitudes summed is
#: rounding (float64 keeps ~16 digits; 1e-12 allows ~10,000 rows' errors).
_ROUNDING = 1e-12

#: The fetched columns that hold values: ``__v<i>`` numeric, ``__k<i>_<m>`` 0/1.
_VALUE = re.compile(r"__v\d+|__k\d+_\d+")


#: Running totals pay when entities recur: at this many examples per entity
#: and more, or for at most :data:`FEW_ENTITIES` entities (whose fixed costs are
#: lower than the direct SQL's). Measured on the demo shop at scale 4 (direct /
#: running seconds): 16,000 customers at one anchor 0.78 / 1.41, at two 1.43 /
#: 1.46, at four 2.59 / 1.75; 4,000 at one 0.37 / 0.42, at two 0.54 / 0.44;
#: 500 at one 0.19 / 0.15; rel-f1's 864 drivers at one 0.56 / 0.44.
EXAMPLES_PER_ENTITY = 2
FEW_ENTITIES = 2000


def worth_running(examples: int, entities: int) -> bool:
    """Whether running totals should compute the features of ``examples``
    rows of ``entities`` distinct entities (else the direct SQL, which
    aggregates each example's rows in DuckDB's parallel group-by, is faster:
    every entity seen once, as in bulk scoring at one anchor).

    Example:
        >>> worth_running(40_000, 1_000), worth_running(16_000, 16_000), worth_running(500, 500)
        (True, False, True)
    """
    return examples >= EXAMPLES_PER_ENTITY * entities or entities <= FEW_ENTITIES


@dataclass(frozen=True)
class RunningPath:
    """One timed path, as the running aggregates need it.

    Args:
        name (str): the path's name, the prefix of its feature names.
        rows_sql (str): SQL of the path's rows for the examples' entities:
            ``__key`` (the entity), ``__vt`` (the time from which the row is
            visible; never NULL), ``__et`` (the time that places it in a
            window), ``__pk`` (the end table's key: the order of rows of one
            time), ``__v<i>`` (DOUBLE) per numeric column and ``__c<i>`` per
            categorical one.
        numeric (list[str]): the numeric columns, in ``__v<i>`` order.
        categories (list[tuple[str, list[str], list[Any]]]): per categorical
            column in ``__c<i>`` order: its name, its values as SQL literals
            and as written in feature names.
        window_names (list[str]): the backward windows' names (``__t_<j>`` of
            the examples is each one's start).
        last_n (int): the mean of the newest ``last_n`` rows is a feature.
        share_window (int): the window of the category shares.
        times_may_differ (bool): ``__vt`` and ``__et`` may differ (the path
            has several timed tables): checked on the rows, and the path is
            declined when they do.
        levels (list[str]): numeric columns whose sums are left out
            (:func:`~relgraph.features.levels.level_columns`).
    """

    name: str
    rows_sql: str
    numeric: list[str]
    categories: list[tuple[str, list[str], list[Any]]]
    window_names: list[str]
    last_n: int
    share_window: int = 0
    times_may_differ: bool = False
    levels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Anchors:
    """The examples' keys and times, read once for every path of a transform.

    Args:
        keys (ndarray): each example's entity key.
        t (ndarray): each example's anchor, microseconds since 1970.
        visible (ndarray): the time up to which its rows are visible (the
            anchor, or an earlier cutoff), microseconds.
        window_starts (list[ndarray]): per backward window, the time at or
            before which rows are outside it (its start, or ``visible`` when
            earlier), microseconds.
    """

    keys: np.ndarray
    t: np.ndarray
    visible: np.ndarray
    window_starts: list[np.ndarray]

    @classmethod
    def of(cls, examples: pd.DataFrame, windows: int) -> Anchors:
        """From a transform's examples table (``__key``, ``__t``, ``__vis``, ``__t_<j>``)."""
        visible = _microseconds(examples["__vis"])
        starts = [np.minimum(_microseconds(examples[f"__t_{j}"]), visible) for j in range(windows)]
        return cls(examples["__key"].to_numpy(), _microseconds(examples["__t"]), visible, starts)


def running_path_frame(
    engine: Engine, path: RunningPath, anchors: Anchors, table: str
) -> pd.DataFrame | None:
    """The path's features for every example (``anchors``; the examples are
    registered with the engine as ``table``), one row each in their order,
    named and ordered as the direct SQL names them; None when the path's
    visible time and window time differ on some row (the caller then runs the
    direct SQL).

    Examples with no visible row get a count of 0 and missing aggregates.
    """
    rows = _sorted_rows(engine.fetch_arrays(_rows_sql(path, table)))
    vt, et = rows["__vt"], rows["__et"]
    if path.times_may_differ and (vt != et).any():
        return None
    history = _History(rows["__codes"], vt, rows["__keys"], anchors.keys)
    (n, last), *windows = history.visible([anchors.visible, *anchors.window_starts])
    columns = [n, *(n - n_j for n_j, _ in windows)]
    columns.append(_days(anchors.t, history.at(et.astype(float), last)))
    # rows come in time order: an entity's first row is its earliest
    first = history.at(et[history.starts].astype(float), np.where(n > 0, history.group, -1))
    columns.append(_days(anchors.t, first))
    names = count_names(path.name, path.window_names, timed=True)
    if path.numeric:
        values = np.column_stack([rows[f"__v{i}"] for i in range(len(path.numeric))])
        columns += _numeric_features(path, history, values, last, windows)
        for column in path.numeric:
            summed = column not in path.levels
            names += numeric_names(
                path.name, column, path.window_names, path.last_n, timed=True, summed=summed
            )
    if path.categories:
        columns += _category_features(path, history, rows, n, last, windows)
        window = path.window_names[path.share_window] if windows else None
        for column, _, vocab in path.categories:
            names += [x for value in vocab for x in share_names(path.name, column, value, window)]
    if len(names) != len(columns):
        raise AssertionError(f"{len(columns)} running columns for {len(names)} names")
    return pd.DataFrame(np.column_stack(columns), columns=names)


class _History:
    """The fetched rows of every entity, in order, and where an entity's
    rows begin: reads the running value at an entity's ``n``-th row."""

    def __init__(
        self, codes: np.ndarray, vt: np.ndarray, uniques: np.ndarray, keys: np.ndarray
    ) -> None:
        self.codes = codes  # each row's entity, non-decreasing
        self.starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
        self.vt = vt
        self.group = pd.Index(uniques).get_indexer(keys)  # -1: no row

    def visible(self, times: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each array of ``times`` (one per example, microseconds): per
        example, how many of its entity's rows have ``__vt <= time``, and the
        position of the last of them (-1: none)."""
        if not len(self.codes):
            none = np.zeros(len(self.group), dtype=np.int64)
            return [(none, none - 1) for _ in times]
        # (entity, time) as one sortable integer: times as ranks among all
        order, rank = np.unique(np.concatenate([self.vt, *times]), return_inverse=True)
        span = len(order) + 1
        row_key = self.codes.astype(np.int64) * span + rank[: len(self.vt)]
        has = self.group >= 0
        group = np.where(has, self.group, 0)
        out = []
        for k in range(len(times)):
            begin = len(self.vt) + k * len(group)
            ask = group.astype(np.int64) * span + rank[begin : begin + len(group)]
            end = np.searchsorted(row_key, ask, side="right")
            n = np.where(has, end - self.starts[group], 0)
            out.append((n, np.where(n > 0, end - 1, -1)))
        return out

    @staticmethod
    def at(values: np.ndarray, position: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """``values`` at each example's ``position`` (-1: ``fill``)."""
        out = np.full(len(position), fill, dtype=float)
        ok = position >= 0
        out[ok] = values[position[ok]]
        return out

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Running sums of each column within each entity's rows."""
        return pd.DataFrame(values).groupby(self.codes).cumsum().to_numpy(dtype=float)

    def extremes_and_newest(self, values: np.ndarray) -> tuple[np.ndarray, ...]:
        """Running minimum, maximum and newest non-missing value of each
        column within each entity's rows (missing values skipped)."""
        frame = pd.DataFrame(values)
        grouped = frame.groupby(self.codes)
        # cummin leaves a missing row missing: it keeps the value before it
        both = pd.concat([grouped.cummin(), grouped.cummax(), frame], axis=1, ignore_index=True)
        filled = both.groupby(self.codes).ffill().to_numpy(dtype=float)
        return tuple(np.hsplit(filled, 3))


def _numeric_features(
    path: RunningPath,
    history: _History,
    values: np.ndarray,
    last: np.ndarray,
    windows: list[tuple[np.ndarray, np.ndarray]],
) -> list[np.ndarray]:
    """The features of the numeric columns (``values``: one column each), in
    the order of :func:`~relgraph.features.path_names.numeric_names`: mean,
    sum, min, max, std over all rows, mean and sum per window, the newest
    value, the mean of the last ``last_n`` rows (no sums of a level)."""
    present = ~np.isnan(values)
    # Sums of squares about the entity's first value, not about 0: a column
    # such as a lap time in milliseconds would lose its variance to rounding.
    first = pd.DataFrame(values).groupby(history.codes).transform("first").to_numpy(dtype=float)
    centred = np.where(present, values - first, 0.0)
    filled = np.where(present, values, 0.0)
    running = history.cumsum(np.hstack([filled, present, centred, centred**2, np.abs(filled)]))
    sums, counts, linear, square, sizes = np.hsplit(running, 5)
    lows, highs, newest = history.extremes_and_newest(values)
    # the last n rows: running sums less those n rows back, within the entity
    back = np.arange(len(values)) - path.last_n
    inside = (back >= history.starts[history.codes])[:, None]
    before = np.maximum(back, 0)
    recent = _ratio(
        _less(sums, np.where(inside, sums[before], 0.0), sizes),
        counts - np.where(inside, counts[before], 0.0),
    )
    out: list[np.ndarray] = []
    for i, column in enumerate(path.numeric):
        summed = column not in path.levels
        count, total = history.at(counts[:, i], last, 0.0), history.at(sums[:, i], last, 0.0)
        size = history.at(sizes[:, i], last, 0.0)
        s1, s2 = history.at(linear[:, i], last, 0.0), history.at(square[:, i], last, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = np.maximum(s2 - s1 * s1 / count, 0.0) / (count - 1)
        out += [_ratio(total, count)] + ([np.where(count > 0, total, np.nan)] if summed else [])
        out += [
            history.at(lows[:, i], last),
            history.at(highs[:, i], last),
            np.where(count > 1, np.sqrt(variance), np.nan),
        ]
        for _, start in windows:
            in_window = count - history.at(counts[:, i], start, 0.0)
            window_sum = _less(total, history.at(sums[:, i], start, 0.0), size)
            out.append(_ratio(window_sum, in_window))
            if summed:
                out.append(np.where(in_window > 0, window_sum, np.nan))
        out += [history.at(newest[:, i], last), history.at(recent[:, i], last)]
    return out


def _category_features(
    path: RunningPath,
    history: _History,
    rows: dict[str, np.ndarray],
    n: np.ndarray,
    last: np.ndarray,
    windows: list[tuple[np.ndarray, np.ndarray]],
) -> list[np.ndarray]:
    """Each category value's share of the rows, over all and over the share
    window, in the order of :func:`~relgraph.features.path_names.share_names`."""
    codes = [
        f"__k{i}_{m}" for i, (_, _, vocab) in enumerate(path.categories) for m in range(len(vocab))
    ]
    counts = history.cumsum(np.column_stack([rows[code] for code in codes]))
    out: list[np.ndarray] = []
    for col in range(len(codes)):
        k = history.at(counts[:, col], last, 0.0)
        out.append(_ratio(k, n))
        if windows:
            n_w, start = windows[path.share_window]
            out.append(_ratio(k - history.at(counts[:, col], start, 0.0), n - n_w))
    return out


def _sorted_rows(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The fetched rows by entity, time and key (sorting here costs less than
    in the query), with ``__codes`` (each row's entity, numbered in the order
    of ``__keys``, the distinct entities), times in microseconds and values
    as floats (NaN: missing)."""
    keys = np.ma.getdata(columns["__key"])
    codes, uniques = pd.factorize(keys, sort=True)
    vt, et = _microseconds(columns["__vt"]), _microseconds(columns["__et"])
    pk = pd.factorize(np.ma.getdata(columns["__pk"]), sort=True)[0]
    order = np.lexsort((pk, vt, codes))
    rows = {"__codes": codes[order], "__keys": np.asarray(uniques), "__vt": vt[order]}
    rows["__et"] = et[order]
    for name, values in columns.items():
        if _VALUE.fullmatch(name):
            rows[name] = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)[order]
    return rows


def _rows_sql(path: RunningPath, table: str) -> str:
    """SQL of the path's rows visible at some example's anchor (``table``:
    the examples), by entity and time, with each category value as 0/1."""
    cols = ["__key", "CAST(__vt AS TIMESTAMP) AS __vt", "CAST(__et AS TIMESTAMP) AS __et", "__pk"]
    cols += [f"__v{i}" for i in range(len(path.numeric))]
    for i, (_, literals, _) in enumerate(path.categories):
        cols += [
            f"CASE WHEN __c{i} = {literal} THEN 1 ELSE 0 END AS __k{i}_{m}"
            for m, literal in enumerate(literals)
        ]
    return (
        f"SELECT {', '.join(cols)} FROM ({path.rows_sql}) AS __r "
        f"WHERE __vt <= (SELECT max(__vis) FROM {table})"
    )


def _microseconds(times: pd.Series | np.ndarray) -> np.ndarray:
    """Naive timestamps (never missing) as whole microseconds since 1970 (int64)."""
    if isinstance(times, np.ndarray):
        return np.ma.getdata(times).astype("datetime64[us]").view(np.int64)
    return pd.to_datetime(times).to_numpy(dtype="datetime64[us]").view(np.int64)


def _days(later_us: np.ndarray, earlier_us: np.ndarray) -> np.ndarray:
    """Days from ``earlier_us`` to ``later_us`` (microseconds; NaN: missing),
    computed as the direct SQL computes them (seconds as DOUBLE first)."""
    return (later_us.astype(float) / 1e6 - np.asarray(earlier_us, dtype=float) / 1e6) / 86400.0


def _less(total: np.ndarray, earlier: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``total - earlier``, two running sums, as the sum of the rows between
    them; a difference within the sums' rounding (``size``: the running sum
    of the values' magnitudes) is 0, as the rows' own sum would be: pandas
    sums with Kahan compensation, so a window of zeros after 0.07, 0.25 and
    0.57 would otherwise read 1e-16."""
    out = total - earlier
    out[np.abs(out) <= _ROUNDING * size] = 0.0
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, missing where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)
