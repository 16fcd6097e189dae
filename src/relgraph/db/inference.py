"""Schema inference: primary keys, time columns, links and stypes, decided
from declared constraints first, user overrides next, then names and data.

Each decision is a small scoring function so that it can be read and tested
on its own; :func:`infer_schema` puts them together.
"""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import (
    FLOAT_TYPES,
    INTEGER_TYPES,
    ColumnProfile,
    TableProfile,
    base_type,
    is_key_type,
    is_time_type,
    is_unique,
)
from relgraph.db.naming import (
    column_prefix,
    id_suffix,
    norm,
    strip_prefix,
    table_variants,
    time_name_score,
)
from relgraph.db.overrides import Overrides
from relgraph.db.schema import Link, LinkInfo, Schema, TableSchema
from relgraph.db.sources.base import Declared, quote_ident
from relgraph.db.stype import Stype

#: The column relgraph adds to a table that has no single-column key.
ROW_ID = "_row_id"
_NO_COLUMNS = TableProfile("", 0, {})
#: A link is inferred when at least this share of non-null values find a key.
MIN_CONTAINMENT = 0.8


# ---------------------------------------------------------------- primary keys
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


# ---------------------------------------------------------------- time columns
#: A datetime column with fewer of its rows filled is never chosen as a time column.
MIN_TIME_FILLED = 0.5


def choose_time_column(profile: TableProfile) -> str | None:
    """The datetime column that best reads as the row's own creation time.

    Birth dates, end dates and mostly-empty columns are never chosen: a table
    with only those is static (:func:`static_table_note` says why).
    """
    best: tuple[int, float, int] | None = None
    chosen = None
    for i, col in enumerate(profile.columns.values()):
        if not is_time_type(col.dtype) or _time_rejection(profile, col) is not None:
            continue
        key = (time_name_score(col.name), _filled(profile, col), -i)
        if best is None or key > best:
            best, chosen = key, col.name
    return chosen


def static_table_note(profile: TableProfile) -> str | None:
    """Why a table with datetime columns named like its rows' time got no time
    column (None when it has none).

    A static table's rows are visible at every anchor, so this is never silent.
    """
    # Columns named like other dates (birth_date, updated_at) are left out: a
    # table with only those is static by design (drivers with their dob).
    reasons = [
        f"{col.name} ({reason})"
        for col in profile.columns.values()
        if (reason := _time_rejection(profile, col)) and time_name_score(col.name) > 0
    ]
    if not reasons:
        return None
    t = profile.name
    return (
        f"{t} has no time column, so it is static: every row is visible at every anchor. "
        f"Datetime columns not used: {'; '.join(reasons)}. If rows of {t} appear over "
        f"time, set its time column with db.set_time_column({t!r}, <column>) (schema TOML: "
        f'[tables.{t}] time_column = "<column>"); rows without a time are then never visible.'
    )


def _filled(profile: TableProfile, col: ColumnProfile) -> float:
    return col.non_null / profile.num_rows if profile.num_rows else 0.0


def _time_rejection(profile: TableProfile, col: ColumnProfile) -> str | None:
    """Why a datetime column cannot be the table's time column (None: it can;
    also None for a column that is not a datetime)."""
    if not is_time_type(col.dtype):
        return None
    if time_name_score(col.name) == 0:
        return "named like a date other than the row's creation (birth, end, update)"
    filled = _filled(profile, col)
    if filled < MIN_TIME_FILLED:
        return f"only {filled:.0%} of rows have a value, {MIN_TIME_FILLED:.0%} needed"
    return None


# ---------------------------------------------------------------- links
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


# ---------------------------------------------------------------- stypes
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


# ---------------------------------------------------------------- all together
def choose_keys(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    declared: Declared,
    overrides: Overrides,
) -> dict[str, str]:
    """The primary key of every table that has one: override, declared, inferred."""
    names = list(profiles)
    keys: dict[str, str] = {}
    for table in names:
        key = overrides.primary_keys.get(table) or declared.primary_keys.get(table)
        if key is None:
            key = choose_primary_key(con, profiles[table], names)
        if key is not None:
            keys[table] = key
    return keys


def infer_schema(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    declared: Declared,
    overrides: Overrides,
    keys: dict[str, str],
    generated_keys: set[str],
) -> Schema:
    """Decide times, links and stypes (keys are given): declared, then
    overrides, then inference.

    ``profiles`` must describe the working store as it is (after generated keys
    were added); names in overrides have already been checked.
    """
    names = list(profiles)
    warnings = list(declared.warnings)

    times: dict[str, str | None] = {}
    for table in names:
        if table in overrides.time_columns:
            times[table] = overrides.time_columns[table]
        elif declared.time_columns.get(table) is not None or table in declared.time_columns:
            times[table] = declared.time_columns[table]
        else:
            times[table] = choose_time_column(profiles[table])
            note = static_table_note(profiles[table]) if times[table] is None else None
            if note and profiles[table].num_rows:
                warnings.append(note)

    link_info: dict[Link, LinkInfo] = {}
    rejected: dict[Link, LinkInfo] = {}
    removed = overrides.removed_links
    if overrides.links_are_complete:
        for link in overrides.added_links:
            link_info[link] = _stats(con, link, "override")
    else:
        for src, col, dst, dst_col in declared.foreign_keys:
            link = Link(src, col, dst, dst_col)
            if (src, col) in removed:
                continue
            if col not in profiles.get(src, _NO_COLUMNS).columns or (
                dst_col not in profiles.get(dst, _NO_COLUMNS).columns
            ):
                warnings.append(
                    f"Declared foreign key {link} names a table or column that is not in "
                    "the database; it is ignored."
                )
                continue
            link_info[link] = _stats(con, link, "declared")
        for link in overrides.added_links:
            link_info = {
                k: v
                for k, v in link_info.items()
                if k.src_table != link.src_table or k.src_column != link.src_column
            }
            link_info[link] = _stats(con, link, "override")
        skip = {(x.src_table, x.src_column) for x in link_info} | removed
        # Row numbers relgraph made up identify nothing outside their table:
        # orders.customer_id must not be matched to them.
        inferable = {
            t: k for t, k in keys.items() if profiles[t].num_rows and t not in generated_keys
        }
        link_info.update(infer_links(con, profiles, inferable, skip, rejected))
        warnings += [rejected_link_note(link, info) for link, info in rejected.items()]

    tables: dict[str, TableSchema] = {}
    link_columns = {(x.src_table, x.src_column) for x in link_info}
    for table in names:
        profile = profiles[table]
        columns: dict[str, Stype] = {}
        for col in profile.columns.values():
            if (table, col.name) in overrides.stypes:
                columns[col.name] = overrides.stypes[(table, col.name)]
            elif col.name == keys.get(table) or (table, col.name) in link_columns:
                columns[col.name] = Stype.id
            else:
                columns[col.name] = infer_stype(col, profile.num_rows)
        tables[table] = TableSchema(
            name=table,
            columns=columns,
            dtypes={c.name: c.dtype for c in profile.columns.values()},
            num_rows=profile.num_rows,
            primary_key=keys.get(table),
            time_column=times[table],
            generated_key=table in generated_keys,
            key_note=key_rejection(con, profile, names) if table in generated_keys else "",
        )
    links = sorted(link_info, key=lambda x: (names.index(x.src_table), x.src_column))
    return Schema(
        tables=tables,
        links=links,
        link_info=link_info,
        warnings=warnings,
        rejected_links=rejected,
    )


def _stats(con: duckdb.DuckDBPyConnection, link: Link, origin: str) -> LinkInfo:
    info = link_stats(con, link)
    info.origin = origin
    return info
