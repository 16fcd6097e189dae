"""Time columns: which datetime column reads as the row's own creation time."""

from __future__ import annotations

from relgraph.db.column_profile import ColumnProfile, TableProfile, is_time_type
from relgraph.db.naming import time_name_score

#: A datetime column with fewer of its rows filled is never chosen as a time column.
MIN_TIME_FILLED = 0.5


def choose_time_column(profile: TableProfile) -> str | None:
    """The datetime column that best reads as the row's own creation time.

    Birth dates, end dates and mostly-empty columns are never chosen: a table
    with only those is static (:func:`static_table_note` says why).
    """
    best: tuple[int, float, int] | None = None
    chosen = None
    for i, col in enumerate(profile.columns.values()):
        if not is_time_type(col.dtype) or _time_rejection(profile, col) is not None:
            continue
        key = (time_name_score(col.name), _filled(profile, col), -i)
        if best is None or key > best:
            best, chosen = key, col.name
    return chosen


def static_table_note(profile: TableProfile) -> str | None:
    """Why a table with datetime columns named like its rows' time got no time
    column (None when it has none).

    A static table's rows are visible at every anchor, so this is never silent.
    """
    # Columns named like other dates (birth_date, updated_at) are left out: a
    # table with only those is static by design (drivers with their dob).
    reasons = [
        f"{col.name} ({reason})"
        for col in profile.columns.values()
        if (reason := _time_rejection(profile, col)) and time_name_score(col.name) > 0
    ]
    if not reasons:
        return None
    t = profile.name
    return (
        f"{t} has no time column, so it is static: every row is visible at every anchor. "
        f"Datetime columns not used: {'; '.join(reasons)}. If rows of {t} appear over "
        f"time, set its time column with db.set_time_column({t!r}, <column>) (schema TOML: "
        f'[tables.{t}] time_column = "<column>"); rows without a time are then never visible.'
    )


def _filled(profile: TableProfile, col: ColumnProfile) -> float:
    return col.non_null / profile.num_rows if profile.num_rows else 0.0


def _time_rejection(profile: TableProfile, col: ColumnProfile) -> str | None:
    """Why a datetime column cannot be the table's time column (None: it can;
    also None for a column that is not a datetime)."""
    if not is_time_type(col.dtype):
        return None
    if time_name_score(col.name) == 0:
        return "named like a date other than the row's creation (birth, end, update)"
    filled = _filled(profile, col)
    if filled < MIN_TIME_FILLED:
        return f"only {filled:.0%} of rows have a value, {MIN_TIME_FILLED:.0%} needed"
    return None
