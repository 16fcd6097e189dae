"""The :class:`Database`: a source's tables in an embedded DuckDB working
store, with an inferred :class:`~relgraph.db.schema.Schema` and user overrides."""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from relgraph.db.code_stypes import apply_code_stypes
from relgraph.db.column_profile import (
    INTEGER_TYPES,
    TableProfile,
    add_column_profile,
    base_type,
    is_key_type,
    is_time_type,
    is_unique,
    profile_table,
)
from relgraph.db.composite_keys import (
    add_made_column,
    drop_made_columns,
    find_composite_key,
    find_composite_links,
    made_column_name,
)
from relgraph.db.dropping import drop_columns
from relgraph.db.inference import ROW_ID, choose_keys, infer_schema
from relgraph.db.inherited_time import ROW_TIME, drop_inherited_times, inherit_times
from relgraph.db.integer_times import add_integer_times, convert_epoch, integer_time_kind
from relgraph.db.link_inference import infer_links, link_stats
from relgraph.db.missing_values import missing_tokens, read_missing_values
from relgraph.db.overrides import Overrides, overrides_from_dict, read_overrides
from relgraph.db.schema import (
    Link,
    LinkInfo,
    Schema,
    format_key_ref,
    parse_column_ref,
    parse_key_ref,
)
from relgraph.db.sources.base import Declared, file_url_path, quote_ident
from relgraph.db.stype import Stype
from relgraph.db.text_numbers import convert_text_numbers
from relgraph.db.time_contradictions import contradicted_times
from relgraph.db.timestamps import convert_text_times, normalize_times
from relgraph.db.validation import check_primary_key, data_warnings
from relgraph.errors import SchemaError, SourceError

Source = str | Path | Mapping[str, Any]

#: What a schema change may alter, restored if it fails.
_STATE = (
    "_overrides",
    "_dropped",
    "_load_warnings",
    "_generated_keys",
    "_inherited_times",
    "_made_columns",
    "_integer_times",
    "_missing_read",
    "_declared",
    "_schema",
)


def _all_or_nothing(method: Callable[..., Database]) -> Callable[..., Database]:
    """A schema change happens whole or not at all: on any error the working
    store (dropped columns, converted times, row numbers, inherited times) is
    rolled back with the database's own state, so it stays usable as it was."""

    @functools.wraps(method)
    def wrapper(self: Database, *args: Any, **kwargs: Any) -> Database:
        if self._hidden:
            raise SchemaError(
                "Change the schema on the database itself (task.source_db), not on a "
                "task's view of it."
            )
        if self._changing:  # a change inside a change: the outer one decides
            return method(self, *args, **kwargs)
        with self._transaction():
            return method(self, *args, **kwargs)

    return wrapper


