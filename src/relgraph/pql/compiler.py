"""Compiling a checked query into one SQL query that builds its labelled examples.

The SQL is built with sqlglot's expression builders (never by pasting user
text): names are quoted identifiers where needed, literals are quoted by
sqlglot. All anchor times are evaluated in one query: they form a ``VALUES``
list joined with the tables. The shape (DuckDB dialect; the same tree renders
for PostgreSQL and Spark SQL with ``.sql(dialect=...)``)::

    WITH anchors AS (SELECT ... FROM (VALUES (...), ...)),       -- one row per anchor time
    entities AS (SELECT key, anchor_time, <scalar columns>        -- rows existing at t
                 FROM entity JOIN anchors ON time <= anchor_time LEFT JOIN <parents>),
    agg_1 AS (SELECT key, anchor_time, COUNT(*) AS v1, ...       -- one per path and window:
              FROM <path> JOIN anchors ON time > t + start AND time <= t + end
              GROUP BY key, anchor_time),
    examples AS (SELECT ..., <label> AS label FROM entities LEFT JOIN agg_1 ...
                 WHERE <WHERE> AND <ASSUMING>)
    SELECT key, anchor_time, label FROM examples WHERE label IS NOT NULL ORDER BY anchor_time, key

Semantics (docs/pql.md, "Meaning"): a window covers ``(t + start, t + end]`` of
the time of the aggregated table (of the nearest timed table before it on the
path when it has none); every other timed row on the path must exist by
``t + end``; rows with a NULL time are never visible. COUNT, COUNT_DISTINCT and
SUM of an empty window are 0, the other aggregations NULL; a NULL label drops
the example (SQL's three-valued logic: ``MIN(x) <= 3`` of an empty window is
NULL). Static targets (no window) are compiled by :func:`compile_static`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlglot import exp
from sqlglot.tokens import Tokenizer

from relgraph.db.paths import JoinPath
from relgraph.pql import ast
from relgraph.pql.checker import CheckedQuery, ResolvedAggregation, ValueType
from relgraph.pql.task_type import TaskType

__all__ = ["compile_static", "compile_windowed", "ident", "step_aggregation"]

# ---------------------------------------------------------------- SQL atoms

_SQL_RESERVED = {
    w for key in Tokenizer.KEYWORDS for w in key.split() if w.isalpha() or "_" in w
} | set(
    """
    ALL AND ANY ARRAY AS ASC BETWEEN BOTH BY CASE CAST CHECK COLLATE COLUMN CONSTRAINT
    CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT DESC
    DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FROM FULL GRANT GROUP HAVING IN
    INNER INTERSECT INTO IS JOIN LATERAL LEADING LEFT LIKE LIMIT NATURAL NOT NULL OFFSET
    ON ONLY OR ORDER OUTER PRIMARY REFERENCES RIGHT SELECT SOME TABLE THEN TO TRAILING
    TRUE UNION UNIQUE USER USING VALUES WHEN WHERE WINDOW WITH
    """.split()  # noqa: SIM905 (a word list)
)
_SAFE = re.compile(r"[a-z_][a-z0-9_]*\Z")


def ident(name: str) -> exp.Identifier:
    """An identifier, quoted unless it is lower case and not an SQL keyword
    (unquoted names fold to lower case in PostgreSQL)."""
    quoted = not _SAFE.match(name) or name.upper() in _SQL_RESERVED
    return exp.Identifier(this=name, quoted=quoted)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=exp.to_identifier(table) if table else None)


def table_as(name: str, alias: str) -> exp.Table:
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))


_UNIT_SQL = {
    ast.TimeUnit.seconds: ("SECOND", 1),
    ast.TimeUnit.minutes: ("MINUTE", 1),
    ast.TimeUnit.hours: ("HOUR", 1),
    ast.TimeUnit.days: ("DAY", 1),
    ast.TimeUnit.weeks: ("DAY", 7),
    ast.TimeUnit.months: ("MONTH", 1),
    # A year is 12 calendar months, written as months so that every dialect
    # relgraph prints reads it the same way (as weeks are written as days).
    ast.TimeUnit.years: ("MONTH", 12),
}


def shifted(anchor: exp.Expression, amount: int, unit: ast.TimeUnit) -> exp.Expression:
    """``anchor + amount unit`` as SQL interval arithmetic."""
    if amount == 0:
        return anchor.copy()
    name, factor = _UNIT_SQL[unit]
    interval = exp.Interval(
        this=exp.Literal.string(str(abs(amount) * factor)), unit=exp.Var(this=name)
    )
    if amount > 0:
        return exp.Add(this=anchor.copy(), expression=interval)
    return exp.Sub(this=anchor.copy(), expression=interval)


def literal(value: ast.Literal, value_type: ValueType) -> exp.Expression:
    """A PQL literal as SQL; dates compared with time columns are cast."""
    v = value.value
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, str):
        lit = exp.Literal.string(v)
        return exp.cast(lit, "TIMESTAMP") if value_type is ValueType.temporal else lit
    return exp.Literal.number(repr(v))


def paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e) if isinstance(e, exp.And | exp.Or) else e


def all_of(conditions: Sequence[exp.Expression]) -> exp.Expression | None:
    conditions = [c for c in conditions if c is not None]
    if not conditions:
        return None
    out = conditions[0]
    for c in conditions[1:]:
        out = exp.And(this=paren(out), expression=paren(c))
    return out


def as_binary(cond: exp.Expression) -> exp.Expression:
    """1 / 0 / NULL for a condition that is true / false / unknown."""
    return exp.Case(
        ifs=[
            exp.If(this=cond.copy(), true=exp.Literal.number(1)),
            exp.If(this=exp.Not(this=paren(cond.copy())), true=exp.Literal.number(0)),
        ]
    )


Resolver = Callable[[ast.Expr], exp.Expression]


def condition(
    cond: ast.Condition, resolve: Resolver, types: Callable[[ast.Expr], ValueType]
) -> exp.Expression:
    """A PQL condition as SQL, with ``resolve`` giving the SQL of each expression."""
    if isinstance(cond, ast.And | ast.Or):
        node = exp.And if isinstance(cond, ast.And) else exp.Or
        left = condition(cond.left, resolve, types)
        right = condition(cond.right, resolve, types)
        return node(this=paren(left), expression=paren(right))
    if isinstance(cond, ast.Not):
        return exp.Not(this=exp.Paren(this=condition(cond.operand, resolve, types)))
    x = resolve(cond.expr)
    vt = types(cond.expr)
    if isinstance(cond, ast.Comparison):
        node = {
            ast.CompareOp.EQ: exp.EQ,
            ast.CompareOp.NE: exp.NEQ,
            ast.CompareOp.LT: exp.LT,
            ast.CompareOp.LE: exp.LTE,
            ast.CompareOp.GT: exp.GT,
            ast.CompareOp.GE: exp.GTE,
        }[cond.op]
        return node(this=x, expression=literal(cond.value, vt))
    if isinstance(cond, ast.InList):
        out = exp.In(this=x, expressions=[literal(v, vt) for v in cond.values])
        return exp.Not(this=out) if cond.negated else out
    if isinstance(cond, ast.IsNull):
        out = exp.Is(this=x, expression=exp.Null())
        return exp.Not(this=out) if cond.negated else out
    if isinstance(cond, ast.Like):
        out = exp.Like(this=x, expression=exp.Literal.string(str(cond.pattern.value)))
        return exp.Not(this=out) if cond.negated else out
    text = str(cond.text.value)
    lit = exp.Literal.string(text)
    if cond.op is ast.TextOp.CONTAINS:
        out = exp.GT(this=exp.StrPosition(this=x, substr=lit), expression=exp.Literal.number(0))
    else:
        node = exp.Left if cond.op is ast.TextOp.STARTS_WITH else exp.Right
        out = exp.EQ(this=node(this=x, expression=exp.Literal.number(len(text))), expression=lit)
    # NOT of NULL is NULL: a missing value matches neither form
    return exp.Not(this=exp.Paren(this=out)) if cond.negated else out


# ---------------------------------------------------------------- aggregations


@dataclass
class _AggGroup:
    """Aggregations computed by one CTE (same path, window and event table)."""

    name: str
    path: JoinPath
    window: ast.Window
    event_table: str | None
    members: list[ResolvedAggregation] = field(default_factory=list)
    ranked: bool = False  # FIRST / LAST: one per CTE, by ROW_NUMBER


class _Builder:
    def __init__(self, checked: CheckedQuery, per_entity: bool = False) -> None:
        self.c = checked
        #: Anchors are each entity's own (``anchors`` has ``entity_id``): an
        #: aggregation joins only its entity's anchor, never every anchor.
        self.per_entity = per_entity
        self.schema = checked.schema
        self.key = checked.entity_key
        self.groups: list[_AggGroup] = []
        self.value_of: dict[ast.Aggregation, tuple[str, str]] = {}  # -> (cte, column)
        self._plan_aggregations()
        # scalar columns carried by the entities CTE: ColumnRef -> output name
        self.scalar_names: dict[tuple[tuple, str], str] = {}
        self.scalar_aliases: dict[tuple, str] = {}

    # ------------------------------------------------------------ planning
    def _plan_aggregations(self) -> None:
        for resolved in self.c.aggregations.values():
            self._plan(resolved)
        # FORECAST n TIMEFRAMES: the target's window and the n - 1 after it
        self.step_nodes: list[ast.Aggregation] = []
        target = self.c.query.target
        if self.c.steps is not None and isinstance(target, ast.Aggregation):
            resolved = self.c.aggregations[target]
            self.step_nodes.append(target)
            for i in range(1, self.c.steps):
                node = step_aggregation(target, i)
                if node not in self.value_of:
                    self._plan(dataclasses.replace(resolved, node=node))
                self.step_nodes.append(node)

    def _plan(self, resolved: ResolvedAggregation) -> None:
        node = resolved.node
        w = node.window
        ranked = node.func in (ast.AggFunc.FIRST, ast.AggFunc.LAST)
        group = None
        if not ranked:
            group = next(
                (
                    g
                    for g in self.groups
                    if not g.ranked
                    and g.path == resolved.path
                    and (g.window.start, g.window.end, g.window.unit) == (w.start, w.end, w.unit)
                ),
                None,
            )
        if group is None:
            group = _AggGroup(
                f"agg_{len(self.groups) + 1}",
                resolved.path,
                w,
                resolved.event_table,
                ranked=ranked,
            )
            self.groups.append(group)
        group.members.append(resolved)
        self.value_of[node] = (group.name, f"v{len(group.members)}")

    def types(self, expr: ast.Expr) -> ValueType:
        return self.c.value_type(expr)

    # ------------------------------------------------------------ anchors
    @staticmethod
    def anchors_cte(anchor_times: Sequence[pd.Timestamp]) -> exp.Select:
        values = exp.values(
            [(exp.Literal.string(pd.Timestamp(t).isoformat(sep=" ")),) for t in anchor_times],
            alias="anchor_values",
            columns=["anchor_time"],
        )
        return exp.select(
            exp.cast(col("anchor_time", "anchor_values"), "TIMESTAMP").as_("anchor_time")
        ).from_(values)

    # ------------------------------------------------------------ aggregation CTEs
    def path_from(
        self, path: JoinPath, prefix: str = "p"
    ) -> tuple[exp.Select, exp.Column, dict[str, str]]:
        """``FROM`` and joins along ``path``; the entity key column; table -> alias."""
        hops = path.hops
        aliases = {path.start: f"{prefix}0"}
        for i, hop in enumerate(hops, 1):
            aliases[hop.to_table] = f"{prefix}{i}"
        skip_entity = bool(hops) and hops[0].to_children and hops[0].from_column == self.key
        if skip_entity:
            del aliases[path.start]  # not joined: its key is the child's foreign key
            select = exp.select().from_(table_as(hops[0].to_table, f"{prefix}1"))
            key = col(hops[0].to_column, f"{prefix}1")
            first = 2
        else:
            select = exp.select().from_(table_as(path.start, f"{prefix}0"))
            key = col(self.key, f"{prefix}0")
            first = 1
        for i in range(first, len(hops) + 1):
            hop = hops[i - 1]
            on = exp.EQ(
                this=col(hop.to_column, f"{prefix}{i}"),
                expression=col(hop.from_column, f"{prefix}{i - 1}"),
            )
            select = select.join(table_as(hop.to_table, f"{prefix}{i}"), on=on)
        return select, key, aliases

    def window_join(
        self,
        select: exp.Select,
        path: JoinPath,
        window: ast.Window,
        event_table: str | None,
        aliases: dict[str, str],
        key: exp.Expression | None = None,
    ) -> tuple[exp.Select, list[exp.Expression]]:
        """Join the anchors on the window of the event table; the visibility of the other rows."""
        anchor = col("anchor_time", "a")
        end = shifted(anchor, window.end, window.unit)
        conditions: list[exp.Expression] = []
        tables = path.tables[1:] if path.hops else path.tables
        event_on = None
        for name in tables:
            time_column = self.schema.tables[name].time_column
            if time_column is None:
                continue
            t = col(time_column, aliases[name])
            if name == event_table:
                parts = []
                if window.start is not None:
                    parts.append(
                        exp.GT(this=t, expression=shifted(anchor, window.start, window.unit))
                    )
                parts.append(exp.LTE(this=t.copy(), expression=end.copy()))
                event_on = all_of(parts)
            else:
                conditions.append(exp.LTE(this=t, expression=end.copy()))
        anchors = table_as("anchors", "a")
        if self.per_entity:
            assert key is not None
            own = exp.EQ(this=col("entity_id", "a"), expression=key.copy())
            event_on = own if event_on is None else all_of([own, event_on])
        if event_on is None:
            select = select.join(anchors, join_type="CROSS")
        else:
            select = select.join(anchors, on=event_on)
        return select, conditions

    def agg_value(self, resolved: ResolvedAggregation, aliases: dict[str, str]) -> exp.Expression:
        node = resolved.node
        func = node.func
        column = col(node.column, aliases[node.table]) if node.column is not None else None
        filt = self.filter_sql(node, aliases)
        if func is ast.AggFunc.COUNT:
            value: exp.Expression = exp.Count(this=column if column is not None else exp.Star())
        elif func is ast.AggFunc.COUNT_DISTINCT:
            value = exp.Count(this=exp.Distinct(expressions=[column]))
        elif func is ast.AggFunc.SUM:
            value = exp.Sum(this=column)
        elif func is ast.AggFunc.AVG:
            value = exp.Avg(this=column)
        elif func is ast.AggFunc.MIN:
            value = exp.Min(this=column)
        elif func is ast.AggFunc.MAX:
            value = exp.Max(this=column)
        elif func is ast.AggFunc.LIST_DISTINCT:
            assert column is not None
            keep = all_of([exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())), filt])
            listed = exp.Filter(
                this=exp.ArrayAgg(this=exp.Distinct(expressions=[column.copy()])),
                expression=exp.Where(this=keep),
            )
            counted = exp.Filter(
                this=exp.Count(this=column.copy()), expression=exp.Where(this=keep.copy())
            )
            return exp.Case(
                ifs=[
                    exp.If(this=exp.GT(this=counted, expression=exp.Literal.number(0)), true=listed)
                ]
            )
        else:  # pragma: no cover - FIRST/LAST are ranked CTEs
            raise AssertionError(func)
        if filt is not None:
            value = exp.Filter(this=value, expression=exp.Where(this=filt))
        return value

    def filter_sql(self, node: ast.Aggregation, aliases: dict[str, str]) -> exp.Expression | None:
        if node.filter is None:
            return None

        def resolve(e: ast.Expr) -> exp.Expression:
            assert isinstance(e, ast.ColumnRef)
            return col(e.column, aliases[e.table])

        def types(e: ast.Expr) -> ValueType:
            from relgraph.pql.checker import column_value_type

            assert isinstance(e, ast.ColumnRef)
            return column_value_type(self.schema, e.table, e.column)

        return condition(node.filter, resolve, types)

    def agg_cte(self, group: _AggGroup) -> exp.Select:
        select, key, aliases = self.path_from(group.path)
        select, conditions = self.window_join(
            select, group.path, group.window, group.event_table, aliases, key
        )
        select = self.parent_joins(select, group, aliases)
        anchor = col("anchor_time", "a")
        if not group.ranked:
            columns = [key.copy().as_("entity_id"), anchor.copy()]
            for i, resolved in enumerate(group.members, 1):
                columns.append(self.agg_value(resolved, aliases).as_(f"v{i}"))
            select = select.select(*columns)
            where = all_of(conditions)
            if where is not None:
                select = select.where(where)
            return select.group_by(key.copy(), anchor.copy())
        (resolved,) = group.members
        node = resolved.node
        table = self.schema.tables[node.table]
        assert node.column is not None and table.time_column is not None
        value = col(node.column, aliases[node.table])
        desc = node.func is ast.AggFunc.LAST
        order = exp.Order(
            expressions=[
                exp.Ordered(this=col(table.time_column, aliases[node.table]), desc=desc),
                exp.Ordered(this=col(table.primary_key or "", aliases[node.table]), desc=desc),
            ]
        )
        rank = exp.Window(
            this=exp.RowNumber(), partition_by=[key.copy(), anchor.copy()], order=order
        )
        conditions.append(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
        filt = self.filter_sql(node, aliases)
        if filt is not None:
            conditions.append(filt)
        inner = select.select(
            key.copy().as_("entity_id"), anchor.copy(), value.as_("value"), rank.as_("rn")
        ).where(all_of(conditions))
        return (
            exp.select(
                col("entity_id", "ranked"),
                col("anchor_time", "ranked"),
                col("value", "ranked").as_("v1"),
            )
            .from_(inner.subquery("ranked"))
            .where(exp.EQ(this=col("rn", "ranked"), expression=exp.Literal.number(1)))
        )

    def parent_joins(
        self, select: exp.Select, group: _AggGroup, aliases: dict[str, str]
    ) -> exp.Select:
        """LEFT JOIN the parents that the members' filters read (one row per
        aggregated row, so no row is repeated); a parent row is read as it is
        at the window's end, NULL before it exists. ``aliases`` gains them."""
        end = shifted(col("anchor_time", "a"), group.window.end, group.window.unit)
        # The aggregated table has one path to each such parent (the checker
        # says so), so a table joined here is the same row for every member.
        joined: dict[str, str] = {}
        for resolved in group.members:
            for table, path in resolved.filter_parents:
                alias = aliases[path.start]
                for hop in path.hops:
                    if hop.to_table not in joined:
                        new = f"f{len(joined) + 1}"
                        on = [
                            exp.EQ(
                                this=col(hop.to_column, new), expression=col(hop.from_column, alias)
                            )
                        ]
                        time_column = self.schema.tables[hop.to_table].time_column
                        if time_column is not None:
                            on.append(exp.LTE(this=col(time_column, new), expression=end.copy()))
                        select = select.join(
                            table_as(hop.to_table, new), on=all_of(on), join_type="LEFT"
                        )
                        joined[hop.to_table] = new
                    alias = joined[hop.to_table]
                aliases.setdefault(table, joined[table])
        return select

    # ------------------------------------------------------------ entities
    def scalar_refs(self) -> list[ast.ColumnRef]:
        static = self.c.static_path is not None
        refs = []
        for e in (
            None if static else self.c.query.target,
            self.c.query.where,
            self.c.query.assuming,
        ):
            if e is None:
                continue
            refs += [x for x in ast.expressions(e) if isinstance(x, ast.ColumnRef)]
        return list(dict.fromkeys(refs))

    def entity_columns(self, select: exp.Select, anchor: exp.Expression) -> exp.Select:
        """LEFT JOIN the single-row parents of scalar columns (visible at the anchor)."""
        columns = []
        for ref in self.scalar_refs():
            path = self.c.columns[ref].path
            alias = "e"
            for i, hop in enumerate(path.hops, 1):
                prefix = path.hops[:i]
                if prefix not in self.scalar_aliases:
                    new = f"s{len(self.scalar_aliases) + 1}"
                    self.scalar_aliases[prefix] = new
                    on = [
                        exp.EQ(this=col(hop.to_column, new), expression=col(hop.from_column, alias))
                    ]
                    time_column = self.schema.tables[hop.to_table].time_column
                    if time_column is not None:
                        on.append(exp.LTE(this=col(time_column, new), expression=anchor.copy()))
                    select = select.join(
                        table_as(hop.to_table, new), on=all_of(on), join_type="LEFT"
                    )
                alias = self.scalar_aliases[prefix]
            name = (path.hops, ref.column)
            if name not in self.scalar_names:
                self.scalar_names[name] = f"c{len(self.scalar_names) + 1}"
                columns.append(col(ref.column, alias).as_(self.scalar_names[name]))
        return select.select(*columns) if columns else select

    def ids_condition(self) -> exp.Expression | None:
        spec = self.c.query.entity
        if not spec.ids:
            return None
        vt = self.types(spec.column)
        return exp.In(this=col(self.key, "e"), expressions=[literal(v, vt) for v in spec.ids])

    def windowed_entities(self) -> exp.Select:
        entity = self.schema.tables[self.c.entity_table]
        anchor = col("anchor_time", "a")
        select = exp.select(col(self.key, "e").as_("entity_id"), anchor.copy()).from_(
            table_as(self.c.entity_table, "e")
        )
        if self.per_entity:
            own = exp.EQ(this=col("entity_id", "a"), expression=col(self.key, "e"))
            select = select.join(table_as("anchors", "a"), on=own)
        elif entity.time_column is None:
            select = select.join(table_as("anchors", "a"), join_type="CROSS")
        else:
            select = select.join(
                table_as("anchors", "a"),
                on=exp.LTE(this=col(entity.time_column, "e"), expression=anchor.copy()),
            )
        select = self.entity_columns(select, anchor)
        where = all_of(
            [
                exp.Not(this=exp.Is(this=col(self.key, "e"), expression=exp.Null())),
                self.ids_condition(),
            ]
        )
        return select.where(where)

    # ------------------------------------------------------------ examples
    def resolve_outer(self, e: ast.Expr) -> exp.Expression:
        """An expression's value in the examples CTE (entities joined with aggregations)."""
        if isinstance(e, ast.Aggregation):
            cte, column = self.value_of[e]
            value = col(column, cte)
            if e.func.empty_is_zero:
                return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
            return value
        path = self.c.columns[e].path
        return col(self.scalar_names[(path.hops, e.column)], "en")

    def label(self, value: exp.Expression, is_condition: bool) -> exp.Expression:
        task = self.c.task_type
        if is_condition or task is TaskType.binary_classification:
            return as_binary(value)
        if task is TaskType.regression:
            return exp.cast(value, "DOUBLE")
        return value

    def forecast_label(self) -> exp.Expression:
        """The list of a forecast's window values, first window first; NULL
        (no example) when any window has no value (AVG, MIN, MAX of an empty one)."""
        values = [exp.cast(self.resolve_outer(node), "DOUBLE") for node in self.step_nodes]
        if self.step_nodes[0].func.empty_is_zero:  # never NULL
            return exp.Array(expressions=values)
        missing = [exp.Is(this=v.copy(), expression=exp.Null()) for v in values]
        any_missing = missing[0]
        for m in missing[1:]:
            any_missing = exp.Or(this=any_missing, expression=m)
        return exp.Case(
            ifs=[exp.If(this=any_missing, true=exp.Null())],
            default=exp.Array(expressions=values),
        )

    def examples(
        self, label: exp.Expression, extra_joins: list[tuple[str, list[str]]]
    ) -> exp.Select:
        select = exp.select(
            col("entity_id", "en"), col("anchor_time", "en"), label.as_("label")
        ).from_(table_as("entities", "en"))
        for name in [g.name for g in self.groups]:
            on = all_of(
                [
                    exp.EQ(this=col("entity_id", name), expression=col("entity_id", "en")),
                    exp.EQ(this=col("anchor_time", name), expression=col("anchor_time", "en")),
                ]
            )
            select = select.join(exp.to_table(name), on=on, join_type="LEFT")
        for name, keys in extra_joins:
            on = all_of([exp.EQ(this=col(k, name), expression=col(k, "en")) for k in keys])
            select = select.join(exp.to_table(name), on=on)
        q = self.c.query
        filters = []
        if q.where is not None and not q.entity.ids:
            filters.append(condition(q.where, self.resolve_outer, self.types))
        if q.assuming is not None:
            filters.append(condition(q.assuming, self.resolve_outer, self.types))
        where = all_of(filters)
        return select.where(where) if where is not None else select

    def final(self, ctes: list[tuple[str, exp.Select]]) -> exp.Select:
        key_out = ident(self.key)
        select = exp.select(
            exp.alias_(col("entity_id", "examples"), key_out),
            col("anchor_time", "examples"),
            col("label", "examples"),
        ).from_("examples")
        # A multilabel example with nothing in its window is an example too (no
        # key occurs): its NULL list is kept, and read as an empty list. A
        # multicategorical column's NULL is no label (the entity is predicted).
        windowed_labels = self.c.task_type is TaskType.multilabel_classification and (
            not self.c.categories
        )
        if not windowed_labels:
            select = select.where(
                exp.Not(this=exp.Is(this=col("label", "examples"), expression=exp.Null()))
            )
        select = select.order_by(exp.column("anchor_time"), exp.Column(this=key_out.copy()))
        for name, cte in ctes:
            select = select.with_(name, as_=cte)
        return select


