"""``relgraph.predict``: one PQL line in, predictions with reasons out, with no
training step (the ``icl`` model: :mod:`relgraph.models.icl`).

What happens at query time: the query is checked and its entities found at
the anchor time; the query's own labels at earlier anchors (``t - Δ, t - 2Δ,
...``) become in-context examples; the automatic relational features of those
and of the entities are computed from rows visible at their anchors; a small
gradient-boosted model is fitted on the context in a fraction of a second and
predicts, and its per-feature contributions give each row's ``top_signal``.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> preds = rg.predict(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
    ...                    "FOR EACH customers.customer_id", anchor_time="2024-10-01")
    >>> list(preds.columns)
    ['customer_id', 'anchor_time', 'probability', 'predicted', 'top_signal']
    >>> preds.attrs["task_type"], preds.attrs["context"]["examples"] > 100
    ('binary_classification', True)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from relgraph.db.sources.base import quote_ident
from relgraph.errors import RelgraphError
from relgraph.pql import ast
from relgraph.pql.task import Task

__all__ = ["OutputError", "predict", "write_predictions", "write_table"]


class OutputError(RelgraphError):
    """Predictions cannot be written where asked (format, existing table)."""


def predict(
    db: Any,
    query: str | ast.Query,
    anchor_time: Any = None,
    mode: str = "fast",
    explain: bool = False,
    entities: Any = None,
    predictor: str | None = None,
) -> pd.DataFrame:
    """Predict ``query`` for its entities as of ``anchor_time``, with no training step.

    Args:
        db (Database): the database (``relgraph.connect(...)``).
        query (str): the PQL query; ``FOR t.pk = v`` / ``IN (...)`` limits the entities.
        anchor_time (str | Timestamp, optional): predict as of this time; nothing
            after it is read. (default: the latest time in the database, noted in
            ``attrs["anchor_note"]``)
        mode (str): ``"fast"``, ``"normal"`` or ``"best"``: context size
            (1,000 / 5,000 / 20,000 examples) and boosting rounds. (default: ``"fast"``)
        explain (bool): add ``contributions``: the strongest inputs of each row
            (table path, column, hops, window, value, signed weight). (default: False)
        entities (list, optional): these entity ids instead of every entity.
        predictor (str, optional): ``"transformer"`` (the pre-trained context
            transformer, nothing fitted), ``"lightgbm"`` (a small model fitted
            on the context) or ``"blend"`` (their mean). (default: the mode's:
            ``fast`` transformer, ``normal`` and ``best`` blend)

    Returns:
        One row per entity: the entity key, ``anchor_time``, the prediction
        (binary: ``probability``, ``predicted``; regression: ``prediction``;
        multiclass: ``predicted``, ``score_<class>``; link prediction:
        ``predicted`` ranked ids, ``scores``) and ``top_signal``. ``attrs``
        holds ``task_type``, ``anchor_time``, ``anchor_note``, ``mode``,
        ``context`` (examples used) and ``timings`` (seconds per step). For a
        target without a window, entities already labelled at the anchor are
        the context and only the others are predicted.

    Raises:
        PQLError: the query does not parse or fit the schema.
        ModelError: too little history, or a single class in it (the message says which).
    """
    from relgraph.models.icl import MODES, PREDICTORS, IclModel  # lightgbm loads when needed

    if mode not in MODES:
        raise RelgraphError(f"predict: mode must be one of {', '.join(MODES)} (got {mode!r}).")
    if predictor is not None and predictor not in PREDICTORS:
        raise RelgraphError(
            f"predict: predictor must be one of {', '.join(PREDICTORS)} (got {predictor!r})."
        )
    start = time.perf_counter()
    task = Task.from_query(db, query)
    note = ""
    if anchor_time is None:
        anchor = task.latest
        note = f"anchor time {anchor}: the latest time in the database"
    else:
        anchor = pd.Timestamp(anchor_time)
    examples = _examples(task, anchor, entities)
    entity_seconds = time.perf_counter() - start
    model = IclModel(mode=mode, predictor=predictor).fit(task)
    preds = model.explain(examples)
    if not explain:
        preds = preds.drop(columns="contributions")
    timings = {"labels": entity_seconds, "features": 0.0, "prediction": 0.0}
    for step, seconds in model.last_timings_.items():
        timings[step] = timings.get(step, 0.0) + seconds
    preds.attrs.update(
        task_type=task.task_type.value,
        anchor_time=str(anchor),
        anchor_note=note,
        mode=mode,
        predictor=model.last_context_.get("predictor"),
        context=model.last_context_,
        timings=timings,
    )
    return preds


def _examples(task: Task, anchor: pd.Timestamp, entities: Any) -> pd.DataFrame:
    key = task.entity_key
    if entities is not None:
        ids = np.atleast_1d(np.asarray(entities))
        return pd.DataFrame({key: ids, "anchor_time": anchor}).astype(
            {"anchor_time": "datetime64[us]"}
        )
    examples = task.entities_at(anchor)
    if task.is_static and not task.query.entity.ids:
        # The labelled ones are the context: predict the others.
        labelled = task.table_at([anchor])[key]
        examples = examples[~examples[key].isin(labelled)].reset_index(drop=True)
    return examples


# ---------------------------------------------------------------- output
def write_predictions(preds: pd.DataFrame, path: str | Path) -> Path:
    """Write ``preds`` to a ``.csv`` or ``.parquet`` file (lists and
    contributions as JSON text in CSV; contributions as JSON text in Parquet).

    Raises:
        OutputError: another file type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise OutputError(f"Expected a .csv or .parquet file for predictions (got {path.name!r}).")
    frame = _plain_columns(preds, lists_as_text=suffix == ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def write_table(
    preds: pd.DataFrame, database: str | Path, table: str, replace: bool = False
) -> str:
    """Write ``preds`` into the DuckDB file ``database`` as table ``table``.

    An existing table is never overwritten unless ``replace`` is true.

    Raises:
        OutputError: ``database`` is not a DuckDB file, or the table exists.
    """
    text = str(database)
    path = Path(text)
    if text.startswith("duckdb://"):  # duckdb:///abs/path or duckdb://rel/path
        rest = text[len("duckdb://") :]
        path = Path(rest[1:] if rest.startswith("//") else rest)
    if not path.is_file() or path.read_bytes()[8:12] != b"DUCK":
        raise OutputError(
            f"--table writes back into a DuckDB file only ({text!r} is not one); "
            "use --out preds.csv or --out preds.parquet."
        )
    frame = _plain_columns(preds, lists_as_text=False)
    con = duckdb.connect(str(path))
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
            [table],
        ).fetchall()[0][0]
        if exists and not replace:
            raise OutputError(
                f"Table {table!r} already exists in {str(path)!r}; choose another name, or "
                "pass --replace to overwrite it."
            )
        con.register("__relgraph_predictions", frame)
        verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
        con.execute(f"{verb} {quote_ident(table)} AS SELECT * FROM __relgraph_predictions")
        con.unregister("__relgraph_predictions")
    finally:
        con.close()
    return table


def _plain_columns(preds: pd.DataFrame, lists_as_text: bool) -> pd.DataFrame:
    frame = preds.copy()
    frame.attrs = {}
    if "contributions" in frame:
        frame["contributions"] = [json.dumps(c, default=str) for c in frame["contributions"]]
    if lists_as_text:
        for column in ("predicted", "scores"):
            if column in frame and frame[column].map(lambda v: isinstance(v, list)).any():
                frame[column] = [json.dumps(v, default=str) for v in frame[column]]
    return frame
