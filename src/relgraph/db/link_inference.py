"""Links (foreign keys) from names and value containment."""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import INTEGER_TYPES, TableProfile, base_type, is_key_type
from relgraph.db.naming import column_prefix, id_suffix, norm, strip_prefix, table_variants
from relgraph.db.schema import Link, LinkInfo
from relgraph.db.sources.base import quote_ident

#: A link is inferred when at least this share of non-null values find a key.
MIN_CONTAINMENT = 0.8


def link_name_score(column: str, dst_table: str, dst_key: str) -> int:
    """How much ``column`` is named like a reference to ``dst_table.dst_key``."""
    n, k = norm(column), norm(dst_key)
    variants = table_variants(dst_table)
    if n == k and id_suffix(dst_key) is not None and n not in {"id", "key", "uuid", "guid"}:
        return 100  # customer_id -> customers.customer_id
    if any(n == v + s for v in variants for s in ("id", "key", "uuid")):
        return 90  # customer_id -> customers.id
    if n == k and k not in {"id", "key", "uuid", "guid"}:
        return 80  # same non-id-like name, e.g. isbn -> books.isbn
    if any(len(v) >= 3 and n.endswith(v + "id") for v in variants):
        return 60  # buyer_customer_id -> customers
    return 0


def link_stats(con: duckdb.DuckDBPyConnection, link: Link) -> LinkInfo:
    """Non-null values of the link column and how many find no key."""
    src, dst = quote_ident(link.src_table), quote_ident(link.dst_table)
    c, k = quote_ident(link.src_column), quote_ident(link.dst_column)
    # Declared or user links may join an integer to a text column: compare as text.
    left, right = f"s.{c}", "d.__k"
    try:
        left_type = con.execute(f"SELECT typeof({c}) FROM {src} LIMIT 1").fetchall()
        right_type = con.execute(f"SELECT typeof({k}) FROM {dst} LIMIT 1").fetchall()
        if left_type and right_type and not _comparable(left_type[0][0], right_type[0][0]):
            left, right = f"CAST({left} AS VARCHAR)", f"CAST({right} AS VARCHAR)"
    except duckdb.Error:
        pass
    non_null, dangling = con.execute(
        f"SELECT count(s.{c}), count(s.{c}) FILTER (WHERE d.__k IS NULL) FROM {src} s "
        f"LEFT JOIN (SELECT DISTINCT {k} AS __k FROM {dst}) d ON {left} = {right}"
    ).fetchall()[0]
    return LinkInfo("inferred", dangling=int(dangling), non_null=int(non_null))


def _comparable(a: str, b: str) -> bool:
    ints = INTEGER_TYPES
    ta, tb = base_type(a), base_type(b)
    return (ta in ints and tb in ints) or (ta not in ints and tb not in ints)


def rejected_link_note(link: Link, info: LinkInfo) -> str:
    """Why a link named like one was not made, and how to make it anyway."""
    return (
        f"Link {link} was not made: {info.dangling:,} of {info.non_null:,} values "
        f"({info.dangling_share:.1%}) match no key of {link.dst_table} (at most "
        f"{1 - MIN_CONTAINMENT:.0%} may). Force it with db.link({link.source!r}, "
        f"{link.target!r}), or list it under links in a schema TOML (relgraph inspect SRC "
        "--schema FILE)."
    )


def infer_links(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    keys: dict[str, str],
    skip: set[tuple[str, str]],
    rejected: dict[Link, LinkInfo] | None = None,
) -> dict[Link, LinkInfo]:
    """Links by name match, kept when most values find a key in the target.

    ``rejected`` (when given) receives, for each column with no link, its best
    named candidate that some but too few values match."""
    found: dict[Link, LinkInfo] = {}
    # Columns named with a per-table prefix (TPC-H: o_custkey -> c_custkey) are
    # compared without it as well.
    prefixes = {t: column_prefix(list(p.columns)) for t, p in profiles.items()}
    for table, profile in profiles.items():
        for col in profile.columns.values():
            if (table, col.name) in skip or col.name == keys.get(table):
                continue  # a table's own key is not a reference (sprint_results.resultId)
            if not is_key_type(col.dtype) or col.non_null == 0:
                continue
            candidates = []
            for dst, dst_key in keys.items():
                if dst == table and col.name == dst_key:
                    continue
                score = max(
                    link_name_score(col.name, dst, dst_key),
                    link_name_score(
                        strip_prefix(col.name, prefixes[table]),
                        dst,
                        strip_prefix(dst_key, prefixes[dst]),
                    ),
                )
                dst_type = profiles[dst].columns[dst_key].dtype
                if score and _comparable(col.dtype, dst_type):
                    candidates.append((score, dst, dst_key))
            best: tuple[Link, LinkInfo] | None = None
            for _score, dst, dst_key in sorted(candidates, reverse=True):
                link = Link(table, col.name, dst, dst_key)
                info = link_stats(con, link)
                if info.non_null and info.dangling <= (1 - MIN_CONTAINMENT) * info.non_null:
                    found[link] = info
                    best = None
                    break
                if best is None and info.dangling < info.non_null:
                    best = (link, info)
            if best is not None and rejected is not None:
                rejected[best[0]] = best[1]
    return found
