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
