"""What each endpoint computes, from the library's public API, as JSON:
the same calls as ``relgraph check``, ``labels --summary`` and ``predict``."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pandas as pd

from relgraph.db.database import Database
from relgraph.pql import Task, check, parse
from relgraph.predict import predict, predict_saved
from relgraph.serve.errors import ServeError
from relgraph.serve.messages import LabelsRequest, PredictRequest
from relgraph.serve.prefetch import FeaturePrefetch
from relgraph.serve.saved_models import saved_model_path
from relgraph.serve.settings import ServeSettings
from relgraph.serve.warm import KeptModels


def schema_answer(db: Database) -> dict[str, Any]:
    """The schema as ``Schema.to_dict`` writes it, with its warnings."""
    return {"schema": db.schema.to_dict(), "warnings": list(db.schema.warnings)}


def check_answer(db: Database, query: str) -> dict[str, Any]:
    """What ``relgraph check --json`` prints: the task type, entity, target, windows."""
    return check(parse(query), db.schema, db.con).describe()


def labels_answer(db: Database, request: LabelsRequest) -> dict[str, Any]:
    """What ``relgraph labels --summary --json`` prints: anchors, examples and
    labels per split."""
    task = Task.from_query(
        db,
        parse(request.query),
        val_time=request.val_time,
        test_time=request.test_time,
        horizon=request.horizon,
        anchor=request.anchor,
    )
    return jsonable(task.summary())


def predict_answer(
    db: Database,
    request: PredictRequest,
    settings: ServeSettings,
    models: KeptModels | None = None,
    prefetch: FeaturePrefetch | None = None,
    version: int = 0,
) -> dict[str, Any]:
    """Predictions as ``relgraph predict`` makes them: the in-context model
    (``model="icl"``) or a saved model of the server's folder. With
    ``models``, the in-context model kept for the question (made and kept
    when there is none) answers it: the same predictions, with what it
    computed for earlier requests reused; with ``prefetch`` too, after a
    request that names its ``entities``, the feature rows of the others at
    the same anchor are filled in the background (database ``version``).

    Returns:
        The answer without ``rows``, and the predictions frame under ``"frame"``.
    """
    start = time.perf_counter()
    anchor = parse_time(request.anchor_time, "anchor_time")
    if request.model == "icl":
        fitted = None
        if models is not None:
            fitted = models.get(db, request.query, request.mode, request.predictor)
        preds = predict(
            db,
            request.query,
            anchor_time=anchor,
            mode=request.mode,
            explain=request.explain,
            entities=request.entities,
            predictor=request.predictor,
            fitted=fitted,
            reasons=request.reasons,
        )
        if prefetch is not None and request.entities is not None:
            # asked about some: others are likely next (not so after a whole question)
            prefetch.after_answer(fitted, pd.Timestamp(preds.attrs["anchor_time"]), version)
    else:
        if request.entities is not None:
            raise ServeError(
                422,
                "invalid_request",
                "entities works with model 'icl' only; name the "
                "ids in the query instead (FOR t.pk IN (...)).",
            )
        path = saved_model_path(settings.models_dir, request.model)
        preds = predict_saved(db, request.query, path, anchor, request.explain)
    info = preds.attrs
    return {
        "query": " ".join(request.query.split()),
        "anchor_time": str(info.get("anchor_time", anchor)),
        "anchor_note": info.get("anchor_note", ""),
        "task_type": info.get("task_type", ""),
        "model": request.model,
        "mode": info.get("mode"),
        "predictor": info.get("predictor"),
        "context": jsonable(info.get("context", {})),
        "timings": {k: round(float(v), 4) for k, v in info.get("timings", {}).items()},
        "rows_total": len(preds),
        "columns": [str(c) for c in preds.columns],
        "seconds": round(time.perf_counter() - start, 4),
        "frame": preds,
    }


def answer_bytes(answer: dict[str, Any], limit: int | None) -> bytes:
    """``answer`` as a JSON document, its ``frame`` as ``rows`` (one object per row)."""
    frame: pd.DataFrame = answer["frame"]
    if limit is not None:
        frame = frame.head(limit)
    # pandas writes the rows itself (dates as ISO text, NaN as null), far
    # faster than one Python dict per row.
    rows = frame.to_json(orient="records", date_format="iso", date_unit="s", default_handler=str)
    meta = json.dumps({k: v for k, v in answer.items() if k != "frame"}, default=_plain)
    return f'{meta[:-1]}, "rows": {rows}}}'.encode()


def parse_time(text: str | None, field: str) -> pd.Timestamp | None:
    """``text`` as a time; 422 naming ``field`` when it is not one.

    Example:
        >>> parse_time("2024-06-01", "anchor_time")
        Timestamp('2024-06-01 00:00:00')
    """
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ServeError(
            422,
            "invalid_request",
            f"{field}: expected a date or time such as 2024-06-01 (got {text!r}).",
        ) from None


def jsonable(value: Any) -> Any:
    """``value`` with numpy numbers, arrays and times as plain JSON values."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return str(value)
    return str(value)
