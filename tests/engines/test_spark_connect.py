"""relgraph on a real Spark Connect server: labels and a saved model's batch
predictions through ``--spark-remote``, equal to DuckDB's.

The server is the one pyspark ships (``sbin/start-connect-server.sh``), started
once for this module on a free loopback port with a ``local[2]`` master, and
stopped at the end. The CLI runs as a separate process with relative paths, as
a user runs it: the server and its Python workers start in other directories,
so every path relgraph hands them must be absolute. Skipped, saying why, when
pyspark's Connect client (``pyspark[connect]``) or Java is missing, except on
CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from relgraph.bench.demo import make_ecommerce, write_duckdb

pytestmark = pytest.mark.slow

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
#: A server on a loaded two-core machine takes up to a minute to listen.
START_SECONDS = 240


def _missing() -> str | None:
    try:
        import grpc  # noqa: F401
        import pyspark.sql.connect.session  # noqa: F401
    except ImportError as exc:
        return f"pyspark's Spark Connect client is missing ({exc}; pip install 'pyspark[connect]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (a Spark Connect server needs a JDK 17+)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sc://127.0.0.1:<port>`` of a Spark Connect server for this module."""
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(f"Spark Connect tests skipped: {why}")
    import pyspark

    home = Path(pyspark.__file__).parent
    work = tmp_path_factory.mktemp("connect_server")
    port = _free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOG_DIR": str(work / "logs"),
        "SPARK_PID_DIR": str(work / "pid"),
        "SPARK_IDENT_STRING": f"relgraph{port}",
        "PYSPARK_PYTHON": sys.executable,  # the workers that run mapInPandas
    }
    settings = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
    }
    start = ["bash", str(home / "sbin" / "start-connect-server.sh"), "--master", "local[2]"]
    for key, value in settings.items():
        start += ["--conf", f"{key}={value}"]
    subprocess.run(start, env=env, check=True, capture_output=True, cwd=work)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(port):
            if time.monotonic() > deadline:
                logs = "".join(p.read_text()[-2000:] for p in (work / "logs").glob("*.out"))
                pytest.fail(f"the Spark Connect server did not listen on {port}:\n{logs}")
            time.sleep(2)
        yield f"sc://127.0.0.1:{port}"
    finally:
        stop = ["bash", str(home / "sbin" / "stop-connect-server.sh")]
        subprocess.run(stop, env=env, capture_output=True, cwd=work)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's folder with the shop's DuckDB file in it."""
    path = tmp_path_factory.mktemp("connect_user")
    write_duckdb(make_ecommerce(scale=0.1, seed=5), path / "shop.duckdb")
    return path


def relgraph(folder: Path, *args: str) -> None:
    """``relgraph ARGS`` in ``folder``, as a separate process."""
    exe = str(Path(sys.executable).with_name("relgraph"))
    done = subprocess.run(
        [exe, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_labels_through_spark_connect_equal_duckdb(remote: str, folder: Path) -> None:
    relgraph(folder, "labels", "shop.duckdb", SPEND, "--out", "duck.parquet")
    relgraph(
        folder, "labels", "shop.duckdb", SPEND, "--out", "connect.parquet",
        "--engine", "spark", "--spark-remote", remote, "--parquet-dir", "tables",
    )  # fmt: skip
    duck = pd.read_parquet(folder / "duck.parquet")
    assert set(duck["split"]) == {"train", "val", "test"}
    got = pd.read_parquet(folder / "connect.parquet")
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=1e-9)
    assert (folder / "tables" / "orders").is_dir()  # written where the user asked


def test_a_saved_model_predicts_through_spark_connect(remote: str, folder: Path) -> None:
    relgraph(folder, "train", "shop.duckdb", CHURN, "--model", "gbdt", "--out", "churn.rg")
    relgraph(folder, "predict", "shop.duckdb", CHURN, "--model", "churn.rg", "--out", "d.parquet")
    relgraph(
        folder, "predict", "shop.duckdb", CHURN, "--model", "churn.rg", "--out", "preds",
        "--engine", "spark", "--spark-remote", remote, "--parquet-dir", "tables",
        "--partitions", "2",
    )  # fmt: skip
    # the workers opened ./shop.duckdb and wrote ./preds, not the server's folder
    assert list((folder / "preds").glob("part-*.parquet"))
    got = pd.read_parquet(folder / "preds").sort_values("customer_id").reset_index(drop=True)
    duck = pd.read_parquet(folder / "d.parquet")[list(got.columns)]
    duck = duck.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=1e-9, check_dtype=False)
