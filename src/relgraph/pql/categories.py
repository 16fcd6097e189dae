"""The label of a multicategorical target (``PREDICT articles.tags RANK TOP k``):
the set of a row's categories, read as relgraph's encoders read the column.

A list value (DuckDB ``VARCHAR[]``, a Parquet list) gives its items; text is
split on ``|``, ``;`` or ``,`` (:data:`relgraph.encode.columns.ITEM_SEPARATORS`).
Items are trimmed and kept as text; empty and NULL items are dropped, and
repeats count once. The label is the sorted list of what is left: ``[]`` for
an empty value, ``None`` for NULL (no label: the entity is predicted).

Example:
    >>> category_set("toys| books ;toys")
    ['books', 'toys']
    >>> category_set(["b", None, "a", ""]), category_set(""), category_set(None)
    (['a', 'b'], [], None)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from relgraph.encode.columns import ITEM_SEPARATORS

__all__ = ["category_set", "category_sets"]

_SPLIT = re.compile(ITEM_SEPARATORS)


def category_set(value: Any) -> list[str] | None:
    """The sorted distinct categories of one value (``None`` for NULL)."""
    if isinstance(value, list | tuple | np.ndarray):
        items = [None if _missing(x) else str(x) for x in value]
    elif hasattr(value, "tolist") and not isinstance(value, str):
        items = [None if _missing(x) else str(x) for x in value.tolist()]
    elif _missing(value):
        return None
    else:
        items = _SPLIT.split(str(value))
    return sorted({s for s in (x.strip() for x in items if x is not None) if s})


def category_sets(values: pd.Series) -> list[list[str] | None]:
    """:func:`category_set` of every value."""
    return [category_set(v) for v in values]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