def step_aggregation(target: ast.Aggregation, step: int) -> ast.Aggregation:
    """The target's window moved ``step`` window lengths later: window ``step``
    (from 0) of ``FORECAST n TIMEFRAMES``.

    Example:
        >>> from relgraph.pql import parse
        >>> q = parse("PREDICT SUM(o.x, 0, 7, days) FORECAST 3 TIMEFRAMES FOR EACH c.id")
        >>> step_aggregation(q.target, 2).to_pql()
        'SUM(o.x, 14, 21, days)'
    """
    w = target.window
    assert w.start is not None and w.length is not None
    shift = step * w.length
    window = dataclasses.replace(w, start=w.start + shift, end=w.end + shift)
    return dataclasses.replace(target, window=window)


def compile_windowed(checked: CheckedQuery, anchor_times: Sequence[pd.Timestamp]) -> exp.Select:
    """SQL for the examples of a windowed target at ``anchor_times``.

    Returns a query whose rows are ``(<entity key>, anchor_time, label)``,
    ordered by anchor time and key.
    """
    assert checked.static_path is None
    b = _Builder(checked)
    ctes = [("anchors", b.anchors_cte(anchor_times)), ("entities", b.windowed_entities())]
    return _windowed_examples(b, ctes)


def _windowed_examples(b: _Builder, ctes: list[tuple[str, exp.Select]]) -> exp.Select:
    """The aggregation CTEs, the windowed target's label and the final query,
    after ``anchors`` and ``entities`` (grid or per-entity anchors)."""
    ctes = [*ctes, *((g.name, b.agg_cte(g)) for g in b.groups)]
    target = b.c.query.target
    if b.step_nodes:
        label = b.forecast_label()
    elif isinstance(target, ast.Aggregation | ast.ColumnRef):
        label = b.label(b.resolve_outer(target), is_condition=False)
    else:
        label = b.label(condition(target, b.resolve_outer, b.types), is_condition=True)
    ctes.append(("examples", b.examples(label, [])))
    return b.final(ctes)


