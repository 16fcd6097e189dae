"""Settings of column statistics and tensorization, shared by fit and transform."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from relgraph.encode.errors import EncoderError

__all__ = ["EncodeConfig", "TEXT_METHODS"]

#: How text columns become features: ``"auto"`` picks ``"sentence"`` when the
#: offline sentence encoder is installed, else ``"hashing"``.
TEXT_METHODS = ("auto", "hashing", "sentence")


@dataclass(frozen=True)
class EncodeConfig:
    """How columns are summarised (fit) and turned into tensors (transform).

    Args:
        max_categories (int): Vocabulary cap of a categorical column, and of
            the items of a multicategorical column; the most frequent values
            are kept. (default: :obj:`10_000`)
        max_list_items (int): Items of a multicategorical value kept per row
            (the first ones). (default: :obj:`32`)
        text_method (str): ``"auto"``, ``"hashing"`` or ``"sentence"``.
            (default: :obj:`"auto"`)
        text_buckets (int): Hash buckets of hashed text tokens, including the
            two reserved ids (``0`` padding, ``1`` empty/NULL text).
            (default: :obj:`32_768`)
        text_max_tokens (int): Tokens of a text value kept per row (the first
            ones). (default: :obj:`32`)
        clip_quantiles (tuple[float, float]): Quantiles of the training values
            that clip a numerical column. (default: :obj:`(0.005, 0.995)`)

    Example:
        >>> EncodeConfig(text_method="hashing").text_buckets
        32768
    """

    max_categories: int = 10_000
    max_list_items: int = 32
    text_method: str = "auto"
    text_buckets: int = 1 << 15
    text_max_tokens: int = 32
    clip_quantiles: tuple[float, float] = (0.005, 0.995)

    def __post_init__(self) -> None:
        for name, least in (
            ("max_categories", 1),
            ("max_list_items", 1),
            ("text_buckets", 3),
            ("text_max_tokens", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise EncoderError(
                    f"EncodeConfig.{name} must be an integer >= {least} (got {value!r})."
                )
        if self.text_method not in TEXT_METHODS:
            raise EncoderError(
                f"EncodeConfig.text_method must be one of {', '.join(TEXT_METHODS)} "
                f"(got {self.text_method!r})."
            )
        low, high = self.clip_quantiles
        if not 0.0 <= low < high <= 1.0:
            raise EncoderError(
                "EncodeConfig.clip_quantiles must be (low, high) with 0 <= low < high <= 1 "
                f"(got {self.clip_quantiles!r})."
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (for saving a model)."""
        return asdict(self)
