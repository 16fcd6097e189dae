"""User overrides of the inferred schema, kept apart from inference so that
re-inferring (after another override) never forgets what the user said.

The same overrides come from Python (``db.set_primary_key(...)``) or from a
TOML file (``relgraph inspect SRC --schema schema.toml``)::

    [tables.orders]
    primary_key = "order_id"
    time_column = "ordered_at"      # "" makes the table static
    [tables.orders.columns]
    status = "categorical"

    links = [{from = "orders.customer_id", to = "customers.customer_id"}]  # the full set, if given
    unlink = ["orders.seller_id"]
    drop = ["orders.refund_reason"]  # columns nothing may read (see relgraph.db.dropping)
    missing = ["-", "?"]  # text meaning "missing" in every text column (relgraph.db.missing_values)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from relgraph.db.missing_values import missing_tokens
from relgraph.db.schema import Link, Schema, format_key_ref, parse_column_ref, parse_key_ref
from relgraph.db.stype import Stype
from relgraph.errors import SchemaError


@dataclass
class Overrides:
    primary_keys: dict[str, str] = field(default_factory=dict)
    #: Keys of several columns (``primary_key = ["yearID", "teamID"]`` in TOML).
    composite_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``None`` means "no time column" (a static table).
    time_columns: dict[str, str | None] = field(default_factory=dict)
    stypes: dict[tuple[str, str], Stype] = field(default_factory=dict)
    added_links: list[Link] = field(default_factory=list)
    #: ``(table, column)`` whose link (declared or inferred) is removed.
    removed_links: set[tuple[str, str]] = field(default_factory=set)
    #: Links of several columns: ``(src_table, src_columns, dst_table, dst_columns)``.
    composite_links: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = field(
        default_factory=list
    )
    #: ``(table, source columns)`` of composite links removed.
    removed_composite_links: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    #: When a TOML file lists ``links``, that list is the whole set.
    links_are_complete: bool = False
    #: ``table.column`` refs to drop (applied by the database, not kept here).
    dropped: list[str] = field(default_factory=list)
    #: Text values read as NULL in every text column (see :mod:`relgraph.db.missing_values`).
    missing: list[str] = field(default_factory=list)

    def set_key(self, table: str, columns: str | tuple[str, ...]) -> None:
        """Make ``columns`` (one, or several together) the key of ``table``."""
        self.primary_keys.pop(table, None)
        self.composite_keys.pop(table, None)
        if isinstance(columns, str):
            self.primary_keys[table] = columns
        elif len(columns) == 1:
            self.primary_keys[table] = columns[0]
        else:
            self.composite_keys[table] = tuple(columns)

    def add_link(self, link: Link) -> None:
        self.removed_links.discard((link.src_table, link.src_column))
        self.added_links = [
            x
            for x in self.added_links
            if (x.src_table, x.src_column) != (link.src_table, link.src_column)
        ]
        self.added_links.append(link)

    def forget_columns(self, columns: set[tuple[str, str]]) -> None:
        """Forget every override naming a dropped ``(table, column)``."""
        self.primary_keys = {t: c for t, c in self.primary_keys.items() if (t, c) not in columns}
        self.composite_keys = {
            t: cs for t, cs in self.composite_keys.items() if not any((t, c) in columns for c in cs)
        }
        self.time_columns = {
            t: c for t, c in self.time_columns.items() if c is None or (t, c) not in columns
        }
        self.stypes = {k: v for k, v in self.stypes.items() if k not in columns}
        self.added_links = [
            x
            for x in self.added_links
            if (x.src_table, x.src_column) not in columns
            and (x.dst_table, x.dst_column) not in columns
        ]
        self.removed_links = {x for x in self.removed_links if x not in columns}

    def check_not_dropped(self, columns: set[tuple[str, str]]) -> None:
        """Refuse a key, time column or link that names a dropped column."""
        named = [(t, c, "primary_key") for t, c in self.primary_keys.items()]
        named += [(t, c, "part of the key") for t, cs in self.composite_keys.items() for c in cs]
        named += [(t, c, "time_column") for t, c in self.time_columns.items() if c]
        for x in self.added_links:
            named += [(x.src_table, x.src_column, "a link"), (x.dst_table, x.dst_column, "a link")]
        for table, column, what in named:
            if (table, column) in columns:
                raise SchemaError(
                    f"{table}.{column} is dropped, so it cannot be {what}; remove one of the two."
                )

    def add_composite_link(self, link: tuple[str, tuple[str, ...], str, tuple[str, ...]]) -> None:
        src, parts = link[0], tuple(link[1])
        self.removed_composite_links.discard((src, parts))
        self.composite_links = [
            x for x in self.composite_links if (x[0], tuple(x[1])) != (src, parts)
        ]
        self.composite_links.append(link)

    def remove_link(self, table: str, column: str, parts: tuple[str, ...] = ()) -> None:
        """Remove the link from ``table.column``; ``parts``: the source columns
        of a composite link (``column`` is then the column made from them)."""
        self.added_links = [
            x for x in self.added_links if (x.src_table, x.src_column) != (table, column)
        ]
        if len(parts) > 1:
            self.composite_links = [
                x for x in self.composite_links if (x[0], tuple(x[1])) != (table, parts)
            ]
            self.removed_composite_links.add((table, parts))
        else:
            self.removed_links.add((table, column))


def read_overrides(path: str | Path) -> Overrides:
    """Parse a schema TOML file into :class:`Overrides` (names are checked later,
    against the database)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SchemaError(f"Schema file not found: {str(path)!r}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{str(path)!r} is not valid TOML: {exc}.") from None
    return overrides_from_dict(data, origin=str(path))


