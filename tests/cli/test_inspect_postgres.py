"""``relgraph inspect postgresql://...`` against the real test server, on tables
without declared constraints, so inference runs on PostgreSQL data too."""

from __future__ import annotations

import json

import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

from relgraph.cli.main import app
from tests.factories import SHOP_LINKS, shop_frames

pytestmark = pytest.mark.postgres

_PG_TYPES = {"i": "BIGINT", "f": "DOUBLE PRECISION", "M": "TIMESTAMP", "O": "TEXT"}


def load_frames(url: str, frames: dict[str, pd.DataFrame]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name, frame in frames.items():
            cols = ", ".join(
                f'"{c}" {_PG_TYPES.get(frame[c].dtype.kind, "TEXT")}' for c in frame.columns
            )
            conn.execute(f'CREATE TABLE "{name}" ({cols})')
            with conn.cursor().copy(f'COPY "{name}" FROM STDIN') as copy:
                for row in frame.itertuples(index=False):
                    copy.write_row([None if pd.isna(v) else v for v in row])


def test_inspect_postgres_infers_the_shop(postgres_server) -> None:
    url = postgres_server.create_database("cli_shop")
    load_frames(url, shop_frames())
    result = CliRunner().invoke(app, ["inspect", url, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {f"{x['from']} -> {x['to']}" for x in doc["links"]} == SHOP_LINKS
    assert doc["tables"]["orders"]["time_column"] == "ordered_at"
    assert doc["tables"]["orders"]["rows"] == 200
    assert doc["tables"]["customers"]["columns"]["country"] == "categorical"


def test_inspect_postgres_unreachable() -> None:
    result = CliRunner().invoke(app, ["inspect", "postgresql://nobody@127.0.0.1:1/none", "--json"])
    assert result.exit_code == 1
    assert "127.0.0.1:1" in result.stderr and "Traceback" not in result.output
