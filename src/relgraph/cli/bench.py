"""``relgraph bench``: reproduce benchmark tasks and set the results beside the
published ones (``relgraph bench rel-f1``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from relgraph.bench.rel_f1_tasks import REL_F1_TASKS
from relgraph.cli.common import err, handle_errors, out, print_warnings, shown_source
from relgraph.cli.evaluate import (
    ProtocolName,
    evaluation_table,
    model_names,
    parse_params,
    print_table,
    progress_bar,
)
from relgraph.models.registry import MODEL_NAMES

bench_app = typer.Typer(
    help="Reproduce benchmark tasks; compare with published numbers.",
    no_args_is_help=True,
)


@bench_app.command("rel-f1")
@handle_errors
def rel_f1_command(
    raw: Annotated[Path, typer.Option(help="Folder of the raw Ergast CSV files.")] = Path(
        "../shared/data/f1"
    ),
    models: Annotated[
        str,
        typer.Option(
            help=f"Models to compare, comma-separated (any of {', '.join(MODEL_NAMES)}); "
            "a task none of them supports is skipped, with the reason."
        ),
    ] = "gbdt,baseline",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per seeded model (gbdt).")] = 5,
    protocol: Annotated[
        ProtocolName,
        typer.Option(help="rolling: history up to each anchor; relbench: cut at test_time."),
    ] = ProtocolName.rolling,
    tasks: Annotated[
        str | None,
        typer.Option(help=f"Tasks, comma-separated (default: all of {','.join(REL_F1_TASKS)})."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(help="A hyperparameter, e.g. gbdt.num_boost_round=200 (repeatable)."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write report.md, results.json and chart.png here."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print results.json's document instead of tables.")
    ] = False,
) -> None:
    """Run models on RelBench's rel-f1 tasks, built from the raw Ergast CSVs."""
    from relgraph.bench.runner import plan_rel_f1

    names = model_names(models)
    task_names = [t.strip() for t in (tasks or "").split(",") if t.strip()]
    params = parse_params(param, names)
    with err.status(f"reading rel-f1 from {shown_source(raw)} and building its tasks"):
        plan = plan_rel_f1(raw, names, seeds, protocol.value, task_names, params=params)
    print_warnings([f"{name} not run: {why}." for name, why in plan.skipped.items()])
    with progress_bar(plan.runs()) as hook:
        report = plan.run(progress=hook)
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        for ev in report.evaluations:
            print_table(evaluation_table(ev, report.published))
    if out_dir is not None:
        paths = report.write(out_dir)
        err.print(f"wrote {', '.join(str(p) for p in paths.values())}")
