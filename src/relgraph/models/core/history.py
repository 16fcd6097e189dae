"""The entity's own past labels for a task: the shared input of the history
baseline and (as features) of the gbdt model."""

from __future__ import annotations

import pandas as pd

from relgraph.features import past_anchors
from relgraph.pql.task import Task

#: Past horizons whose labels count as the entity's history.
LOOKBACK = 12


def past_labels(
    task: Task, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
) -> pd.DataFrame:
    """For each example row (by position), its entity's labels at the last
    ``LOOKBACK`` anchors whose windows ended by the example's anchor (and by
    ``cutoff``). Columns: ``row``, ``anchor_time``, ``label``."""
    if task.horizon is None or examples.empty:
        return pd.DataFrame({"row": [], "anchor_time": [], "label": []})
    step = pd.Timedelta(seconds=task.horizon.seconds)
    anchors = past_anchors(examples["anchor_time"], step, LOOKBACK, earliest=task.earliest)
    if not anchors:
        return pd.DataFrame({"row": [], "anchor_time": [], "label": []})
    history = task.table_at(anchors)
    key = task.entity_key
    ex = pd.DataFrame(
        {
            "row": range(len(examples)),
            key: examples[key].to_numpy(),
            "t": pd.to_datetime(examples["anchor_time"]).to_numpy(),
        }
    )
    joined = ex.merge(history, on=key)
    known = joined["anchor_time"] + step <= joined["t"]
    recent = joined["anchor_time"] >= joined["t"] - LOOKBACK * step
    if cutoff is not None:
        known &= joined["anchor_time"] + step <= pd.Timestamp(cutoff)
    return joined.loc[known & recent, ["row", "anchor_time", "label"]].reset_index(drop=True)
