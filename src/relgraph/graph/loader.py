"""Mini-batches of temporal subgraphs over a training table, ready for a GNN.

:class:`TemporalLoader` walks a training table (entity row, anchor time,
label) in shuffled mini-batches; for each it samples the subgraphs of its
examples with a :class:`~relgraph.graph.sampler.TemporalSampler`, gathers the
feature rows of the sampled nodes and yields PyG ``HeteroData`` with the
labels as ``y`` on the seed type. Sampling can run ahead of the consumer in a
background thread (``prefetch``) or in worker processes (``num_workers``).

Everything random is fixed by ``random_seed``: the order of epoch ``e`` and
the draws of its batch ``b`` are functions of ``(random_seed, e, b)`` only, so
the batches are the same whether they are made in this process, a thread or
any worker.

:class:`PyGTemporalSampler` adapts the sampler to PyG's ``BaseSampler``
interface, for ``torch_geometric.loader.NodeLoader``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData
from torch_geometric.sampler import BaseSampler, HeteroSamplerOutput, NodeSamplerInput

from relgraph.errors import GraphError
from relgraph.graph.sampler import (
    TemporalSampler,
    check_anchor_time,
    check_node_type,
    check_seed_ids,
    check_seeds_exist,
)
from relgraph.graph.timeutil import to_epoch_seconds

__all__ = ["TemporalLoader", "PyGTemporalSampler"]


class TemporalLoader:
    """Iterate over a training table in mini-batches of sampled subgraphs.

    Args:
        sampler (TemporalSampler): Graph, fanouts and strategy to sample with.
        seed_type (str): Node type of the entities (the table they are rows of).
        entity_ids (array-like of int): Row position of each example's entity
            in its table (node ids, not primary-key values).
        anchor_time (array-like of int): Epoch seconds (``int64``) of each example.
        labels (array-like, optional): One label per example, yielded as
            ``data[seed_type].y``. (default: :obj:`None`)
        features (Mapping[str, torch.Tensor], optional): Row-aligned feature
            matrices per node type (``features[t][i]`` belongs to node ``i`` of
            type ``t``); the rows of the sampled nodes become ``data[t].x``.
            Types left out get no ``x``. (default: :obj:`None`)
        batch_size (int): Examples per batch. (default: ``512``)
        shuffle (bool): Visit the examples in a new random order every epoch.
            (default: :obj:`True`)
        drop_last (bool): Skip the last batch when it is smaller than
            ``batch_size``. (default: :obj:`False`)
        random_seed (int): Fixes the order of every epoch and every sampling
            draw. (default: ``0``)
        prefetch (int): Batches a background thread prepares ahead of the
            consumer (``0``: none, everything in the calling thread).
            (default: ``0``)
        num_workers (int): Worker processes that prepare batches (``0``: none);
            when set, ``prefetch`` is the number of batches each worker keeps
            ready (at least 2). (default: ``0``)

    Each batch is the ``HeteroData`` of :meth:`SampledBatch.to_hetero_data`
    plus, on the seed type, ``y`` (the labels, when given) and ``input_id``
    (the positions of the batch's examples in the table, to map predictions
    back). The first ``batch_size`` nodes of the seed type are the examples.

    Raises:
        GraphError: On an unknown seed type or feature type, seed ids out of
            range, bad anchor times, mismatched lengths, features with the
            wrong number of rows, or a bad batch size.

    Example:
        >>> import numpy as np, pandas as pd, relgraph as rg, torch
        >>> from relgraph.graph import TemporalGraph, TemporalSampler
        >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2, 3]})})
        >>> sampler = TemporalSampler(TemporalGraph.from_database(db), [4])
        >>> loader = TemporalLoader(sampler, "users", [0, 1, 2], [0, 0, 0], labels=[1.0, 0.0, 1.0],
        ...                         features={"users": torch.eye(3)}, batch_size=2)
        >>> [(b["users"].input_id.tolist(), b["users"].y.tolist()) for b in loader]  # shuffled
        [([2, 0], [1.0, 1.0]), ([1], [0.0])]
    """

    def __init__(
        self,
        sampler: TemporalSampler,
        seed_type: str,
        entity_ids: Any,
        anchor_time: Any,
        labels: Any = None,
        *,
        features: Mapping[str, Any] | None = None,
        batch_size: int = 512,
        shuffle: bool = True,
        drop_last: bool = False,
        random_seed: int = 0,
        prefetch: int = 0,
        num_workers: int = 0,
    ) -> None:
        if not isinstance(sampler, TemporalSampler):
            raise GraphError(
                f"Expected a TemporalSampler (got {type(sampler).__name__}); build one with "
                "TemporalSampler(graph, fanouts)."
            )
        graph = sampler.graph
        self.sampler = sampler
        self.seed_type = check_node_type(graph, seed_type)
        self.entity_ids = check_seed_ids(entity_ids, graph.num_nodes(seed_type), seed_type)
        self.anchor_time = check_anchor_time(anchor_time, len(self.entity_ids))
        check_seeds_exist(graph, seed_type, self.entity_ids, self.anchor_time)
        self.labels = _labels(labels, len(self.entity_ids))
        self.features = _features(features, graph)
        for name, value in (
            ("batch_size", batch_size),
            ("prefetch", prefetch),
            ("num_workers", num_workers),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise GraphError(f"{name} must be an integer (got {value!r}).")
        if batch_size < 1:
            raise GraphError(f"batch_size must be at least 1 (got {batch_size}).")
        if prefetch < 0 or num_workers < 0:
            raise GraphError(
                f"prefetch and num_workers must be >= 0 (got {prefetch}, {num_workers})."
            )
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if (
            isinstance(random_seed, bool)
            or not isinstance(random_seed, int | np.integer)
            or (random_seed < 0)
        ):
            raise GraphError(f"random_seed must be an integer >= 0 (got {random_seed!r}).")
        self.random_seed = int(random_seed)
        self.prefetch = int(prefetch)
        self.num_workers = int(num_workers)
        self.epoch = 0

    @classmethod
    def from_table(
        cls,
        sampler: TemporalSampler,
        seed_type: str,
        table: Any,
        *,
        entity_column: str,
        time_column: str,
        label_column: str | None = None,
        **kwargs: Any,
    ) -> TemporalLoader:
        """A loader over the columns of a table (pandas DataFrame, Arrow table
        or a mapping of column name to array).

        A datetime/date time column is converted to epoch seconds with its own
        unit; an integer one must already hold epoch seconds. Other keyword
        arguments go to :class:`TemporalLoader`.

        Raises:
            GraphError: If a named column is missing.
        """
        columns = _column_names(table)
        for role, name in (
            ("entity_column", entity_column),
            ("time_column", time_column),
            ("label_column", label_column),
        ):
            if name is not None and name not in columns:
                raise GraphError(
                    f"{role}={name!r} is not a column of the training table (columns: "
                    f"{', '.join(map(str, columns)) or 'none'})."
                )
        entity_ids = _column(table, entity_column)
        anchor_time = _seconds(_column(table, time_column), time_column)
        labels = None if label_column is None else _column(table, label_column)
        return cls(sampler, seed_type, entity_ids, anchor_time, labels, **kwargs)

    # ------------------------------------------------------------------ iteration

    def __len__(self) -> int:
        n = len(self.entity_ids)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration epoch ``epoch`` (e.g. when resuming training)."""
        self.epoch = int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """Positions of the examples in the order epoch ``epoch`` visits them."""
        n = len(self.entity_ids)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        return np.random.default_rng([self.random_seed, epoch]).permutation(n)

    def __iter__(self) -> Iterator[HeteroData]:
        epoch = self.epoch
        self.epoch += 1
        batches = _EpochBatches(self, epoch)
        if self.num_workers > 0:
            return iter(
                torch.utils.data.DataLoader(
                    batches,
                    batch_size=None,
                    shuffle=False,
                    num_workers=self.num_workers,
                    prefetch_factor=max(self.prefetch, 2),
                    collate_fn=_identity,
                )
            )
        if self.prefetch > 0:
            return _threaded(batches, self.prefetch)
        return (batches[b] for b in range(len(batches)))

    def make_batch(self, examples: np.ndarray, random_seed: Any) -> HeteroData:
        """Sample and assemble the batch of the examples at positions ``examples``."""
        examples = np.asarray(examples, dtype=np.int64)
        sampled = self.sampler.sample(
            self.seed_type,
            self.entity_ids[examples],
            self.anchor_time[examples],
            random_seed=random_seed,
        )
        data = sampled.to_hetero_data(self.features)
        store = data[self.seed_type]
        store.input_id = torch.from_numpy(examples)
        if self.labels is not None:
            store.y = self.labels[torch.from_numpy(examples)]
        return data

    def __repr__(self) -> str:
        return (
            f"TemporalLoader(seed_type={self.seed_type!r}, examples={len(self.entity_ids)}, "
            f"batch_size={self.batch_size}, batches={len(self)}, sampler={self.sampler!r})"
        )


