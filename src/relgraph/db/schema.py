"""The schema of a relational database as relgraph sees it: tables with a
primary key, an optional time column and an stype per column, plus links
(foreign keys) between tables.

A :class:`Schema` is plain data. It is produced by inference
(:mod:`relgraph.db.inference`), adjusted by overrides, and consumed by the
graph builder, PQL and the models.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from relgraph.db.stype import Stype
from relgraph.errors import SchemaError

#: Edge types are ``(src_table, relation, dst_table)`` triples, as in PyG.
EdgeType = tuple[str, str, str]

REVERSE_PREFIX = "rev_"


@dataclass(frozen=True)
class Link:
    """A foreign key: ``src_table.src_column`` references ``dst_table.dst_column``.

    Example:
        >>> link = Link("orders", "customer_id", "customers", "customer_id")
        >>> link.edge_type
        ('orders', 'customer_id', 'customers')
        >>> link.reverse_edge_type
        ('customers', 'rev_customer_id', 'orders')
    """

    src_table: str
    src_column: str
    dst_table: str
    dst_column: str

    @property
    def source(self) -> str:
        return f"{self.src_table}.{self.src_column}"

    @property
    def target(self) -> str:
        return f"{self.dst_table}.{self.dst_column}"

    @property
    def edge_type(self) -> EdgeType:
        """The edge type from the referencing row to the referenced row."""
        return (self.src_table, self.src_column, self.dst_table)

    @property
    def reverse_edge_type(self) -> EdgeType:
        """The edge type from the referenced row back to the referencing rows."""
        return (self.dst_table, REVERSE_PREFIX + self.src_column, self.src_table)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass
class LinkInfo:
    """What relgraph knows about a link beyond its endpoints."""

    origin: str  # "declared", "inferred" or "override"
    dangling: int = 0  # non-null values with no matching key
    non_null: int = 0
    #: For a composite link, the source columns and the target key's columns it
    #: joins, in matching order (the link's own columns are the ones relgraph
    #: makes from them); empty for a single-column link.
    src_parts: tuple[str, ...] = ()
    dst_parts: tuple[str, ...] = ()
    #: Why relgraph believes in an inferred link, e.g. "named like the key" or
    #: "values only: 101 of 105 distinct values are keys" (shown by inspect).
    evidence: str = ""

    @property
    def dangling_share(self) -> float:
        return self.dangling / self.non_null if self.non_null else 0.0


@dataclass
class TableSchema:
    """One table: its columns (name -> stype), key, time column and size."""

    name: str
    columns: dict[str, Stype]
    dtypes: dict[str, str]
    num_rows: int
    primary_key: str | None = None
    time_column: str | None = None
    #: True when the source had no usable single-column key and relgraph
    #: numbers the rows instead (the column is then ``primary_key``).
    generated_key: bool = False
    #: Why the rows are numbered (``generated_key``): the column named like the
    #: table's key, what it holds that a key cannot (NULLs, duplicates), and
    #: how to use it. Empty when no column is named like the key.
    key_note: str = ""
    #: Where an inherited time column (``_row_time``) comes from, e.g.
    #: ``"orders.ordered_at"`` (see :mod:`relgraph.db.inherited_time`); "" otherwise.
    time_origin: str = ""
    #: For a composite key, the table's own columns it is made of (the key
    #: column ``primary_key`` is the one relgraph makes from them); else empty.
    key_columns: tuple[str, ...] = ()
    #: Why this is the key, e.g. "declared", "named like the table's key",
    #: "a code, unique", "unique together" (shown by inspect).
    key_evidence: str = ""
    #: For a calendar (one row per day, referenced by the tables whose rows
    #: happen that day; see :mod:`relgraph.db.calendars`), its date column: the
    #: table is static, and the tables referencing it take their time from it.
    calendar_column: str = ""

    @property
    def key_parts(self) -> tuple[str, ...]:
        """The source columns that identify a row: the composite key's columns,
        the single key column, or nothing when relgraph numbers the rows.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2]})})
            >>> db.schema.tables["users"].key_parts
            ('user_id',)
        """
        if self.key_columns:
            return self.key_columns
        if self.primary_key and not self.generated_key:
            return (self.primary_key,)
        return ()

    @property
    def is_static(self) -> bool:
        """Rows without a time column exist at every anchor time."""
        return self.time_column is None

    def column(self, name: str) -> Stype:
        if name not in self.columns:
            raise SchemaError(_unknown("column", f"{self.name}.{name}", name, self.columns))
        return self.columns[name]


@dataclass
class Schema:
    """Tables and links of a database.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2]})})
        >>> db.schema.tables["users"].primary_key
        'user_id'
    """

    tables: dict[str, TableSchema]
    links: list[Link] = field(default_factory=list)
    link_info: dict[Link, LinkInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: ``table.column`` refs the user dropped: gone before inference, never read.
    dropped: list[str] = field(default_factory=list)
    #: Links named like one but not made because too many of their values match
    #: no key (with those counts); each also has a warning. ``db.link`` makes one.
    rejected_links: dict[Link, LinkInfo] = field(default_factory=dict)
    #: Text the user named as "missing" (read as NULL in every text column).
    missing: list[str] = field(default_factory=list)

    def parallel_links(self) -> dict[tuple[str, str], list[Link]]:
        """Links that share a source and a target table (``flights.origin`` and
        ``flights.dest`` to ``airports``), keyed by ``(source, target)``: a query
        reaching one table from the other must say which (``VIA``).

        Example:
            >>> both = [Link("f", "origin", "a", "faa"), Link("f", "dest", "a", "faa")]
            >>> s = Schema({}, links=both)
            >>> [str(x) for x in s.parallel_links()[("f", "a")]]
            ['f.origin -> a.faa', 'f.dest -> a.faa']
        """
        groups: dict[tuple[str, str], list[Link]] = {}
        for link in self.links:
            groups.setdefault((link.src_table, link.dst_table), []).append(link)
        return {k: v for k, v in groups.items() if len(v) > 1}

    def table(self, name: str) -> TableSchema:
        if name not in self.tables:
            raise SchemaError(_unknown("table", name, name, self.tables))
        return self.tables[name]

    def link_parts(self, link: Link) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The source columns of ``link`` and the target columns they match:
        several each for a composite link, one each otherwise.

        Example:
            >>> from relgraph.db.schema import Link
            >>> Schema({}).link_parts(Link("orders", "customer_id", "customers", "id"))
            (('customer_id',), ('id',))
        """
        info = self.link_info.get(link)
        if info is not None and info.src_parts:
            return info.src_parts, info.dst_parts
        return (link.src_column,), (link.dst_column,)

    def links_from(self, table: str) -> list[Link]:
        return [link for link in self.links if link.src_table == table]

    def links_to(self, table: str) -> list[Link]:
        return [link for link in self.links if link.dst_table == table]

    def without_columns(self, columns: Iterable[tuple[str, str]]) -> Schema:
        """A copy in which ``(table, column)`` pairs are no input: gone from their
        tables' columns, and every link from or to them gone too (a link would
        reveal the value by which row it reaches).

        A primary key stays its table's key (keys are never features), but no
        link reaches it any more. Used to hide a target's own columns from models.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1], "plan": ["a"]})})
            >>> list(db.schema.without_columns([("users", "plan")]).tables["users"].columns)
            ['user_id']

        Raises:
            SchemaError: an unknown table or column, or a table's time column
                (hiding it would make the table static: every row visible at
                every anchor).
        """
        hidden = set(columns)
        out = copy.deepcopy(self)
        for table, column in sorted(hidden):
            t = out.table(table)
            t.column(column)
            if column == t.time_column:
                raise SchemaError(
                    f"{table}.{column} is the time column of {table!r}; it cannot be hidden "
                    "(the table would become static)."
                )
            if column != t.primary_key:
                del t.columns[column]
                t.dtypes.pop(column, None)

        def touches(link: Link) -> bool:
            return (link.src_table, link.src_column) in hidden or (
                link.dst_table,
                link.dst_column,
            ) in hidden

        out.links = [link for link in out.links if not touches(link)]
        out.link_info = {k: v for k, v in out.link_info.items() if not touches(k)}
        return out

    @property
    def edge_types(self) -> list[EdgeType]:
        """Every edge type of the graph: each link in both directions."""
        out: list[EdgeType] = []
        for link in self.links:
            out += [link.edge_type, link.reverse_edge_type]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``relgraph inspect --json``."""
        tables = {}
        for name, t in self.tables.items():
            tables[name] = {
                "rows": t.num_rows,
                "primary_key": t.primary_key,
                "time_column": t.time_column,
                "columns": {c: s.value for c, s in t.columns.items()},
                "dtypes": dict(t.dtypes),
                "generated_key": t.generated_key,
            }
            if t.time_origin:  # only then, so other schemas keep their fingerprints
                tables[name]["time_origin"] = t.time_origin
            if t.calendar_column:
                tables[name]["calendar_column"] = t.calendar_column
            if t.key_columns:
                tables[name]["key_columns"] = list(t.key_columns)
        links = []
        for link in self.links:
            info = self.link_info.get(link, LinkInfo("declared"))
            links.append(
                {
                    "from": link.source,
                    "to": link.target,
                    "origin": info.origin,
                    "dangling": info.dangling,
                }
            )
            if info.src_parts:
                links[-1]["columns"] = [list(info.src_parts), list(info.dst_parts)]
            if info.evidence:
                links[-1]["evidence"] = info.evidence
        return {
            "tables": tables,
            "links": links,
            "warnings": list(self.warnings),
            "dropped": list(self.dropped),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def fingerprint(self) -> str:
        """A short hash of the structure (tables, keys, times, stypes, links),
        so that saved models can refuse a database that does not fit."""
        d = self.to_dict()
        for t in d["tables"].values():
            del t["rows"]
        for link in d["links"]:
            del link["dangling"], link["origin"]
            link.pop("evidence", None)
        d.pop("warnings")
        d.pop("dropped")  # the columns say it already
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def parse_column_ref(ref: str, what: str = "column reference") -> tuple[str, str]:
    """Split ``"table.column"`` (the last dot separates, so table names may not
    contain dots but column names may not either)."""
    if not isinstance(ref, str) or ref.count(".") != 1 or ref.startswith(".") or ref.endswith("."):
        raise SchemaError(f"Expected a {what} of the form 'table.column' (got {ref!r}).")
    table, column = ref.split(".")
    return table, column


def parse_key_ref(ref: str, what: str = "column reference") -> tuple[str, tuple[str, ...]]:
    """Split ``"table.column"`` or, for several columns together,
    ``"table.(a, b)"`` into the table and its columns.

    Example:
        >>> parse_key_ref("Batting.(yearID, teamID)")
        ('Batting', ('yearID', 'teamID'))
        >>> parse_key_ref("orders.customer_id")
        ('orders', ('customer_id',))
    """
    if isinstance(ref, str) and ref.endswith(")") and ".(" in ref:
        table, inner = ref[:-1].split(".(", 1)
        columns = tuple(c.strip() for c in inner.split(","))
        if table and "." not in table and columns and all(columns):
            return table, columns
        raise SchemaError(
            f"Expected a {what} of the form 'table.column' or 'table.(a, b)' (got {ref!r})."
        )
    table, column = parse_column_ref(ref, what)
    return table, (column,)


def format_key_ref(table: str, columns: tuple[str, ...]) -> str:
    """The inverse of :func:`parse_key_ref`: ``"t.c"`` or ``"t.(a, b)"``."""
    if len(columns) == 1:
        return f"{table}.{columns[0]}"
    return f"{table}.({', '.join(columns)})"


def _unknown(kind: str, full: str, name: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    choices = ", ".join(sorted(known)[:20])
    return f"Unknown {kind} {full!r}.{hint} Known: {choices}."
