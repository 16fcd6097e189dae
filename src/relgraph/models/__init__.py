"""Model families behind one interface (``fit``, ``predict``, ``explain``, ``save``)."""

from relgraph.models.core.base import Model, ModelError
from relgraph.models.registry import load, make_model
from relgraph.models.training import train

__all__ = ["Model", "ModelError", "load", "make_model", "train"]
