"""Tables whose times are whole years or months, and windows that do not fit them.

A season's table (Lahman's ``Batting`` timed by ``yearID``) has every row at
midnight on January 1st; a monthly report at midnight on the 1st. A window
counted in days drifts against them: ``(t, t + 365 days]`` from 2004-01-01 ends
on 2004-12-31 and holds no year at all, the next one holds the one after. The
label is then 0 for every entity at some anchors. Counted in years or months,
the windows step by the calendar and hold one period each.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> batting = pd.DataFrame({"playerID": ["a", "a", "b"], "yearID": [2001, 2002, 2002],
    ...                         "HR": [10, 12, 3]})
    >>> calendar_granularity(rg.connect({"Batting": batting}), "Batting")
    'year'
"""

from __future__ import annotations

from typing import Any

from relgraph.db.sources.base import quote_ident as q
from relgraph.pql import ast

#: Units a window can be counted in that drift against years and months.
FIXED_UNITS = (
    ast.TimeUnit.seconds,
    ast.TimeUnit.minutes,
    ast.TimeUnit.hours,
    ast.TimeUnit.days,
    ast.TimeUnit.weeks,
)


#: Rows read to tell a table's granularity.
SAMPLE_ROWS = 100_000


def calendar_granularity(db: Any, table: str) -> str | None:
    """``'year'`` when every time of ``table`` is midnight on January 1st,
    ``'month'`` when every one is midnight on a 1st, else ``None`` (also for a
    table without a time or with fewer than two distinct times). Read from the
    first :data:`SAMPLE_ROWS` rows with a time."""
    column = db.schema.tables[table].time_column
    if column is None:
        return None
    t = f"CAST({q(column)} AS TIMESTAMP)"
    # The first rows only: a note must not cost a scan of a large table on
    # every question (a table of whole years shows it in any rows).
    rows = f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}"
    year, month, distinct = db.con.execute(
        f"SELECT bool_and({t} = date_trunc('year', {t})), "
        f"bool_and({t} = date_trunc('month', {t})), count(DISTINCT {t}) FROM ({rows})"
    ).fetchall()[0]
    if not distinct or distinct < 2:
        return None
    return "year" if year else "month" if month else None


def drifting_window_notes(db: Any, aggregations: list[tuple[ast.Aggregation, str]]) -> list[str]:
    """A note for each target aggregation whose window is counted in fixed
    units over a table of whole years or months (``aggregations``: each with
    the table its window reads)."""
    notes = []
    for node, table in aggregations:
        window = node.window
        if window is None or window.unit not in FIXED_UNITS:
            continue
        grain = calendar_granularity(db, table)
        if grain is None:
            continue
        unit = "years" if grain == "year" else "months"
        when = "January 1st" if grain == "year" else "the 1st of a month"
        notes.append(
            f"every {table} time is midnight on {when} (a {grain}'s rows appear at once), "
            f"but {node.to_pql()} counts its window in {window.unit.value}: as the calendar "
            f"shifts it, a window holds no {grain} at some anchors (label 0 for every "
            f"entity) and two at others. Count it in {unit}"
        )
    return notes


def window_notes(checked: Any, db: Any) -> list[str]:
    """:func:`drifting_window_notes` of a checked query's target: for each of
    its aggregations, the table its window reads.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> from relgraph.pql import check, parse
        >>> people = pd.DataFrame({"playerID": ["a", "b"]})
        >>> batting = pd.DataFrame({"playerID": ["a", "a", "b"], "yearID": [2001, 2002, 2002],
        ...                         "HR": [10, 12, 3]})
        >>> db = rg.connect({"People": people, "Batting": batting})
        >>> query = parse("PREDICT SUM(Batting.HR, 0, 365, days) FOR EACH People.playerID")
        >>> window_notes(check(query, db.schema, db.con), db)[0][:40]
        'every Batting time is midnight on Januar'
    """
    targets = [
        (e, checked.aggregations[e].event_table)
        for e in ast.expressions(checked.query.target)
        if isinstance(e, ast.Aggregation) and checked.aggregations[e].event_table
    ]
    return drifting_window_notes(db, targets)
