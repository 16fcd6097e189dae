"""A category target's classes and their codes, the same for every family."""

from __future__ import annotations

import numpy as np
import pandas as pd


def classes_of(labels: pd.Series) -> list[str]:
    """The classes of category labels, as sorted text.

    Example:
        >>> classes_of(pd.Series(["web", "app", "web"]))
        ['app', 'web']
    """
    return sorted(labels.astype(str).unique())


def class_codes(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Each label's position in ``classes`` (``int64``), ``-1`` for a class
    not among them (one training never saw).

    Example:
        >>> class_codes(pd.Series(["web", "store", "app"]), ["app", "web"]).tolist()
        [1, -1, 0]
    """
    index = {c: i for i, c in enumerate(classes)}
    return labels.astype(str).map(lambda c: index.get(c, -1)).to_numpy(dtype=np.int64)
