"""Every table of a database at once: statistics fitted on the rows visible at
``until``, tensors of every row."""

from __future__ import annotations

from typing import Any

from relgraph.encode.config import EncodeConfig
from relgraph.encode.stats import TableStats, feature_stypes
from relgraph.encode.tensorize import TableTensors, tensorize
from relgraph.encode.text import SentenceModel

__all__ = ["encode_database"]


def encode_database(
    db: Any,
    until: Any,
    config: EncodeConfig | None = None,
    *,
    tables: list[str] | None = None,
    sentence_model: SentenceModel | None = None,
) -> dict[str, tuple[TableStats, TableTensors]]:
    """Fit statistics (rows visible at ``until``) and tensorize every row of
    each table that has feature columns.

    Each table is read once. Tables without feature columns (only keys and
    links) are left out: their nodes get :class:`TableEncoder`'s learned
    constant (build it from ``TableStats(table=name, columns={})``).

    Args:
        db (Database): The database.
        until: Last training time (``pd.Timestamp``, ``datetime``, ISO string
            or ``int`` epoch seconds): statistics see only rows with a time
            ``<= until`` (and every row of a static table). :obj:`None` fits
            on every row.
        config (EncodeConfig, optional): Settings. (default: :obj:`EncodeConfig()`)
        tables (list[str], optional): Only these tables. (default: all)
        sentence_model (SentenceModel, optional): Encoder for sentence-encoded
            text (default: the bundled one, when text is encoded that way).

    Returns:
        ``{table: (stats, tensors)}``, tensors row-aligned with ``db.arrow(table)``
        (row ``i`` is node ``i`` of the temporal graph).

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> db = rg.connect({"orders": pd.DataFrame({
        ...     "order_id": [1, 2, 3], "channel": ["web", "app", "fax"],
        ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-03-01"])})})
        >>> encoded = encode_database(db, until="2024-01-31")
        >>> stats, tensors = encoded["orders"]
        >>> stats.columns["channel"].vocab, tensors.categorical[:, 0].tolist()
        (('app', 'web'), [2, 1, 0])
    """
    config = config or EncodeConfig()
    out: dict[str, tuple[TableStats, TableTensors]] = {}
    for name in tables if tables is not None else list(db.schema.tables):
        schema = db.schema.table(name)
        stypes = feature_stypes(schema.columns)
        if not stypes:
            continue
        needed = list(stypes)
        if schema.time_column is not None and schema.time_column not in needed:
            needed.append(schema.time_column)
        data = db.arrow(name, needed)
        stats = TableStats.fit_data(
            data, stypes, table=name, time_column=schema.time_column, until=until, config=config
        )
        out[name] = (stats, tensorize(data, stats, sentence_model=sentence_model))
    return out
