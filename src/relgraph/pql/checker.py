"""Checking a parsed query against a database schema.

:func:`check` resolves every name, finds the join path of every aggregation
and related column, checks windows (targets and ``ASSUMING`` look forward,
``WHERE`` looks back), types (aggregations over the right columns, literals
that fit their column) and the clauses that go together (``RANK TOP`` with
``LIST_DISTINCT``), and derives the task type, metrics and default horizon.
Every error shows the query with a caret under the offending text.

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> q = rg.pql.parse("PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id")
    >>> checked = check(q, db.schema)
    >>> checked.task_type.value, str(checked.horizon)
    ('regression', '30 days')
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from relgraph.db.column_profile import NUMERIC_TYPES
from relgraph.db.link_inference import rejected_link_note
from relgraph.db.paths import JoinPath
from relgraph.db.schema import Link, Schema
from relgraph.db.stype import Stype
from relgraph.errors import PQLSemanticError
from relgraph.pql import ast
from relgraph.pql.duration import Duration
from relgraph.pql.parser import MAX_DEPTH
from relgraph.pql.paths import distinguishing_links, find_paths
from relgraph.pql.shorthand import expand_shorthand
from relgraph.pql.snippet import located
from relgraph.pql.task_type import TaskType

__all__ = [
    "MAX_FORECAST_STEPS",
    "MAX_RANKED_CATEGORIES",
    "MAX_WINDOW_YEARS",
    "CheckedQuery",
    "ResolvedAggregation",
    "ResolvedColumn",
    "ValueType",
    "check",
]

#: The farthest a window bound may lie from the anchor time. Anchor +- window
#: must stay a time that DuckDB's intervals (32-bit days and months) and
#: pandas' timestamps can hold; no real window is longer.
MAX_WINDOW_YEARS = 1000
#: The most windows ``FORECAST n TIMEFRAMES`` predicts (a year of days).
MAX_FORECAST_STEPS = 365
#: The largest ``k`` of ``PREDICT t.multicategorical RANK TOP k``: the models
#: rank a fixed set of that many categories, the most frequent in training
#: (``relgraph.models.core.targets.MAX_LABELS``, which models own).
MAX_RANKED_CATEGORIES = 100


def max_bound(unit: ast.TimeUnit) -> int:
    """The largest window bound in ``unit``: :data:`MAX_WINDOW_YEARS` years
    (of 12 months, or of 365.25 days)."""
    if unit is ast.TimeUnit.years:
        return MAX_WINDOW_YEARS
    if unit is ast.TimeUnit.months:
        return MAX_WINDOW_YEARS * 12
    return int(MAX_WINDOW_YEARS * 365.25 * 86400 // Duration(1, unit).seconds)


class ValueType(StrEnum):
    """What kind of values an expression gives (from the column's SQL type)."""

    numeric = "numeric"
    string = "string"
    boolean = "boolean"
    temporal = "temporal"
    list = "list"
    other = "other"


def dtype_value_type(dtype: str) -> ValueType:
    """The :class:`ValueType` of a DuckDB column type such as ``'BIGINT'``."""
    d = dtype.upper().strip()
    base = d.split("(")[0].strip()
    if base in NUMERIC_TYPES:
        return ValueType.numeric
    if base in ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "UUID", "ENUM") or d.startswith(
        "ENUM"
    ):
        return ValueType.string
    if base in ("BOOLEAN", "BOOL"):
        return ValueType.boolean
    if base.startswith(("TIMESTAMP", "DATE", "TIME")):
        return ValueType.temporal
    return ValueType.other


@dataclass(frozen=True)
class ResolvedAggregation:
    """An aggregation with its join path and the table whose time its window reads."""

    node: ast.Aggregation
    path: JoinPath
    #: The table whose time column the window applies to: the aggregated table
    #: when it has one, else the nearest timed table before it on the path;
    #: ``None`` when no table on the path has a time column.
    event_table: str | None
    value_type: ValueType
    #: For LIST_DISTINCT: the link of the listed foreign key.
    list_link: Link | None = None
    #: Tables its WHERE reads that are not on the path: each a parent of the
    #: aggregated table (many-to-one hops from it), with that path.
    filter_parents: tuple[tuple[str, JoinPath], ...] = ()


@dataclass(frozen=True)
class ResolvedColumn:
    """A column outside aggregations, with the path from the entity table."""

    node: ast.ColumnRef
    path: JoinPath
    value_type: ValueType
    stype: Stype


