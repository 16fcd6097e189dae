"""Automatic relational features (the input of the gbdt and icl models)."""

from relgraph.features.label_history import label_history_features, past_anchors
from relgraph.features.paths import join_paths
from relgraph.features.relational import FeatureConfig, FeaturePlan

__all__ = [
    "FeatureConfig",
    "FeaturePlan",
    "join_paths",
    "label_history_features",
    "past_anchors",
]
