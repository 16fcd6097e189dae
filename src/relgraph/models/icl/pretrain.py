"""Pretrains the context transformer on synthetic tasks; writes its weights.

The shipped weights (``relgraph/models/icl/weights/icl_transformer.pt``) come from
this script and nothing else: no user data, no benchmark data. Each step draws
a batch of tasks of one kind from :mod:`relgraph.models.icl.prior` (seeded by
the step), splits their rows into context and query, and trains the
transformer to predict the query labels (cross-entropy over classes, or over
bins of the label's normal score for regression).

Usage::

    python -m relgraph.models.icl.pretrain --out weights.pt --minutes 30
    python -m relgraph.models.icl.pretrain --device cuda --minutes 7 --tokens 1500000

The same arguments give the same weights on the same device (up to the
nondeterminism of the device's kernels); ``--minutes`` stops at a time, so
give ``--steps`` for an exact rerun (the saved file records the steps run).

Example:
    >>> from relgraph.models.icl.transformer import ContextTransformer
    >>> model = ContextTransformer(dim=16, heads=2, layers=1, hidden=32)
    >>> log = pretrain(model, steps=2, tokens=2_000, max_context=64, seed=0)
    >>> len(log), sorted(log[0])
    (2, ['kind', 'loss', 'step'])
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from relgraph.models.icl.prior import sample_tasks
from relgraph.models.icl.transformer import (
    MAX_CLASSES,
    ContextTransformer,
    normal_scores,
    prepare,
    score_bins,
)

#: How often each kind of target is drawn.
KIND_SHARES = {"binary": 0.45, "multiclass": 0.2, "regression": 0.35}
#: Query rows per task (the rows whose labels the loss scores).
QUERIES = 128
#: Most raw columns of a synthetic task (the transformer keeps 64 of them).
MAX_COLUMNS = 160


def training_step_tasks(
    step: int,
    seed: int,
    tokens: int,
    max_context: int,
    device: str | torch.device,
    class_score_share: float = 0.5,
) -> tuple[str, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step's tasks: kind, prepared inputs, context labels (as the model
    takes them), query targets and class counts."""
    host = torch.Generator().manual_seed(seed * 1_000_003 + step)
    kinds = list(KIND_SHARES)
    kind = kinds[
        int(torch.multinomial(torch.tensor(list(KIND_SHARES.values())), 1, generator=host))
    ]
    # Context sizes log-uniform, so small and large contexts are both common.
    low, high = math.log(16), math.log(max_context)
    context = int(math.exp(low + (high - low) * float(torch.rand((), generator=host))))
    rows = context + QUERIES
    columns = int(torch.randint(1, MAX_COLUMNS + 1, (), generator=host))
    batch = max(1, tokens // rows)
    tasks = sample_tasks(
        kind,
        batch,
        rows,
        columns,
        seed=seed * 1_000_003 + step,
        device=device,
        class_score_share=class_score_share,
    )
    y = tasks.y
    if kind == "regression":
        scores = normal_scores(y.unsqueeze(-1), context).squeeze(-1)
        y_context, target = scores[:, :context], score_bins(scores[:, context:])
    else:
        y_context, target = y[:, :context], y[:, context:].long()
    x = prepare(tasks.x, y_context, kind, tasks.classes)
    return kind, x, y_context, target, tasks.classes


def task_loss(
    model: ContextTransformer,
    kind: str,
    x: torch.Tensor,
    y_context: torch.Tensor,
    target: torch.Tensor,
    classes: torch.Tensor,
) -> torch.Tensor:
    """Cross-entropy of the query rows (classes beyond a task's count masked)."""
    logits = model(x, y_context, kind).float()
    if kind != "regression":
        unused = torch.arange(MAX_CLASSES, device=x.device) >= classes.view(-1, 1, 1)
        logits = logits.masked_fill(unused, float("-inf"))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def pretrain(
    model: ContextTransformer,
    steps: int | None = None,
    minutes: float | None = None,
    tokens: int = 24_000,
    max_context: int = 1024,
    lr: float = 5e-4,
    seed: int = 0,
    device: str | torch.device = "cpu",
    log_every: int = 0,
    checkpoint: Path | None = None,
    class_score_share: float = 0.5,
) -> list[dict[str, Any]]:
    """Train ``model`` in place for ``steps`` (or until ``minutes`` pass);
    return the loss of every step. With ``checkpoint``, the weights are saved
    there at every log line too (a run cut short still leaves them)."""
    if steps is None and minutes is None:
        raise ValueError("give steps, minutes or both")
    if (steps is not None and steps < 1) or (minutes is not None and minutes <= 0):
        raise ValueError(f"steps must be at least 1 and minutes positive (got {steps}, {minutes})")
    torch.manual_seed(seed)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    planned = steps if steps is not None else 10**9
    warmup = min(500, max(1, planned // 20))
    use_bf16 = torch.device(device).type == "cuda"
    start = time.perf_counter()
    log: list[dict[str, Any]] = []
    recent: dict[str, list[float]] = {k: [] for k in KIND_SHARES}
    step = 0
    while step < planned:
        elapsed = (time.perf_counter() - start) / 60
        if minutes is not None and elapsed >= minutes:
            break
        # Warm-up, then cosine decay to a tenth over the planned steps or minutes.
        progress = step / planned if steps else elapsed / minutes  # type: ignore[operator]
        scale = min(1.0, (step + 1) / warmup) * (
            0.55 + 0.45 * math.cos(math.pi * min(progress, 1.0))
        )
        for group in optimizer.param_groups:
            group["lr"] = lr * scale
        kind, x, y_context, target, classes = training_step_tasks(
            step, seed, tokens, max_context, device, class_score_share
        )
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_bf16):
            loss = task_loss(model, kind, x, y_context, target, classes)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        value = float(loss.detach())
        log.append({"step": step, "kind": kind, "loss": value})
        recent[kind] = (recent[kind] + [value])[-100:]
        step += 1
        if log_every and step % log_every == 0:
            means = "  ".join(f"{k} {sum(v) / len(v):.4f}" for k, v in recent.items() if v)
            print(f"step {step:6d}  {time.perf_counter() - start:7.0f} s  {means}", flush=True)
            if checkpoint is not None:
                save(model, checkpoint, {"steps": step, "partial": True})
    return log


def save(model: ContextTransformer, path: str | Path, info: dict[str, Any]) -> Path:
    """Weights in half precision (the transformer predicts in float32)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "weights": weights, "trained": info}, path)
    return path


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="icl_transformer.pt")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument(
        "--tokens", type=int, default=24_000, help="rows per step, all tasks together"
    )
    parser.add_argument("--max-context", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument(
        "--class-score-share",
        type=float,
        default=0.5,
        help="multiclass tasks whose label is the highest per-class score (0: first stage)",
    )
    parser.add_argument(
        "--init", default=None, help="continue from these weights (their size wins over --dim etc.)"
    )
    args = parser.parse_args(argv)
    if args.steps is None and args.minutes is None:
        parser.error("give --steps, --minutes or both")
    torch.manual_seed(args.seed)
    model = ContextTransformer(args.dim, args.heads, args.layers, args.hidden)
    earlier: dict[str, Any] = {}
    if args.init:
        state = torch.load(args.init, map_location="cpu", weights_only=True)
        model = ContextTransformer(**state["config"])
        model.load_state_dict({k: v.float() for k, v in state["weights"].items()})
        earlier = state["trained"]
        if earlier.get("seed") == args.seed:  # tasks are seeded by (seed, step)
            parser.error(
                f"--init continues a run of seed {args.seed}: give another --seed, "
                "or the same tasks would be drawn again"
            )
    started = time.perf_counter()
    log = pretrain(
        model,
        steps=args.steps,
        minutes=args.minutes,
        tokens=args.tokens,
        max_context=args.max_context,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        log_every=50,
        checkpoint=Path(args.out),
        class_score_share=args.class_score_share,
    )
    info = {
        "steps": len(log),
        "seed": args.seed,
        "tokens": args.tokens,
        "max_context": args.max_context,
        "lr": args.lr,
        "class_score_share": args.class_score_share,
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
        "seconds": round(time.perf_counter() - started, 1),
        "final_loss": {
            kind: sum(r["loss"] for r in log[-300:] if r["kind"] == kind)
            / max(1, sum(r["kind"] == kind for r in log[-300:]))
            for kind in KIND_SHARES
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m relgraph.models.icl.pretrain " + " ".join(argv),
    }
    if earlier:
        info["continued_from"] = earlier
    path = save(model.cpu(), args.out, info)
    print(f"wrote {path} after {len(log)} steps: {info['final_loss']}")


if __name__ == "__main__":
    main()
