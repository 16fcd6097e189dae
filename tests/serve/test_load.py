"""A short, bounded load test on loopback, 8 requests at a time. The fast
one asks two questions 200 times (answers kept per database version); the
slow one computes each of 60 answers (the long run is `make bench`'s
benchmarks.serve_latency)."""

from __future__ import annotations

import gc

import httpx
import psutil
import pytest

from relgraph.serve import BackgroundServer
from relgraph.serve.load import run_load
from tests.serve.conftest import CHURN

QUESTIONS = [
    {"query": CHURN, "limit": 50, "predictor": "lightgbm"},
    {"query": CHURN, "anchor_time": "2024-10-01", "limit": 50, "predictor": "lightgbm"},
]


def _rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def test_load_repeated_questions(server: BackgroundServer, client: httpx.Client) -> None:
    want = {i: client.post("/predict", json=q).json()["rows"] for i, q in enumerate(QUESTIONS)}
    bodies = [QUESTIONS[i % len(QUESTIONS)] for i in range(200)]
    run_load(server.url, "/predict", bodies[:40], concurrency=8)  # warm-up
    before = _rss_mb()
    result = run_load(server.url, "/predict", bodies, concurrency=8)
    grown = _rss_mb() - before
    summary = result.summary()
    print(f"\nload (kept answers): {summary}, memory {grown:+.1f} MiB")
    assert result.errors == 0, result.statuses
    assert summary["p99_s"] < 2.0 and grown < 50
    for i, q in enumerate(QUESTIONS):  # every answer is its own question's
        assert client.post("/predict", json=q).json()["rows"] == want[i]


@pytest.mark.slow
def test_load_computed_answers(server: BackgroundServer) -> None:
    bodies = [{**QUESTIONS[i % len(QUESTIONS)], "fresh": True} for i in range(60)]
    before = _rss_mb()
    result = run_load(server.url, "/predict", bodies, concurrency=8)
    grown = _rss_mb() - before
    print(f"\nload (computed answers): {result.summary()}, memory {grown:+.1f} MiB")
    assert result.errors == 0, result.statuses
    assert grown < 200
