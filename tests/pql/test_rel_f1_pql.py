"""rel-f1's driver tasks as PQL give RelBench's training tables: same rows, same labels."""

from __future__ import annotations

from pathlib import Path

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
def db(f1_dir: Path):
    from relgraph.bench.rel_f1 import load_rel_f1

    return load_rel_f1(f1_dir)


@pytest.mark.parametrize("name", sorted(REL_F1_TASKS))
def test_pql_tables_equal_relbench(db, name: str) -> None:
    from tests.bench.rel_f1_reference import reference_table

    task = REL_F1_TASKS[name].task(db)
    assert task.metrics[0] == REL_F1_TASKS[name].metric
    for i, split in enumerate(("train", "val", "test")):
        got = task.table(split)
        want = reference_table(db, name, split)
        assert len(got) == SIZES[name][i], (name, split, len(got))
        assert list(got.columns) == ["driverId", "anchor_time", "label"]
        got = got.sort_values(["anchor_time", "driverId"], ignore_index=True)
        want = want.sort_values(["anchor_time", "driverId"], ignore_index=True)
        pd.testing.assert_frame_equal(
            got, want, check_dtype=False, check_exact=False, rtol=1e-12, obj=f"{name} {split}"
        )
