"""Data-parallel GNN training over several processes (``torchrun``).

Every process builds the same model from the same database (the graph, the
encoders and a net initialised from the same seed, so all start equal) and
draws the same shuffled order of training examples. Each step's batch is split
across the processes (process ``r`` of ``n`` takes every ``n``-th example from
the ``r``-th); each computes the gradient of its share of the batch's mean
loss, and the shares are summed across processes before the optimiser steps.
The update is therefore the one a single process would make on the whole
batch, and the nets stay identical. Every process scores the whole validation
split itself, so all stop at the same epoch without another message.

``torchrun`` sets ``RANK``, ``WORLD_SIZE`` and ``MASTER_ADDR``/``PORT``;
:func:`start_from_env` joins that group (gloo on CPU, NCCL on GPU). Without
it every function here is the single-process identity.

Example:
    >>> world()  # not started under torchrun: one process
    (0, 1)
    >>> share_of_batch(np.arange(5)).tolist()
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch import nn


def start_from_env(device: str = "cpu") -> bool:
    """Join the process group ``torchrun`` describes in the environment
    (``WORLD_SIZE`` above 1); False when there is none to join."""
    if dist.is_available() and dist.is_initialized():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return True


@contextlib.contextmanager
def process_group(device: str = "cpu") -> Iterator[int]:
    """Within it, this process is in ``torchrun``'s group (if it was started
    by one); yields the number of processes."""
    started = start_from_env(device)
    try:
        yield world()[1]
    finally:
        if started:
            stop()


def stop() -> None:
    """Leave the process group (when one was joined)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def world() -> tuple[int, int]:
    """This process's rank and the number of processes (``(0, 1)`` alone)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    """Whether this process writes files and prints (rank 0)."""
    return world()[0] == 0


def share_of_batch(idx: np.ndarray) -> np.ndarray:
    """This process's examples of a batch: every ``n``-th from its rank."""
    rank, size = world()
    return idx[rank::size]


def sum_gradients(net: nn.Module) -> None:
    """Sum every parameter's gradient across the processes (a parameter this
    process gave no gradient counts as zeros), in one message."""
    if world()[1] == 1:
        return
    params = list(net.parameters())
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset : offset + n].view_as(p).clone()
        offset += n


def sum_across(value: float) -> float:
    """``value`` summed over the processes (itself alone)."""
    if world()[1] == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item())


def same_start(net: nn.Module) -> None:
    """Give every process rank 0's weights (they are equal by seed already;
    this makes it so whatever the initialiser does)."""
    if world()[1] == 1:
        return
    for tensor in net.state_dict().values():
        dist.broadcast(tensor, src=0)
