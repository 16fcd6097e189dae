"""A transformer pre-trained to predict from context: no fitting at query time.

Given labelled context rows and unlabelled query rows of one task (any table
of numbers), one forward pass predicts the query rows. Its weights ship with
the package (``weights/icl_transformer.pt``); they were learned once on
synthetic tasks (:mod:`relgraph.models.icl.prior`) by
``python -m relgraph.models.icl.pretrain``, never on a user's data.

At query time:

1. **columns to a common scale** (:func:`prepare`): each column becomes the
   normal score of its rank among the context rows (so counts, amounts and
   days look alike), missing values become 0 with a missing-indicator column,
   and the :data:`WIDTH` columns most correlated with the context labels are
   kept, strongest first, signed so that higher means "more positive";
2. **one forward pass** (:class:`ContextTransformer`): every row is a token;
   context tokens also carry their label; in each layer every token attends
   to the context tokens only, so query rows never see each other and the
   context is encoded independently of them;
3. **the output**: class probabilities, or for regression a distribution over
   the label's normal score whose median is mapped back through the context
   labels' quantiles (the median is what MAE rewards).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 5)); y = (x[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(float)
    >>> model = load_pretrained()
    >>> proba = model.predict(x[:200], y[:200], x[200:], "binary")
    >>> proba.shape, float(((proba[:, 1] > 0.5) == y[200:]).mean()) > 0.8
    ((100, 2), True)
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Columns the transformer sees (more are ranked and cut; fewer are padded).
WIDTH = 64
#: Most context rows the transformer sees at once (as in its pretraining);
#: a larger context is split into parts whose predictions are averaged.
TRANSFORMER_CONTEXT = 2048
#: Contexts kept, each its sorted columns (4 bytes per column and context row)
#: and its encoding (about 8 MB for 2,048 context rows).
KEPT_ENCODINGS = 4
_ENCODINGS_LOCK = threading.Lock()
#: Most classes of a multiclass task.
MAX_CLASSES = 10
#: Bins of the regression output, over the normal score of the label.
BINS = 64
#: The normal scores the bins cover.
SCORE_RANGE = 3.5
#: The kinds of task, as the network's kind embedding numbers them.
_KINDS = {"binary": 0, "multiclass": 1, "regression": 2}
#: Where the shipped weights are.
WEIGHTS = Path(__file__).parent / "weights" / "icl_transformer.pt"


# ---------------------------------------------------------------- preprocessing
def normal_scores(values: torch.Tensor, context: int) -> torch.Tensor:
    """Each column's values as the normal score of their mid-rank among the
    first ``context`` rows; NaN stays NaN.

    ``values``: (batch, rows, columns) -> the same shape.
    """
    return _rank_scores(*_sorted_context(values[:, :context]), values)


def _sorted_context(x_context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each column's context values sorted (NaN last, as inf), and how many
    are not NaN: (batch, columns, context), (batch, columns, 1)."""
    ctx = x_context.transpose(1, 2)
    valid = (~ctx.isnan()).sum(-1, keepdim=True).clamp(min=1)
    ordered = torch.sort(ctx.nan_to_num(nan=float("inf")), dim=-1).values.contiguous()
    return ordered, valid


