"""``relgraph suggest``: the predictive questions worth asking of a database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from relgraph.cli.common import (
    DropOption,
    MissingOption,
    err,
    handle_errors,
    label_summary,
    out,
    shown_source,
)


@handle_errors
def suggest_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    limit: Annotated[int, typer.Option(min=1, help="At most this many questions.")] = 10,
    estimate: Annotated[
        bool,
        typer.Option(
            "--estimate",
            help="Backtest icl (fast) against the best simple baseline on each question "
            "(seconds per question).",
        ),
    ] = False,
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the questions as JSON.")] = False,
) -> None:
    """Suggest predictive questions from the schema and data: churn, next counts and
    amounts, next items, rare events, categories to fill in; each checked and labelled."""
    from relgraph.db.database import connect
    from relgraph.suggest import suggest

    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, schema=schema, drop=drop or (), missing=missing or ())
    with err.status("checking and labelling candidate questions") as status:
        found = suggest(
            db, limit=limit, estimate=estimate, progress=lambda q: status.update(f"trying {q}")
        )
    if as_json:
        out.print_json(json.dumps([s.to_dict() for s in found]))
        return
    if not found:
        err.print(
            "No question to suggest: relgraph suggests questions about tables of things that a "
            "table of events (rows with a time) references, over enough history for a "
            "train, validation and test split. Check the schema with relgraph inspect."
        )
        return
    for line in suggestion_lines(found):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    err.print('Run one with relgraph predict SRC "<query>"; backtest it with relgraph evaluate.')


def suggestion_lines(found: list[Any]) -> list[str]:
    """Each question, its query on a line of its own (never cut, to copy), and
    what its labels look like."""
    lines = []
    for i, s in enumerate(found, 1):
        examples = " / ".join(f"{s.examples[k]:,}" for k in ("train", "val", "test"))
        facts = [
            f"{s.kind}: {s.task_type.replace('_', ' ')}",
            f"examples train / val / test {examples}",
            label_summary(s.task_type, s.labels),
        ]
        if s.estimate:
            facts.append(_estimate(s.estimate))
        lines += [f"{i}. {s.question}", f"   {s.query}", "   " + " · ".join(facts), ""]
    return lines


def _estimate(e: dict[str, Any]) -> str:
    if not e:
        return "-"
    if "error" in e:
        return e["error"]
    return f"{e['metric']}: icl {e['icl']:.4g} vs {e['best_simple']} {e['best_simple_score']:.4g}"
