"""The in-context family (docs/models.md): predictions with no training step,
from a context of labelled past examples, by a pre-trained transformer
(``fast``) or a per-query LightGBM fit; with its pretraining prior and script."""

from relgraph.models.icl.model import IclModel

__all__ = ["IclModel"]
