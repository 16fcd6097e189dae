"""Saved models a request may name: only the files of the folder the server
was started with, found by listing that folder, so no text from a request
ever becomes a path. They predict through
:func:`relgraph.predict.predict_saved`, as ``relgraph predict --model file.rg``.
"""

from __future__ import annotations

from pathlib import Path

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
