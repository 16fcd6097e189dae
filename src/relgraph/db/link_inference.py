"""Links (foreign keys) from names and value containment."""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import (
    FLOAT_TYPES,
    ColumnProfile,
    TableProfile,
    base_type,
    comparable_types,
    is_key_type,
)
from relgraph.db.missing_values import upper_token_list_sql
from relgraph.db.naming import (
    column_prefix,
    id_suffix,
    norm,
    singular,
    strip_prefix,
    table_variants,
    words,
)
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
    if qualified_reference(column, dst_table, dst_key):
        return 60  # sold_date_sk -> date_dim.date_sk
    return 0


def qualified_reference(column: str, dst_table: str, dst_key: str) -> bool:
    """Whether ``column`` names ``dst_key`` after a role: its last words are
    the key's words, the id-like suffix a word of its own in both (a data
    warehouse's ``sold_date_sk`` and ``ship_date_sk`` for ``date_sk``,
    ``bill_customer_sk``). A word may be abbreviated (``addr_sk`` for
    ``address_sk``), and the first one may carry the initial of the table it
    names (``cdemo_sk`` for ``customer_demographics``' ``demo_sk`` beside
    ``household_demographics``' ``demo_sk``).

    Example:
        >>> qualified_reference("sold_date_sk", "date_dim", "date_sk")
        True
        >>> qualified_reference("ship_addr_sk", "customer_address", "address_sk")
        True
        >>> [qualified_reference("cdemo_sk", t, "demo_sk")
        ...  for t in ("customer_demographics", "household_demographics")]
        [True, False]
        >>> qualified_reference("sold_time_sk", "date_dim", "date_sk")
        False
    """
    cw, kw = words(column), words(dst_key)
    suffix = id_suffix(dst_key)
    if suffix is None or len(kw) < 2 or kw[-1] != suffix or cw[-1:] != [suffix]:
        return False
    stem, key_stem = cw[:-1], kw[:-1]
    if len(stem) < len(key_stem):
        return False
    tail = stem[len(stem) - len(key_stem) :]
    for i, (word, key_word) in enumerate(zip(tail, key_stem, strict=True)):
        if word == key_word or (len(word) >= 4 and key_word.startswith(word)):
            continue
        initial = word[: len(word) - len(key_word)]
        first = i == 0 and len(key_word) >= 3 and word.endswith(key_word) and initial
        if first and norm(dst_table).startswith(initial):
            continue
        return False
    return True


# Words of a column that name a person's role, and tables of persons.
_PERSON_ROLES = {
    "rep",
    "agent",
    "manager",
    "supervisor",
    "assignee",
    "owner",
    "author",
    "creator",
    "seller",
    "salesperson",
    "staff",
    "handler",
    "reviewer",
    "approver",
    "employee",
    "boss",
}
_PERSON_TABLES = {"employee", "staff", "user", "person", "people", "member", "agent", "worker"}
# Words of a column that reference another row of the same table.
_SELF_ROLES = {
    "parent",
    "manager",
    "reports",
    "boss",
    "supervisor",
    "predecessor",
    "successor",
    "previous",
    "prev",
    "replaced",
    "replaces",
    "spouse",
    "mentor",
    "referrer",
    "referred",
    "invited",
    "sponsor",
    "superior",
}


def role_score(column: str, src_table: str, dst_table: str) -> int:
    """How much ``column`` names a reference to ``dst_table`` by a role rather
    than by the key's name (0: not at all).

    Example:
        >>> role_score("artist", "album", "artist")
        70
        >>> role_score("support_rep", "customer", "employee")
        40
        >>> role_score("ReportsTo", "Employee", "Employee"), role_score("quantity", "line", "track")
        (50, 0)
        >>> role_score("manager_id", "staff", "staff"), role_score("manager_id", "item", "item")
        (50, 0)
    """
    variants = table_variants(dst_table)
    n = norm(column)
    suffix = id_suffix(column)
    stem = n[: -len(suffix)] if suffix and len(n) > len(suffix) else n
    if stem in variants:
        return 70  # Django style: album.artist -> artist.id
    ws = set(words(column)) - {"id", "key", "fk", "ref", "to", "by", "of"}
    persons = bool({singular(w) for w in words(dst_table)} & _PERSON_TABLES)
    # A manager or a boss is a person: a self-link by such a role needs a table
    # of persons (item.i_manager_id holds manager numbers, not items).
    roles = ws & _SELF_ROLES if persons else ws & (_SELF_ROLES - _PERSON_ROLES)
    if src_table == dst_table and roles:
        return 50
    if ws & _PERSON_ROLES and persons:
        return 40
    return 0


