"""``relgraph predict``: predictions of a saved model (or one fitted on the spot)
for every entity that exists at an anchor time, with ``top_signal`` on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from relgraph.cli.check import handle_pql_errors
from relgraph.cli.common import err, handle_errors
from relgraph.cli.evaluate import print_table
from relgraph.cli.labels import _format
from relgraph.models.base import Model, ModelError
from relgraph.pql.task import Task


def load_for_query(path: Path, db: Any, query: str) -> Model:
    """Load the model saved at ``path`` for ``db`` and check it answers ``query``.

    Raises:
        ModelError: the file is not a model, the schema differs, or the model
            was trained on another query.
    """
    from relgraph.models.base import load
    from relgraph.pql import parse

    model = load(path, db)
    asked, saved = parse(query).to_pql(), model.task_.query.to_pql()
    if asked != saved:
        raise ModelError(
            f"The model in {str(path)!r} was trained on another query:\n  saved: {saved}\n"
            f"  asked: {asked}\nPass the saved query, or train a model for this one "
            "(relgraph train DB QUERY --out model.rg)."
        )
    return model


@handle_errors
@handle_pql_errors
def predict_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    query: Annotated[str, typer.Argument(help='The PQL query, e.g. "PREDICT ... FOR EACH ...".')],
    model: Annotated[
        str,
        typer.Option(help="A saved model (.rg, from relgraph train), or a model name to fit now."),
    ] = "gbdt",
    anchor_time: Annotated[
        str | None,
        typer.Option(help="Predict as of this time (default: the latest time in the database)."),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add top_signal: what drove each prediction.")
    ] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write every prediction (.parquet or .csv).")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="Rows to show.")] = 20,
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
) -> None:
    """Predict for every entity that exists at the anchor time (and passes WHERE)."""
    from relgraph.db.database import connect
    from relgraph.models.registry import MODEL_NAMES, make_model
    from relgraph.pql import parse

    if out_path is not None and _format(out_path) is None:
        raise typer.BadParameter(
            f"expected a .parquet or .csv file (got {out_path.name!r})", param_hint="--out"
        )
    parsed = parse(query)
    saved = Path(model)
    if not saved.is_file() and model not in MODEL_NAMES:
        raise ModelError(
            f"No model file {model!r}, and {model!r} is not a model name "
            f"({', '.join(MODEL_NAMES)}). Pass a file from relgraph train --out, or a name."
        )
    with err.status(f"reading {source} and inferring its schema"):
        db = connect(source, schema=schema)
    if saved.is_file():
        fitted = load_for_query(saved, db, query)
        err.print(f"loaded {fitted.family} model from {saved}")
    else:
        task = Task.from_query(db, parsed)
        with err.status(f"fitting {model} (no saved model given)"):
            fitted = make_model(model).fit(task)
        err.print(f"fitted {model} in {fitted.fit_seconds_:.2f} s")
    task = fitted.task_
    if anchor_time is None:
        anchor = task.latest
        err.print(
            f"anchor time: {anchor} (the latest time in the database; pass --anchor-time to choose)"
        )
    else:
        try:
            anchor = pd.Timestamp(anchor_time)
        except ValueError:
            raise typer.BadParameter(
                f"expected a date or time such as 2024-06-01 (got {anchor_time!r})",
                param_hint="--anchor-time",
            ) from None
    examples = task.entities_at(anchor)
    if examples.empty:
        err.print(f"[yellow]warning:[/] no {task.entity_table} to predict at {anchor}")
    with err.status(f"predicting for {len(examples):,} {task.entity_table}"):
        preds = fitted.explain(examples) if explain else fitted.predict(examples)
    if out_path is not None:
        written = preds.copy()
        if "contributions" in written:
            written["contributions"] = [json.dumps(c) for c in written["contributions"]]
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if _format(out_path) == "parquet":
            written.to_parquet(out_path, index=False)
        else:
            written.to_csv(out_path, index=False)
        err.print(f"wrote {len(preds):,} predictions to {out_path}")
    print_table(predictions_table(preds, limit, f"{task.query.to_pql()}\nas of {anchor}"))


def predictions_table(preds: pd.DataFrame, limit: int, title: str) -> Table:
    """The first ``limit`` predictions (without the long per-class or list columns)."""
    shown = [c for c in preds.columns if c not in ("contributions", "scores")]
    shown = [c for c in shown if not c.startswith("score_")]
    table = Table(
        title=f"{title}  ({min(limit, len(preds)):,} of {len(preds):,} rows)", title_justify="left"
    )
    for column in shown:
        numeric = pd.api.types.is_numeric_dtype(preds[column])
        table.add_column(column, justify="right" if numeric else "left")
    for _, row in preds.head(limit).iterrows():
        table.add_row(*[Text(_cell(row[c])) for c in shown])
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)
