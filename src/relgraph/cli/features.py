"""``relgraph features``: the automatic feature table the gbdt model learns
from, for one split of a query (for inspection)."""

from __future__ import annotations

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
from relgraph.engines.base import Engine
from relgraph.pql.task import Task


class Split(StrEnum):
    train = "train"
    val = "val"
    test = "test"


def feature_table(
    task: Task, split: str, max_hops: int = 2, engine: Engine | None = None
) -> pd.DataFrame:
    """The gbdt input of ``split``: the entity key, ``anchor_time`` and ``label``
    first, then every feature (fitted as the gbdt model fits them).

    ``engine`` runs the labels' and the features' SQL (default: DuckDB); the
    plan (which columns, which categories) is always fitted on ``task.db``.
    """
    from relgraph.features import FeatureConfig
    from relgraph.models.core.inputs import TaskInputs

    inputs = TaskInputs.fit(task, FeatureConfig(max_hops=max_hops))
    examples = task.table(split, engine=engine).reset_index(drop=True)
    features = inputs.transform(task, examples, engine=engine).reset_index(drop=True)
    return pd.concat([examples, features], axis=1)


@handle_errors
@handle_pql_errors
def features_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    split: Annotated[Split, typer.Option(help="Which split's examples.")] = Split.train,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the table (.parquet or .csv).")
    ] = None,
    max_hops: Annotated[
        int, typer.Option(min=1, max=3, help="Longest join path of the features.")
    ] = 2,
    val_time: ValTimeOption = None,
    test_time: TestTimeOption = None,
    horizon: HorizonOption = None,
    anchor: AnchorOption = AnchorName.grid,
    schema: SchemaOption = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    limit: Annotated[int, typer.Option(min=0, help="Features to list without --out.")] = 25,
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    parquet_dir: ParquetDirOption = None,
) -> None:
    """Build the automatic relational features of a query's examples (the gbdt input).

    Without --out, lists the features with their share of non-missing values.
    """
    from relgraph.pql import parse

    if out_path is not None and table_file_format(out_path) is None:
        raise typer.BadParameter(
            f"expected a .parquet or .csv file (got {out_path.name!r})", param_hint="--out"
        )
    parsed = parse(query)
    task = load_task(source, parsed, schema, val_time, test_time, horizon, drop, missing, anchor)
    status = f"computing features of the {split.value} split on {engine.value}"
    with (
        engine_for(task.source_db, engine, spark_master, spark_remote, parquet_dir) as runner,
        err.status(status),
    ):
        chosen = runner if engine is EngineName.spark else None  # None: the cached DuckDB path
        frame = feature_table(task, split.value, max_hops, chosen)
    n_features = frame.shape[1] - 3
    err.print(f"{len(frame):,} examples x {n_features:,} features ({split.value})")
    if out_path is not None:
        write_table_file(frame, out_path)
        err.print(f"wrote the feature table to {out_path}")
        return
    table = Table(
        title=f"{n_features:,} features of {len(frame):,} {split.value} examples "
        f"(first {min(limit, n_features)})",
        title_justify="left",
    )
    for column, justify in (("feature", "left"), ("non-missing", "right"), ("mean", "right")):
        table.add_column(column, justify=justify)
    for column in list(frame.columns[3:])[:limit]:
        values = frame[column]
        mean = (
            f"{values.mean():.4g}"
            if pd.api.types.is_numeric_dtype(values) and values.notna().any()
            else "-"
        )
        table.add_row(column, f"{values.notna().mean():.0%}", mean)
    out.print(table)