def overrides_from_dict(data: dict[str, Any], origin: str = "schema") -> Overrides:
    out = Overrides()
    # "warnings" and "dropped" are what `inspect --json` reports: read, not applied.
    known = {"tables", "links", "add_links", "unlink", "drop", "missing", "warnings", "dropped"}
    unknown = set(data) - known
    if unknown:
        raise SchemaError(
            f"{origin}: unknown top-level keys {sorted(unknown)}; expected tables, links, "
            "add_links, unlink, drop, missing."
        )
    for table, spec in (data.get("tables") or {}).items():
        if not isinstance(spec, dict):
            raise SchemaError(f"{origin}: [tables.{table}] must be a table (got {spec!r}).")
        bad = set(spec) - {
            "primary_key",
            "time_column",
            "columns",
            "rows",
            "dtypes",
            "generated_key",
        }
        if bad:
            raise SchemaError(
                f"{origin}: [tables.{table}] has unknown keys {sorted(bad)}; expected "
                "primary_key, time_column, columns."
            )
        key = spec.get("primary_key")
        if key:
            if isinstance(key, list) and key and all(isinstance(c, str) and c for c in key):
                out.set_key(table, tuple(key))
            elif isinstance(key, str):
                out.set_key(table, key)
            else:
                raise SchemaError(
                    f"{origin}: [tables.{table}] primary_key must be a column name or a list "
                    f'of them (got {key!r}), e.g. primary_key = ["yearID", "teamID"].'
                )
        if "time_column" in spec:
            out.time_columns[table] = spec["time_column"] or None
        for column, stype in (spec.get("columns") or {}).items():
            out.stypes[(table, column)] = Stype.parse(stype)
    if "links" in data:
        out.links_are_complete = True
    for field_name in ("links", "add_links"):
        for item in data.get(field_name) or []:
            if not isinstance(item, dict) or "from" not in item or "to" not in item:
                raise SchemaError(
                    f"{origin}: each link needs 'from' and 'to' (got {item!r}); e.g. "
                    '{from = "orders.customer_id", to = "customers.customer_id"}.'
                )
            src = parse_key_ref(item["from"], "link source")
            dst = parse_key_ref(item["to"], "link target")
            if len(src[1]) != len(dst[1]):
                raise SchemaError(
                    f"{origin}: link {item['from']} -> {item['to']} names {len(src[1])} "
                    f"column(s) on one side and {len(dst[1])} on the other."
                )
            if len(src[1]) == 1:
                out.add_link(Link(src[0], src[1][0], dst[0], dst[1][0]))
            else:
                out.add_composite_link((src[0], src[1], dst[0], dst[1]))
    for ref in data.get("unlink") or []:
        table, columns = parse_key_ref(ref, "link source")
        out.remove_link(table, columns[0], columns)
    drop = data.get("drop") or []
    if isinstance(drop, str) or not all(isinstance(x, str) for x in drop):
        raise SchemaError(
            f'{origin}: drop must be a list such as ["orders.status"] (got {drop!r}).'
        )
    for ref in drop:
        parse_column_ref(ref, "column to drop")
    out.dropped = list(drop)
    out.missing = missing_tokens(data.get("missing") or [])
    return out


