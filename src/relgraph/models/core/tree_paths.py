"""Per-feature contributions of a LightGBM booster's predictions, read along
each row's decision path: every split a row passes credits its feature with
the change it makes to the expected output (the child's expected value minus
the node's, both weighted by the training rows that reached them).

This is the path attribution of Saabas ("treeinterpreter"). Like LightGBM's
own ``pred_contrib`` (TreeSHAP), a row's contributions plus the bias (the
tree's expected value, the same number TreeSHAP reports) add up exactly to its
raw score; unlike it, a row's contributions depend on its leaf alone, so they
are a table lookup per tree: one pass of ``pred_leaf`` and a sparse product,
about ten times faster than TreeSHAP on the demo's 16,000 customers
(``benchmarks/icl_bulk.py``). For a tree of one split both give the same
numbers; on deeper trees they agree on the strongest feature of most rows, and
TreeSHAP's fairer sharing among the features of one path is what is given up.
See ``docs/models.md`` ("Reasons").

Example:
    >>> import lightgbm as lgb, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3))
    >>> y = (x[:, 0] > 0).astype(float)
    >>> params = {"objective": "binary", "verbose": -1, "num_leaves": 4}
    >>> booster = lgb.train(params, lgb.Dataset(x, y), 20)
    >>> contrib = path_contributions(booster, x[:5])
    >>> contrib.shape  # one column per feature, then the bias
    (5, 4)
    >>> bool(np.allclose(contrib.sum(axis=1), booster.predict(x[:5], raw_score=True)))
    True
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import scipy.sparse as sparse

#: Leaf tables of the boosters explained so far (dropped with their booster).
_TABLES: weakref.WeakKeyDictionary[Any, LeafTables] = weakref.WeakKeyDictionary()


class LeafTables:
    """Per tree, each leaf's contributions (one row: a column per feature,
    the last the tree's expected value), stacked per class.

    Read from ``booster.model_to_string()`` at the booster's best iteration
    (as ``predict`` uses it); its text is parsed in a few milliseconds where
    ``dump_model``'s JSON takes tens."""

    def __init__(self, booster: Any) -> None:
        header, trees = _parse_model(booster.model_to_string())
        self.num_features = int(header["max_feature_idx"]) + 1
        self.per_iteration = int(header["num_tree_per_iteration"])
        self.tables = [self._tree_table(tree) for tree in trees]
        #: Per class: its trees' tables stacked (sparse), and each tree's first row.
        self.stacked: list[tuple[sparse.csr_matrix, np.ndarray]] = []
        for k in range(self.per_iteration):
            tables = self.tables[k :: self.per_iteration]
            offsets = np.cumsum([0] + [len(t) for t in tables])[:-1]
            self.stacked.append((sparse.csr_matrix(np.vstack(tables)), offsets))

    def _tree_table(self, tree: dict[str, str]) -> np.ndarray:
        width = self.num_features + 1
        leaf_value = np.array(tree["leaf_value"].split(), dtype=float)
        table = np.zeros((len(leaf_value), width))
        if len(leaf_value) == 1:  # a tree of one leaf: all of it is bias
            table[0, -1] = leaf_value[0]
            return table
        feature = [int(v) for v in tree["split_feature"].split()]
        left = [int(v) for v in tree["left_child"].split()]
        right = [int(v) for v in tree["right_child"].split()]
        leaf_count = np.array(tree["leaf_count"].split(), dtype=float)
        internal = _expected_values(left, right, leaf_value, leaf_count)

        def value(child: int) -> float:  # a leaf is written as ~index
            return leaf_value[~child] if child < 0 else internal[child]

        credit = np.zeros((len(feature), width))  # what reaching each node has credited
        for node in range(len(feature)):  # a child's index is above its parent's
            for child in (left[node], right[node]):
                step = credit[node].copy()
                step[feature[node]] += value(child) - internal[node]
                if child < 0:
                    table[~child] = step
                else:
                    credit[child] = step
        table[:, -1] = internal[0]
        return table

    def contributions(self, leaf_index: np.ndarray) -> np.ndarray:
        """Contributions of rows whose leaves are ``leaf_index`` (rows x trees,
        as ``predict(pred_leaf=True)`` gives): ``(rows, classes x (features + 1))``."""
        rows = len(leaf_index)
        blocks = []
        for k, (stacked, offsets) in enumerate(self.stacked):
            columns = (leaf_index[:, k :: self.per_iteration] + offsets).ravel()
            pointers = np.arange(0, len(columns) + 1, len(offsets))
            picks = sparse.csr_matrix(
                (np.ones(len(columns)), columns, pointers), shape=(rows, stacked.shape[0])
            )
            # sparse times sparse: a leaf's row holds only its path's features,
            # so the cost is rows x trees x depth, not x features
            blocks.append((picks @ stacked).toarray())
        return np.hstack(blocks) if len(blocks) > 1 else blocks[0]


def _parse_model(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header's ``key=value`` lines and each tree's, of LightGBM's model text."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    current = header
    for line in text.split("\n"):
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif line == "end of trees":
            break
        else:
            key, sep, value = line.partition("=")
            if sep:
                current[key] = value
    return header, trees


def _expected_values(
    left: list[int], right: list[int], leaf_value: np.ndarray, leaf_count: np.ndarray
) -> np.ndarray:
    """Each internal node's expected output: the mean of its leaves' values
    weighted by their training rows (a node of no rows: its children's mean)."""
    values = np.zeros(len(left))
    counts = np.zeros(len(left))
    for node in reversed(range(len(left))):  # children (higher indices) first
        pair = [
            (leaf_value[~c], leaf_count[~c]) if c < 0 else (values[c], counts[c])
            for c in (left[node], right[node])
        ]
        counts[node] = pair[0][1] + pair[1][1]
        values[node] = (
            (pair[0][0] * pair[0][1] + pair[1][0] * pair[1][1]) / counts[node]
            if counts[node]
            else (pair[0][0] + pair[1][0]) / 2
        )
    return values


def path_contributions(booster: Any, x: Any) -> np.ndarray:
    """Each row's per-feature contributions and bias, laid out as LightGBM's
    ``booster.predict(x, pred_contrib=True)`` (for several classes, a block of
    ``features + 1`` columns per class), by path attribution (see the module).
    A booster's trees are read once and kept while it lives, so train it no
    further after explaining with it.

    Example:
        >>> import lightgbm as lgb, numpy as np
        >>> x = np.array([[0.0], [0.0], [1.0], [1.0]] * 10)
        >>> y = x[:, 0] * 2.0
        >>> params = {"objective": "l2", "verbose": -1, "min_data_in_leaf": 1,
        ...           "min_data_in_bin": 1, "learning_rate": 1.0, "boost_from_average": False}
        >>> booster = lgb.train(params, lgb.Dataset(x, y), 1)
        >>> path_contributions(booster, np.array([[0.0], [1.0]])).round(6).tolist()
        [[-1.0, 1.0], [1.0, 1.0]]
    """
    tables = _TABLES.get(booster)
    if tables is None:
        tables = _TABLES[booster] = LeafTables(booster)
    leaf_index = np.asarray(booster.predict(x, pred_leaf=True), dtype=np.int64)
    return tables.contributions(leaf_index.reshape(len(leaf_index), -1))
