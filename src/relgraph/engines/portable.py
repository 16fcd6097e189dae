"""SQL forms that mean the same in every engine's dialect.

relgraph's hand-written SQL is DuckDB text that :func:`~relgraph.engines.to_dialect`
translates. A few DuckDB spellings do not survive translation: ``epoch(t)``
becomes Spark's ``UNIX_TIMESTAMP``, which drops fractions of a second;
``1.0`` is a DECIMAL in Spark, whose averages stay DECIMAL; ``to_seconds(n)``
has no Spark form. These helpers write the same values in forms that do.

Example:
    >>> import duckdb
    >>> sql = days_between("TIMESTAMP '2024-01-02 12:00:00.5'", "TIMESTAMP '2024-01-01'")
    >>> duckdb.sql(f"SELECT {sql} AS d").fetchall()[0][0]
    1.5000057870370371
    >>> seconds_interval(90)
    "INTERVAL '90' SECOND"
    >>> step_interval(31_556_952)  # a PQL year: calendar months, as in the splits
    "INTERVAL '12' MONTH"
"""

from __future__ import annotations

from relgraph.pql.duration import calendar_months

__all__ = [
    "days_between",
    "epoch_microseconds",
    "epoch_seconds",
    "seconds_interval",
    "step_interval",
]

_EPOCH = "TIMESTAMP '1970-01-01 00:00:00'"


def epoch_microseconds(expr: str) -> str:
    """Whole microseconds since 1970 of a naive timestamp (BIGINT): an exact
    order key for ``RANGE`` window frames in every dialect."""
    return f"date_diff('microsecond', {_EPOCH}, {expr})"


def epoch_seconds(expr: str) -> str:
    """Seconds since 1970 of a naive timestamp, with microseconds, as DOUBLE.

    Bit for bit DuckDB's ``epoch(expr)`` (microseconds divided by 1e6), but
    counted with ``date_diff``, which every dialect has and which depends on
    no session time zone."""
    return f"CAST({epoch_microseconds(expr)} AS DOUBLE) / 1000000.0"


def days_between(later: str, earlier: str) -> str:
    """Days from ``earlier`` to ``later`` as DOUBLE, with fractions (as
    DuckDB's ``(epoch(later) - epoch(earlier)) / 86400.0``)."""
    return f"({epoch_seconds(later)} - {epoch_seconds(earlier)}) / 86400.0"


def seconds_interval(n: int) -> str:
    """An interval of ``n`` whole seconds."""
    return f"INTERVAL '{int(n)}' SECOND"


def step_interval(seconds: float) -> str:
    """A step between anchors as an interval: whole calendar months where the
    length is a whole number of PQL months
    (:func:`~relgraph.pql.duration.calendar_months`), else whole seconds."""
    months = calendar_months(seconds)
    return f"INTERVAL '{months}' MONTH" if months is not None else seconds_interval(int(seconds))
