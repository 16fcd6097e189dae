"""``relgraph evaluate``: a temporal backtest of several models on one query,
side by side (mean ± std over seeds, fit and predict seconds)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

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
from relgraph.evaluate.evaluation import EVAL_SPLITS, ProgressHook, TaskEvaluation
from relgraph.evaluate.report import format_mean_std, format_value
from relgraph.models.registry import MODEL_NAMES


class ProtocolName(StrEnum):
    rolling = "rolling"
    relbench = "relbench"
    both = "both"


def model_names(text: str) -> list[str]:
    """``"gbdt, baseline"`` -> ``["gbdt", "baseline"]``."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise typer.BadParameter(
            "expected model names such as gbdt,baseline", param_hint="--models"
        )
    return names


def parse_params(values: list[str] | None, models: list[str]) -> dict[str, dict[str, Any]]:
    """``["gbdt.num_boost_round=200"]`` -> ``{"gbdt": {"num_boost_round": 200}}``.

    With one model the ``model.`` prefix may be left out. Values read as JSON
    (numbers, true/false) or else as text.

    Raises:
        ModelError: a model that is not compared, or a hyperparameter it lacks.
    """
    from relgraph.models.core.base import ModelError
    from relgraph.models.registry import make_model

    out: dict[str, dict[str, Any]] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(
                f"expected model.name=value, e.g. gbdt.num_boost_round=200 (got {item!r})",
                param_hint="--param",
            )
        model, dot, key = name.strip().rpartition(".")
        if not dot:
            if len(models) != 1:
                raise typer.BadParameter(
                    f"say which model {key!r} is for, e.g. gbdt.{key}={value}",
                    param_hint="--param",
                )
            model = models[0]
        if model not in models:
            raise ModelError(
                f"--param {item!r} is for {model!r}, which is not among the models "
                f"({', '.join(models)})."
            )
        known = make_model(model).get_params()
        if key not in known:
            raise ModelError(
                f"{model} has no hyperparameter {key!r}; known: {', '.join(known) or 'none'}."
            )
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(model, {})[key] = parsed
    return out


