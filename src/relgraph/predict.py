"""``relgraph.predict``: one PQL line in, predictions with reasons out, with no
training step (the ``icl`` model: :mod:`relgraph.models.icl.model`).

What happens at query time: the query is checked and its entities found at
the anchor time; the query's own labels at earlier anchors (``t - Δ, t - 2Δ,
...``) become in-context examples; the automatic relational features of those
and of the entities are computed from rows visible at their anchors; a
predictor reads the labelled context rows and predicts the entities: the
pre-trained context transformer (nothing fitted; the default of ``fast``), a
small LightGBM model fitted on the context (0.2 s in ``fast``, seconds with the
larger contexts of ``normal`` and ``best``), or the
mean of both (the default of ``normal`` and ``best``). Each row's
``top_signal`` is its strongest input. Writing the predictions out:
:mod:`relgraph.db.sources.writeback`.

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

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from relgraph.db.sources.writeback import OutputError, write_predictions, write_table
from relgraph.errors import PQLError, RelgraphError
from relgraph.pql import ast
from relgraph.pql.parser import parse
from relgraph.pql.task import Task

if TYPE_CHECKING:
    from relgraph.db.database import Database
    from relgraph.models.core.base import Model
    from relgraph.models.icl.model import IclModel

__all__ = [
    "OutputError",
    "load_for_query",
    "no_entities_error",
    "predict",
    "predict_fitted",
    "predict_saved",
    "warm_model",
    "write_predictions",
    "write_table",
]


def predict(
    db: Any,
    query: str | ast.Query,
    anchor_time: Any = None,
    mode: str = "fast",
    explain: bool = False,
    entities: Any = None,
    predictor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    fitted: IclModel | None = None,
    reasons: bool = True,
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
        progress (callable, optional): ``progress(done, total)`` after each
            chunk of 8,192 rows of the prediction step (the CLI's progress bar).
            (default: None)
        fitted (IclModel, optional): a model :func:`warm_model` made for this
            query, mode and predictor on ``db``, used instead of a new one: it
            keeps the query's labels, feature plans and feature rows, and the
            predictor chosen on a context, so asking it again (other entities,
            another anchor, with reasons or without) computes only what is new.
            The predictions are the same. (default: None: a new model)
        reasons (bool): give each row its ``top_signal``. Without them
            (bulk scoring, where nobody reads a reason per row) the prediction
            step is several times faster with the transformer, whose reasons
            take a backward pass per row; the predictions are the same.
            (default: True)

    Returns:
        One row per entity: the entity key, ``anchor_time``, the prediction
        (binary: ``probability``, ``predicted``; regression: ``prediction``;
        multiclass: ``predicted``, ``score_<class>``; link prediction:
        ``predicted`` ranked ids, ``scores``; forecast: ``step_1 .. step_n``,
        one in-context model per window) and ``top_signal`` (unless
        ``reasons=False``). ``attrs``
        holds ``task_type``, ``anchor_time``, ``anchor_note``, ``notes``
        (warnings about the query, e.g. a window in days over a table of whole
        years: :func:`~relgraph.pql.granularity.window_notes`), ``mode``,
        ``context`` (examples used) and ``timings`` (seconds per step;
        ``startup``: importing torch and loading the transformer, once per
        process). For a
        target without a window, entities already labelled at the anchor are
        the context and only the others are predicted.

    Raises:
        PQLError: the query does not parse or fit the schema, or there is nothing
            to predict: the anchor is before any data, no entity passes the
            query's ids or ``WHERE`` at the anchor, ``entities`` are not keys of
            the entity table, or (a target without a window) every entity is
            labelled already. The message says which.
        ModelError: too little history, a single class in it, or (regression) labels
            that are all equal (the message says which).
    """
    from relgraph.models.icl.model import MODES, PREDICTORS, IclModel  # lightgbm loads when needed

    if mode not in MODES:
        raise RelgraphError(f"predict: mode must be one of {', '.join(MODES)} (got {mode!r}).")
    if predictor is not None and predictor not in PREDICTORS:
        raise RelgraphError(
            f"predict: predictor must be one of {', '.join(PREDICTORS)} (got {predictor!r})."
        )
    if explain and not reasons:
        raise RelgraphError("predict: explain=True needs reasons=True (the reasons are explained).")
    start = time.perf_counter()
    parsed = parse(query) if isinstance(query, str) else query
    if parsed.evaluate:
        raise PQLError(
            "EVALUATE PREDICT asks for a backtest, not predictions. From Python: "
            "relgraph.evaluate.evaluate_models(rg.Task.from_query(db, query), "
            '["icl", "baseline", "prior"]); from the command line: relgraph predict '
            "(or relgraph evaluate) with the same query."
        )
    if fitted is not None:
        model, task = fitted, fitted.task_
        made = (task.query.to_pql(), fitted.mode, fitted.predictor)
        if made != (parsed.to_pql(), mode, predictor):
            raise RelgraphError(
                f"predict: the fitted model answers {made[0]!r} (mode {made[1]!r}, predictor "
                f"{made[2]!r}), not {parsed.to_pql()!r} (mode {mode!r}, predictor "
                f"{predictor!r}); pass a model from warm_model(db, query, mode, predictor)."
            )
    else:
        task = Task.from_query(db, parsed)
        model = IclModel(mode=mode, predictor=predictor).fit(task)
    note = ""
    if anchor_time is None:
        anchor = task.latest
        note = f"anchor time {anchor}: the latest time in the database"
    else:
        anchor = pd.Timestamp(anchor_time)
    recorded = task.unrecorded_note(anchor)
    if recorded:
        note = f"{note}; {recorded}" if note else recorded
    examples = _examples(task, anchor, entities)
    entity_seconds = time.perf_counter() - start
    # a forecast is one in-context model per window: each reports its own context
    models = model.step_models_.models if model.per_step else [model]
    for each in models:
        each.on_progress(progress)
    startup = _start_transformer() if model.asked_predictor in ("transformer", "blend") else 0.0
    if reasons:
        # without explain only the strongest input is kept: build just that one
        preds = model.explain(examples, top=3 if explain else 1)
        if not explain:
            preds = preds.drop(columns="contributions")
    else:
        preds = model.predict(examples)
    preds = with_key_parts(db, task.entity_table, preds)
    timings = {"startup": startup, "labels": entity_seconds, "features": 0.0, "prediction": 0.0}
    for each in models:
        for step, seconds in each.last_timings_.items():
            timings[step] = timings.get(step, 0.0) + seconds
    context = dict(models[0].last_context_)
    if model.per_step:
        context["windows"] = len(models)  # the first window's context, one model per window
    preds.attrs.update(
        query=" ".join(str(query).split()),
        task_type=task.task_type.value,
        anchor_time=str(anchor),
        anchor_note=note,
        notes=list(task.window_notes),
        mode=mode,
        predictor=context.get("predictor"),
        context=context,
        timings=timings,
    )
    return preds


