"""Windows counted in months or years step by the calendar everywhere.

A season of an integer ``yearID`` is visible at midnight on January 1st of the
next year. Stepped back by a fixed 365.2425 days, the anchors of a yearly task
drift around midnight, so some windows held the season before and some the
season after, and the entity's "last" value lagged a season at some anchors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.features.relational import FeaturePlan
from relgraph.models.core.history import target_history
from relgraph.models.core.inputs import feature_horizon
from relgraph.models.registry import make_model

YEARS = range(1990, 2022)
QUERY = (
    "PREDICT SUM(Teams.W, 0, 12, months) FOR EACH Franchises.franchID "
    "WHERE COUNT(Teams.*, -12, 0, months) > 0"
)


@pytest.fixture(scope="module")
def task() -> rg.Task:
    teams = [f"T{i}" for i in range(30)]
    rows = [(t, y, 1000 * y + i) for y in YEARS for i, t in enumerate(teams)]
    frames = {
        "Franchises": pd.DataFrame({"franchID": teams}),
        "Teams": pd.DataFrame(rows, columns=["franchID", "yearID", "W"]),
    }
    db = rg.connect(frames)
    assert db.schema.tables["Teams"].time_origin == "Teams.yearID"
    return rg.Task.from_query(db, QUERY, val_time="2015-01-01", test_time="2018-01-01")


def test_the_own_history_is_the_seasons_just_over(task: rg.Task) -> None:
    anchors = [pd.Timestamp(f"{y}-01-01") for y in (2001, 2013, 2020, 2021)]
    examples = pd.DataFrame({"franchID": "T3", "anchor_time": anchors})
    history = target_history(task, examples)
    # at January 1st of year y, the season y - 1 is the latest known
    expected = [1000 * (a.year - 1) + 3 for a in anchors]
    assert history["target.last"].tolist() == expected
    assert history["target.count.last_3"].tolist() == [3, 3, 3, 3]


def test_a_one_year_feature_window_holds_one_season(task: rg.Task) -> None:
    plan = FeaturePlan.fit(task.db, "Franchises", feature_horizon(task), "2015-01-01")
    anchors = [pd.Timestamp(f"{y}-01-01") for y in range(2001, 2022)]
    examples = pd.DataFrame({"franchID": "T3", "anchor_time": anchors})
    feats = plan.transform(task.db, examples)
    # (W here is a level, 1000 x year + 3: it has window means, not sums)
    column = next(c for c in feats.columns if "Teams.W" in c and c.endswith("mean.last_1y"))
    # one season each year, leap years or not (the fixed length held two in most years)
    assert feats[column].tolist() == [1000 * (a.year - 1) + 3 for a in anchors]


def test_the_context_anchors_are_january_firsts(task: rg.Task) -> None:
    model = make_model("icl", predictor="transformer").fit(task)
    test = task.table("test")
    model.predict(test[test["anchor_time"] == test["anchor_time"].max()])
    context = model.last_context_
    for at in (context["first_anchor"], context["last_anchor"]):
        assert pd.Timestamp(at) == pd.Timestamp(at).normalize()
        assert (pd.Timestamp(at).month, pd.Timestamp(at).day) == (1, 1)
    assert pd.Timestamp(context["last_anchor"]) == test["anchor_time"].max() - pd.DateOffset(
        years=1
    )
    assert np.isfinite(context["examples"])
