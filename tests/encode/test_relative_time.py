from __future__ import annotations

import pytest
import torch

from relgraph.encode import EncoderError, RelativeTimeEncoder

MINUTE, HOUR, DAY, YEAR = 60, 3_600, 86_400, 365 * 86_400


def test_shapes_and_backward():
    torch.manual_seed(0)
    encoder = RelativeTimeEncoder(width=12, num_frequencies=8)
    rel_time = torch.tensor([0, MINUTE, HOUR, DAY, 7 * DAY, YEAR, 30 * YEAR])
    out = encoder(rel_time)
    assert out.shape == (7, 12) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert encoder.features(rel_time).shape == (7, 17)
    out[:, 0].sum().backward()
    assert encoder.linear.weight.grad is not None


def test_ages_from_minutes_to_decades_are_told_apart():
    encoder = RelativeTimeEncoder(width=8)
    ages = torch.tensor(
        [0, MINUTE, HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, YEAR, 2 * YEAR, 40 * YEAR]
    )
    features = encoder.features(ages)
    distances = torch.cdist(features, features)
    off_diagonal = distances + torch.eye(len(ages)) * 1e9
    assert off_diagonal.min() > 0.1
    # the last feature is the log-scaled age itself: increasing, 0 at age 0
    u = features[:, -1]
    assert u[0] == 0 and (u[1:] > u[:-1]).all()


def test_static_rows_get_one_learned_vector():
    encoder = RelativeTimeEncoder(width=6)
    all_static = encoder(torch.tensor([0, 0, 5]), static=True)
    assert torch.equal(all_static[0], encoder.static_embedding)
    assert torch.equal(all_static[0], all_static[2])
    mask = torch.tensor([True, False, True])
    mixed = encoder(torch.tensor([0, DAY, 0]), static=mask)
    assert torch.equal(mixed[0], encoder.static_embedding)
    torch.testing.assert_close(mixed[1], encoder(torch.tensor([DAY]))[0])
    mixed.sum().backward()
    assert encoder.static_embedding.grad is not None


def test_negative_ages_are_leakage():
    encoder = RelativeTimeEncoder(width=4)
    with pytest.raises(EncoderError, match=r"after its anchor time.*min -5 s"):
        encoder(torch.tensor([10, -5]))
    # static rows are exempt; the check can be turned off
    encoder(torch.tensor([10, -5]), static=torch.tensor([False, True]))
    RelativeTimeEncoder(width=4, check=False)(torch.tensor([-5]))


def test_argument_validation():
    with pytest.raises(EncoderError, match=r"width must be an integer >= 1 \(got 0\)"):
        RelativeTimeEncoder(width=0)
    with pytest.raises(EncoderError, match=r"max_days must be > 0"):
        RelativeTimeEncoder(width=4, max_days=0)
    with pytest.raises(EncoderError, match=r"static has 2 values for 3 rows"):
        RelativeTimeEncoder(width=4)(torch.tensor([1, 2, 3]), static=torch.tensor([True, False]))
