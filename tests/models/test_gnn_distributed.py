"""Data-parallel GNN training: the gradient of a batch split over processes
equals one process's, and ``torchrun`` with two processes trains a model as
good as one process's (slow: it starts two Python processes with torch)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import relgraph as rg
from relgraph.models.gnn import distributed

CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
SMALL_GNN = ["hidden=16", "epochs=3", "ensemble=1", "fanout=[4,2]"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def batch_gradient(rank: int, size: int, port: int, out: str) -> None:
    """One step of a batch of 7 examples split over ``size`` processes, as the
    trainer splits it; rank 0 writes the summed gradient."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=size)
    try:
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        x, y = torch.randn(7, 3, generator=torch.Generator().manual_seed(1)), torch.ones(7, 1)
        idx = np.arange(7)
        mine = distributed.share_of_batch(idx)
        loss = torch.nn.functional.l1_loss(net(x[mine]), y[mine])
        (loss * (len(mine) / len(idx))).backward()
        distributed.sum_gradients(net)
        if rank == 0:
            torch.save([p.grad for p in net.parameters()], out)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # two spawned processes import torch: tens of seconds on two cores
def test_a_batch_split_over_processes_has_the_whole_batchs_gradient(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    x, y = torch.randn(7, 3, generator=torch.Generator().manual_seed(1)), torch.ones(7, 1)
    torch.nn.functional.l1_loss(net(x), y).backward()
    alone = [p.grad for p in net.parameters()]
    out = str(tmp_path / "grads.pt")
    mp.spawn(batch_gradient, args=(2, free_port(), out), nprocs=2, join=True)
    for a, b in zip(alone, torch.load(out), strict=True):
        torch.testing.assert_close(a, b)


def train(shop: Path, out: Path, processes: int, model: str = "gnn") -> subprocess.CompletedProcess:
    cli = ["-m", "relgraph.cli.main", "train", str(shop), CHURN, "--model", model, "--json"]
    cli += ["--out", str(out)]
    for p in SMALL_GNN if model == "gnn" else []:
        cli += ["--param", p]
    if processes > 1:
        run = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
        cli = run + cli
    return subprocess.run(
        [sys.executable, *cli], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_torchrun_two_processes_train_as_well_as_one(tmp_path: Path) -> None:
    shop = tmp_path / "shop.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "relgraph.cli.main",
            "demo",
            "ecommerce",
            "--out",
            str(shop),
            "--scale",
            "0.1",
        ],
        check=True,
        capture_output=True,
    )
    one = train(shop, tmp_path / "one.rg", 1)
    two = train(shop, tmp_path / "two.rg", 2)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    a, b = json.loads(one.stdout), json.loads(two.stdout)  # one process printed
    # the same updates, sampled differently: within seed noise of each other
    assert abs(a["val"] - b["val"]) < 0.05 and abs(a["test"] - b["test"]) < 0.05
    model = rg.load(tmp_path / "two.rg", rg.connect(str(shop)))
    assert len(model.predict(model.task_.table("test").head(5))) == 5
    refused = train(shop, tmp_path / "g.rg", 2, model="gbdt")
    assert refused.returncode != 0 and "only gnn trains on several processes" in refused.stderr
    assert not (tmp_path / "g.rg").exists()
