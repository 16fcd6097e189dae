"""Column encoders by semantic type, and the relative-time encoding.

The flow for a table: :class:`TableStats` fitted on training rows only
(``time <= until``), :func:`tensorize` of every row once into
:class:`TableTensors` (row ``i`` is node ``i``), ``index_select`` of a batch's
sampled rows, then :class:`TableEncoder` (one encoder per stype, combined)
and :class:`RelativeTimeEncoder` (each node's age at its anchor time).

Example:
    >>> import pandas as pd, torch, relgraph as rg
    >>> from relgraph.encode import TableEncoder, encode_database
    >>> db = rg.connect({"orders": pd.DataFrame({
    ...     "order_id": [1, 2, 3], "amount": [5.0, 7.5, None],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-03-01"])})})
    >>> stats, tensors = encode_database(db, until="2024-01-31")["orders"]
    >>> encoder = TableEncoder(stats, width=8)
    >>> batch = tensors.index_select(torch.tensor([2, 0]))
    >>> encoder(batch, anchor_time=torch.full((2,), 1_709_251_200)).shape
    torch.Size([2, 8])
"""

from relgraph.encode.config import EncodeConfig
from relgraph.encode.database import encode_database
from relgraph.encode.encoders import (
    DEFAULT_ENCODERS,
    CategoricalEncoder,
    MulticategoricalEncoder,
    NumericalEncoder,
    StypeEncoder,
    TableEncoder,
    TextEncoder,
    TimestampEncoder,
)
from relgraph.encode.errors import EncoderError
from relgraph.encode.relative_time import RelativeTimeEncoder
from relgraph.encode.stats import ColumnStats, TableStats
from relgraph.encode.tensorize import NULL_TIME, TableTensors, tensorize
from relgraph.encode.text import sentence_encoder_available

__all__ = [
    "DEFAULT_ENCODERS",
    "NULL_TIME",
    "CategoricalEncoder",
    "ColumnStats",
    "EncodeConfig",
    "EncoderError",
    "MulticategoricalEncoder",
    "NumericalEncoder",
    "RelativeTimeEncoder",
    "StypeEncoder",
    "TableEncoder",
    "TableStats",
    "TableTensors",
    "TextEncoder",
    "TimestampEncoder",
    "encode_database",
    "sentence_encoder_available",
    "tensorize",
]
