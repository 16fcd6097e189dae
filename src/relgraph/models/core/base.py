"""One interface for every model family (docs/models.md).

The constructor stores hyperparameters only; :meth:`Model.fit` learns from a
:class:`~relgraph.pql.task.Task` and returns ``self``; learned state ends in
``_``. :meth:`Model.predict` and :meth:`Model.explain` check the model is
fitted, then call the family's worker. :meth:`Model.save` writes one file that
:func:`relgraph.models.load` reads back against a database whose schema fits.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from relgraph.errors import RelgraphError
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

FORMAT_VERSION = 1


class ModelError(RelgraphError):
    """A model is used wrongly (not fitted, wrong task) or a saved model does not fit."""


class Model(ABC):
    """Base of every model family.

    Example:
        >>> from relgraph.models.baseline import BaselineModel
        >>> BaselineModel().predict(pd.DataFrame())  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        ...
        ModelError: This BaselineModel is not fitted yet; call fit(task) first.
    """

    family: ClassVar[str]
    supported: ClassVar[tuple[TaskType, ...]] = tuple(TaskType)
    #: True for a family whose own ``_fit`` serves forecasts; otherwise a
    #: forecast is one model of the family per window (models/core/forecast.py).
    native_forecast: ClassVar[bool] = False
    #: True for a family that ranks a multicategorical column's categories
    #: through its multilabel model (models/core/ranking.py), set below.
    ranks_by_labels: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every family that serves regression serves a forecast, one regression
        # per window, without a word in its own code.
        if TaskType.regression in cls.supported and TaskType.forecast not in cls.supported:
            cls.supported = (*cls.supported, TaskType.forecast)
        # Likewise a multilabel family ranks categories by their probabilities.
        if (
            TaskType.multilabel_classification in cls.supported
            and TaskType.multilabel_ranking not in cls.supported
        ):
            cls.supported = (*cls.supported, TaskType.multilabel_ranking)
            cls.ranks_by_labels = True

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters given to the constructor."""
        return {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }

    # ------------------------------------------------------------ public
    def fit(self, task: Task) -> Model:
        """Learn from the task's training (and validation) examples; returns ``self``."""
        if task.task_type not in self.supported:
            raise ModelError(
                f"{type(self).__name__} does not support {task.task_type} tasks "
                f"(supported: {', '.join(self.supported)})."
            )
        start = time.perf_counter()
        self.task_ = task
        if self.per_step:
            from relgraph.models.core.forecast import StepModels

            self.step_models_ = StepModels.fit(type(self), self.get_params(), task)
        elif self.by_labels:
            from relgraph.models.core.ranking import RankedCategories

            self.ranked_ = RankedCategories.fit(type(self), self.get_params(), task)
        else:
            self._fit(task)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @property
    def per_step(self) -> bool:
        """True when this model's task is a forecast served by one model per
        window (``step_models_``), not by the family's own code."""
        task = getattr(self, "task_", None)
        return task is not None and task.task_type is TaskType.forecast and not self.native_forecast

    @property
    def by_labels(self) -> bool:
        """True when this model's task ranks a multicategorical column's
        categories through the family's multilabel model (``ranked_``)."""
        task = getattr(self, "task_", None)
        return (
            task is not None
            and task.task_type is TaskType.multilabel_ranking
            and self.ranks_by_labels
        )

    def predict(
        self,
        examples: pd.DataFrame | None = None,
        *,
        entities: Any = None,
        anchor_time: Any = None,
        cutoff: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Predict for ``examples`` (entity key and ``anchor_time`` columns), or for
        ``entities`` at one ``anchor_time``.

        Returns a DataFrame with the entity key, ``anchor_time`` and, by task
        type: ``probability`` and ``predicted`` (binary); ``prediction``
        (regression); ``predicted`` and ``score_<class>`` (multiclass);
        ``predicted`` (ranked ids) and ``scores`` (link prediction; the
        ``k`` likeliest categories of a multicategorical column);
        ``step_1 .. step_n`` (forecast: the value in each window).
        """
        self._check_fitted()
        examples = self._examples(examples, entities, anchor_time)
        if self.per_step:
            out = self.step_models_.predict(examples.reset_index(drop=True), cutoff)
        elif self.by_labels:
            out = self.ranked_.predict(examples.reset_index(drop=True), cutoff)
            vars(self).update(self.ranked_.run_info())
        else:
            out = self._predict(examples.reset_index(drop=True), cutoff)
        key = self.task_.entity_key
        front = pd.DataFrame(
            {
                key: examples[key].to_numpy(),
                "anchor_time": pd.to_datetime(examples["anchor_time"]).to_numpy(),
            }
        )
        return pd.concat([front, out.reset_index(drop=True)], axis=1)

    def explain(self, examples: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """Predictions with ``top_signal`` (a readable reason) and ``contributions``
        (the ``top`` strongest inputs with their signed weights)."""
        self._check_fitted()
        if self.per_step:
            return self.step_models_.explain(examples.reset_index(drop=True), top)
        if self.by_labels:
            out = self.ranked_.explain(examples.reset_index(drop=True), top)
            vars(self).update(self.ranked_.run_info())
            return out
        return self._explain(examples.reset_index(drop=True), top)

    def save(self, path: str | Path) -> Path:
        """Write the model to one file (a zip: manifest plus the family's state)."""
        self._check_fitted()
        task = self.task_
        manifest = {
            "format": FORMAT_VERSION,
            "family": self.family,
            "params": self.get_params(),
            "query": task.query.to_pql(),
            "val_time": str(task.val_time),
            "test_time": str(task.test_time),
            "horizon": None
            if task.horizon is None
            else f"{task.horizon.amount}{task.horizon.unit.value}",
            "schema_fingerprint": task.source_db.schema.fingerprint(),
            "fit_seconds": self.fit_seconds_,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
            for name, data in self.state_files().items():
                zf.writestr(name, data)
        return path

    def state_files(self) -> dict[str, bytes]:
        """The fitted state as named byte strings: what :meth:`save` writes beside
        its manifest, and what :meth:`from_state` reads back."""
        self._check_fitted()
        if self.per_step:
            return self.step_models_.state()
        if self.by_labels:
            return self.ranked_.state()
        return self._state()

    @classmethod
    def from_state(
        cls,
        task: Task,
        files: dict[str, bytes],
        params: dict[str, Any] | None = None,
        fit_seconds: float = 0.0,
    ) -> Self:
        """A fitted model of this family, rebuilt from :meth:`state_files` and
        bound to ``task`` (the task it was fitted on, or the same query on a
        database with the same schema)."""
        model = cls(**(params or {}))
        model.task_ = task
        model.fit_seconds_ = fit_seconds
        if model.per_step:
            from relgraph.models.core.forecast import StepModels

            model.step_models_ = StepModels.load(cls, params or {}, task, files)
        elif model.by_labels:
            from relgraph.models.core.ranking import RankedCategories

            model.ranked_ = RankedCategories.load(cls, params or {}, task, files)
        else:
            model._load_state(files)
        return model

    # ------------------------------------------------------------ for families
    @abstractmethod
    def _fit(self, task: Task) -> None: ...

    @abstractmethod
    def _predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame: ...

    def _explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        raise ModelError(f"{type(self).__name__} cannot explain its predictions.")

    @abstractmethod
    def _state(self) -> dict[str, bytes]: ...

    @abstractmethod
    def _load_state(self, files: dict[str, bytes]) -> None: ...

    # ------------------------------------------------------------ helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "task_"):
            raise ModelError(f"This {type(self).__name__} is not fitted yet; call fit(task) first.")

    def _examples(self, examples: Any, entities: Any, anchor_time: Any) -> pd.DataFrame:
        key = self.task_.entity_key
        if examples is None:
            if entities is None or anchor_time is None:
                raise ModelError("Pass examples, or both entities and anchor_time.")
            ids = np.atleast_1d(np.asarray(entities))
            return pd.DataFrame({key: ids, "anchor_time": pd.Timestamp(anchor_time)})
        missing = {key, "anchor_time"} - set(examples.columns)
        if missing:
            raise ModelError(
                f"Examples need columns {key!r} and 'anchor_time' (missing {sorted(missing)})."
            )
        return examples


@dataclass(frozen=True)
class SavedModel:
    """A model file's contents, checked against the database it will run on."""

    family: str
    params: dict[str, Any]
    task: Task
    files: dict[str, bytes]
    fit_seconds: float


def read_saved(path: str | Path, db: Any) -> SavedModel:
    """Read a file written by :meth:`Model.save` and rebind its task to ``db``.

    :func:`relgraph.models.load` turns the result into a model of its family.

    Raises:
        ModelError: the file is not a relgraph model, or the schema differs.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            files = {name: zf.read(name) for name in zf.namelist()}
        manifest = json.loads(files.pop("manifest.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelError(f"{str(path)!r} is not a relgraph model file ({exc}).") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise ModelError(
            f"{str(path)!r} has model format {manifest.get('format')!r}; this "
            f"relgraph reads format {FORMAT_VERSION}."
        )
    fingerprint = db.schema.fingerprint()
    if manifest["schema_fingerprint"] != fingerprint:
        raise ModelError(
            f"The model in {str(path)!r} was trained on a database with another schema "
            f"(fingerprint {manifest['schema_fingerprint']}, this one {fingerprint}): tables, "
            "keys, time columns, column types or links differ. Retrain it on this database, or "
            "apply the same schema overrides as at training time."
        )
    task = Task.from_query(
        db,
        manifest["query"],
        val_time=manifest["val_time"],
        test_time=manifest["test_time"],
        horizon=manifest["horizon"],
    )
    return SavedModel(
        family=manifest["family"],
        params=manifest["params"],
        task=task,
        files=files,
        fit_seconds=manifest.get("fit_seconds", 0.0),
    )


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def frame_from_bytes(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))
