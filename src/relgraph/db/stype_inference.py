"""Semantic types (stypes) of columns from their storage type, name and values."""

from __future__ import annotations

from relgraph.db.column_profile import (
    FLOAT_TYPES,
    INTEGER_TYPES,
    ColumnProfile,
    base_type,
    is_time_type,
)
from relgraph.db.naming import id_suffix
from relgraph.db.stype import Stype


def infer_stype(col: ColumnProfile, num_rows: int) -> Stype:
    """The semantic type of a non-key column, from its type, name and values."""
    t = base_type(col.dtype)
    if is_time_type(col.dtype):
        return Stype.timestamp
    if t == "BOOLEAN":
        return Stype.categorical
    if t.endswith("[]") or t.startswith(("LIST", "ARRAY")):
        return Stype.multicategorical
    if t in INTEGER_TYPES:
        if id_suffix(col.name) is not None:
            # An unlinked code (statusId: a few hundred codes over many rows) is a
            # category; an unlinked identifier's values mean nothing.
            if col.distinct <= 1000 and col.distinct <= 0.05 * col.non_null:
                return Stype.categorical
            return Stype.id
        # Two values over many rows: a flag (0/1), not a quantity.
        return Stype.categorical if col.distinct <= 2 and col.non_null >= 10 else Stype.numerical
    if t in FLOAT_TYPES or t == "DECIMAL" or t in {"TIME", "INTERVAL"}:
        return Stype.numerical
    if t == "VARCHAR":
        return _string_stype(col)
    return Stype.id  # blobs, structs, maps: not used as features


def _string_stype(col: ColumnProfile) -> Stype:
    non_null = max(col.non_null, 1)
    ratio = col.distinct / non_null
    # "red|blue", "Action, Comedy": a few tags in many combinations, one or two
    # words each ("Love it, works well." splits too, but into phrases: text).
    words_per_item = col.avg_words / col.avg_tokens if col.avg_tokens else float("inf")
    if (
        col.separator_share >= 0.3
        and 0 < col.distinct_tokens <= max(50, 0.2 * col.distinct)
        and words_per_item <= 1.6
    ):
        return Stype.multicategorical
    if col.distinct <= 2000 and (ratio <= 0.2 or col.distinct <= 50) and col.avg_words < 8:
        return Stype.categorical
    if col.avg_words >= 2.5:
        return Stype.text
    if col.url_share >= 0.5 or (id_suffix(col.name) is not None and ratio >= 0.9):
        return Stype.id
    if ratio >= 0.95 and col.avg_words <= 1.05:
        return Stype.id  # unique tokens: codes, refs, hashes
    return Stype.text
