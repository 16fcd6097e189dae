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
from relgraph.db.schema import Link, Schema, parse_column_ref
from relgraph.db.stype import Stype
from relgraph.errors import SchemaError


@dataclass
class Overrides:
    primary_keys: dict[str, str] = field(default_factory=dict)
    #: ``None`` means "no time column" (a static table).
    time_columns: dict[str, str | None] = field(default_factory=dict)
    stypes: dict[tuple[str, str], Stype] = field(default_factory=dict)
    added_links: list[Link] = field(default_factory=list)
    #: ``(table, column)`` whose link (declared or inferred) is removed.
    removed_links: set[tuple[str, str]] = field(default_factory=set)
    #: When a TOML file lists ``links``, that list is the whole set.
    links_are_complete: bool = False
    #: ``table.column`` refs to drop (applied by the database, not kept here).
    dropped: list[str] = field(default_factory=list)
    #: Text values read as NULL in every text column (see :mod:`relgraph.db.missing_values`).
    missing: list[str] = field(default_factory=list)

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
        named += [(t, c, "time_column") for t, c in self.time_columns.items() if c]
        for x in self.added_links:
            named += [(x.src_table, x.src_column, "a link"), (x.dst_table, x.dst_column, "a link")]
        for table, column, what in named:
            if (table, column) in columns:
                raise SchemaError(
                    f"{table}.{column} is dropped, so it cannot be {what}; remove one of the two."
                )

    def remove_link(self, table: str, column: str) -> None:
        self.added_links = [
            x for x in self.added_links if (x.src_table, x.src_column) != (table, column)
        ]
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
    unknown = set(data) - {"tables", "links", "unlink", "drop", "missing", "warnings", "dropped"}
    if unknown:
        raise SchemaError(
            f"{origin}: unknown top-level keys {sorted(unknown)}; expected tables, links, "
            "unlink, drop, missing."
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
        if spec.get("primary_key"):
            out.primary_keys[table] = spec["primary_key"]
        if "time_column" in spec:
            out.time_columns[table] = spec["time_column"] or None
        for column, stype in (spec.get("columns") or {}).items():
            out.stypes[(table, column)] = Stype.parse(stype)
    if "links" in data:
        out.links_are_complete = True
        for item in data["links"]:
            if not isinstance(item, dict) or "from" not in item or "to" not in item:
                raise SchemaError(
                    f"{origin}: each link needs 'from' and 'to' (got {item!r}); e.g. "
                    '{from = "orders.customer_id", to = "customers.customer_id"}.'
                )
            src = parse_column_ref(item["from"], "link source")
            dst = parse_column_ref(item["to"], "link target")
            out.add_link(Link(src[0], src[1], dst[0], dst[1]))
    for ref in data.get("unlink") or []:
        out.remove_link(*parse_column_ref(ref, "link source"))
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


def schema_to_toml(schema: Schema) -> str:
    """The inferred schema as an editable TOML file (readable by :func:`read_overrides`)."""
    tables: dict[str, Any] = {}
    for name, t in schema.tables.items():
        spec: dict[str, Any] = {}
        if t.primary_key and not t.generated_key:
            spec["primary_key"] = t.primary_key
        if t.time_origin:  # inherited: inference gives it again (see db.inherited_time)
            spec["columns"] = {c: s.value for c, s in t.columns.items() if c != t.time_column}
        else:
            spec["time_column"] = t.time_column or ""
            spec["columns"] = {c: s.value for c, s in t.columns.items()}
        tables[name] = spec
    doc: dict[str, Any] = {
        "links": [{"from": link.source, "to": link.target} for link in schema.links],
        "tables": tables,
    }
    if schema.dropped:
        doc["drop"] = list(schema.dropped)
    header = (
        "# relgraph schema: edit and pass back with `relgraph inspect SRC --schema FILE`.\n"
        "# stypes: numerical, categorical, multicategorical, text, timestamp, id.\n"
        '# time_column = "" makes a table static. `links` is the full set of links.\n'
        '# drop = ["table.column", ...] removes columns nothing may read.\n\n'
    )
    return header + tomli_w.dumps(doc)
