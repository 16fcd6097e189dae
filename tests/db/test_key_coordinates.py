"""Composite keys made of coordinates: ids the data does not need join the
key unless fewer columns determine them (``composite_keys._with_coordinates``
through ``rg.connect``)."""

from __future__ import annotations

import itertools

import pandas as pd

import relgraph as rg


def key_of(frames: dict[str, pd.DataFrame], table: str) -> tuple[str, ...]:
    return rg.connect(frames).schema.tables[table].key_parts


def ballots() -> pd.DataFrame:
    """Votes per (award, year, league) ballot; a player is on one league's
    ballot of an award, so (awardID, yearID, playerID) is already unique."""
    rows = []
    for year, award in itertools.product((2000, 2001, 2002), ("MVP", "Cy Young")):
        for lg, players in (("AL", ("a1", "a2", "x1")), ("NL", ("n1", "n2", "x2"))):
            if (year, award) in ((2001, "MVP"), (2002, "Cy Young")):
                # x1 and x2 change leagues (traded in 2001): no pair of the
                # other columns fixes the league, (yearID, playerID) included
                players = tuple({"x1": "x2", "x2": "x1"}.get(p, p) for p in players)
            for rank, player in enumerate(players):
                rows.append((award, year, lg, player, 30 - 10 * rank))
    return pd.DataFrame(rows, columns=["awardID", "yearID", "lgID", "playerID", "points"])


def test_a_code_that_splits_the_rows_joins_the_key() -> None:
    votes = ballots()
    assert not votes.duplicated(["awardID", "yearID", "playerID"]).any()
    assert key_of({"Votes": votes}, "Votes") == ("awardID", "yearID", "lgID", "playerID")


def test_an_id_with_one_value_joins_the_key() -> None:
    votes = ballots().query("awardID == 'MVP'").reset_index(drop=True)
    assert votes.awardID.nunique() == 1
    assert key_of({"Votes": votes}, "Votes") == ("awardID", "yearID", "lgID", "playerID")


def test_a_code_that_other_columns_determine_stays_out() -> None:
    # lgID is the league of the team's season: (yearID, teamID) fixes it.
    rows = [
        (year, team, "AL" if team in ("BOS", "NYA") else "NL", f"p{team}{i}", 100 + i)
        for year, team, i in itertools.product((2000, 2001), ("BOS", "NYA", "ATL", "NYN"), (1, 2))
    ]
    rows += [(2001, "NYN", "NL", "pBOS1", 150)]  # a player with two teams in a season
    salaries = pd.DataFrame(rows, columns=["yearID", "teamID", "lgID", "playerID", "salary"])
    assert key_of({"Salaries": salaries}, "Salaries") == ("yearID", "teamID", "playerID")


def inventory(warehouses: int) -> dict[str, pd.DataFrame]:
    days = range(2450815, 2450819)
    rows = [
        (d, item, w, (d + 7 * item + w) % 50)
        for d, item, w in itertools.product(days, range(1, 6), range(1, warehouses + 1))
    ]
    return {
        "date_dim": pd.DataFrame({"d_date_sk": list(days), "d_dow": [0, 1, 2, 3]}),
        "item": pd.DataFrame({"i_item_sk": range(1, 6), "i_price": [1.5, 2.0, 3.0, 4.0, 9.5]}),
        "warehouse": pd.DataFrame(
            {"w_warehouse_sk": range(1, warehouses + 1), "w_sq_ft": range(warehouses)}
        ),
        "inventory": pd.DataFrame(
            rows, columns=["inv_date_sk", "inv_item_sk", "inv_warehouse_sk", "inv_quantity"]
        ),
    }


def test_a_reference_with_one_value_joins_the_key() -> None:
    key = ("inv_date_sk", "inv_item_sk", "inv_warehouse_sk")
    assert key_of(inventory(warehouses=1), "inventory") == key
    assert key_of(inventory(warehouses=2), "inventory") == key  # needed by the data


def test_a_reference_the_key_does_not_need_stays_out() -> None:
    # franchID names the franchise a team's season belongs to: an attribute,
    # even where a team code moved to another franchise (so no FD holds).
    franchises = pd.DataFrame({"franchID": ["BOS", "NYY", "WSN"], "name": ["Sox", "Yanks", "N"]})
    rows = [
        (year, team, franch, 80 + i)
        for i, (year, (team, franch)) in enumerate(
            itertools.product((2000, 2001), (("BOS", "BOS"), ("NYA", "NYY"), ("WAS", "WSN")))
        )
    ]
    rows[-1] = (2001, "WAS", "NYY", 90)
    teams = pd.DataFrame(rows, columns=["yearID", "teamID", "franchID", "W"])
    frames = {"TeamsFranchises": franchises, "Teams": teams}
    assert key_of(frames, "Teams") == ("yearID", "teamID")


def test_a_row_with_a_number_of_its_own_keeps_its_minimal_key() -> None:
    # A sale is (item, order number); the order's other ids describe it.
    rows = [
        (item, order, 10 + (order * item) % 7, (order + item) % 3)
        for order, item in itertools.product(range(1, 9), range(1, 4))
    ]
    sales = pd.DataFrame(rows, columns=["ws_item_sk", "ws_order_number", "ws_web_page_sk", "q"])
    pages = pd.DataFrame({"wp_web_page_sk": range(10, 17), "wp_url": list("abcdefg")})
    key = key_of({"web_page": pages, "web_sales": sales}, "web_sales")
    assert key == ("ws_item_sk", "ws_order_number")
