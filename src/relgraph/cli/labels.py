"""``relgraph labels``: the labelled training tables of a PQL query, per temporal split."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
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
    label_summary,
    load_task,
    out,
    table_file_format,
    write_table_file,
)
from relgraph.cli.engine_options import (
    EngineName,
    EngineOption,
    ParquetDirOption,
    SparkMasterOption,
    SparkRemoteOption,
    engine_for,
)


class SplitName(StrEnum):
    train = "train"
    val = "val"
    test = "test"
    all = "all"


class Dialect(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


@handle_errors
@handle_pql_errors
def labels_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    split: Annotated[SplitName, typer.Option(help="Which split to write or show.")] = SplitName.all,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the table (.parquet or .csv); 'all' adds a split column."
        ),
    ] = None,
    show_sql: Annotated[
        bool, typer.Option("--show-sql", help="Print the SQL of the split's anchors.")
    ] = False,
    dialect: Annotated[Dialect, typer.Option(help="SQL dialect for --show-sql.")] = Dialect.duckdb,
    summary: Annotated[
        bool, typer.Option("--summary", help="Anchors, examples and labels per split.")
    ] = False,
    val_time: ValTimeOption = None,
    test_time: TestTimeOption = None,
    horizon: HorizonOption = None,
    anchor: AnchorOption = AnchorName.grid,
    schema: SchemaOption = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    parquet_dir: ParquetDirOption = None,
) -> None:
    """Build the labelled examples of a query: one row per entity and anchor time.

    Without --out or --show-sql, prints the summary (as --summary does).
    With --engine spark the label SQL runs on Spark (same rows as DuckDB's).
    """
    from relgraph.pql import parse

    if out_path is not None and table_file_format(out_path) is None:
        raise typer.BadParameter(
            f"expected a .parquet or .csv file (got {out_path.name!r})", param_hint="--out"
        )
    parsed = parse(query)
    task = load_task(source, parsed, schema, val_time, test_time, horizon, drop, missing, anchor)
    splits = ["train", "val", "test"] if split is SplitName.all else [split.value]

    if show_sql:
        shown = "train" if split is SplitName.all else split.value
        err.print(f"SQL of the {shown} split ({len(task.anchor_times(shown))} anchor times):")
        out.print(task.sql(split=shown, dialect=dialect.value), highlight=False, markup=False)
    show_summary = summary or (out_path is None and not show_sql)
    if out_path is None and not show_summary:
        return  # only the SQL was asked for: no engine to start
    with engine_for(task.source_db, engine, spark_master, spark_remote, parquet_dir) as runner:
        if out_path is not None:
            with err.status(f"building the labelled examples on {engine.value}"):
                tables = []
                for name in splits:
                    table = task.table(name, engine=runner)
                    if split is SplitName.all:
                        table.insert(0, "split", name)
                    tables.append(table)
                frame = pd.concat(tables, ignore_index=True)
            write_table_file(frame, out_path)
            err.print(f"wrote {len(frame):,} examples ({', '.join(splits)}) to {out_path}")
        if show_summary:
            with err.status(f"building the labelled examples on {engine.value}"):
                info = task.summary(engine=runner)
            if as_json:
                out.print_json(json.dumps(info))
            else:
                out.print(summary_table(info))


def summary_table(info: dict) -> Table:
    title = (
        f"{info['task_type']} on {info['entity']}\nval_time {_time(info['val_time'])}, "
        f"test_time {_time(info['test_time'])}, horizon {info['horizon'] or 'none'}"
    )
    table = Table(title=title, title_justify="left")
    for column in ("split", "anchors", "first .. last anchor", "examples", "entities", "labels"):
        justify = "right" if column in ("anchors", "examples", "entities") else "left"
        table.add_column(column, justify=justify)
    for name, s in info["splits"].items():
        span = f"{_time(s['first_anchor'])} .. {_time(s['last_anchor'])}" if s["anchors"] else "-"
        table.add_row(
            name,
            f"{s['anchors']:,}",
            span,
            f"{s['examples']:,}",
            f"{s['entities']:,}",
            forecast_summary(s["labels"])
            if info["task_type"] == "forecast"
            else label_summary(info["task_type"], s["labels"]),
        )
    return table


def forecast_summary(stats: dict) -> str:
    """A forecast's labels in one line: every window's spread, then each
    window's mean (the first seven).

    Example:
        >>> forecast_summary({"mean": 2.0, "std": 1.0, "min": 0.0, "50%": 2.0, "max": 5.0,
        ...                   "step_means": [1.5, 2.5]})
        'mean 2, std 1, 0 .. 5; by window 1.5, 2.5'
    """
    if not stats:
        return "-"
    means = ", ".join(f"{v:g}" for v in stats["step_means"][:7])
    more = ", ..." if len(stats["step_means"]) > 7 else ""
    return (
        f"mean {stats['mean']:g}, std {stats['std']:g}, {stats['min']:g} .. {stats['max']:g}; "
        f"by window {means}{more}"
    )


def _time(text: str | None) -> str:
    if not text:
        return "-"
    return text[:10] if text.endswith("00:00:00") else text
