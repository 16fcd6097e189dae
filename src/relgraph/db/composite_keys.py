"""Composite keys and links: rows identified by several columns together
(Lahman's ``Teams`` by ``(yearID, lgID, teamID)``, TPC-H's ``partsupp`` by
``(ps_partkey, ps_suppkey)``).

relgraph makes one text column from the parts of each composite key and of
each composite link (:func:`add_made_column`), so that everything downstream
(the graph, features, PQL, write-back) works with single-column keys; the parts
stay as they are and remain features or links of their own. A made column is
named by its parts joined with ``_`` (``yearID_lgID_teamID``), so a link whose
columns are named like the key's gets the key's name, as single links do.

Values are the parts as text joined by ``|`` (a ``|`` or ``\\`` inside a part is
escaped), whole floats written as integers and times in ISO form, so equal
parts give equal keys whatever their storage type; a NULL part gives a NULL.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> teams = pd.DataFrame({"yearID": [2000, 2000, 2001], "teamID": ["BOS", "NYA", "BOS"],
    ...                       "W": [85, 87, 82]})
    >>> db = rg.connect({"Teams": teams})
    >>> db.schema.tables["Teams"].key_parts
    ('yearID', 'teamID')
    >>> db.table("Teams")["yearID_teamID"].tolist()
    ['2000|BOS', '2000|NYA', '2001|BOS']
"""

from __future__ import annotations

import itertools

import duckdb

from relgraph.db.column_profile import (
    FLOAT_TYPES,
    INTEGER_TYPES,
    ColumnProfile,
    TableProfile,
    base_type,
    comparable_types,
    is_time_type,
)
from relgraph.db.key_inference import natural_key_score
from relgraph.db.naming import column_prefix, id_suffix, norm, strip_prefix, table_variants, words
from relgraph.db.schema import Link, LinkInfo
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.time_inference import choose_time_column

#: At most this many columns make a composite key.
MAX_KEY_SIZE = 4
#: Only the best-ranked columns of a table are tried as parts.
MAX_CANDIDATES = 8
#: Uniqueness is tried on a sample of this many rows first (a repeat in a
#: sample is a repeat in the table); the table itself decides.
SAMPLE_ROWS = 20_000
#: A composite link is made when at least this share of its rows find a key.
MIN_CONTAINMENT = 0.8
#: Below this many rows per key on average, a link joins tables of the same
#: grain (see :func:`find_composite_links`).
MIN_FAN_IN = 3.0

_YEAR_WORDS = {"year", "yr", "season", "yearid"}


def made_column_name(parts: tuple[str, ...], existing: set[str]) -> str:
    """The name of the column made from ``parts``: joined by ``_``, with
    ``_key`` added while it clashes with a column of the table.

    Example:
        >>> made_column_name(("yearID", "teamID"), {"yearID", "teamID", "W"})
        'yearID_teamID'
    """
    name = "_".join(parts)
    while name in existing:
        name += "_key"
    return name


def part_text(column: str, dtype: str) -> str:
    """SQL for one part as canonical text (see the module docstring)."""
    c = q(column)
    t = base_type(dtype)
    if t in INTEGER_TYPES:
        return f"CAST({c} AS VARCHAR)"
    if t in FLOAT_TYPES or t == "DECIMAL":
        whole = f"CAST(CAST({c} AS HUGEINT) AS VARCHAR)"
        return (
            f"CASE WHEN {c} = floor({c}) AND abs({c}) < 1e30 THEN {whole} "
            f"ELSE CAST({c} AS VARCHAR) END"
        )
    if is_time_type(dtype):
        return f"strftime(CAST({c} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f')"
    return rf"replace(replace(CAST({c} AS VARCHAR), '\', '\\'), '|', '\|')"


def made_value_sql(parts: tuple[str, ...], dtypes: dict[str, str]) -> str:
    """SQL for the made key of ``parts``: NULL when any part is NULL."""
    any_null = " OR ".join(f"{q(p)} IS NULL" for p in parts)
    joined = " || '|' || ".join(part_text(p, dtypes[p]) for p in parts)
    return f"CASE WHEN {any_null} THEN NULL ELSE {joined} END"


