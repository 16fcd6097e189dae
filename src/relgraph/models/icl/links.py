"""Link prediction for the ``icl`` model (``LIST_DISTINCT(...) RANK TOP k``).

Candidates are rows of the target table. Each (entity, candidate) pair is
described from the query's own past labels, known at the prediction's time:
how many of the entity's last ``LOOKBACK`` windows held the candidate, how
recently (weights decaying by window), and how popular the candidate was
across all entities. Candidates are the entity's own past targets plus the
most popular ones. The pairs of the latest few labelled windows, each marked
by whether the entity's window held the candidate, are the in-context
examples: a small LightGBM model learns how to weigh the features from them
(``lightgbm``), or the pre-trained context transformer scores the pairs from
them directly (``transformer``; at most 2,048 of them, every positive kept
first), or both are averaged (``blend``). With too few positives a fixed
blend (own recency first, popularity second) ranks.

The rule an analyst tries first, the entity's own most frequent targets
(recency, then popularity, breaking ties), competes with the learned ranker:
on the latest labelled window, predicted from the older ones, the rule ranks
every query when its MAP@k beats the learned ranker's in at least
:data:`~relgraph.models.icl.selection.CONFIDENCE` of bootstrap resamples of
the window's entities (a learned ranker that loses to "its usual ones" is a
defect, and the window says so before the query is answered).

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> from relgraph.models.icl.model import IclModel
    >>> db = rg.connect(make_ecommerce(scale=0.05))
    >>> task = rg.Task.from_query(db, "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, "
    ...                           "days) RANK TOP 3 FOR EACH customers.customer_id")
    >>> preds = IclModel().fit(task).predict(task.table("test").head(2))
    >>> [len(p) for p in preds["predicted"]]
    [3, 3]
"""

from __future__ import annotations

import time
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from relgraph.models.core.history import LOOKBACK, horizon_timedelta
from relgraph.models.core.lightgbm import REPRODUCIBLE, objective
from relgraph.models.core.outputs import plain
from relgraph.models.icl.context import LabelCache, context_anchors
from relgraph.models.icl.selection import CONFIDENCE, RESAMPLES
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

if TYPE_CHECKING:
    import lightgbm as lgb

#: Labelled windows the ranking weights are learned from.
LEARN_WINDOWS = 4
#: Weight of a window one step older than another.
DECAY = 0.7
#: Fewest positive pairs needed to learn weights (else the fixed blend ranks).
MIN_POSITIVES = 20
#: Most negative pairs per positive in the transformer's context: keeps the
#: positive rate (at least 3 %) within what it saw in pretraining. Neither
#: link task of benchmarks/icl_predictors.py reaches it (30 and 10 measured
#: the same as no cap).
NEGATIVES_PER_POSITIVE: int | None = 30

FEATURES = [
    "own_windows",
    "own_recency",
    "own_last_age",
    "own_share",
    "pop_recency",
    "pop_windows",
    "entity_windows",
    "entity_items",
]


