"""Schema inference: primary keys, time columns, links and stypes, decided
from declared constraints first, user overrides next, then names and data.

Each decision lives in its own module (:mod:`~relgraph.db.key_inference`,
:mod:`~relgraph.db.time_inference`, :mod:`~relgraph.db.link_inference`,
:mod:`~relgraph.db.stype_inference`); :func:`infer_schema` puts them together.
"""

from __future__ import annotations

import duckdb

from relgraph.db.calendars import calendar_note, find_calendars
from relgraph.db.column_profile import TableProfile
from relgraph.db.key_inference import (
    ROW_ID,
    choose_primary_key,
    key_rejection,
    primary_key_score,
)
from relgraph.db.link_inference import (
    infer_links,
    link_stats,
    rejected_link_note,
    shared_key_links,
)
from relgraph.db.naming import norm
from relgraph.db.overrides import Overrides
from relgraph.db.schema import Link, LinkInfo, Schema, TableSchema
from relgraph.db.sources.base import Declared
from relgraph.db.stype import Stype
from relgraph.db.stype_inference import infer_stype
from relgraph.db.time_inference import choose_time_column, static_table_note

__all__ = ["ROW_ID", "choose_keys", "infer_schema"]

_NO_COLUMNS = TableProfile("", 0, {})


def choose_keys(
    con: duckdb.DuckDBPyConnection,
    profiles: dict[str, TableProfile],
    declared: Declared,
    overrides: Overrides,
    dedupe: bool = False,
) -> dict[str, str]:
    """The single-column key of every table that has one: override, declared,
    inferred. Tables given a composite key (override or declared) are left out."""
    names = list(profiles)
    keys: dict[str, str] = {}
    for table in names:
        # Names other tables use, except where they name that table's own key
        # (order_items.order_id refers to orders; it is not order_items' key).
        referenced: dict[str, list[tuple[str, str]]] = {}
        for t, p in profiles.items():
            for c in p.columns:
                if t != table and primary_key_score(t, c, names) < 80:
                    referenced.setdefault(norm(c), []).append((t, c))
        if table in overrides.composite_keys or (
            table in declared.composite_keys and table not in overrides.primary_keys
        ):
            continue
        key = overrides.primary_keys.get(table) or declared.primary_keys.get(table)
        if key is None:
            key = choose_primary_key(con, profiles[table], names, dedupe, referenced)
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
    composite_keys: dict[str, tuple[str, ...]] | None = None,
    composite_links: dict[Link, LinkInfo] | None = None,
) -> Schema:
    """Decide times, links and stypes (keys are given): declared, then
    overrides, then inference.

    ``profiles`` must describe the working store as it is (after generated keys
    and made columns were added); names in overrides have already been checked.
    ``composite_keys`` maps a table to the parts of its composite key (its key
    in ``keys`` is the made column); ``composite_links`` are links between made
    columns, already decided.
    """
    composite_keys = composite_keys or {}
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
    link_info.update(composite_links or {})
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
        ambiguous: list[str] = []
        link_info.update(infer_links(con, profiles, inferable, skip, rejected, ambiguous))
        # Made keys of tables of the same grain (a player's batting and
        # pitching seasons) share names and values without one extending the other.
        single = {t: k for t, k in inferable.items() if t not in composite_keys}
        link_info.update(shared_key_links(con, profiles, single, skip))
        warnings += ambiguous
        warnings += [rejected_link_note(link, info) for link, info in rejected.items()]

    # A table declared static may still be a calendar its referrers take their time from.
    candidates = {
        t: column
        for t in names
        if times[t] is None or (t not in overrides.time_columns and t not in declared.time_columns)
        if (column := choose_time_column(profiles[t])) is not None
    }
    calendars = find_calendars(con, candidates, keys, list(link_info))
    for table, column in calendars.items():
        if times[table] == column:
            times[table] = None
            warnings.append(calendar_note(table, column))

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
            key_columns=composite_keys.get(table, ()),
            key_evidence=_key_evidence(table, keys.get(table), declared, overrides, composite_keys),
            calendar_column=calendars.get(table, ""),
        )
        if table not in generated_keys and table not in declared.primary_keys and keys.get(table):
            parts = composite_keys.get(table)
            chosen = f"({', '.join(parts)})" if parts else keys[table]
            note = key_rejection(con, profile, names, chosen if parts else keys[table])
            if note:
                warnings.append(note)
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


def _key_evidence(
    table: str,
    key: str | None,
    declared: Declared,
    overrides: Overrides,
    composite_keys: dict[str, tuple[str, ...]],
) -> str:
    """Why ``key`` is ``table``'s key, in a few words for ``inspect``."""
    if key is None:
        return ""
    if table in overrides.primary_keys or table in overrides.composite_keys:
        return "set by you"
    if table in declared.primary_keys or table in declared.composite_keys:
        return "declared by the source"
    if table in composite_keys:
        return "no column is unique alone; these are, together"
    if key == ROW_ID:
        return "no column or set of columns is unique"
    return "unique, and the best-named candidate"