def add_made_column(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str,
    parts: tuple[str, ...],
    dtypes: dict[str, str],
) -> None:
    """Add column ``name`` to ``table`` holding the made key of ``parts``."""
    con.execute(f"ALTER TABLE {q(table)} ADD COLUMN {q(name)} VARCHAR")
    con.execute(f"UPDATE {q(table)} SET {q(name)} = {made_value_sql(parts, dtypes)}")


def drop_made_columns(con: duckdb.DuckDBPyConnection, made: dict[str, set[str]]) -> None:
    """Remove earlier made columns (before the schema is inferred again)."""
    for table, columns in sorted(made.items()):
        for column in sorted(columns):
            con.execute(f"ALTER TABLE {q(table)} DROP COLUMN IF EXISTS {q(column)}")


# ---------------------------------------------------------------- keys
def part_rank(col: ColumnProfile, references: set[str]) -> int:
    """How much a column reads as part of a key (0: never a part).

    3: named like an id or a reference to another table; 2: a code, a year or
    a time; 1: another whole-number or short text column (a stint, a position).
    """
    t = base_type(col.dtype)
    if t in FLOAT_TYPES or t == "DECIMAL" or t == "BOOLEAN":
        return 0
    if not (t in INTEGER_TYPES or t == "VARCHAR" or is_time_type(col.dtype)):
        return 0
    if col.name in references or id_suffix(col.name) is not None:
        return 3  # awardID = "Most Valuable Player" is still an id
    if t == "VARCHAR" and (col.avg_words > 1.5 or col.avg_length > 40):
        return 0
    if natural_key_score(col, 1) or set(words(col.name)) & _YEAR_WORDS:
        return 2
    if is_time_type(col.dtype):
        return 2  # an event's time: weather by (origin, time_hour)
    return 1


