"""A window counted in days over a table of whole years or months gets a note."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import relgraph as rg
from relgraph.pql.granularity import calendar_granularity


@pytest.fixture(scope="module")
def db() -> rg.Database:
    teams = [f"T{i}" for i in range(4)]
    rows = [(t, y, 80 + i) for y in range(2000, 2012) for i, t in enumerate(teams)]
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    return rg.connect(
        {
            "Franchises": pd.DataFrame({"franchID": teams}),
            "Teams": pd.DataFrame(rows, columns=["franchID", "yearID", "W"]),
            "reports": pd.DataFrame(
                {"report_id": range(24), "franchID": teams * 6, "month_start": months}
            ),
            "games": pd.DataFrame(
                {
                    "game_id": range(50),
                    "franchID": teams * 12 + teams[:2],
                    "played_at": pd.date_range("2020-01-03 19:30", periods=50, freq="D"),
                }
            ),
        }
    )


def test_granularity_of_years_months_and_days(db: rg.Database) -> None:
    assert calendar_granularity(db, "Teams") == "year"
    assert calendar_granularity(db, "reports") == "month"
    assert calendar_granularity(db, "games") is None
    assert calendar_granularity(db, "Franchises") is None  # no time


def test_days_over_years_is_noted(db: rg.Database) -> None:
    task = rg.Task.from_query(db, "PREDICT SUM(Teams.W, 0, 365, days) FOR EACH Franchises.franchID")
    (note,) = [n for n in task.split_note.split("; ") if "midnight" in n]
    assert "January 1st" in note and "SUM(Teams.W, 0, 365, days)" in note
    assert note.endswith("Count it in years")


@pytest.mark.parametrize(
    "query",
    [
        "PREDICT SUM(Teams.W, 0, 1, years) FOR EACH Franchises.franchID",
        "PREDICT COUNT(games.*, 0, 30, days) FOR EACH Franchises.franchID",
        # only the target's windows: a WHERE over years is the user's look back
        "PREDICT COUNT(games.*, 0, 30, days) FOR EACH Franchises.franchID "
        "WHERE SUM(Teams.W, -365, 0, days) > 0",
    ],
)
def test_calendar_windows_and_day_data_have_no_note(db: rg.Database, query: str) -> None:
    assert not [n for n in rg.Task.from_query(db, query).split_note.split("; ") if "midnight" in n]


def test_days_over_months_is_noted(db: rg.Database) -> None:
    task = rg.Task.from_query(
        db, "PREDICT COUNT(reports.*, 0, 30, days) FOR EACH Franchises.franchID"
    )
    assert any(
        "the 1st of a month" in n and "Count it in months" in n for n in task.split_note.split("; ")
    )


@pytest.fixture(scope="module")
def seasons_folder(db: rg.Database, tmp_path_factory: pytest.TempPathFactory):
    """The same tables as CSV files, for the command line."""
    folder = tmp_path_factory.mktemp("seasons")
    for name in ("Franchises", "Teams"):
        db.table(name).to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_check_and_predict_print_the_note(seasons_folder) -> None:
    """``relgraph check`` and ``relgraph predict`` say it too (stderr), and
    ``--json`` and ``predict``'s ``attrs`` carry it."""
    from typer.testing import CliRunner

    from relgraph.cli.main import app

    runner = CliRunner()
    query = "PREDICT SUM(Teams.W, 0, 365, days) FOR EACH Franchises.franchID"
    shown = runner.invoke(app, ["check", str(seasons_folder), query], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert "note: every Teams time is midnight on January 1st" in shown.output
    as_json = runner.invoke(app, ["check", str(seasons_folder), query, "--json"])
    (note,) = json.loads(as_json.stdout)["notes"]
    assert "Count it in years" in note
    fine = runner.invoke(
        app, ["check", str(seasons_folder), query.replace("365, days", "1, years")]
    )
    assert fine.exit_code == 0 and "midnight" not in fine.output
    preds = rg.predict(rg.connect(seasons_folder), query, anchor_time="2011-01-01", reasons=False)
    assert any("Count it in years" in n for n in preds.attrs["notes"])
    args = ["predict", str(seasons_folder), query, "--anchor-time", "2011-01-01"]
    predicted = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert predicted.exit_code == 0, predicted.output
    assert "note: every Teams time is midnight on January 1st" in predicted.output
