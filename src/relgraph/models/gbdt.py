"""LightGBM on automatic relational features (docs/models.md, ``gbdt``).

The input of every example is the automatic feature table of
:mod:`relgraph.features` (entity columns, windowed aggregates over every join
path up to ``max_hops``) plus the target's own history, all computed from rows
visible at the example's anchor time. Early stopping on the validation split.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02))
    >>> task = rg.Task.from_query(db, "PREDICT SUM(orders.amount, 0, 30, days) "
    ...                           "FOR EACH customers.customer_id")
    >>> model = GBDTModel(num_boost_round=10, ensemble_size=1).fit(task)
    >>> list(model.predict(task.table("test").head(2)).columns)
    ['customer_id', 'anchor_time', 'prediction']
"""

from __future__ import annotations

import json
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from relgraph.features import FeatureConfig, FeaturePlan
from relgraph.features.relational import is_count
from relgraph.models.core.base import Model, ModelError
from relgraph.models.core.inputs import TaskInputs
from relgraph.models.core.lightgbm import REPRODUCIBLE, objective
from relgraph.models.core.one_vs_rest import OneVsRest
from relgraph.models.core.outputs import format_predictions, json_value, positional
from relgraph.models.core.signals import describe
from relgraph.models.core.targets import class_codes, classes_of, label_matrix, label_set
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

#: Feature screening (see ``GBDTModel.max_train_cells``): never fewer features
#: than this, a sample of this many training examples, and a short fit with a
#: high learning rate (ranking features needs no tuned model).
MIN_SCREENED_FEATURES = 100
SCREEN_EXAMPLES = 20_000
SCREEN_ROUNDS = 200
SCREEN_PATIENCE = 20
SCREEN_LEARNING_RATE = 0.1


