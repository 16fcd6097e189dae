"""``relgraph predict``: predictions with reasons for every entity at an anchor
time. By default no training step: the ``icl`` model learns from the
database's own history at query time (``relgraph.predict``). ``--model`` takes
a saved model (``.rg``) or another model name to fit on the spot."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from relgraph.cli.check import handle_pql_errors
from relgraph.cli.common import (
    DropOption,
    MissingOption,
    err,
    handle_errors,
    print_warnings,
    shown_source,
    table_file_format,
)
from relgraph.cli.engine_options import (
    EngineName,
    EngineOption,
    ParquetDirOption,
    SparkMasterOption,
    SparkRemoteOption,
    engine_for,
)
from relgraph.cli.evaluate import print_table
from relgraph.models.core.base import ModelError
from relgraph.models.core.outputs import step_columns
from relgraph.pql.task import Task
from relgraph.predict import load_for_query, predict_fitted


class ModeName(StrEnum):
    fast = "fast"
    normal = "normal"
    best = "best"


class PredictorName(StrEnum):
    lightgbm = "lightgbm"
    transformer = "transformer"
    blend = "blend"


class FeaturePlace(StrEnum):
    """Where ``--engine spark`` computes the features of the entities."""

    workers = "workers"
    spark = "spark"


@handle_errors
@handle_pql_errors
def predict_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    model: Annotated[
        str,
        typer.Option(
            help="icl (no training: learns from the database's history at query time), "
            "a saved model (.rg, from relgraph train), or a model name to fit now."
        ),
    ] = "icl",
    mode: Annotated[
        ModeName,
        typer.Option(
            help="icl only: fast (1,000 context examples), normal (5,000), best (20,000)."
        ),
    ] = ModeName.fast,
    predictor: Annotated[
        PredictorName | None,
        typer.Option(
            help="icl only: transformer (the pre-trained context transformer, nothing "
            "fitted), lightgbm (a small model fitted on the context) or blend (their "
            "mean). Default: the mode's (fast: transformer; normal, best: blend)."
        ),
    ] = None,
    anchor_time: Annotated[
        str | None,
        typer.Option(
            help="Predict as of this time; nothing later is read "
            "(default: the latest time in the database)."
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Add the detailed contributions (table path, column, hops, window) of each row.",
        ),
    ] = False,
    reasons: Annotated[
        bool,
        typer.Option(
            "--reasons/--no-reasons",
            help="icl: a short reason per row (top_signal). --no-reasons skips them when "
            "scoring many entities: several times faster with the transformer, the same "
            "predictions.",
        ),
    ] = True,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write every prediction (.parquet or .csv).")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="Write every prediction into the source database (a DuckDB or SQLite "
            "file, PostgreSQL) as this new table: a plain name without a dot (DuckDB and "
            "SQLite write into main; PostgreSQL into the URL's ?schema=, public by default). "
            "With --engine spark: a table of the Spark catalog (name or database.name)."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Let --table replace a table of predictions relgraph wrote (never other "
            "data; on Spark, one marked with the relgraph.predictions property).",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(min=0, help="Rows to show.")] = 20,
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    parquet_dir: ParquetDirOption = None,
    partitions: Annotated[
        int | None,
        typer.Option(min=1, help="--engine spark: partitions of the entities (default: Spark's)."),
    ] = None,
    features: Annotated[
        FeaturePlace,
        typer.Option(
            help="--engine spark: where the features are computed: workers (each opens the "
            "source with DuckDB; any model) or spark (Spark SQL over the tables, and the "
            "workers get only the boosters: no worker reads the source; gbdt models).",
        ),
    ] = FeaturePlace.workers,
) -> None:
    """Predict for every entity at the anchor time (or the ids of FOR t.pk = v / IN (...)),
    with a short reason per row (top_signal).

    With --engine spark --out DIR, the entities are listed and predicted on Spark
    (the model shipped to every worker) and written as a Parquet folder, without
    reasons and without collecting the entities here.
    """
    from relgraph.db.database import connect
    from relgraph.models.registry import MODEL_NAMES
    from relgraph.pql import parse

    if parse(query).evaluate:
        _backtest(source, query, model, schema, drop, missing)
        return
    if explain and not reasons:
        raise typer.BadParameter("--explain explains the reasons: drop --no-reasons")
    if engine is EngineName.spark:
        if (out_path is None) == (table is None) or explain:
            raise typer.BadParameter(
                "--engine spark writes a Parquet folder (--out DIR) or a table of the "
                "Spark catalog (--table NAME): give one of them, without --explain",
                param_hint="--engine",
            )
        options = {"schema": schema, "drop": drop or (), "missing": missing or ()}
        spark = (spark_master, spark_remote, parquet_dir, partitions)
        icl = {"mode": mode.value, "predictor": predictor.value if predictor else None}
        target = SparkTarget(out_path, table, replace, features.value)
        _predict_spark(source, query, model, _anchor(anchor_time), target, options, spark, icl)
        return
    if out_path is not None and table_file_format(out_path) is None:
        raise typer.BadParameter(
            f"expected a .parquet or .csv file (got {out_path.name!r})", param_hint="--out"
        )
    anchor = _anchor(anchor_time)
    if table is not None:  # before any work, so that none is lost to a taken name
        from relgraph.db.sources.writeback import check_table

        check_table(source, table, replace=replace)
    saved = Path(model)
    if not saved.is_file() and model not in MODEL_NAMES:
        raise ModelError(
            f"No model file {model!r}, and {model!r} is not a model name "
            f"({', '.join(MODEL_NAMES)}). Pass a file from relgraph train --out, or a name."
        )
    start = time.perf_counter()
    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, schema=schema, drop=drop or (), missing=missing or ())
    loading = time.perf_counter() - start
    # What the schema could not use as it is (links dropped or partly dropped,
    # times that did not parse) changes the predictions: say it every time.
    print_warnings(db.schema.warnings)
    if model == "icl" and not saved.is_file():
        chosen = predictor.value if predictor is not None else None
        try:
            preds = _predict_icl(
                db, query, anchor, mode.value, chosen, explain, loading, reasons=reasons
            )
        except ModelError as exc:
            if "multilabel_classification" not in str(exc):
                raise
            raise ModelError(
                f"{exc} A multilabel target (LIST_DISTINCT(...) CLASSIFY) is predicted by a "
                "model fitted now: pass --model gbdt (one booster per label), --model gnn (one "
                "output per label) or --model baseline."
            ) from None
    else:
        preds = _predict_fitted(db, query, saved, model, anchor, explain)
    if out_path is not None:
        from relgraph.db.sources.writeback import write_predictions

        write_predictions(preds, out_path)
        err.print(f"wrote {len(preds):,} predictions to {out_path}", markup=False)
    if table is not None:
        from relgraph.db.sources.writeback import table_target, write_table

        write_table(preds, source, table, replace=replace)
        where = table_target(source).shown
        err.print(
            f"wrote {len(preds):,} predictions to table {table!r} of {where}",
            markup=False,
            highlight=False,
        )
    title = f"{' '.join(query.split())}\nas of {preds.attrs.get('anchor_time', anchor)}"
    print_table(predictions_table(preds, limit, title))
    if explain and "contributions" in preds:
        print_table(contributions_table(preds, min(limit, 5)))


def _backtest(
    source: str,
    query: str,
    model: str,
    schema: Path | None,
    drop: list[str] | None,
    missing: list[str] | None,
) -> None:
    """``EVALUATE PREDICT ...``: the backtest of the model predict would use,
    beside the simple baselines (``relgraph evaluate`` runs any models)."""
    from relgraph.cli.evaluate import run_backtest
    from relgraph.models.registry import MODEL_NAMES

    if model not in MODEL_NAMES:
        raise typer.BadParameter(
            f"EVALUATE fits the model: not a saved model file (got {model!r}); name one of "
            f"{', '.join(MODEL_NAMES)}.",
            param_hint="--model",
        )
    names = list(dict.fromkeys([model, "baseline", "prior"]))
    err.print(f"EVALUATE: backtest of {', '.join(names)} (relgraph evaluate runs others)")
    run_backtest(source, query, names, schema=schema, drop=drop, missing=missing)


def _anchor(anchor_time: str | None) -> pd.Timestamp | None:
    if anchor_time is None:
        return None
    try:
        return pd.Timestamp(anchor_time)
    except ValueError:
        raise typer.BadParameter(
            f"expected a date or time such as 2024-06-01 (got {anchor_time!r})",
            param_hint="--anchor-time",
        ) from None


def _predict_icl(
    db: Any,
    query: str,
    anchor: pd.Timestamp | None,
    mode: str,
    predictor: str | None,
    explain: bool,
    loading: float,
    reasons: bool = True,
) -> pd.DataFrame:
    from relgraph.predict import predict

    with prediction_progress("predicting from in-context examples (no training step)") as hook:
        preds = predict(
            db,
            query,
            anchor_time=anchor,
            mode=mode,
            explain=explain,
            predictor=predictor,
            progress=hook,
            reasons=reasons,
        )
    info = preds.attrs
    if info["anchor_note"]:
        err.print(f"{info['anchor_note']} (pass --anchor-time to choose)", highlight=False)
    for note in info.get("notes", []):
        err.print(Text("note: ", style="yellow") + Text(note))
    context = info["context"]
    classes = context.get("classes")
    shares = f", labels {classes}" if classes else ""
    err.print(
        f"task: {info['task_type']}; model: icl ({mode}, {info['predictor']}), no training step; "
        f"context: "
        f"{context.get('examples', 0):,} labelled examples from {context.get('anchors', 0)} "
        f"earlier anchor(s){shares}",
        highlight=False,
    )
    choice = context.get("choice")
    if choice:
        scores = ", ".join(f"{name} {value:.4g}" for name, value in choice["scores"].items())
        err.print(
            f"predictor chosen on {choice['held_rows']:,} held-out context rows "
            f"(scores, higher is better: {scores})",
            highlight=False,
        )
    timings = {"loading": loading, **info["timings"]}
    if timings.get("startup", 0.0) < 0.01:  # the model was loaded already
        timings.pop("startup", None)
    steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())
    # Loading the database and, once per process, torch and the model's weights
    # are not the query's compute.
    compute = sum(v for k, v in timings.items() if k not in ("loading", "startup"))
    err.print(f"time: {steps} ({compute:.2f} s after loading)", highlight=False)
    return preds


@contextlib.contextmanager
def prediction_progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A spinner on stderr while ``what`` runs, with a bar over the rows once the
    prediction step reports them; yields the ``progress(done, total)`` hook."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task(what, total=None, rows="")

        def hook(done: int, total: int) -> None:
            rows = f"{done:,} of {total:,} rows"
            # drawn now, not at the next tick: a chunk can take less than a tick
            progress.update(
                bar, description="predicting", completed=done, total=total, rows=rows, refresh=True
            )

        yield hook


def _predict_fitted(
    db: Any,
    query: str,
    saved: Path,
    name: str,
    anchor: pd.Timestamp | None,
    explain: bool,
) -> pd.DataFrame:
    from relgraph.models.registry import make_model
    from relgraph.pql import parse

    if saved.is_file():
        fitted = load_for_query(saved, db, query)
        err.print(f"loaded {fitted.family} model from {saved}")
    else:
        task = Task.from_query(db, parse(query))
        with err.status(f"fitting {name} (no saved model given)"):
            fitted = make_model(name).fit(task)
        err.print(f"fitted {name} in {fitted.fit_seconds_:.2f} s")
    task = fitted.task_
    if anchor is None:
        anchor = task.latest
        err.print(
            f"anchor time: {anchor} (the latest time in the database; pass --anchor-time to choose)"
        )
    with err.status(f"predicting for each {task.entity_table} row at {anchor}"):
        return predict_fitted(fitted, query, anchor, explain)


@dataclass(frozen=True)
class SparkTarget:
    """Where ``--engine spark`` writes: a Parquet ``folder`` or a catalog ``table``."""

    folder: Path | None
    table: str | None
    replace: bool = False
    #: where the features are computed: "workers" or "spark" (predict_on_spark's)
    features: str = "workers"


def _predict_spark(
    source: str,
    query: str,
    model: str,
    anchor: pd.Timestamp | None,
    target: SparkTarget,
    options: dict[str, Any],
    spark: tuple[str | None, str | None, str | None, int | None],
    icl: dict[str, Any],
) -> None:
    """``--engine spark``: a saved model, or one fitted here (``icl`` by
    default, as ``relgraph.predict`` fits it), run on Spark over the entities
    at ``anchor`` (:func:`relgraph.engines.predict_on_spark`)."""
    from relgraph.db.database import connect
    from relgraph.engines import predict_on_spark, spark_entities
    from relgraph.models.registry import make_model
    from relgraph.pql import parse

    master, remote, parquet_dir, partitions = spark
    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, **options)
    print_warnings(db.schema.warnings)
    saved = Path(model)
    if saved.is_file():
        fitted = load_for_query(saved, db, query)
        err.print(f"loaded {fitted.family} model from {saved}")
    else:
        task = Task.from_query(db, parse(query))
        params = icl if model == "icl" else {}
        with err.status(f"fitting {model}"):
            fitted = make_model(model, **params).fit(task)
    task = fitted.task_
    anchor = task.latest if anchor is None else anchor
    with engine_for(db, EngineName.spark, master, remote, parquet_dir) as runner:
        entities = spark_entities(task, runner, anchor)
        if fitted.family == "icl" and task.is_static and not task.query.entity.ids:
            # as relgraph.predict: the entities labelled by the anchor are the context
            labelled = runner.dataframe(task.sql([anchor], pretty=False))
            entities = entities.join(labelled.select(task.entity_key), task.entity_key, "left_anti")
        with err.status(f"predicting {task.entity_table} on Spark as of {anchor}"):
            predict_on_spark(
                fitted,
                entities,
                target.folder,
                source=source,
                connect_options=options,
                partitions=partitions,
                table=target.table,
                replace=target.replace,
                features=target.features,
                engine=runner if target.features == "spark" else None,
            )
    where = f"the Parquet folder {target.folder}" if target.table is None else None
    where = where or f"the Spark catalog table {target.table}"
    err.print(f"wrote the predictions as of {anchor} to {where}", markup=False)


def predictions_table(preds: pd.DataFrame, limit: int, title: str) -> Table:
    """The first ``limit`` predictions (without the long per-class or list columns)."""
    shown = [c for c in preds.columns if c not in ("contributions", "scores")]
    labels = [c for c in shown if c.startswith("score_")]
    shown = [c for c in shown if not c.startswith("score_")]
    steps = step_columns(preds)
    if len(steps) > 7:  # a long forecast: its first windows and its last
        shown = [c for c in shown if c not in steps[6:-1]]
    multilabel = bool(labels) and len(preds) and isinstance(preds["predicted"].iloc[0], list)
    if multilabel:  # most rows predict no label at 0.5: show the likeliest ones
        preds = preds.head(limit).copy()
        preds["likeliest"] = [_likeliest(row, labels) for _, row in preds.iterrows()]
        shown.insert(shown.index("predicted") + 1, "likeliest")
    table = Table(
        title=f"{title}  ({min(limit, len(preds)):,} of {len(preds):,} rows)", title_justify="left"
    )
    for column in shown:
        numeric = pd.api.types.is_numeric_dtype(preds[column])
        table.add_column(column, justify="right" if numeric else "left")
    for _, row in preds.head(limit).iterrows():
        table.add_row(*[Text(_cell(row[c])) for c in shown])
    return table


def _likeliest(row: pd.Series, columns: list[str], top: int = 3) -> str:
    """A multilabel row's ``top`` likeliest labels with their probabilities."""
    best = sorted(columns, key=lambda c: -float(row[c]))[:top]
    return ", ".join(f"{c.removeprefix('score_')} {float(row[c]):.2f}" for c in best)


def contributions_table(preds: pd.DataFrame, rows: int) -> Table:
    """The detailed reasons of the first ``rows`` predictions, one line per input."""
    key = preds.columns[0]
    table = Table(
        title=f"why (the strongest inputs of the first {rows} rows)", title_justify="left"
    )
    for column in (key, "input", "path", "hops", "window", "weight"):
        table.add_column(column, justify="right" if column in ("hops", "weight") else "left")
    for _, row in preds.head(rows).iterrows():
        for item in row["contributions"]:
            weight = item.get("contribution", item.get("score"))
            table.add_row(
                Text(str(row[key])),
                Text(item["text"]),
                Text(str(item.get("path", ""))),
                Text(str(item.get("hops", ""))),
                Text(str(item.get("window", ""))),
                Text("" if weight is None else f"{weight:+.3g}"),
            )
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)