@contextlib.contextmanager
def progress_bar(total: int, what: str = "runs") -> Iterator[ProgressHook]:
    """A rich progress bar on stderr; yields the hook that ``evaluate_models`` calls."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(what),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("starting", total=total)

        def hook(description: str, advance: int) -> None:
            progress.update(bar, description=description, advance=advance)

        yield hook


def evaluation_table(ev: TaskEvaluation, published: list[Any] | None = None) -> Table:
    """One row per model (and protocol): each metric as mean ± std on val (upper
    line) and test (lower line), seeds, fit and predict seconds; published
    figures (test headline) below ours."""
    sizes = " / ".join(f"{ev.split_sizes.get(s, 0):,}" for s in ("train", "val", "test"))
    title = (
        f"{ev.task}: {ev.task_type}; val_time {_day(ev.val_time)}, test_time "
        f"{_day(ev.test_time)}; examples train / val / test {sizes}"
    )
    table = Table(title=title, title_justify="left")
    several = len(ev.protocols) > 1 or bool(published)
    table.add_column("model", no_wrap=True)
    if several:
        table.add_column("protocol", no_wrap=True)
    table.add_column("split", no_wrap=True)
    metrics = shown_metrics(ev.metrics)
    for name in metrics:
        table.add_column(name, justify="right", no_wrap=True)
    for column in ("seeds", "fit s", "predict s"):
        table.add_column(column, justify="right", no_wrap=True)
    for protocol in ev.protocols:
        for model in ev.models:
            cells = [model, protocol] if several else [model]
            cells.append("\n".join(EVAL_SPLITS))
            for name in metrics:
                lines = []
                for split in EVAL_SPLITS:
                    s = ev.summary(model, split, name, protocol)
                    lines.append(format_mean_std(s["mean"], s["std"], name))
                cells.append("\n".join(lines))
            seconds = [ev.summary(model, split, ev.headline, protocol) for split in EVAL_SPLITS]
            cells += [
                str(len(seconds[-1]["per_seed"])),
                f"{seconds[-1]['fit_seconds']:.2f}",
                "\n".join(f"{s['predict_seconds']:.2f}" for s in seconds),
            ]
            table.add_row(*cells)
    rows = [p for p in published or [] if p.task == ev.task]
    if rows:
        table.add_section()
        column = 3 + metrics.index(ev.headline)  # model, protocol, split, metrics...
        for p in rows:
            shown = (
                f"{format_value(p.low, p.metric)} .. {format_value(p.high, p.metric)}"
                if p.low is not None
                else format_value(p.value, p.metric)
            )
            cells = [""] * len(table.columns)
            cells[0], cells[1], cells[2], cells[column] = p.model, p.protocol, "test", shown
            table.add_row(*[Text(c, style="dim") for c in cells])
        table.caption = "dim rows: published figures (compare within a protocol)"
    return table


def shown_metrics(names: list[str]) -> list[str]:
    """The metrics a table shows: a long forecast's first three windows and its
    last (every window is in the JSON report).

    Example:
        >>> shown_metrics(["mae", "rmse", *(f"mae_step_{i}" for i in range(1, 8))])
        ['mae', 'rmse', 'mae_step_1', 'mae_step_2', 'mae_step_3', 'mae_step_7']
    """
    steps = [n for n in names if n.startswith("mae_step_")]
    if len(steps) <= 4:
        return list(names)
    return [n for n in names if n not in steps[3:-1]]


def print_table(table: Table) -> None:
    """Print a wide table to stdout: fitted to a terminal, at full width otherwise
    (a pipe or a file gets every digit rather than an 80-column cut)."""
    if out.is_terminal:
        out.print(table)
        return
    width = Measurement.get(out, out.options.update_width(10_000), table).maximum
    Console(width=max(width, out.width), soft_wrap=True).print(table)


def _day(text: str) -> str:
    return text[:10] if text.endswith("00:00:00") else text


@handle_errors
@handle_pql_errors
def evaluate_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    models: Annotated[
        str,
        typer.Option(help=f"Models to compare, comma-separated (any of {', '.join(MODEL_NAMES)})."),
    ] = "gbdt,baseline",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per seeded model (gbdt).")] = 1,
    protocol: Annotated[
        ProtocolName,
        typer.Option(help="rolling: history up to each anchor; relbench: cut at test_time."),
    ] = ProtocolName.rolling,
    val_time: ValTimeOption = None,
    test_time: TestTimeOption = None,
    horizon: HorizonOption = None,
    anchor: AnchorOption = AnchorName.grid,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write report.md, results.json and chart.png here."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(help="A hyperparameter, e.g. gbdt.num_boost_round=200 (repeatable)."),
    ] = None,
    schema: SchemaOption = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print results.json's document instead of the table.")
    ] = False,
) -> None:
    """Backtest models on a query: every metric on val and test, side by side.
    The query may start with EVALUATE (same meaning)."""
    run_backtest(
        source,
        query,
        model_names(models),
        seeds=seeds,
        protocol=protocol,
        val_time=val_time,
        test_time=test_time,
        horizon=horizon,
        anchor=anchor,
        out_dir=out_dir,
        param=param,
        schema=schema,
        drop=drop,
        missing=missing,
        as_json=as_json,
    )


def run_backtest(
    source: str,
    query: str,
    names: list[str],
    *,
    seeds: int = 1,
    protocol: ProtocolName = ProtocolName.rolling,
    val_time: str | None = None,
    test_time: str | None = None,
    horizon: str | None = None,
    anchor: str = "grid",
    out_dir: Path | None = None,
    param: list[str] | None = None,
    schema: Path | None = None,
    drop: list[str] | None = None,
    missing: list[str] | None = None,
    as_json: bool = False,
) -> None:
    """What ``relgraph evaluate`` does, also run by ``relgraph predict`` for an
    ``EVALUATE PREDICT`` query."""
    from relgraph.evaluate.evaluation import evaluate_models, plan_runs
    from relgraph.evaluate.report import Report
    from relgraph.pql import parse

    parsed = parse(query)
    params = parse_params(param, names)
    runs = plan_runs(names, seeds, params)  # unknown names fail before the database is read
    task = load_task(source, parsed, schema, val_time, test_time, horizon, drop, missing, anchor)
    with progress_bar(len(runs)) as hook:
        ev = evaluate_models(
            task, names, seeds, protocol.value, name="query", params=params, progress=hook
        )
    report = Report(_dataset_name(source), [ev])
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        print_table(evaluation_table(ev))
    if out_dir is not None:
        paths = report.write(out_dir)
        err.print(f"wrote {', '.join(str(p) for p in paths.values())}")


def _dataset_name(source: str) -> str:
    if "://" in source:
        return source.split("?")[0].rsplit("/", 1)[-1] or source
    return Path(source).name or source
