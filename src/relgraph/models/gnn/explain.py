"""Why the ``gnn`` family predicted what it did: occlusion on the sampled subgraph.

Each explained example is sampled exactly as :meth:`GNNModel.predict` samples
it; then parts of its subgraph are taken away, one part at a time, and the
change of the output is that part's contribution (``output with it - output
without it``: positive means the part raised the prediction). The parts:

- **rows**: the neighbours of one table first reached at one hop within one
  age window at the anchor time (``last 30 days``, ``30 days to 1 year ago``,
  ``over a year ago``; static tables have no window). Taking them away removes
  their outgoing messages, so the rows reached only through them go too: the
  contribution of ``orders (1 hop, last 30 days)`` includes what those orders
  bring from their items.
- **history**: the target's own past labels, when the net gets them as seed
  features, replaced by a typical history (the training mean).
- **summary**: the flat aggregates of one join path (``entity_aggregates``:
  counts per window, recency, averages over all its rows), replaced by
  typical values (the training median).
- **node_summary**: the per-node summaries of one table's rows
  (``node_summaries``: a product's count of reviews and their average
  rating, on every sampled node that holds them), set to "no such rows".
- **columns**: one column of the entity's own row, or of every sampled row of
  a related table, replaced by a typical value (numerical: the training
  median; categorical: the most frequent value; text, lists: empty;
  timestamps: the median age among the batch's rows of that table, at each
  row's own anchor time). ``customers.age = 23 (typical 38)`` then says what
  being 23 rather than 38 did.

Sampled subgraphs of different examples are disjoint, so one forward pass per
part explains a whole batch: the cost is a few dozen forward passes per
``batch_size`` examples, no gradient, no loop over examples. Contributions are
not additive (a GNN is not linear); they rank the parts by how much the
prediction depends on them. Explanations are deterministic for a fitted model.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> from relgraph.models.gnn.model import GNNModel
    >>> db = rg.connect(make_ecommerce(scale=0.02))
    >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
    ...                           "FOR EACH customers.customer_id")
    >>> # tiny settings (one net, a few steps) so that the example runs in seconds
    >>> model = GNNModel(hidden=16, epochs=1, fanout=(4, 2), ensemble=1,
    ...                  refit_with_val=False, max_steps_per_epoch=2).fit(task)
    >>> out = model.explain(task.table("test").head(2))
    >>> list(out.columns)
    ['customer_id', 'anchor_time', 'probability', 'predicted', 'top_signal', 'contributions']
    >>> out.loc[0, "top_signal"]  # doctest: +SKIP
    'orders (1 hop, last 30 days): 3 rows, raised the probability by 0.21'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from relgraph.encode import NULL_TIME, ColumnStats, TableStats, TableTensors
from relgraph.encode.columns import EMPTY_ID
from relgraph.graph import TemporalGraph
from relgraph.models.core.base import ModelError
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType


class FittedGNN(Protocol):
    """What an explanation reads of a fitted graph model
    (:class:`relgraph.models.gnn.model.GNNModel` is one)."""

    task_: Task
    net_: torch.nn.Module
    tensors_: dict[str, TableTensors]
    graph_: TemporalGraph
    stats_: Mapping[str, TableStats]
    summaries_: Any
    device: Any

    def predict(self, examples: pd.DataFrame) -> pd.DataFrame: ...

    def seed_groups(self) -> list[Any]: ...

    def seed_batches(self, examples: pd.DataFrame) -> Iterator[tuple[np.ndarray, HeteroData]]: ...

    def raw_outputs(self, data: HeteroData) -> np.ndarray: ...


__all__ = ["WINDOWS", "explain_gnn"]

_DAY = 86_400
#: Age windows of neighbour rows at the anchor time: (label, upper bound in days).
WINDOWS: tuple[tuple[str, int | None], ...] = (
    ("last 30 days", 30),
    ("30 days to 1 year ago", 365),
    ("over a year ago", None),
)


@dataclass
class _Part:
    """One occluded part of a batch and its effect on every seed."""

    kind: str  # "rows", "column", "history", "summary" or "node_summary"
    table: str
    rows: np.ndarray  # per seed: rows of the part in that seed's subgraph
    delta: np.ndarray  # per seed: output with the part minus output without it
    hop: int | None = None
    window: str | None = None
    column: str | None = None
    values: list[str] | None = None  # per seed (entity columns): value, typical value


@torch.no_grad()
def explain_gnn(model: FittedGNN, examples: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Predictions of a fitted :class:`~relgraph.models.gnn.model.GNNModel` with the
    parts of each example's subgraph that moved them most.

    Args:
        model (GNNModel): A fitted model (or anything :class:`FittedGNN` describes).
        examples (pd.DataFrame): Entity key and ``anchor_time`` columns.
        top (int): Contributions kept per example, strongest first. (default: 3)

    Returns:
        The columns of ``model.predict(examples)`` plus ``top_signal`` (the
        strongest contribution in words) and ``contributions`` (a list per
        row of JSON-ready dicts: ``kind`` (``"rows"``, ``"column"``, or
        ``"history"``: the target's own past labels when the net gets them,
        ``"summary"``: the flat aggregates of one join path, named in ``column``,
        ``"node_summary"``: the per-node summaries of ``table``'s rows),
        ``table``, ``hop``, ``window``, ``column``, ``rows``,
        ``contribution``, ``text``). Multiclass explains the predicted class,
        multilabel the likeliest label.

    Example:
        >>> out = model.explain(task.table("test").head(3), top=2)  # doctest: +SKIP
        >>> out.loc[0, "contributions"][0]["table"]  # doctest: +SKIP
        'orders'
    """
    task = model.task_
    if task.task_type is TaskType.link_prediction:
        raise ModelError(
            "GNN explanations cover binary, regression, multiclass and multilabel tasks; a link "
            "prediction's ranked list has no single output to attribute."
        )
    # Many small forward passes: intra-op threads do not pay off there, and
    # OpenMP workers spinning for a busy core made them 50-200x slower here.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _explain(model, examples.reset_index(drop=True), top)
    finally:
        torch.set_num_threads(threads)


