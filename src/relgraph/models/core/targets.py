"""A category target's classes and their codes, and a multilabel target's
fixed label set and 0/1 matrix: the same for every family."""

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


#: The most labels a multilabel target (``LIST_DISTINCT(...) CLASSIFY``) predicts:
#: the keys that occur most often in the training labels (docs/pql.md).
MAX_LABELS = 100


def label_set(labels: pd.Series, limit: int = MAX_LABELS) -> list[str]:
    """The fixed labels of a multilabel target: the ``limit`` keys (as text)
    that occur in most training examples, ties in text order.

    Example:
        >>> label_set(pd.Series([[3, 1], [1], [], [2, 3]]), limit=2)
        ['1', '3']
    """
    counts = pd.Series([str(x) for items in labels for x in items], dtype=object).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [key for key, _ in ordered[:limit]]


def label_matrix(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """One row per example, one 0/1 column per label of ``classes`` (keys
    outside the set are left out).

    Example:
        >>> label_matrix(pd.Series([[3, 1], [], [7]]), ["1", "3"]).tolist()
        [[1, 1], [0, 0], [0, 0]]
    """
    index = {c: j for j, c in enumerate(classes)}
    out = np.zeros((len(labels), len(classes)), dtype=np.int64)
    for i, items in enumerate(labels):
        for x in items:
            j = index.get(str(x))
            if j is not None:
                out[i, j] = 1
    return out
