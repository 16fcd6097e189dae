"""Codes and clock parts are not quantities: names and values decide together."""

from __future__ import annotations

import numpy as np
import pandas as pd

import relgraph as rg


def flights(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    hour = rng.integers(5, 23, n)
    minute = rng.integers(0, 60, n)
    return pd.DataFrame(
        {
            "flight_id": range(n),
            "year": 2013,
            "month": rng.integers(1, 13, n),
            "day": rng.integers(1, 32, n),
            "dep_time": hour * 100 + minute,  # HHMM: 517 is 05:17
            "air_time": rng.integers(20, 400, n),  # minutes flown: a quantity
            "hour": hour,
            "minute": minute,
            "flight": rng.integers(1, 8000, n),  # a flight number
            "gate_no": rng.integers(1, 20, n),  # few values: may be a rank, stays
            "distance": rng.integers(80, 5000, n),
            "delay": rng.integers(-20, 300, n),
        }
    )


def test_clock_parts_and_codes() -> None:
    db = rg.connect({"flights": flights()})
    cols = db.schema.tables["flights"].columns
    for name in ("month", "day", "hour", "minute"):
        assert cols[name] is rg.Stype.categorical, name
    assert cols["dep_time"] is rg.Stype.id  # ~1,000 distinct times, not recurring twice
    assert cols["flight"] is rg.Stype.id  # ~3,000 distinct flight numbers
    for name in ("air_time", "distance", "delay", "gate_no"):
        assert cols[name] is rg.Stype.numerical, name
    notes = [w for w in db.schema.warnings if "are not quantities" in w]
    assert len(notes) == 1 and "minute (categorical)" in notes[0]


def test_values_must_agree_with_the_name() -> None:
    frame = flights()
    frame["hour"] = frame["hour"] * 10  # not 0..24: hours worked, a quantity
    frame["dep_time"] = frame["dep_time"] + 75  # some minute parts >= 60: no clock
    cols = rg.connect({"flights": frame}).schema.tables["flights"].columns
    assert cols["hour"] is rg.Stype.numerical
    assert cols["dep_time"] is rg.Stype.numerical


def test_an_stype_override_wins() -> None:
    schema = {"tables": {"flights": {"columns": {"minute": "numerical"}}}}
    db = rg.connect({"flights": flights()}, schema=schema)
    assert db.schema.tables["flights"].columns["minute"] is rg.Stype.numerical
    assert db.schema.tables["flights"].columns["hour"] is rg.Stype.categorical