def compact(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` with its number columns as float32 (LightGBM bins them anyway;
    half the memory of float64 for a wide feature table), other columns as they are.

    Example:
        >>> compact(pd.DataFrame({"a": [1.5], "b": [2]})).dtypes.tolist()
        [dtype('float32'), dtype('float32')]
    """
    numbers = [c for c, t in x.dtypes.items() if pd.api.types.is_numeric_dtype(t)]
    numbers = [c for c in numbers if x[c].dtype != np.float32 and x[c].dtype != bool]
    return x.astype(dict.fromkeys(numbers, np.float32)) if numbers else x


class GBDTModel(Model):
    """Gradient-boosted trees on automatic relational features.

    Args:
        num_boost_round (int): Most boosting rounds. (default: 1000)
        learning_rate (float): (default: 0.03)
        num_leaves (int): (default: 15)
        min_data_in_leaf (int): (default: 50)
        feature_fraction (float): Share of features per tree. (default: 0.3)
        lambda_l2 (float): L2 regularisation. (default: 1.0)
        early_stopping_rounds (int): Stop when the validation metric has not
            improved for this many rounds. (default: 100)
        max_hops (int): Longest join path of the features. (default: 2)
        half_life_days (float | None): Weigh training examples by recency: an
            example ``half_life_days`` older than ``val_time`` counts half.
            ``None`` weighs all alike. (default: None)
        regression_objective (str): LightGBM objective for regression; ``l1``
            fits the median, which MAE rewards. (default: ``"l1"``)
        ensemble_size (int): Boosters trained with different seeds (bagging
            and feature sampling differ) whose outputs are averaged: early
            stopping on a small validation split is noisy, the mean is not.
            (default: 3)
        refit_with_val (bool): After early stopping, retrain on training and
            validation examples with the chosen number of rounds. (default: True)
        max_train_cells (int | None): Above this many training cells (examples
            x features) the features are screened first: a quick booster on a
            sample of the examples ranks them by gain, and only the best
            ``max_train_cells // examples`` (at least 100) are kept. A wide
            database gives 2,000 features, most never split on, and each
            boosting round costs examples x features. ``None`` keeps them all.
            (default: 20,000,000)
        ensemble_max_examples (int | None): Above this many training examples
            one booster is trained, not ``ensemble_size``: the members' mean
            steadies early stopping on a small validation split, which a task
            this large does not have, and each member is a full training.
            ``None``: always ``ensemble_size``. (default: 50,000)
        seed (int): Random seed. (default: 0)
    """

    family = "gbdt"
    supported = (
        TaskType.binary_classification,
        TaskType.regression,
        TaskType.multiclass_classification,
        TaskType.multilabel_classification,
    )

    def __init__(
        self,
        num_boost_round: int = 1000,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_data_in_leaf: int = 50,
        feature_fraction: float = 0.3,
        lambda_l2: float = 1.0,
        early_stopping_rounds: int = 100,
        max_hops: int = 2,
        half_life_days: float | None = None,
        regression_objective: str = "l1",
        ensemble_size: int = 3,
        refit_with_val: bool = True,
        max_train_cells: int | None = 20_000_000,
        ensemble_max_examples: int | None = 50_000,
        seed: int = 0,
    ) -> None:
        self.num_boost_round = num_boost_round
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.feature_fraction = feature_fraction
        self.lambda_l2 = lambda_l2
        self.early_stopping_rounds = early_stopping_rounds
        self.max_hops = max_hops
        self.half_life_days = half_life_days
        self.regression_objective = regression_objective
        self.ensemble_size = ensemble_size
        self.refit_with_val = refit_with_val
        self.max_train_cells = max_train_cells
        self.ensemble_max_examples = ensemble_max_examples
        self.seed = seed

    # ------------------------------------------------------------ fit
    def _params(self) -> dict[str, Any]:
        kind = self.task_.task_type
        params = self._base_params()
        num_class = len(self.classes_) if kind is TaskType.multiclass_classification else None
        params.update(
            objective(
                kind,
                num_class=num_class,
                regression=self.regression_objective,
                with_metric=True,
            )
        )
        return params

    def _base_params(self) -> dict[str, Any]:
        """Every setting but the objective."""
        params: dict[str, Any] = {
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "seed": self.seed,
            # Column-wise histograms: with a few hundred or thousand mostly
            # missing features, LightGBM's row-wise choice spends its time
            # copying the sampled columns and merging per-thread histograms
            # (about 1.4x slower on Lahman's 2,000 features, same trees).
            "force_col_wise": True,
            "num_threads": 2,
            **REPRODUCIBLE,
        }
        return params

    def _fit(self, task: Task) -> None:
        train, val = task.table("train"), task.table("val")
        if train.empty:
            raise ModelError("The training split has no labelled examples.")
        self.inputs_ = TaskInputs.fit(task, FeatureConfig(max_hops=self.max_hops))
        x_train = compact(self._fit_features(task, train, "train"))
        if task.task_type is TaskType.multilabel_classification:
            self._fit_labels(task, train, val, x_train)
            return
        self.ovr_ = None
        self.classes_ = None
        if task.task_type is TaskType.multiclass_classification:
            self.classes_ = classes_of(train["label"])
            # a class training never saw cannot be learned (LightGBM refuses its label)
            val = val[val["label"].astype(str).isin(self.classes_)].reset_index(drop=True)
        y_train = self._encode(train["label"])
        weight = None
        if self.half_life_days:
            age = (task.val_time - pd.to_datetime(train["anchor_time"])).dt.days.to_numpy()
            weight = 0.5 ** (age / self.half_life_days)
        x_val = y_val = None
        if not val.empty and self.early_stopping_rounds:
            x_val = compact(self._fit_features(task, val, "val")).reindex(columns=x_train.columns)
            y_val = self._encode(val["label"])
        self.feature_names_ = self._screen(x_train, y_train, weight, x_val, y_val)
        x_train = x_train[self.feature_names_]
        dtrain = lgb.Dataset(positional(x_train), y_train, weight=weight, free_raw_data=False)
        callbacks, valid_sets = [], []
        if x_val is not None:
            x_val = x_val[self.feature_names_]
            valid_sets = [lgb.Dataset(positional(x_val), y_val, reference=dtrain)]
            callbacks = [lgb.early_stopping(self.early_stopping_rounds, verbose=False)]
        dall = None
        if self.refit_with_val and valid_sets:
            # Validation labels are all known before test_time: once early
            # stopping has chosen the rounds, learn from them too (they are
            # the examples nearest to the future being predicted). One dataset
            # for every member: binning it is not free.
            x_all = pd.concat([x_train, x_val], ignore_index=True)
            dall = lgb.Dataset(positional(x_all), np.concatenate([y_train, y_val]))
        self.boosters_, self.best_iterations_ = [], []
        for member in range(self._members(len(x_train))):
            params = {**self._params(), "seed": self.seed * 1000 + member}
            booster = lgb.train(
                params, dtrain, self.num_boost_round, valid_sets=valid_sets, callbacks=callbacks
            )
            rounds = booster.best_iteration or booster.current_iteration()
            if dall is not None:
                booster = lgb.train(params, dall, rounds)
            self.boosters_.append(booster)
            self.best_iterations_.append(rounds)

    def _fit_labels(
        self, task: Task, train: pd.DataFrame, val: pd.DataFrame, x_train: pd.DataFrame
    ) -> None:
        """A multilabel target: one booster per label of the fixed set
        (:func:`~relgraph.models.core.targets.label_set`), on every feature,
        one member (a hundred labels are a hundred fits already)."""
        self.classes_ = label_set(train["label"])
        if not self.classes_:
            raise ModelError("No key occurs in the training labels: there is no label to learn.")
        self.feature_names_ = list(x_train.columns)
        x_val = y_val = None
        if not val.empty and self.early_stopping_rounds:
            x_val = compact(self._fit_features(task, val, "val")).reindex(columns=x_train.columns)
            y_val = label_matrix(val["label"], self.classes_)
        self.ovr_ = OneVsRest.fit(
            positional(x_train),
            label_matrix(train["label"], self.classes_),
            self._base_params(),
            self.num_boost_round,
            None if x_val is None else positional(x_val),
            y_val,
            self.early_stopping_rounds,
            self.refit_with_val,
        )
        self.boosters_, self.best_iterations_ = [], []

    def _members(self, examples: int) -> int:
        """How many boosters to average (see ``ensemble_max_examples``)."""
        limit = self.ensemble_max_examples
        return 1 if limit is not None and examples > limit else self.ensemble_size

    def _screen(
        self,
        x: pd.DataFrame,
        y: np.ndarray,
        weight: np.ndarray | None,
        x_val: pd.DataFrame | None,
        y_val: np.ndarray | None,
    ) -> list[str]:
        """The features to train on: all of them, or when there are more
        training cells than ``max_train_cells``, those a quick booster on a
        sample of the examples splits on most (by gain), in their order."""
        columns = list(x.columns)
        cells = self.max_train_cells
        if cells is None or x.shape[0] * x.shape[1] <= cells:
            return columns
        keep = max(MIN_SCREENED_FEATURES, cells // max(len(x), 1))
        if keep >= len(columns):
            return columns
        rng = np.random.default_rng(self.seed)
        rows = np.sort(rng.choice(len(x), min(len(x), SCREEN_EXAMPLES), replace=False))
        sample = lgb.Dataset(
            positional(x.iloc[rows]), y[rows], weight=None if weight is None else weight[rows]
        )
        valid_sets, callbacks = [], []
        if x_val is not None:
            valid_sets = [lgb.Dataset(positional(x_val), y_val, reference=sample)]
            callbacks = [lgb.early_stopping(SCREEN_PATIENCE, verbose=False)]
        params = {**self._params(), "learning_rate": SCREEN_LEARNING_RATE}
        booster = lgb.train(
            params, sample, SCREEN_ROUNDS, valid_sets=valid_sets, callbacks=callbacks
        )
        gain = booster.feature_importance("gain")
        best = np.argsort(-gain, kind="stable")[:keep]
        if (gain[best] > 0).any():  # a feature never split on tells nothing
            best = best[gain[best] > 0]
        return [columns[i] for i in sorted(best)]

    def _fit_features(self, task: Task, examples: pd.DataFrame, split: str) -> pd.DataFrame:
        """Features of a split's examples while fitting (a hook for subclasses
        that add columns, e.g. out-of-fold predictions on ``"train"``)."""
        return self.inputs_.transform(task, examples)

    def _encode(self, labels: pd.Series) -> np.ndarray:
        if self.classes_ is None:
            return labels.to_numpy(dtype=float)
        return class_codes(labels, self.classes_)

    # ------------------------------------------------------------ predict
    def _features(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        x = self.inputs_.transform(self.task_, examples, cutoff=cutoff)
        return x.reindex(columns=self.feature_names_)

    def predict_features(self, features: pd.DataFrame) -> pd.DataFrame:
        """Predictions from input features computed elsewhere (on Spark by
        :meth:`TaskInputs.spark_transform
        <relgraph.models.core.inputs.TaskInputs.spark_transform>`, or by
        ``inputs_.transform``), with no database: the columns
        :meth:`predict` gives after the key and ``anchor_time``, one row per
        row of ``features``, in their order.

        ``features`` holds at least the columns the model reads
        (``feature_names_``; others are ignored). The last steps of the
        feature table are applied as ``FeaturePlan.transform`` applies them:
        a missing count is 0, and an entity category is read against the
        plan's categories (a value outside them is missing); other columns
        are read as numbers.

        Example:
            >>> import relgraph as rg
            >>> from relgraph.bench.demo import make_ecommerce
            >>> db = rg.connect(make_ecommerce(scale=0.02))
            >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
            ...                           "FOR EACH customers.customer_id")
            >>> model = GBDTModel(num_boost_round=10, ensemble_size=1).fit(task)
            >>> examples = task.table("test").head(3)
            >>> x = model.inputs_.transform(task, examples)
            >>> model.predict_features(x).equals(model.predict(examples).iloc[:, 2:])
            True

        Raises:
            ModelError: not fitted; a forecast or a ranked category (served
                by one model per window or per label: use :meth:`predict`);
                ``features`` lacks a column the model reads.
        """
        self._check_fitted()
        if self.per_step or self.by_labels:
            raise ModelError(
                f"A {self.task_.task_type} task is predicted by several gbdt models "
                "(one per window or label): predict it with model.predict(examples)."
            )
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise ModelError(
                f"The features lack {len(missing)} column(s) the model reads "
                f"(first {missing[:3]}); compute them with the model's inputs_."
            )
        x = features[self.feature_names_].reset_index(drop=True)
        plan = self.inputs_.plan
        categories = {f"{plan.entity_table}.{c}": v for c, v in plan.entity_categories.items()}
        for name in x.columns:
            if name in categories:
                x[name] = pd.Categorical(x[name], categories=categories[name])
            elif x[name].dtype == object:  # e.g. decimals or Nones from another engine
                x[name] = pd.to_numeric(x[name]).astype(float)
        x = x.fillna({c: 0 for c in x.columns if is_count(c)})
        return self._format(self._raw(x))

    def _booster_predict(self, x: pd.DataFrame, **kwargs: Any) -> np.ndarray:
        """The ensemble's mean output (contributions are additive: their mean too).
        No rows give no outputs: LightGBM refuses an empty matrix."""
        if len(x) == 0:
            return np.zeros(self._empty_shape(bool(kwargs.get("pred_contrib"))))
        x = positional(compact(x))  # as trained: float32
        outputs = [
            b.predict(x, num_iteration=it, **kwargs)
            for b, it in zip(self.boosters_, self.best_iterations_, strict=True)
        ]
        return np.mean(outputs, axis=0)

    def _empty_shape(self, contributions: bool) -> tuple[int, ...]:
        """The shape of LightGBM's output for no rows: one value per example (one per
        class for multiclass), or per feature and bias (and class) for contributions."""
        classes = len(self.classes_) if self.classes_ is not None else 1
        if contributions:
            return (0, (len(self.feature_names_) + 1) * classes)
        return (0, classes) if self.classes_ is not None else (0,)

    def _predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        raw = self._raw(self._features(examples, cutoff))
        return self._format(raw)

    def _raw(self, x: pd.DataFrame) -> np.ndarray:
        """The model's output: the boosters' mean, or each label's probability."""
        if getattr(self, "ovr_", None) is not None:
            return self.ovr_.predict(positional(compact(x)))
        return self._booster_predict(x)

    def _format(self, raw: np.ndarray) -> pd.DataFrame:
        return format_predictions(self.task_.task_type, raw, self.classes_)

    def _explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        x = self._features(examples, None)
        raw = self._raw(x)
        labels: list[str] | None = None
        if getattr(self, "ovr_", None) is not None:
            contrib, labels = self._label_contributions(x, raw)
        else:
            contrib = self._booster_predict(x, pred_contrib=True)
        if (
            self.classes_ is not None and labels is None
        ):  # per class blocks: explain the predicted class
            width = len(self.feature_names_) + 1
            pick = raw.argmax(axis=1)
            blocks = contrib.reshape(len(contrib), len(self.classes_), width)
            contrib = blocks[np.arange(len(contrib)), pick]
        contrib = contrib[:, :-1]  # the last column is the bias
        order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
        signals, details = [], []
        for i in range(len(x)):
            items = []
            for j in order[i] if np.any(contrib[i]) else []:
                name, value = self.feature_names_[j], x.iat[i, j]
                items.append(
                    {
                        "feature": name,
                        "value": json_value(value),
                        "contribution": float(contrib[i, j]),
                        "text": self._describe(name, json_value(value)),
                    }
                )
            details.append(items)
            lead = items[0] if items else None
            if lead is None:  # a label that always or never occurred in training
                signals.append(f"{labels[i] if labels else ''}: its training rate".strip(": "))
                details[-1] = []
                continue
            sign = "raises" if lead["contribution"] > 0 else "lowers"
            about = f"{labels[i]}: " if labels else ""
            signals.append(f"{about}{lead['text']} ({sign} it)")
        key = self.task_.entity_key
        out = pd.concat(
            [examples[[key, "anchor_time"]].reset_index(drop=True), self._format(raw)], axis=1
        )
        out["top_signal"] = signals
        out["contributions"] = details
        return out

    def _label_contributions(
        self, x: pd.DataFrame, raw: np.ndarray
    ) -> tuple[np.ndarray, list[str]]:
        """A multilabel row's reasons are those of its likeliest label: each
        row's contributions to that label's booster (zeros for a constant label)."""
        assert self.classes_ is not None
        pick = raw.argmax(axis=1) if raw.size else np.zeros(len(x), dtype=int)
        contrib = np.zeros((len(x), len(self.feature_names_) + 1))
        xp = positional(compact(x))
        for j in np.unique(pick):
            rows = np.flatnonzero(pick == j)
            values = self.ovr_.contributions(xp.iloc[rows], int(j))
            if values is not None:
                contrib[rows] = values
        return contrib, [self.classes_[j] for j in pick]

    def _describe(self, feature: str, value: Any) -> str:
        """A short phrase for one feature at one value (a hook for subclasses)."""
        return describe(feature, value)

    # ------------------------------------------------------------ save/load
    def _state(self) -> dict[str, bytes]:
        meta = {
            "plan": self.inputs_.plan.to_dict(),
            "use_history": self.inputs_.use_history,
            "classes": self.classes_,
            "features": self.feature_names_,
            "best_iterations": self.best_iterations_,
        }
        meta["multilabel"] = getattr(self, "ovr_", None) is not None
        files = {"gbdt.json": json.dumps(meta).encode()}
        if meta["multilabel"]:
            files.update(self.ovr_.to_files("ovr/"))
        for i, booster in enumerate(self.boosters_):
            files[f"booster_{i}.txt"] = booster.model_to_string().encode()
        return files

    def _load_state(self, files: dict[str, bytes]) -> None:
        meta = json.loads(files["gbdt.json"])
        self.inputs_ = TaskInputs(FeaturePlan.from_dict(meta["plan"]), meta["use_history"])
        self.classes_ = meta["classes"]
        self.feature_names_ = meta["features"]
        self.best_iterations_ = meta["best_iterations"]
        self.ovr_ = OneVsRest.from_files(files, "ovr/") if meta.get("multilabel") else None
        self.boosters_ = [
            lgb.Booster(model_str=files[f"booster_{i}.txt"].decode())
            for i in range(len(self.best_iterations_))
        ]
