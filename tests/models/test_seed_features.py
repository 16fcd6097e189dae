"""The GNN's seed input scaling: standardised history, quantile-mapped aggregates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relgraph.models.gnn.seed_features import SeedScaler

BOUND = np.sqrt(3.0)


def _frame(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in values.items()})


def test_quantile_columns_stay_bounded_beyond_the_training_range() -> None:
    train = _frame({"points.sum.all": np.arange(100.0), "target.mean.all": np.arange(100.0)})
    scaler = SeedScaler.fit(train, quantile_columns=["points.sum.all"])
    later = _frame(
        {"points.sum.all": [-50.0, 0.0, 49.5, 99.0, 10_000.0], "target.mean.all": [0] * 5}
    )
    x = scaler.transform(later)
    np.testing.assert_allclose(x[:, 0], [-BOUND, -BOUND, 0.0, BOUND, BOUND], atol=1e-6)
    assert np.all(
        np.diff(scaler.transform(_frame({"points.sum.all": np.arange(100.0)}))[:, 0]) >= 0
    )
    # The standardised column is not clipped: a value far out stays far out.
    far = scaler.transform(_frame({"points.sum.all": [0.0], "target.mean.all": [1_000.0]}))
    assert far[0, 1] > 10


def test_a_value_held_by_many_rows_maps_to_the_middle_of_its_levels() -> None:
    counts = [0.0] * 80 + list(range(1, 21))
    scaler = SeedScaler.fit(_frame({"orders.count.all": counts}), ["orders.count.all"])
    xs, levels = scaler.knots["orders.count.all"]
    assert xs[0] == 0.0 and len(xs) == len(set(xs)) == len(levels)
    zero = scaler.transform(_frame({"orders.count.all": [0.0]}))[0, 0]
    # 80 % of rows are 0: its level is the mean of the lowest 80 % of levels.
    expected = np.linspace(-BOUND, BOUND, 33)[np.linspace(0, 1, 33) <= 0.8].mean()
    assert abs(zero - expected) < 1e-6


def test_missing_values_and_empty_or_constant_columns() -> None:
    frame = _frame({"a": [1.0, np.nan, 3.0], "empty": [np.nan] * 3, "same": [2.0] * 3})
    scaler = SeedScaler.fit(frame, ["a", "empty", "same"])
    x = scaler.transform(frame)
    assert x.shape == (3, 6)
    np.testing.assert_array_equal(x[:, 3:], np.isnan(frame.to_numpy()).astype(np.float32))
    assert x[1, 0] == 0.0 and not x[:, 1].any() and not x[:, 2].any()


def test_round_trip_and_files_saved_before_quantiles() -> None:
    frame = _frame({"a": np.arange(10.0), "target.count.all": np.arange(10.0)})
    scaler = SeedScaler.fit(frame, ["a"])
    again = SeedScaler.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(scaler.transform(frame), again.transform(frame))
    old = {k: v for k, v in scaler.to_dict().items() if k != "knots"}
    assert SeedScaler.from_dict(old).knots == {}
