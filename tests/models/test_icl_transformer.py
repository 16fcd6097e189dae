"""The pre-trained context transformer: its preprocessing, the synthetic prior
and pretraining loop, and the shipped weights on tasks they never saw. The
``icl`` model with each predictor, end to end, is tested in test_icl.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relgraph.models.icl.pretrain import pretrain, save
from relgraph.models.icl.prior import sample_tasks
from relgraph.models.icl.transformer import (
    WIDTH,
    ContextColumns,
    ContextTransformer,
    load_pretrained,
    normal_scores,
    prepare,
)


def _auroc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


# ---------------------------------------------------------------- preprocessing
def test_normal_scores_rank_against_the_context_only() -> None:
    x = torch.tensor([[1.0], [2.0], [3.0], [float("nan")], [100.0], [-5.0], [2.0]]).view(1, -1, 1)
    scores = normal_scores(x, context=4)[0, :, 0]
    # context 1, 2, 3 (NaN not counted); order kept; NaN stays NaN
    assert scores[0] < scores[1] < scores[2] and torch.isnan(scores[3])
    # beyond the context's range: clipped to its extremes; equal values, equal scores
    assert scores[4] == scores[2] and scores[5] == scores[0] and scores[6] == scores[1]
    assert abs(float(scores[1])) < 1e-6  # the middle of three is the median


def test_prepare_orders_by_strength_and_signs() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.5).astype(np.float32)
    noise = rng.normal(size=400)
    strong_negative = -3 * y + rng.normal(size=400)
    weak = y + 2 * rng.normal(size=400)
    x = torch.tensor(np.stack([noise, weak, strong_negative], 1), dtype=torch.float32)[None]
    out = prepare(x, torch.tensor(y)[None], "binary", torch.tensor([2]))
    assert out.shape == (1, 400, WIDTH)
    first = out[0, :, 0].numpy()
    # the strong column comes first, sign flipped so it rises with the label
    assert np.corrcoef(first, y)[0, 1] > 0.7
    assert np.allclose(out[0, :, 3:].numpy(), 0)  # padding


def test_missing_values_become_an_indicator_column() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.4).astype(np.float32)
    x = rng.normal(size=(300, 1))
    x[y == 1, 0] = np.nan  # missing exactly where the label is 1
    x = torch.tensor(x, dtype=torch.float32)[None]
    out = prepare(x, torch.tensor(y)[None], "binary", torch.tensor([2]))
    assert np.corrcoef(out[0, :, 0].numpy(), y)[0, 1] > 0.99


def _reference_prepare(x, y_context, kind, classes):  # noqa: ANN001, ANN202
    """prepare as one function over context and query rows together (how it
    was written before the context's part was kept): the reference."""
    context = y_context.shape[1]
    scores = normal_scores(x, context)
    batch, rows, _ = scores.shape
    missing = scores[:, :context].isnan().any(dim=1, keepdim=True).expand(batch, rows, -1)
    indicators = torch.where(missing, scores.isnan().float(), 0.0)
    indicators = torch.where(
        missing, indicators - indicators[:, :context].mean(1, keepdim=True), 0.0
    )
    columns = torch.cat([scores.nan_to_num(nan=0.0), indicators], dim=-1)
    if kind == "multiclass":
        target = torch.nn.functional.one_hot(y_context.long(), 10).float()
        target = target * (torch.arange(10) < classes.view(-1, 1, 1))
    else:
        target = y_context.unsqueeze(-1)
    target = target - target.mean(1, keepdim=True)
    ctx = columns[:, :context] - columns[:, :context].mean(1, keepdim=True)
    corr = torch.einsum("brc,brt->bct", ctx, target) / (
        ctx.norm(dim=1).unsqueeze(-1) * target.norm(dim=1).unsqueeze(1) + 1e-9
    )
    if kind == "multiclass":
        strength, sign = corr.abs().amax(-1), torch.ones_like(corr[..., 0])
    else:
        strength, sign = corr[..., 0].abs(), torch.where(corr[..., 0] < 0, -1.0, 1.0)
    keep = min(WIDTH, columns.shape[-1])
    order = torch.argsort(strength, dim=-1, descending=True)[:, :keep]
    picked = torch.gather(columns, 2, order.unsqueeze(1).expand(batch, rows, keep))
    picked = picked * torch.gather(sign, 1, order).unsqueeze(1)
    return torch.nn.functional.pad(picked, (0, WIDTH - keep)) if keep < WIDTH else picked


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("columns", [5, 90])
def test_context_columns_prepare_as_one_pass_did(kind: str, columns: int) -> None:
    """The context's part kept (ContextColumns) and applied to query rows later
    gives exactly what preparing context and query rows together gives."""
    gen = torch.Generator().manual_seed(columns)
    x = torch.randn(3, 70, columns, generator=gen).round(decimals=1)  # ties
    x[torch.rand(x.shape, generator=gen) < 0.1] = float("nan")
    x[:, :, 0] = float("nan")  # a column with nothing in it
    if kind == "regression":
        y = normal_scores(torch.randn(3, 50, 1, generator=gen), 50)[..., 0]
    else:
        y = torch.randint(0, 3 if kind == "multiclass" else 2, (3, 50), generator=gen).float()
    classes = torch.tensor([3, 3, 3] if kind == "multiclass" else [2, 2, 2])
    want = _reference_prepare(x, y, kind, classes)
    assert torch.equal(prepare(x, y, kind, classes), want)
    fitted = ContextColumns(x[:, :50], y, kind, classes)
    assert torch.equal(fitted.apply(fitted.scores(x[:, 50:])), want[:, 50:])
    assert torch.equal(fitted.apply(fitted.scores(x[:, :50])), want[:, :50])


# ---------------------------------------------------------------- prior and pretraining
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_prior_draws_tasks_of_each_kind(kind: str) -> None:
    tasks = sample_tasks(kind, batch=8, rows=300, columns=20, seed=3)
    assert tasks.x.shape == (8, 300, 20) and tasks.y.shape == (8, 300)
    again = sample_tasks(kind, batch=8, rows=300, columns=20, seed=3)
    assert torch.equal(tasks.x.nan_to_num(-1), again.x.nan_to_num(-1))  # seeded
    if kind == "binary":
        assert set(tasks.y.unique().tolist()) <= {0.0, 1.0}
    if kind == "multiclass":
        assert ((tasks.y >= 0) & (tasks.y < tasks.classes.view(-1, 1))).all()
        assert (tasks.classes >= 3).all() and (tasks.classes <= 10).all()
    if kind == "regression":
        assert torch.isfinite(tasks.y).all() and tasks.y.std() > 0


@pytest.mark.slow  # pretrains the context transformer for enough steps to learn
def test_pretraining_lowers_the_loss() -> None:
    torch.manual_seed(0)
    model = ContextTransformer(dim=32, heads=2, layers=2, hidden=64)
    log = pretrain(model, steps=60, tokens=6_000, max_context=128, seed=1, lr=2e-3)
    binary = [r["loss"] for r in log if r["kind"] == "binary"]
    assert np.mean(binary[-8:]) < np.mean(binary[:8]) - 0.02


def test_saved_weights_load_and_predict_alike(tmp_path) -> None:
    model = ContextTransformer(dim=16, heads=2, layers=1, hidden=32)
    path = save(model, tmp_path / "w.pt", {"steps": 0})
    again = load_pretrained(str(path))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(float)
    first = model.predict(x[:40], y[:40], x[40:], "binary")
    second = again.predict(x[:40], y[:40], x[40:], "binary")
    assert np.allclose(first, second, atol=2e-3)  # stored in half precision


# ---------------------------------------------------------------- the shipped weights
def test_shipped_weights_learn_from_context_on_unseen_tasks() -> None:
    """Tasks the transformer never saw: it must do far better than chance."""
    model = load_pretrained()
    rng = np.random.default_rng(7)
    n = 700
    x = rng.lognormal(size=(n, 12))  # skewed, like counts and sums
    x[rng.random(x.shape) < 0.1] = np.nan
    signal = np.log(np.nan_to_num(x[:, 2], nan=1.0)) - 0.7 * np.log(np.nan_to_num(x[:, 5], nan=1.0))
    y = (signal + 0.5 * rng.normal(size=n) > 0.8).astype(float)
    proba = model.predict(x[:500], y[:500], x[500:], "binary")
    assert proba.shape == (200, 2) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert _auroc(y[500:], proba[:, 1]) > 0.85

    value = np.exp(signal) * 10 + rng.normal(size=n)
    median = model.predict(x[:500], value[:500], x[500:], "regression")
    mae = np.abs(median - value[500:]).mean()
    assert mae < 0.7 * np.abs(np.median(value[:500]) - value[500:]).mean()
    assert median.min() >= value[:500].min() and median.max() <= value[:500].max()

    classes = np.digitize(signal, np.quantile(signal[:500], [0.33, 0.66]))
    order = np.array([2, 0, 1])[classes]  # class indices carry no order
    scores = model.predict(x[:500], order[:500], x[500:], "multiclass", classes=3)
    assert scores.shape == (200, 3)
    assert (scores.argmax(1) == order[500:]).mean() > 0.6


def test_query_rows_do_not_see_each_other() -> None:
    model = load_pretrained()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(260, 5))
    y = (x[:, 1] > 0).astype(float)
    together = model.predict(x[:200], y[:200], x[200:], "binary")
    alone = np.concatenate(
        [model.predict(x[:200], y[:200], x[i : i + 1], "binary") for i in range(200, 260)]
    )
    assert np.allclose(together, alone, atol=1e-5)


