"""The error of the encoding stage (column statistics, tensors, encoders)."""

from __future__ import annotations

from relgraph.errors import RelgraphError

__all__ = ["EncoderError"]


class EncoderError(RelgraphError):
    """Columns cannot be turned into features as asked: an stype without an
    encoder, an encoder given an stype it does not support, values that do not
    fit a column's stype, or tensors that do not fit the fitted statistics."""