@dataclass
class CheckedQuery:
    """A query that fits the schema, with everything the compiler needs."""

    query: ast.Query
    schema: Schema
    entity_table: str
    entity_key: str
    entity_time: str | None
    task_type: TaskType
    metrics: list[str]
    target_type: ValueType
    aggregations: dict[ast.Aggregation, ResolvedAggregation] = field(default_factory=dict)
    columns: dict[ast.ColumnRef, ResolvedColumn] = field(default_factory=dict)
    #: For a target without aggregations: the path of the linked rows it reads
    #: (empty: the entity's own row). ``None`` for windowed targets.
    static_path: JoinPath | None = None
    #: The default horizon: the farthest window end of the target and ASSUMING.
    horizon: Duration | None = None
    k: int | None = None
    list_link: Link | None = None
    #: ``FORECAST n TIMEFRAMES``: ``n``, the number of windows (``None`` otherwise).
    steps: int | None = None
    #: True when the target is a multicategorical column (``PREDICT
    #: articles.tags RANK TOP k`` or ``CLASSIFY``): its label is the set of
    #: the row's categories (relgraph.pql.categories).
    categories: bool = False

    @property
    def is_static(self) -> bool:
        """True for a target without a time window (anchored at each entity's own time)."""
        return self.static_path is not None

    def describe(self) -> dict[str, Any]:
        """What the query means, as plain data (``relgraph check`` prints it)."""
        q = self.query
        entity = f"{self.entity_table}.{self.entity_key}"
        if q.entity.ids:
            who = f"{entity} in ({', '.join(v.to_pql() for v in q.entity.ids)})"
        elif self.entity_time:
            who = (
                f"each {entity} created by the anchor time ({self.entity_table}.{self.entity_time})"
            )
        else:
            who = f"each {entity} ({self.entity_table} is static: every row, at every anchor)"
        aggregations = []
        for resolved in self.aggregations.values():
            node = resolved.node
            w = node.window
            start = "-INF" if w.start is None else _offset(w.start, w.unit)
            end = _offset(w.end, w.unit)
            time = (
                self.schema.tables[resolved.event_table].time_column
                if resolved.event_table
                else None
            )
            aggregations.append(
                {
                    "aggregation": node.to_pql(),
                    "window": f"({start}, {end}]",
                    "time": f"{resolved.event_table}.{time}" if time else "static rows",
                    "path": str(resolved.path),
                }
            )
        if self.static_path is not None:
            anchor = (
                f"each entity's own time ({self.entity_table}.{self.entity_time})"
                if self.entity_time
                else "the split's end (static entity table)"
            )
            target = (
                f"{q.target.to_pql()} over the rows linked by {self.static_path}, known by the "
                f"split's end; anchored at {anchor}"
            )
        else:
            target = q.target.to_pql()
        return {
            "query": q.to_pql(),
            "task_type": self.task_type.value,
            "metrics": list(self.metrics),
            "entity": who,
            "target": target,
            "where": q.where.to_pql() if q.where is not None else None,
            "assuming": q.assuming.to_pql() if q.assuming is not None else None,
            "aggregations": aggregations,
            "horizon": str(self.horizon) if self.horizon else None,
            "k": self.k,
            **({"forecast": self.forecast_windows()} if self.steps else {}),
        }

    def forecast_windows(self) -> list[str]:
        """A forecast's windows, ``(t + start, t + end]`` each, first to last."""
        target = self.query.target
        assert self.steps is not None and isinstance(target, ast.Aggregation)
        w = target.window
        assert w.start is not None and w.length is not None
        return [
            f"({_offset(w.start + i * w.length, w.unit)}, {_offset(w.end + i * w.length, w.unit)}]"
            for i in range(self.steps)
        ]

    def value_type(self, expr: ast.Expr) -> ValueType:
        if isinstance(expr, ast.Aggregation):
            return self.aggregations[expr].value_type
        return column_value_type(self.schema, expr.table, expr.column)


def _offset(amount: int, unit: ast.TimeUnit) -> str:
    """``t``, ``t + 30 days``, ``t - 90 days``."""
    if amount == 0:
        return "t"
    return f"t {'+' if amount > 0 else '-'} {abs(amount)} {unit.value}"


def column_value_type(schema: Schema, table: str, column: str) -> ValueType:
    return dtype_value_type(schema.tables[table].dtypes.get(column, ""))


def check(query: ast.Query, schema: Schema, con: Any = None) -> CheckedQuery:
    """Check ``query`` against ``schema``.

    Args:
        query (ast.Query): a parsed query.
        schema (Schema): the database's schema.
        con (duckdb.DuckDBPyConnection, optional): when given, explicit entity
            ids (``FOR t.pk = v``) are looked up and unknown ids are errors.
            (default: ``None``)

    Returns:
        A :class:`CheckedQuery`.

    Raises:
        PQLSemanticError: with the query, a caret under the offending text,
            what is wrong and how to fix it.
    """
    # A query built in Python skips the parser's depth check; every step below
    # walks conditions recursively, so refuse over-deep ones first.
    if condition_depth(query) > MAX_DEPTH:
        raise PQLSemanticError(
            f"The query nests deeper than {MAX_DEPTH} levels of AND, OR and NOT (a chain "
            "a OR b OR c counts two).",
            query=query.text,
            hint="write a long chain of ORs of one column as IN (...), or split the query.",
        )
    return _Checker(query, schema, con).run()