def _explain(model: FittedGNN, examples: pd.DataFrame, top: int) -> pd.DataFrame:
    task = model.task_
    model.net_.eval()
    predicted = model.predict(examples)
    torch.set_num_threads(1)  # predict sets the model's own count
    details: list[list[dict[str, Any]]] = [[] for _ in range(len(examples))]
    ok = np.zeros(len(examples), dtype=bool)
    # The batches and sampling seeds of prediction: the explained subgraphs
    # are the ones the predictions came from.
    for part_idx, data in model.seed_batches(examples):
        ok[part_idx] = True
        for part in _parts(model, data):
            for s in np.flatnonzero(part.rows > 0):
                i = part_idx[s]
                details[i].append(_record(part, int(s), _explained(model, predicted, i)))
    signals = []
    for i, items in enumerate(details):
        items.sort(key=lambda d: (-abs(d["contribution"]), d["text"]))
        details[i] = items[:top]
        if items:
            signals.append(items[0]["text"])
        elif not ok[i]:
            signals.append(
                f"no {task.entity_table} row at the anchor time: the training prior is used"
            )
        else:
            signals.append(f"nothing linked to this {task.entity_table} row moved the prediction")
    out = predicted.reset_index(drop=True)
    out["top_signal"] = signals
    out["contributions"] = details
    return out


# ---------------------------------------------------------------- occlusion