def rank_links(
    task: Task,
    examples: pd.DataFrame,
    cutoff: pd.Timestamp | None,
    labels: LabelCache,
    mode: Any,
    seed: int,
    predictor: str = "lightgbm",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Ranked candidates per example: ``predicted`` (ids) and ``scores``,
    ``top_signal`` and ``contributions`` (one reason per ranked id).
    ``predictor``: ``"lightgbm"``, ``"transformer"`` or ``"blend"``."""
    key = task.entity_key
    k = task.k or 10
    horizon = horizon_timedelta(task)
    anchors = pd.to_datetime(examples["anchor_time"])
    predicted: list[list[Any]] = [[] for _ in range(len(examples))]
    scores: list[list[float]] = [[] for _ in range(len(examples))]
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(len(examples))]
    label_seconds, learned, used, ruled = 0.0, 0, 0, 0
    for t in sorted(anchors.unique()):
        t = pd.Timestamp(t)
        start = time.perf_counter()
        known_end = t if cutoff is None else min(t, pd.Timestamp(cutoff))
        steps = LEARN_WINDOWS + LOOKBACK
        grid = list(islice(context_anchors(t, horizon, task.earliest, cutoff), steps))
        history = _explode(labels.gather(iter(grid), rows=10**12), key)
        label_seconds += time.perf_counter() - start
        rows = np.flatnonzero((anchors == t).to_numpy())
        query = examples[key].to_numpy()[rows]
        pairs = _pairs(history, known_end, horizon, query, k, key)
        train = _examples(history, grid[:LEARN_WINDOWS], horizon, k, key)
        n = int(train["y"].sum()) if train is not None else 0
        usable = train is not None and n >= MIN_POSITIVES and train["y"].nunique() == 2
        learned += int(usable)
        used += n
        if usable and _rule_wins(train, history, grid[0], k, key, mode, seed, predictor):
            pairs["score"] = rule_scores(pairs)
            ruled += 1
        else:
            pairs["score"] = _score(train if usable else None, pairs, mode, seed, predictor)
        fill = _fill_items(task, known_end, history, k)
        for pos, group in zip(rows, _ranked(pairs, key, query, k), strict=True):
            items = list(group["item"])
            extra = [i for i in fill if i not in set(items)][: k - len(items)]
            predicted[pos] = [plain(i) for i in items + extra]
            scores[pos] = [float(s) for s in group["score"]] + [0.0] * len(extra)
            reasons[pos] = _reasons(group) + [
                {"item": plain(i), "text": "fills the list (no history)"} for i in extra
            ]
    out = pd.DataFrame({"predicted": predicted, "scores": scores})
    out["top_signal"] = [r[0]["text"] if r else "no candidates" for r in reasons]
    out["contributions"] = reasons
    stats = {
        "examples": used,
        "fits": learned,
        "anchors": LEARN_WINDOWS + LOOKBACK,
        "label_seconds": label_seconds,
        "own_rule_anchors": ruled,
    }
    return out, stats


def rule_scores(pairs: pd.DataFrame) -> np.ndarray:
    """The rule's scores: the entity's own windows holding the candidate, its
    recency breaking ties, then its popularity (as the history baseline ranks).

    Example:
        >>> pairs = pd.DataFrame({"own_windows": [2.0, 2.0, 0.0], "own_recency": [0.5, 1.2, 0.0],
        ...                       "pop_recency": [0.1, 0.0, 0.9]})
        >>> np.argsort(-rule_scores(pairs)).tolist()
        [1, 0, 2]
    """
    own = pairs["own_windows"].to_numpy(dtype=float)
    recency = pairs["own_recency"].to_numpy(dtype=float)  # below 1 / (1 - DECAY) < 4
    popularity = pairs["pop_recency"].to_numpy(dtype=float)  # at most LOOKBACK windows
    return own + 1e-2 * recency + 1e-5 * popularity


def _rule_wins(
    train: pd.DataFrame,
    history: pd.DataFrame,
    latest: pd.Timestamp,
    k: int,
    key: str,
    mode: Any,
    seed: int,
    predictor: str,
) -> bool:
    """Whether the own-frequency rule beats the learned ranker on the latest
    labelled window (``latest``; its pairs in ``train``), the ranker learned
    from the other windows' pairs, in at least :data:`CONFIDENCE` of
    bootstrap resamples of the window's entities (MAP@k per entity)."""
    latest_rows = (train["ref"] == latest).to_numpy()
    held, fit = train[latest_rows], train[~latest_rows]
    if held.empty or fit["y"].sum() < MIN_POSITIVES or fit["y"].nunique() < 2:
        return False
    truth = history[pd.to_datetime(history["anchor_time"]) == latest]
    relevant = truth.groupby(key)["item"].nunique()
    learned = _score(fit, held, mode, seed, predictor)
    ap_rule = average_precision(held, rule_scores(held), relevant, key, k)
    ap_learned = average_precision(held, learned, relevant, key, k)
    if ap_rule.mean() <= ap_learned.mean():
        return False
    rng = np.random.default_rng(seed)
    wins = 0
    for _ in range(RESAMPLES):
        rows = rng.integers(0, len(ap_rule), len(ap_rule))
        wins += ap_rule[rows].mean() > ap_learned[rows].mean()
    return wins / RESAMPLES >= CONFIDENCE


def average_precision(
    pairs: pd.DataFrame, score: np.ndarray, relevant: pd.Series, key: str, k: int
) -> np.ndarray:
    """AP@k of each entity of ``relevant`` (its number of true targets),
    ranking its ``pairs`` (with ``y``: a true target) by ``score``; a true
    target that is no candidate counts as missed.

    Example:
        >>> pairs = pd.DataFrame({"e": [1, 1, 1, 2], "y": [0, 1, 1, 0]})
        >>> average_precision(pairs, np.array([3.0, 2.0, 1.0, 1.0]), pd.Series({1: 2, 2: 1}),
        ...                   "e", 3).round(3).tolist()
        [0.583, 0.0]
    """
    ranked = pairs[[key, "y"]].assign(score=score)
    ranked = ranked.sort_values([key, "score"], ascending=[True, False], kind="stable")
    ranked = ranked.groupby(key, sort=False).head(k)
    position = ranked.groupby(key, sort=False).cumcount() + 1
    hits = ranked["y"].to_numpy(dtype=float)
    cumulative = ranked.assign(h=hits).groupby(key, sort=False)["h"].cumsum().to_numpy()
    ranked = ranked.assign(gain=hits * cumulative / position.to_numpy())
    total = ranked.groupby(key)["gain"].sum()
    wanted = relevant.clip(upper=k)
    return (total.reindex(wanted.index, fill_value=0.0) / wanted).to_numpy(dtype=float)


def _explode(labels: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per (entity, anchor, target id) of labelled windows."""
    frame = labels[[key, "anchor_time", "label"]].explode("label").dropna(subset=["label"])
    frame = frame.rename(columns={"label": "item"}).reset_index(drop=True)
    frame["item"] = frame["item"].infer_objects()  # ids as numbers: groupby is far faster
    return frame


def _pairs(
    history: pd.DataFrame,
    ref: pd.Timestamp,
    horizon: pd.Timedelta,
    entities: np.ndarray,
    k: int,
    key: str,
) -> pd.DataFrame:
    """Candidate pairs of ``entities`` at reference time ``ref`` with their
    features, from the windows that ended by ``ref`` (the last ``LOOKBACK``)."""
    # In horizons, rounded: calendar months are not all one length, and every
    # anchor here is a whole number of steps back (a window that ended by ref).
    age = ((ref - pd.to_datetime(history["anchor_time"])) / horizon - 1).round()
    seen = history[(age >= 0) & (age < LOOKBACK)].assign(age=age)
    seen = seen.assign(w=DECAY ** seen["age"])
    mine = seen[seen[key].isin(entities)].groupby([key, "item"], sort=False)
    own = pd.DataFrame(
        {
            "own_windows": mine.size(),
            "own_recency": mine["w"].sum(),
            "own_last_age": mine["age"].min(),
        }
    ).reset_index()
    ent = pd.DataFrame(
        {
            "entity_windows": seen.drop_duplicates([key, "anchor_time"]).groupby(key).size(),
            "entity_items": seen.drop_duplicates([key, "item"]).groupby(key).size(),
        }
    )
    active = max(seen[key].nunique(), 1)
    by_item = seen.groupby("item")["w"]
    pop = pd.DataFrame(
        {"pop_recency": by_item.sum() / active, "pop_windows": by_item.size() / active}
    )
    popular = pop.nlargest(max(3 * k, 20), "pop_recency").index
    grid = pd.DataFrame(
        {key: np.repeat(entities, len(popular)), "item": np.tile(popular.to_numpy(), len(entities))}
    )
    pairs = pd.concat([own, grid], ignore_index=True).drop_duplicates([key, "item"])
    pairs = pairs.join(pop, on="item").join(ent, on=key)
    pairs = pairs.fillna({c: 0.0 for c in FEATURES if c != "own_last_age"})
    pairs["own_last_age"] = pairs["own_last_age"].fillna(LOOKBACK)
    pairs["own_share"] = pairs["own_windows"] / pairs["entity_windows"].clip(lower=1)
    return pairs.reset_index(drop=True)


def _examples(
    history: pd.DataFrame,
    refs: list[pd.Timestamp],
    horizon: pd.Timedelta,
    k: int,
    key: str,
) -> pd.DataFrame | None:
    """The in-context pairs: for each of the latest labelled windows (``ref``),
    the pairs built from the windows before it, ``y`` = whether the entity's
    window held the candidate."""
    parts = []
    for ref in refs:
        truth = history[pd.to_datetime(history["anchor_time"]) == ref]
        if truth.empty:
            continue
        pairs = _pairs(history, ref, horizon, truth[key].unique(), k, key)
        hit = pd.MultiIndex.from_frame(truth[[key, "item"]])
        pairs["y"] = pd.MultiIndex.from_frame(pairs[[key, "item"]]).isin(hit).astype(int)
        parts.append(pairs.assign(ref=ref))
    return pd.concat(parts, ignore_index=True) if parts else None


def _score(
    train: pd.DataFrame | None, pairs: pd.DataFrame, mode: Any, seed: int, predictor: str
) -> np.ndarray:
    if pairs.empty:
        return np.zeros(0)
    if train is None:  # own recency first; popularity breaks ties and ranks newcomers
        return (pairs["own_recency"] + 0.1 * pairs["pop_recency"]).to_numpy(dtype=float)
    x = pairs[FEATURES].to_numpy(dtype=float)
    scores = []
    if predictor in ("lightgbm", "blend"):
        scores.append(_lightgbm(train, mode, seed).predict(x))
    if predictor in ("transformer", "blend"):
        scores.append(_transformer_scores(train, x, seed))
    return np.mean(scores, axis=0)


def _lightgbm(train: pd.DataFrame, mode: Any, seed: int) -> lgb.Booster:
    params = {
        **objective(TaskType.binary_classification),
        "learning_rate": 0.1,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "seed": seed,
        "num_threads": 1,
        **REPRODUCIBLE,
    }
    import lightgbm as lgb  # only when LightGBM scores the pairs

    data = lgb.Dataset(train[FEATURES].to_numpy(dtype=float), train["y"].to_numpy())
    return lgb.train(params, data, min(mode.num_boost_round, 150))


def _transformer_scores(train: pd.DataFrame, x: np.ndarray, seed: int) -> np.ndarray:
    """The transformer's probability that each pair is a hit, from at most
    :data:`~relgraph.models.icl.transformer.TRANSFORMER_CONTEXT` labelled pairs (every
    positive first, up to half of them; negatives drawn at random)."""
    from relgraph.models.icl.transformer import TRANSFORMER_CONTEXT, load_pretrained

    rng = np.random.default_rng(seed)
    y = train["y"].to_numpy()
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    half = TRANSFORMER_CONTEXT // 2
    positives = rng.permutation(positives)[:half]
    room = TRANSFORMER_CONTEXT - len(positives)
    if NEGATIVES_PER_POSITIVE is not None:
        room = min(room, NEGATIVES_PER_POSITIVE * len(positives))
    negatives = rng.permutation(negatives)[:room]
    rows = np.sort(np.concatenate([positives, negatives]))
    context = train[FEATURES].to_numpy(dtype=float)[rows]
    proba = load_pretrained().predict(context, y[rows].astype(float), x, "binary")
    return proba[:, 1]


def _ranked(pairs: pd.DataFrame, key: str, entities: np.ndarray, k: int):
    """The top ``k`` pairs of each entity, in the order of ``entities``."""
    top = pairs.sort_values([key, "score"], ascending=[True, False], kind="stable")
    top = top.groupby(key, sort=False).head(k)
    groups = dict(iter(top.groupby(key, sort=False)))
    empty = top.iloc[:0]
    for entity in entities:
        yield groups.get(entity, empty)


def _fill_items(task: Task, known_end: pd.Timestamp, history: pd.DataFrame, k: int) -> list[Any]:
    """Rows of the target table visible at ``known_end``, the most popular first:
    what fills a list when an entity has fewer than ``k`` candidates."""
    link = task.target_link
    assert link is not None
    table = task.db.schema.tables[link.dst_table]
    frame = task.db.table(link.dst_table)
    if table.time_column is not None:
        frame = frame[pd.to_datetime(frame[table.time_column]) <= known_end]
    counts = history["item"].value_counts()
    ids = pd.Series(frame[link.dst_column].dropna().unique())
    order = ids.map(counts).fillna(0).to_numpy()
    ranked = ids.to_numpy()[np.argsort(-order, kind="stable")]
    return list(ranked[: 3 * k + 10])


def _reasons(group: pd.DataFrame) -> list[dict[str, Any]]:
    """One readable reason per ranked candidate."""
    out = []
    for item, score, windows, age, pop in zip(
        group["item"],
        group["score"],
        group["own_windows"],
        group["own_last_age"],
        group["pop_recency"],
        strict=True,
    ):
        if windows > 0:
            ago = "in the last window" if age == 0 else f"{int(age) + 1} windows ago"
            text = f"{plain(item)}: in {int(windows)} of its last {LOOKBACK} windows, latest {ago}"
        else:
            text = f"{plain(item)}: popular now ({pop:.2f} weighted per active entity)"
        out.append({"item": plain(item), "score": float(score), "text": text})
    return out
