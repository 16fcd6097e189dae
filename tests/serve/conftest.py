"""Real uvicorn servers on free loopback ports, over the demo shop (small:
250 customers), shared by the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.serve import BackgroundServer, ServeSettings, create_app

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.05, seed=0), path)
    return path


@pytest.fixture(scope="session")
def models_dir(shop_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one saved model (the prior baseline on CHURN: fits in no time)."""
    import relgraph as rg
    from relgraph.models.registry import make_model

    folder = tmp_path_factory.mktemp("models")
    task = rg.Task.from_query(rg.connect(shop_file), CHURN)
    make_model("prior").fit(task).save(folder / "churn_prior.rg")
    return folder


@pytest.fixture(scope="session")
def server(shop_file: Path, models_dir: Path) -> Iterator[BackgroundServer]:
    """The default server: no token, default limits, the transformer warm."""
    settings = ServeSettings(str(shop_file), models_dir=models_dir)
    with BackgroundServer(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="session")
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def strict_server(shop_file: Path) -> Iterator[BackgroundServer]:
    """A token, one request at a time, 2 KiB bodies; the transformer not loaded."""
    settings = ServeSettings(str(shop_file), token=TOKEN, max_in_flight=1, max_body_bytes=2048)
    with BackgroundServer(create_app(settings, warm=False)) as running:
        yield running
