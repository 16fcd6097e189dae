"""The relative-time encoding every sampled node gets: how long before the
example's anchor time its row came into existence.

A GNN that sees only features and links sees totals; with the age of every
neighbor it sees recency and sequence (three orders last week versus three
orders last year). Ages span minutes to decades, so they are encoded on a
log scale: ``u = log1p(age in minutes) / log1p(max_days in minutes)`` (``0``
for an age of zero, about ``1`` at ``max_days``), then ``sin``/``cos`` of
``u`` at geometrically spaced frequencies (the slowest is a half period over
the whole range, so it orders all ages; the fastest tells apart ages about
a factor of two apart), plus ``u`` itself, through a linear layer. Rows of
static tables have no time: they get a learned vector of their own.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from relgraph.encode.errors import EncoderError

__all__ = ["RelativeTimeEncoder"]

_MINUTES_PER_DAY = 1440.0


class RelativeTimeEncoder(nn.Module):
    """Encode ``anchor_time - row_time`` (seconds, ``>= 0``) into ``width`` features.

    Args:
        width (int): Output width.
        num_frequencies (int): Sinusoid frequencies over the log-scaled age.
            (default: :obj:`16`)
        max_days (float): Age mapped to ``u = 1`` (older ages still encode,
            beyond ``1``). (default: :obj:`36525.0`, a century)
        check (bool): Raise on a negative age (a row after its anchor time,
            i.e. leakage) among non-static rows. (default: :obj:`True`)

    Shapes:
        - **input:** ``rel_time`` ``[N]`` (int64 or float seconds);
          ``static`` a bool, or a bool tensor ``[N]``.
        - **output:** ``[N, width]``.

    Example:
        >>> encoder = RelativeTimeEncoder(width=8)
        >>> rel_time = torch.tensor([0, 3_600, 86_400 * 365])
        >>> encoder(rel_time).shape
        torch.Size([3, 8])
        >>> static_rows = encoder(torch.zeros(2, dtype=torch.long), static=True)
        >>> torch.equal(static_rows[0], static_rows[1])
        True
    """

    def __init__(
        self,
        width: int,
        num_frequencies: int = 16,
        max_days: float = 36_525.0,
        check: bool = True,
    ) -> None:
        super().__init__()
        for name, value in (("width", width), ("num_frequencies", num_frequencies)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise EncoderError(
                    f"RelativeTimeEncoder: {name} must be an integer >= 1 (got {value!r})."
                )
        if not max_days > 0:
            raise EncoderError(f"RelativeTimeEncoder: max_days must be > 0 (got {max_days!r}).")
        self.width = width
        self.check = check
        self.log_range = math.log1p(max_days * _MINUTES_PER_DAY)
        fastest = 2.0 * num_frequencies
        frequencies = math.pi * torch.logspace(0.0, math.log10(fastest), num_frequencies)
        self.register_buffer("frequencies", frequencies.to(torch.float32))
        self.linear = nn.Linear(2 * num_frequencies + 1, width)
        self.static_embedding = nn.Parameter(torch.randn(width) * 0.1)

    def features(self, rel_time: Tensor) -> Tensor:
        """The sinusoidal features before the linear layer, ``float32 [N, 2K + 1]``."""
        minutes = rel_time.to(torch.float64).clamp(min=0.0) / 60.0
        u = (torch.log1p(minutes) / self.log_range).to(torch.float32).unsqueeze(-1)
        angles = u * self.frequencies
        return torch.cat([torch.sin(angles), torch.cos(angles), u], dim=-1)

    def forward(self, rel_time: Tensor, static: Tensor | bool = False) -> Tensor:
        """Encode ages.

        Args:
            rel_time (Tensor): ``[N]`` anchor time minus row time, in seconds.
            static (Tensor | bool): Whether each row (or every row) belongs to
                a static table; those rows get the learned static vector.
                (default: :obj:`False`)
        """
        rel_time = torch.as_tensor(rel_time).reshape(-1)
        if isinstance(static, bool):
            if static:
                return self.static_embedding.expand(rel_time.numel(), -1).clone()
            static_mask = None
        else:
            static_mask = torch.as_tensor(static, dtype=torch.bool, device=rel_time.device)
            static_mask = static_mask.reshape(-1)
            if static_mask.numel() != rel_time.numel():
                raise EncoderError(
                    f"RelativeTimeEncoder: static has {static_mask.numel()} values for "
                    f"{rel_time.numel()} rows."
                )
        if self.check and rel_time.numel():
            timed = rel_time if static_mask is None else rel_time[~static_mask]
            if timed.numel() and bool((timed < 0).any()):
                raise EncoderError(
                    "RelativeTimeEncoder: a row's time is after its anchor time (negative "
                    f"rel_time, min {int(timed.min())} s); that row must not be visible to "
                    "this example (leakage). Sample only rows with time <= anchor time."
                )
        out = self.linear(self.features(rel_time).to(self.linear.weight.dtype))
        if static_mask is not None:
            out = torch.where(static_mask.unsqueeze(-1), self.static_embedding.expand_as(out), out)
        return out