class Database:
    """A relational database read into relgraph.

    Use :func:`relgraph.connect` to make one. Tables live in an embedded DuckDB
    working store (``db.con``); the source itself is never modified.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> db = rg.connect({
        ...     "customers": pd.DataFrame({"customer_id": [1, 2]}),
        ...     "orders": pd.DataFrame({"order_id": [10, 11], "customer_id": [1, 1],
        ...                            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02"])}),
        ... })
        >>> [str(link) for link in db.schema.links]
        ['orders.customer_id -> customers.customer_id']
        >>> db.schema.tables["orders"].time_column
        'ordered_at'
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        declared: Declared,
        overrides: Overrides | None = None,
        dedupe: bool = False,
        drop: Iterable[str] = (),
        missing: Iterable[str] = (),
    ) -> None:
        self.con = con
        self.source = declared.description
        self._declared = declared
        self._overrides = overrides or Overrides()
        self._dedupe = dedupe
        self._load_warnings: list[str] = []
        self._generated_keys: set[str] = set()
        self._dropped: list[str] = drop_columns(con, declared, drop)
        self._inherited_times: set[str] = set()
        #: Columns made from composite keys' and links' parts, per table.
        self._made_columns: dict[str, set[str]] = {}
        self._integer_times: set[str] = set()  # tables timed by a year column
        self._changing = False
        #: ``(table, column)`` pairs this view hides from model inputs.
        self._hidden: frozenset[tuple[str, str]] = frozenset()
        self._overrides.missing = missing_tokens([*self._overrides.missing, *missing])
        self._missing_read = set(self._overrides.missing)
        for table in declared.tables:  # before times: NA in a column of times is no time
            self._load_warnings += read_missing_values(con, table, self._overrides.missing)
            self._load_warnings += normalize_times(con, table, declared.time_columns.get(table))
        self._schema: Schema = self._resolve()

    # ------------------------------------------------------------ reading
    @property
    def schema(self) -> Schema:
        """The schema in force: declared keys, overrides, then inference."""
        return self._schema

    @property
    def table_names(self) -> list[str]:
        return list(self._schema.tables)

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A table (or some of its columns) as a pandas DataFrame."""
        return self.arrow(name, columns).to_pandas()

    def arrow(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """A table (or some of its columns) as an Arrow table, in stored row order.

        Only the schema's columns can be read: a column hidden by
        :meth:`without_columns` is not there."""
        t = self._schema.table(name)
        for c in columns or []:
            t.column(c)
        cols = ", ".join(map(quote_ident, columns or list(t.columns)))
        return self.con.sql(f"SELECT {cols} FROM {quote_ident(name)}").to_arrow_table()

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the working store and return a DataFrame."""
        return self.con.execute(query, params or []).df()

    # ------------------------------------------------------------ views
    def without_columns(self, columns: Iterable[tuple[str, str]]) -> Database:
        """A view for model inputs: the same working store, with ``(table,
        column)`` pairs and every link through them gone from the schema.

        A task hides its target's own columns this way, so no model reads the
        answer, on any path (the entity's row, a parent, or the same row reached
        again through other tables). The store is shared: SQL on ``con`` still
        sees every column (labels are computed from it); everything that reads
        through the schema does not.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2], "plan": ["a", "b"]})})
            >>> list(db.without_columns([("users", "plan")]).table("users").columns)
            ['user_id']
            >>> list(db.table("users").columns)
            ['user_id', 'plan']
        """
        view = copy.copy(self)  # shares all state: a view takes no schema change
        view._hidden = self._hidden | frozenset(columns)
        view._schema = self._schema.without_columns(view._hidden)
        return view

    @property
    def hidden_columns(self) -> list[str]:
        """``table.column`` refs hidden from model inputs in this view (see
        :meth:`without_columns`)."""
        return sorted(f"{t}.{c}" for t, c in self._hidden)

    # ------------------------------------------------------------ overrides
    @_all_or_nothing
    def drop(self, *columns: str) -> Database:
        """Drop ``"table.column"`` columns: no key, link, query or model sees
        them again (relgraph's working copy loses them; the source is untouched).
        Overrides naming them are forgotten. Returns ``self``.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1], "churned": [True]})})
            >>> list(db.drop("users.churned").schema.tables["users"].columns)
            ['user_id']
        """
        self._check_droppable(columns)
        dropped = drop_columns(self.con, self._declared, columns)
        refs = {parse_column_ref(c) for c in dropped}
        self._overrides.forget_columns(refs)
        self._dropped = sorted({*self._dropped, *dropped})
        self._schema = self._resolve()
        return self

    def _check_droppable(self, columns: Iterable[str]) -> None:
        for ref in columns:
            table, column = parse_column_ref(ref, "column to drop")
            if table in self._schema.tables and column == ROW_ID:
                raise SchemaError(f"{ref} is relgraph's row number; it cannot be dropped.")
            if table in self._inherited_times and column == ROW_TIME:
                raise SchemaError(
                    f"{ref} is the time {table} inherits from the rows it references; to see "
                    f"every row at every anchor, declare {table} static instead "
                    f"(db.set_time_column({table!r}, None))."
                )
            if table in self._integer_times and column == ROW_TIME:
                origin = self._schema.tables[table].time_origin
                raise SchemaError(
                    f"{ref} is {table}'s time, read from {origin}; to see every row at every "
                    f"anchor, declare {table} static instead (db.set_time_column({table!r}, "
                    f'None); schema TOML: [tables.{table}] time_column = "").'
                )

    @_all_or_nothing
    def set_primary_key(self, table: str, column: str | Sequence[str]) -> Database:
        """Use ``column`` (or several columns together) as the primary key of
        ``table``. Returns ``self``.

        Example:
            >>> import pandas as pd, relgraph as rg
            >>> db = rg.connect({"t": pd.DataFrame({"a": [1, 1], "b": ["x", "y"], "v": [3, 3]})})
            >>> db.set_primary_key("t", ["a", "b"]).schema.tables["t"].key_parts
            ('a', 'b')
        """
        columns = (column,) if isinstance(column, str) else tuple(column)
        if not columns:
            raise SchemaError(f"Name the key column(s) of {table!r}.")
        for c in columns:
            self._check_column(table, c)
            dtype = self._dtype(table, c)
            if not (is_key_type(dtype) or (len(columns) > 1 and is_time_type(dtype))):
                raise SchemaError(
                    f"{table}.{c} has type {dtype}; a key column must be an integer or text"
                    + (" (or a time, in a key of several columns)." if len(columns) > 1 else ".")
                )
        return self._apply(lambda o: o.set_key(table, columns))

    @_all_or_nothing
    def set_time_column(self, table: str, column: str | None) -> Database:
        """Use ``column`` as the time of ``table``'s rows; ``None`` makes it static."""
        if column is not None:
            self._check_column(table, column)
            self._refuse_inherited_time(table, column)
            self._make_time_column(table, column)
        else:
            self._schema.table(table)
        return self._apply(lambda o: o.time_columns.__setitem__(table, column))

    @_all_or_nothing
    def link(self, source: str, target: str) -> Database:
        """Add a link: ``db.link("orders.customer_id", "customers.customer_id")``;
        of several columns: ``db.link("Batting.(yearID, teamID)",
        "Teams.(yearID, teamID)")`` (the target must be the table's key)."""
        src_table, src_cols = parse_key_ref(source, "link source")
        dst_table, dst_cols = parse_key_ref(target, "link target")
        for c in src_cols:
            self._check_column(src_table, c)
        for c in dst_cols:
            self._check_column(dst_table, c)
        if len(src_cols) != len(dst_cols):
            raise SchemaError(
                f"Link {source} -> {target} names {len(src_cols)} column(s) on one side and "
                f"{len(dst_cols)} on the other."
            )
        if len(src_cols) > 1:
            if self._schema.tables[dst_table].key_columns != dst_cols:
                raise SchemaError(
                    f"Cannot link to {target}: ({', '.join(dst_cols)}) is not the key of "
                    f"{dst_table!r}; set it first with db.set_primary_key({dst_table!r}, "
                    f"{list(dst_cols)!r})."
                )
            entry = (src_table, src_cols, dst_table, dst_cols)
            return self._apply(lambda o: o.add_composite_link(entry))
        src_col, dst_col = src_cols[0], dst_cols[0]
        if dst_col != self._schema.tables[dst_table].primary_key:
            unique = is_unique(self.con, dst_table, dst_col)[0]
            if not unique:
                raise SchemaError(
                    f"Cannot link to {target}: it is not the primary key of {dst_table!r} and "
                    "its values are not unique."
                )
        link = Link(src_table, src_col, dst_table, dst_col)
        return self._apply(lambda o: o.add_link(link))

    @_all_or_nothing
    def unlink(self, source: str) -> Database:
        """Remove the link from ``"table.column"`` or ``"table.(a, b)"``
        (declared or inferred)."""
        table, columns = parse_key_ref(source, "link source")
        for link in self._schema.links:
            if link.src_table == table and columns in (
                (link.src_column,),
                self._schema.link_parts(link)[0],
            ):
                column, parts = link.src_column, self._schema.link_parts(link)[0]
                return self._apply(
                    lambda o, c=column, p=parts: o.remove_link(table, c, p)  # type: ignore[misc]
                )
        for c in columns:
            self._check_column(table, c)
        known = ", ".join(x.source for x in self._schema.links) or "none"
        raise SchemaError(f"There is no link from {source}; links: {known}.")

    @_all_or_nothing
    def set_stype(self, table: str, column: str, stype: str | Stype) -> Database:
        """Override the semantic type of a column. A text column made
        ``numerical`` or ``timestamp`` is converted in the working store (values
        that do not parse become NULL, counted in a warning); one whose values
        mostly do not parse is refused."""
        self._check_column(table, column)
        parsed = Stype.parse(stype)
        self._convert_for_stype(table, column, parsed)
        return self._apply(lambda o: o.stypes.__setitem__((table, column), parsed))

    def _convert_for_stype(self, table: str, column: str, stype: Stype) -> None:
        dtype = self._dtype(table, column)
        if base_type(dtype) != "VARCHAR":
            return
        if stype is Stype.timestamp:
            self._load_warnings += convert_text_times(self.con, table, [column])
        elif stype is Stype.numerical:
            self._load_warnings += convert_text_numbers(self.con, table, column)

    @_all_or_nothing
    def apply_schema(self, schema: str | Path | Mapping[str, Any]) -> Database:
        """Apply overrides from a TOML file (or the same structure as a dict)."""
        new = (
            read_overrides(schema)
            if isinstance(schema, str | Path)
            else overrides_from_dict(dict(schema))
        )
        # Columns the file drops (and that are not gone already) go first; the
        # file may still list their stypes, as --write-schema wrote them.
        to_drop = [c for c in new.dropped if c not in self._dropped]
        gone = {parse_column_ref(c) for c in [*new.dropped, *self._dropped]}
        new.stypes = {k: v for k, v in new.stypes.items() if k not in gone}
        new.check_not_dropped(gone)
        if to_drop:
            self.drop(*to_drop)
        for table, key in new.primary_keys.items():
            self._check_column(table, key)
        for table, parts in new.composite_keys.items():
            for c in parts:
                self._check_column(table, c)
        for src, src_parts, dst, dst_parts in new.composite_links:
            for table, cols in ((src, src_parts), (dst, dst_parts)):
                for c in cols:
                    self._check_column(table, c)
        for table, col in new.time_columns.items():
            self._check_column(table, col) if col else self._schema.table(table)
            if col:
                self._refuse_inherited_time(table, col)
        for table, col in new.time_columns.items():
            if col:
                self._make_time_column(table, col)
        for (table, col), stype in new.stypes.items():
            self._check_column(table, col)
            self._convert_for_stype(table, col, stype)
        for link in new.added_links:
            self._check_column(link.src_table, link.src_column)
            self._check_column(link.dst_table, link.dst_column)

        def merge(o: Overrides) -> None:
            for table, key in new.primary_keys.items():
                o.set_key(table, key)
            for table, parts in new.composite_keys.items():
                o.set_key(table, parts)
            o.time_columns.update(new.time_columns)
            o.stypes.update(new.stypes)
            o.missing = missing_tokens([*o.missing, *new.missing])
            if new.links_are_complete:
                o.links_are_complete = True
                o.added_links = list(new.added_links)
                o.composite_links = list(new.composite_links)
                o.removed_links = set()
                o.removed_composite_links = set()
            else:
                for link in new.added_links:
                    o.add_link(link)
                for entry in new.composite_links:
                    o.add_composite_link(entry)
            for table, col in new.removed_links:
                o.remove_link(table, col)
            for table, parts in new.removed_composite_links:
                o.remove_link(table, "", parts)

        return self._apply(merge)

    # ------------------------------------------------------------ internals
    def _apply(self, change: Callable[[Overrides], None]) -> Database:
        """Apply an override and infer the schema again (inside a change, so an
        error rolls everything back)."""
        change(self._overrides)
        self._schema = self._resolve()
        return self

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        saved = {name: copy.deepcopy(getattr(self, name)) for name in _STATE}
        self._changing = True
        self.con.begin()
        try:
            yield
            self.con.commit()
        except BaseException:
            self.con.rollback()
            for name, value in saved.items():
                setattr(self, name, value)
            raise
        finally:
            self._changing = False

    def _refuse_inherited_time(self, table: str, column: str) -> None:
        if column == ROW_TIME and table in self._inherited_times:
            raise SchemaError(
                f"{table}.{ROW_TIME} is already {table}'s time, inherited from the rows it "
                f"references ({self._schema.tables[table].time_origin}); leave time_column "
                "unset for it."
            )

    def _make_time_column(self, table: str, column: str) -> None:
        """Check that ``column`` can be ``table``'s time column; text is
        converted to times (values that do not parse become NULL, warned)."""
        dtype = self._dtype(table, column)
        if is_time_type(dtype):
            return
        if base_type(dtype) in INTEGER_TYPES:  # years, YYYYMMDD, epoch (db.integer_times)
            kind = integer_time_kind(self.con, table, column)
            if kind in ("s", "ms"):
                convert_epoch(self.con, table, column, kind)
            if kind is not None:
                return
        if base_type(dtype) != "VARCHAR":
            raise SchemaError(
                f"{table}.{column} has type {dtype}, not a date or timestamp; a time "
                "column must hold dates/times (text is converted: values that do not parse "
                "as times become NULL; integers must all be years 1000..2999, YYYYMMDD "
                "dates, or epoch seconds or milliseconds)."
            )
        self._load_warnings += convert_text_times(self.con, table, [column])

    def _check_column(self, table: str, column: str) -> None:
        self._schema.table(table).column(column)

    def _dtype(self, table: str, column: str) -> str:
        return self._schema.tables[table].dtypes[column]

    def _resolve(self) -> Schema:
        names = list(self._declared.tables)
        pending = [t for t in self._overrides.missing if t not in self._missing_read]
        if pending:  # named in a schema applied later (TOML missing = [...])
            for table in names:
                self._load_warnings += read_missing_values(self.con, table, pending, ())
            self._missing_read |= set(pending)
        drop_inherited_times(self.con, self._inherited_times | self._integer_times)
        drop_made_columns(self.con, self._made_columns)
        self._made_columns = {}
        profiles = {t: profile_table(self.con, t) for t in names}
        keys = choose_keys(self.con, profiles, self._declared, self._overrides, self._dedupe)
        warnings: list[str] = []
        for table, key in keys.items():
            if key == ROW_ID and table in self._generated_keys:
                continue
            w = check_primary_key(self.con, table, key, self._dedupe)
            if w:
                warnings += w
                profiles[table] = profile_table(self.con, table)
        composite, references = self._composite_keys(profiles, keys)
        for table, (_, column) in composite.items():
            keys[table] = column
            if table in self._overrides.composite_keys or table in self._declared.composite_keys:
                w = check_primary_key(self.con, table, column, self._dedupe)
                if w:  # rows were dropped: the whole profile changed
                    warnings += w
                    profiles[table] = profile_table(self.con, table)
                    continue
            add_column_profile(self.con, profiles[table], column)
        for table in names:
            if table not in keys:
                self._add_row_id(table)
                add_column_profile(self.con, profiles[table], ROW_ID)
            if table in self._generated_keys and table not in self._overrides.primary_keys:
                keys.setdefault(table, ROW_ID)
        schema = infer_schema(
            self.con,
            profiles,
            self._declared,
            self._overrides,
            keys,
            {t for t in self._generated_keys if keys.get(t) == ROW_ID},
            composite_keys={t: parts for t, (parts, _) in composite.items()},
            composite_links=self._composite_links(profiles, composite, references),
        )
        warnings += apply_code_stypes(self.con, schema, set(self._overrides.stypes))
        fixed = set(self._declared.time_columns) | set(self._overrides.time_columns)
        schema, notes = self._add_made_times(schema, fixed)
        warnings += notes
        schema.warnings += self._load_warnings + warnings + data_warnings(self.con, schema)
        schema.dropped = list(self._dropped)
        schema.missing = list(self._overrides.missing)
        return schema

    def _add_made_times(self, schema: Schema, fixed: set[str]) -> tuple[Schema, list[str]]:
        """Times from year columns and inherited from parents; then, while the
        rows referencing a table contradict the time it inherited, that table
        is made static and the made times are redone (a child may have
        inherited from it)."""
        inferred = copy.deepcopy(schema)
        static: dict[str, str] = {}
        while True:
            kept = fixed | set(static)
            self._integer_times, notes = add_integer_times(self.con, schema, kept)
            self._inherited_times, more = inherit_times(self.con, schema, kept)
            contradicted = contradicted_times(self.con, schema, self._inherited_times)
            if not contradicted:
                return schema, notes + more + list(static.values())
            static.update(contradicted)
            drop_inherited_times(self.con, self._inherited_times | self._integer_times)
            schema = copy.deepcopy(inferred)

    def _composite_keys(
        self, profiles: dict[str, TableProfile], keys: dict[str, str]
    ) -> tuple[dict[str, tuple[tuple[str, ...], str]], set[tuple[str, str]]]:
        """Composite keys (override, declared, or found for a table with no
        single key), each made into a column of its table; and the columns of
        tables without a single key that reference another table."""
        out = {}
        # Columns that reference another table's key rank first as parts
        # (weather.origin -> airports.faa in weather's (origin, time_hour)).
        keyless = {t for t in profiles if t not in keys}
        targets = {t: k for t, k in keys.items() if t not in self._generated_keys}
        references = (
            infer_links(self.con, profiles, targets, set(), sources=keyless) if keyless else {}
        )
        for table, profile in profiles.items():
            parts = self._overrides.composite_keys.get(table)
            if parts is None and table not in self._overrides.primary_keys:
                parts = self._declared.composite_keys.get(table)
            if parts is None and table not in keys and table not in self._overrides.primary_keys:
                refs = {x.src_column for x in references if x.src_table == table}
                parts = find_composite_key(self.con, profile, refs)
            if not parts:
                continue
            column = made_column_name(parts, set(profile.columns))
            dtypes = {c.name: c.dtype for c in profile.columns.values()}
            add_made_column(self.con, table, column, parts, dtypes)
            self._made_columns.setdefault(table, set()).add(column)
            out[table] = (parts, column)
        return out, {(x.src_table, x.src_column) for x in references}

    def _composite_links(
        self,
        profiles: dict[str, TableProfile],
        composite: dict[str, tuple[tuple[str, ...], str]],
        references: set[tuple[str, str]],
    ) -> dict[Link, LinkInfo]:
        """Links of several columns (override, declared, inferred), each with
        its source parts made into a column of the source table."""
        wanted: list[tuple[str, tuple[str, ...], str, tuple[str, ...], str]] = [
            (*x, "override") for x in self._overrides.composite_links
        ]
        if not self._overrides.links_are_complete:
            wanted += [
                (*x, "declared")
                for x in self._declared.composite_foreign_keys
                if (x[0], tuple(x[1])) not in self._overrides.removed_composite_links
            ]
        found: dict[Link, LinkInfo] = {}
        for src, src_parts, dst, dst_parts, origin in wanted:
            if composite.get(dst, ((), ""))[0] != tuple(dst_parts):
                raise SchemaError(
                    f"Link {format_key_ref(src, src_parts)} -> {format_key_ref(dst, dst_parts)} "
                    f"must reach the key of {dst!r}; declare ({', '.join(dst_parts)}) its key "
                    f"(schema TOML: [tables.{dst}] primary_key = {list(dst_parts)!r})."
                )
            link = Link(
                src, made_column_name(src_parts, set(profiles[src].columns)), dst, composite[dst][1]
            )
            info = LinkInfo(origin, src_parts=tuple(src_parts), dst_parts=tuple(dst_parts))
            found[link] = info
        if not self._overrides.links_are_complete:
            taken = {(x.src_table, found[x].src_parts) for x in found}
            removed = self._overrides.removed_composite_links
            for link, info in find_composite_links(self.con, profiles, composite, references):
                key = (link.src_table, info.src_parts)
                named = (link.src_table, link.src_column) in self._overrides.removed_links
                if key not in taken and key not in removed and not named:
                    found[link] = info
        for link, info in found.items():
            profile = profiles[link.src_table]
            dtypes = {c.name: c.dtype for c in profile.columns.values()}
            add_made_column(self.con, link.src_table, link.src_column, info.src_parts, dtypes)
            self._made_columns.setdefault(link.src_table, set()).add(link.src_column)
            stats = link_stats(self.con, link)
            info.non_null, info.dangling = stats.non_null, stats.dangling
            add_column_profile(self.con, profiles[link.src_table], link.src_column)
        return found

    def _add_row_id(self, table: str) -> None:
        q = quote_ident(table)
        columns = [r[0] for r in self.con.execute(f"DESCRIBE {q}").fetchall()]
        if ROW_ID in columns:
            raise SchemaError(
                f"Table {table!r} has no usable primary key and already has a column "
                f"{ROW_ID!r}; set a key with db.set_primary_key({table!r}, ...)."
            )
        self.con.execute(f"ALTER TABLE {q} ADD COLUMN {ROW_ID} BIGINT")
        self.con.execute(f"UPDATE {q} SET {ROW_ID} = rowid")
        self._generated_keys.add(table)

    def __repr__(self) -> str:
        rows = sum(t.num_rows for t in self._schema.tables.values())
        return (
            f"Database({self.source!r}, tables={len(self._schema.tables)}, rows={rows}, "
            f"links={len(self._schema.links)})"
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- connect
_SQLITE_MAGIC = b"SQLite format 3\x00"


def connect(
    source: Source,
    *,
    schema: str | Path | Mapping[str, Any] | None = None,
    dedupe: bool = False,
    store: str | Path | None = None,
    pg_schema: str | None = None,
    drop: Iterable[str] = (),
    missing: Iterable[str] = (),
) -> Database:
    """Read a database and infer its schema.

    Args:
        source: a DuckDB or SQLite file (a path, or a URL as SQLAlchemy writes
            it: ``sqlite:///relative/path``, ``duckdb:////absolute/path``), a
            folder of CSV/Parquet files (one table per file), a RelBench-format
            folder (``db/*.parquet``), a PostgreSQL URL
            (``postgresql://user@host:port/db``, ``?schema=name`` optional), a
            single CSV/Parquet file, or a dict of pandas DataFrames.
        schema: overrides (a TOML file or the same structure as a dict).
        dedupe: keep the first row per duplicate primary key instead of failing.
        store: a DuckDB file for the working store (default: in memory).
        pg_schema: the PostgreSQL schema to read (default ``public``).
        drop: ``"table.column"`` columns no key, link, query or model may use
            (removed from relgraph's copy before inference; see
            :mod:`relgraph.db.dropping`).
        missing: text values that mean "missing" in every text column, e.g.
            ``["-", "?"]`` (read as NULL). ``NA``, ``NULL``, ``\\N`` and the like
            are already NULL in columns that otherwise hold numbers or times
            (see :mod:`relgraph.db.missing_values`).

    Returns:
        A :class:`Database`.

    Raises:
        SourceError: the source cannot be opened or read.
        SchemaError: an override names an unknown table or column.
        DataValidationError: duplicate primary keys without ``dedupe=True``.

    Example:
        >>> import pandas as pd, relgraph as rg
        >>> db = rg.connect({"users": pd.DataFrame({"user_id": [1, 2], "age": [30, 40]})})
        >>> db.schema.tables["users"].columns["age"].value
        'numerical'
    """
    if store is not None and Path(store).exists():
        raise SourceError(f"Working store {str(store)!r} exists; give a new path.")
    con = duckdb.connect(str(store) if store is not None else ":memory:")
    # DuckDB draws a progress bar on stdout for long queries, which would mix
    # with results (--json, tables); relgraph shows its own progress on stderr.
    con.execute("SET enable_progress_bar = false")
    try:
        declared = _load(source, con, pg_schema)
        if not declared.tables:
            raise SourceError(f"No tables found in {declared.description or source!r}.")
        db = Database(con, declared, dedupe=dedupe, drop=drop, missing=missing)
        if schema is not None:
            db.apply_schema(schema)
        return db
    except BaseException:
        con.close()
        raise


def _load(source: Source, con: duckdb.DuckDBPyConnection, pg_schema: str | None) -> Declared:
    from relgraph.db.sources.duckdb_file import load_duckdb
    from relgraph.db.sources.files import load_file, load_folder
    from relgraph.db.sources.pandas_frames import load_frames
    from relgraph.db.sources.relbench import is_relbench_folder, load_relbench
    from relgraph.db.sources.sqlite import load_sqlite

    if isinstance(source, Mapping):
        return load_frames(source, con)
    if not isinstance(source, str | Path):
        raise SourceError(
            f"Cannot read a {type(source).__name__}; pass a path, a URL or a dict of DataFrames."
        )
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        from relgraph.db.sources.postgres import load_postgres

        return load_postgres(text, con, schema=pg_schema)
    url_path = file_url_path(text)
    if url_path is not None:
        loader = load_sqlite if text.lower().startswith("sqlite") else load_duckdb
        return loader(url_path, con)
    if "://" in text:
        raise SourceError(
            f"Unsupported URL {text.split('://')[0]!r}://; use postgresql://, duckdb:///, "
            "sqlite:///, a path or a dict of DataFrames."
        )
    path = Path(text).expanduser()
    if path.is_dir():
        return load_relbench(path, con) if is_relbench_folder(path) else load_folder(path, con)
    if not path.exists():
        raise SourceError(f"No such file or folder: {text!r}.")
    lower = path.name.lower()
    if lower.endswith((".csv", ".tsv", ".csv.gz", ".parquet", ".pq")):
        fmt = "parquet" if lower.endswith((".parquet", ".pq")) else "csv"
        name = path.name.split(".")[0]
        notes = load_file(con, name, path, fmt)
        return Declared(tables=[name], description=f"file {path}", warnings=notes)
    try:
        head = path.read_bytes()[:16] if path.stat().st_size < 16 else path.open("rb").read(16)
    except OSError as exc:
        raise SourceError(f"Cannot read {text!r}: {exc.strerror}.") from None
    if head.startswith(_SQLITE_MAGIC):
        return load_sqlite(path, con)
    if head[8:12] == b"DUCK":
        return load_duckdb(path, con)
    raise SourceError(
        f"{text!r} is neither a DuckDB nor a SQLite database, nor a CSV/Parquet file or folder."
    )