def test_chunks_of_query_rows_agree() -> None:
    """The context is encoded once; every chunk of query rows is scaled against it alone."""
    model = load_pretrained()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 6))
    y = rng.exponential(size=400)
    whole = model.predict(x[:300], y[:300], x[300:], "regression")
    chunked, contributions = model.predict(
        x[:300], y[:300], x[300:], "regression", attributions=True, chunk=7
    )
    assert np.allclose(whole, chunked, atol=1e-4)
    assert contributions.shape == (100, 6)


def test_attributions_point_at_the_signal() -> None:
    model = load_pretrained()
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 6))
    y = (x[:, 4] + 0.3 * rng.normal(size=500) > 0).astype(float)
    proba, contributions = model.predict(x[:400], y[:400], x[400:], "binary", attributions=True)
    assert contributions.shape == (100, 6)
    assert np.abs(contributions).mean(0).argmax() == 4
    # a high value of the signal raises the probability
    assert np.corrcoef(contributions[:, 4], x[400:, 4])[0, 1] > 0.5
    assert np.allclose(proba, model.predict(x[:400], y[:400], x[400:], "binary"), atol=1e-5)


def test_pretraining_script_writes_loadable_weights_and_continues(tmp_path) -> None:
    from relgraph.models.icl.pretrain import main

    small = ["--tokens", "2000", "--max-context", "32", "--dim", "16", "--heads", "2"]
    small += ["--layers", "1", "--hidden", "32"]
    first = tmp_path / "first.pt"
    main(["--steps", "3", "--out", str(first), *small])
    state = torch.load(first, weights_only=True)
    assert state["trained"]["steps"] == 3 and state["config"]["dim"] == 16
    second = tmp_path / "second.pt"
    with pytest.raises(SystemExit):  # the same seed would draw the first run's tasks again
        main(["--steps", "2", "--init", str(first), "--out", str(second), *small])
    main(["--steps", "2", "--seed", "1", "--init", str(first), "--out", str(second), *small])
    state = torch.load(second, weights_only=True)
    assert state["trained"]["continued_from"]["steps"] == 3
    model = load_pretrained(str(second))
    x = np.random.default_rng(0).normal(size=(40, 3))
    assert model.predict(x[:30], (x[:30, 0] > 0).astype(float), x[30:], "binary").shape == (10, 2)