class _EpochBatches(torch.utils.data.Dataset):
    """The batches of one epoch, by index (what worker processes receive)."""

    def __init__(self, loader: TemporalLoader, epoch: int) -> None:
        self.loader = loader
        self.epoch = epoch
        self.order = loader.order(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __getitem__(self, index: int) -> HeteroData:
        size = self.loader.batch_size
        examples = self.order[index * size : (index + 1) * size]
        return self.loader.make_batch(
            examples, random_seed=(self.loader.random_seed, self.epoch, int(index))
        )


def _identity(batch: Any) -> Any:
    return batch


_DONE = object()


def _threaded(batches: _EpochBatches, depth: int) -> Iterator[HeteroData]:
    """Yield ``batches`` in order, made by a background thread ``depth`` ahead."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for index in range(len(batches)):
                if stop.is_set():
                    return
                item = batches[index]
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as err:  # handed to the consumer, raised there
            ready.put(err)
            return
        ready.put(_DONE)

    worker = threading.Thread(target=produce, name="relgraph-loader", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


# ---------------------------------------------------------------- PyG adapter


class PyGTemporalSampler(BaseSampler):
    """A :class:`TemporalSampler` behind PyG's ``BaseSampler`` interface.

    ``torch_geometric.loader.NodeLoader`` can then drive it: pass
    ``input_nodes=(seed_type, ids)`` and ``input_time=<int64 epoch seconds>``
    (required), and as ``data`` a ``HeteroData`` holding the node features and
    one (possibly empty) ``edge_index`` per edge type of the sampler, e.g.
    from :meth:`feature_data`. NodeLoader copies ``n_id``, ``batch``,
    ``edge_index``, ``num_sampled_nodes`` and ``seed_time`` (on the seed type,
    one per seed) into each batch; relative times are not available this way
    (use :class:`TemporalLoader` for them).

    The draws of the ``k``-th call in a process are seeded with
    ``(sampler.random_seed, worker, k)`` (``worker`` is ``0`` outside
    NodeLoader's worker processes, ``1 + id`` in them), so that workers do
    not repeat each other's draws and a run is reproducible.
    """

    def __init__(self, sampler: TemporalSampler) -> None:
        if not isinstance(sampler, TemporalSampler):
            raise GraphError(
                f"Expected a TemporalSampler (got {type(sampler).__name__}); build one with "
                "TemporalSampler(graph, fanouts)."
            )
        self.sampler = sampler
        self._calls = 0

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs: Any) -> HeteroSamplerOutput:
        if index.input_type is None:
            raise GraphError(
                "NodeLoader gave no input node type; pass input_nodes=(node_type, ids)."
            )
        if index.time is None:
            raise GraphError(
                "The temporal sampler needs one anchor time per seed; pass "
                "input_time=<int64 epoch seconds> to NodeLoader."
            )
        worker = torch.utils.data.get_worker_info()
        random_seed = (
            self.sampler.random_seed,
            0 if worker is None else worker.id + 1,
            self._calls,
        )
        self._calls += 1
        out = self.sampler.sample(
            index.input_type, index.node.numpy(), index.time.numpy(), random_seed=random_seed
        )
        row, col = {}, {}
        for edge_type, edge_index in out.edge_index.items():
            tensor = torch.from_numpy(edge_index)
            row[edge_type], col[edge_type] = tensor[0], tensor[1]
        input_id = index.input_id
        if input_id is None:
            input_id = torch.arange(len(index.node))
        return HeteroSamplerOutput(
            node={t: torch.from_numpy(r) for t, r in out.node.items()},
            row=row,
            col=col,
            edge={},
            batch={t: torch.from_numpy(b) for t, b in out.batch.items()},
            num_sampled_nodes=dict(out.num_sampled_nodes),
            num_sampled_edges=dict(out.num_sampled_edges),
            metadata=(input_id, torch.from_numpy(out.anchor_time)),
        )

    def sample_from_edges(self, index: Any, neg_sampling: Any = None) -> Any:
        raise GraphError(
            "The temporal sampler samples around nodes only; use NodeLoader, not LinkLoader."
        )

    def feature_data(self, features: Mapping[str, Any] | None = None) -> HeteroData:
        """The ``data`` for ``NodeLoader``: ``x`` and ``num_nodes`` per node
        type, an empty ``edge_index`` per edge type of the sampler."""
        graph = self.sampler.graph
        features = _features(features, graph) or {}
        data = HeteroData()
        for node_type in graph.node_types:
            data[node_type].num_nodes = graph.num_nodes(node_type)
            if node_type in features:
                data[node_type].x = features[node_type]
        for edge_type in self.sampler.edge_types:
            data[edge_type].edge_index = torch.empty((2, 0), dtype=torch.long)
        return data

    @property
    def edge_permutation(self) -> None:
        return None


# ---------------------------------------------------------------- helpers


def _labels(labels: Any, num_examples: int) -> torch.Tensor | None:
    if labels is None:
        return None
    if hasattr(labels, "to_numpy") and not isinstance(labels, np.ndarray):
        labels = labels.to_numpy()
    tensor = labels if isinstance(labels, torch.Tensor) else torch.as_tensor(np.array(labels))
    if tensor.ndim == 0 or tensor.shape[0] != num_examples:
        raise GraphError(
            f"Got {num_examples} examples but labels of shape {tuple(tensor.shape)}; give one "
            "label per example."
        )
    return tensor


def _features(features: Mapping[str, Any] | None, graph: Any) -> dict[str, Any] | None:
    if features is None:
        return None
    if not isinstance(features, Mapping):
        raise GraphError(
            "features must map node types to row-aligned feature matrices "
            f"(got {type(features).__name__})."
        )
    out = {}
    for node_type, matrix in features.items():
        check_node_type(graph, node_type)
        if not isinstance(matrix, torch.Tensor | np.ndarray) or matrix.ndim < 1:
            raise GraphError(
                f"features[{node_type!r}] must be a torch.Tensor or numpy array with one row "
                f"per node (got {type(matrix).__name__})."
            )
        if matrix.shape[0] != graph.num_nodes(node_type):
            raise GraphError(
                f"features[{node_type!r}] has {matrix.shape[0]} rows, but node type "
                f"{node_type!r} has {graph.num_nodes(node_type)} nodes; give one row per node, "
                "in table order."
            )
        out[node_type] = matrix
    return out


def _column_names(table: Any) -> list[str]:
    if hasattr(table, "column_names"):  # pyarrow.Table
        return list(table.column_names)
    if hasattr(table, "columns"):  # pandas.DataFrame
        return [str(c) for c in table.columns]
    if isinstance(table, Mapping):
        return list(table)
    raise GraphError(
        "The training table must be a pandas DataFrame, a pyarrow Table or a mapping of "
        f"column name to array (got {type(table).__name__})."
    )


def _column(table: Any, name: str) -> Any:
    return table[name]


def _seconds(values: Any, name: str) -> Any:
    """Epoch seconds of a datetime/date column; other columns unchanged."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray | pa.Array):
        if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
            return _no_nulls(to_epoch_seconds(values, name=name), name)
        return values.to_numpy()
    dtype = getattr(values, "dtype", None)
    if dtype is not None and (getattr(dtype, "kind", None) == "M" or "datetime" in str(dtype)):
        return _no_nulls(to_epoch_seconds(values, name=name), name)
    return values


def _no_nulls(converted: Any, name: str) -> np.ndarray:
    if converted.is_null.any():
        raise GraphError(
            f"Column {name!r} of the training table has {int(converted.is_null.sum())} null "
            "anchor time(s); every example needs one."
        )
    return converted.seconds
