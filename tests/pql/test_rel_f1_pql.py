"""rel-f1's driver tasks as PQL give RelBench's training tables: same rows, same labels."""

from __future__ import annotations

import pandas as pd
import pytest

from relgraph.bench.rel_f1_tasks import REL_F1_TASKS

pytestmark = pytest.mark.f1

#: RelBench's split sizes (DESIGN.md section 6): train / val / test.
SIZES = {
    "driver-dnf": (11_411, 566, 702),
    "driver-top3": (1_353, 588, 726),
    "driver-position": (7_453, 499, 760),
}


@pytest.fixture(scope="module")
def db(rel_f1_db):
    return rel_f1_db


@pytest.mark.parametrize("name", sorted(SIZES))
def test_pql_tables_equal_relbench(db, rel_f1_reference_tables, name: str) -> None:
    task = REL_F1_TASKS[name].task(db)
    assert task.metrics[0] == REL_F1_TASKS[name].metric
    for i, split in enumerate(("train", "val", "test")):
        got = task.table(split)
        want = rel_f1_reference_tables[name, split]
        assert len(got) == SIZES[name][i], (name, split, len(got))
        assert list(got.columns) == ["driverId", "anchor_time", "label"]
        got = got.sort_values(["anchor_time", "driverId"], ignore_index=True)
        want = want.sort_values(["anchor_time", "driverId"], ignore_index=True)
        pd.testing.assert_frame_equal(
            got, want, check_dtype=False, check_exact=False, rtol=1e-12, obj=f"{name} {split}"
        )


def test_driver_circuit_compete_equals_pandas(db) -> None:
    """The link task's labels: circuits of the races with a result of the driver in (t, t+365d]."""
    task = REL_F1_TASKS["driver-circuit-compete"].task(db)
    assert task.metrics[0] == "map@10" and task.k == 10
    results = db.table("results")[["driverId", "raceId"]]
    races = db.table("races")[["raceId", "circuitId", "date"]]
    joined = results.merge(races, on="raceId")
    test = task.table("test")
    assert len(test) > 0
    for anchor in sorted(test["anchor_time"].unique())[:3]:
        anchor = pd.Timestamp(anchor)
        window = joined[
            (joined["date"] > anchor) & (joined["date"] <= anchor + pd.Timedelta(days=365))
        ]
        want = window.groupby("driverId")["circuitId"].apply(lambda c: sorted(set(c)))
        got = test[test["anchor_time"] == anchor].set_index("driverId")["label"]
        assert sorted(got.index) == sorted(want.index)
        for driver, circuits in want.items():
            assert list(got[driver]) == circuits
