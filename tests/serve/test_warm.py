"""What a warm server keeps between questions (models per question, feature
rows per database, the predictor chosen on a context) changes no answer, and
belongs to one database version; suggestions are computed in the background,
once per version."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import httpx
import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.core.inputs import TaskInputs
from relgraph.predict import warm_model
from relgraph.serve import BackgroundServer, ServeSettings, create_app
from tests.serve.conftest import CHURN

ANCHOR = "2024-10-01"


def _same_predictions(rows: list[dict], want: pd.DataFrame) -> None:
    got = pd.DataFrame(rows)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    assert got["probability"].to_numpy() == pytest.approx(want["probability"].to_numpy(), abs=1e-9)
    assert got["predicted"].tolist() == want["predicted"].tolist()
    assert got["top_signal"].tolist() == want["top_signal"].tolist()


def _wait_suggestions(c: httpx.Client, version: int) -> dict:
    deadline = time.monotonic() + 60
    while True:
        state = c.get("/suggest").json()
        if state["database_version"] == version and state["status"] != "computing":
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.1)


def test_warm_answers_equal_cold_ones_and_a_change_drops_them(
    shop_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "shop.duckdb"
    shutil.copy(shop_file, path)
    ids = rg.connect(path).table("customers")["customer_id"].sort_values().tolist()
    first, second = ids[:80], ids[40:140]  # half of the second are new
    app = create_app(ServeSettings(str(path), check_every_s=0.0, suggestions=0))
    models = app.state.served.models
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as c:
        body = {"query": CHURN, "anchor_time": ANCHOR, "explain": True}
        c.post("/predict", json={**body, "entities": first}).raise_for_status()
        (kept,) = models._models.values()
        warm = c.post("/predict", json={**body, "entities": second}).json()
        assert not warm["cached"] and list(models._models.values()) == [kept]
        assert len(kept._choices) == 1  # chosen once on the context, kept for the second
        cold = rg.predict(rg.connect(path), CHURN, anchor_time=ANCHOR, entities=second)
        _same_predictions(warm["rows"], cold)

        # another process writes: what was kept belongs to the old version
        with duckdb.connect(str(path)) as con:
            con.execute("DELETE FROM orders WHERE ordered_at > TIMESTAMP '2024-08-01'")
        after = c.post("/predict", json={**body, "entities": second}).json()
        assert after["database_version"] == 2 and not after["cached"]
        assert kept not in models._models.values()
        changed = rg.predict(rg.connect(path), CHURN, anchor_time=ANCHOR, entities=second)
        _same_predictions(after["rows"], changed)
        assert not np.allclose(changed["probability"], cold["probability"])


def test_suggestions_are_found_again_after_a_change(shop_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    shutil.copy(shop_file, path)
    app = create_app(ServeSettings(str(path), check_every_s=0.0), warm=False)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        before = _wait_suggestions(c, 1)
        assert before["status"] == "ready" and before["suggestions"]
        with duckdb.connect(str(path)) as con:  # fewer orders: other label counts
            con.execute("DELETE FROM orders WHERE ordered_at > TIMESTAMP '2024-08-01'")
        after = _wait_suggestions(c, 2)  # the change is seen when the page asks
        assert after["status"] == "ready" and after["suggestions"] != before["suggestions"]
        assert c.post("/reload").json()["database_version"] == 3
        again = _wait_suggestions(c, 3)["suggestions"]
        assert [s["query"] for s in again] == [s["query"] for s in after["suggestions"]]


def test_suggest_endpoint(client: httpx.Client, shop_file: Path) -> None:
    version = client.get("/info").json()["database_version"]
    state = _wait_suggestions(client, version)
    assert state["status"] == "ready" and state["error"] is None
    want = [s.query for s in rg.suggest(rg.connect(shop_file))]
    assert [s["query"] for s in state["suggestions"]] == want and want
    assert {"question", "query", "task_type", "kind"} <= set(state["suggestions"][0])
    for s in state["suggestions"][:3]:  # each one a question the server accepts
        assert client.post("/check", json={"query": s["query"]}).status_code == 200


def test_suggestions_can_be_off(shop_file: Path) -> None:
    app = create_app(ServeSettings(str(shop_file), suggestions=0), warm=False)
    with BackgroundServer(app) as server:
        state = httpx.get(server.url + "/suggest").json()
    assert state["status"] == "off" and state["suggestions"] == []


def count_feature_rows(inputs: TaskInputs) -> list[int]:
    """The number of rows each later relational-feature computation of ``inputs`` is asked for."""
    asked: list[int] = []
    plan_transform = inputs.plan.transform

    def counting(db, rows, cutoff=None, **kwargs):  # noqa: ANN001, ANN003
        asked.append(len(rows))
        return plan_transform(db, rows, cutoff=cutoff, **kwargs)

    inputs.plan.transform = counting
    return asked


def test_feature_rows_kept_are_the_rows_computed_again(shop_file: Path) -> None:
    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, CHURN)
    inputs = TaskInputs.fit(task, until=pd.Timestamp(ANCHOR))
    when = pd.Timestamp(ANCHOR)
    ids = db.table("customers")["customer_id"].sort_values().to_numpy()
    a = pd.DataFrame({"customer_id": ids[:60], "anchor_time": when}, index=range(100, 160))
    b = pd.DataFrame({"customer_id": ids[[70, 5, 70, 30, 90]], "anchor_time": when})
    asked = count_feature_rows(inputs)
    inputs.transform(task, a)
    kept = inputs.transform(task, b)
    assert asked == [60, 2]  # only ids 70 and 90 (once) were new
    assert kept.index.tolist() == b.index.tolist()
    # the same rows from a database and task that kept nothing (a count is
    # float where some row of its batch had none to count, as before)
    other = rg.Task.from_query(rg.connect(shop_file), CHURN)
    cold = TaskInputs.fit(other, until=when).transform(other, b)
    pd.testing.assert_frame_equal(kept, cold, check_exact=False, rtol=1e-9, check_dtype=False)


def test_a_fitted_model_must_be_the_questions(shop_file: Path) -> None:
    db = rg.connect(shop_file)
    model = warm_model(db, CHURN, predictor="lightgbm")
    with pytest.raises(rg.RelgraphError, match="pass a model from warm_model"):
        rg.predict(db, CHURN, fitted=model)  # asked with the mode's predictor
    other = CHURN.replace("= 0", "> 1")
    with pytest.raises(rg.RelgraphError, match="fitted model answers"):
        rg.predict(db, other, predictor="lightgbm", fitted=model)


def test_kept_feature_rows_are_bounded(shop_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import relgraph.models.core.inputs as inputs_module

    monkeypatch.setattr(inputs_module, "MAX_KEPT_ROWS", 50)
    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, CHURN)
    when = pd.Timestamp(ANCHOR)
    inputs = TaskInputs.fit(task, until=when)
    ids = db.table("customers")["customer_id"].sort_values().to_numpy()
    a = pd.DataFrame({"customer_id": ids[:40], "anchor_time": when})
    b = pd.DataFrame({"customer_id": ids[30:60], "anchor_time": when})
    asked = count_feature_rows(inputs)
    inputs.transform(task, a)
    got = inputs.transform(task, b)  # 60 rows in all: past the bound
    assert got["customers.age_days"].notna().all() and len(got) == 30
    inputs.transform(task, b)  # its own rows were kept
    inputs.transform(task, a.head(5))  # the others were dropped
    assert asked == [40, 20, 5]


@pytest.mark.parametrize("prefetch_rows", [20_000, pytest.param(0, marks=pytest.mark.slow)])
def test_other_entities_find_their_feature_rows_filled_in(
    shop_file: Path, prefetch_rows: int
) -> None:
    """After a question about some customers (not after the whole question),
    the server fills in the rows of the others at that anchor (unless told
    not to): asking about them then computes no relational feature row, and
    the answer is the one computed cold."""
    ids = rg.connect(shop_file).table("customers")["customer_id"].sort_values().tolist()
    settings = ServeSettings(
        str(shop_file), check_every_s=0.0, suggestions=0, prefetch_rows=prefetch_rows
    )
    app = create_app(settings, warm=False)
    models, prefetch = app.state.served.models, app.state.prefetch
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as c:
        body = {"query": CHURN, "anchor_time": ANCHOR}
        whole = {"query": CHURN, "anchor_time": "2024-09-01"}  # another anchor's rows
        c.post("/predict", json=whole).raise_for_status()  # the whole question: no others
        assert prefetch.idle(timeout=60) and prefetch.filled == 0
        c.post("/predict", json={**body, "entities": ids[:30]}).raise_for_status()
        assert prefetch.idle(timeout=60)
        assert prefetch.filled == (len(ids) if prefetch_rows else 0)
        (kept,) = models._models.values()
        inputs = kept._inputs[str(pd.Timestamp(ANCHOR))]
        asked = count_feature_rows(inputs)
        other = c.post("/predict", json={**body, "entities": ids[100:160]}).json()
        assert not other["cached"] and len(kept._inputs) == 2  # the plan counted was used
        # the context's rows were kept by the first question; the new ones filled in
        assert asked == ([] if prefetch_rows else [60])
    cold = rg.predict(rg.connect(shop_file), CHURN, anchor_time=ANCHOR, entities=ids[100:160])
    _same_predictions(other["rows"], cold)


def test_filling_in_stops_at_its_cells_budget(shop_file: Path, monkeypatch) -> None:
    """A wide feature table fills in fewer rows: at most MAX_FILLED_CELLS
    values (never less than a turn's rows)."""
    import relgraph.serve.prefetch as prefetch_module

    monkeypatch.setattr(prefetch_module, "CHUNK_ROWS", 40)
    monkeypatch.setattr(prefetch_module, "MAX_FILLED_CELLS", 100)  # a turn's rows, then stop
    app = create_app(ServeSettings(str(shop_file), suggestions=0), warm=False)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as c:
        body = {"query": CHURN, "anchor_time": ANCHOR, "entities": [1, 2]}
        c.post("/predict", json=body).raise_for_status()
        assert app.state.prefetch.idle(timeout=60)
        assert app.state.prefetch.filled == 40