def compile_entity_anchored(
    checked: CheckedQuery, start: pd.Timestamp | None, cutoff: pd.Timestamp
) -> exp.Select:
    """SQL for the examples of a windowed target anchored at each entity's own
    time (Kumo's ``anchor_time='entity'``): one example per entity row whose
    time is at or after ``start`` (any, when None) and whose target window
    ends by ``cutoff``, so that its label is complete by then.

    Returns rows ``(<entity key>, anchor_time, label)`` as :func:`compile_windowed`.
    """
    assert checked.static_path is None and checked.horizon is not None
    b = _Builder(checked, per_entity=True)
    entity = b.schema.tables[checked.entity_table]
    assert entity.time_column is not None
    t = col(entity.time_column, "e")
    horizon = checked.horizon
    ends = exp.LTE(
        this=shifted(t, horizon.amount, horizon.unit),
        expression=exp.cast(exp.Literal.string(cutoff.isoformat(sep=" ")), "TIMESTAMP"),
    )
    parts = [exp.Not(this=exp.Is(this=col(b.key, "e"), expression=exp.Null())), ends]
    if start is not None:
        since = exp.cast(exp.Literal.string(start.isoformat(sep=" ")), "TIMESTAMP")
        parts.append(exp.GTE(this=t.copy(), expression=since))
    anchors = (
        exp.select(
            col(b.key, "e").as_("entity_id"), exp.cast(t.copy(), "TIMESTAMP").as_("anchor_time")
        )
        .from_(table_as(checked.entity_table, "e"))
        .where(all_of(parts))
    )
    ctes = [("anchors", anchors), ("entities", b.windowed_entities())]
    return _windowed_examples(b, ctes)


