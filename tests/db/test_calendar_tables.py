"""Calendar tables (relgraph.db.calendars): static, and a time for the rows
that reference them; tables of dated events stay timed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.pql.splits import database_time_range
from tests.db.test_real_schemas import star_schema_frames


def _calendar(start: str = "1990-01-01", periods: int = 20 * 365, freq: str = "D") -> pd.DataFrame:
    days = pd.date_range(start, periods=periods, freq=freq)
    return pd.DataFrame({"day_sk": np.arange(periods), "day": days, "weekday": days.day_of_week})


def _sales(day_sks: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sale_id": np.arange(len(day_sks)),
            "day_sk": pd.array(day_sks, dtype="Int64"),
            "amount": np.arange(len(day_sks), dtype=float),
        }
    )


def test_a_calendar_is_static_and_times_the_rows_that_reference_it() -> None:
    days = _calendar()  # 1990..2009, sales in 2000 only
    sk_2000 = int(days.index[days["day"] == "2000-01-01"][0])
    sales = _sales([sk_2000 + i for i in range(0, 60, 3)])
    db = rg.connect({"days": days, "sales": sales})
    t = db.schema.tables["days"]
    assert t.time_column is None and t.calendar_column == "day"
    assert db.schema.tables["sales"].time_origin == "days.day"
    assert any("days reads as a calendar" in w for w in db.schema.warnings)
    # the calendar's 1990 and 2009 no longer set the database's time range
    lo, hi = database_time_range(db)
    assert (lo, hi) == (pd.Timestamp("2000-01-01"), pd.Timestamp("2000-02-27"))
    times = db.table("sales")["_row_time"]
    assert (
        times.tolist()
        == (pd.Timestamp("2000-01-01") + pd.to_timedelta(range(0, 60, 3), "D")).tolist()
    )


def test_a_row_without_a_day_takes_the_earliest_day_referenced() -> None:
    days = _calendar()
    sales = _sales([4000, 4010, None])
    db = rg.connect({"days": days, "sales": sales})
    times = db.table("sales").set_index("sale_id")["_row_time"]
    assert times[2] == days["day"][4000]  # not 1990-01-01, the calendar's first day


def test_a_monthly_calendar_is_one() -> None:
    months = _calendar(periods=600, freq="MS")  # 1990..2039, months of 28..31 days
    months = months.rename(columns={"day_sk": "month_sk", "day": "month_start"})
    sales = _sales([300, 301, 302, 305]).rename(columns={"day_sk": "month_sk"})
    db = rg.connect({"months": months, "sales": sales})
    assert db.schema.tables["months"].calendar_column == "month_start"


def test_daily_events_that_the_referrers_use_throughout_stay_timed() -> None:
    # a daily weather table, one row a day, referenced on every day it has
    days = _calendar(periods=400).rename(columns={"day_sk": "weather_id"})
    days["rain"] = np.arange(400) % 7
    flights = pd.DataFrame({"flight_id": np.arange(800), "weather_id": np.arange(800) % 400})
    db = rg.connect({"weather": days, "flights": flights})
    assert db.schema.tables["weather"].time_column == "day"
    assert db.schema.tables["weather"].calendar_column == ""


def test_unevenly_spaced_dates_are_no_calendar() -> None:
    rng = np.random.default_rng(0)
    dates = np.sort(
        rng.choice(pd.date_range("1950-01-01", "2020-12-31").values, 300, replace=False)
    )
    races = pd.DataFrame({"race_id": np.arange(300), "date": dates})
    results = pd.DataFrame({"result_id": np.arange(40), "race_id": np.arange(280, 300).repeat(2)})
    db = rg.connect({"races": races, "results": results})
    assert db.schema.tables["races"].time_column == "date"


def test_an_unreferenced_calendar_keeps_its_time() -> None:
    db = rg.connect({"days": _calendar(periods=100)})
    assert db.schema.tables["days"].time_column == "day"


@pytest.mark.parametrize("declared", [None, "day"])
def test_declaring_the_calendar_static_or_timed(declared: str | None) -> None:
    days = _calendar()
    db = rg.connect({"days": days, "sales": _sales([4000, 4005, 4020])})
    db = db.set_time_column("days", declared)
    t = db.schema.tables["days"]
    assert t.time_column == declared
    # declared static, it is still the calendar its referrers take their time from
    assert db.schema.tables["sales"].time_origin == "days.day"
    assert t.calendar_column == ("day" if declared is None else "")


def test_a_star_schemas_date_dimension_generated_for_decades() -> None:
    frames = star_schema_frames()  # sales on 60 days of 1998
    n = 365 * 30  # the calendar runs 1990..2019, keyed on Julian day numbers
    start = pd.Timestamp("1990-01-01")
    frames["date_dim"] = pd.DataFrame(
        {
            "d_date_sk": 2451000 - (pd.Timestamp("1998-08-28") - start).days + np.arange(n),
            "d_date": start + pd.to_timedelta(np.arange(n), "D"),
        }
    )
    db = rg.connect(frames)
    assert db.schema.tables["date_dim"].calendar_column == "d_date"
    assert "date_dim.d_date" in db.schema.tables["store_sales"].time_origin
    lo, hi = database_time_range(db)
    assert lo >= pd.Timestamp("1998-08-28") and hi <= pd.Timestamp("1998-10-26")


def test_the_day_a_row_references_is_no_target_without_a_window() -> None:
    """The link a row takes its time through places it in time, calendar or
    not: it cannot be a target without a window (the models never see it)."""
    from relgraph.errors import PQLSemanticError

    days = _calendar()
    sk_2000 = int(days.index[days["day"] == "2000-01-01"][0])
    db = rg.connect({"days": days, "sales": _sales([sk_2000 + i for i in range(40)])})
    with pytest.raises(PQLSemanticError, match="sales takes the time of its rows"):
        rg.Task.from_query(db, f"PREDICT sales.day_sk > {sk_2000 + 20} FOR EACH sales.sale_id")