def _rank_scores(ordered: torch.Tensor, valid: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``values`` (batch, rows, columns) as normal scores of their mid-rank
    among the sorted context values of their column; NaN stays NaN."""
    query = values.transpose(1, 2).contiguous()
    filled = query.nan_to_num(nan=0.0)
    left = torch.searchsorted(ordered, filled, right=False)
    right = torch.searchsorted(ordered, filled, right=True)
    # inf padding sits after the valid values, so counts above `valid` are clipped
    left, right = left.clamp(max=valid), right.clamp(max=valid)
    cdf = (left + right).float() / (2 * valid)
    cdf = torch.minimum(torch.maximum(cdf, 0.5 / valid), 1 - 0.5 / valid)
    score = math.sqrt(2) * torch.erfinv(2 * cdf - 1)
    score = score.masked_fill(query.isnan(), float("nan"))
    return score.transpose(1, 2)


def _label_targets(y: torch.Tensor, kind: str, classes: torch.Tensor) -> torch.Tensor:
    """What the columns are correlated with: (batch, rows, targets)."""
    if kind == "multiclass":
        onehot = F.one_hot(y.long().clamp(min=0), MAX_CLASSES).float()
        used = torch.arange(MAX_CLASSES, device=y.device) < classes.view(-1, 1, 1)
        return onehot * used
    return y.unsqueeze(-1)


def prepare(
    x: torch.Tensor, y_context: torch.Tensor, kind: str, classes: torch.Tensor
) -> torch.Tensor:
    """Columns of ``x`` (batch, rows, columns; the first rows are the context,
    as many as ``y_context`` has) as the transformer sees them:
    (batch, rows, :data:`WIDTH`): normal scores against the context, missing
    indicators added, the :data:`WIDTH` columns most correlated with the
    context labels kept, strongest first, signed to correlate positively
    (binary, regression); see :class:`ContextColumns`.

    For regression ``y_context`` must already be normal scores.
    """
    fitted = ContextColumns(x[:, : y_context.shape[1]], y_context, kind, classes)
    return fitted.apply(fitted.scores(x))


class ContextColumns:
    """What :func:`prepare` reads from the context rows alone, computed once:
    each column's sorted context values, which columns miss values there,
    and the :data:`WIDTH` columns kept with their signs. :meth:`apply` then
    prepares any rows (context or query) as :func:`prepare` would, so a
    context used again (another chunk of query rows, a warm server's next
    question) is not sorted and correlated again.

    Args:
        x_context: (1, context, columns) raw values.
        y_context: (1, context) labels (normal scores for regression).
        kind, classes: as for :func:`prepare`.

    Example:
        >>> x = torch.randn(1, 50, 3); y = (x[0, :, 0] > 0).float().view(1, -1)
        >>> q = torch.randn(1, 7, 3); n = torch.tensor([2])
        >>> fitted = ContextColumns(x, y, "binary", n)
        >>> whole = prepare(torch.cat([x, q], dim=1), y, "binary", n)
        >>> bool(torch.equal(fitted.apply(fitted.scores(q)), whole[:, 50:]))
        True
    """

    def __init__(
        self, x_context: torch.Tensor, y_context: torch.Tensor, kind: str, classes: torch.Tensor
    ) -> None:
        self.ordered, self.valid = _sorted_context(x_context)
        scores = self.scores(x_context)
        self.missing = scores.isnan().any(dim=1, keepdim=True)  # (batch, 1, columns)
        indicators = torch.where(self.missing, scores.isnan().float(), 0.0)
        self.indicator_mean = indicators.mean(1, keepdim=True)
        columns = self._columns(scores)
        # Correlation of each column with the context labels (per class for
        # multiclass); it only chooses and signs columns, so no gradient flows in it.
        target = _label_targets(y_context, kind, classes)
        target = target - target.mean(1, keepdim=True)
        ctx_columns = columns.detach() - columns.detach().mean(1, keepdim=True)
        corr = torch.einsum("brc,brt->bct", ctx_columns, target) / (
            ctx_columns.norm(dim=1).unsqueeze(-1) * target.norm(dim=1).unsqueeze(1) + 1e-9
        )
        if kind == "multiclass":
            strength, sign = corr.abs().amax(-1), torch.ones_like(corr[..., 0])
        else:
            strength, sign = corr[..., 0].abs(), torch.where(corr[..., 0] < 0, -1.0, 1.0)
        self.keep = min(WIDTH, columns.shape[-1])
        self.order = torch.argsort(strength, dim=-1, descending=True)[:, : self.keep]
        self.sign = torch.gather(sign, 1, self.order).unsqueeze(1)

    def scores(self, values: torch.Tensor) -> torch.Tensor:
        """Each value's normal score among the context's values of its column
        (mid-rank), as :func:`normal_scores`; NaN stays NaN.
        (batch, rows, columns) -> the same shape."""
        return _rank_scores(self.ordered, self.valid, values)

    def apply(self, scores: torch.Tensor) -> torch.Tensor:
        """Rows' normal scores (:meth:`scores`; gradients flow through them)
        -> (batch, rows, :data:`WIDTH`) as :func:`prepare` gives them."""
        columns = self._columns(scores)
        batch, rows, _ = columns.shape
        picked = torch.gather(columns, 2, self.order.unsqueeze(1).expand(batch, rows, self.keep))
        picked = picked * self.sign
        return F.pad(picked, (0, WIDTH - self.keep)) if self.keep < WIDTH else picked

    def _columns(self, scores: torch.Tensor) -> torch.Tensor:
        """Scores with NaN as 0, and the missing indicators (centred on the
        context; only real where the column misses values in the context)."""
        missing = self.missing.expand_as(scores)
        indicators = torch.where(missing, scores.isnan().float(), 0.0)
        indicators = torch.where(missing, indicators - self.indicator_mean, 0.0)
        return torch.cat([scores.nan_to_num(nan=0.0), indicators], dim=-1)


def score_bins(scores: torch.Tensor) -> torch.Tensor:
    """The regression bin of each normal score."""
    edges = (scores + SCORE_RANGE) / (2 * SCORE_RANGE) * BINS
    return edges.floor().long().clamp(0, BINS - 1)


def bin_centres() -> torch.Tensor:
    width = 2 * SCORE_RANGE / BINS
    return -SCORE_RANGE + width * (torch.arange(BINS) + 0.5)


# ---------------------------------------------------------------- the network
class _Block(nn.Module):
    """Pre-norm attention of every row to the context rows, then a feed-forward."""

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def context_step(
        self, context: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Context rows attend to each other: the updated rows, and the keys and
        values the query rows attend to."""
        q, k, v = self.qkv(self.norm1(context)).chunk(3, dim=-1)
        return self._residual(context, self._attend(q, k, v)), k, v

    def query_step(self, query: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Query rows attend to the context rows (never to each other)."""
        dim = query.shape[-1]
        # the query rows need only their own queries: a third of the projection
        q = F.linear(self.norm1(query), self.qkv.weight[:dim], self.qkv.bias[:dim])
        return self._residual(query, self._attend(q, k, v))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        batch, rows, dim = q.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, t.shape[1], self.heads, dim // self.heads).transpose(1, 2)

        out = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
        return out.transpose(1, 2).reshape(batch, rows, dim)

    def _residual(self, h: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        h = h + self.out(attended)
        return h + self.ffn(self.norm2(h))


class ContextTransformer(nn.Module):
    """Predicts query rows from labelled context rows in one forward pass.

    Args:
        dim (int): Token width. (default: 128)
        heads (int): Attention heads. (default: 4)
        layers (int): Attention blocks. (default: 8)
        hidden (int): Feed-forward width. (default: 384)
    """

    def __init__(self, dim: int = 128, heads: int = 4, layers: int = 8, hidden: int = 384) -> None:
        super().__init__()
        self.config = {"dim": dim, "heads": heads, "layers": layers, "hidden": hidden}
        self.rows_in = nn.Sequential(nn.Linear(WIDTH, dim), nn.GELU(), nn.Linear(dim, dim))
        self.class_in = nn.Embedding(MAX_CLASSES, dim)
        self.value_in = nn.Sequential(nn.Linear(1, dim), nn.GELU(), nn.Linear(dim, dim))
        self.kind_in = nn.Embedding(3, dim)  # binary, multiclass, regression
        self.blocks = nn.ModuleList(_Block(dim, heads, hidden) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.class_out = nn.Linear(dim, MAX_CLASSES)
        self.value_out = nn.Linear(dim, BINS)

    def forward(self, x: torch.Tensor, y_context: torch.Tensor, kind: str) -> torch.Tensor:
        """Logits of the query rows: classes, or regression bins.

        ``x`` (batch, rows, :data:`WIDTH`) from :func:`prepare`, context rows
        first; ``y_context`` (batch, context): class indices, or normal scores.
        """
        n = y_context.shape[1]
        return self.query_logits(x[:, n:], self.encode_context(x[:, :n], y_context, kind), kind)

    def encode_context(
        self, x_context: torch.Tensor, y_context: torch.Tensor, kind: str
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The keys and values of the context rows in every block: all that
        query rows need, so any number of them can be predicted from one encoding."""
        if kind == "regression":
            label = self.value_in(y_context.unsqueeze(-1))
        else:
            label = self.class_in(y_context.long())
        h = self.rows_in(x_context) + self.kind_in.weight[_KINDS[kind]] + label
        cache = []
        for block in self.blocks:
            h, k, v = block.context_step(h)
            cache.append((k, v))
        return cache

    def query_logits(
        self, x_query: torch.Tensor, cache: list[tuple[torch.Tensor, torch.Tensor]], kind: str
    ) -> torch.Tensor:
        """Logits of query rows from an encoded context."""
        h = self.rows_in(x_query) + self.kind_in.weight[_KINDS[kind]]
        for block, (k, v) in zip(self.blocks, cache, strict=True):
            h = block.query_step(h, k, v)
        h = self.norm(h)
        return self.value_out(h) if kind == "regression" else self.class_out(h)

    # ------------------------------------------------------------ inference on numpy
    def predict(
        self,
        x_context: np.ndarray,
        y_context: np.ndarray,
        x_query: np.ndarray,
        kind: str,
        classes: int = 2,
        attributions: bool = False,
        chunk: int = 2048,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Class probabilities (rows, classes), or regression medians (rows,).

        ``y_context``: 0/1 or class indices (``classes`` of them), or real
        values. With ``attributions``, also each input column's contribution
        per query row: gradient times input of the predicted class's log-odds
        (binary: the positive class's), or of the predicted mean normal score;
        zero for columns the transformer did not keep.
        """
        values, contributions = self._predict(
            x_context, y_context, x_query, kind, classes, chunk, attributions
        )
        return (values, contributions) if attributions else values

    def _predict(self, x_context, y_context, x_query, kind, classes, chunk, attribute):
        self.eval()
        if kind == "multiclass" and not 2 <= classes <= MAX_CLASSES:
            raise ValueError(f"the transformer handles 2 to {MAX_CLASSES} classes (got {classes})")
        if len(x_query) == 0:
            shape = (0,) if kind == "regression" else (0, classes)
            return np.zeros(shape), (np.zeros((0, np.shape(x_context)[1])) if attribute else None)
        if kind == "multiclass":  # the head trained for it scored lower (README)
            return self._one_vs_rest(x_context, y_context, x_query, classes, chunk, attribute)
        xc = torch.as_tensor(np.asarray(x_context, dtype=np.float32))
        xq = torch.as_tensor(np.asarray(x_query, dtype=np.float32))
        yc = np.asarray(y_context, dtype=np.float64)
        if kind == "regression":
            y_model = normal_scores(
                torch.as_tensor(yc, dtype=torch.float32).view(1, -1, 1), len(yc)
            )
            y_model = y_model.view(1, -1)
        else:
            y_model = torch.as_tensor(yc, dtype=torch.float32).view(1, -1)
        n_classes = torch.tensor([classes])
        outputs, contributions = [], []
        # The context's columns and encoding depend on the context alone: kept
        # for the next call over the same context (a warm server's next question).
        digest = _context_digest(xc, y_model, kind, classes)
        kept = self._encodings().get(digest)
        if kept is None:
            with torch.no_grad():
                fitted = ContextColumns(xc.unsqueeze(0), y_model, kind, n_classes)
                prepared = fitted.apply(fitted.scores(xc.unsqueeze(0)))
                kept = (fitted, self.encode_context(prepared, y_model, kind))
            self._keep_encoding(digest, kept)
        fitted, encoding = kept
        for start in range(0, len(xq), chunk):
            scores = fitted.scores(xq[start : start + chunk].unsqueeze(0))
            with torch.enable_grad() if attribute else torch.no_grad():
                if attribute:  # the query rows' scores as a leaf: the context stays constant
                    leaf = scores.nan_to_num(nan=0.0).detach().requires_grad_(True)
                    scores = torch.where(scores.isnan(), scores, leaf)
                logits = self.query_logits(fitted.apply(scores), encoding, kind)[0]
                out, target = _outputs(logits, kind)
                if attribute:
                    (grad,) = torch.autograd.grad(target.sum(), leaf)
                    contributions.append((grad[0] * leaf[0]).detach().numpy())
            outputs.append(out.detach().numpy())
        result = np.concatenate(outputs)
        if kind == "regression":
            result = _from_scores(result, yc)
        return result, (np.concatenate(contributions) if attribute else None)

    def _encodings(self) -> OrderedDict:
        if not hasattr(self, "_kept_encodings"):
            self._kept_encodings: OrderedDict = OrderedDict()
        return self._kept_encodings

    def _keep_encoding(self, digest: str, cache: list) -> None:
        kept = self._encodings()
        with _ENCODINGS_LOCK:
            kept[digest] = cache
            while len(kept) > KEPT_ENCODINGS:
                kept.popitem(last=False)

    def _one_vs_rest(self, x_context, y_context, x_query, classes, chunk, attribute):
        """Multiclass as one binary question per class ("this class or another?"),
        normalised: each pass picks and signs the columns for its own class."""
        labels = np.asarray(y_context)
        scores, contributions = [], []
        for c in range(classes):
            if not (labels == c).any():  # a class this context never shows scores 0
                scores.append(np.zeros(len(x_query)))
                contributions.append(np.zeros(np.shape(x_query)) if attribute else None)
                continue
            proba, contrib = self._predict(
                x_context, (labels == c).astype(float), x_query, "binary", 2, chunk, attribute
            )
            scores.append(proba[:, 1])
            contributions.append(contrib)
        proba = np.stack(scores, axis=1)
        proba = proba / proba.sum(axis=1, keepdims=True)
        if not attribute:
            return proba, None
        chosen = proba.argmax(axis=1)
        stacked = np.stack(contributions, axis=0)  # (classes, rows, columns)
        return proba, stacked[chosen, np.arange(len(chosen))]


def _context_digest(xc: torch.Tensor, y: torch.Tensor, kind: str, classes: int) -> str:
    """A digest of what a context's encoding reads."""
    h = hashlib.sha256(f"{kind}|{classes}|{tuple(xc.shape)}".encode())
    h.update(xc.numpy().tobytes())
    h.update(y.detach().numpy().tobytes())
    return h.hexdigest()


def _outputs(logits: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """What the query rows get (the two class probabilities, or the median
    normal score), and a smooth quantity to attribute: the log-odds of the
    positive class, or the mean normal score. (Multiclass runs as binary passes.)"""
    if kind == "regression":
        probs = logits.softmax(-1)
        centres = bin_centres()
        return _median_of_bins(probs, centres), (probs * centres).sum(-1)
    log_p = logits[:, :2].log_softmax(-1)
    return log_p.exp(), log_p[:, 1] - log_p[:, 0]


def _median_of_bins(probs: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """The median of a distribution over equal bins, interpolated inside its bin."""
    cumulative = probs.cumsum(-1)
    index = (cumulative < 0.5).sum(-1).clamp(max=BINS - 1)
    below = torch.where(
        index > 0, cumulative.gather(-1, (index - 1).clamp(min=0).unsqueeze(-1)).squeeze(-1), 0.0
    )
    inside = probs.gather(-1, index.unsqueeze(-1)).squeeze(-1).clamp(min=1e-9)
    width = 2 * SCORE_RANGE / BINS
    return centres[index] - width / 2 + width * ((0.5 - below) / inside).clamp(0, 1)


def _from_scores(scores: np.ndarray, y_context: np.ndarray) -> np.ndarray:
    """Normal scores back to label values through the context's quantiles."""
    quantiles = torch.special.ndtr(torch.as_tensor(scores, dtype=torch.float64)).numpy()
    # "hazen" puts the i-th of n sorted labels at (i + 0.5) / n, as normal_scores does
    return np.quantile(y_context, quantiles, method="hazen")


@lru_cache(maxsize=1)
def load_pretrained(path: str | None = None) -> ContextTransformer:
    """The shipped transformer (or one saved by ``icl_pretrain`` at ``path``)."""
    state: dict[str, Any] = torch.load(path or WEIGHTS, map_location="cpu", weights_only=True)
    model = ContextTransformer(**state["config"])
    model.load_state_dict({k: v.float() for k, v in state["weights"].items()})
    model.eval()
    return model
