"""Primary keys from names and data: which column identifies a table's rows."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from relgraph.db.column_profile import (
    INTEGER_TYPES,
    STRING_TYPES,
    ColumnProfile,
    TableProfile,
    base_type,
    is_key_type,
    is_unique,
)
from relgraph.db.link_inference import distinct_containment
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


#: Name endings of natural keys: codes and numbers that identify a row
#: (``tailnum``, ``iata_code``, ``isbn``, ``order_no``).
_NATURAL_KEY_ENDINGS = ("code", "num", "no", "nr", "number", "abbr", "abbrev", "symbol", "sku")
_NATURAL_KEY_NAMES = {"isbn", "ean", "upc", "slug", "handle", "username", "login", "email", "iso"}


_GENERIC_KEYS = {"id", "key", "pk", "uuid", "guid"}


def natural_key_score(column: ColumnProfile, position: int) -> int:
    """How much a column not named like an id still reads as a key: a code
    named like one, or the table's first column (0: not at all).

    Only short one-word values (codes) and integers qualify: a unique name or
    description is no key, however unique.

    Example:
        >>> from relgraph.db.column_profile import ColumnProfile
        >>> faa = ColumnProfile("faa", "VARCHAR", 100, 100, avg_length=3.0, avg_words=1.0)
        >>> natural_key_score(faa, 0), natural_key_score(faa, 3)
        (20, 0)
    """
    dtype = base_type(column.dtype)
    if dtype not in INTEGER_TYPES and dtype not in STRING_TYPES:
        return 0
    if dtype == "VARCHAR" and (column.avg_words > 1.05 or column.avg_length > 24):
        return 0
    n = norm(column.name)
    named = n in _NATURAL_KEY_NAMES or (
        len(n) > 2 and any(n.endswith(e) for e in _NATURAL_KEY_ENDINGS)
    )
    return (30 if named else 0) + (20 if position == 0 else 0)


def choose_primary_key(
    con: duckdb.DuckDBPyConnection,
    profile: TableProfile,
    all_tables: list[str],
    dedupe: bool = False,
    referenced: Mapping[str, list[tuple[str, str]]] | None = None,
) -> str | None:
    """The best candidate column whose values are unique and non-null.

    Candidates are ranked by name (``customer_id`` in ``customers`` first),
    then natural keys (a code, or the first column); the first that is unique
    wins; a column that other tables name too (``referenced``: normalised
    name -> the ``(table, column)`` pairs so named) goes before one that only
    says "id". So does a name (``country``, a name of several words, no code)
    whose values hold those of the columns named like it elsewhere: the
    package's data frames name their country, and the country table lists
    every one (:data:`MIN_NAMED_CONTAINMENT`). A guessed column with
    duplicates is passed over (the table falls back to the next candidate, a
    composite key or row numbers): only a key the user declares may stop the
    run. With ``dedupe=True`` the column named exactly like the key is kept
    and its duplicate rows dropped, as asked.
    """
    referenced = referenced or {}
    scored = []
    by_values: dict[str, list[tuple[str, str]]] = {}  # candidates only if their values say so
    for i, col in enumerate(profile.columns.values()):
        if not is_key_type(col.dtype):
            continue
        score = primary_key_score(profile.name, col.name, all_tables)
        if not score:
            score = natural_key_score(col, i)
        named_elsewhere = referenced.get(norm(col.name), [])
        if named_elsewhere and norm(col.name) not in _GENERIC_KEYS:
            if score:
                score += 60  # People.playerID, named in every table, over People.ID
            else:
                score, by_values[col.name] = 60, named_elsewhere
        if score:
            scored.append((-score, i, col))
    for neg_score, _, col in sorted(scored, key=lambda s: s[:2]):
        if dedupe and neg_score <= -100 and col.non_null:
            return col.name  # validation drops the duplicate and NULL rows
        if col.non_null < profile.num_rows:
            continue
        # The distinct count is approximate (HyperLogLog, a few % off): prune
        # only with a wide margin; the exact check decides.
        if profile.num_rows > 1000 and col.distinct < 0.8 * profile.num_rows:
            continue
        if not is_unique(con, profile.name, col.name)[0]:
            continue
        if col.name in by_values and not _holds_named_values(
            con, profile.name, col.name, by_values[col.name]
        ):
            continue
        return col.name
    return None


#: A column not named like a key is one when it holds at least this share of
#: the distinct values of a column named like it in another table.
MIN_NAMED_CONTAINMENT = 0.95


def _holds_named_values(
    con: duckdb.DuckDBPyConnection, table: str, column: str, others: list[tuple[str, str]]
) -> bool:
    """Whether, for a column of another table named like ``column`` (with
    values), ``column`` holds nearly all of its distinct values, compared as text."""
    return any(
        distinct_containment(con, other_table, other_column, table, column, as_text=True)
        >= MIN_NAMED_CONTAINMENT
        for other_table, other_column in others
    )


def key_rejection(
    con: duckdb.DuckDBPyConnection,
    profile: TableProfile,
    all_tables: list[str],
    chosen: str = "",
) -> str:
    """Why the column named like ``profile``'s key is not its key; empty when
    no column is named like the key, or when it is the key.

    ``chosen`` names what identifies the rows instead (a column, or a composite
    key as ``"(a, b)"``); empty when relgraph numbers the rows. Only columns
    named like this table's own key count (``customer_id`` or ``id`` in
    ``customers``): a reference to another table is no candidate. Advice that
    deletes rows is only given when they are few: many repeats mean the column
    is part of a larger key, not that the data is dirty.
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
    if column == chosen:
        return ""
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
    t = profile.name
    if chosen:
        instead = f"{t} is keyed by {chosen} instead."
    else:
        instead = (
            f"relgraph numbers the rows as {ROW_ID} instead (FOR EACH {t}.{ROW_ID}), "
            f"and no link to {t} is inferred."
        )
    if duplicates <= 0.01 * profile.num_rows:
        advice = (
            f" To use {column}, {' and '.join(fixes)} (or declare it the key, schema TOML "
            f'[tables.{t}] primary_key = "{column}", and read with --dedupe / dedupe=True, '
            "which drops NULL keys and keeps the first row per key)."
        )
    else:
        advice = (
            f" So many repeats mean {column} is part of a larger key: declare it, schema "
            f'TOML [tables.{t}] primary_key = ["{column}", "<other column>", ...].'
        )
    return f"{t}.{column} has {' and '.join(found)}, so it cannot be the key; {instead}{advice}"


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"
