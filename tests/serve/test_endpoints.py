"""Each endpoint of ``relgraph serve`` over a real server, against the same
call in-process."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

import relgraph as rg
from tests.serve.conftest import CHURN

SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (17, 42)"


def test_info_and_docs(client: httpx.Client) -> None:
    info = client.get("/info").json()
    assert info["database_version"] >= 1 and info["tables"] == 5 and info["watching"]
    assert info["saved_models"] == ["churn_prior.rg"]
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/schema", "/check", "/labels", "/predict", "/evaluate", "/jobs/{job_id}"} <= set(paths)


def test_schema(client: httpx.Client, shop_file: Path) -> None:
    got = client.get("/schema").json()
    assert got["schema"] == rg.connect(shop_file).schema.to_dict()
    assert "orders" in got["schema"]["tables"]


def test_check_ok_and_errors_point_at_the_mistake(client: httpx.Client) -> None:
    ok = client.post("/check", json={"query": CHURN})
    assert ok.status_code == 200 and ok.json()["task_type"] == "binary_classification"
    typo = CHURN.replace("orders.*", "orderz.*")
    bad = client.post("/check", json={"query": typo})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["type"] == "pql" and "orderz" in error["message"]
    assert typo[error["start"] : error["end"]] == "orderz"
    syntax = client.post("/check", json={"query": "PREDICT COUNT(orders.* 0, 30, days) = 0"})
    error = syntax.json()["error"]
    assert syntax.status_code == 422 and error["type"] == "pql_syntax"
    assert error["line"] == 1 and error["column"] == 24 and error["expected"]


def test_labels_summary(client: httpx.Client, shop_file: Path) -> None:
    got = client.post("/labels", json={"query": CHURN, "horizon": "30d"}).json()
    want = rg.Task.from_query(rg.connect(shop_file), CHURN, horizon="30d").summary()
    assert got["splits"]["train"]["examples"] == want["splits"]["train"]["examples"]
    assert got["splits"]["test"]["labels"] == pytest.approx(want["splits"]["test"]["labels"])


def test_predict_equals_python_and_is_kept(client: httpx.Client, shop_file: Path) -> None:
    body = {"query": SPEND, "anchor_time": "2024-10-01", "predictor": "lightgbm"}
    first = client.post("/predict", json=body).json()
    want = rg.predict(rg.connect(shop_file), SPEND, anchor_time="2024-10-01", predictor="lightgbm")
    assert [r["customer_id"] for r in first["rows"]] == [17, 42]
    assert [r["prediction"] for r in first["rows"]] == pytest.approx(want["prediction"].tolist())
    assert [r["top_signal"] for r in first["rows"]] == want["top_signal"].tolist()
    assert first["task_type"] == "regression" and first["predictor"] == "lightgbm"
    assert first["anchor_time"] == "2024-10-01 00:00:00" and not first["cached"]
    assert {"labels", "features", "prediction"} <= set(first["timings"])
    again = client.post("/predict", json=body).json()
    assert again["cached"] and again["rows"] == first["rows"]
    fresh = client.post("/predict", json={**body, "fresh": True}).json()
    assert not fresh["cached"]
    assert [r["prediction"] for r in fresh["rows"]] == pytest.approx(want["prediction"].tolist())


def test_predict_every_entity_with_explain_and_limit(client: httpx.Client) -> None:
    body = {"query": CHURN, "explain": True, "limit": 5, "predictor": "transformer"}
    got = client.post("/predict", json=body).json()
    assert got["rows_total"] > 100 and len(got["rows"]) == 5
    assert "the latest time in the database" in got["anchor_note"]
    row = got["rows"][0]
    assert 0 <= row["probability"] <= 1 and row["top_signal"]
    assert {"text", "path", "hops", "contribution"} <= set(row["contributions"][0])
    assert got["context"]["examples"] > 100


def test_predict_without_reasons_for_bulk_scoring(client: httpx.Client) -> None:
    body = {"query": CHURN, "reasons": False, "limit": 5, "predictor": "transformer"}
    got = client.post("/predict", json=body).json()
    assert got["rows_total"] > 100 and "top_signal" not in got["rows"][0]
    explained = client.post("/predict", json={**body, "reasons": True}).json()
    assert [r["probability"] for r in got["rows"]] == pytest.approx(
        [r["probability"] for r in explained["rows"]]
    )
    both = client.post("/predict", json={**body, "explain": True})
    assert both.status_code >= 400 and "reasons" in both.json()["error"]["message"]


def test_predict_a_saved_model_by_name(client: httpx.Client, shop_file: Path) -> None:
    got = client.post("/predict", json={"query": CHURN, "model": "churn_prior.rg"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model"] == "churn_prior.rg" and body["rows_total"] > 100
    other = client.post("/predict", json={"query": SPEND, "model": "churn_prior.rg"})
    assert (
        other.status_code == 400 and "trained on another query" in other.json()["error"]["message"]
    )


def test_predict_errors_are_json(client: httpx.Client) -> None:
    early = client.post("/predict", json={"query": CHURN, "anchor_time": "1990-01-01"})
    assert early.status_code == 422 and "before any data" in early.json()["error"]["message"]
    bad_time = client.post("/predict", json={"query": CHURN, "anchor_time": "soon"})
    assert bad_time.status_code == 422 and "anchor_time" in bad_time.json()["error"]["message"]
    mode = client.post("/predict", json={"query": CHURN, "mode": "fastest"})
    assert mode.status_code == 422 and mode.json()["error"]["details"][0]["field"] == "mode"
    unknown = client.post("/predict", json={"query": SPEND.replace("17, 42", "99999")})
    assert unknown.status_code == 422


def test_evaluate_job_with_progress(client: httpx.Client) -> None:
    started = client.post("/evaluate", json={"query": CHURN, "models": ["baseline", "prior"]})
    assert started.status_code == 202
    job_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"/jobs/{job_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "done", job["error"]
    assert job["progress"] == {"done": 2, "total": 2, "step": "done"}
    models = {row["model"] for row in job["result"]["results"]}
    assert models == {"baseline", "prior"}
    bad = client.post("/evaluate", json={"query": CHURN, "models": ["forest"]})
    assert bad.status_code == 400 and "forest" in bad.json()["error"]["message"]
    assert client.get("/jobs/nope").status_code == 404


def test_the_page_and_its_files(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/page/app.js"' in page.text and 'id="query"' in page.text
    script = client.get("/page/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/check" in script.text and "innerHTML" not in script.text
    assert client.get("/page/style.css").status_code == 200
    assert client.get("/page/../settings.py").status_code == 404