#: Text a dump writes for "no value": in a link column such a value that
#: matches no key is missing, not a dangling reference.
MISSING_TOKENS = upper_token_list_sql(["NONE"])


def link_stats(con: duckdb.DuckDBPyConnection, link: Link) -> LinkInfo:
    """Non-null values of the link column and how many find no key.

    Numbers compare as numbers whatever their storage (a float column of ids
    with NULLs matches an integer key); a number and text compare as text,
    whole floats written as integers. A missing-value token (``NA``) that
    matches no key counts as NULL."""
    src, dst = quote_ident(link.src_table), quote_ident(link.dst_table)
    c, k = quote_ident(link.src_column), quote_ident(link.dst_column)
    left, right = f"s.{c}", "d.__k"
    left_type = _column_type(con, link.src_table, link.src_column)
    right_type = _column_type(con, link.dst_table, link.dst_column)
    if left_type and right_type and not comparable_types(left_type, right_type):
        left, right = _as_text(left, left_type), _as_text(right, right_type)
    missing = "false"
    if base_type(left_type or "") == "VARCHAR":
        missing = f"upper(trim(s.{c})) IN ({MISSING_TOKENS})"
    non_null, dangling = con.execute(
        f"SELECT count(s.{c}) FILTER (WHERE d.__k IS NOT NULL OR NOT ({missing})), "
        f"count(s.{c}) FILTER (WHERE d.__k IS NULL AND NOT ({missing})) FROM {src} s "
        f"LEFT JOIN (SELECT DISTINCT {k} AS __k FROM {dst}) d ON {left} = {right}"
    ).fetchall()[0]
    return LinkInfo("inferred", dangling=int(dangling), non_null=int(non_null))


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    for name, dtype, *_ in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall():
        if name == column:
            return str(dtype)
    return None


def _as_text(expr: str, dtype: str) -> str:
    if base_type(dtype) in FLOAT_TYPES or base_type(dtype) == "DECIMAL":
        return (
            f"CASE WHEN {expr} = floor({expr}) THEN CAST(CAST({expr} AS HUGEINT) AS VARCHAR) "
            f"ELSE CAST({expr} AS VARCHAR) END"
        )
    return f"CAST({expr} AS VARCHAR)"


def rejected_link_note(link: Link, info: LinkInfo) -> str:
    """Why a link named like one was not made, and how to make it anyway."""
    return (
        f"Link {link} was not made: {info.dangling:,} of {info.non_null:,} values "
        f"({info.dangling_share:.1%}) match no key of {link.dst_table} (at most "
        f"{1 - MIN_CONTAINMENT:.0%} may). Force it with db.link({link.source!r}, "
        f"{link.target!r}), or list it under links in a schema TOML (relgraph inspect SRC "
        "--schema FILE)."
    )


def _eligible_source(col: ColumnProfile) -> bool:
    """Whether a column's values can be references: ids, codes, or whole
    numbers in a float column (ids with NULLs, as pandas writes them)."""
    if col.non_null == 0:
        return False
    if is_key_type(col.dtype):
        return base_type(col.dtype) != "VARCHAR" or col.avg_words <= 1.5
    return col.is_numeric and col.integral


def _dense(key: ColumnProfile, rows: int) -> bool:
    """Whether a numeric key fills its range (1..N): any small whole numbers
    (quantities, flags, positions) are then contained in it by chance."""
    if key.min_value is None or key.max_value is None:
        return False
    return key.max_value - key.min_value + 1 <= 1.5 * max(rows, 1)


