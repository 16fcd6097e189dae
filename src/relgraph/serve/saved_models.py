"""Saved models a request may name: only the files of the folder the server
was started with, found by listing that folder, so no text from a request
ever becomes a path.

:func:`predict_saved` is what ``relgraph predict --model file.rg`` does,
without the terminal: the CLI keeps that path in a private helper, so it is
written here once for the server (from the same public pieces:
:func:`relgraph.cli.predict.load_for_query`, ``Task.entities_at``,
:func:`relgraph.predict.no_entities_error`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from relgraph.cli.predict import load_for_query
from relgraph.predict import no_entities_error
from relgraph.serve.errors import ServeError


def saved_model_names(models_dir: Path | None) -> list[str]:
    """The file names of the saved models in ``models_dir`` (none when not set).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "churn.rg").write_bytes(b""); _ = (folder / ".hidden").write_bytes(b"")
        >>> saved_model_names(folder), saved_model_names(None)
        (['churn.rg'], [])
    """
    if models_dir is None or not models_dir.is_dir():
        return []
    return sorted(
        p.name for p in models_dir.iterdir() if p.is_file() and not p.name.startswith(".")
    )


def saved_model_path(models_dir: Path | None, name: str) -> Path:
    """The file of the saved model called ``name``: one of the folder's own
    entries, matched by name (so ``../x`` or ``/etc/x`` match nothing).

    Raises:
        ServeError: 404 when no saved model has that name (or none are served).
    """
    names = saved_model_names(models_dir)
    if models_dir is None or name not in names:
        where = (
            "no --models folder was given"
            if models_dir is None
            else "known: " + (", ".join(names) or "none")
        )
        raise ServeError(
            404,
            "unknown_model",
            f"No saved model {name!r} ({where}). Use model 'icl', or the file name of a "
            "model in the server's --models folder.",
            known=names,
        )
    return models_dir / names[names.index(name)]


def predict_saved(
    db: Any, query: str, path: Path, anchor: pd.Timestamp | None, explain: bool
) -> pd.DataFrame:
    """Predictions of the model saved at ``path`` for ``query`` at ``anchor``
    (default: the latest time), as ``relgraph predict --model path`` makes them.

    Raises:
        ModelError: the file is not a model of this database, or of another query.
        PQLError: no entity to predict at the anchor.
    """
    fitted = load_for_query(path, db, query)
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