def test_pretrain_rejects_no_steps() -> None:
    model = ContextTransformer(dim=16, heads=2, layers=1, hidden=32)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        pretrain(model, steps=0)


def test_regression_maps_scores_back_to_the_labels() -> None:
    """The context's own extremes map back to themselves (no pull to the middle)."""
    from relgraph.models.icl.transformer import _from_scores

    y = np.random.default_rng(0).exponential(size=30)
    scores = normal_scores(torch.tensor(y, dtype=torch.float32).view(1, -1, 1), 30)
    back = _from_scores(scores.view(-1).numpy(), y)
    assert np.allclose(back, y, rtol=1e-4)


def test_empty_query_and_absent_classes() -> None:
    model = load_pretrained()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 3))
    assert model.predict(x, (x[:, 0] > 0).astype(float), x[:0], "binary").shape == (0, 2)
    labels = (x[:, 0] > 0).astype(int)  # classes 0 and 1 of 3: class 2 never seen
    scores = model.predict(x[:80], labels[:80], x[80:], "multiclass", classes=3)
    assert np.allclose(scores[:, 2], 0) and np.allclose(scores.sum(1), 1)


def test_categories_are_encoded_out_of_fold() -> None:
    from relgraph.models.icl.model import _as_numbers

    rng = np.random.default_rng(0)
    y = (rng.random(1000) < 0.5).astype(float)
    noise = pd.Series(rng.integers(0, 50, 1000).astype(str)).astype("category")
    frame = pd.DataFrame({"c": noise, "t": pd.to_datetime(["2024-01-02"] * 999 + [None])})
    context, query = _as_numbers(frame, y, frame.head(5), "binary")
    # from the other folds' labels, a noise category tells nothing in the context
    assert abs(np.corrcoef(context[:, 0], y)[0, 1]) < 0.1
    # a telling one still does
    telling = pd.Series(np.where(y == 1, "a", "b")).where(np.arange(1000) % 4 > 0, "c")
    ctx, _ = _as_numbers(
        pd.DataFrame({"c": telling.astype("category")}), y, frame.head(0), "binary"
    )
    assert np.corrcoef(ctx[:, 0], y)[0, 1] > 0.8
    assert np.isnan(context[-1, 1]) and context[0, 1] == pytest.approx(19724.0)


def test_a_query_category_is_encoded_as_the_same_value_in_the_context() -> None:
    """An integer-coded category with missing values in the context and none
    in the query (Lahman's birth months) is one value on both sides: the
    query gets that value's mean label, not the prior."""
    from relgraph.models.icl.model import _as_numbers

    y = np.array([1.0] * 30 + [0.0] * 30 + [1.0] * 5)
    months = pd.Categorical([3] * 30 + [7] * 30 + [None] * 5, categories=[3, 7])
    query = pd.DataFrame({"m": pd.Categorical([3, 7], categories=[3, 7])})
    context, encoded = _as_numbers(pd.DataFrame({"m": months}), y, query, "binary")
    assert encoded[0, 0] > 0.75 and encoded[1, 0] < 0.25  # (30 + 10 p) / 40, 10 p / 40
    assert context[:30, 0].mean() > 0.75 and context[30:60, 0].mean() < 0.25
