"""Synthetic prediction tasks for pretraining the context transformer.

The transformer of :mod:`relgraph.models.icl.transformer` learns to predict
query rows from labelled context rows. It is pretrained on tasks drawn from
this prior, never on a real database: each task is a table whose columns
imitate relgraph's automatic relational features (counts and sums over
windows: skewed, zero-inflated, often missing, several noisy views of one
quantity) and whose target depends on them through a random smooth function
or random thresholds (what trees find), with label noise.

How a task is drawn (all batched in torch, so it runs on a GPU as well):

1. latent factors ``z`` per row (a few, Gaussian, sometimes in clusters);
2. the target's latent value: a random MLP or a sum of random steps of ``z``;
3. columns: random MLP views of ``z``, noisy copies of the target's latent
   value (the target's own history is such a column in real tasks), and pure
   noise; each column then gets a random monotone shape (exp for counts, ReLU
   for zero-inflation, rounding), noise, and sometimes missing values (more
   often where the latent value is low: "no rows, no average");
4. the label: the latent value thresholded at a random rate (binary), cut in
   3-10 classes or the highest of per-class scores (multiclass), or shaped
   and rounded (regression).

Example:
    >>> task = sample_tasks("binary", batch=2, rows=50, columns=7, seed=0)
    >>> tuple(task.x.shape), tuple(task.y.shape), sorted(task.y.unique().tolist())
    ((2, 50, 7), (2, 50), [0.0, 1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

#: The kinds of target the prior draws.
KINDS = ("binary", "multiclass", "regression")


@dataclass
class SyntheticTasks:
    """A batch of tasks: ``x`` (batch, rows, columns, NaN = missing), ``y``
    (batch, rows: 0/1, a class index, or a real value) and, for multiclass,
    ``classes`` (batch,): how many classes each task has."""

    x: torch.Tensor
    y: torch.Tensor
    classes: torch.Tensor


class _Generators:
    """Random streams: small choices drawn on the host, tensors on the device."""

    def __init__(self, seed: int, device: str | torch.device) -> None:
        self.host = torch.Generator().manual_seed(seed)
        self.dev = torch.Generator(device=device).manual_seed(seed + 1)


def _uniform(shape, low, high, generator, device):
    return low + (high - low) * torch.rand(shape, generator=generator.dev, device=device)


def _random_mlp(z: torch.Tensor, width: int, generator, layers: int = 2) -> torch.Tensor:
    """A random MLP applied per task: (batch, rows, k) -> (batch, rows, width)."""
    batch, _, k = z.shape
    device = z.device
    h = z
    for layer in range(layers):
        out = width if layer == layers - 1 else max(width, 8)
        weight = torch.randn(batch, h.shape[-1], out, generator=generator.dev, device=device)
        weight = weight / math.sqrt(h.shape[-1])
        bias = 0.5 * torch.randn(batch, 1, out, generator=generator.dev, device=device)
        h = h @ weight + bias
        if layer < layers - 1:
            h = (
                torch.tanh(h)
                if torch.rand((), generator=generator.host) < 0.5
                else torch.relu(h) * 1.4
            )
    return h


def _random_steps(z: torch.Tensor, steps: int, generator) -> torch.Tensor:
    """A sum of random axis-aligned steps and their pairwise products: (batch, rows)."""
    batch, rows, k = z.shape
    device = z.device
    total = torch.zeros(batch, rows, device=device)
    for _ in range(steps):
        dim = torch.randint(0, k, (batch, 1, 1), generator=generator.dev, device=device)
        threshold = torch.randn(batch, 1, generator=generator.dev, device=device) * 0.8
        picked = torch.gather(z, 2, dim.expand(batch, rows, 1)).squeeze(-1)
        step = (picked > threshold).float()
        if torch.rand((), generator=generator.host) < 0.4:  # an interaction of two columns
            dim2 = torch.randint(0, k, (batch, 1, 1), generator=generator.dev, device=device)
            other = torch.gather(z, 2, dim2.expand(batch, rows, 1)).squeeze(-1)
            step = (
                step
                * (other > torch.randn(batch, 1, generator=generator.dev, device=device)).float()
            )
        total = total + torch.randn(batch, 1, generator=generator.dev, device=device) * step
    return total


def _standardise(v: torch.Tensor) -> torch.Tensor:
    return (v - v.mean(dim=1, keepdim=True)) / (v.std(dim=1, keepdim=True) + 1e-6)


def _shape_columns(x: torch.Tensor, generator) -> torch.Tensor:
    """Random monotone shapes per column, as relational aggregates have."""
    batch, rows, columns = x.shape
    device = x.device
    x = _standardise(x)
    pick = torch.randint(0, 5, (batch, 1, columns), generator=generator.dev, device=device)
    scale = _uniform((batch, 1, columns), 0.3, 1.5, generator, device)
    counts = torch.floor(
        torch.exp(scale * x) * _uniform((batch, 1, columns), 0.5, 5, generator, device)
    )
    zero_inflated = torch.relu(
        x - torch.randn(batch, 1, columns, generator=generator.dev, device=device) * 0.7
    )
    skewed = torch.exp(scale * x)
    rounded = torch.round(x * _uniform((batch, 1, columns), 0.5, 3, generator, device))
    shaped = torch.where(
        pick == 0,
        x,
        torch.where(
            pick == 1,
            counts,
            torch.where(pick == 2, zero_inflated, torch.where(pick == 3, skewed, rounded)),
        ),
    )
    sign = torch.where(
        torch.rand(batch, 1, columns, generator=generator.dev, device=device) < 0.5, -1.0, 1.0
    )
    offset = torch.randn(batch, 1, columns, generator=generator.dev, device=device) * 3
    return shaped * sign * _uniform((batch, 1, columns), 0.1, 10, generator, device) + offset


def sample_tasks(
    kind: str,
    batch: int,
    rows: int,
    columns: int,
    seed: int = 0,
    device: str | torch.device = "cpu",
    class_score_share: float = 0.5,
) -> SyntheticTasks:
    """Draw ``batch`` tasks of one ``kind`` with ``rows`` rows and ``columns``
    feature columns each (see the module docstring); the same ``seed`` gives
    the same tasks on the same device. ``class_score_share``: how many
    multiclass tasks take the highest of per-class scores (the others cut one
    latent value); 0 draws exactly the tasks of the first pretraining stage."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (got {kind!r})")
    g = _Generators(seed, device)
    latent = int(torch.randint(2, 13, (), generator=g.host))
    z = torch.randn(batch, rows, latent, generator=g.dev, device=device)
    if torch.rand((), generator=g.host) < 0.3:  # clusters: customers of a few kinds
        k = int(torch.randint(2, 6, (), generator=g.host))
        centres = torch.randn(batch, k, latent, generator=g.dev, device=device) * 1.5
        member = torch.randint(0, k, (batch, rows), generator=g.dev, device=device)
        z = z * 0.6 + torch.gather(centres, 1, member.unsqueeze(-1).expand(batch, rows, latent))

    # The target's latent value: smooth, steps, or both.
    choice = float(torch.rand((), generator=g.host))
    smooth = _random_mlp(z, 1, g, layers=int(torch.randint(1, 4, (), generator=g.host))).squeeze(-1)
    steps = _random_steps(z, int(torch.randint(2, 12, (), generator=g.host)), g)
    if choice < 0.4:
        value = _standardise(smooth)
    elif choice < 0.7:
        value = _standardise(steps)
    else:
        value = _standardise(_standardise(smooth) + _standardise(steps))
    # Only part of it is predictable.
    noise_level = 0.1 + 1.4 * float(torch.rand((), generator=g.host))
    noisy_value = value + noise_level * torch.randn(batch, rows, generator=g.dev, device=device)
    # Multiclass, half the time: each class has its own score (a customer's
    # usual channel, say), the label is the highest, noisily; proxies are scores.
    class_scores = None
    # (with a share of 0 nothing is drawn here, so the stream is the first stage's)
    if (
        kind == "multiclass"
        and class_score_share > 0
        and torch.rand((), generator=g.host) < class_score_share
    ):
        layers = int(torch.randint(1, 3, (), generator=g.host))
        class_scores = _standardise(_random_mlp(z, 10, g, layers=layers))
        class_scores = class_scores + 0.7 * torch.randn(
            batch, 1, 10, generator=g.dev, device=device
        )

    # Columns: views of z, noisy proxies of the target, pure noise.
    proxies = int(torch.randint(0, min(4, columns) + 1, (), generator=g.host))
    pure_noise = int(torch.randint(0, max(1, columns // 3) + 1, (), generator=g.host))
    pure_noise = min(pure_noise, columns - proxies)
    views = columns - proxies - pure_noise
    parts = []
    if views > 0:
        layers = int(torch.randint(1, 3, (), generator=g.host))
        mixed = _random_mlp(z, views, g, layers=layers)
        # Several windows of one quantity: columns that copy another, plus noise.
        if views > 1 and torch.rand((), generator=g.host) < 0.7:
            source = torch.randint(0, views, (views,), generator=g.host)
            copied = mixed[..., source.to(device)]
            keep = torch.rand(views, generator=g.host) < 0.5
            mixed = torch.where(keep.to(device), mixed, copied)
        mixed = mixed + _uniform((batch, 1, views), 0.05, 1.0, g, device) * torch.randn(
            batch, rows, views, generator=g.dev, device=device
        )
        parts.append(mixed)
    if proxies:
        spread = _uniform((batch, 1, proxies), 0.2, 2.5, g, device)
        if class_scores is None:
            target = value.unsqueeze(-1)
        else:  # classes 0-2 exist in every task
            target = class_scores[..., torch.randint(0, 3, (proxies,), generator=g.host).to(device)]
        parts.append(
            target + spread * torch.randn(batch, rows, proxies, generator=g.dev, device=device)
        )
    if pure_noise:
        parts.append(torch.randn(batch, rows, pure_noise, generator=g.dev, device=device))
    x = torch.cat(parts, dim=-1)
    x = x[..., torch.randperm(columns, generator=g.host).to(device)]
    x = _shape_columns(x, g)
    # Missing values: some columns, more often on rows where the column is low.
    missing_columns = torch.rand(batch, 1, columns, generator=g.dev, device=device) < 0.25
    rate = _uniform((batch, 1, columns), 0.05, 0.7, g, device)
    informative = torch.rand(batch, 1, columns, generator=g.dev, device=device) < 0.6
    low = torch.argsort(torch.argsort(x, dim=1), dim=1).float() / rows < rate
    random = torch.rand(batch, rows, columns, generator=g.dev, device=device) < rate
    missing = missing_columns & torch.where(informative, low, random)
    x = x.masked_fill(missing, float("nan"))

    classes = torch.full((batch,), 2, dtype=torch.long, device=device)
    if kind == "binary":
        rate = _uniform((batch, 1), 0.03, 0.5, g, device)
        sorted_value = torch.sort(noisy_value, dim=1).values
        threshold = torch.gather(sorted_value, 1, ((1 - rate) * (rows - 1)).long())
        y = (noisy_value > threshold).float()
        flip = torch.rand(batch, 1, generator=g.dev, device=device) < 0.5  # rare class either way
        y = torch.where(flip, 1 - y, y)
    elif kind == "multiclass" and class_scores is not None:
        classes = torch.randint(3, 11, (batch,), generator=g.dev, device=device)
        noisy = class_scores + noise_level * torch.randn(
            batch, rows, 10, generator=g.dev, device=device
        )
        unused = torch.arange(10, device=device) >= classes.view(-1, 1, 1)
        y = noisy.masked_fill(unused, float("-inf")).argmax(-1).float()
    elif kind == "multiclass":
        classes = torch.randint(3, 11, (batch,), generator=g.dev, device=device)
        cuts = torch.sort(torch.rand(batch, 10, generator=g.dev, device=device), dim=1).values
        sorted_value = torch.sort(noisy_value, dim=1).values
        index = (cuts * (rows - 1)).long()
        edges = torch.gather(sorted_value, 1, index)
        used = torch.arange(10, device=device).unsqueeze(0) < (classes - 1).unsqueeze(1)
        edges = torch.where(used, edges, torch.full_like(edges, float("inf")))
        y = (noisy_value.unsqueeze(-1) > edges.unsqueeze(1)).sum(-1).float()
        # Class indices carry no order in general: permute the first C of them.
        keys = torch.rand(batch, 10, generator=g.dev, device=device)
        keys = keys.masked_fill(
            torch.arange(10, device=device) >= classes.unsqueeze(1), float("inf")
        )
        y = torch.gather(torch.argsort(keys, dim=1), 1, y.long()).float()
    else:
        shape = float(torch.rand((), generator=g.host))
        y = noisy_value
        if shape < 0.3:
            y = torch.exp(y * _uniform((batch, 1), 0.3, 1.2, g, device))
        elif shape < 0.5:  # ranks or positions: small integers
            y = torch.round(
                (y - y.min(dim=1, keepdim=True).values) * _uniform((batch, 1), 1, 6, g, device)
            )
        y = (
            y * _uniform((batch, 1), 0.1, 100, g, device)
            + torch.randn(batch, 1, generator=g.dev, device=device) * 10
        )
    return SyntheticTasks(x=x, y=y, classes=classes)