def _link_entry(schema: Schema, link: Link) -> dict[str, str]:
    src, dst = schema.link_parts(link)
    return {
        "from": format_key_ref(link.src_table, src),
        "to": format_key_ref(link.dst_table, dst),
    }


def schema_to_toml(schema: Schema) -> str:
    """The inferred schema as an editable TOML file (readable by :func:`read_overrides`)."""
    tables: dict[str, Any] = {}
    # Columns relgraph makes from a composite key's or link's parts are made
    # again from the file's keys and links; they are not the user's columns.
    made_columns: dict[str, set[str]] = {}
    for name, t in schema.tables.items():
        if t.key_columns and t.primary_key:
            made_columns.setdefault(name, set()).add(t.primary_key)
    for link in schema.links:
        if len(schema.link_parts(link)[0]) > 1:
            made_columns.setdefault(link.src_table, set()).add(link.src_column)
    for name, t in schema.tables.items():
        spec: dict[str, Any] = {}
        if t.key_columns:
            spec["primary_key"] = list(t.key_columns)
        elif t.primary_key and not t.generated_key:
            spec["primary_key"] = t.primary_key
        made = made_columns.get(name, set())
        origin_table, _, origin_column = (t.time_origin or "").partition(".")
        if origin_table == name and origin_column in t.columns:
            # read from an integer column of its own (a year): that column is the decision
            made = made | {t.time_column}
            spec["time_column"] = origin_column
        elif t.time_origin:  # inherited: inference gives it again (see db.inherited_time)
            made = made | {t.time_column}
        else:
            spec["time_column"] = t.time_column or ""
        spec["columns"] = {c: s.value for c, s in t.columns.items() if c not in made}
        tables[name] = spec
    doc: dict[str, Any] = {
        "links": [_link_entry(schema, link) for link in schema.links],
        "tables": tables,
    }
    if schema.dropped:
        doc["drop"] = list(schema.dropped)
    if schema.missing:
        doc["missing"] = list(schema.missing)
    header = (
        "# relgraph schema: every decision relgraph made. Edit it and pass it back with\n"
        "# `--schema FILE` (any verb), rg.connect(src, schema=FILE) or db.apply_schema(FILE).\n"
        "# Fields (docs/schema.md):\n"
        '#   links        the full set of links: {from = "orders.customer_id", to =\n'
        '#                "customers.customer_id"}; several columns: "Batting.(yearID, teamID)"\n'
        "#   add_links    links to add to those inferred, written as in `links`\n"
        '#   unlink       ["table.column", ...]: links to remove (when `links` is not given)\n'
        '#   drop         ["table.column", ...]: columns nothing may read\n'
        '#   missing      ["NA", "-", ...]: text read as NULL in every text column\n'
        '#   [tables.T]   primary_key = "col" or ["a", "b"] (several columns together);\n'
        '#                time_column = "col" ("" makes the table static);\n'
        "#   [tables.T.columns]  col = stype: numerical, categorical, multicategorical, text,\n"
        "#                timestamp, id (id: never a feature)\n"
        "# A table with no primary_key line had none: its rows are numbered (_row_id). A\n"
        "# table with no time_column line takes its time from the rows it references.\n\n"
    )
    return header + tomli_w.dumps(doc)
