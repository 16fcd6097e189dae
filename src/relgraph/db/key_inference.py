"""Primary keys from names and data: which column identifies a table's rows."""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import TableProfile, is_key_type, is_unique
from relgraph.db.naming import id_suffix, norm, table_variants

#: The column relgraph adds to a table that has no usable key.
ROW_ID = "_row_id"


def primary_key_score(table: str, column: str, all_tables: list[str]) -> int:
    """How much ``column`` is named like the key of ``table`` (0: not at all)."""
    n = norm(column)
    if n in {"id", "key", "pk", "uuid", "guid"}:
        return 100
    suffix = id_suffix(column)
    if suffix is None:
        return 0
    prefix = n[: -len(suffix)]
    variants = table_variants(table)
    if prefix in variants:
        return 100
    if len(prefix) >= 3 and any(v.startswith(prefix) or prefix.startswith(v) for v in variants):
        return 80  # qualifyId in qualifying
    others = set().union(*(table_variants(t) for t in all_tables if t != table))
    return 40 if prefix in others else 50


def choose_primary_key(
    con: duckdb.DuckDBPyConnection, profile: TableProfile, all_tables: list[str]
) -> str | None:
    """The best-named column whose values are unique and non-null.

    A column named exactly like the table's key (``customer_id`` in
    ``customers``) is chosen even with duplicates, so that validation reports
    them instead of the table silently losing its key.
    """
    scored = []
    for i, col in enumerate(profile.columns.values()):
        if not is_key_type(col.dtype):
            continue
        score = primary_key_score(profile.name, col.name, all_tables)
        if score:
            scored.append((-score, i, col))
    for neg_score, _, col in sorted(scored, key=lambda s: s[:2]):
        if col.non_null < profile.num_rows and neg_score > -100:
            continue
        if neg_score <= -100 and col.non_null == profile.num_rows:
            return col.name  # exact name: validation checks uniqueness
        # The distinct count is approximate (HyperLogLog, a few % off): prune
        # only on big tables and with a wide margin; the exact check decides.
        if profile.num_rows > 1_000_000 and col.distinct < 0.8 * profile.num_rows:
            continue
        if is_unique(con, profile.name, col.name)[0]:
            return col.name
    return None


def key_rejection(
    con: duckdb.DuckDBPyConnection, profile: TableProfile, all_tables: list[str]
) -> str:
    """Why the column named like ``profile``'s key is not its key, for a table
    whose rows relgraph numbers; empty when no column is named like the key.

    Only columns named like this table's own key count (``customer_id`` or
    ``id`` in ``customers``): a reference to another table is no candidate.
    """
    candidates = [
        (primary_key_score(profile.name, col.name, all_tables), -i, col.name)
        for i, col in enumerate(profile.columns.values())
        if col.name != ROW_ID and is_key_type(col.dtype)
    ]
    named = [c for c in candidates if c[0] >= 80]
    if not named:
        return ""
    column = max(named)[2]
    unique, duplicates, nulls = is_unique(con, profile.name, column)
    if unique:
        return ""
    found, fixes = [], []
    if nulls:
        found.append(_count(nulls, "NULL value"))
        fixes.append("drop or fill the NULL rows")
    if duplicates:
        found.append(_count(duplicates, "duplicate value"))
        fixes.append("remove the duplicate rows")
    return (
        f"{profile.name}.{column} has {' and '.join(found)}, so it cannot be the key; "
        f"relgraph numbers the rows as {ROW_ID} instead (FOR EACH {profile.name}.{ROW_ID}), "
        f"and no link to {profile.name} is inferred. To use {column}, {' and '.join(fixes)} "
        "(or declare it the key in a schema file and read with dedupe=True, which drops "
        "NULL keys and keeps the first row per key)."
    )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"
