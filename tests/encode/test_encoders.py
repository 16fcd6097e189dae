from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch

from relgraph.db.stype import Stype
from relgraph.encode import (
    DEFAULT_ENCODERS,
    NULL_TIME,
    CategoricalEncoder,
    EncoderError,
    MulticategoricalEncoder,
    NumericalEncoder,
    TableEncoder,
    TableStats,
    TableTensors,
    TextEncoder,
    TimestampEncoder,
    tensorize,
)
from tests.encode.helpers import ALL_STYPES, HASHING, all_stypes_frame

ANCHOR = 1_706_745_600  # 2024-02-01


@pytest.fixture(scope="module")
def stats() -> TableStats:
    return TableStats.fit_data(
        all_stypes_frame(),
        ALL_STYPES,
        table="events",
        time_column="created_at",
        until="2024-01-12",
        config=HASHING,
    )


@pytest.fixture(scope="module")
def tensors(stats: TableStats) -> TableTensors:
    return tensorize(all_stypes_frame(), stats)


def anchors(n: int) -> torch.Tensor:
    return torch.full((n,), ANCHOR, dtype=torch.long)


@pytest.mark.parametrize(
    ("encoder_class", "stype"),
    [
        (NumericalEncoder, Stype.numerical),
        (CategoricalEncoder, Stype.categorical),
        (MulticategoricalEncoder, Stype.multicategorical),
        (TextEncoder, Stype.text),
        (TimestampEncoder, Stype.timestamp),
    ],
)
def test_each_encoder_runs_forward_and_backward(stats, tensors, encoder_class, stype):
    torch.manual_seed(0)
    assert stype in encoder_class.supported_stypes
    columns = stats.columns_of(stype)
    encoder = encoder_class(columns, dim=6, table="events")
    out = encoder(tensors, anchors(tensors.num_rows))
    assert out.shape == (tensors.num_rows, len(columns), 6)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    out.square().sum().backward()
    grads = [p.grad for p in encoder.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_table_encoder_forward_backward(stats, tensors):
    torch.manual_seed(0)
    encoder = TableEncoder(stats, width=16, column_dim=8)
    batch = tensors.index_select(torch.tensor([0, 3, 1, 4, 1, 9]))  # row 0: NaN amount
    out = encoder(batch, anchors(6))
    assert out.shape == (6, 16) and torch.isfinite(out).all()
    out[:, 0].sum().backward()  # (the sum over a LayerNorm'd row is constant)
    assert all(p.grad is not None for p in encoder.parameters())
    assert all(p.grad.abs().sum() > 0 for p in encoder.encoders.parameters())
    assert encoder.column_names == [
        "amount",
        "quantity",
        "channel",
        "country",
        "tags",
        "review",
        "title",
        "created_at",
        "shipped_at",
    ]
    assert encoder.column_embeddings(batch, anchors(6)).shape == (6, 9, 8)


def _perturb(tensors: TableTensors, column: str) -> TableTensors:
    """Change every row's value of one column (and nothing else)."""
    for field, names in tensors.columns.items():
        if column not in names:
            continue
        i = names.index(column)
        tensor = getattr(tensors, field).clone()
        if field == "numerical":
            tensor[:, i] = torch.nan_to_num(tensor[:, i], nan=1.0) * 3.0 + 7.0
        elif field == "categorical":
            tensor[:, i] = (tensor[:, i] + 1) % 3
        elif field in ("multicategorical", "text_tokens"):
            tensor[:, i] = 0
            tensor[:, i, 0] = 2 + (tensors.numerical[:, 1].long() % 3)
        elif field == "timestamp":
            tensor[:, i] = torch.where(tensor[:, i] == NULL_TIME, ANCHOR, tensor[:, i] - 98_765)
        return replace(tensors, **{field: tensor})
    raise AssertionError(column)


def test_perturbing_one_column_changes_only_its_embedding(stats, tensors):
    torch.manual_seed(0)
    encoder = TableEncoder(stats, width=16, column_dim=8)
    base = encoder.column_embeddings(tensors, anchors(tensors.num_rows))
    for j, column in enumerate(encoder.column_names):
        changed = encoder.column_embeddings(_perturb(tensors, column), anchors(tensors.num_rows))
        differs = (changed - base).abs().amax(dim=(0, 2)) > 0
        assert differs.nonzero().flatten().tolist() == [j], column


def test_anchor_time_moves_only_timestamp_columns(stats, tensors):
    encoder = TableEncoder(stats, width=16, column_dim=8)
    n = tensors.num_rows
    a = encoder.column_embeddings(tensors, anchors(n))
    b = encoder.column_embeddings(tensors, anchors(n) + 86_400 * 30)
    differs = (a - b).abs().amax(dim=(0, 2)) > 0
    names = [c for c, d in zip(encoder.column_names, differs.tolist(), strict=True) if d]
    assert names == ["created_at", "shipped_at"]


def test_encoders_do_not_mutate_their_inputs(stats, tensors):
    before = {name: t.clone() for name, t in tensors.tensors().items()}
    anchor = anchors(tensors.num_rows)
    TableEncoder(stats, width=8)(tensors, anchor)
    for name, tensor in tensors.tensors().items():
        torch.testing.assert_close(tensor, before[name], rtol=0, atol=0, equal_nan=True)
    assert torch.equal(anchor, anchors(tensors.num_rows))


# ------------------------------------------------------------------ per stype semantics


def test_numerical_nan_gets_its_own_embedding_and_extremes_are_clipped():
    train = pd.DataFrame({"x": [float(v) for v in range(100)]})
    stats = TableStats.fit_data(train, {"x": "numerical"})
    encoder = NumericalEncoder(stats.columns_of("numerical"), dim=4)
    rows = pd.DataFrame({"x": [float("nan"), None, 1e30, stats.columns["x"].upper, -1e30]})
    out = encoder(tensorize(rows, stats))
    assert torch.isfinite(out).all()
    assert torch.equal(out[0], encoder.nan_embedding) and torch.equal(out[1], out[0])
    assert torch.allclose(out[2], out[3])  # clipped to the training upper bound
    assert not torch.allclose(out[2], out[4])
    out.sum().backward()
    assert encoder.nan_embedding.grad.abs().sum() > 0


def test_unknown_and_null_categories_share_the_unknown_row():
    stats = TableStats.fit_data(pd.DataFrame({"c": ["a", "b"]}), {"c": "categorical"})
    encoder = CategoricalEncoder(stats.columns_of("categorical"), dim=4)
    out = encoder(tensorize(pd.DataFrame({"c": ["zzz", None, "a"]}), stats))
    assert torch.equal(out[0], out[1]) and not torch.equal(out[0], out[2])
    assert torch.equal(out[0, 0], encoder.embedding.weight[0])


def test_multicategorical_is_the_mean_of_its_items():
    stats = TableStats.fit_data(pd.DataFrame({"m": ["a|b", "a"]}), {"m": "multicategorical"})
    encoder = MulticategoricalEncoder(stats.columns_of("multicategorical"), dim=4)
    out = encoder(tensorize(pd.DataFrame({"m": ["a|b", "a", "b", "b;a"]}), stats))[:, 0]
    torch.testing.assert_close(out[0], (out[1] + out[2]) / 2)
    torch.testing.assert_close(out[3], out[0])


def test_timestamps_null_and_anchor_checks():
    frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-01", None, "2024-01-01"])})
    stats = TableStats.fit_data(frame, {"at": "timestamp"})
    encoder = TimestampEncoder(stats.columns_of("timestamp"), dim=4, table="t")
    tensors = tensorize(frame, stats)
    out = encoder(tensors, torch.tensor([ANCHOR, ANCHOR, ANCHOR + 86_400 * 365]))
    assert torch.equal(out[1, 0], encoder.null_embedding[0])
    assert not torch.allclose(out[0], out[2])  # same time, older at a later anchor
    assert torch.equal(encoder(tensors, ANCHOR)[0], out[0])  # a scalar anchor is broadcast
    # a value after the anchor is not known yet: encoded exactly as NULL (no leakage)
    early = torch.tensor([1_704_067_200 - 1, ANCHOR, 1_704_067_200])  # 2024-01-01 minus 1 s
    masked = encoder(tensors, early)
    assert torch.equal(masked[0, 0], encoder.null_embedding[0])
    assert not torch.equal(masked[2, 0], encoder.null_embedding[0])  # known at its own time
    unmasked = TimestampEncoder(stats.columns_of("timestamp"), dim=4, mask_future=False)
    assert not torch.equal(unmasked(tensors, early)[0, 0], unmasked.null_embedding[0])
    with pytest.raises(EncoderError, match="TimestampEncoder needs anchor_time"):
        encoder(tensors)
    with pytest.raises(EncoderError, match=r"must hold int64 epoch seconds \(got torch.float32\)"):
        encoder(tensors, torch.full((3,), float(ANCHOR)))
    with pytest.raises(EncoderError, match=r"one anchor time per row \(3\), got 2"):
        encoder(tensors, torch.tensor([ANCHOR, ANCHOR]))


def test_table_without_features_gives_a_learned_constant():
    stats = TableStats(table="links", columns={})
    encoder = TableEncoder(stats, width=8)
    tensors = tensorize(pd.DataFrame({"a_id": [1, 2, 3]}), stats)
    out = encoder(tensors)
    assert out.shape == (3, 8) and torch.equal(out[0], out[2])
    assert not encoder.has_features and not encoder.needs_anchor_time
    out.sum().backward()
    assert encoder.constant.grad is not None


def test_state_dict_round_trip_with_saved_stats(stats, tensors):
    torch.manual_seed(0)
    encoder = TableEncoder(stats, width=8, column_dim=4)
    again = TableEncoder(TableStats.from_dict(stats.to_dict()), width=8, column_dim=4)
    again.load_state_dict(encoder.state_dict())
    n = tensors.num_rows
    assert torch.equal(encoder(tensors, anchors(n)), again(tensors, anchors(n)))


# ------------------------------------------------------------------ validation


def test_missing_stype_in_the_encoder_map_names_the_column(stats):
    encoders = {k: v for k, v in DEFAULT_ENCODERS.items() if k is not Stype.text}
    with pytest.raises(
        EncoderError,
        match=r"No encoder for stype 'text' \(column events\.review, events\.title\).*"
        r"encoders=\{Stype\.text: TextEncoder\}",
    ):
        TableEncoder(stats, width=8, encoders=encoders)


def test_wrong_encoder_for_a_stype_names_the_column(stats):
    encoders = {**DEFAULT_ENCODERS, "text": NumericalEncoder}
    with pytest.raises(
        EncoderError,
        match=r"NumericalEncoder does not support stype 'text' \(column events\.review\); "
        r"it supports: numerical\. Use TextEncoder",
    ):
        TableEncoder(stats, width=8, encoders=encoders)
    with pytest.raises(
        EncoderError, match=r"CategoricalEncoder does not support stype 'numerical'"
    ):
        CategoricalEncoder(stats.columns_of("numerical"), dim=4, table="events")


def test_bad_encoder_maps_are_refused(stats):
    only_numbers = TableStats(table="t", columns={"amount": stats.columns["amount"]})
    with pytest.raises(EncoderError, match=r"Encoder map: Unknown stype 'txt'"):
        TableEncoder(only_numbers, width=8, encoders={"txt": TextEncoder})
    with pytest.raises(EncoderError, match=r"must be a StypeEncoder subclass"):
        TableEncoder(only_numbers, width=8, encoders={"numerical": torch.nn.Linear})
    # an unused key with an encoder that does not support it
    with pytest.raises(EncoderError, match=r"TimestampEncoder does not support stype 'text'"):
        TableEncoder(
            only_numbers,
            width=8,
            encoders={"numerical": NumericalEncoder, "text": TimestampEncoder},
        )
    with pytest.raises(EncoderError, match=r"width must be an integer >= 1 \(got 0\)"):
        TableEncoder(only_numbers, width=0)


def test_tensors_of_other_stats_are_refused(stats, tensors):
    other = TableStats.fit_data(pd.DataFrame({"amount": [1.0]}), {"amount": "numerical"})
    encoder = TableEncoder(other, width=8)
    with pytest.raises(EncoderError, match=r"numerical columns \['amount', 'quantity'\] are not"):
        encoder(tensors)
