"""No leak through time for tasks anchored at each entity's own time: orders
placed after a new customer's sign-up (inside the very window its label
counts) and rows after T change no prediction at the sign-up, for every model
family."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.registry import make_model
from tests.factories import shop_frames
from tests.models.test_future_rows import MODELS, TEXT_TIMES, Extra, T, with_extra

#: Will a new customer order within 30 days of signing up?
QUERY = "PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH customers.customer_id"
#: Customers sign up over 100 days from 2024-01-01: training takes those of
#: January, validation those of early March; the examples signed up later.
VAL_TIME, TEST_TIME, ASKED = "2024-03-01", "2024-04-15", "2024-03-20"


def recent(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    customers = frames["customers"]
    signup = pd.to_datetime(customers["signup_at"])
    keep = customers[signup >= pd.Timestamp(ASKED)]
    return pd.DataFrame({"customer_id": keep["customer_id"], "anchor_time": keep["signup_at"]})


def predict(frames: dict[str, pd.DataFrame], name: str, examples: pd.DataFrame) -> pd.DataFrame:
    db = rg.connect(frames)
    task = rg.Task.from_query(db, QUERY, val_time=VAL_TIME, test_time=TEST_TIME, anchor="entity")
    model = make_model(name, **MODELS[name]).fit(task)
    return model.predict(examples.reset_index(drop=True))


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """A shop of 300 customers up to T, times as text (a bad value is NULL)."""
    frames = shop_frames(seed=5, customers=300, orders=3000)
    for table, column in TEXT_TIMES.items():
        frame = frames[table][frames[table][column] <= T]
        frames[table] = frame.assign(**{column: frame[column].dt.strftime("%Y-%m-%dT%H:%M:%S")})
    items = frames["order_items"]
    frames["order_items"] = items[items["order_id"].isin(frames["orders"]["order_id"])]
    return frames


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "gnn" else n for n in MODELS]
)
def test_orders_after_a_signup_change_no_prediction_at_it(name: str, frames) -> None:
    examples = recent(frames)
    assert len(examples) >= 5
    index = {c: i for i, c in enumerate(frames["customers"]["customer_id"])}
    later = [
        (index[c], (pd.Timestamp(t) + pd.Timedelta(days=d)).isoformat(), [d % 30])
        for c, t in zip(examples["customer_id"], examples["anchor_time"], strict=True)
        for d in (1, 12)
    ]
    extra = Extra(orders=later + [(0, "unknown", [3])], reviews=[], customers=[T.isoformat()])
    before = predict(frames, name, examples)
    after = predict(with_extra(frames, extra), name, examples)
    assert len(before) == len(examples)
    pd.testing.assert_frame_equal(before, after)
