"""Model families by name (``--models gbdt,baseline``)."""

from __future__ import annotations

from typing import Any

from relgraph.models.core.base import Model, ModelError


def model_class(family: str) -> type[Model]:
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
        raise ModelError(f"Unknown model family {family!r}; known: {', '.join(families)}.")
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
    "baseline": ("baseline", {"strategy": "history"}),
    "history": ("baseline", {"strategy": "history"}),
    "prior": ("baseline", {"strategy": "prior"}),
}


def make_model(name: str, **params: Any) -> Model:
    """A fresh model by ``--models`` name (``baseline`` = the history baseline)."""
    if name not in MODEL_NAMES:
        raise ModelError(f"Unknown model {name!r}; known: {', '.join(MODEL_NAMES)}.")
    family, defaults = MODEL_NAMES[name]
    return model_class(family)(**{**defaults, **params})
