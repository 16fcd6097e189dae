"""The target's own history: only labels whose window has ended are used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relgraph.features import label_history_features, past_anchors

DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2020-01-01")


def test_only_finished_windows_are_used() -> None:
    history = pd.DataFrame(
        {
            "id": [1, 1, 1, 2],
            "anchor_time": [T0, T0 + 10 * DAY, T0 + 20 * DAY, T0],
            "label": [1.0, 0.0, 1.0, 5.0],
        }
    )
    ex = pd.DataFrame(
        {
            "id": [1, 1, 2, 3],
            "anchor_time": [T0 + 30 * DAY, T0 + 25 * DAY, T0 + 5 * DAY, T0 + 30 * DAY],
        }
    )
    f = label_history_features(history, ex, "id", 10 * DAY)
    # t = 30: windows ending by 30 are those at 0, 10, 20.
    assert f.loc[0, "target.count.all"] == 3 and f.loc[0, "target.last"] == 1.0
    assert f.loc[0, "target.mean.last_1"] == 1.0  # anchor 20
    # t = 25: the window of anchor 20 ends at 30 > 25, so it is not known yet.
    assert f.loc[1, "target.count.all"] == 2 and f.loc[1, "target.last"] == 0.0
    # t = 5: the window of anchor 0 ends at 10 > 5: nothing known.
    assert f.loc[2, "target.count.all"] == 0 and np.isnan(f.loc[2, "target.mean.all"])
    assert f.loc[3, "target.count.all"] == 0  # an entity without history


def test_lookbacks_count_windows() -> None:
    anchors = [T0 + k * 30 * DAY for k in range(20)]
    history = pd.DataFrame({"id": 1, "anchor_time": anchors, "label": np.arange(20.0)})
    ex = pd.DataFrame({"id": [1], "anchor_time": [T0 + 20 * 30 * DAY]})
    f = label_history_features(history, ex, "id", 30 * DAY)
    assert f.loc[0, "target.mean.last_3"] == pytest.approx(np.mean([17, 18, 19]))
    assert f.loc[0, "target.count.last_12"] == 12
    assert f.loc[0, "target.days_since_last"] == pytest.approx(30)


def test_past_anchors() -> None:
    got = past_anchors([T0, T0 + 30 * DAY], 30 * DAY, 2, earliest=T0 - 45 * DAY)
    assert got == [T0 - 30 * DAY, T0]


def test_cutoff_hides_labels_known_after_it() -> None:
    anchors = [T0 + k * 10 * DAY for k in range(6)]
    history = pd.DataFrame({"id": 1, "anchor_time": anchors, "label": np.arange(6.0)})
    ex = pd.DataFrame({"id": [1], "anchor_time": [T0 + 60 * DAY]})
    f = label_history_features(history, ex, "id", 10 * DAY, cutoff=T0 + 30 * DAY)
    assert f.loc[0, "target.count.all"] == 3  # windows ending by day 30: anchors 0, 10, 20
    assert f.loc[0, "target.last"] == 2.0


YEAR = pd.Timedelta(days=365.2425)  # a PQL year as the models pass it: a length
MONTH = YEAR / 12


def test_a_year_horizon_steps_back_by_calendar_years() -> None:
    # A fixed 365.2425-day step drifts: from 2022-01-01 it lands on
    # 2020-12-31 18:10:48, a window that holds the wrong season.
    got = past_anchors([pd.Timestamp("2022-01-01")], YEAR, 3)
    assert got == [pd.Timestamp(f"{y}-01-01") for y in (2019, 2020, 2021)]


def test_month_horizon_keeps_month_ends() -> None:
    got = past_anchors([pd.Timestamp("2024-03-31")], MONTH, 2)
    assert got == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]


def test_year_labels_are_known_exactly_when_their_year_is_over() -> None:
    # Seasons visible at midnight on January 1st: the 2021 label (window
    # 2021-01-01 .. 2022-01-01) is known at 2022-01-01 and not a second before.
    anchors = [pd.Timestamp(f"{y}-01-01") for y in range(2015, 2022)]
    history = pd.DataFrame({"id": 1, "anchor_time": anchors, "label": np.arange(7.0)})
    at = [pd.Timestamp("2022-01-01"), pd.Timestamp("2021-12-31 23:59:59")]
    f = label_history_features(history, pd.DataFrame({"id": [1, 1], "anchor_time": at}), "id", YEAR)
    assert f.loc[0, "target.last"] == 6.0 and f.loc[0, "target.count.all"] == 7
    assert f.loc[1, "target.last"] == 5.0 and f.loc[1, "target.count.all"] == 6
    # the last 3 years are exactly 2019, 2020 and 2021, whatever the leap years
    assert f.loc[0, "target.mean.last_3"] == pytest.approx(np.mean([4, 5, 6]))
    assert f.loc[0, "target.count.last_3"] == 3


def test_year_ago_is_the_label_a_year_back() -> None:
    quarter = 90 * DAY  # four quarters of 90 days: 360 days back
    anchors = [T0 + k * quarter for k in range(8)]
    history = pd.DataFrame({"id": 1, "anchor_time": anchors, "label": np.arange(8.0) * 10})
    ex = pd.DataFrame({"id": [1, 1, 2], "anchor_time": [T0 + 8 * quarter, T0 + 3 * quarter, T0]})
    f = label_history_features(history, ex, "id", quarter)
    assert f.loc[0, "target.year_ago"] == 40.0  # the anchor 4 quarters back
    assert np.isnan(f.loc[1, "target.year_ago"])  # no label that far back
    assert np.isnan(f.loc[2, "target.year_ago"])  # an entity without history


def test_year_ago_of_calendar_months_and_its_cutoff() -> None:
    anchors = [pd.Timestamp("2023-01-31") + pd.DateOffset(months=k) for k in range(13)]
    history = pd.DataFrame({"id": 1, "anchor_time": anchors, "label": np.arange(13.0)})
    t = pd.Timestamp("2024-01-31")
    ex = pd.DataFrame({"id": [1], "anchor_time": [t]})
    f = label_history_features(history, ex, "id", MONTH)
    assert f.loc[0, "target.year_ago"] == 0.0  # 2023-01-31, exactly 12 months back
    # RelBench's protocol: a label whose window ends after the cutoff is unknown
    early = label_history_features(history, ex, "id", MONTH, cutoff=pd.Timestamp("2023-02-27"))
    assert np.isnan(early.loc[0, "target.year_ago"])


def test_past_anchors_add_the_season_only_when_asked() -> None:
    week = 7 * DAY
    plain = past_anchors([T0], week, 2)
    seasonal = past_anchors([T0], week, 2, season=True)
    assert seasonal == [T0 - 52 * week, *plain]
    assert past_anchors([T0], YEAR, 2, season=True) == past_anchors([T0], YEAR, 2)
