"""Foreign keys to time-sorted CSR adjacency, vectorized end to end.

Two steps turn a link ``src_table.fk -> dst_table.key`` into edges:

1. :func:`match_keys` maps every foreign-key value to the position of the
   row holding that key (``-1`` when null or dangling): a lookup table for
   dense integer keys, Arrow's hash join (``index_in``) otherwise.
2. :func:`build_csr` groups edges by source node and orders each node's
   neighbors by ``(time, position)`` with a single sort over all edges, then
   derives ``indptr`` with ``bincount`` + ``cumsum``.

No step loops over rows in Python.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from relgraph.errors import GraphError

__all__ = ["CSR", "STATIC_TIME", "NEVER_TIME", "match_keys", "time_rank", "build_csr"]

#: Time of a row of a static table: visible at every anchor time.
STATIC_TIME = int(np.iinfo(np.int64).min)
#: Time of a row whose time is NULL: visible at no anchor time.
NEVER_TIME = int(np.iinfo(np.int64).max)

_INT64_MAX = NEVER_TIME
#: Integer keys spanning at most ``_DENSE_FACTOR * n + _DENSE_SLACK`` values are
#: matched through a direct lookup table instead of a hash table.
_DENSE_FACTOR = 4
_DENSE_SLACK = 1 << 16
#: Sorts of at least this many keys use torch's radix sort (3-4x numpy's
#: argsort on int64 here), worth its one-second import; smaller sorts use it
#: only if torch is already imported.
_TORCH_SORT_MIN = 4_000_000


@dataclass(frozen=True, eq=False)
class CSR:
    """Adjacency of one edge type in compressed sparse row form.

    The neighbors of source node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``,
    sorted by ``time`` ascending and, among equal times, by position.

    Args:
        indptr (np.ndarray): ``int64``, ``num_src + 1`` offsets into ``indices``.
        indices (np.ndarray): ``int64`` positions of the neighbors (destination nodes).
        time (np.ndarray): ``int64`` epoch seconds of each neighbor row
            (:data:`STATIC_TIME` for static rows, :data:`NEVER_TIME` for NULL times).
        num_dst (int): Number of nodes of the destination type.
        reverse (bool): Whether the edges point from the referenced row to the
            referencing rows (the reverse direction of a foreign key).
            (default: :obj:`False`)

    Shapes:
        ``indptr``: ``(num_src + 1,)``; ``indices``, ``time``: ``(num_edges,)``.
    """

    indptr: np.ndarray
    indices: np.ndarray
    time: np.ndarray
    num_dst: int
    reverse: bool = False

    @property
    def num_src(self) -> int:
        return len(self.indptr) - 1

    @property
    def num_edges(self) -> int:
        return len(self.indices)

    def degree(self) -> np.ndarray:
        """Number of neighbors of every source node (``int64``, ``(num_src,)``)."""
        return np.diff(self.indptr)

    @property
    def edge_row(self) -> np.ndarray:
        """Row of the referencing table that produced each edge.

        For a forward edge that row is the source node; for a reverse edge it
        is the neighbor. Computed on access (it is never stored).
        """
        if self.reverse:
            return self.indices
        return np.repeat(np.arange(self.num_src, dtype=np.int64), self.degree())

    def neighbors(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, time)`` of the neighbors of ``node``, as views."""
        start, end = int(self.indptr[node]), int(self.indptr[node + 1])
        return self.indices[start:end], self.time[start:end]

    def __repr__(self) -> str:
        return (
            f"CSR(num_src={self.num_src}, num_dst={self.num_dst}, "
            f"num_edges={self.num_edges}, reverse={self.reverse})"
        )


