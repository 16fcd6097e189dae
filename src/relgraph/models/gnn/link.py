"""Link prediction for the ``gnn`` family (``LIST_DISTINCT(t.fk, ...) RANK TOP k``).

Two towers meet in a dot product: the GNN's embedding of the entity at its
anchor time (after message passing over its temporal subgraph) and a learned
embedding of every candidate (each row of the table the foreign key points
to). Each candidate also has a learned bias; two inputs known at the anchor
add learned multiples of ``log(1 + times the candidate was among the entity's
targets in its last windows)`` (the signal the history baseline ranks by) and
of the candidate's recent popularity (its share among all entities' targets
in the last windows: new candidates, which have no trained embedding yet,
rank by it), so the towers learn what history does not say.
The loss is a softmax over all candidates, averaged over the true targets.

Example:
    >>> scorer = LinkScorer(num_items=5, hidden=8)
    >>> entity = torch.zeros(2, 8)
    >>> scorer(entity, torch.zeros(2, 10)).shape  # past counts, then popularity
    torch.Size([2, 5])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import torch
from torch import Tensor, nn

from relgraph.graph.csr import match_keys
from relgraph.models.core.history import past_labels
from relgraph.pql.duration import calendar_step
from relgraph.pql.task import Task

__all__ = ["LinkScorer", "candidate_keys", "history_counts", "label_rows", "softmax_loss"]


class LinkScorer(nn.Module):
    """Scores of every candidate for a batch of entity embeddings."""

    def __init__(self, num_items: int, hidden: int) -> None:
        super().__init__()
        self.items = nn.Embedding(num_items, hidden)
        nn.init.normal_(self.items.weight, std=0.1)
        self.bias = nn.Parameter(torch.zeros(num_items))
        self.history_weight = nn.Parameter(torch.tensor(1.0))
        self.popularity_weight = nn.Parameter(torch.tensor(1.0))

    def forward(self, entity: Tensor, history: Tensor) -> Tensor:
        """``(batch, num_items)`` scores. ``history`` is ``(batch, 2 * num_items)``:
        the entity's past counts per candidate, then the candidates' recent popularity."""
        own, popularity = history.chunk(2, dim=1)
        return (
            entity @ self.items.weight.T
            + self.bias
            + self.history_weight * torch.log1p(own)
            + self.popularity_weight * torch.log1p(100.0 * popularity)
        )


def softmax_loss(scores: Tensor, targets: Tensor) -> Tensor:
    """Mean negative log-softmax of the true candidates (multi-hot ``targets``)."""
    log_p = torch.log_softmax(scores, dim=1)
    per_example = -(log_p * targets).sum(dim=1) / targets.sum(dim=1).clamp(min=1)
    return per_example.mean()


def candidate_keys(task: Task) -> pa.Array:
    """Keys of the candidates: every row of the table the ranked foreign key references."""
    link = task.target_link
    column = task.db.arrow(link.dst_table, [link.dst_column])[link.dst_column]
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def label_rows(keys: pa.Array, labels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Label lists as ``(example, candidate row)`` pairs (unknown keys dropped)."""
    lengths = np.fromiter((len(items) for items in labels), dtype=np.int64, count=len(labels))
    flat = [item for items in labels for item in items]
    example = np.repeat(np.arange(len(labels)), lengths)
    if not flat:
        return example, np.zeros(0, dtype=np.int64)
    rows = match_keys(keys, pa.array(flat).cast(keys.type), where="link target")
    known = rows >= 0
    return example[known], rows[known]


def multi_hot(example: np.ndarray, rows: np.ndarray, n: int, num_items: int) -> Tensor:
    out = torch.zeros((n, num_items))
    out[torch.from_numpy(example), torch.from_numpy(rows)] = 1.0
    return out


def history_counts(
    task: Task, keys: pa.Array, examples: pd.DataFrame, cutoff: pd.Timestamp | None
) -> np.ndarray:
    """``(len(examples), 2 * num_items)``: how often each candidate was among the
    entity's targets in its last windows known at the anchor (and by ``cutoff``),
    then each candidate's share among all entities' targets in the
    :data:`POPULARITY_WINDOWS` latest windows known then."""
    examples = examples.reset_index(drop=True)
    counts = np.zeros((len(examples), len(keys)), dtype=np.float32)
    past = past_labels(task, examples, cutoff)
    if len(past):
        example, rows = label_rows(keys, list(past["label"]))
        np.add.at(counts, (past["row"].to_numpy(dtype=np.int64)[example], rows), 1.0)
    return np.concatenate([counts, recent_popularity(task, keys, examples, cutoff)], axis=1)


#: Windows of all entities' targets that make a candidate's recent popularity.
POPULARITY_WINDOWS = 2


def recent_popularity(
    task: Task, keys: pa.Array, examples: pd.DataFrame, cutoff: pd.Timestamp | None
) -> np.ndarray:
    """Per example, each candidate's share among the targets of every entity
    labelled at the latest anchors whose windows ended by the example's anchor."""
    step = pd.Timedelta(seconds=task.horizon.seconds)
    anchor_times = pd.to_datetime(examples["anchor_time"])
    windows: dict[pd.Timestamp, list[pd.Timestamp]] = {}
    for anchor in anchor_times.unique():
        anchor = pd.Timestamp(anchor)
        known = anchor if cutoff is None else min(anchor, pd.Timestamp(cutoff))
        # the latest past anchors on the example's own grid whose windows have ended
        lag = max(1, int(np.ceil((anchor - known) / step)) + 1)
        past = [anchor - (lag + k) * calendar_step(step) for k in range(POPULARITY_WINDOWS)]
        windows[anchor] = [a for a in past if a >= task.earliest]
    out = np.zeros((len(examples), len(keys)), dtype=np.float32)
    needed = sorted({a for past in windows.values() for a in past})
    if not needed:
        return out
    labels = task.table_at(needed)  # one SQL pass for the windows of every example
    label_anchor = pd.DatetimeIndex(labels["anchor_time"]).as_unit("ns").to_numpy()
    example, rows = label_rows(keys, list(labels["label"]))
    pair_anchor = label_anchor[example]
    for anchor, past in windows.items():
        past_anchors = pd.DatetimeIndex(past).as_unit("ns").to_numpy()
        count = int(np.isin(label_anchor, past_anchors).sum())
        if count == 0:
            continue
        chosen = rows[np.isin(pair_anchor, past_anchors)]
        share = np.bincount(chosen, minlength=len(keys)) / count
        out[(anchor_times == anchor).to_numpy()] = share
    return out
