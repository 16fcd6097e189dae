"""The safety rules of ``relgraph serve``: a token, loopback Host names,
body, query and concurrency limits, JSON errors without tracebacks, no
request text reaching the file system, and the CLI's refusals."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from relgraph.cli.main import app as cli
from relgraph.serve import BackgroundServer
from tests.serve.conftest import CHURN, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_token_required(strict_server: BackgroundServer) -> None:
    with httpx.Client(base_url=strict_server.url) as c:
        missing = c.get("/info")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["type"] == "unauthorized"
        wrong = c.get("/info", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        assert c.get("/info", headers=AUTH).status_code == 200
        assert c.post("/check", json={"query": CHURN}).status_code == 401
        assert c.get("/docs").status_code == 200  # the docs hold no data


def test_host_must_be_loopback(client: httpx.Client) -> None:
    for host in ("evil.example", "evil.example:8000", "10.0.0.1"):
        got = client.get("/info", headers={"Host": host})
        assert got.status_code == 421 and got.json()["error"]["type"] == "misdirected_request"
    assert client.get("/info", headers={"Host": "localhost:1234"}).status_code == 200


def test_body_too_large(strict_server: BackgroundServer) -> None:
    with httpx.Client(base_url=strict_server.url, headers=AUTH) as c:
        big = c.post("/check", json={"query": "x" * 3000})
        assert big.status_code == 413 and big.json()["error"]["limit"] == 2048

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b" " * 500

        streamed = c.post("/check", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413


def test_query_length_and_unknown_fields(client: httpx.Client) -> None:
    long = client.post("/check", json={"query": "PREDICT " + "x" * 5000})
    assert long.status_code == 422 and "at most 4000 characters" in long.text
    extra = client.post("/predict", json={"query": CHURN, "out": "/tmp/x.csv"})
    assert extra.status_code == 422 and extra.json()["error"]["details"][0]["field"] == "out"
    not_json = client.post("/check", content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and "error" in not_json.json()


@pytest.mark.parametrize("name", ["../shop.duckdb", "/etc/passwd", "..", "a/b.rg", ".hidden"])
def test_model_names_never_reach_the_file_system(client: httpx.Client, name: str) -> None:
    got = client.post("/predict", json={"query": CHURN, "model": name})
    assert got.status_code == 422 and got.json()["error"]["details"][0]["field"] == "model"


def test_unknown_model_name_lists_the_known(client: httpx.Client, shop_file: Path) -> None:
    # a real file beside the models folder is still not a model name
    got = client.post("/predict", json={"query": CHURN, "model": shop_file.name})
    assert got.status_code == 404 and got.json()["error"]["known"] == ["churn_prior.rg"]


def test_too_many_at_once(strict_server: BackgroundServer) -> None:
    gate = strict_server.app.state.gate
    results: list[int] = []
    with httpx.Client(base_url=strict_server.url, headers=AUTH, timeout=60) as c:
        slow = threading.Thread(
            target=lambda: results.append(c.post("/labels", json={"query": CHURN}).status_code)
        )
        slow.start()
        deadline = time.monotonic() + 10
        while gate.in_use == 0 and slow.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.001)
        busy = c.post("/check", json={"query": CHURN})
        slow.join()
    assert busy.status_code == 429 and busy.json()["error"]["limit"] == 1
    assert results == [200]


def test_internal_errors_hide_the_traceback(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail /home/me/.ssh")

    monkeypatch.setattr("relgraph.serve.app.check_answer", broken)
    got = client.post("/check", json={"query": CHURN})
    assert got.status_code == 500 and got.json()["error"]["type"] == "internal_error"
    assert "secret" not in got.text and "Traceback" not in got.text
    assert client.get("/no/such/page").json()["error"]["status"] == 404


def test_cli_refuses_an_open_address_without_token(shop_file: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(shop_file), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output
    missing = CliRunner().invoke(cli, ["serve", str(shop_file), "--models", "/no/such/dir"])
    assert missing.exit_code == 2 and "no folder" in missing.output


def test_cli_passes_the_warm_state_settings(shop_file: Path, monkeypatch) -> None:
    """--models-kept, --prefetch-rows and --suggestions reach the server's settings."""
    import types

    import relgraph.serve

    seen = {}

    def fake_app(settings):
        seen["settings"] = settings
        schema = types.SimpleNamespace(warnings=[])
        served = types.SimpleNamespace(db=types.SimpleNamespace(schema=schema))
        return types.SimpleNamespace(state=types.SimpleNamespace(served=served))

    monkeypatch.setattr(relgraph.serve, "create_app", fake_app)
    monkeypatch.setattr(relgraph.serve, "serve_forever", lambda *args: None)
    args = ["serve", str(shop_file), "--models-kept", "3", "--suggestions", "0"]
    result = CliRunner().invoke(cli, [*args, "--prefetch-rows", "7"])
    assert result.exit_code == 0, result.output
    got = seen["settings"]
    assert (got.models_kept, got.suggestions, got.prefetch_rows) == (3, 0, 7)