def _parts(model: FittedGNN, data: HeteroData) -> Iterator[_Part]:
    """Every part of the batch with its effect per seed (one forward pass each)."""
    entity = model.task_.entity_table
    n_seeds = int(data[entity].batch_size)
    full = _explained_output(model, data, None)
    # Multiclass: explain the probability of the predicted class; multilabel:
    # that of the likeliest label (as gbdt's one-vs-rest gives its reasons).
    target = full.argmax(axis=1) if full.ndim == 2 else None
    base = full if target is None else full[np.arange(len(full)), target]
    # Neighbour rows by (table, hop, age window).
    for table in data.node_types:
        store = data[table]
        if int(store.num_nodes) == 0:
            continue
        hop = _hops(store)
        seed_of = store.batch.cpu().numpy()
        window = _windows(store, model.graph_.is_static[table])
        for h in np.unique(hop):
            if h == 0:  # the seeds themselves: their columns are explained below
                continue
            for w in np.unique(window[hop == h]):
                mask = (hop == h) & (window == w)
                occluded = _without_rows(model, data, table, torch.from_numpy(mask), target)
                yield _Part(
                    kind="rows",
                    table=table,
                    hop=int(h),
                    window=None if w < 0 else WINDOWS[w][0],
                    rows=np.bincount(seed_of[mask], minlength=n_seeds),
                    delta=base - occluded,
                )
    # The seed inputs, group by group (the target's own history; the flat
    # summary of each related table): standardised or quantile-mapped, so
    # zeros read as a typical value.
    seeds = data[entity]
    if "seed_x" in seeds:
        saved = seeds.seed_x
        try:
            for group in model.seed_groups():
                masked = saved.clone()
                masked[:, group.positions] = 0.0
                seeds.seed_x = masked
                occluded = _output(model, data, target)
                yield _Part(
                    kind=group.kind,
                    table=group.table,
                    hop=group.hops,
                    column=group.path or None,
                    rows=np.ones(n_seeds, dtype=np.int64),
                    delta=base - occluded,
                )
        finally:
            seeds.seed_x = saved
    # The per-node summaries of one table's rows (node_summaries), on every
    # node that holds them, set to "no such rows".
    summaries = model.summaries_
    for source in summaries.summarised_tables() if summaries is not None else []:
        saved_summaries = {}
        for node_type, positions in summaries.positions_of(source).items():
            store = data[node_type]
            if "summary" not in store or int(store.num_nodes) == 0:
                continue
            saved_summaries[node_type] = store.summary
            masked = store.summary.clone()
            masked[:, torch.from_numpy(positions)] = 0.0
            store.summary = masked
        try:
            occluded = _output(model, data, target)
        finally:
            for node_type, summary in saved_summaries.items():
                data[node_type].summary = summary
        yield _Part(
            kind="node_summary",
            table=source,
            rows=np.ones(n_seeds, dtype=np.int64),
            delta=base - occluded,
        )
    # Columns: the seeds' own, and each related table's (all its sampled rows).
    for table in data.node_types:
        store = data[table]
        if table not in model.tensors_ or int(store.num_nodes) == 0:
            continue
        seed_of = store.batch.cpu().numpy()
        mask = np.zeros(int(store.num_nodes), dtype=bool)
        if table == entity:
            mask[:n_seeds] = True
        else:
            mask[:] = True
        counts = np.bincount(seed_of[mask], minlength=n_seeds)
        tensors = model.tensors_[table]
        stats = model.stats_[table].columns
        gathered = tensors.index_select(store.n_id)
        seed_time = store.seed_time
        for field, names in tensors.columns.items():
            for j, name in enumerate(names):
                values = getattr(gathered, field)[:, j]
                fill = _typical(values, field, stats[name], seed_time, mask)
                masked = _Masked(tensors, field, j, torch.from_numpy(mask), fill)
                occluded = _output(model, data, target, {table: masked})
                described = None
                if table == entity:
                    own = slice(0, n_seeds)
                    described = _describe(values[own], field, stats[name], fill[own])
                yield _Part(
                    kind="column",
                    table=table,
                    hop=0 if table == entity else None,
                    column=name,
                    rows=counts,
                    delta=base - occluded,
                    values=described,
                )