def match_keys(
    keys: pa.Array | pa.ChunkedArray,
    values: pa.Array | pa.ChunkedArray,
    *,
    where: str = "link",
) -> np.ndarray:
    """Position of the key equal to each value, or ``-1`` (null or no match).

    Args:
        keys: The referenced column (must be unique among its non-null values).
        values: The referencing (foreign-key) column.
        where: The link, for error messages. (default: ``"link"``)

    Returns:
        ``int64`` array of ``len(values)`` positions into ``keys``.

    Raises:
        GraphError: If the keys repeat or the two columns cannot be compared.

    Example:
        >>> import pyarrow as pa
        >>> match_keys(pa.array(["b", "a"]), pa.array(["a", None, "c", "b"])).tolist()
        [1, -1, -1, 0]
    """
    keys, values = _plain(keys), _plain(values)
    keys, values = _common_type(keys, values, where)
    if pa.types.is_integer(keys.type):
        positions = _match_integers(keys, values, where)
        if positions is not None:
            return positions
    distinct = pc.count_distinct(keys).as_py()
    if distinct != len(keys) - keys.null_count:
        counts = pc.value_counts(keys.drop_null())
        example = counts.filter(pc.greater(counts.field("counts"), 1))[0]["values"].as_py()
        _raise_duplicates(where, len(keys) - keys.null_count - distinct, example)
    found = pc.index_in(values, value_set=keys, skip_nulls=True)
    return found.fill_null(-1).to_numpy().astype(np.int64, copy=False)


def time_rank(time: np.ndarray) -> np.ndarray:
    """Rank of every node when nodes are ordered by ``(time, position)``.

    Example:
        >>> time_rank(np.array([30, 10, 30, 20])).tolist()
        [2, 0, 3, 1]
    """
    n = len(time)
    if n < 2 or bool(np.all(time[1:] >= time[:-1])):
        return np.arange(n, dtype=np.int64)
    order = argsort(time, stable=True)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def build_csr(
    src: np.ndarray,
    dst: np.ndarray,
    num_src: int,
    dst_time: np.ndarray,
    dst_rank: np.ndarray | None = None,
    *,
    reverse: bool = False,
) -> CSR:
    """Group edges ``src[e] -> dst[e]`` by source, neighbors sorted by time.

    Within a source node, neighbors are ordered by ``(dst_time[dst], dst)``.
    That order is one sort of the key ``src * num_dst + dst_rank[dst]`` over
    all edges (``dst_rank`` from :func:`time_rank`), skipped when the edges
    are already in order (e.g. the forward edges of a foreign key, at most one
    per row, in row order).

    Args:
        src (np.ndarray): Source node of each edge.
        dst (np.ndarray): Destination node of each edge.
        num_src (int): Number of source nodes.
        dst_time (np.ndarray): ``int64`` time of every destination node.
        dst_rank (np.ndarray, optional): :func:`time_rank` of ``dst_time``,
            computed when needed if not given. (default: :obj:`None`)
        reverse (bool): Stored on the result. (default: :obj:`False`)

    Returns:
        :class:`CSR`.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    num_dst = len(dst_time)
    indptr = np.zeros(num_src + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=num_src), out=indptr[1:])
    if len(src) > 1 and not bool(np.all(src[1:] > src[:-1])):
        if dst_rank is None:
            dst_rank = time_rank(dst_time)
        order = _order_by_source_then_rank(src, dst_rank[dst], num_src, num_dst)
        if order is not None:
            dst = dst[order]
    return CSR(indptr=indptr, indices=dst, time=dst_time[dst], num_dst=num_dst, reverse=reverse)


def _order_by_source_then_rank(
    src: np.ndarray, rank: np.ndarray, num_src: int, num_dst: int
) -> np.ndarray | None:
    """Permutation sorting edges by ``(src, rank)``; ``None`` if already sorted."""
    if num_src * num_dst <= _INT64_MAX:
        key = src * num_dst + rank
        if bool(np.all(key[1:] >= key[:-1])):
            return None
        return argsort(key)
    return np.lexsort((rank, src))


def argsort(values: np.ndarray, stable: bool = False) -> np.ndarray:
    """``np.argsort`` of an int64 array, through torch's faster sort when worth it."""
    if len(values) >= _TORCH_SORT_MIN or (len(values) > 1 and "torch" in sys.modules):
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
        else:
            tensor = torch.from_numpy(np.ascontiguousarray(values, dtype=np.int64))
            return torch.sort(tensor, stable=stable).indices.numpy()
    return np.argsort(values, kind="stable" if stable else None)


