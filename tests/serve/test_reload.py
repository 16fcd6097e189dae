"""A served database is read again when its files change, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import httpx

from relgraph.serve import BackgroundServer, ServeSettings, create_app
from tests.serve.conftest import CHURN


def test_reload_on_change(shop_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    shutil.copy(shop_file, path)
    settings = ServeSettings(str(path), check_every_s=0.0)
    with (
        BackgroundServer(create_app(settings, warm=False)) as server,
        httpx.Client(base_url=server.url, timeout=60) as c,
    ):
        assert c.get("/info").json()["database_version"] == 1
        assert c.get("/info").json()["database_version"] == 1  # nothing changed
        labels = c.post("/labels", json={"query": CHURN}).json()
        # the server holds no lock on the file: another process may write to it
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE notes (note_id INTEGER PRIMARY KEY, text VARCHAR)")
            con.execute("INSERT INTO notes VALUES (1, 'hello')")
            con.execute("DELETE FROM orders WHERE ordered_at > TIMESTAMP '2024-06-01'")
        info = c.get("/info").json()
        assert info["database_version"] == 2 and info["reload_error"] is None
        assert "notes" in c.get("/schema").json()["schema"]["tables"]
        after = c.post("/labels", json={"query": CHURN}).json()
        assert after["splits"]["test"]["labels"] != labels["splits"]["test"]["labels"]

        # a broken file: the loaded version goes on answering, saying why
        path.write_bytes(b"not a database")
        info = c.get("/info").json()
        assert info["database_version"] == 2 and "DuckDB" in info["reload_error"]
        assert "notes" in c.get("/schema").json()["schema"]["tables"]
        shutil.copy(shop_file, path)
        info = c.post("/reload").json()
        assert info["database_version"] == 3 and info["reload_error"] is None
        assert "notes" not in c.get("/schema").json()["schema"]["tables"]
