"""A relational database as a temporal heterogeneous graph.

Rows are nodes (node ``i`` of type ``T`` is row ``i`` of table ``T`` as
given), every link ``src.fk -> dst.key`` gives two edge types (``fk`` from the
referencing row to the referenced row, ``rev_fk`` back), and each node carries
the time of its row. Adjacency is stored per edge type as a :class:`CSR` whose
neighbor lists are sorted by neighbor time, so that a sampler finds the
neighbors visible at an anchor time with one binary search.

Time semantics (docs/pql.md, "Meaning"): a row is visible at anchor time ``t`` iff
its time is ``<= t``. Rows of static tables get :data:`STATIC_TIME` (the
smallest int64, always visible); rows whose time is NULL are kept but get
:data:`NEVER_TIME` (the largest int64, never visible) and are counted in
:attr:`TemporalGraph.warnings`.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from relgraph.db.schema import EdgeType, Link, Schema
from relgraph.errors import GraphError
from relgraph.graph.csr import CSR, NEVER_TIME, STATIC_TIME, build_csr, match_keys, time_rank
from relgraph.graph.timeutil import seconds_to_iso, to_epoch_seconds

__all__ = ["TemporalGraph", "STATIC_TIME", "NEVER_TIME", "edge_type_name"]

_MANIFEST = "manifest.json"
_FORMAT = "relgraph.temporal_graph"
_VERSION = 1


def edge_type_name(edge_type: EdgeType) -> str:
    """``("orders", "customer_id", "customers")`` -> ``"orders__customer_id__customers"``."""
    return "__".join(edge_type)


class TemporalGraph:
    """Nodes, time-sorted adjacency and node times of a relational database.

    Build one with :meth:`from_tables` (Arrow tables and a schema),
    :meth:`from_database` (a connected :class:`relgraph.db.Database`) or
    :meth:`load` (a directory written by :meth:`save`).

    Attributes:
        node_time (dict[str, np.ndarray]): ``int64`` epoch seconds of every
            row per node type (:data:`STATIC_TIME` for static tables,
            :data:`NEVER_TIME` for NULL times).
        is_static (dict[str, bool]): Whether a node type has no time column.
        csr (dict[EdgeType, CSR]): Adjacency per edge type.
        dangling (dict[EdgeType, int]): Per link (keyed by its forward edge
            type): non-null foreign-key values that match no key.
        null_foreign_keys (dict[EdgeType, int]): Per link (forward edge
            type): NULL foreign-key values.
        null_times (dict[str, int]): Per node type: rows with a NULL time.
        warnings (list[str]): Human-readable notes on the above.
        schema_fingerprint (str | None): :meth:`Schema.fingerprint` of the
            schema the graph was built from.

    Example:
        >>> import pyarrow as pa
        >>> from relgraph.db.schema import Link, Schema, TableSchema
        >>> from relgraph.db.stype import Stype
        >>> schema = Schema(
        ...     tables={
        ...         "users": TableSchema("users", {"user_id": Stype.id}, {}, 2, "user_id"),
        ...         "posts": TableSchema(
        ...             "posts", {"post_id": Stype.id, "user_id": Stype.id, "at": Stype.timestamp},
        ...             {}, 3, "post_id", "at"),
        ...     },
        ...     links=[Link("posts", "user_id", "users", "user_id")],
        ... )
        >>> posts = pa.table({"post_id": [1, 2, 3], "user_id": [7, 7, 8],
        ...                   "at": pa.array([30, 10, 20], pa.timestamp("s"))})
        >>> g = TemporalGraph.from_tables(schema, {"users": pa.table({"user_id": [7, 8]}),
        ...                                        "posts": posts})
        >>> g.neighbors(("users", "rev_user_id", "posts"), 0)[0].tolist()  # by time
        [1, 0]
    """

    def __init__(
        self,
        *,
        node_time: dict[str, np.ndarray],
        is_static: dict[str, bool],
        csr: dict[EdgeType, CSR],
        dangling: dict[EdgeType, int] | None = None,
        null_foreign_keys: dict[EdgeType, int] | None = None,
        null_times: dict[str, int] | None = None,
        warnings: list[str] | None = None,
        schema_fingerprint: str | None = None,
    ) -> None:
        self.node_time = node_time
        self.is_static = is_static
        self.csr = csr
        self.dangling = dict(dangling or {})
        self.null_foreign_keys = dict(null_foreign_keys or {})
        self.null_times = dict(null_times or {})
        self.warnings = list(warnings or [])
        self.schema_fingerprint = schema_fingerprint

    # ------------------------------------------------------------------ build

    @classmethod
    def from_tables(cls, schema: Schema, tables: Mapping[str, Any]) -> TemporalGraph:
        """Build the graph of ``schema`` from one Arrow table per schema table.

        Only the key, foreign-key and time columns are read; other columns
        may be present or absent.

        Args:
            schema (Schema): Tables (time columns) and links.
            tables (Mapping[str, pa.Table]): One table per schema table
                (pandas DataFrames are converted). Node ``i`` of a type is
                row ``i`` of its table.

        Returns:
            TemporalGraph

        Raises:
            GraphError: If a schema table or a link/time column is missing, a
                time column is not a timestamp or date, or a referenced column
                is not unique.
        """
        missing = [name for name in schema.tables if name not in tables]
        if missing:
            raise GraphError(
                f"Schema table(s) {', '.join(map(repr, missing))} missing from `tables` "
                f"(got: {', '.join(map(repr, tables)) or 'none'}). Pass one Arrow table per "
                "schema table."
            )
        arrow = {name: _as_arrow(name, tables[name]) for name in schema.tables}
        warnings: list[str] = []

        node_time: dict[str, np.ndarray] = {}
        is_static: dict[str, bool] = {}
        null_times: dict[str, int] = {}
        for name, table_schema in schema.tables.items():
            table = arrow[name]
            time_column = table_schema.time_column
            is_static[name] = time_column is None
            if time_column is None:
                node_time[name] = np.full(table.num_rows, STATIC_TIME, dtype=np.int64)
                continue
            column = _column(table, name, time_column, "time column")
            seconds, is_null = to_epoch_seconds(column, name=f"{name}.{time_column}")
            nulls = int(np.count_nonzero(is_null))
            if nulls:
                seconds[is_null] = NEVER_TIME
                warnings.append(
                    f"{name}.{time_column}: {nulls} of {table.num_rows} rows have a NULL time; "
                    "they are kept as nodes but are never visible."
                )
            null_times[name] = nulls
            node_time[name] = seconds

        ranks: dict[str, np.ndarray] = {}

        def rank(node_type: str) -> np.ndarray:
            if node_type not in ranks:
                ranks[node_type] = (
                    np.arange(len(node_time[node_type]), dtype=np.int64)
                    if is_static[node_type]
                    else time_rank(node_time[node_type])
                )
            return ranks[node_type]

        csr: dict[EdgeType, CSR] = {}
        dangling: dict[EdgeType, int] = {}
        null_fks: dict[EdgeType, int] = {}
        for link in _unique_links(schema):
            for table in (link.src_table, link.dst_table):
                if table not in schema.tables:
                    raise GraphError(
                        f"Link {link} refers to table {table!r}, which is not in the schema "
                        f"(tables: {', '.join(schema.tables)})."
                    )
            for edge_type in (link.edge_type, link.reverse_edge_type):
                if edge_type in csr:
                    raise GraphError(
                        f"Link {link} gives edge type {edge_type}, which another link "
                        "already gives. Remove the duplicate link."
                    )
            fk = _column(arrow[link.src_table], link.src_table, link.src_column, f"link {link}")
            key = _column(arrow[link.dst_table], link.dst_table, link.dst_column, f"link {link}")
            positions = match_keys(key, fk, where=f"link {link}")
            rows = np.flatnonzero(positions >= 0)
            targets = positions[rows]
            nulls = fk.null_count
            unmatched = len(positions) - len(rows) - nulls
            dangling[link.edge_type] = unmatched
            null_fks[link.edge_type] = nulls
            if unmatched:
                warnings.append(
                    f"{link}: {unmatched} of {len(positions) - nulls} non-null values match "
                    "no key; those rows get no edge."
                )
            n_src, n_dst = len(node_time[link.src_table]), len(node_time[link.dst_table])
            # Forward: at most one edge per referencing row, already in row order.
            csr[link.edge_type] = build_csr(rows, targets, n_src, node_time[link.dst_table])
            csr[link.reverse_edge_type] = build_csr(
                targets,
                rows,
                n_dst,
                node_time[link.src_table],
                rank(link.src_table),
                reverse=True,
            )
            del positions, rows, targets

        return cls(
            node_time=node_time,
            is_static=is_static,
            csr=csr,
            dangling=dangling,
            null_foreign_keys=null_fks,
            null_times=null_times,
            warnings=warnings,
            schema_fingerprint=schema.fingerprint(),
        )

    @classmethod
    def from_database(cls, db: Any) -> TemporalGraph:
        """Build the graph of a connected database, reading only the key,
        foreign-key and time columns of each table.

        Args:
            db (relgraph.db.Database): Anything with ``schema`` and
                ``arrow(table, columns)``, e.g. the result of ``relgraph.connect``.
        """
        schema: Schema = db.schema
        tables = {name: db.arrow(name, columns) for name, columns in needed_columns(schema).items()}
        return cls.from_tables(schema, tables)

    # ------------------------------------------------------------------ access

    @property
    def node_types(self) -> list[str]:
        return list(self.node_time)

    @property
    def edge_types(self) -> list[EdgeType]:
        return list(self.csr)

    def num_nodes(self, node_type: str | None = None) -> int:
        """Nodes of one type, or of all types when ``node_type`` is ``None``."""
        if node_type is None:
            return sum(len(t) for t in self.node_time.values())
        return len(self.node_time[self._node_type(node_type)])

    def num_edges(self, edge_type: EdgeType | None = None) -> int:
        """Edges of one type, or of all types when ``edge_type`` is ``None``."""
        if edge_type is None:
            return sum(c.num_edges for c in self.csr.values())
        return self.csr[self._edge_type(edge_type)].num_edges

    def neighbors(self, edge_type: EdgeType, node: int) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, times)`` of the neighbors of ``node`` along ``edge_type``,
        sorted by time (then index). For tests and debugging; samplers should
        slice :attr:`csr` directly."""
        csr = self.csr[self._edge_type(edge_type)]
        if not 0 <= int(node) < csr.num_src:
            raise GraphError(
                f"Expected a node position in [0, {csr.num_src}) of type {edge_type[0]!r} "
                f"(got {node})."
            )
        return csr.neighbors(int(node))

    def summary(self) -> dict[str, Any]:
        """Node and edge counts, time ranges and warnings, as plain JSON data."""
        node_types = {}
        for name, times in self.node_time.items():
            time_min = time_max = None
            if not self.is_static[name]:
                known = times[times != NEVER_TIME]
                if len(known):
                    time_min = seconds_to_iso(known.min())
                    time_max = seconds_to_iso(known.max())
            node_types[name] = {
                "nodes": len(times),
                "static": self.is_static[name],
                "time_min": time_min,
                "time_max": time_max,
            }
        return {
            "node_types": node_types,
            "edge_types": {edge_type_name(et): c.num_edges for et, c in self.csr.items()},
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        return (
            f"TemporalGraph(node_types={len(self.node_time)}, nodes={self.num_nodes()}, "
            f"edge_types={len(self.csr)}, edges={self.num_edges()})"
        )

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the graph to directory ``path`` (created if needed): one
        ``.npy`` file per array and a JSON manifest, written last.

        Returns:
            The directory.
        """
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        node_entries = []
        for i, (name, times) in enumerate(self.node_time.items()):
            file = f"node_time.{i}.npy"
            np.save(root / file, np.ascontiguousarray(times, dtype=np.int64))
            node_entries.append(
                {
                    "name": name,
                    "num_nodes": len(times),
                    "static": self.is_static[name],
                    "null_times": self.null_times.get(name, 0),
                    "time": file,
                }
            )
        edge_entries = []
        for j, (edge_type, csr) in enumerate(self.csr.items()):
            files = {}
            for field in ("indptr", "indices", "time"):
                files[field] = f"csr.{j}.{field}.npy"
                np.save(root / files[field], np.ascontiguousarray(getattr(csr, field), np.int64))
            edge_entries.append(
                {
                    "edge_type": list(edge_type),
                    "reverse": csr.reverse,
                    "num_src": csr.num_src,
                    "num_dst": csr.num_dst,
                    "num_edges": csr.num_edges,
                    "dangling": self.dangling.get(edge_type),
                    "null_foreign_keys": self.null_foreign_keys.get(edge_type),
                    "files": files,
                }
            )
        manifest = {
            "format": _FORMAT,
            "version": _VERSION,
            "schema_fingerprint": self.schema_fingerprint,
            "node_types": node_entries,
            "edge_types": edge_entries,
            "warnings": self.warnings,
        }
        tmp = root / (_MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2))
        os.replace(tmp, root / _MANIFEST)
        return root

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        mmap: bool = True,
        schema: Schema | None = None,
    ) -> TemporalGraph:
        """Open a graph written by :meth:`save`.

        Args:
            path: The directory.
            mmap (bool): Memory-map the arrays (read-only) instead of reading
                them, so that large graphs open instantly. (default: :obj:`True`)
            schema (Schema, optional): If given, the graph must have been built
                from a schema with the same fingerprint. (default: :obj:`None`)

        Raises:
            GraphError: If ``path`` holds no graph, or the schema does not fit.
        """
        root = Path(path)
        manifest_path = root / _MANIFEST
        if not manifest_path.is_file():
            raise GraphError(
                f"No temporal graph at {str(root)!r} ({_MANIFEST} not found). "
                "Write one with TemporalGraph.save(path)."
            )
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != _FORMAT or manifest.get("version") != _VERSION:
            raise GraphError(
                f"{str(manifest_path)!r} is not a relgraph temporal graph of version "
                f"{_VERSION} (got format={manifest.get('format')!r}, "
                f"version={manifest.get('version')!r}). Rebuild and save the graph."
            )
        fingerprint = manifest.get("schema_fingerprint")
        if schema is not None and schema.fingerprint() != fingerprint:
            raise GraphError(
                f"The graph at {str(root)!r} was built from another schema (fingerprint "
                f"{fingerprint}, expected {schema.fingerprint()}). Rebuild the graph."
            )
        mode = "r" if mmap else None

        def array(file: str, length: int) -> np.ndarray:
            values = np.load(root / file, mmap_mode=mode, allow_pickle=False)
            if values.dtype != np.int64 or values.shape != (length,):
                raise GraphError(
                    f"{str(root / file)!r} is corrupt: expected int64 of shape ({length},) "
                    f"(got {values.dtype} of shape {values.shape}). Rebuild the graph."
                )
            return values

        node_time, is_static, null_times = {}, {}, {}
        for entry in manifest["node_types"]:
            name = entry["name"]
            node_time[name] = array(entry["time"], entry["num_nodes"])
            is_static[name] = bool(entry["static"])
            null_times[name] = int(entry.get("null_times", 0))
        csr, dangling, null_fks = {}, {}, {}
        for entry in manifest["edge_types"]:
            edge_type = tuple(entry["edge_type"])
            files = entry["files"]
            csr[edge_type] = CSR(
                indptr=array(files["indptr"], entry["num_src"] + 1),
                indices=array(files["indices"], entry["num_edges"]),
                time=array(files["time"], entry["num_edges"]),
                num_dst=int(entry["num_dst"]),
                reverse=bool(entry["reverse"]),
            )
            if entry.get("dangling") is not None:
                dangling[edge_type] = int(entry["dangling"])
            if entry.get("null_foreign_keys") is not None:
                null_fks[edge_type] = int(entry["null_foreign_keys"])
        return cls(
            node_time=node_time,
            is_static=is_static,
            csr=csr,
            dangling=dangling,
            null_foreign_keys=null_fks,
            null_times=null_times,
            warnings=list(manifest.get("warnings", [])),
            schema_fingerprint=fingerprint,
        )

    # ------------------------------------------------------------------ helpers

    def _node_type(self, node_type: str) -> str:
        if node_type not in self.node_time:
            raise GraphError(_unknown("node type", node_type, self.node_time))
        return node_type

    def _edge_type(self, edge_type: EdgeType) -> EdgeType:
        edge_type = tuple(edge_type)  # type: ignore[assignment]
        if edge_type not in self.csr:
            names = {edge_type_name(et): et for et in self.csr}
            raise GraphError(_unknown("edge type", edge_type_name(edge_type), names))
        return edge_type


def needed_columns(schema: Schema) -> dict[str, list[str] | None]:
    """The columns the graph reads from each table: time, foreign-key and
    referenced columns (the primary key, or the first column, when a table
    needs none, so that its row count is known; ``None``, meaning all
    columns, for a table whose schema lists no column)."""
    needed: dict[str, list[str]] = {name: [] for name in schema.tables}

    def add(table: str, column: str | None) -> None:
        if column is not None and table in needed and column not in needed[table]:
            needed[table].append(column)

    for name, table in schema.tables.items():
        add(name, table.time_column)
    for link in schema.links:
        add(link.src_table, link.src_column)
        add(link.dst_table, link.dst_column)
    for name, table in schema.tables.items():
        if not needed[name]:
            add(name, table.primary_key or next(iter(table.columns), None))
    return {name: columns or None for name, columns in needed.items()}


def _unique_links(schema: Schema) -> Iterable[Link]:
    seen: set[Link] = set()
    for link in schema.links:
        if link not in seen:
            seen.add(link)
            yield link


def _as_arrow(name: str, table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(table, pd.DataFrame):
        return pa.Table.from_pandas(table, preserve_index=False)
    raise GraphError(
        f"Expected a pyarrow.Table or pandas.DataFrame for table {name!r} "
        f"(got {type(table).__name__})."
    )


def _column(table: pa.Table, table_name: str, column: str, role: str) -> pa.ChunkedArray:
    if column not in table.column_names:
        raise GraphError(
            f"Column {table_name}.{column} ({role}) not found; table {table_name!r} has "
            f"columns: {', '.join(table.column_names) or 'none'}. Include it in the table "
            "passed to TemporalGraph.from_tables."
        )
    return table.column(column)


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"Unknown {kind} {name!r}.{hint} Known: {', '.join(known) or 'none'}."