def _plain(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous, non-dictionary Arrow array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], type=column.type)
    elif not isinstance(column, pa.Array):
        column = pa.array(column)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column


def _is_string(type_: pa.DataType) -> bool:
    return (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or (pa.types.is_string_view(type_))
    )


def _is_number(type_: pa.DataType) -> bool:
    return pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_)


def _common_type(keys: pa.Array, values: pa.Array, where: str) -> tuple[pa.Array, pa.Array]:
    """Cast key and foreign-key columns to one comparable type."""
    kt, vt = keys.type, values.type
    if pa.types.is_null(vt):
        return keys, values.cast(kt)
    if pa.types.is_null(kt):
        return keys.cast(vt), values
    if pa.types.is_integer(kt) and pa.types.is_integer(vt):
        return _cast(keys, pa.int64(), where), _cast(values, pa.int64(), where)
    if _is_number(kt) and _is_number(vt):
        # Integral floats (e.g. an integer column with NaN read through pandas)
        # match integer keys; anything else compares as float64.
        try:
            return keys.cast(pa.int64()), values.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _cast(keys, pa.float64(), where), _cast(values, pa.float64(), where)
    if kt == vt:
        return keys, values
    if _is_string(kt) or _is_string(vt):
        return _cast(keys, pa.large_string(), where), _cast(values, pa.large_string(), where)
    return keys, _cast(values, kt, where)


def _cast(column: pa.Array, type_: pa.DataType, where: str) -> pa.Array:
    if column.type == type_:
        return column
    try:
        return column.cast(type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise GraphError(
            f"Cannot compare the key and foreign-key columns of {where}: {column.type} "
            f"does not convert to {type_} ({err}). Give both columns the same type."
        ) from err


def _match_integers(keys: pa.Array, values: pa.Array, where: str) -> np.ndarray | None:
    """Lookup-table matching for dense integer keys; ``None`` when keys are sparse."""
    key_values, key_valid = _ints_and_validity(keys)
    key_positions = (
        np.arange(len(key_values), dtype=np.int64)
        if key_valid is None
        else np.flatnonzero(key_valid).astype(np.int64)
    )
    out = np.full(len(values), -1, dtype=np.int64)
    if len(key_positions) == 0 or len(values) == 0:
        return out
    valid_keys = key_values if key_valid is None else key_values[key_positions]
    low, high = int(valid_keys.min()), int(valid_keys.max())
    if high - low > _DENSE_FACTOR * len(valid_keys) + _DENSE_SLACK:
        return None
    table = np.full(high - low + 1, -1, dtype=np.int64)
    table[valid_keys - low] = key_positions
    filled = int(np.count_nonzero(table >= 0))
    if filled != len(valid_keys):
        uniques, counts = np.unique(valid_keys, return_counts=True)
        _raise_duplicates(where, len(valid_keys) - filled, int(uniques[counts > 1][0]))
    value_ints, value_valid = _ints_and_validity(values)
    hit = (value_ints >= low) & (value_ints <= high)
    if value_valid is not None:
        hit &= value_valid
    out[hit] = table[value_ints[hit] - low]
    return out


def _ints_and_validity(column: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """int64 values (nulls as 0) and the validity mask (``None`` if no nulls)."""
    if column.null_count == 0:
        return column.to_numpy().astype(np.int64, copy=False), None
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    return column.fill_null(0).to_numpy().astype(np.int64, copy=False), valid


def _raise_duplicates(where: str, duplicates: int, example: object) -> None:
    raise GraphError(
        f"The referenced column of {where} is not unique ({duplicates} repeated "
        f"value(s), e.g. {example!r}); a foreign key must identify one row. Deduplicate "
        "the table or link to a unique column."
    )
