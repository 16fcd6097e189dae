"""Fixtures for every test directory. Session-scoped ones are built once per
run and shared by many files: treat them as read-only (a test that changes a
database, e.g. ``set_stype``, connects its own)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce

# pytest-xdist's workers set COLUMNS=80, and rich fixes a console's width from
# it when the console is made (the CLI's, at import): tests that give the CLI
# runner a wider COLUMNS would get 80 columns under `make test`'s workers.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

F1_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "f1"


@pytest.fixture(scope="session")
def f1_dir() -> Path:
    """The raw Ergast CSVs of rel-f1 (CI has them; elsewhere the tests skip, saying so)."""
    if not (F1_DIR / "races.csv").exists():
        pytest.skip(f"rel-f1 raw data not found at {F1_DIR}; these tests need ../shared/data/f1")
    return F1_DIR


@pytest.fixture(scope="session")
def shop_db() -> rg.Database:
    """The e-commerce demo (small: 250 customers, seed 0): one link per pair of tables."""
    return rg.connect(make_ecommerce(scale=0.05, seed=0))


@pytest.fixture(scope="session")
def rel_f1_db(f1_dir: Path) -> rg.Database:
    """rel-f1 built from the raw CSVs (seconds to load, so once per run)."""
    from relgraph.bench.rel_f1 import load_rel_f1

    return load_rel_f1(f1_dir)


@pytest.fixture(scope="session")
def rel_f1_reference_tables(rel_f1_db: rg.Database) -> dict[tuple[str, str], pd.DataFrame]:
    """RelBench's training tables of the driver tasks, (task, split) -> table,
    recomputed in pandas (tests/bench/rel_f1_reference.py)."""
    from tests.bench.rel_f1_reference import SPLITS, TASKS, reference_table

    return {
        (task, split): reference_table(rel_f1_db, task, split) for task in TASKS for split in SPLITS
    }


from tests.conftest_postgres import *  # noqa: E402,F403
