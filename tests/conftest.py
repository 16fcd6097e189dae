from __future__ import annotations

from pathlib import Path

import pytest

F1_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "f1"


@pytest.fixture(scope="session")
def f1_dir() -> Path:
    """The raw Ergast CSVs of rel-f1 (CI has them; elsewhere the tests skip, saying so)."""
    if not (F1_DIR / "races.csv").exists():
        pytest.skip(f"rel-f1 raw data not found at {F1_DIR}; these tests need ../shared/data/f1")
    return F1_DIR


from tests.conftest_postgres import *  # noqa: E402,F403