def find_composite_key(
    con: duckdb.DuckDBPyConnection,
    profile: TableProfile,
    references: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[str, ...] | None:
    """The smallest set of columns whose values together are unique and
    non-null, with at least one column named like an id or referencing
    another table (so that a table of measurements gets no made-up key).

    Args:
        con: the working store.
        profile: the table.
        references: columns of the table that link to other tables.

    Example:
        >>> import duckdb
        >>> from relgraph.db.column_profile import profile_table
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE b AS SELECT * FROM (VALUES ('p1', 2000, 1, 5), "
        ...     "('p1', 2000, 2, 7), ('p2', 2000, 1, 5), ('p2', 2001, 1, 7), ('p1', 2001, 1, 5)) "
        ...     "t(playerID, yearID, stint, HR)")
        >>> find_composite_key(con, profile_table(con, "b"))
        ('playerID', 'yearID', 'stint')
    """
    n = profile.num_rows
    if n < 2:
        return None
    ranked = []
    for i, col in enumerate(profile.columns.values()):
        rank = part_rank(col, set(references))
        # A column unique by itself would make any set with it non-minimal.
        if rank and col.non_null == n and 1 < col.distinct < 0.95 * n:
            ranked.append((rank, -i, col.name))
    ranked.sort(reverse=True)
    candidates = [name for _, _, name in ranked[:MAX_CANDIDATES]]
    if len(candidates) < 2:
        return None
    rank_of = {name: rank for rank, _, name in ranked}
    position = {name: i for i, name in enumerate(profile.columns)}
    sample = _sample(con, profile.name, candidates, n)
    try:
        # Ids, references, codes and years first, then times: a stint or a
        # date joins a key only when those alone identify no row (measurements
        # that happen to be unique together with an id are no key).
        times = {c for c in candidates if is_time_type(profile.columns[c].dtype)}
        for allowed in (
            [c for c in candidates if rank_of[c] >= 2 and c not in times],
            [c for c in candidates if rank_of[c] >= 2],
            candidates,
        ):
            found = _smallest_unique(con, profile.name, sample, allowed, rank_of)
            if found:
                found = _scoped_ordinal(con, profile, found, allowed, rank_of)
                found = _with_single_period(profile, found)
                found = _with_coordinates(con, profile, found, set(references))
                return tuple(sorted(found, key=position.__getitem__))
    finally:
        if sample != profile.name:
            con.execute(f"DROP TABLE IF EXISTS {q(sample)}")
    return None


def _scoped_ordinal(
    con: duckdb.DuckDBPyConnection,
    profile: TableProfile,
    found: tuple[str, ...],
    allowed: list[str],
    rank_of: dict[str, int],
) -> tuple[str, ...]:
    """Among unique sets of the same size holding the same ordinal part (a
    stint, an ``inseason`` order, a pit ``stop``: small whole numbers that are
    not ids), the one within whose groups the ordinal counts 1, 2, 3...

    A manager is the ``inseason``-th of a team's season, so ``(yearID, teamID,
    inseason)`` is the key; ``(playerID, yearID, inseason)`` is unique too,
    but a manager hired second has a group that starts at 2.
    """
    ordinals = [c for c in found if _is_ordinal(profile.columns[c], rank_of)]
    if len(ordinals) != 1:
        return found
    ordinal = ordinals[0]
    options = [
        combo
        for combo in itertools.combinations(allowed, len(found))
        if ordinal in combo and max(rank_of[x] for x in combo) == 3
    ]
    best, best_score = found, _dense_share(con, profile.name, found, ordinal)
    for combo in options:
        if set(combo) == set(found) or not _unique(con, profile.name, combo):
            continue
        score = _dense_share(con, profile.name, combo, ordinal)
        if score > best_score + 0.05:  # a clear difference, not noise
            best, best_score = combo, score
    return best


def _is_ordinal(col: ColumnProfile, rank_of: dict[str, int]) -> bool:
    return (
        rank_of.get(col.name) == 1
        and base_type(col.dtype) in INTEGER_TYPES
        and col.min_value is not None
        and col.min_value in (0, 1)
        and (col.max_value or 0) <= 1000
    )


def _dense_share(
    con: duckdb.DuckDBPyConnection, table: str, combo: tuple[str, ...], ordinal: str
) -> float:
    """Share of the groups of ``combo`` without ``ordinal`` whose ordinals
    run without a gap from 0 or 1."""
    groups = ", ".join(q(c) for c in combo if c != ordinal)
    o = q(ordinal)
    share = con.execute(
        f"SELECT avg(dense) FROM (SELECT CAST(min({o}) IN (0, 1) AND "
        f"max({o}) - min({o}) + 1 = count(*) AS DOUBLE) AS dense "
        f"FROM {q(table)} GROUP BY {groups})"
    ).fetchall()[0][0]
    return float(share or 0.0)


def _with_single_period(profile: TableProfile, found: tuple[str, ...]) -> tuple[str, ...]:
    """``found`` with the table's year column added when it holds one value.

    Rows of a table with one season in it (Lahman's ``TeamsHalf``: 1981 only)
    are unique without the year, but only because the next season is not
    there yet; a year that varies and is not needed is an attribute
    (``since_year``), and stays out.
    """
    if len(found) >= MAX_KEY_SIZE or any(set(words(c)) & _YEAR_WORDS for c in found):
        return found
    if choose_time_column(profile) is not None:
        return found  # timed by a date (weather by time_hour): the year is one of its parts
    n = profile.num_rows
    for col in profile.columns.values():
        if (
            set(words(col.name)) & _YEAR_WORDS
            and base_type(col.dtype) in INTEGER_TYPES
            and col.non_null == n
            and col.distinct == 1
            and col.min_value is not None
            and 1000 <= col.min_value <= 2999
        ):
            return (*found, col.name)
    return found


def _with_coordinates(
    con: duckdb.DuckDBPyConnection,
    profile: TableProfile,
    found: tuple[str, ...],
    references: set[str],
) -> tuple[str, ...]:
    """``found`` with the ids it leaves out that no fewer columns determine,
    when ``found`` is made of ids, references and periods only.

    A row keyed by such coordinates alone (no order, ticket or line number of
    its own, no stint that numbers rows) is one measurement per point of
    them, and its designer keys it by all of them; the data may not need
    one only because of the extract. Two cases:

    - an id with no table of its own (a code such as ``lgID`` or ``awardID``)
      joins unless a set of at most two other coordinates that does not
      identify the row determines it: then it describes them (``lgID`` is the
      league of the team's season ``(yearID, teamID)`` in ``Salaries``), else
      it splits the rows (Lahman's award ballots are per ``(awardID, yearID,
      lgID)``; a player is on one league's ballot, so the data does not need
      the league);
    - any id with one value joins (one warehouse in TPC-DS at scale 0.01, one
      award in ``AwardsShareManagers``): one value says nothing of what it
      depends on, as a single season in :func:`_with_single_period`.

    A reference the key does not need otherwise stays out: it names the row
    that describes this one (the franchise of a team's season). Codes not
    named like ids (a grade) are outcomes, not coordinates. The key keeps at
    most :data:`MAX_KEY_SIZE` columns; beyond that ``found`` stays as it is.

    Example:
        >>> import duckdb
        >>> from relgraph.db.column_profile import profile_table
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE votes AS SELECT * FROM (VALUES "
        ...     "('MoY', 2000, 'AL', 'p1', 10), ('MoY', 2000, 'NL', 'p2', 7), "
        ...     "('MoY', 2001, 'NL', 'p1', 3), ('MoY', 2001, 'AL', 'p2', 9)) "
        ...     "t(awardID, yearID, lgID, playerID, points)")
        >>> _with_coordinates(con, profile_table(con, "votes"), ("yearID", "playerID"), set())
        ('yearID', 'playerID', 'awardID', 'lgID')
    """
    n = profile.num_rows
    cols = profile.columns
    if not all(part_rank(cols[c], references) == 3 or _is_period(cols[c]) for c in found):
        return found
    coordinates = [
        c.name for c in cols.values() if c.non_null == n and part_rank(c, references) >= 2
    ]
    added: list[str] = []
    for column in coordinates:
        if column in found or part_rank(cols[column], references) < 3:
            continue
        if _single_value(con, profile, column):
            added.append(column)
        elif column in references:
            continue
        elif not _determined(con, profile.name, column, [c for c in coordinates if c != column]):
            added.append(column)
        if len(found) + len(added) > MAX_KEY_SIZE:
            return found
    return (*found, *added)


def _single_value(con: duckdb.DuckDBPyConnection, profile: TableProfile, column: str) -> bool:
    if profile.columns[column].distinct > 2:  # approximate: only a small count is checked
        return False
    c = q(column)
    return con.execute(f"SELECT count(DISTINCT {c}) FROM {q(profile.name)}").fetchall()[0][0] == 1


def _determined(con: duckdb.DuckDBPyConnection, table: str, column: str, others: list[str]) -> bool:
    """Whether one or two of ``others`` that do not identify the rows
    together determine ``column`` (each of their values has one ``column``
    value)."""
    n = con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0]
    x = q(column)
    for size in (1, 2):
        for combo in itertools.combinations(others, size):
            cols = ", ".join(map(q, combo))
            groups, split = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE k > 1) FROM "
                f"(SELECT count(DISTINCT {x}) AS k FROM {q(table)} GROUP BY {cols})"
            ).fetchall()[0]
            if groups < n and split == 0:
                return True
    return False


