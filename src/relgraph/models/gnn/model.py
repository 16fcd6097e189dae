"""A temporal heterogeneous GNN (docs/models.md, ``gnn``).

Each example ``(entity, anchor time)`` becomes a subgraph sampled by
:class:`~relgraph.graph.TemporalSampler` (only rows visible at the anchor);
every node is encoded from its table's columns (:class:`~relgraph.encode.TableEncoder`,
statistics fitted on rows up to ``val_time``) plus its age at the anchor
(:class:`~relgraph.encode.RelativeTimeEncoder`); ``layers`` of GraphSAGE per
edge type pass messages toward the entity, and a head on the entity node
predicts. Early stopping on the validation metric keeps the best weights.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02))
    >>> task = rg.Task.from_query(db, "PREDICT SUM(orders.amount, 0, 30, days) "
    ...                           "FOR EACH customers.customer_id")
    >>> # tiny settings (one net, a few steps) so that the example runs in seconds
    >>> model = GNNModel(hidden=16, epochs=1, fanout=(4, 2), ensemble=1,
    ...                  refit_with_val=False, max_steps_per_epoch=2).fit(task)
    >>> list(model.predict(task.table("test").head(2)).columns)
    ['customer_id', 'anchor_time', 'prediction']
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import torch
from rich.progress import Progress
from torch import Tensor
from torch_geometric.data import HeteroData

from relgraph.encode import TableStats, TableTensors, encode_database, tensorize
from relgraph.features import FeatureConfig, FeaturePlan
from relgraph.graph import TemporalGraph, TemporalSampler
from relgraph.graph.csr import match_keys
from relgraph.graph.timeutil import to_epoch_seconds
from relgraph.models.core.base import Model, ModelError
from relgraph.models.core.history import target_history
from relgraph.models.core.inputs import TaskInputs, uses_target_history
from relgraph.models.core.outputs import format_predictions
from relgraph.models.core.targets import classes_of, label_matrix, label_set
from relgraph.models.gnn.distributed import is_main
from relgraph.models.gnn.link import (
    LinkScorer,
    candidate_keys,
    history_counts,
    label_rows,
)
from relgraph.models.gnn.net import GNNNet
from relgraph.models.gnn.node_summaries import NodeSummaries
from relgraph.models.gnn.objectives import Objective
from relgraph.models.gnn.seed_features import SeedFeatureStore, SeedScaler
from relgraph.models.gnn.trainer import Seeds, Trainer, TrainingSettings, progress_bar
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

_THREADS = 2
#: Seed offset between ensemble members (seeds 0..4 of a benchmark never share a member).
_MEMBER_SEED_STEP = 7919
#: Examples per forward pass when predicting (no effect on the results).
PREDICT_BATCH = 512


class GNNModel(Model):
    """Temporal graph neural network on the database's graph of rows and links.

    Args:
        hidden (int): Width of node embeddings. (default: 64)
        layers (int): Message-passing layers. (default: 2)
        fanout (Sequence[int]): Neighbors sampled per node at each hop; its
            length is the sampling depth. (default: ``(16, 8)``)
        strategy (str): ``"last"`` (most recent neighbors) or ``"uniform"``.
            (default: ``"last"``)
        epochs (int): Most passes over the training examples. (default: 10)
        batch_size (int | None): Examples per step; ``None`` picks one from the
            training set's size (a sixteenth of it, within 64..512): small
            training sets need more, smaller steps per epoch. (default: None)
        lr (float): Adam learning rate. (default: 0.005)
        patience (int): Stop after this many epochs without a better
            validation score. (default: 3)
        max_steps_per_epoch (int | None): Cap on steps per epoch (a random
            subset of the training examples each epoch). (default: None)
        seed (int): Seed of weights, shuffling and sampling. (default: 0)
        device (str): Torch device. (default: ``"cpu"``)
        verbose (bool): Show a progress bar on stderr (steps of the epoch, loss)
            and keep one line per epoch (loss, validation score, seconds).
            (default: False)
        aggr (str | list[str]): Neighbor aggregation of each GraphSAGE
            convolution; ``"sum"`` or ``["mean", "sum"]`` let the model count
            neighbors. (default: ``"sum"``)
        refit_with_val (bool): After early stopping, train a fresh net on the
            training and validation examples for the chosen number of epochs.
            (default: True)
        label_history (bool): Give the entity node the target's own known
            history (past labels of the same query, see
            :mod:`relgraph.models.gnn.seed_features`); binary and regression
            tasks with a time window. (default: True)
        dropout (float): Dropout after every message-passing layer and in
            the head. (default: 0.1)
        weight_decay (float): Adam's L2 penalty on the weights. (default: 0.0)
        id_embeddings (int): Static tables (other than the entity table) of at
            most this many rows get a learned vector per row, so the net can
            learn what one row means from the labels (customers who bought a
            defective product churn) where no column says it; 0 turns it off.
            (default: 0)
        schedule (str | None): Learning rate over the steps of ``epochs``
            epochs: ``"cosine"`` decays it to zero along a half cosine;
            ``None`` keeps it constant. The refit follows the same curve.
            (default: ``"cosine"``)
        ensemble (int): Nets trained from different seeds, each with its own
            early stopping; their head outputs are averaged. Averaging evens
            out the seed-to-seed spread of a single net (gbdt likewise
            averages boosters), at ``ensemble`` times the training time.
            (default: 3)
        entity_aggregates (int): Also give the entity node flat aggregates of
            its related rows up to this many hops (counts per window, days
            since the last row, means and sums: the gbdt model's features of
            :mod:`relgraph.features`), as seed inputs beside the target's
            history; 0 turns them off. Message passing over a few dozen
            sampled neighbours finds recency and windowed counts less surely
            than an exact aggregate over all of them. Binary, regression,
            multiclass and multilabel tasks (not link prediction). (default: 1)
        node_summaries (int): Give every sampled node, not only the seed,
            summaries of the rows that reference it as of its seed's anchor
            (how many, days since the latest, means of their numbers, shares
            of their categories: a product's average rating so far), see
            :mod:`relgraph.models.gnn.node_summaries`. ``1``: those rows; ``2``:
            also the summaries of the rows the node references (an order
            item gets its product's average rating, one hop nearer the
            seed); ``0`` turns them off. (default: 0)
    """

    family = "gnn"
    supported = (
        TaskType.binary_classification,
        TaskType.regression,
        TaskType.multiclass_classification,
        TaskType.link_prediction,
        TaskType.multilabel_classification,
    )

    def __init__(
        self,
        hidden: int = 64,
        layers: int = 2,
        fanout: tuple[int, ...] | list[int] = (16, 8),
        strategy: str = "last",
        epochs: int = 10,
        batch_size: int | None = None,
        lr: float = 0.005,
        patience: int = 3,
        max_steps_per_epoch: int | None = None,
        seed: int = 0,
        device: str = "cpu",
        verbose: bool = False,
        aggr: str | list[str] = "sum",
        refit_with_val: bool = True,
        label_history: bool = True,
        dropout: float = 0.1,
        weight_decay: float = 0.0,
        id_embeddings: int = 0,
        schedule: str | None = "cosine",
        ensemble: int = 3,
        entity_aggregates: int = 1,
        node_summaries: int = 0,
    ) -> None:
        self.hidden = hidden
        self.layers = layers
        self.fanout = list(fanout)
        self.strategy = strategy
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.max_steps_per_epoch = max_steps_per_epoch
        self.seed = seed
        self.device = device
        self.verbose = verbose
        self.aggr = aggr
        self.refit_with_val = refit_with_val
        self.label_history = label_history
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.id_embeddings = id_embeddings
        self.schedule = schedule
        self.ensemble = ensemble
        self.entity_aggregates = entity_aggregates
        self.node_summaries = node_summaries

    # ------------------------------------------------------------ setup
    def _build(
        self, task: Task, stats: dict[str, TableStats], tensors: dict[str, TableTensors]
    ) -> None:
        """Graph, sampler and net from fitted statistics (shared by fit and load)."""
        self.graph_ = TemporalGraph.from_database(task.db)
        self.sampler_ = TemporalSampler(
            self.graph_, list(self.fanout), strategy=self.strategy, random_seed=self.seed
        )
        self.stats_ = stats
        self.tensors_ = {t: v.to(self.device) for t, v in tensors.items()}
        self.summaries_ = (
            NodeSummaries(self.graph_, stats, tensors, parents=self.node_summaries_ > 1)
            if self.node_summaries_
            else None
        )
        self._seed_stores: dict[tuple[str, str], SeedFeatureStore] = {}
        self.members_: list[GNNNet] = []
        self._net_seed = self.seed
        self._build_net()

    def _build_net(self) -> None:
        """A freshly initialised net (seeded by the member being trained)."""
        torch.manual_seed(self._net_seed)
        stats = self.stats_
        self.net_ = GNNNet(
            {t: stats[t] for t in self.graph_.node_types},
            self.graph_.is_static,
            self.sampler_.edge_types,
            self.hidden,
            self.layers,
            self._out_dim(),
            aggr=self.aggr,
            seed_dim=self.seed_scaler_.width if self.seed_scaler_ else 0,
            dropout=self.dropout,
            id_embeddings=self.id_rows_,
            summary_dims=self.summaries_.widths if self.summaries_ else None,
        )
        if self.items_ is not None:  # a submodule: trained, saved and loaded with the net
            self.net_.link = LinkScorer(len(self.items_), self.hidden)
        if self.task_.task_type is TaskType.multilabel_classification:
            # Most labels are rare: each output starts at its label's training
            # rate, so that training learns who has the label, not first how rare it is.
            rates = np.clip(np.asarray(self.prior_, dtype=np.float32), 1e-4, 1 - 1e-4)
            with torch.no_grad():
                self.net_.head[-1].bias.copy_(torch.from_numpy(np.log(rates / (1 - rates))))
        self.net_.to(self.device)

    def _out_dim(self) -> int:
        width = self.objective_.width
        return self.hidden if width is None else width  # link prediction: the entity tower

    def new_net(self) -> None:
        """Replace ``net_`` by a freshly initialised net, seeded by the member
        being trained (the trainer's refit starts from one)."""
        self._build_net()

    def seed_outputs(self, rows: np.ndarray, anchors: np.ndarray, random_seed: Any) -> Tensor:
        """Head outputs of the seeds' subgraphs, sampled with ``random_seed``
        (with gradients: the trainer's forward pass)."""
        return self._outputs(rows, anchors, random_seed)

    def seed_predictions(self, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Raw predictions of the seeds (the trainer's validation pass)."""
        return self._raw(rows, anchors)

    def _seeds(
        self, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entity rows, anchor seconds, and which examples can be sampled
        (the entity exists and its row is visible at the anchor, and by ``cutoff``)."""
        task = self.task_
        values = pa.array(examples[task.entity_key].to_numpy())
        rows = match_keys(
            self._entity_column(), values, where=f"{task.entity_table}.{task.entity_key}"
        )
        anchors = to_epoch_seconds(pd.to_datetime(examples["anchor_time"])).seconds
        anchors = np.asarray(anchors, dtype=np.int64)
        ok = rows >= 0
        if not self.graph_.is_static[task.entity_table]:
            node_time = self.graph_.node_time[task.entity_table]
            ok &= node_time[np.where(ok, rows, 0)] <= _visible(anchors, cutoff)
        return rows, anchors, ok

    def _batch(
        self,
        rows: np.ndarray,
        anchors: np.ndarray,
        random_seed: Any = None,
        cutoff: pd.Timestamp | None = None,
    ) -> HeteroData:
        """The sampled subgraphs of seeds ``rows`` at ``anchors`` as ``HeteroData``.

        With ``cutoff`` (the ``relbench`` protocol: the database ends there),
        rows after the cutoff are not sampled, while ages stay relative to each
        example's own anchor time."""
        visible = _visible(anchors, cutoff)
        batch = self.sampler_.sample(
            self.task_.entity_table, rows, visible, random_seed=random_seed
        )
        data = batch.to_hetero_data()
        if self.summaries_ is not None:
            for node_type in self.summaries_.widths:
                owner = batch.batch[node_type]
                summary = self.summaries_.compute(
                    node_type, batch.node[node_type], visible[owner], anchors[owner]
                )
                data[node_type].summary = torch.from_numpy(summary)
        if self.seed_scaler_ is not None:
            seed_x = self._seed_features(rows, anchors, cutoff)
            data[self.task_.entity_table].seed_x = torch.from_numpy(seed_x)
        if self.items_ is not None:
            counts = self._per_example("link", rows, anchors, cutoff, self._link_history)
            data[self.task_.entity_table].link_history = torch.from_numpy(counts)
        if cutoff is not None:
            shift = torch.from_numpy(anchors - visible)
            for node_type in data.node_types:
                store = data[node_type]
                gap = shift[store.batch]
                store.seed_time = store.seed_time + gap
                if not self.graph_.is_static[node_type]:
                    store.rel_time = store.rel_time + gap
        return data.to(self.device)

    def _uses_history(self, task: Task) -> bool:
        return self.label_history and uses_target_history(task)

    def _seed_frame(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        """The seeds' inputs before scaling: the target's history, then the
        entity's flat aggregates (each leakage-free at the example's anchor)."""
        return pd.concat(self._seed_parts(examples, cutoff), axis=1)

    def _seed_parts(
        self, examples: pd.DataFrame, cutoff: pd.Timestamp | None
    ) -> list[pd.DataFrame]:
        parts = []
        if self.seed_history_:
            parts.append(target_history(self.task_, examples, cutoff))
        if self.seed_plan_ is not None:
            feats = self.seed_plan_.transform(self.task_.db, examples, cutoff)
            parts.append(feats.select_dtypes("number").astype(float))
        return parts

    def seed_groups(self) -> list[SeedGroup]:
        """The parts of the seed inputs (positions in ``seed_x``): the target's
        history, the entity's own columns, then one per join path of the
        aggregates (an explanation occludes them one at a time)."""
        scaler = self.seed_scaler_
        if scaler is None:
            return []
        n = len(scaler.columns)
        entity = self.task_.entity_table
        paths = [] if self.seed_plan_ is None else [p.path for p in self.seed_plan_.paths]
        groups: dict[tuple[str, str], SeedGroup] = {}
        aggregates = set(scaler.knots)
        for j, column in enumerate(scaler.columns):
            if column not in aggregates:
                key = ("history", "")
                group = SeedGroup("history", entity, "", 0)
            else:
                path = max(
                    (p for p in paths if column.startswith(f"{p.name}.")),
                    key=lambda p: len(p.name),
                    default=None,
                )
                if path is None:  # the entity's own columns
                    key, group = ("summary", entity), SeedGroup("summary", entity, entity, 0)
                else:
                    key = ("summary", path.name)
                    group = SeedGroup("summary", path.end, path.name, len(path))
            groups.setdefault(key, group).positions.extend([j, j + n])
        return list(groups.values())

    def _seed_features(
        self, rows: np.ndarray, anchors: np.ndarray, cutoff: pd.Timestamp | None
    ) -> np.ndarray:
        """Scaled seed inputs of each seed (see :meth:`_seed_frame`)."""
        return self._per_example(
            "seed",
            rows,
            anchors,
            cutoff,
            lambda ex, cut: self.seed_scaler_.transform(self._seed_frame(ex, cut)),
        )

    def _prepare(self, rows: np.ndarray, anchors: np.ndarray, cutoff: pd.Timestamp | None) -> None:
        """Compute the seeds' history inputs in one SQL pass (not one per batch)."""
        if self.seed_scaler_ is not None:
            self._seed_features(rows, anchors, cutoff)
        if self.items_ is not None:
            self._per_example("link", rows, anchors, cutoff, self._link_history)

    def _link_history(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> np.ndarray:
        return history_counts(self.task_, self.items_, examples, cutoff)

    def _per_example(
        self,
        name: str,
        rows: np.ndarray,
        anchors: np.ndarray,
        cutoff: pd.Timestamp | None,
        compute: Callable[[pd.DataFrame, pd.Timestamp | None], np.ndarray],
    ) -> np.ndarray:
        """Inputs of the seeds that come from SQL over past labels, computed
        once per (entity, anchor) and then gathered for every batch."""
        store = self._seed_stores.get((name, str(cutoff)))
        todo = np.ones(len(rows), dtype=bool) if store is None else store.missing(rows, anchors)
        if todo.any():
            pairs = np.unique(np.stack([rows[todo], anchors[todo]]), axis=1)
            examples = pd.DataFrame(
                {
                    self.task_.entity_key: self._entity_keys()[pairs[0]],
                    "anchor_time": pd.to_datetime(pairs[1], unit="s"),
                }
            )
            store = self._remember(name, cutoff, pairs[0], pairs[1], compute(examples, cutoff))
        return store.get(rows, anchors)

    def _remember(
        self,
        name: str,
        cutoff: pd.Timestamp | None,
        rows: np.ndarray,
        anchors: np.ndarray,
        values: np.ndarray,
    ) -> SeedFeatureStore:
        """Store per-example inputs already computed (see :meth:`_per_example`)."""
        key = (name, str(cutoff))
        if key not in self._seed_stores:
            self._seed_stores[key] = SeedFeatureStore(values.shape[1])
        self._seed_stores[key].add(rows, anchors, values)
        return self._seed_stores[key]

    def _entity_column(self) -> pa.ChunkedArray:
        """The entity table's keys by row (read once)."""
        if not hasattr(self, "_keys"):
            task = self.task_
            self._keys = task.db.arrow(task.entity_table, [task.entity_key])[task.entity_key]
        return self._keys

    def _entity_keys(self) -> np.ndarray:
        return self._entity_column().to_numpy()

    def _forward(self, data: HeteroData) -> Tensor:
        """Head outputs (logits, scaled values, class logits, or candidate scores)
        of a batch's seeds: the mean over the ensemble once fitted, the net
        being trained while fitting."""
        nets = self.members_ or [self.net_]
        outs = [self._net_forward(net, data) for net in nets]
        return outs[0] if len(outs) == 1 else torch.stack(outs).mean(dim=0)

    def _net_forward(self, net: GNNNet, data: HeteroData) -> Tensor:
        out = net(data, self.tensors_, self.task_.entity_table)
        if self.items_ is not None:
            out = net.link(out, data[self.task_.entity_table].link_history)
        return out

    def _outputs(
        self,
        rows: np.ndarray,
        anchors: np.ndarray,
        random_seed: Any = None,
        cutoff: pd.Timestamp | None = None,
    ) -> Tensor:
        return self._forward(self._batch(rows, anchors, random_seed, cutoff))

    def seed_batches(
        self, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None
    ) -> Iterator[tuple[np.ndarray, HeteroData]]:
        """The sampled subgraphs of the examples whose entity exists at their
        anchor, in the batches and with the sampling seeds of prediction (so an
        explanation sees the subgraph its prediction came from), each with the
        positions of its examples."""
        yield from self._batches(*self._seeds(examples, cutoff), cutoff)

    def _batches(
        self, rows: np.ndarray, anchors: np.ndarray, ok: np.ndarray, cutoff: pd.Timestamp | None
    ) -> Iterator[tuple[np.ndarray, HeteroData]]:
        idx = np.flatnonzero(ok)
        for lo in range(0, len(idx), PREDICT_BATCH):
            part = idx[lo : lo + PREDICT_BATCH]
            yield part, self._batch(rows[part], anchors[part], (self.seed, 2**31, lo), cutoff)

    def raw_outputs(self, data: HeteroData) -> np.ndarray:
        """One batch's outputs as probabilities (binary), values (regression),
        class probabilities (multiclass), label probabilities (multilabel) or
        candidate scores (link prediction)."""
        return self.objective_.to_raw(self._forward(data))

    # ------------------------------------------------------------ fit
    def _fit(self, task: Task) -> None:
        # Bad settings fail before the database is encoded, not after.
        _check_integer("ensemble", self.ensemble, lambda n: n >= 1, "an integer >= 1")
        _check_integer(
            "entity_aggregates",
            self.entity_aggregates,
            lambda n: n >= 0,
            "an integer >= 0 (hops; 0 turns them off)",
        )
        _check_integer(
            "node_summaries",
            self.node_summaries,
            lambda n: n in (0, 1, 2),
            "0 (off), 1 (the rows referencing each node) or 2 (also those of the rows it "
            "references)",
        )
        if self.schedule not in ("cosine", None):
            raise ModelError(f"GNNModel.schedule must be 'cosine' or None (got {self.schedule!r}).")
        torch.set_num_threads(_THREADS)
        train, val = task.table("train"), task.table("val")
        if train.empty:
            raise ModelError("The training split has no labelled examples.")
        kind = task.task_type
        labels = train["label"]
        self.classes_ = None
        self.items_ = None
        self.label_stats_: dict[str, float] = {}
        if kind is TaskType.link_prediction:
            self.items_ = candidate_keys(task)
            example, item_rows = label_rows(self.items_, list(labels))
            popularity = np.bincount(item_rows, minlength=len(self.items_)).astype(float)
            self.prior_ = (popularity / max(popularity.sum(), 1.0)).tolist()
        elif kind is TaskType.multiclass_classification:
            self.classes_ = classes_of(labels)
            counts = labels.astype(str).value_counts(normalize=True)
            self.prior_ = [float(counts.get(c, 0.0)) for c in self.classes_]
        elif kind is TaskType.multilabel_classification:
            # The fixed label set every multilabel family predicts (from training labels only).
            self.classes_ = label_set(labels)
            if not self.classes_:
                raise ModelError(
                    "No key occurs in the training labels: there is no label to learn."
                )
            self.prior_ = label_matrix(labels, self.classes_).mean(axis=0).tolist()
        else:
            y = labels.to_numpy(dtype=float)
            std = float(np.std(y)) or 1.0
            self.label_stats_ = {
                "mean": float(np.mean(y)),
                "std": std,
                "min": float(np.min(y)),
                "max": float(np.max(y)),
                "median": float(np.median(y)),
            }
            self.prior_ = [
                float(np.mean(y) if kind is TaskType.binary_classification else np.median(y))
            ]

        self.objective_ = self._objective()
        encoded = encode_database(task.db, until=task.val_time)
        stats = {
            t: encoded[t][0] if t in encoded else TableStats(table=t, columns={})
            for t in task.db.schema.tables
        }
        tensors = {t: v[1] for t, v in encoded.items()}
        self.id_rows_ = {
            name: int(t.num_rows)
            for name, t in task.db.schema.tables.items()
            if name != task.entity_table
            and t.time_column is None
            and 0 < t.num_rows <= self.id_embeddings
        }
        self.seed_history_ = self._uses_history(task)
        self.node_summaries_ = int(self.node_summaries)
        self.seed_plan_ = None
        # Not for link prediction: on rel-f1's link task they lowered MAP@10
        # under the rolling protocol (0.767 -> 0.753, 5 seeds).
        if self.entity_aggregates and kind is not TaskType.link_prediction:
            config = FeatureConfig(max_hops=self.entity_aggregates)
            self.seed_plan_ = TaskInputs.fit(task, config).plan
        self.seed_scaler_ = None
        train_seed_frame = None
        if self.seed_history_ or self.seed_plan_ is not None:
            parts = self._seed_parts(train, None)
            aggregates = parts[-1].columns if self.seed_plan_ is not None else []
            train_seed_frame = pd.concat(parts, axis=1)
            self.seed_scaler_ = SeedScaler.fit(train_seed_frame, aggregates)
        self._build(task, stats, tensors)

        rows, anchors, ok = self._seeds(train)
        rows, anchors = rows[ok], anchors[ok]
        if train_seed_frame is not None:  # computed for the scaler: not a second time
            scaled = self.seed_scaler_.transform(train_seed_frame[ok])
            self._remember("seed", None, rows, anchors, scaled)
        self.batch_size_ = self.batch_size or int(np.clip(len(rows) // 16, 64, 512))
        self._prepare(rows, anchors, None)
        train_seeds = Seeds(rows, anchors, target=self.objective_.targets(train["label"][ok]))
        if len(rows) == 0:
            raise ModelError("No training example's entity row exists at its anchor time.")
        val_seeds = None
        if not val.empty:
            v_rows, v_anchors, val_ok = self._seeds(val)
            if val_ok.any():
                v_rows, v_anchors = v_rows[val_ok], v_anchors[val_ok]
                self._prepare(v_rows, v_anchors, None)
                labels = val["label"][val_ok].reset_index(drop=True)
                val_seeds = Seeds(v_rows, v_anchors, labels=labels)

        bar = progress_bar(self.verbose and is_main())
        trainer = Trainer(
            self._settings(), self.objective_, self.batch_size_, bar, self._logger(bar)
        )
        self.best_epochs_: list[int] = []
        members = []
        with bar:
            for member in range(self.ensemble):
                # Member 0 keeps the model's own seed: ensemble=1 is the single net.
                self._net_seed = self.seed + _MEMBER_SEED_STEP * member
                if member:
                    self._build_net()
                best = trainer.train(self, train_seeds, val_seeds, self._net_seed, member)
                self.best_epochs_.append(best)
                members.append(self.net_.eval())
        self.history_: list[dict[str, float]] = trainer.history
        self.members_ = members
        self.net_ = members[0]
        self.best_epoch_ = self.best_epochs_[0]

    def _objective(self) -> Objective:
        task = self.task_
        return Objective(
            task.task_type, self.label_stats_, self.classes_, self.items_, task.k or 10
        )

    def _settings(self) -> TrainingSettings:
        return TrainingSettings(
            epochs=self.epochs,
            lr=self.lr,
            weight_decay=self.weight_decay,
            schedule=self.schedule,
            patience=self.patience,
            max_steps_per_epoch=self.max_steps_per_epoch,
            refit_with_val=self.refit_with_val,
        )

    def _logger(self, bar: Progress) -> Callable[[str, dict[str, float]], None]:
        """One line per epoch on the progress display's console (when verbose)."""

        def log(what: str, record: dict[str, float]) -> None:
            if not self.verbose or not is_main():
                return
            net = f"net {int(record['member']) + 1}/{self.ensemble} " if self.ensemble > 1 else ""
            bar.console.print(
                f"gnn {net}{what}: loss {record['loss']:.4f}"
                + (f", val {record['val']:.4f}" if "val" in record else "")
                + f", {record['seconds']:.1f}s",
                highlight=False,
            )

        return log

    # ------------------------------------------------------------ predict
    @torch.no_grad()
    def _raw(
        self, rows: np.ndarray, anchors: np.ndarray, cutoff: pd.Timestamp | None = None
    ) -> np.ndarray:
        """Raw outputs of the seeds (:meth:`Objective.to_raw`), in batches."""
        self.net_.eval()
        parts = []
        for lo in range(0, len(rows), PREDICT_BATCH):
            hi = lo + PREDICT_BATCH
            parts.append(
                self._outputs(rows[lo:hi], anchors[lo:hi], (self.seed, 2**31, lo), cutoff).cpu()
            )
        out = torch.cat(parts) if parts else torch.zeros((0, self._out_dim()))
        return self.objective_.to_raw(out)

    @torch.no_grad()
    def embed(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None = None) -> np.ndarray:
        """The entity embedding (the input of the head) of every example,
        ``(len(examples), hidden)``; zeros where the entity does not exist yet.
        With an ensemble, the first net's (embeddings of separately trained
        nets do not share axes, so they are not averaged).

        Example:
            >>> model.embed(task.table("test").head(3)).shape  # doctest: +SKIP
            (3, 64)
        """
        self._check_fitted()
        torch.set_num_threads(_THREADS)
        self.net_.eval()
        examples = examples.reset_index(drop=True)
        rows, anchors, ok = self._seeds(examples, cutoff)
        out = np.zeros((len(examples), self.hidden), dtype=np.float32)
        self._prepare(rows[ok], anchors[ok], cutoff)
        for part, data in self._batches(rows, anchors, ok, cutoff):
            out[part] = (
                self.net_.seed_embedding(data, self.tensors_, self.task_.entity_table).cpu().numpy()
            )
        return out

    def _predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        torch.set_num_threads(_THREADS)
        rows, anchors, ok = self._seeds(examples, cutoff)
        kind = self.task_.task_type
        width = len(self.prior_)
        # Examples whose entity does not exist at the anchor get the training prior.
        raw = np.tile(np.asarray(self.prior_, dtype=float), (len(examples), 1))
        if ok.any():
            self._prepare(rows[ok], anchors[ok], cutoff)
            got = self._raw(rows[ok], anchors[ok], cutoff)
            raw[ok] = got.reshape(-1, width)
        if kind is TaskType.link_prediction:
            ranked, scores = self.objective_.top_k(raw)
            return pd.DataFrame({"predicted": ranked, "scores": scores})
        if kind in (TaskType.multiclass_classification, TaskType.multilabel_classification):
            return format_predictions(kind, raw, self.classes_)
        return format_predictions(kind, raw[:, 0], None)

    def _explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        from relgraph.models.gnn.explain import explain_gnn

        return explain_gnn(self, examples, top)

    # ------------------------------------------------------------ save/load
    def _state(self) -> dict[str, bytes]:
        buf = io.BytesIO()
        states = [{k: v.cpu() for k, v in net.state_dict().items()} for net in self.members_]
        torch.save(states, buf)
        meta = {
            "classes": self.classes_,
            "label_stats": self.label_stats_,
            "prior": self.prior_,
            "stats": {t: s.to_dict() for t, s in self.stats_.items()},
            "history": self.history_,
            "seed_scaler": self.seed_scaler_.to_dict() if self.seed_scaler_ else None,
            "items": None if self.items_ is None else self.items_.to_pylist(),
            "id_rows": self.id_rows_,
            "seed_history": self.seed_history_,
            "seed_plan": None if self.seed_plan_ is None else self.seed_plan_.to_dict(),
            "node_summaries": self.node_summaries_,
        }
        return {"gnn.json": json.dumps(meta).encode(), "gnn.pt": buf.getvalue()}

    def _load_state(self, files: dict[str, bytes]) -> None:
        meta = json.loads(files["gnn.json"])
        self.classes_ = meta["classes"]
        self.label_stats_ = meta["label_stats"]
        self.prior_ = meta["prior"]
        self.history_ = meta.get("history", [])
        scaler = meta.get("seed_scaler")
        self.seed_scaler_ = SeedScaler.from_dict(scaler) if scaler else None
        # Files saved before entity aggregates: a scaler meant the target's history.
        self.seed_history_ = meta.get("seed_history", scaler is not None)
        plan = meta.get("seed_plan")
        self.seed_plan_ = FeaturePlan.from_dict(plan) if plan else None
        self.id_rows_ = meta.get("id_rows", {})
        self.node_summaries_ = int(meta.get("node_summaries", 0))
        items = meta.get("items")
        self.items_ = None if items is None else pa.array(items)
        self.objective_ = self._objective()
        stats = {t: TableStats.from_dict(s) for t, s in meta["stats"].items()}
        db = self.task_.db
        tensors = {
            t: tensorize(db.arrow(t, list(s.columns)), s) for t, s in stats.items() if s.columns
        }
        self._build(self.task_, stats, tensors)
        states = torch.load(io.BytesIO(files["gnn.pt"]), weights_only=True)
        if isinstance(states, dict):  # saved before ensembles: one net
            states = [states]
        members = []
        for state in states:
            self._build_net()
            self.net_.load_state_dict(state)
            members.append(self.net_.eval())
        self.members_ = members
        self.net_ = members[0]


@dataclass
class SeedGroup:
    """One part of the seed inputs: ``kind`` ``"history"`` (the target's own
    past labels) or ``"summary"`` (the aggregates of join path ``path``, or
    the entity's own columns when ``path`` is the entity table)."""

    kind: str
    table: str
    path: str
    hops: int
    positions: list[int] = field(default_factory=list)


def _check_integer(name: str, value: Any, ok: Callable[[int], bool], expected: str) -> None:
    """Raise unless ``value`` is an integer (not a bool) for which ``ok`` holds."""
    if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
        raise ModelError(f"GNNModel.{name} must be {expected} (got {value!r}).")


def _visible(anchors: np.ndarray, cutoff: pd.Timestamp | None) -> np.ndarray:
    """The latest time each example may see: its anchor, or ``cutoff`` if earlier."""
    if cutoff is None:
        return anchors
    limit = int(to_epoch_seconds(pd.DatetimeIndex([pd.Timestamp(cutoff)])).seconds[0])
    return np.minimum(anchors, limit)