def containment_only(col: ColumnProfile, key: ColumnProfile, key_rows: int) -> bool:
    """Whether containment alone, with no name evidence, may make a link from
    ``col`` to ``key``: codes (text), or whole numbers into a key whose values
    are sparse enough that containment is no accident (ids; other numbers
    with at least 10 distinct values); never flags or a single value."""
    if col.distinct < 2:
        return False
    if base_type(col.dtype) == "VARCHAR":
        return col.avg_length >= 2 and base_type(key.dtype) == "VARCHAR"
    if not (col.is_numeric and key.is_numeric) or _dense(key, key_rows):
        return False
    # Without an id-like name, only many distinct values all found in a sparse
    # key rule chance out (at most half the range filled: 0.5 ** 10 < 0.1%).
    if id_suffix(col.name) is None and col.distinct < 10:
        return False
    lo, hi = col.min_value, col.max_value
    return lo is not None and hi is not None and key.min_value <= lo and hi <= key.max_value  # type: ignore[operator]


class ContainmentCache:
    """Distinct values of columns and keys, read once each, so that testing
    every column against every key (links from values alone) costs one scan
    per column and per key, not one join per pair.

    Keys with more than ``max_key_values`` distinct values are tested in SQL.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, max_key_values: int = 2_000_000):
        self.con = con
        self.max_key_values = max_key_values
        self._samples: dict[tuple[str, str], list] = {}
        self._keys: dict[tuple[str, str], set | None] = {}

    def sample(self, table: str, column: str) -> list:
        """Up to 2,000 distinct non-null values, a fixed pseudo-random choice."""
        if (table, column) not in self._samples:
            c = quote_ident(column)
            self._samples[(table, column)] = [
                r[0]
                for r in self.con.execute(
                    f"SELECT DISTINCT {c} AS __v FROM {quote_ident(table)} WHERE {c} IS NOT NULL "
                    "ORDER BY hash(__v) LIMIT 2000"
                ).fetchall()
            ]
        return self._samples[(table, column)]

    def key_values(self, table: str, key: str, rows: int) -> set | None:
        if (table, key) not in self._keys:
            values = None
            if rows <= self.max_key_values:
                k = quote_ident(key)
                values = {
                    r[0]
                    for r in self.con.execute(
                        f"SELECT DISTINCT {k} FROM {quote_ident(table)} WHERE {k} IS NOT NULL"
                    ).fetchall()
                }
            self._keys[(table, key)] = values
        return self._keys[(table, key)]

    def filled(self, dst: str, key: str, key_rows: int, lo: float, hi: float) -> float:
        """Share of the whole numbers in ``[lo, hi]`` that are keys of ``dst``:
        near 1, any numbers in that range are keys by chance (a key numbering
        rows 1..N contains every position or count below N)."""
        width = hi - lo + 1
        if width <= 0:
            return 1.0
        keys = self.key_values(dst, key, key_rows)
        if keys is None:
            k = quote_ident(key)
            inside = self.con.execute(
                f"SELECT count(DISTINCT {k}) FROM {quote_ident(dst)} WHERE {k} BETWEEN ? AND ?",
                [lo, hi],
            ).fetchall()[0][0]
        else:
            inside = sum(1 for v in keys if isinstance(v, int | float) and lo <= v <= hi)
        return inside / width

    def share(self, src: str, column: str, dst: str, key: str, key_rows: int) -> float:
        """Share of the sampled distinct values of ``src.column`` found in ``dst.key``."""
        sample = self.sample(src, column)
        if not sample:
            return 0.0
        keys = self.key_values(dst, key, key_rows)
        if keys is None:
            return distinct_containment(self.con, src, column, dst, key)
        if isinstance(next(iter(keys), None), int) and isinstance(sample[0], float):
            sample = [int(v) if float(v).is_integer() else v for v in sample]
        return sum(v in keys for v in sample) / len(sample)


def distinct_containment(
    con: duckdb.DuckDBPyConnection,
    src: str,
    column: str,
    dst: str,
    key: str,
    as_text: bool = False,
) -> float:
    """Share of (up to 2,000 sampled) distinct values of ``src.column`` found
    in ``dst.key``: the cheap first test before counting rows. ``as_text``
    compares the values as text (columns of any two types)."""
    c, k = quote_ident(column), quote_ident(key)
    if as_text:
        c, k = f"CAST({c} AS VARCHAR)", f"CAST({k} AS VARCHAR)"
    total, missing = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE d.__k IS NULL) FROM "
        f"(SELECT DISTINCT {c} AS __v FROM {quote_ident(src)} WHERE {c} IS NOT NULL "
        f"ORDER BY hash(__v) LIMIT 2000) s LEFT JOIN "
        f"(SELECT DISTINCT {k} AS __k FROM {quote_ident(dst)}) d ON s.__v = d.__k"
    ).fetchall()[0]
    return 1 - missing / total if total else 0.0


def _name_evidence(score: int) -> str:
    if score >= 80:
        return "named like the key"
    if score >= 60:
        return "named for the table"
    return "named for a role the table plays"


#: Share of distinct values a link found by containment alone must match.
MIN_DISTINCT_CONTAINMENT = 0.9


def infer_links(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    keys: dict[str, str],
    skip: set[tuple[str, str]],
    rejected: dict[Link, LinkInfo] | None = None,
    ambiguous: list[str] | None = None,
    sources: set[str] | None = None,
) -> dict[Link, LinkInfo]:
    """Links from each column to the key of another table (or its own).

    A column named like a reference (``customer_id``, ``artist``,
    ``support_rep``, ``reports_to``) links to the best-named key that most of
    its values match. A column with no such name (``flights.origin``) links
    when its values alone are contained in exactly one key, and only when
    that cannot be chance: text codes, or ids into a sparse key. Several
    columns may link to one table (origin, dest).

    ``rejected`` (when given) receives, for each column with no link, its best
    named candidate that some but too few values match; ``ambiguous``, a note
    for each column whose values fit several keys equally. ``sources`` limits
    the tables whose columns are tried (default: all).
    """
    found: dict[Link, LinkInfo] = {}
    cache = ContainmentCache(con)
    # Columns named with a per-table prefix (TPC-H: o_custkey -> c_custkey) are
    # compared without it as well.
    prefixes = {t: column_prefix(list(p.columns)) for t, p in profiles.items()}
    for table, profile in profiles.items():
        if sources is not None and table not in sources:
            continue
        for col in profile.columns.values():
            if (table, col.name) in skip or col.name == keys.get(table):
                continue  # a table's own key is not a reference (sprint_results.resultId)
            if not _eligible_source(col):
                continue
            named, unnamed = [], []
            for dst, dst_key in keys.items():
                if dst == table and col.name == dst_key:
                    continue
                key = profiles[dst].columns[dst_key]
                if not comparable_types(col.dtype, key.dtype):
                    continue
                score = max(
                    link_name_score(col.name, dst, dst_key),
                    link_name_score(
                        strip_prefix(col.name, prefixes[table]),
                        dst,
                        strip_prefix(dst_key, prefixes[dst]),
                    ),
                    role_score(col.name, table, dst),
                )
                if score:
                    named.append((score, dst, dst_key))
                elif dst != table and containment_only(col, key, profiles[dst].num_rows):
                    # (a self-link needs a name: People.bbrefID holds playerIDs by design)
                    if col.is_numeric:
                        # Where the column's values lie, the key must leave most
                        # numbers out, or containment proves nothing.
                        most = 0.5 if id_suffix(col.name) is None else 0.67
                        lo, hi = col.min_value or 0.0, col.max_value or 0.0
                        if cache.filled(dst, dst_key, profiles[dst].num_rows, lo, hi) > most:
                            continue
                    unnamed.append((dst, dst_key))
            best: tuple[Link, LinkInfo] | None = None
            made = False
            for score, dst, dst_key in sorted(named, reverse=True):
                link = Link(table, col.name, dst, dst_key)
                info = link_stats(con, link)
                if info.non_null and info.dangling <= (1 - MIN_CONTAINMENT) * info.non_null:
                    info.evidence = _name_evidence(score)
                    found[link] = info
                    made, best = True, None
                    break
                if best is None and info.dangling < info.non_null:
                    best = (link, info)
            if not made and unnamed:
                shares = {
                    (dst, dst_key): cache.share(
                        table, col.name, dst, dst_key, profiles[dst].num_rows
                    )
                    for dst, dst_key in unnamed
                }
                fits = [x for x, share in shares.items() if share >= MIN_DISTINCT_CONTAINMENT]
                if len(fits) == 1:
                    link = Link(table, col.name, *fits[0])
                    info = link_stats(con, link)
                    if info.dangling <= (1 - MIN_CONTAINMENT) * info.non_null:
                        info.evidence = (
                            f"values only: {shares[fits[0]]:.0%} of its distinct values are "
                            "keys there, and in no other table"
                        )
                        found[link] = info
                        best = None
                elif len(fits) > 1 and ambiguous is not None:
                    targets = ", ".join(f"{d}.{k}" for d, k in fits)
                    ambiguous.append(
                        f"{table}.{col.name} could reference any of {targets} (its values are in "
                        "each); no link was made. Name the one it references with "
                        f"--schema (links) or db.link({table + '.' + col.name!r}, ...)."
                    )
            if best is not None and rejected is not None:
                rejected[best[0]] = best[1]
    return found


def shared_key_links(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    keys: dict[str, str],
    skip: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> dict[Link, LinkInfo]:
    """One-to-one links between tables keyed by the same thing: a table whose
    key has the name of another table's key and whose keys are all keys there
    (Bokeh's ``tomatoes.ID -> omdb.ID``: two tables describing the same films).

    Containment proves a shared key only where it cannot be chance: text
    codes, or numbers sparse in their range (row numbers 1..N of two tables
    always contain each other). The table with fewer keys references the one
    with more; with the same keys, the one with fewer columns (it extends the
    other).

    Example:
        >>> import duckdb
        >>> from relgraph.db.column_profile import profile_table
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE film AS SELECT i * 7919 AS ID, 'x' AS title, "
        ...                 "2000 AS year FROM range(1, 50) t(i)")
        >>> _ = con.execute("CREATE TABLE review AS SELECT ID, 5 AS stars FROM film")
        >>> profiles = {t: profile_table(con, t) for t in ("film", "review")}
        >>> list(shared_key_links(con, profiles, {"film": "ID", "review": "ID"}))
        [Link(src_table='review', src_column='ID', dst_table='film', dst_column='ID')]
    """
    found: dict[Link, LinkInfo] = {}
    cache = ContainmentCache(con)
    for src, src_key in keys.items():
        if (src, src_key) in skip:
            continue
        col = profiles[src].columns[src_key]
        for dst, dst_key in keys.items():
            key = profiles[dst].columns[dst_key]
            if (
                dst == src
                or norm(dst_key) != norm(src_key)
                or not comparable_types(col.dtype, key.dtype)
            ):
                continue
            if not _before(profiles[src], col, profiles[dst], key):
                continue
            if col.is_numeric:
                lo, hi = col.min_value or 0.0, col.max_value or 0.0
                if cache.filled(dst, dst_key, profiles[dst].num_rows, lo, hi) > 0.5:
                    continue
            elif base_type(col.dtype) != "VARCHAR" or col.avg_length < 2:
                continue
            share = cache.share(src, src_key, dst, dst_key, profiles[dst].num_rows)
            if share < MIN_DISTINCT_CONTAINMENT:
                continue
            link = Link(src, src_key, dst, dst_key)
            info = link_stats(con, link)
            if info.non_null and info.dangling <= (1 - MIN_CONTAINMENT) * info.non_null:
                info.evidence = f"the same key: {share:.0%} of its keys are keys there"
                found[link] = info
    return found


def _before(
    src: TableProfile, src_key: ColumnProfile, dst: TableProfile, dst_key: ColumnProfile
) -> bool:
    """Whether ``src`` is the side of a shared key that references ``dst``."""
    if src_key.non_null != dst_key.non_null:
        return src_key.non_null < dst_key.non_null
    return len(src.columns) < len(dst.columns)
