"""``relgraph.predict``: one PQL line in, predictions with reasons out, with no
training step (the ``icl`` model: :mod:`relgraph.models.icl`).

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
:mod:`relgraph.writeback`.

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
from typing import Any

import numpy as np
import pandas as pd

from relgraph.errors import RelgraphError
from relgraph.pql import ast
from relgraph.pql.task import Task
from relgraph.writeback import OutputError, write_predictions, write_table

__all__ = ["OutputError", "predict", "write_predictions", "write_table"]


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
        ``context`` (examples used) and ``timings`` (seconds per step;
        ``startup``: importing torch and loading the transformer, once per
        process). For a
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
    startup = _start_transformer() if model.asked_predictor in ("transformer", "blend") else 0.0
    preds = model.explain(examples)
    if not explain:
        preds = preds.drop(columns="contributions")
    timings = {"startup": startup, "labels": entity_seconds, "features": 0.0, "prediction": 0.0}
    for step, seconds in model.last_timings_.items():
        timings[step] = timings.get(step, 0.0) + seconds
    preds.attrs.update(
        query=" ".join(str(query).split()),
        task_type=task.task_type.value,
        anchor_time=str(anchor),
        anchor_note=note,
        mode=mode,
        predictor=model.last_context_.get("predictor"),
        context=model.last_context_,
        timings=timings,
    )
    return preds


def _start_transformer() -> float:
    """Seconds to import torch and load the transformer's weights: once per
    process (about 1.3 s here), reported as its own step, not as prediction."""
    start = time.perf_counter()
    from relgraph.models.icl_transformer import load_pretrained

    load_pretrained()
    return time.perf_counter() - start


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