def condition_depth(query: ast.Query) -> int:
    """How deep AND, OR and NOT nest in ``query`` (aggregation filters included),
    counted without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [
        (node, 0) for node in (query.target, query.where, query.assuming) if node is not None
    ]
    while stack:
        node, depth = stack.pop()
        children: tuple[object, ...] = ()
        if isinstance(node, ast.And | ast.Or):
            depth, children = depth + 1, (node.left, node.right)
        elif isinstance(node, ast.Not):
            depth, children = depth + 1, (node.operand,)
        elif isinstance(node, ast.Aggregation):
            children = (node.filter,) if node.filter is not None else ()
        elif isinstance(node, ast.PREDICATES):
            children = (node.expr,)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


# ---------------------------------------------------------------- the checker

_ROLE_NAMES = {"target": "the target", "assuming": "ASSUMING", "where": "WHERE"}


class _Checker:
    def __init__(self, query: ast.Query, schema: Schema, con: Any) -> None:
        self.q = query
        self.text = query.text or query.to_pql()
        self.schema = schema
        self.con = con
        self.aggregations: dict[ast.Aggregation, ResolvedAggregation] = {}
        self.columns: dict[ast.ColumnRef, ResolvedColumn] = {}
        self.filter_parents: dict[ast.Aggregation, dict[str, JoinPath]] = {}
        self.entity_table = ""

    # ------------------------------------------------------------ helpers
    def fail(self, message: str, loc: ast.Loc | None, hint: str = "") -> PQLSemanticError:
        has_loc = loc is not None and (loc.end > loc.start) and bool(self.q.text)
        start = loc.start if has_loc and loc else None
        end = loc.end if has_loc and loc else None
        return PQLSemanticError(
            located(message, self.text, start, end, hint),
            query=self.text,
            start=start,
            end=end,
            hint=hint,
        )

    def table(self, name: str, loc: ast.Loc) -> None:
        if name not in self.schema.tables:
            close = difflib.get_close_matches(name, list(self.schema.tables), n=3, cutoff=0.5)
            guess = f"did you mean {', '.join(close)}? " if close else ""
            raise self.fail(
                f"Unknown table {name!r}.",
                loc,
                f"{guess}Tables: {', '.join(self.schema.tables)}.",
            )

    def column(self, table: str, column: str, loc: ast.Loc) -> None:
        columns = self.schema.tables[table].columns
        if column not in columns:
            close = difflib.get_close_matches(column, list(columns), n=3, cutoff=0.5)
            guess = f"did you mean {', '.join(close)}? " if close else ""
            raise self.fail(
                f"Unknown column {column!r} in table {table!r}.",
                loc,
                f"{guess}Columns of {table}: {', '.join(columns)}.",
            )

    def ref(self, ref: ast.ColumnRef) -> None:
        self.table(ref.table, ref.table_loc)
        self.column(ref.table, ref.column, ref.column_loc)

    def dtype(self, table: str, column: str) -> str:
        return self.schema.tables[table].dtypes.get(column, "?")

    # ------------------------------------------------------------ main
    def run(self) -> CheckedQuery:
        self.q = self.resolve_key_parts(self.q)
        self.check_entity(self.q.entity)
        # labels, models and saved models see the query itself; EVALUATE only
        # says what to do with it (the CLI runs a backtest)
        self.q = dataclasses.replace(expand_shorthand(self.q, self.schema), evaluate=False)
        q = self.q
        target = q.target
        static = not any(isinstance(e, ast.Aggregation) for e in ast.expressions(target))
        static_path = None
        if static:
            static_path = self.check_static_target(target)
        elif isinstance(target, ast.Aggregation | ast.ColumnRef):
            self.check_expr(target, "target")
        else:
            self.check_condition(target, "target")
        if q.where is not None:
            self.check_condition(q.where, "where")
        if q.assuming is not None:
            self.check_condition(q.assuming, "assuming")
        task_type, k, list_link, target_type = self.task_type(static_path)
        table = self.schema.tables[self.entity_table]
        steps = int(q.forecast.n) if q.forecast is not None else None
        categories = static_path is not None and task_type in (
            TaskType.multilabel_ranking,
            TaskType.multilabel_classification,
        )
        return CheckedQuery(
            query=q,
            schema=self.schema,
            entity_table=self.entity_table,
            entity_key=q.entity.column.column,
            entity_time=table.time_column,
            task_type=task_type,
            metrics=task_type.metrics(k, steps=steps),
            target_type=target_type,
            aggregations=self.aggregations,
            columns=self.columns,
            static_path=static_path,
            horizon=None if static else self.horizon(),
            k=k,
            list_link=list_link,
            steps=steps,
            categories=categories,
        )

    # ------------------------------------------------------------ entity
    def resolve_key_parts(self, q: ast.Query) -> ast.Query:
        """``FOR EACH Teams.(yearID, teamID)``: the entity is the key relgraph
        made from those columns (in any order); refused unless they are the
        table's key."""
        spec = q.entity
        if not spec.parts:
            return q
        ref = spec.column
        self.table(ref.table, ref.table_loc)
        for part in spec.parts:
            self.column(ref.table, part, ref.column_loc)
        table = self.schema.tables[ref.table]
        if set(spec.parts) != set(table.key_columns) or len(spec.parts) != len(table.key_columns):
            key = f"({', '.join(table.key_columns)})" if table.key_columns else table.primary_key
            raise self.fail(
                f"({', '.join(spec.parts)}) is not the key of {ref.table} (its key is {key}).",
                ref.column_loc,
                f"write FOR EACH {ref.table}.({', '.join(table.key_columns)})"
                if table.key_columns
                else f"write FOR EACH {ast.ColumnRef(ref.table, table.primary_key or '').to_pql()}",
            )
        column = dataclasses.replace(ref, column=table.primary_key or ref.column)
        return dataclasses.replace(q, entity=dataclasses.replace(spec, column=column))

    def check_entity(self, spec: ast.EntitySpec) -> None:
        ref = spec.column
        self.ref(ref)
        table = self.schema.tables[ref.table]
        if ref.column != table.primary_key:
            hint = (
                f"write FOR EACH {ast.ColumnRef(ref.table, table.primary_key or '').to_pql()}; to "
                "predict per value of another column, aggregate from the table it identifies."
            )
            raise self.fail(
                f"{ref} is not the primary key of {ref.table} (its key is "
                f"{table.primary_key}); predictions are made for one row of the entity table each.",
                ref.column_loc,
                # Say why the key is made-up row numbers, and how to name the real one.
                self.generated_key_hint(ref) if table.generated_key else hint,
            )
        self.entity_table = ref.table
        vt = column_value_type(self.schema, ref.table, ref.column)
        for literal in spec.ids:
            self.literal_fits(ref, vt, literal)
        if spec.ids and self.con is not None:
            self.ids_exist(ref, spec.ids)

    def generated_key_hint(self, ref: ast.ColumnRef) -> str:
        """For a table whose rows relgraph numbers: why, and how to declare the
        column the user named as its key (not "write FOR EACH t._row_id")."""
        table = self.schema.tables[ref.table]
        if table.key_note:
            return table.key_note
        return (
            f"{ref.table} has no column or set of columns relgraph could find unique, so its "
            f"rows are numbered ({table.primary_key}). If {ref.column} identifies its rows, "
            f"declare it the key: db.set_primary_key({ref.table!r}, {ref.column!r})."
        )

    def ids_exist(self, ref: ast.ColumnRef, ids: tuple[ast.Literal, ...]) -> None:
        from sqlglot import exp

        column = exp.column(ref.column, quoted=True)
        query = (
            exp.select(column)
            .from_(exp.to_table(ref.table, quoted=True))
            .where(column.isin(*(exp.convert(v.value) for v in ids)))
            .distinct()
        )
        found = {row[0] for row in self.con.execute(query.sql("duckdb")).fetchall()}
        for literal in ids:
            if literal.value not in found:
                raise self.fail(
                    f"No row of {ref.table} has {ref.column} = {literal.to_pql()}.",
                    literal.loc,
                    "explicit ids must be keys of the entity table.",
                )

    # ------------------------------------------------------------ expressions
    def check_expr(self, expr: ast.Expr, role: str) -> ValueType:
        if isinstance(expr, ast.Aggregation):
            return self.check_aggregation(expr, role)
        return self.scalar_column(expr, role)

    def scalar_column(self, ref: ast.ColumnRef, role: str) -> ValueType:
        """A column outside aggregations: the entity's own, or of a table with one
        row per entity (reached by many-to-one links)."""
        self.ref(ref)
        path = self.unique_path(ref.table, (), ref.loc, example=None, column=ref)
        if not path.is_single_row:
            raise self.fail(
                f"{ref} is a column of {ref.table}, which has many rows per "
                f"{self.entity_table} row (path {path}); "
                f"{_ROLE_NAMES.get(role, role)} needs one value per entity.",
                ref.loc,
                f"aggregate it, e.g. COUNT({ast.quote_name(ref.table)}.* WHERE {ref.to_pql()} "
                "= ..., -INF, 0) > 0.",
            )
        vt = column_value_type(self.schema, ref.table, ref.column)
        self.columns[ref] = ResolvedColumn(
            ref, path, vt, self.schema.tables[ref.table].columns[ref.column]
        )
        return vt

    def unique_path(
        self,
        table: str,
        via: tuple[ast.ColumnRef, ...],
        loc: ast.Loc,
        example: ast.Aggregation | None,
        column: ast.ColumnRef | None = None,
    ) -> JoinPath:
        via_links = [self.via_link(v) for v in via]
        paths = find_paths(self.schema, self.entity_table, table, via_links)
        if not paths:
            if via:
                plain = find_paths(self.schema, self.entity_table, table)
                shown = "; ".join(str(p) for p in plain) or "none"
                raise self.fail(
                    f"No path from {self.entity_table} to {table} uses "
                    f"{', '.join(str(v) for v in via)}.",
                    ast.Loc(via[0].loc.start, via[-1].loc.end),
                    f"paths from {self.entity_table} to {table}: {shown}.",
                )
            links = [str(x) for x in self.schema.links_to(self.entity_table)] + [
                str(x) for x in self.schema.links_from(self.entity_table)
            ]
            rejected = [
                rejected_link_note(link, info)
                for link, info in self.schema.rejected_links.items()
                if {link.src_table, link.dst_table} & {self.entity_table, table}
            ]
            missing = (
                " ".join(rejected)
                if rejected
                else "If a link is missing, add it with db.link('table.column', 'other.key')."
            )
            raise self.fail(
                f"{table} cannot be reached from the entity table {self.entity_table} "
                "through links.",
                loc,
                f"links of {self.entity_table}: {', '.join(links) or 'none'}. {missing}",
            )
        if not via:
            self.no_detour(paths[0], loc)
        if len(paths) > 1:
            lines = []
            picks = distinguishing_links(paths)
            for path, pick in zip(paths, picks, strict=True):
                via_refs = tuple(ast.ColumnRef(x.src_table, x.src_column) for x in pick)
                if example is not None:
                    chosen = ast.Aggregation(
                        example.func,
                        example.table,
                        example.column,
                        example.window,
                        via=via_refs,
                        filter=example.filter,
                    ).to_pql()
                else:  # a plain column: the one row, through an aggregation with VIA
                    assert column is not None
                    chosen = ast.Aggregation(
                        ast.AggFunc.MAX,
                        column.table,
                        column.column,
                        ast.Window(None, 0),
                        via=via_refs,
                    ).to_pql()
                lines.append(f"  {path}\n      pick it with: {chosen}")
            how = (
                "pick one with VIA"
                if example is not None
                else "pick one with VIA in an aggregation"
            )
            raise self.fail(
                f"{table} is linked to {self.entity_table} in {len(paths)} ways of "
                f"{len(paths[0])} hop{'s' if len(paths[0]) != 1 else ''}; {how}:\n"
                + "\n".join(lines),
                loc,
                "VIA names the foreign key columns the path must use.",
            )
        return paths[0]

    def no_detour(self, path: JoinPath, loc: ast.Loc) -> None:
        """Refuse a path that goes around a link not made (too many dangling
        values): with that link the table is nearer, so the longer path most
        likely means something else (orders of the products a customer
        reviewed, not the customer's orders)."""
        rejected = self.schema.rejected_links
        if not rejected or not path.hops:
            return
        with_rejected = dataclasses.replace(self.schema, links=[*self.schema.links, *rejected])
        nearer = find_paths(with_rejected, path.start, path.end, max_hops=len(path) - 1)
        if not nearer:
            return
        skipped = next(x for x in nearer[0].links if x in rejected)
        via = ", ".join(str(ast.ColumnRef(x.src_table, x.src_column)) for x in path.links)
        raise self.fail(
            f"{path.end} is reached from {path.start} only through {path}, because the "
            f"link {skipped} was not made; with it the path would be {nearer[0]}.",
            loc,
            f"{rejected_link_note(skipped, rejected[skipped])} To mean the longer path, "
            f"name it with VIA {via}.",
        )

    def via_link(self, ref: ast.ColumnRef) -> Link:
        self.ref(ref)
        for link in self.schema.links:
            if (link.src_table, link.src_column) == (ref.table, ref.column):
                return link
        fks = [x.source for x in self.schema.links]
        raise self.fail(
            f"{ref} is not a foreign key, so VIA cannot follow it.",
            ref.loc,
            f"foreign keys: {', '.join(fks) or 'none'}.",
        )

    def check_aggregation(self, agg: ast.Aggregation, role: str) -> ValueType:
        if role == "filter":
            raise self.fail(
                "An aggregation cannot stand inside another aggregation's WHERE.",
                agg.loc,
                "a filter inside an aggregation is a condition on the aggregated rows' columns.",
            )
        self.table(agg.table, agg.table_loc)
        func = agg.func
        if agg.column is None:
            if func is not ast.AggFunc.COUNT:
                raise self.fail(
                    f"{func.value} needs a column, not {agg.table}.*.",
                    agg.column_loc,
                    f"e.g. {func.value}({ast.quote_name(agg.table)}.<column>, ...); "
                    "only COUNT takes table.*.",
                )
        else:
            self.column(agg.table, agg.column, agg.column_loc)
        path = self.unique_path(agg.table, agg.via, agg.table_loc, example=agg)
        event_table = None
        for name in reversed(path.tables[1:] if path.hops else path.tables):
            if self.schema.tables[name].time_column is not None:
                event_table = name
                break
        self.check_window(agg, role, event_table, path)

        value_type = ValueType.numeric
        list_link = None
        col_type = (
            column_value_type(self.schema, agg.table, agg.column) if agg.column else ValueType.other
        )
        if func in (ast.AggFunc.SUM, ast.AggFunc.AVG) and col_type is not ValueType.numeric:
            raise self.fail(
                f"{func.value} needs a numeric column; {agg.source} is "
                f"{self.dtype(agg.table, agg.column or '')}.",
                agg.column_loc,
                f"use COUNT or COUNT_DISTINCT, or MIN/MAX/FIRST/LAST for a {col_type.value} "
                "column.",
            )
        if func in (ast.AggFunc.MIN, ast.AggFunc.MAX, ast.AggFunc.FIRST, ast.AggFunc.LAST):
            if col_type in (ValueType.other, ValueType.list):
                raise self.fail(
                    f"{func.value} cannot take {agg.source} of type "
                    f"{self.dtype(agg.table, agg.column or '')}.",
                    agg.column_loc,
                )
            value_type = col_type
        first_or_last = func in (ast.AggFunc.FIRST, ast.AggFunc.LAST)
        if first_or_last and self.schema.tables[agg.table].time_column is None:
            raise self.fail(
                f"{func.value} orders rows by time, but {agg.table} has no time column.",
                agg.func_loc,
                "use MIN or MAX, or set a time column with "
                f"db.set_time_column({agg.table!r}, ...).",
            )
        if func is ast.AggFunc.LIST_DISTINCT:
            list_link = next(
                (
                    x
                    for x in self.schema.links
                    if (x.src_table, x.src_column) == (agg.table, agg.column)
                ),
                None,
            )
            if list_link is None:
                fks = [x.src_column for x in self.schema.links_from(agg.table)]
                raise self.fail(
                    f"LIST_DISTINCT lists foreign keys (the rows to recommend), but {agg.source} "
                    "is not a foreign key.",
                    agg.column_loc,
                    f"foreign keys of {agg.table}: {', '.join(fks) or 'none'}.",
                )
            value_type = ValueType.list
        if agg.filter is not None:
            allowed = path.tables[1:] if path.hops else path.tables
            self.check_condition(agg.filter, "filter", allowed=allowed, owner=agg)
        parents = tuple(self.filter_parents.get(agg, {}).items())
        self.aggregations[agg] = ResolvedAggregation(
            agg, path, event_table, value_type, list_link, filter_parents=parents
        )
        return value_type

    def check_window(
        self, agg: ast.Aggregation, role: str, event_table: str | None, path: JoinPath
    ) -> None:
        w = agg.window
        shown = f"({w.to_pql()})"
        self.check_bound(w.start, w.unit, w.start_loc)
        self.check_bound(w.end, w.unit, w.end_loc)
        if w.start is not None and w.start >= w.end:
            raise self.fail(
                f"The window {shown} is empty: it covers (t + {w.start}, t + {w.end}] and "
                "its start must be below its end.",
                w.loc,
                "write (start, end) with start < end, e.g. (0, 30) for the next 30 days.",
            )
        if role in ("target", "assuming"):
            if w.start is None or w.start < 0:
                loc = w.start_loc
                who = "The target" if role == "target" else "ASSUMING"
                raise self.fail(
                    f"{who} looks forward from the anchor time "
                    f"(0 <= start < end), but {shown} starts before it.",
                    loc,
                    "a target window is (t + start, t + end] with start >= 0, e.g. (0, 30); "
                    "conditions on the past belong in WHERE.",
                )
        elif role == "where" and w.end > 0:
            raise self.fail(
                f"WHERE looks back from the anchor time (end <= 0), but {shown} ends "
                f"{w.end} {w.unit.value} after it.",
                w.end_loc,
                "e.g. COUNT(orders.*, -30, 0) > 0 for 'ordered in the last 30 days'; "
                "conditions on the future belong in ASSUMING.",
            )
        if event_table is None and w.start is not None:
            raise self.fail(
                f"No table on the path {path} has a time column, so its rows exist at all "
                f"times and never fall inside the window {shown}.",
                w.loc,
                "use -INF as the start to aggregate all of them, or set a time column.",
            )

    def check_bound(self, amount: int | None, unit: ast.TimeUnit, loc: ast.Loc) -> None:
        """A window bound at most :data:`MAX_WINDOW_YEARS` from the anchor time."""
        most = max_bound(unit)
        if amount is None or abs(amount) <= most:
            return
        hint = (
            "use -INF as the start for all history, e.g. COUNT(orders.*, -INF, 0)."
            if amount < 0
            else f"a window reaches at most {MAX_WINDOW_YEARS:,} years ahead."
        )
        raise self.fail(
            f"The window bound {amount} {unit.value} is too far from the anchor time: a "
            f"bound may be at most {MAX_WINDOW_YEARS:,} years ({most:,} {unit.value}) before "
            "or after it.",
            loc,
            hint,
        )

    # ------------------------------------------------------------ conditions
    def check_condition(
        self,
        cond: ast.Condition,
        role: str,
        allowed: list[str] | None = None,
        owner: ast.Aggregation | None = None,
    ) -> None:
        for pred in ast.predicates(cond):
            expr = pred.expr
            if role == "filter":
                if isinstance(expr, ast.Aggregation):
                    self.check_aggregation(expr, role)
                self.ref(expr)
                assert allowed is not None and owner is not None
                if expr.table not in allowed:
                    self.filter_parent(owner, expr, allowed)
                vt = column_value_type(self.schema, expr.table, expr.column)
            else:
                vt = self.check_expr(expr, role)
            self.check_predicate(pred, vt)

    def filter_parent(self, owner: ast.Aggregation, ref: ast.ColumnRef, allowed: list[str]) -> None:
        """A filter's column of a table off the path: one row per aggregated
        row (a parent, by many-to-one links), or an error."""
        parents = self.filter_parents.setdefault(owner, {})
        if ref.table in parents:
            return
        paths = find_paths(self.schema, owner.table, ref.table)
        single = [p for p in paths if p.is_single_row]
        if len(single) == 1 and len(paths) == 1:
            parents[ref.table] = single[0]
            return
        shown = ", ".join(dict.fromkeys(allowed))
        if len(single) > 1:
            why = (
                f"{ref.table} is linked to {owner.table} in {len(single)} ways "
                f"({'; '.join(str(p) for p in single)})"
            )
        else:
            why = f"{ref.table} is not a parent of {owner.table} (one row per {owner.table} row)"
        raise self.fail(
            f"Inside {owner.func.value}({owner.source} ...), conditions are on the aggregated "
            f"rows: columns of {shown}, or of a table each row references; {why}.",
            ref.loc,
            "put conditions on the entity in the query's WHERE.",
        )

    def describe(self, expr: ast.Expr, vt: ValueType) -> str:
        if isinstance(expr, ast.Aggregation):
            return f"{expr.func.value}({expr.source}) is {vt.value}"
        return f"{expr} is {vt.value} ({self.dtype(expr.table, expr.column)})"

    def check_predicate(self, pred: ast.Predicate, vt: ValueType) -> None:
        expr = pred.expr
        if vt is ValueType.list:
            raise self.fail(
                "LIST_DISTINCT gives a list of keys; it cannot be compared.",
                expr.loc,
                "use it alone as the target, with RANK TOP k.",
            )
        if isinstance(pred, ast.Comparison):
            if pred.op not in (ast.CompareOp.EQ, ast.CompareOp.NE) and vt is ValueType.boolean:
                raise self.fail(
                    f"{pred.op.value} does not order booleans.", pred.op_loc, "use = or !=."
                )
            self.literal_fits(expr, vt, pred.value)
        elif isinstance(pred, ast.InList):
            for value in pred.values:
                self.literal_fits(expr, vt, value)
        elif isinstance(pred, ast.TextMatch) and pred.text.kind != "string":
            raise self.fail(
                f"{pred.op.value} matches text, but {pred.text.to_pql()} is a {pred.text.kind}.",
                pred.text.loc,
                "quote it: CONTAINS '10'. For a list of values, LIST_DISTINCT(...) CONTAINS "
                "takes any value.",
            )
        elif isinstance(pred, ast.Like | ast.TextMatch) and vt is not ValueType.string:
            what = "LIKE" if isinstance(pred, ast.Like) else pred.op.value
            raise self.fail(
                f"{what} matches text, but {self.describe(expr, vt)}.",
                expr.loc,
                "compare numbers and dates with =, <, >, or IN.",
            )

    def literal_fits(self, expr: ast.Expr, vt: ValueType, literal: ast.Literal) -> None:
        kind = literal.kind
        ok = {
            ValueType.numeric: kind == "number",
            ValueType.string: kind == "string",
            ValueType.boolean: kind == "boolean",
            ValueType.temporal: kind == "string" and _is_time(literal.value),
        }.get(vt, False)
        if ok:
            return
        if vt is ValueType.temporal and kind == "string":
            raise self.fail(
                f"{literal.to_pql()} is not a date or time, but {self.describe(expr, vt)}.",
                literal.loc,
                "write dates as '2024-06-01' or '2024-06-01 12:00:00'.",
            )
        examples = {
            ValueType.numeric: "a number, e.g. 10",
            ValueType.string: "a string in single quotes, e.g. 'US'",
            ValueType.boolean: "TRUE or FALSE",
            ValueType.temporal: "a date in single quotes, e.g. '2024-06-01'",
        }
        expected = examples.get(vt)
        hint = f"compare it with {expected}." if expected else "only IS [NOT] NULL applies to it."
        column = expr if isinstance(expr, ast.ColumnRef) else getattr(expr, "source", None)
        if (
            vt is ValueType.string
            and kind == "number"
            and isinstance(column, ast.ColumnRef)
            and self.numbers_as_text(column)
        ):
            # Quoting the number would compare text: '9' > '10'. Say how to fix the type.
            hint = (
                f"{column} holds numbers stored as text; declare it numerical so it "
                f"compares as numbers: db.set_stype({column.table!r}, {column.column!r}, "
                "'numerical')."
            )
        raise self.fail(
            f"Type mismatch: {self.describe(expr, vt)} but {literal.to_pql()} is a {kind}.",
            literal.loc,
            hint,
        )

    def numbers_as_text(self, ref: ast.ColumnRef) -> bool:
        """Whether a text column's values are nearly all numbers (on a sample)."""
        if self.con is None or ref.column not in self.schema.tables[ref.table].dtypes:
            return False
        c = '"' + ref.column.replace('"', '""') + '"'
        t = '"' + ref.table.replace('"', '""') + '"'
        total, numbers = self.con.execute(
            f"SELECT count({c}), count(TRY_CAST(trim({c}) AS DOUBLE)) FROM "
            f"(SELECT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT 10000)"
        ).fetchall()[0]
        return bool(total) and numbers >= 0.9 * total

    # ------------------------------------------------------------ static targets
    def check_static_target(self, target: ast.Expr | ast.Condition) -> JoinPath:
        """A target without aggregations: columns of the entity table and of at
        most one chain of linked tables (read as 'any linked row')."""
        refs = list(ast.expressions(target))
        for ref in refs:
            assert isinstance(ref, ast.ColumnRef)
            self.ref(ref)
        for ref in refs:  # also in a condition: every entity knows its own key
            self.not_the_entity_key(ref)
            self.not_a_time(ref)
        paths: dict[str, JoinPath] = {}
        for ref in refs:
            if ref.table != self.entity_table and ref.table not in paths:
                paths[ref.table] = self.unique_path(ref.table, (), ref.loc, None, ref)
        longest = max(paths.values(), key=len, default=JoinPath(self.entity_table))
        for ref in refs:
            path = paths.get(ref.table, JoinPath(self.entity_table))
            if path.hops != longest.hops[: len(path.hops)]:
                raise self.fail(
                    f"A target without a window reads one chain of linked rows, but {ref.table} "
                    f"({path}) is not on the path to {longest.end} ({longest}).",
                    ref.loc,
                    "aggregate one of them with a window instead, e.g. "
                    f"COUNT({ast.quote_name(ref.table)}.* WHERE ..., 0, 30) > 0.",
                )
            vt = column_value_type(self.schema, ref.table, ref.column)
            self.columns[ref] = ResolvedColumn(
                ref, path, vt, self.schema.tables[ref.table].columns[ref.column]
            )
        if ast.is_condition(target):
            for pred in ast.predicates(target):
                self.check_predicate(pred, self.columns[pred.expr].value_type)
        elif not longest.is_single_row:
            raise self.fail(
                f"{target} has many values per {self.entity_table} row ({longest}), so it "
                "cannot be the target as it is.",
                target.loc,
                f"predict a condition on it (true when any linked row meets it), e.g. "
                f"PREDICT {target.to_pql()} = '...', or an aggregation with a window.",
            )
        return longest

    def not_a_time(self, ref: ast.ColumnRef) -> None:
        """A target without a window is hidden from the models; a column that
        places rows in time cannot be: the table's time column, or a link a
        table takes its time through (``_row_time``, see relgraph.db.inherited_time)."""
        table = self.schema.tables[ref.table]
        if ref.column == table.time_column:
            raise self.fail(
                f"{ref} is the time of {ref.table}'s rows; a target without a window cannot "
                "read it (each entity is anchored at its own time).",
                ref.loc,
                "predict what happens in a window instead, e.g. "
                f"COUNT({ast.quote_name(ref.table)}.*, 0, 30) > 0.",
            )
        for link in self.schema.links:
            ends = {(link.src_table, link.src_column), (link.dst_table, link.dst_column)}
            child, parent = self.schema.tables[link.src_table], self.schema.tables[link.dst_table]
            timed_parent = parent.time_column or parent.calendar_column
            if (ref.table, ref.column) in ends and child.time_origin and timed_parent:
                raise self.fail(
                    f"{ref} cannot be a target without a window: {link.src_table} takes the "
                    f"time of its rows through {link}, so the models would still see it.",
                    ref.loc,
                    f'declare {link.src_table} static (time_column = "" in the schema TOML), '
                    "or predict over a window.",
                )

    def not_the_entity_key(self, ref: ast.ColumnRef) -> None:
        """The entity's own key names the row: every entity knows it, so as a
        target it has nothing to predict (and predict would return no rows)."""
        if (ref.table, ref.column) != (self.entity_table, self.q.entity.column.column):
            return
        raise self.fail(
            f"{ref} is the key of {self.entity_table}: it identifies the row and cannot be "
            "predicted.",
            ref.loc,
            "predict another column, e.g. PREDICT "
            f"{ast.quote_name(self.entity_table)}.<column> {self.q.entity.to_pql()}, or a "
            "windowed aggregation, e.g. COUNT(<table>.*, 0, 30) > 0.",
        )

    # ------------------------------------------------------------ task type
    def task_type(
        self, static_path: JoinPath | None
    ) -> tuple[TaskType, int | None, Link | None, ValueType]:
        if self.q.forecast is None:
            return self.single_task_type(static_path)
        return self.forecast_type(static_path)

    def forecast_type(
        self, static_path: JoinPath | None
    ) -> tuple[TaskType, int | None, Link | None, ValueType]:
        """``FORECAST n TIMEFRAMES``: a number over ``n`` consecutive windows.
        Only a target that is a number (regression) is forecast: a condition,
        CLASSIFY and RANK TOP are refused (docs/pql.md, "Forecasts")."""
        q = self.q
        forecast = q.forecast
        assert forecast is not None
        target = q.target
        example = "e.g. PREDICT SUM(orders.amount, 0, 7, days) FORECAST 4 TIMEFRAMES FOR EACH ..."
        if ast.is_condition(target):
            raise self.fail(
                "FORECAST predicts a number in each of several windows; a condition (yes/no) "
                "is not forecast.",
                forecast.loc,
                "forecast the number itself, e.g. PREDICT COUNT(orders.*, 0, 7, days) FORECAST "
                "4 TIMEFRAMES FOR EACH ..., or drop FORECAST.",
            )
        if static_path is not None or not isinstance(target, ast.Aggregation):
            raise self.fail(
                "FORECAST needs a windowed aggregation as the target: it repeats its window.",
                forecast.loc,
                example,
            )
        if target.func is ast.AggFunc.LIST_DISTINCT:
            raise self.fail(
                "FORECAST predicts a number per window; LIST_DISTINCT lists keys.",
                target.func_loc,
                "forecast how many, e.g. COUNT_DISTINCT(...) FORECAST 4 TIMEFRAMES, or drop "
                "FORECAST.",
            )
        if q.classify:
            raise self.fail(
                "CLASSIFY does not apply to FORECAST: a forecast is a number per window.",
                q.classify_loc,
                "drop CLASSIFY.",
            )
        if q.rank is not None:
            raise self.fail(
                "RANK TOP does not apply to FORECAST: a forecast is a number per window.",
                q.rank.loc,
                "drop RANK TOP k.",
            )
        n = forecast.n
        if not (isinstance(n, int) and 1 <= n <= MAX_FORECAST_STEPS):
            raise self.fail(
                f"FORECAST {n} TIMEFRAMES: the number of windows must be a whole number from 1 "
                f"to {MAX_FORECAST_STEPS}.",
                forecast.n_loc,
                example,
            )
        task_type, _, _, vt = self.single_task_type(static_path)
        if task_type is not TaskType.regression:
            raise self.fail(
                f"FORECAST predicts a number per window, but {target.to_pql()} is "
                f"{task_type.value.replace('_', ' ')}.",
                target.loc,
                "forecast a count, sum or average, e.g. COUNT(orders.*, 0, 7, days).",
            )
        w = target.window
        assert w.start is not None and w.length is not None  # a target window starts at >= 0
        last_end = w.end + (n - 1) * w.length
        if last_end > max_bound(w.unit):
            raise self.fail(
                f"The last of {n} windows ends {last_end:,} {w.unit.value} after the anchor "
                f"time, beyond the {MAX_WINDOW_YEARS:,} years a window may reach.",
                forecast.n_loc,
                "forecast fewer windows, or shorter ones.",
            )
        return TaskType.forecast, None, None, vt

    def single_task_type(
        self, static_path: JoinPath | None
    ) -> tuple[TaskType, int | None, Link | None, ValueType]:
        q = self.q
        target = q.target
        if ast.is_condition(target):
            if q.classify:
                raise self.fail(
                    "A condition is already a yes/no target; CLASSIFY does not apply.",
                    q.classify_loc,
                    "drop CLASSIFY, or classify a value: PREDICT customers.segment CLASSIFY ...",
                )
            if q.rank is not None:
                raise self._rank_without_list()
            return TaskType.binary_classification, None, None, ValueType.boolean
        if static_path is not None:
            resolved = self.columns[target]
            vt, stype = resolved.value_type, resolved.stype
        else:
            assert isinstance(target, ast.Aggregation)
            vt = self.aggregations[target].value_type
            stype = None
            if target.column is not None:
                stype = self.schema.tables[target.table].columns[target.column]
        if isinstance(target, ast.Aggregation) and target.func is ast.AggFunc.LIST_DISTINCT:
            resolved_agg = self.aggregations[target]
            link = resolved_agg.list_link
            assert link is not None
            if q.classify and q.rank is not None:
                raise self.fail(
                    "CLASSIFY does not apply to LIST_DISTINCT with RANK TOP k: RANK TOP ranks "
                    "every key, CLASSIFY says which of a fixed set occur.",
                    q.classify_loc,
                    "keep one: ... RANK TOP 10 FOR EACH ... or ... CLASSIFY FOR EACH ...",
                )
            if q.classify:
                return TaskType.multilabel_classification, None, link, ValueType.list
            if q.rank is None:
                raise self.fail(
                    "A LIST_DISTINCT target ranks keys: it needs RANK TOP k.",
                    target.loc,
                    f"e.g. PREDICT {target.to_pql()} RANK TOP 10 {q.entity.to_pql()}, or "
                    f"PREDICT {target.to_pql()} CLASSIFY {q.entity.to_pql()} (which of the "
                    "most frequent keys occur).",
                )
            rows = self.schema.tables[link.dst_table].num_rows
            k = q.rank.k
            if not (isinstance(k, int) and 1 <= k <= max(rows, 1)):
                raise self.fail(
                    f"k out of range: RANK TOP {k} over {link.dst_table}, which has {rows:,} "
                    "rows; k must be a whole number from 1 to the number of rows.",
                    q.rank.loc,
                    "e.g. RANK TOP 10.",
                )
            return TaskType.link_prediction, k, link, ValueType.list
        if static_path is not None and stype is Stype.multicategorical:
            return self.categories_type(target)
        if q.rank is not None:
            raise self._rank_without_list()
        if vt is ValueType.temporal:
            raise self.fail(
                "A date or time is not a target PQL can learn.",
                target.loc,
                "predict a count or a condition instead, e.g. COUNT(orders.*, 0, 30) > 0.",
            )
        if vt in (ValueType.other, ValueType.list):
            raise self.fail("This column's type cannot be a target.", target.loc)
        if q.classify:
            return TaskType.multiclass_classification, None, None, vt
        if vt is ValueType.boolean:
            return TaskType.binary_classification, None, None, vt
        numeric = vt is ValueType.numeric and (
            isinstance(target, ast.Aggregation)
            and target.func
            in (ast.AggFunc.COUNT, ast.AggFunc.COUNT_DISTINCT, ast.AggFunc.SUM, ast.AggFunc.AVG)
            or stype is Stype.numerical
        )
        if numeric:
            return TaskType.regression, None, None, vt
        return TaskType.multiclass_classification, None, None, vt

    def categories_type(
        self, target: ast.Expr | ast.Condition
    ) -> tuple[TaskType, int | None, Link | None, ValueType]:
        """A multicategorical column as the target (``PREDICT articles.tags RANK
        TOP 20``): its label is the set of the row's categories, ranked (``RANK
        TOP k``) or each one a yes/no (``CLASSIFY``), as Kumo asks for one of
        the two (docs/pql.md, "Multicategorical targets")."""
        q = self.q
        assert isinstance(target, ast.ColumnRef)
        if q.classify and q.rank is not None:
            raise self.fail(
                "CLASSIFY does not apply with RANK TOP k: RANK TOP ranks the categories, "
                "CLASSIFY says which of them the row has.",
                q.classify_loc,
                f"keep one: PREDICT {target.to_pql()} RANK TOP 10 ... or PREDICT "
                f"{target.to_pql()} CLASSIFY ...",
            )
        if q.classify:
            return TaskType.multilabel_classification, None, None, ValueType.list
        if q.rank is None:
            raise self.fail(
                f"{target} holds several categories per row: say whether to rank them or "
                "to classify each one.",
                target.loc,
                f"e.g. PREDICT {target.to_pql()} RANK TOP 5 {q.entity.to_pql()} (the 5 "
                f"likeliest categories), or PREDICT {target.to_pql()} CLASSIFY "
                f"{q.entity.to_pql()} (a probability for each).",
            )
        k = q.rank.k
        if not (isinstance(k, int) and 1 <= k <= MAX_RANKED_CATEGORIES):
            raise self.fail(
                f"k out of range: RANK TOP {k} over the categories of {target}; k must be a "
                f"whole number from 1 to {MAX_RANKED_CATEGORIES} (the most frequent "
                f"{MAX_RANKED_CATEGORIES} categories are ranked).",
                q.rank.loc,
                "e.g. RANK TOP 10.",
            )
        return TaskType.multilabel_ranking, k, None, ValueType.list

    def _rank_without_list(self) -> PQLSemanticError:
        assert self.q.rank is not None
        target = self.q.target
        what = "this target is neither"
        if isinstance(target, ast.ColumnRef) and target in self.columns:
            what = f"{target} is {self.columns[target].stype} (one value per row)"
        return self.fail(
            "RANK TOP k ranks the keys of a LIST_DISTINCT target or the categories of a "
            f"multicategorical column; {what}.",
            self.q.rank.loc,
            "e.g. PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 10 "
            "FOR EACH customers.customer_id, or drop RANK TOP (a column that holds several "
            "categories as text is multicategorical once declared so: "
            "db.set_stype(table, column, 'multicategorical')).",
        )

    def horizon(self) -> Duration | None:
        windows = [
            a.window
            for e in (self.q.target, self.q.assuming)
            if e is not None
            for a in ast.expressions(e)
            if isinstance(a, ast.Aggregation)
        ]
        if not windows:
            return None
        durations = [Duration(w.end, w.unit) for w in windows]
        forecast = self.q.forecast
        if forecast is not None and isinstance(self.q.target, ast.Aggregation):
            # the whole forecast: its last window's end
            w = self.q.target.window
            assert w.length is not None
            durations.append(Duration(w.end + (int(forecast.n) - 1) * w.length, w.unit))
        return max(durations, key=lambda d: d.seconds)


def _is_time(value: object) -> bool:
    try:
        return not pd.isna(pd.Timestamp(str(value)))
    except (ValueError, TypeError):
        return False