def _output(
    model: FittedGNN,
    data: HeteroData,
    target: np.ndarray | None,
    tensors: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """The explained output per seed (multiclass: the probability of ``target``)."""
    raw = _explained_output(model, data, tensors)
    if target is None:
        return raw
    return raw[np.arange(len(raw)), target]


def _explained_output(
    model: FittedGNN, data: HeteroData, tensors: Mapping[str, Any] | None
) -> np.ndarray:
    if tensors is None:
        return model.raw_outputs(data)
    # The net reads model.tensors_; swap in the masked tables for one pass.
    saved = model.tensors_
    model.tensors_ = {**saved, **tensors}
    try:
        return model.raw_outputs(data)
    finally:
        model.tensors_ = saved


def _without_rows(
    model: FittedGNN, data: HeteroData, table: str, mask: Tensor, target: np.ndarray | None
) -> np.ndarray:
    """The output once the masked nodes of ``table`` send no messages."""
    saved: dict[Any, Tensor] = {}
    mask = mask.to(model.device)
    for edge_type in data.edge_types:
        if edge_type[0] != table:
            continue
        edge_index = data[edge_type].edge_index
        saved[edge_type] = edge_index
        data[edge_type].edge_index = edge_index[:, ~mask[edge_index[0]]]
    try:
        return _output(model, data, target)
    finally:
        for edge_type, edge_index in saved.items():
            data[edge_type].edge_index = edge_index


class _Masked:
    """A table's tensors whose column ``field[j]`` reads ``fill`` on the masked
    nodes of a batch (duck-types ``TableTensors.index_select`` for the net)."""

    def __init__(self, base: TableTensors, field: str, j: int, mask: Tensor, fill: Tensor) -> None:
        self.base, self.field, self.j, self.mask, self.fill = base, field, j, mask, fill

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def index_select(self, index: Tensor) -> TableTensors:
        rows = self.base.index_select(index)
        if len(index) != len(self.mask):  # not the batch's nodes of this table
            return rows
        values = getattr(rows, self.field).clone()
        mask = self.mask.to(values.device)
        values[mask, self.j] = self.fill.to(values.device)[mask]
        return replace(rows, **{self.field: values})


def _typical(
    values: Tensor, field: str, stats: ColumnStats, seed_time: Tensor, mask: np.ndarray
) -> Tensor:
    """A neutral value of one column for every node of a batch (``values``:
    the nodes' own values of it, in the field's layout)."""
    n = values.shape[0]
    if field == "numerical":
        return torch.full((n,), float(stats.median), dtype=values.dtype)
    if field == "categorical":
        # Code 1 is the most frequent training value (0: unknown).
        return torch.full((n,), 1 if stats.vocab else 0, dtype=values.dtype)
    if field == "timestamp":
        # The median age among the masked nodes, at each node's own anchor:
        # a NULL would be a value the net may never have seen.
        known = torch.from_numpy(mask).to(values.device) & (values != NULL_TIME)
        age = (seed_time - values)[known]
        typical_age = int(age.median()) if age.numel() else 0
        return seed_time.to(values.dtype) - typical_age
    empty = torch.zeros(values.shape, dtype=values.dtype)
    if field in ("multicategorical", "text_tokens") and values.shape[1]:
        empty[:, 0] = EMPTY_ID  # an empty list / text, as tensorize writes it
    return empty


def _describe(values: Tensor, field: str, stats: ColumnStats, fill: Tensor) -> list[str] | None:
    """The seeds' own values of one column in words, with the typical value."""
    column = values.cpu().numpy()
    if field == "numerical":
        typical = _number(stats.median)
        return [f"{'unknown' if np.isnan(v) else _number(v)} (typical {typical})" for v in column]
    if field == "categorical":
        vocab = ("unknown", *stats.vocab)
        return [f"{vocab[int(c)]} (typical {vocab[1 if stats.vocab else 0]})" for c in column]
    if field == "timestamp":
        stamps = pd.to_datetime(np.where(column == NULL_TIME, 0, column), unit="s")
        fills = pd.to_datetime(fill.cpu().numpy(), unit="s")
        return [
            "unknown" if v == NULL_TIME else f"{s.date()} (typical {f.date()})"
            for v, s, f in zip(column, stamps, fills, strict=True)
        ]
    return None


def _hops(store: Any) -> np.ndarray:
    """The hop at which each node of a node type was first reached."""
    counts = [int(c) for c in store.num_sampled_nodes]
    return np.repeat(np.arange(len(counts)), counts)[: int(store.num_nodes)]


def _windows(store: Any, static: bool) -> np.ndarray:
    """Index into :data:`WINDOWS` of each node's age (``-1`` for a static table)."""
    n = int(store.num_nodes)
    if static:
        return np.full(n, -1, dtype=np.int64)
    bounds = np.array([d * _DAY for _, d in WINDOWS if d is not None], dtype=np.int64)
    return np.searchsorted(bounds, store.rel_time.cpu().numpy(), side="left")


# ---------------------------------------------------------------- words


def _explained(model: FittedGNN, predicted: pd.DataFrame, i: int) -> str:
    """What the contributions move, in words."""
    kind = model.task_.task_type
    if kind is TaskType.binary_classification:
        return "the probability"
    if kind is TaskType.regression:
        return "the prediction"
    if kind is TaskType.multilabel_classification:
        return f"the probability of {_likeliest(predicted, i)!r}"
    return f"the probability of {predicted.at[i, 'predicted']!r}"


def _likeliest(predicted: pd.DataFrame, i: int) -> str:
    """Row ``i``'s likeliest label (``predicted`` lists only those at 0.5 or more)."""
    columns = [c for c in predicted.columns if c.startswith("score_")]
    return str(predicted.loc[i, columns].astype(float).idxmax()).removeprefix("score_")


def _record(part: _Part, s: int, explained: str) -> dict[str, Any]:
    """One JSON-ready contribution of one seed."""
    delta = float(part.delta[s])
    rows = int(part.rows[s])
    if part.kind == "history":
        what = "own history (earlier labels of this query)"
    elif part.kind == "summary":
        what = f"summary of {part.column} (counts, recency, averages)"
    elif part.kind == "node_summary":
        what = f"{part.table} as summarised on the linked rows (counts, recency, averages)"
    elif part.kind == "rows":
        where = f"{part.hop} hop" + ("s" if part.hop != 1 else "")
        if part.window is not None:
            where += f", {part.window}"
        what = f"{part.table} ({where}): {rows} row{'s' if rows != 1 else ''}"
    elif part.values is not None and part.values[s] is not None:
        what = f"{part.table}.{part.column} = {part.values[s]}"
    elif part.hop == 0:
        what = f"{part.table}.{part.column}"
    else:
        what = f"{part.table}.{part.column} of {rows} row{'s' if rows != 1 else ''}"
    return {
        "kind": part.kind,
        "table": part.table,
        "hop": part.hop,
        "window": part.window,
        "column": part.column,
        "rows": rows,
        "contribution": delta,
        "text": f"{what}, {_effect(delta, explained)}",
    }


def _effect(delta: float, explained: str) -> str:
    if delta == 0:
        return f"did not change {explained}"
    return f"{'raised' if delta > 0 else 'lowered'} {explained} by {_number(abs(delta))}"


def _number(value: float) -> str:
    value = float(value)
    if value != 0 and abs(value) < 0.001:
        return f"{value:.1e}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
