"""``relgraph.predict`` never answers with nothing: no entity to predict, or
labels that are all equal, are errors that say why (issue 16)."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.errors import PQLError, PQLSemanticError
from relgraph.models.core.base import ModelError

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH customers.customer_id"
ANCHOR = "2024-06-01"


@pytest.fixture(scope="module")
def shop() -> dict[str, pd.DataFrame]:
    frames = make_ecommerce(scale=0.04, seed=3)
    customers = frames["customers"]
    # a text column with no value at all, and an amount that is never known
    customers["nickname"] = pd.Series([None] * len(customers), dtype="string")
    frames["orders"]["discount"] = float("nan")
    return frames


@pytest.fixture(scope="module")
def db(shop) -> rg.Database:
    return rg.connect(shop)


def test_an_anchor_before_any_data_is_an_error(db: rg.Database) -> None:
    with pytest.raises(PQLError, match="No customers to predict at 2000-01-01 .* before any data"):
        rg.predict(db, CHURN, anchor_time="2000-01-01")


def test_a_where_that_keeps_no_entity_is_an_error(db: rg.Database) -> None:
    with pytest.raises(
        PQLError,
        match=r"WHERE customers.nickname = 'x' keeps none of the [\d,]+ customers that exist by "
        r"then \(customers.nickname is NULL in every row",
    ):
        rg.predict(db, f"{CHURN} WHERE customers.nickname = 'x'", anchor_time=ANCHOR)
    with pytest.raises(PQLError, match=r"WHERE customers.age > 1000 keeps none .* by then\."):
        rg.predict(db, f"{CHURN} WHERE customers.age > 1000", anchor_time=ANCHOR)


def test_ids_that_do_not_exist_yet_are_an_error(shop, db: rg.Database) -> None:
    last = shop["customers"].sort_values("signup_at").iloc[-1]
    query = f"PREDICT COUNT(orders.*, 0, 30) > 0 FOR customers.customer_id = {last.customer_id}"
    before = last.signup_at - pd.Timedelta(days=1)
    with pytest.raises(PQLError, match=f"customer_id {last.customer_id} does not exist yet"):
        rg.predict(db, query, anchor_time=before)


def test_entities_must_be_keys(db: rg.Database) -> None:
    with pytest.raises(PQLError, match="customer_id = -5, -6"):
        rg.predict(db, CHURN, anchor_time=ANCHOR, entities=[1, -5, -6])
    with pytest.raises(PQLError, match="entities is empty"):
        rg.predict(db, CHURN, anchor_time=ANCHOR, entities=[])


def test_a_static_target_known_for_every_entity_is_an_error(db: rg.Database) -> None:
    with pytest.raises(PQLError, match=r"Nothing to predict .* has its label already"):
        rg.predict(db, "PREDICT customers.segment FOR EACH customers.customer_id")


def test_the_entity_key_is_no_target(db: rg.Database) -> None:
    with pytest.raises(PQLSemanticError, match="identifies the row and cannot be predicted"):
        rg.predict(db, "PREDICT customers.customer_id FOR EACH customers.customer_id")


def test_regression_labels_all_equal_are_an_error(db: rg.Database) -> None:
    query = "PREDICT SUM(orders.discount, 0, 30) FOR EACH customers.customer_id"
    with pytest.raises(ModelError, match=r"labels of the history are all equal .* have label 0,"):
        rg.predict(db, query, anchor_time=ANCHOR)


# ---------------------------------------------------------------- progress


@pytest.mark.parametrize("predictor", ["lightgbm", "transformer"])
def test_progress_is_reported_per_chunk_and_changes_nothing(
    db: rg.Database, monkeypatch: pytest.MonkeyPatch, predictor: str
) -> None:
    import relgraph.models.icl.model as icl

    whole = rg.predict(db, CHURN, anchor_time=ANCHOR, predictor=predictor, explain=True)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(icl, "PREDICT_CHUNK", 16)
    chunked = rg.predict(
        db,
        CHURN,
        anchor_time=ANCHOR,
        predictor=predictor,
        explain=True,
        progress=lambda done, total: calls.append((done, total)),
    )
    n = len(whole)
    assert n > 3 * 16
    assert calls == [(min(done, n), n) for done in range(16, n + 16, 16)]
    assert chunked["probability"].to_numpy() == pytest.approx(whole["probability"].to_numpy())
    assert chunked["top_signal"].tolist() == whole["top_signal"].tolist()


@pytest.mark.parametrize("predictor", [None, "transformer", "lightgbm"])
def test_without_reasons_the_predictions_are_the_same(db: rg.Database, predictor: str) -> None:
    with_reasons = rg.predict(db, CHURN, anchor_time=ANCHOR, predictor=predictor)
    bulk = rg.predict(db, CHURN, anchor_time=ANCHOR, predictor=predictor, reasons=False)
    assert "top_signal" not in bulk and with_reasons["top_signal"].notna().all()
    assert list(bulk.columns) == [c for c in with_reasons.columns if c != "top_signal"]
    # LightGBM's probabilities come from its contributions with reasons: equal up to rounding
    assert bulk["probability"].to_numpy() == pytest.approx(
        with_reasons["probability"].to_numpy(), abs=1e-12
    )
    assert bulk["predicted"].tolist() == with_reasons["predicted"].tolist()


def test_the_reason_is_the_first_contribution(db: rg.Database) -> None:
    plain = rg.predict(db, CHURN, anchor_time=ANCHOR)
    explained = rg.predict(db, CHURN, anchor_time=ANCHOR, explain=True)
    assert plain["top_signal"].tolist() == explained["top_signal"].tolist()
    assert all(len(items) == 3 for items in explained["contributions"])
    with pytest.raises(rg.RelgraphError, match="explain=True needs reasons=True"):
        rg.predict(db, CHURN, anchor_time=ANCHOR, explain=True, reasons=False)