def compile_static(
    checked: CheckedQuery, periods: Sequence[tuple[pd.Timestamp | None, pd.Timestamp]]
) -> exp.Select:
    """SQL for a target without a window (e.g. ``outcomes.result = 'Positive'``).

    Each period ``(start, end]`` takes the entities created in it (a static
    entity table: every row, in the first period only). An example is anchored
    at the entity's own time (the period's end for static entity tables) and
    labelled from the linked rows that exist by the period's end: a condition is
    1 when any of them meets it, 0 when all of them fail it; an entity without
    linked rows by then is not labelled.
    """
    assert checked.static_path is not None
    b = _Builder(checked)
    path = checked.static_path
    entity = b.schema.tables[checked.entity_table]
    rows = []
    for start, end in periods:
        rows.append(
            (
                exp.Literal.string(pd.Timestamp(start).isoformat(sep=" "))
                if start is not None
                else exp.Null(),
                exp.Literal.string(pd.Timestamp(end).isoformat(sep=" ")),
            )
        )
    values = exp.values(rows, alias="period_values", columns=["period_start", "period_end"])
    periods_cte = exp.select(
        exp.cast(col("period_start", "period_values"), "TIMESTAMP").as_("period_start"),
        exp.cast(col("period_end", "period_values"), "TIMESTAMP").as_("period_end"),
    ).from_(values)

    pr_start, pr_end = col("period_start", "pr"), col("period_end", "pr")
    if entity.time_column is None:
        anchor = pr_end.copy()
        on = exp.Is(this=pr_start.copy(), expression=exp.Null())
    else:
        anchor = col(entity.time_column, "e")
        on = all_of(
            [
                exp.LTE(this=anchor.copy(), expression=pr_end.copy()),
                exp.Or(
                    this=exp.Is(this=pr_start.copy(), expression=exp.Null()),
                    expression=exp.GT(this=anchor.copy(), expression=pr_start.copy()),
                ),
            ]
        )
    entities = (
        exp.select(
            col(b.key, "e").as_("entity_id"),
            anchor.copy().as_("anchor_time"),
            pr_end.copy().as_("cutoff"),
        )
        .from_(table_as(checked.entity_table, "e"))
        .join(table_as("periods", "pr"), on=on)
    )
    entities = b.entity_columns(entities, anchor)
    entities = entities.where(
        all_of(
            [exp.Not(this=exp.Is(this=col(b.key, "e"), expression=exp.Null())), b.ids_condition()]
        )
    )
    ctes = [("periods", periods_cte), ("entities", entities)]
    if b.groups:
        anchors = exp.select(col("anchor_time", "entities")).distinct().from_("entities")
        ctes.append(("anchors", anchors))
        ctes += [(g.name, b.agg_cte(g)) for g in b.groups]

    # linked rows: entity -> path, each row existing by the cutoff
    linked = (
        exp.select()
        .from_(table_as("entities", "en"))
        .join(
            table_as(checked.entity_table, "q0"),
            on=exp.EQ(this=col(b.key, "q0"), expression=col("entity_id", "en")),
        )
    )
    aliases = {path.start: "q0"}
    for i, hop in enumerate(path.hops, 1):
        alias = f"q{i}"
        aliases[hop.to_table] = alias
        on_parts = [
            exp.EQ(this=col(hop.to_column, alias), expression=col(hop.from_column, f"q{i - 1}"))
        ]
        time_column = b.schema.tables[hop.to_table].time_column
        if time_column is not None:
            on_parts.append(exp.LTE(this=col(time_column, alias), expression=col("cutoff", "en")))
        linked = linked.join(table_as(hop.to_table, alias), on=all_of(on_parts))

    def resolve(e: ast.Expr) -> exp.Expression:
        assert isinstance(e, ast.ColumnRef)
        return col(e.column, aliases[e.table])

    target = checked.query.target
    if ast.is_condition(target):
        value = exp.Max(this=as_binary(condition(target, resolve, b.types)))
    elif checked.task_type is TaskType.binary_classification:  # a boolean column
        value = exp.Max(this=as_binary(resolve(target)))
    elif checked.task_type is TaskType.regression:
        value = exp.cast(exp.Max(this=resolve(target)), "DOUBLE")
    else:
        value = exp.Max(this=resolve(target))
    linked = linked.select(
        col("entity_id", "en"), col("anchor_time", "en"), value.as_("label")
    ).group_by(col("entity_id", "en"), col("anchor_time", "en"))
    ctes.append(("linked", linked))
    examples = b.examples(col("label", "linked"), [("linked", ["entity_id", "anchor_time"])])
    ctes.append(("examples", examples))
    return b.final(ctes)