def _smallest_unique(
    con: duckdb.DuckDBPyConnection,
    table: str,
    sample: str,
    columns: list[str],
    rank_of: dict[str, int],
) -> tuple[str, ...] | None:
    position = {c: i for i, c in enumerate(columns)}
    for size in range(2, MAX_KEY_SIZE + 1):
        combos = [
            c for c in itertools.combinations(columns, size) if max(rank_of[x] for x in c) == 3
        ]
        combos.sort(key=lambda c: (-sum(rank_of[x] for x in c), sorted(position[x] for x in c)))
        for combo in combos:
            if not _unique(con, sample, combo):
                continue
            if sample == table or _unique(con, table, combo):
                return combo
    return None


def _sample(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], n: int) -> str:
    if n <= SAMPLE_ROWS:
        return table
    name = "__rg_key_sample"
    cols = ", ".join(map(q, columns))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {q(table)} "
        f"USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7)"
    )
    return name


def _unique(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> bool:
    cols = ", ".join(map(q, columns))
    rows, distinct = con.execute(
        f"SELECT (SELECT count(*) FROM {q(table)}), "
        f"(SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {q(table)}))"
    ).fetchall()[0]
    return bool(rows == distinct)


# ---------------------------------------------------------------- links
def match_parts(
    src: TableProfile, dst: TableProfile, key_parts: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """Ways to read ``dst``'s composite key in ``src``: for each part, the
    column of ``src`` named like it (after per-table prefixes such as TPC-H's
    ``l_`` / ``ps_``, or an id suffix: ``teamkey`` for ``teamID``), else the
    columns naming it with a role (``teamIDwinner``, ``home_teamID``), of a
    comparable type; one tuple per combination, in the key's order.

    Example:
        >>> from relgraph.db.column_profile import ColumnProfile as C, TableProfile as T
        >>> teams = T("Teams", 2, {"yearID": C("yearID", "BIGINT", 2, 2),
        ...                        "teamID": C("teamID", "VARCHAR", 2, 2)})
        >>> series = T("SeriesPost", 2, {c: C(c, t, 2, 2) for c, t in [("yearID", "BIGINT"),
        ...            ("teamIDwinner", "VARCHAR"), ("teamIDloser", "VARCHAR")]})
        >>> match_parts(series, teams, ("yearID", "teamID"))
        [('yearID', 'teamIDwinner'), ('yearID', 'teamIDloser')]
    """
    src_prefix = column_prefix(list(src.columns))
    dst_prefix = column_prefix(list(dst.columns))
    options = []
    for part in key_parts:
        want = _stem(strip_prefix(part, dst_prefix))
        dst_type = dst.columns[part].dtype
        typed = [c.name for c in src.columns.values() if comparable_types(c.dtype, dst_type)]
        exact = [c for c in typed if _stem(strip_prefix(c, src_prefix)) == want]
        if not exact:
            full = norm(strip_prefix(part, dst_prefix))
            exact = [
                c
                for c in typed
                if len(full) >= 3
                and norm(c) != full
                and (norm(c).startswith(full) or norm(c).endswith(full))
            ]
        if not exact:
            return []
        options.append(exact)
    combos = [c for c in itertools.product(*options) if len(set(c)) == len(c)]
    return combos[:4]


def _stem(name: str) -> str:
    """A name without case, separators and an id-like suffix."""
    n = norm(name)
    suffix = id_suffix(name)
    return n[: -len(suffix)] if suffix and len(n) > len(suffix) else n


def composite_link_stats(
    con: duckdb.DuckDBPyConnection,
    src_table: str,
    src_parts: tuple[str, ...],
    src_dtypes: dict[str, str],
    dst_table: str,
    dst_column: str,
) -> tuple[int, int, int]:
    """``(rows with every part set, of those how many match no key, distinct
    keys matched)``."""
    value = made_value_sql(src_parts, src_dtypes)
    row = con.execute(
        f"SELECT count(s.__v), count(s.__v) FILTER (WHERE d.__k IS NULL), "
        f"count(DISTINCT d.__k) FROM "
        f"(SELECT {value} AS __v FROM {q(src_table)}) s LEFT JOIN "
        f"(SELECT DISTINCT {q(dst_column)} AS __k FROM {q(dst_table)}) d ON s.__v = d.__k"
    ).fetchall()[0]
    return int(row[0]), int(row[1]), int(row[2])


def find_composite_links(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    composite: dict[str, tuple[tuple[str, ...], str]],
    references: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> list[tuple[Link, LinkInfo]]:
    """Links from tables whose columns are named like a composite key's parts
    and whose rows mostly find a key there.

    ``composite`` maps a table to its key's parts and made column. Each link
    returned names the made column it needs in the source table (not made
    yet) and carries its parts in :class:`LinkInfo`.

    A fact's key has a part in ``references`` (the ``(table, column)`` pairs
    known to link elsewhere): a player's season with a team. Tables of the
    same grain contain each other's facts without one being the other's
    parent, so a link into a fact's key with few rows per key
    (``MIN_FAN_IN``) is believed only as a later event naming an earlier one
    (a return naming its sale by ``(item, ticket)``): no part is a period (a
    player's batting and pitching lines of one season are siblings) and every
    part is named as the key names it, not by a role (a series' ``episodes``
    count is no episode number). Of two tables of the same key that contain
    each other, only one links to the other (:func:`_one_direction`).
    """
    out = []
    for dst, (parts, key_column) in composite.items():
        for src, profile in profiles.items():
            if src == dst:
                continue
            for src_parts in match_parts(profile, profiles[dst], parts):
                dtypes = {c.name: c.dtype for c in profile.columns.values()}
                stats = composite_link_stats(con, src, src_parts, dtypes, dst, key_column)
                non_null, dangling, matched = stats
                if not non_null or dangling > (1 - MIN_CONTAINMENT) * non_null:
                    continue
                fact = any((dst, p) in references for p in parts)
                same_grain = non_null - dangling < MIN_FAN_IN * matched
                if (
                    fact
                    and same_grain
                    and not _later_event(profile, profiles[dst], src_parts, parts)
                ):
                    continue
                column = made_column_name(src_parts, set(profile.columns) - {key_column})
                if composite.get(src, ((), ""))[1] == column:
                    column += "_ref"  # the source's own key has the same name
                info = LinkInfo(
                    "inferred",
                    dangling,
                    non_null,
                    src_parts=src_parts,
                    dst_parts=parts,
                    evidence="columns named like the key's parts",
                )
                out.append((Link(src, column, dst, key_column), info))
    return _one_target_per_parts(_one_direction(out, profiles))


def _is_period(col: ColumnProfile) -> bool:
    """A time or a year: rows sharing it describe the same period."""
    if is_time_type(col.dtype):
        return True
    return base_type(col.dtype) in INTEGER_TYPES and bool(set(words(col.name)) & _YEAR_WORDS)


def _later_event(
    src: TableProfile, dst: TableProfile, src_parts: tuple[str, ...], parts: tuple[str, ...]
) -> bool:
    """No source part is a period, and each has its key part's name after
    table prefixes and id suffixes (``sr_item_sk`` for ``ss_item_sk``)."""
    if any(_is_period(src.columns[c]) for c in src_parts):
        return False
    src_prefix = column_prefix(list(src.columns))
    dst_prefix = column_prefix(list(dst.columns))
    return all(
        _stem(strip_prefix(a, src_prefix)) == _stem(strip_prefix(b, dst_prefix))
        for a, b in zip(src_parts, parts, strict=True)
    )


def _one_direction(
    links: list[tuple[Link, LinkInfo]], profiles: dict[str, TableProfile]
) -> list[tuple[Link, LinkInfo]]:
    """Of two tables that link to each other by the same parts (an episode's
    row and its rating, both keyed by ``(series, episode)``), only the link
    into the table named by a part, else into the larger table, stays."""
    by_pair = {
        (link.src_table, link.dst_table, frozenset(info.src_parts)): link for link, info in links
    }
    out = []
    for link, info in links:
        back = by_pair.get((link.dst_table, link.src_table, frozenset(info.dst_parts)))
        if back is not None and not _parent_of(link.dst_table, back.dst_table, info, profiles):
            continue
        out.append((link, info))
    return out


def _parent_of(dst: str, other: str, info: LinkInfo, profiles: dict[str, TableProfile]) -> bool:
    named_dst = _names_a_part(dst, info.dst_parts)
    named_other = _names_a_part(other, info.src_parts)
    if named_dst != named_other:
        return named_dst
    return (profiles[dst].num_rows, dst) > (profiles[other].num_rows, other)


def _one_target_per_parts(
    links: list[tuple[Link, LinkInfo]],
) -> list[tuple[Link, LinkInfo]]:
    """One link per source columns: tables with the same key (an episode's
    results and its ratings, both by (series, episode)) all contain the same
    source rows, and one made column can only reference one of them. The
    table named by a part of its key wins (``episodes`` for ``episode``), else
    the first found."""
    best: dict[tuple[str, tuple[str, ...]], int] = {}
    for i, (link, info) in enumerate(links):
        slot = (link.src_table, info.src_parts)
        if slot not in best:
            best[slot] = i
        elif _names_a_part(link.dst_table, info.dst_parts):
            held = links[best[slot]]
            if not _names_a_part(held[0].dst_table, held[1].dst_parts):
                best[slot] = i
    return [links[i] for i in sorted(best.values())]


def _names_a_part(table: str, parts: tuple[str, ...]) -> bool:
    variants = table_variants(table)
    return any(_stem(p) in variants for p in parts)
