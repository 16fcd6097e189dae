"""An inferred time that the rows referencing it precede is dropped (the table
is static); a few early rows, or a time someone declared, keep it."""

from __future__ import annotations

import pandas as pd

import relgraph as rg
from relgraph.db.inherited_time import ROW_TIME
from relgraph.db.time_contradictions import MAX_EARLY_SHARE, MIN_EARLY_ROWS


def players_and_seasons(early_players: int, players: int = 60) -> dict[str, pd.DataFrame]:
    """Players timed by a debut; one college season each, before the debut
    for the first ``early_players`` players and after it for the rest."""
    debut = pd.Timestamp("2010-06-01")
    seasons = [
        debut - pd.Timedelta(days=300) if i < early_players else debut + pd.Timedelta(days=30)
        for i in range(players)
    ]
    return {
        "players": pd.DataFrame({"player_id": range(players), "debut": [debut] * players}),
        "seasons": pd.DataFrame(
            {"season_id": range(players), "player_id": range(players), "played_at": seasons}
        ),
    }


def test_a_time_most_referencing_rows_precede_is_dropped() -> None:
    db = rg.connect(players_and_seasons(early_players=50))
    assert db.schema.tables["players"].time_column is None
    assert db.schema.tables["seasons"].time_column == "played_at"
    note = next(w for w in db.schema.warnings if w.startswith("players is static"))
    assert "50 of 60 seasons rows" in note and "player_id -> player_id" in note


def test_a_few_early_rows_are_data_errors_not_a_contradiction() -> None:
    share = int(MAX_EARLY_SHARE * 200) - 5  # below the share, above the row count
    assert share >= MIN_EARLY_ROWS
    db = rg.connect(players_and_seasons(early_players=share, players=200))
    assert db.schema.tables["players"].time_column == "debut"
    few = MIN_EARLY_ROWS - 1
    # a large share, but too few rows to tell
    db = rg.connect(players_and_seasons(early_players=few, players=few + 2))
    assert db.schema.tables["players"].time_column == "debut"


def test_a_declared_time_is_kept_whatever_the_data() -> None:
    db = rg.connect(players_and_seasons(early_players=50))
    db.set_time_column("players", "debut")
    assert db.schema.tables["players"].time_column == "debut"
    assert not any(w.startswith("players is static") for w in db.schema.warnings)


def test_an_inherited_time_is_dropped_and_its_heirs_redone() -> None:
    """customers inherit the day of their first sale, which most of their
    orders precede; the notes of a customer then inherit nothing from it."""
    n = 40
    days = pd.date_range("2020-01-01", periods=n, freq="D")
    frames = {
        "launches": pd.DataFrame({"launch_id": range(n), "launched_at": days}),
        # each customer references a launch 30 days after their orders
        "customers": pd.DataFrame({"customer_id": range(n), "launch_id": range(n)}),
        "orders": pd.DataFrame(
            {
                "order_id": range(n),
                "customer_id": range(n),
                "ordered_at": days - pd.Timedelta(days=30),
            }
        ),
        "customer_notes": pd.DataFrame({"note_id": range(2 * n), "customer_id": [*range(n)] * 2}),
    }
    plain = {k: v for k, v in frames.items() if k != "orders"}
    before = rg.connect(plain).schema.tables
    assert before["customers"].time_column == ROW_TIME  # nothing contradicts it
    assert before["customer_notes"].time_origin == "launches.launched_at"

    tables = rg.connect(frames).schema.tables
    assert tables["customers"].time_column is None
    assert tables["customer_notes"].time_column is None
    assert tables["orders"].time_column == "ordered_at"
