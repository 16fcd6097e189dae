"""The ``hybrid`` family: the GNN's view of each example as features of the gbdt model.

RelBench's hybrid idea: train the temporal GNN on the task, then give what it
learned to LightGBM next to the automatic relational features, so that the
trees combine multi-hop patterns learned end to end with exact windowed
aggregates.

The catch is that a GNN's output on its own training examples is in-sample:
it fits those labels better than it will ever fit new ones, so trees trained
on it would trust it too much. Here the GNN features of the *training*
examples are **out of fold**: the training entities are split into ``folds``
groups (by entity, so that other anchors of the same entity cannot leak its
labels), one GNN is trained per fold on the other groups and predicts the
held-out one. Validation, test and new examples get the mean of the fold
GNNs, none of which saw them. The features are the GNN's *prediction*
(probability, value, class probabilities, or one probability per label of a
multilabel target), which means the same thing in every fold model;
embeddings of different nets do not live in one space and cannot be stacked
out of fold.

Optionally (``embedding_dim > 0``) one more GNN trained on all training
examples gives its entity embedding (:meth:`GNNModel.embed`) reduced by PCA
to ``embedding_dim`` columns, the original RelBench recipe. These columns are
in-sample on the training examples (early stopping on validation and the
small width limit, not remove, the overfit), hence off by default.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> task = rg.Task.from_query(db, "PREDICT SUM(orders.amount, 0, 30, days) "
    ...                           "FOR EACH customers.customer_id")
    >>> model = HybridModel(gnn={"hidden": 16, "epochs": 1, "fanout": (4, 2)},
    ...                     num_boost_round=30).fit(task)  # doctest: +SKIP
    >>> [c for c in model.feature_names_ if c.startswith("gnn.")]  # doctest: +SKIP
    ['gnn.prediction']
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from relgraph.models.core.base import ModelError
from relgraph.models.core.signals import value_text
from relgraph.models.core.targets import label_set
from relgraph.models.gbdt import GBDTModel
from relgraph.models.gnn.model import GNNModel
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

__all__ = ["HybridModel"]

_PREFIX = "gnn."


class HybridModel(GBDTModel):
    """LightGBM on automatic relational features plus out-of-fold GNN predictions.

    Args:
        gnn (dict | None): Hyperparameters of the GNNs
            (:class:`~relgraph.models.gnn.model.GNNModel`, e.g. ``{"hidden": 32,
            "epochs": 5}``); their ``seed`` defaults to this model's, and
            ``ensemble`` to 1: the fold GNNs are averaged already.
            (default: None, the GNN's defaults otherwise)
        folds (int): Folds of the out-of-fold GNN predictions, ``>= 2``; one
            GNN is trained per fold. (default: 2)
        embedding_dim (int): Also add the PCA-reduced entity embedding of a
            GNN trained on all training examples, this many columns (``0``:
            none; these are in-sample on training examples). (default: 0)
        **gbdt_params: Any hyperparameter of
            :class:`~relgraph.models.gbdt.GBDTModel` (``num_boost_round``,
            ``seed``...).

    Example:
        >>> HybridModel(gnn={"hidden": 32}, num_boost_round=100).get_params()["gnn"]
        {'hidden': 32}
    """

    # Multilabel: every label's one-vs-rest booster sees the GNN's probability
    # of each label (its own, and the others': labels that go together).
    supported = (
        TaskType.binary_classification,
        TaskType.regression,
        TaskType.multiclass_classification,
        TaskType.multilabel_classification,
    )

    family = "hybrid"

    def __init__(
        self,
        gnn: dict[str, Any] | None = None,
        folds: int = 2,
        embedding_dim: int = 0,
        **gbdt_params: Any,
    ) -> None:
        super().__init__(**gbdt_params)
        self.gnn = dict(gnn or {})
        self.folds = folds
        self.embedding_dim = embedding_dim

    # ------------------------------------------------------------ fit
    def _fit(self, task: Task) -> None:
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 2:
            raise ModelError(
                f"HybridModel.folds must be an integer >= 2 (got {self.folds!r}): the GNN "
                "features of training examples come from GNNs that did not see them."
            )
        train = task.table("train")
        if train.empty:
            raise ModelError("The training split has no labelled examples.")
        self.gnn_classes_ = None
        if task.task_type is TaskType.multiclass_classification:
            self.gnn_classes_ = sorted(train["label"].astype(str).unique())
        elif task.task_type is TaskType.multilabel_classification:
            self.gnn_classes_ = label_set(train["label"])  # the labels gbdt's boosters learn
        fold = self._assign_folds(train[task.entity_key])
        self.gnns_: list[GNNModel] = []
        oof = np.full((len(train), len(self._prediction_columns())), np.nan)
        for k in range(self.folds):
            model = GNNModel(**self._gnn_params()).fit(_TrainSubset(task, train[fold != k]))
            model.task_ = task
            held_out = fold == k
            oof[held_out] = self._gnn_outputs(model, train[held_out], None)
            self.gnns_.append(model)
        self.embedder_: GNNModel | None = None
        if self.embedding_dim:
            self.embedder_ = GNNModel(**self._gnn_params()).fit(task)
            self._fit_pca(self.embedder_.embed(train))
        self._oof = pd.DataFrame(oof, columns=self._prediction_columns(), index=train.index)
        try:
            super()._fit(task)
        finally:
            del self._oof

    def _gnn_params(self) -> dict[str, Any]:
        return {"seed": self.seed, "ensemble": 1, **self.gnn}

    def _assign_folds(self, keys: pd.Series) -> np.ndarray:
        """A fold per example; every anchor of one entity in the same fold."""
        codes, uniques = pd.factorize(keys, sort=True)
        order = np.random.default_rng(self.seed).permutation(len(uniques))
        fold_of_entity = np.empty(len(uniques), dtype=np.int64)
        fold_of_entity[order] = np.arange(len(uniques)) % self.folds
        return fold_of_entity[codes]

    def _fit_pca(self, embeddings: np.ndarray) -> None:
        """Principal axes of the training embeddings (numpy SVD, signs fixed)."""
        self.pca_mean_ = embeddings.mean(axis=0)
        _, _, vt = np.linalg.svd(embeddings - self.pca_mean_, full_matrices=False)
        components = vt[: self.embedding_dim]
        # An SVD axis has no sign of its own: make its largest loading positive.
        signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(1)])
        self.pca_components_ = components * np.where(signs == 0, 1.0, signs)[:, None]

    def _fit_features(self, task: Task, examples: pd.DataFrame, split: str) -> pd.DataFrame:
        x = super()._fit_features(task, examples, split)
        if split == "train":
            gnn = self._oof.reindex(examples.index)
            if self.embedder_ is not None:
                gnn = pd.concat([gnn, self._embedding_frame(examples, None)], axis=1)
        else:
            gnn = self._gnn_frame(examples, None)
        return pd.concat([x, gnn], axis=1)

    # ------------------------------------------------------------ GNN features
    def _prediction_columns(self) -> list[str]:
        kind = self.task_.task_type
        if kind is TaskType.binary_classification:
            return [f"{_PREFIX}probability"]
        if kind is TaskType.regression:
            return [f"{_PREFIX}prediction"]
        return [f"{_PREFIX}score_{c}" for c in self.gnn_classes_]

    def _gnn_outputs(
        self, model: GNNModel, examples: pd.DataFrame, cutoff: pd.Timestamp | None
    ) -> np.ndarray:
        """One GNN's predictions as a matrix in the order of :meth:`_prediction_columns`."""
        out = model.predict(examples.reset_index(drop=True), cutoff=cutoff)
        kind = self.task_.task_type
        if kind is TaskType.binary_classification:
            return out[["probability"]].to_numpy(dtype=float)
        if kind is TaskType.regression:
            return out[["prediction"]].to_numpy(dtype=float)
        # A fold may lack a rare class or label: it gives it probability 0
        # (it never occurred in that fold's training labels).
        wanted = [f"score_{c}" for c in self.gnn_classes_]
        return out.reindex(columns=wanted, fill_value=0.0).to_numpy(dtype=float)

    def _gnn_frame(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        """The GNN columns of examples none of the GNNs trained on."""
        mean = np.mean([self._gnn_outputs(m, examples, cutoff) for m in self.gnns_], axis=0)
        frame = pd.DataFrame(mean, columns=self._prediction_columns(), index=examples.index)
        if self.embedder_ is not None:
            frame = pd.concat([frame, self._embedding_frame(examples, cutoff)], axis=1)
        return frame

    def _embedding_frame(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        embeddings = self.embedder_.embed(examples, cutoff)
        reduced = (embeddings - self.pca_mean_) @ self.pca_components_.T
        names = [f"{_PREFIX}embedding_{i}" for i in range(reduced.shape[1])]
        return pd.DataFrame(reduced, columns=names, index=examples.index)

    # ------------------------------------------------------------ predict
    def _features(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        x = self.inputs_.transform(self.task_, examples, cutoff=cutoff)
        x = pd.concat([x, self._gnn_frame(examples, cutoff)], axis=1)
        return x.reindex(columns=self.feature_names_)

    def _describe(self, feature: str, value: Any) -> str:
        if not feature.startswith(_PREFIX):
            return super()._describe(feature, value)
        name = feature[len(_PREFIX) :]
        shown = value_text(value)
        if name.startswith("embedding_"):
            return f"graph embedding, component {name.split('_', 1)[1]}: {shown}"
        if name.startswith("score_"):
            return f"graph model's probability of {name[len('score_') :]!r}: {shown}"
        return f"graph model's {name}: {shown}"

    # ------------------------------------------------------------ save/load
    def _state(self) -> dict[str, bytes]:
        files = super()._state()
        meta: dict[str, Any] = {"gnn_classes": self.gnn_classes_, "folds": len(self.gnns_)}
        for k, model in enumerate(self.gnns_):
            files.update({f"gnn{k}/{name}": data for name, data in model.state_files().items()})
        if self.embedder_ is not None:
            files.update({f"embedder/{n}": d for n, d in self.embedder_.state_files().items()})
            buf = io.BytesIO()
            np.savez(buf, mean=self.pca_mean_, components=self.pca_components_)
            files["embedder/pca.npz"] = buf.getvalue()
        files["hybrid.json"] = json.dumps(meta).encode()
        return files

    def _load_state(self, files: dict[str, bytes]) -> None:
        super()._load_state(files)
        meta = json.loads(files["hybrid.json"])
        self.gnn_classes_ = meta["gnn_classes"]
        self.gnns_ = [self._load_gnn(files, f"gnn{k}/") for k in range(meta["folds"])]
        self.embedder_ = None
        if "embedder/pca.npz" in files:
            self.embedder_ = self._load_gnn(files, "embedder/")
            pca = np.load(io.BytesIO(files["embedder/pca.npz"]))
            self.pca_mean_, self.pca_components_ = pca["mean"], pca["components"]

    def _load_gnn(self, files: dict[str, bytes], prefix: str) -> GNNModel:
        own = {n[len(prefix) :]: d for n, d in files.items() if n.startswith(prefix)}
        return GNNModel.from_state(self.task_, own, self._gnn_params())


class _TrainSubset:
    """A task whose training split is a subset of its own (all else is the task's)."""

    def __init__(self, task: Task, train: pd.DataFrame) -> None:
        self._task = task
        self._train = train.reset_index(drop=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)

    def table(self, split: str) -> pd.DataFrame:
        return self._train.copy() if split == "train" else self._task.table(split)
