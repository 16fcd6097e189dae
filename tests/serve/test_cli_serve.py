"""``relgraph serve`` as a user starts it: a process of its own, on a free
loopback port, until it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from relgraph.serve.server import free_port
from tests.serve.conftest import CHURN, TOKEN


@pytest.mark.slow
def test_relgraph_serve_process(shop_file: Path, models_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "RELGRAPH_SERVE_TOKEN": TOKEN}
    command = [sys.executable, "-m", "relgraph.cli.main", "serve", str(shop_file)]
    command += ["--port", str(port), "--models", str(models_dir)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "relgraph serve did not start"
            try:
                httpx.get(url + "/docs", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(url + "/info").status_code == 401  # the token from the environment
        info = httpx.get(url + "/info", headers=headers).json()
        assert info["saved_models"] == ["churn_prior.rg"]
        body = {"query": CHURN, "model": "churn_prior.rg", "limit": 2}
        got = httpx.post(url + "/predict", json=body, headers=headers, timeout=60)
        assert got.status_code == 200 and len(got.json()["rows"]) == 2
        # stopped while its suggestions are still being computed: a clean exit all the same
        assert httpx.get(url + "/suggest", headers=headers).json()["status"] in {
            "computing",
            "ready",
        }
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"on http://127.0.0.1:{port}" in err.decode() and "token required" in err.decode()
    assert TOKEN not in err.decode()
