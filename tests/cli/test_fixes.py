"""Command-line users get command-line fixes: no message tells them to call Python."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from relgraph.cli.fixes import cli_fixes
from relgraph.cli.main import app


def test_python_fixes_become_schema_file_lines() -> None:
    assert cli_fixes("declare it static (db.set_time_column('items', None)).") == (
        'declare it static ([tables.items] time_column = "" in a schema file (--schema FILE)).'
    )
    assert cli_fixes("Force it with db.link('a.b_id', 'b.id').") == (
        'Force it with add_links = [{from = "a.b_id", to = "b.id"}] in a schema file '
        "(--schema FILE)."
    )
    assert cli_fixes("Pass dedupe=True (CLI: --dedupe) to keep") == "Pass --dedupe to keep"


def test_inspect_warnings_name_no_python_call(tmp_path: Path) -> None:
    # A table with no key and a link that too few values match: both warn with a fix.
    (tmp_path / "events.csv").write_text("who,what\n1,a\n1,a\n2,b\n2,b\n")
    (tmp_path / "visits.csv").write_text(
        "visit_id,events_id\n" + "".join(f"{i},{i + 50}\n" for i in range(1, 20))
    )
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr
    assert not re.search(r"db\.\w+\(", result.stderr), result.stderr
    assert "--schema FILE" in result.stderr


def test_add_links_adds_to_the_inferred_ones(tmp_path: Path) -> None:
    import pandas as pd

    import relgraph as rg

    frames = {
        "users": pd.DataFrame({"user_id": [1, 2, 3]}),
        "deals": pd.DataFrame({"deal_id": [1, 2], "user_id": [1, 2], "partner": [3, 3]}),
    }
    path = tmp_path / "schema.toml"
    path.write_text('add_links = [{from = "deals.partner", to = "users.user_id"}]\n')
    db = rg.connect(frames, schema=path)
    assert sorted(str(x) for x in db.schema.links) == [
        "deals.partner -> users.user_id",
        "deals.user_id -> users.user_id",
    ]
