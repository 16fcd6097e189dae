"""A bounded load run against a server: ``n`` requests, ``concurrency`` at
a time, each request's latency and status (the load test and
``benchmarks/serve_latency.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np


@dataclass
class LoadResult:
    """Latencies (seconds) and statuses of a load run, in the order sent."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def errors(self) -> int:
        """Requests that did not get 200."""
        return sum(s != 200 for s in self.statuses)

    def summary(self) -> dict[str, Any]:
        """p50, p90, p99 and mean latency, throughput and errors.

        Example:
            >>> LoadResult([0.1, 0.2, 0.3], [200, 200, 200], 0.6).summary()["p50_s"]
            0.2
        """
        lat = np.asarray(self.latencies)
        return {
            "requests": len(self.statuses),
            "errors": self.errors,
            "p50_s": round(float(np.percentile(lat, 50)), 4),
            "p90_s": round(float(np.percentile(lat, 90)), 4),
            "p99_s": round(float(np.percentile(lat, 99)), 4),
            "mean_s": round(float(lat.mean()), 4),
            "max_s": round(float(lat.max()), 4),
            "throughput_per_s": round(len(lat) / self.wall_seconds, 2)
            if self.wall_seconds
            else None,
            "wall_s": round(self.wall_seconds, 3),
        }


def run_load(
    url: str,
    path: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    headers: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> LoadResult:
    """POST each of ``bodies`` to ``url + path``, ``concurrency`` at a time
    (one keep-alive connection per worker thread).

    Args:
        url (str): the server, e.g. ``http://127.0.0.1:8000``.
        path (str): the endpoint, e.g. ``/predict``.
        bodies (list[dict]): the JSON bodies, sent in order.
        concurrency (int): requests in flight at once.
        headers (dict, optional): e.g. the token's ``Authorization``.
        timeout (float): seconds per request. (default: 120)
    """
    local = threading.local()
    clients: list[httpx.Client] = []
    result = LoadResult(latencies=[0.0] * len(bodies), statuses=[0] * len(bodies))

    def one(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, headers=headers, timeout=timeout)
            clients.append(local.client)
        start = time.perf_counter()
        try:
            status = local.client.post(path, json=bodies[i]).status_code
        except httpx.HTTPError:
            status = -1
        result.latencies[i] = time.perf_counter() - start
        result.statuses[i] = status

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(len(bodies))))
    result.wall_seconds = time.perf_counter() - start
    for client in clients:
        client.close()
    return result