def warm_model(
    db: Database, query: str | ast.Query, mode: str = "fast", predictor: str | None = None
) -> IclModel:
    """An in-context model bound to ``query`` on ``db``, to pass to
    :func:`predict` as ``fitted`` again and again (``relgraph serve`` keeps one
    per question and database version).

    Raises:
        PQLError: the query does not parse or fit the schema.
        ModelError: ``mode`` or ``predictor`` is not one of the known ones.

    Example:
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.05))
        >>> churn = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
        >>> model = warm_model(db, churn)
        >>> a = predict(db, churn, anchor_time="2024-10-01", fitted=model)
        >>> b = predict(db, churn, anchor_time="2024-10-01", fitted=model)  # labels, features kept
        >>> a.equals(b)
        True
    """
    from relgraph.models.icl.model import IclModel

    parsed = parse(query) if isinstance(query, str) else query
    return IclModel(mode=mode, predictor=predictor).fit(Task.from_query(db, parsed))


def _start_transformer() -> float:
    """Seconds to import torch and load the transformer's weights: once per
    process (about 1.3 s here), reported as its own step, not as prediction."""
    start = time.perf_counter()
    from relgraph.models.icl.transformer import load_pretrained

    load_pretrained()
    return time.perf_counter() - start


def with_key_parts(db: Database, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns of ``table``'s composite key beside the key
    relgraph made from them (``yearID``, ``teamID`` after ``yearID_teamID``),
    so predictions read and join back like the source's rows; unchanged for a
    table keyed by one column.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> teams = pd.DataFrame({"yearID": [1, 1, 2], "teamID": ["a", "b", "a"]})
        >>> db = rg.connect({"Teams": teams})
        >>> with_key_parts(db, "Teams", pd.DataFrame({"yearID_teamID": ["2|a"], "p": [0.5]}))
          yearID_teamID  yearID teamID    p
        0           2|a       2      a  0.5
    """
    t = db.schema.tables[table]
    parts = [c for c in t.key_columns if c not in frame.columns]
    if not parts or t.primary_key not in frame.columns:
        return frame
    lookup = db.table(table, [t.primary_key, *parts])
    merged = frame[[t.primary_key]].merge(lookup, on=t.primary_key, how="left")
    at = list(frame.columns).index(t.primary_key) + 1
    out = frame.copy()
    for i, part in enumerate(parts):
        out.insert(at + i, part, merged[part].to_numpy())
    out.attrs = frame.attrs
    return out


def _examples(task: Task, anchor: pd.Timestamp, entities: Any) -> pd.DataFrame:
    """The entities to predict at ``anchor``; an error that says why when there are none."""
    key = task.entity_key
    if entities is not None:
        ids = _known_ids(task, entities)
        return pd.DataFrame({key: ids, "anchor_time": anchor}).astype(
            {"anchor_time": "datetime64[us]"}
        )
    examples = task.entities_at(anchor)
    if examples.empty:
        raise no_entities_error(task, anchor)
    if task.is_static and not task.query.entity.ids:
        # The labelled ones are the context: predict the others.
        labelled = task.table_at([anchor])[key]
        unlabelled = examples[~examples[key].isin(labelled)].reset_index(drop=True)
        if unlabelled.empty:
            raise PQLError(
                f"Nothing to predict at {anchor}: every one of the {len(examples):,} "
                f"{task.entity_table} has its label already ({task.query.target.to_pql()}), "
                "and a target without a time window predicts the entities whose label is not "
                f"known. To predict some anyway, name them: FOR {task.query.entity.column} "
                "IN (...), or entities=[...].",
                query=task.query.text,
            )
        examples = unlabelled
    return examples


def _known_ids(task: Task, entities: Any) -> np.ndarray:
    """``entities`` as an array of ids, each a key of the entity table."""
    table, key = task.entity_table, task.entity_key
    ids = np.atleast_1d(np.asarray(entities))
    if ids.size == 0:
        raise PQLError(
            f"predict: entities is empty; pass ids of {table}.{key}, or leave it out to "
            f"predict every {table}."
        )
    known = task.db.table(table, [key])[key]
    unknown = list(dict.fromkeys(ids[~pd.Index(ids).isin(known.dropna())].tolist()))
    if unknown:
        shown = ", ".join(map(repr, unknown[:5])) + (", ..." if len(unknown) > 5 else "")
        raise PQLError(
            f"predict: {len(unknown):,} of the entities are not keys of {table} (no row has "
            f"{key} = {shown}); pass ids of {table}.{key}."
        )
    return ids


def no_entities_error(task: Task, anchor: pd.Timestamp) -> PQLError:
    """Why ``task`` has no entity to predict at ``anchor``: the anchor is before
    any data, no entity exists yet, the query's ids do not exist yet, or its
    ``WHERE`` keeps none. Predicting nothing is never an answer.

    Args:
        task (Task): the task whose ``entities_at(anchor)`` came back empty.
        anchor (Timestamp): the anchor time.

    Returns:
        A :class:`~relgraph.errors.PQLError` to raise.
    """
    table, key = task.entity_table, task.entity_key
    first, last = task.earliest, task.latest
    what = f"No {table} to predict at {anchor}"
    if anchor < first:
        why = (
            f"the anchor time is before any data (the database spans {first} .. {last}). "
            "Choose an anchor time in that span."
        )
        return PQLError(f"{what}: {why}", query=task.query.text)
    time_column = task.db.schema.tables[table].time_column
    frame = task.db.table(table, [key] + ([time_column] if time_column else []))
    exists = frame[key].notna()
    if time_column is not None:
        exists &= pd.to_datetime(frame[time_column]) <= anchor
    if not exists.any():
        first_row = pd.to_datetime(frame[time_column]).min() if time_column else None
        why = (
            f"no row of {table} exists by then (the first {table}.{time_column} is "
            f"{first_row}). Choose a later anchor time."
        )
    elif task.query.entity.ids:
        ids = [v.to_pql() for v in task.query.entity.ids]
        verb = "does" if len(ids) == 1 else "do"
        why = (
            f"{key} {', '.join(ids)} {verb} not exist yet (a {table} row exists from its "
            f"{time_column} on). Choose a later anchor time or other ids."
        )
    elif task.query.where is not None:
        nulls = _all_null_columns(task, task.query.where)
        note = (
            f" ({', '.join(nulls)} {'is' if len(nulls) == 1 else 'are'} NULL in every row, "
            "and a condition on NULL is never true)"
            if nulls
            else ""
        )
        why = (
            f"WHERE {task.query.where.to_pql()} keeps none of the {int(exists.sum()):,} "
            f"{table} that exist by then{note}. Widen the condition or choose another "
            "anchor time."
        )
    else:
        why = "the query selects none."
    return PQLError(f"{what}: {why}", query=task.query.text)


def _all_null_columns(task: Task, where: ast.Condition) -> list[str]:
    """The columns ``where`` reads (directly or aggregated) that hold only NULLs."""
    refs = dict.fromkeys(
        (e.table, e.column)
        for e in ast.expressions(where)
        if getattr(e, "column", None) is not None
    )
    return [
        f"{table}.{column}"
        for table, column in refs
        if not task.source_db.table(table, [column])[column].notna().any()
    ]


def load_for_query(path: Path, db: Any, query: str) -> Model:
    """Load the model saved at ``path`` for ``db`` and check it answers ``query``.

    Raises:
        ModelError: the file is not a model, the schema differs, or the model
            was trained on another query.

    Example:
        >>> model = load_for_query(Path("churn.rg"), db, CHURN)  # doctest: +SKIP
        >>> model.family  # doctest: +SKIP
        'gbdt'
    """
    from relgraph.models.core.base import ModelError
    from relgraph.models.registry import load

    model = load(path, db)
    asked, saved = parse(query).to_pql(), model.task_.query.to_pql()
    if asked != saved:
        raise ModelError(
            f"The model in {str(path)!r} was trained on another query:\n  saved: {saved}\n"
            f"  asked: {asked}\nPass the saved query, or train a model for this one "
            "(relgraph train DB QUERY --out model.rg)."
        )
    return model


def predict_saved(
    db: Any, query: str, path: Path, anchor: pd.Timestamp | None, explain: bool
) -> pd.DataFrame:
    """Predictions of the model saved at ``path`` for ``query`` at ``anchor``
    (default: the latest time), as ``relgraph predict --model path`` makes them.

    Raises:
        ModelError: the file is not a model of this database, or of another query.
        PQLError: no entity to predict at the anchor.

    Example:
        >>> preds = predict_saved(db, CHURN, Path("churn.rg"), None, False)  # doctest: +SKIP
        >>> preds.attrs["anchor_note"]  # doctest: +SKIP
        'anchor time 2024-06-30 00:00:00: the latest time in the database'
    """
    return predict_fitted(load_for_query(path, db, query), query, anchor, explain)


def predict_fitted(
    fitted: Model, query: str, anchor: pd.Timestamp | None, explain: bool
) -> pd.DataFrame:
    """Predictions of a fitted model for every entity of its query at
    ``anchor`` (default: the latest time, said in ``attrs["anchor_note"]``),
    with reasons when ``explain``.

    Raises:
        PQLError: no entity to predict at the anchor.

    Example:
        >>> preds = predict_fitted(model, CHURN, None, explain=True)  # doctest: +SKIP
    """
    task = fitted.task_
    note = ""
    if anchor is None:
        anchor = task.latest
        note = f"anchor time {anchor}: the latest time in the database"
    examples = task.entities_at(anchor)
    if examples.empty:
        raise no_entities_error(task, anchor)
    preds = fitted.explain(examples) if explain else fitted.predict(examples)
    preds.attrs.update(
        anchor_time=str(anchor),
        anchor_note=note,
        query=" ".join(query.split()),
        task_type=task.task_type.value,
    )
    return preds
