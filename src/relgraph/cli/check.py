"""``relgraph check``: parse a PQL query and check it against a database."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from relgraph.cli.common import DropOption, MissingOption, err, handle_errors, out, shown_source
from relgraph.errors import PQLError


def handle_pql_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a PQL error as it is (no wrapping, no markup: the caret must stay
    under its token) and exit 1; other relgraph errors go to ``handle_errors``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PQLError as exc:
            err.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


@handle_errors
@handle_pql_errors
def check_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Parse and check a query: task type, entity, target, windows; or a clear error."""
    from relgraph.db.database import connect
    from relgraph.pql import check, parse
    from relgraph.pql.granularity import window_notes

    parsed = parse(query)  # syntax errors need no database
    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, schema=schema, drop=drop or (), missing=missing or ())
    checked = check(parsed, db.schema, db.con)
    info = checked.describe()
    info["notes"] = window_notes(checked, db)
    if as_json:
        out.print_json(json.dumps(info))
        return
    out.print(check_table(info))
    for note in info["notes"]:
        err.print(Text("note: ", style="yellow") + Text(note))


def check_table(info: dict) -> Table:
    table = Table(title="query checked", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    metrics = info["metrics"]
    rows = [
        ("query", info["query"]),
        ("task type", info["task_type"]),
        ("metrics", f"{metrics[0]} (headline), {', '.join(metrics[1:])}"),
        ("entity", info["entity"]),
        ("target", info["target"]),
    ]
    for agg in info["aggregations"]:
        what = f"{agg['aggregation']}: rows with {agg['time']} in {agg['window']}"
        rows.append(("aggregation", f"{what}, path {agg['path']}"))
    if info["where"]:
        rows.append(("where", info["where"]))
    if info["assuming"]:
        rows.append(("assuming", info["assuming"]))
    rows.append(("horizon", info["horizon"] or "none (no time window)"))
    for what, value in rows:
        table.add_row(what, value)
    return table
