"""Durations in PQL units (seconds .. years) and time arithmetic with them.

Months and years are calendar months and years (as SQL intervals and
``pandas.DateOffset``: one month after Jan 31 is Feb 28/29, one year after
Feb 29 is Feb 28; a year is 12 months); the other units are fixed lengths.

Example:
    >>> d = Duration.parse("30d")
    >>> d
    Duration(amount=30, unit=<TimeUnit.days: 'days'>)
    >>> str(d), str(Duration.parse("2 months")), str(Duration.parse("1y"))
    ('30 days', '2 months', '1 year')
    >>> d.add(pd.Timestamp("2024-01-01"), 2)
    Timestamp('2024-03-01 00:00:00')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from relgraph.errors import PQLError
from relgraph.pql.ast import TimeUnit

_SECONDS = {
    TimeUnit.seconds: 1,
    TimeUnit.minutes: 60,
    TimeUnit.hours: 3600,
    TimeUnit.days: 86400,
    TimeUnit.weeks: 7 * 86400,
    TimeUnit.months: 30.436875 * 86400,  # only to compare lengths
    TimeUnit.years: 365.2425 * 86400,  # only to compare lengths
}
_SHORT = {
    "s": TimeUnit.seconds,
    "sec": TimeUnit.seconds,
    "m": TimeUnit.minutes,
    "min": TimeUnit.minutes,
    "mins": TimeUnit.minutes,
    "h": TimeUnit.hours,
    "hr": TimeUnit.hours,
    "d": TimeUnit.days,
    "w": TimeUnit.weeks,
    "wk": TimeUnit.weeks,
    "mo": TimeUnit.months,
    "mon": TimeUnit.months,
    "y": TimeUnit.years,
    "yr": TimeUnit.years,
    "yrs": TimeUnit.years,
}


@dataclass(frozen=True)
class Duration:
    """``amount`` whole ``unit``s."""

    amount: int
    unit: TimeUnit = TimeUnit.days

    @classmethod
    def parse(cls, text: str | Duration) -> Duration:
        """``"30d"``, ``"30 days"``, ``"2w"``, ``"1mo"``, ``"1y"``, ``"12h"``, ``"90min"``,
        ``"10s"``."""
        if isinstance(text, Duration):
            return text
        match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]+)\s*", str(text))
        unit = None
        if match:
            word = match.group(2).lower()
            unit = _SHORT.get(word) or TimeUnit.lookup(word)
        if not match or unit is None or int(match.group(1)) <= 0:
            raise PQLError(
                f"Cannot read the horizon {text!r}; expected a positive whole number and a "
                "unit, e.g. 30d, 2w, 1mo, 1y, 12h, 90min, 10s or '30 days'."
            )
        return cls(int(match.group(1)), unit)

    @property
    def seconds(self) -> float:
        """Approximate length in seconds (months as 30.44 days, years as 365.24),
        to compare durations."""
        return self.amount * _SECONDS[self.unit]

    def offset(self, times: int = 1) -> pd.DateOffset | pd.Timedelta:
        """``times`` of this duration as a pandas offset."""
        return offset(self.amount * times, self.unit)

    def add(self, time: pd.Timestamp, times: int = 1) -> pd.Timestamp:
        """``time + times * self`` (calendar months and years for months and years)."""
        return pd.Timestamp(time) + self.offset(times)

    def __str__(self) -> str:
        unit = self.unit.value[:-1] if self.amount == 1 else self.unit.value
        return f"{self.amount} {unit}"


def offset(amount: int, unit: TimeUnit) -> pd.DateOffset | pd.Timedelta:
    """``amount`` units (may be negative) as a pandas offset."""
    if unit is TimeUnit.months:
        return pd.DateOffset(months=amount)
    if unit is TimeUnit.years:
        return pd.DateOffset(months=12 * amount)
    return pd.Timedelta(seconds=amount * _SECONDS[unit])


#: A PQL month as a length in seconds (30.436875 days), and a year (12 of them).
MONTH_SECONDS = int(_SECONDS[TimeUnit.months])
YEAR_SECONDS = 12 * MONTH_SECONDS


def calendar_months(step: pd.Timedelta | float) -> int | None:
    """The whole calendar months a step given as a length stands for, or None.

    Steps reach features and models as lengths (``Duration.seconds``), with a
    month as 30.436875 days. Stepping by that length drifts off the calendar
    (a year of them from 2022-01-01 is 2020-12-31 18:10:48), so a row timed at
    midnight on January 1st (a season, once it is over) would fall into the
    wrong window at some anchors and not others. A length that is a whole
    number of these months is read back as calendar months: no window counted
    in days can be one (a day count would have to be a multiple of 48,699).

    Example:
        >>> year, month = pd.Timedelta(seconds=YEAR_SECONDS), pd.Timedelta(days=30)
        >>> calendar_months(year), calendar_months(month)
        (12, None)
    """
    seconds = step.total_seconds() if isinstance(step, pd.Timedelta) else float(step)
    if seconds > 0 and seconds == int(seconds) and int(seconds) % MONTH_SECONDS == 0:
        return int(seconds) // MONTH_SECONDS
    return None


def calendar_step(step: pd.Timedelta | float) -> pd.DateOffset | pd.Timedelta:
    """``step`` for time arithmetic: calendar months where it is a whole number
    of PQL months (:func:`calendar_months`), else the fixed length.

    ``time - k * calendar_step(step)`` steps back ``k`` calendar months at once
    (not month by month), so month ends do not creep.

    Example:
        >>> year = pd.Timedelta(seconds=YEAR_SECONDS)
        >>> pd.Timestamp("2022-01-01") - 2 * calendar_step(year)
        Timestamp('2020-01-01 00:00:00')
        >>> pd.Timestamp("2022-01-01") - calendar_step(pd.Timedelta(days=7))
        Timestamp('2021-12-25 00:00:00')
    """
    months = calendar_months(step)
    if months is not None:
        return pd.DateOffset(months=months)
    return step if isinstance(step, pd.Timedelta) else pd.Timedelta(seconds=step)
