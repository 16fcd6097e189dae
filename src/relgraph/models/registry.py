"""Model families by name (``--models gbdt,baseline``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from relgraph.models.core.base import Model, ModelError, read_saved

#: Every model family, by the name saved model files carry.
FAMILIES = ("baseline", "gbdt", "gnn", "hybrid", "icl")


def model_class(family: str) -> type[Model]:
    """The class of a family (imported on first use: torch and LightGBM load late).

    Example:
        >>> model_class("gbdt").__name__
        'GBDTModel'
    """
    from relgraph.models.baseline import BaselineModel
    from relgraph.models.gbdt import GBDTModel
    from relgraph.models.gnn.model import GNNModel
    from relgraph.models.hybrid import HybridModel
    from relgraph.models.icl.model import IclModel

    families: dict[str, type[Model]] = {
        "baseline": BaselineModel,
        "gbdt": GBDTModel,
        "gnn": GNNModel,
        "hybrid": HybridModel,
        "icl": IclModel,
    }
    if family not in families:
        raise ModelError(f"Unknown model family {family!r}; known: {', '.join(FAMILIES)}.")
    return families[family]


#: Names accepted by ``--models``: a family, or a baseline strategy.
MODEL_NAMES: dict[str, tuple[str, dict[str, Any]]] = {
    "gbdt": ("gbdt", {}),
    "gnn": ("gnn", {}),
    "hybrid": ("hybrid", {}),
    "icl": ("icl", {}),
    # the in-context model with one predictor whatever the mode: the pre-trained
    # transformer, a LightGBM model fitted on the context, or their mean
    "icl-transformer": ("icl", {"predictor": "transformer"}),
    "icl-lightgbm": ("icl", {"predictor": "lightgbm"}),
    "icl-blend": ("icl", {"predictor": "blend"}),
    # the in-context model's slower modes (more context, more LightGBM rounds)
    "icl-normal": ("icl", {"mode": "normal"}),
    "icl-best": ("icl", {"mode": "best"}),
    "baseline": ("baseline", {"strategy": "history"}),
    "history": ("baseline", {"strategy": "history"}),
    "prior": ("baseline", {"strategy": "prior"}),
    # the entity's latest label (a forecast: its last window repeated)
    "last": ("baseline", {"strategy": "last"}),
}


def make_model(name: str, **params: Any) -> Model:
    """A fresh model by ``--models`` name (``baseline`` = the history baseline)."""
    if name not in MODEL_NAMES:
        raise ModelError(f"Unknown model {name!r}; known: {', '.join(MODEL_NAMES)}.")
    family, defaults = MODEL_NAMES[name]
    return model_class(family)(**{**defaults, **params})


def load(path: str | Path, db: Any) -> Model:
    """Read a model written by :meth:`Model.save <relgraph.models.core.base.Model.save>`
    and bind it to ``db`` (whose schema must fit).

    Example:
        >>> import pathlib, tempfile
        >>> import relgraph as rg
        >>> from relgraph.bench.demo import make_ecommerce
        >>> db = rg.connect(make_ecommerce(scale=0.05))
        >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) > 0 "
        ...                           "FOR EACH customers.customer_id")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "prior.zip"
        >>> _ = make_model("prior").fit(task).save(path)
        >>> type(load(path, db)).__name__
        'BaselineModel'

    Raises:
        ModelError: the file is not a relgraph model, or the schema differs.
    """
    saved = read_saved(path, db)
    return model_class(saved.family).from_state(
        saved.task, saved.files, saved.params, saved.fit_seconds
    )
