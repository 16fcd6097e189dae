"""A table keyed by several columns works end to end: as the entity of a
query (``FOR EACH Teams.(yearID, teamID)``), in the graph, in features and
in predictions, which carry the key's columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import PQLError


def baseball(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Players on team rosters (keyed by the pair), and their seasons."""
    rng = np.random.default_rng(seed)
    teams = [f"T{i:02d}" for i in range(8)]
    roster = []
    for i in range(80):
        for team in rng.choice(teams, int(rng.integers(1, 3)), replace=False):
            roster.append((f"p{i:03d}", team, rng.choice(["L", "R"])))
    roster_frame = pd.DataFrame(roster, columns=["playerID", "teamID", "bats"])
    seasons = []
    for player, team, _ in roster:
        keen = rng.random()
        for year in range(2000, 2012):
            if rng.random() < keen:
                seasons.append((player, year, team, int(rng.poisson(8))))
    return {
        "Roster": roster_frame,
        "Batting": pd.DataFrame(seasons, columns=["playerID", "yearID", "teamID", "HR"]),
    }


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(baseball())


def test_schema(db: rg.Database) -> None:
    assert db.schema.tables["Roster"].key_parts == ("playerID", "teamID")
    assert db.schema.tables["Batting"].time_origin == "Batting.yearID"  # seen after the season
    [link] = db.schema.links
    assert db.schema.link_parts(link) == (("playerID", "teamID"), ("playerID", "teamID"))


def test_query_on_a_composite_entity(db: rg.Database) -> None:
    query = "PREDICT SUM(Batting.HR, 0, 1, years) FOR EACH Roster.(teamID, playerID)"
    task = rg.Task.from_query(db, query, val_time="2009-01-01", test_time="2010-06-01")
    assert task.entity_key == "playerID_teamID"
    assert task.query.entity.to_pql() == "FOR EACH Roster.(teamID, playerID)"
    train = task.table("train")
    assert len(train) and train["playerID_teamID"].str.contains("|", regex=False).all()
    assert train["label"].gt(0).any()
    with pytest.raises(PQLError, match=r"\(playerID, bats\) is not the key of Roster"):
        rg.Task.from_query(db, "PREDICT Roster.bats FOR EACH Roster.(playerID, bats)")


def test_predictions_carry_the_key_columns(db: rg.Database) -> None:
    query = "PREDICT COUNT(Batting.*, 0, 1, years) > 0 FOR EACH Roster.(playerID, teamID)"
    model = rg.train(db, query, model="gbdt", val_time="2008-01-01", test_time="2010-01-01")
    assert len(model.predict(model.task_.table("test")))
    out = rg.predict(db, query, anchor_time="2010-01-01", explain=False)
    assert list(out.columns[:4]) == ["playerID_teamID", "playerID", "teamID", "anchor_time"]
    assert "probability" in out.columns
    row = out.iloc[0]
    assert row["playerID_teamID"] == f"{row['playerID']}|{row['teamID']}"
