"""Training one GNN net: shuffled epochs of sampled batches with Adam and a
cosine schedule, early stopping on the validation score, then (optionally) a
fresh net refit on training and validation examples for the chosen epochs.

The trainer reaches the model only through :class:`TrainableNet`: the net
being trained, a fresh net, the head outputs of a batch of seeds, and the
predictions of seeds. Every random draw is seeded by the member's seed, so a
fit is reproducible. Under ``torchrun`` each process trains on its share of
every batch (:mod:`relgraph.models.gnn.distributed`).

Example:
    >>> import torch
    >>> net = torch.nn.Linear(2, 1)
    >>> settings = TrainingSettings(epochs=2, lr=0.01)
    >>> optimizer, schedule = make_optimizer(net, settings, num_examples=100, batch_size=10)
    >>> round(schedule.get_last_lr()[0], 4)
    0.01
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import Tensor, nn

from relgraph.models.gnn.distributed import same_start, share_of_batch, sum_across, sum_gradients
from relgraph.models.gnn.objectives import Objective


@dataclass
class TrainingSettings:
    """The knobs of :class:`~relgraph.models.gnn.model.GNNModel` that training reads
    (see its docstring for each)."""

    epochs: int = 10
    lr: float = 0.005
    weight_decay: float = 0.0
    schedule: str | None = "cosine"
    patience: int = 3
    max_steps_per_epoch: int | None = None
    refit_with_val: bool = True


@dataclass
class Seeds:
    """Examples as the sampler sees them: entity rows, anchor seconds, and
    their targets (or their labels, for validation)."""

    rows: np.ndarray
    anchors: np.ndarray
    target: Tensor | None = None
    labels: pd.Series | None = None


class TrainableNet(Protocol):
    """What the trainer needs of a model."""

    net_: nn.Module

    def new_net(self) -> None:
        """Replace ``net_`` by a freshly initialised net (seeded by the member)."""

    def seed_outputs(self, rows: np.ndarray, anchors: np.ndarray, random_seed: Any) -> Tensor:
        """Head outputs of the seeds' sampled subgraphs."""

    def seed_predictions(self, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Predictions (raw outputs) of the seeds, in batches, without gradients."""


def make_optimizer(
    net: nn.Module, settings: TrainingSettings, num_examples: int, batch_size: int
) -> tuple[torch.optim.Optimizer, Any]:
    """Adam and its learning-rate schedule, stepped once per batch: a half
    cosine to zero over ``epochs`` epochs of ``num_examples``, or constant."""
    optimizer = torch.optim.Adam(
        net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    steps = -(-num_examples // batch_size)
    if settings.max_steps_per_epoch:
        steps = min(steps, settings.max_steps_per_epoch)
    total = max(steps * settings.epochs, 1)
    cosine = settings.schedule == "cosine"

    def factor(step: int) -> float:
        if not cosine:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def progress_bar(visible: bool) -> Progress:
    """Steps of the current epoch with the running loss (hidden unless ``visible``)."""
    return Progress(
        TextColumn("gnn {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(),
        console=Console(stderr=True, quiet=not visible),
        transient=True,
    )


class Trainer:
    """Trains the nets of one fit, member after member.

    Args:
        settings: epochs, learning rate, schedule, early stopping, refit.
        objective: targets, loss and validation score of the task.
        batch_size: examples per step.
        bar: the progress display (its console prints the epoch lines).
        log: called with ``(what, record)`` after every epoch.
    """

    def __init__(
        self,
        settings: TrainingSettings,
        objective: Objective,
        batch_size: int,
        bar: Progress,
        log: Callable[[str, dict[str, float]], None],
    ) -> None:
        self.settings = settings
        self.objective = objective
        self.batch_size = batch_size
        self.bar = bar
        self.log = log
        self.loss_fn = objective.loss()
        self.history: list[dict[str, float]] = []

    def train(
        self, model: TrainableNet, train: Seeds, val: Seeds | None, net_seed: int, member: int
    ) -> int:
        """Epochs with early stopping on ``val``, then the optional refit with
        it; ``model.net_`` ends trained. Returns the best epoch (0-based)."""
        s = self.settings
        same_start(model.net_)
        optimizer = make_optimizer(model.net_, s, len(train.rows), self.batch_size)
        rng = np.random.default_rng(net_seed)
        best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
        for epoch in range(s.epochs):
            start = time.perf_counter()
            loss = self._epoch(model, optimizer, train, rng, epoch, net_seed)
            record = {"member": member, "epoch": epoch, "loss": loss}
            if val is not None:
                score = self.objective.score(
                    val.labels, model.seed_predictions(val.rows, val.anchors)
                )
                record["val"] = score
            else:
                score = float(epoch)  # no validation: keep the last epoch
            record["seconds"] = time.perf_counter() - start
            self.history.append(record)
            self.log(f"epoch {epoch + 1}/{s.epochs}", record)
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy(model.net_.state_dict())
            else:
                stale += 1
                if stale >= s.patience:
                    break
        if best_state is not None:
            model.net_.load_state_dict(best_state)
        if s.refit_with_val and val is not None:
            # Validation labels are known before test_time and nearest to it:
            # once early stopping has chosen the epochs, learn from them too.
            self._refit(model, train, val, best_epoch, net_seed, member)
        return best_epoch

    def _refit(
        self,
        model: TrainableNet,
        train: Seeds,
        val: Seeds,
        best_epoch: int,
        net_seed: int,
        member: int,
    ) -> None:
        v_target = self.objective.targets(val.labels)
        keep = self.objective.known(v_target)
        both = Seeds(
            rows=np.concatenate([train.rows, val.rows[keep]]),
            anchors=np.concatenate([train.anchors, val.anchors[keep]]),
            target=torch.cat([train.target, v_target[torch.from_numpy(keep)]]),
        )
        model.new_net()
        same_start(model.net_)
        optimizer = make_optimizer(model.net_, self.settings, len(both.rows), self.batch_size)
        rng = np.random.default_rng(net_seed)
        for epoch in range(best_epoch + 1):
            start = time.perf_counter()
            loss = self._epoch(model, optimizer, both, rng, epoch, net_seed)
            record = {
                "member": member,
                "epoch": epoch,
                "loss": loss,
                "seconds": time.perf_counter() - start,
            }
            self.log(f"refit with val {epoch + 1}/{best_epoch + 1}", record)

    def _epoch(
        self,
        model: TrainableNet,
        optimizer: tuple[torch.optim.Optimizer, Any],
        seeds: Seeds,
        rng: np.random.Generator,
        epoch: int,
        net_seed: int,
    ) -> float:
        """One shuffled pass (or ``max_steps_per_epoch`` steps); the mean loss."""
        model.net_.train()
        order = rng.permutation(len(seeds.rows))
        if self.settings.max_steps_per_epoch:
            order = order[: self.settings.max_steps_per_epoch * self.batch_size]
        total, seen = 0.0, 0
        steps = range(0, len(order), self.batch_size)
        bar = self.bar.add_task(f"epoch {epoch + 1}", total=len(steps), loss=float("nan"))
        for step, lo in enumerate(steps):
            idx = order[lo : lo + self.batch_size]
            mine = share_of_batch(idx)  # all of it in one process
            optimizer[0].zero_grad()
            if len(mine):
                random_seed = (net_seed, epoch, step)
                out = model.seed_outputs(seeds.rows[mine], seeds.anchors[mine], random_seed)
                loss = self.loss_fn(out, seeds.target[mine].to(out.device))
                # this process's share of the batch's mean loss
                (loss * (len(mine) / len(idx))).backward()
                total += loss.item() * len(mine)
                seen += len(mine)
            sum_gradients(model.net_)
            optimizer[0].step()
            optimizer[1].step()
            self.bar.update(bar, advance=1, loss=total / max(seen, 1))
        self.bar.remove_task(bar)
        return sum_across(total) / max(sum_across(seen), 1)
