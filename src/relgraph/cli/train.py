"""``relgraph train``: fit one model on a query, report its headline metric on
val and test, and save it to one ``.rg`` file for ``relgraph predict``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from relgraph.cli.check import handle_pql_errors
from relgraph.cli.common import (
    AnchorName,
    AnchorOption,
    DropOption,
    HorizonOption,
    MissingOption,
    SchemaOption,
    TestTimeOption,
    ValTimeOption,
    err,
    handle_errors,
    load_task,
    out,
)
from relgraph.cli.evaluate import parse_params
from relgraph.evaluate.report import format_value


def on_every_process(command: Callable[..., None]) -> Callable[..., None]:
    """Run ``command`` in the process group of ``torchrun`` (when it started
    this process): a gnn then trains data-parallel, and only the first process
    prints (it also scores and saves)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from relgraph.models.gnn import distributed

        with distributed.process_group() as processes:
            if processes > 1 and kwargs.get("model") != "gnn":
                raise typer.BadParameter(
                    f"only gnn trains on several processes; run {kwargs.get('model')} "
                    "without torchrun",
                    param_hint="--model",
                )
            if not distributed.is_main():
                err.quiet = out.quiet = True
            command(*args, **kwargs)

    return wrapper


@handle_errors
@on_every_process
@handle_pql_errors
def train_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    model: Annotated[
        str, typer.Option(help="Model to fit: gbdt, gnn, baseline or prior.")
    ] = "gbdt",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Save the fitted model here (e.g. churn.rg).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (seeded models).")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(help="A hyperparameter, e.g. num_boost_round=200 (repeatable)."),
    ] = None,
    val_time: ValTimeOption = None,
    test_time: TestTimeOption = None,
    horizon: HorizonOption = None,
    anchor: AnchorOption = AnchorName.grid,
    schema: SchemaOption = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Fit a model on a query's training split; print its val and test headline metric.

    Under ``torchrun --nproc_per_node=N`` a gnn trains data-parallel on N
    processes (docs/engines.md).
    """
    from relgraph.evaluate.evaluation import score_predictions
    from relgraph.models.gnn.distributed import is_main
    from relgraph.models.registry import make_model
    from relgraph.pql import parse

    parsed = parse(query)
    fresh = make_model(model)  # an unknown name fails before the database is read
    params = parse_params(param, [model]).get(model, {})
    if seed is not None and "seed" not in fresh.get_params():
        err.print(f"[yellow]warning:[/] {model} is deterministic; --seed is ignored")
    elif seed is not None:
        params["seed"] = seed
    task = load_task(source, parsed, schema, val_time, test_time, horizon, drop, missing, anchor)
    what = f"fitting {model} on {len(task.table('train')):,} training examples"
    if "verbose" in fresh.get_params():  # the model shows its own progress per epoch
        params.setdefault("verbose", True)
        err.print(what)
        fitted = make_model(model, **params).fit(task)
    else:
        with err.status(what):
            fitted = make_model(model, **params).fit(task)
    err.print(f"fitted {model} in {fitted.fit_seconds_:.2f} s")
    if not is_main():
        return  # the first process scores and saves
    headline = task.metrics[0]
    info = {"model": model, "metric": headline, "fit_seconds": round(fitted.fit_seconds_, 4)}
    with err.status("scoring the validation and test splits"):
        for split in ("val", "test"):
            examples = task.table(split)
            if examples.empty:
                info[split] = None
                continue
            scores = score_predictions(task, examples, fitted.predict(examples), [headline])
            info[split] = scores[headline]
            info[f"{split}_examples"] = len(examples)
    if out_path is not None:
        fitted.save(out_path)
        info["saved"] = str(out_path)
        err.print(f"wrote model to {out_path}")
    else:
        err.print("[yellow]note:[/] not saved (pass --out model.rg to keep it)")
    if as_json:
        out.print_json(json.dumps(info))
        return
    table = Table(title=f"{model} on {task.entity_table} ({task.task_type})", title_justify="left")
    for column in ("split", "examples", headline):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split in ("val", "test"):
        table.add_row(
            split, f"{info.get(f'{split}_examples', 0):,}", format_value(info[split], headline)
        )
    out.print(table)
