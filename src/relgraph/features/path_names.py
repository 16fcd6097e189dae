"""The names of a path's aggregate features, in their column order.

Both ways of computing a path's aggregates (the direct SQL of
:mod:`relgraph.features.relational` and the running totals of
:mod:`relgraph.features.running`) name and order their columns by these
functions, so their frames have the same columns.

Example:
    >>> count_names("orders", ["last_30d"], timed=True)[:2]
    ['orders.count.all', 'orders.count.last_30d']
    >>> numeric_names("orders", "amount", ["last_30d"], last_n=5, timed=True)[7:]
    ['orders.amount.last', 'orders.amount.mean.last_5']
    >>> share_names("orders", "channel", "web", "last_120d")
    ['orders.channel=web.share.all', 'orders.channel=web.share.last_120d']
"""

from __future__ import annotations

from typing import Any

__all__ = ["OVERALL", "WINDOWED", "count_names", "numeric_names", "share_names"]

#: The statistics of a numeric column over all its rows, in column order.
OVERALL = ("mean", "sum", "min", "max", "std")
#: The statistics of a numeric column per backward window, in column order.
WINDOWED = ("mean", "sum")


def count_names(path: str, windows: list[str], timed: bool) -> list[str]:
    """The row count, and for a timed path the count per window and the days
    since the latest and the earliest row."""
    if not timed:
        return [f"{path}.count.all"]
    counts = [f"{path}.count.{w}" for w in ("all", *windows)]
    return [*counts, f"{path}.days_since_last", f"{path}.days_since_first"]


def numeric_names(
    path: str, column: str, windows: list[str], last_n: int, timed: bool, summed: bool = True
) -> list[str]:
    """A numeric column's statistics over all rows (:data:`OVERALL`), and for
    a timed path per window (:data:`WINDOWED`), its newest value and the mean
    of its newest ``last_n`` rows; without ``summed`` (a level, such as a
    year), no sums.

    Example:
        >>> numeric_names("races", "year", ["last_30d"], last_n=5, timed=False, summed=False)
        ['races.year.mean.all', 'races.year.min.all', 'races.year.max.all', 'races.year.std.all']
    """
    base = f"{path}.{column}"
    overall = OVERALL if summed else tuple(s for s in OVERALL if s != "sum")
    windowed = WINDOWED if summed else tuple(s for s in WINDOWED if s != "sum")
    names = [f"{base}.{stat}.all" for stat in overall]
    if timed:
        names += [f"{base}.{stat}.{w}" for w in windows for stat in windowed]
        names += [f"{base}.last", f"{base}.mean.last_{last_n}"]
    return names


def share_names(path: str, column: str, value: Any, window: str | None) -> list[str]:
    """A category value's share of the rows, over all and (for a timed path)
    over ``window``."""
    label = f"{path}.{column}={value}"
    return [f"{label}.share.all"] + ([f"{label}.share.{window}"] if window else [])
