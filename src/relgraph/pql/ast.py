"""The typed syntax tree of a PQL query.

Nodes are frozen dataclasses. Source positions (``loc``: character offsets in
the query text) are kept for error carets but left out of equality, so that a
query equals the parse of its own :meth:`Query.to_pql` text.

Example:
    >>> from relgraph.pql import parse
    >>> q = parse("PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id")
    >>> q.entity.column
    ColumnRef(table='customers', column='customer_id')
    >>> q.target.expr.func, q.target.expr.window.end
    (<AggFunc.COUNT: 'COUNT'>, 30)
    >>> parse(q.to_pql()) == q
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Union

#: Words of the grammar; identifiers spelled like one are quoted by :meth:`to_pql`.
KEYWORDS = frozenset(
    """
    PREDICT RANK TOP CLASSIFY FORECAST TIMEFRAMES TIMEFRAME FOR EACH IN WHERE ASSUMING VIA
    AND OR NOT IS NULL LIKE
    CONTAINS STARTS ENDS WITH TRUE FALSE INF COUNT COUNT_DISTINCT SUM AVG MIN MAX FIRST
    LAST LIST_DISTINCT
    """.split()  # noqa: SIM905 (a word list)
)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Loc:
    """Character offsets ``[start, end)`` of a node in the query text."""

    start: int
    end: int


NOWHERE = Loc(0, 0)


def _loc() -> Loc:
    return field(default=NOWHERE, compare=False, repr=False)


def quote_name(name: str) -> str:
    """A table or column name as PQL text: double-quoted when needed."""
    if _PLAIN_NAME.match(name) and name.upper() not in KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


class AggFunc(StrEnum):
    """Aggregation functions."""

    COUNT = "COUNT"
    COUNT_DISTINCT = "COUNT_DISTINCT"
    SUM = "SUM"
    AVG = "AVG"
    MIN = "MIN"
    MAX = "MAX"
    FIRST = "FIRST"
    LAST = "LAST"
    LIST_DISTINCT = "LIST_DISTINCT"

    @property
    def empty_is_zero(self) -> bool:
        """COUNT, COUNT_DISTINCT and SUM give 0 on an empty window; the rest NULL."""
        return self in (AggFunc.COUNT, AggFunc.COUNT_DISTINCT, AggFunc.SUM)


class TimeUnit(StrEnum):
    """Units of a window."""

    seconds = "seconds"
    minutes = "minutes"
    hours = "hours"
    days = "days"
    weeks = "weeks"
    months = "months"
    years = "years"

    @classmethod
    def lookup(cls, word: str) -> TimeUnit | None:
        """``days``, ``day``, ``DAYS`` -> :attr:`days`; ``None`` when unknown."""
        w = word.lower()
        for unit in cls:
            if w in (unit.value, unit.value[:-1]):
                return unit
        return None


# ---------------------------------------------------------------- literals and expressions


@dataclass(frozen=True)
class Literal:
    """A constant: a string, a number (int or float) or a boolean."""

    value: str | int | float | bool
    loc: Loc = _loc()

    @property
    def kind(self) -> str:
        """``'string'``, ``'number'`` or ``'boolean'``."""
        if isinstance(self.value, bool):
            return "boolean"
        if isinstance(self.value, str):
            return "string"
        return "number"

    def to_pql(self) -> str:
        if isinstance(self.value, bool):
            return "TRUE" if self.value else "FALSE"
        if isinstance(self.value, str):
            return "'" + self.value.replace("'", "''") + "'"
        return repr(self.value)


@dataclass(frozen=True)
class ColumnRef:
    """``table.column``."""

    table: str
    column: str
    loc: Loc = _loc()
    table_loc: Loc = _loc()
    column_loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"{quote_name(self.table)}.{quote_name(self.column)}"

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class Window:
    """``(start, end, unit)``: rows with time in ``(t + start, t + end]``.

    ``start`` is ``None`` for ``-INF``.
    """

    start: int | None
    end: int
    unit: TimeUnit = TimeUnit.days
    loc: Loc = _loc()
    start_loc: Loc = _loc()
    end_loc: Loc = _loc()

    def to_pql(self) -> str:
        start = "-INF" if self.start is None else str(self.start)
        return f"{start}, {self.end}, {self.unit.value}"

    @property
    def length(self) -> int | None:
        """``end - start`` in :attr:`unit` (``None`` for ``-INF``)."""
        return None if self.start is None else self.end - self.start


@dataclass(frozen=True)
class Aggregation:
    """``FUNC(table.column | table.* [VIA t.fk, ...] [WHERE cond], start, end[, unit])``."""

    func: AggFunc
    table: str
    column: str | None  # None for table.*
    window: Window
    via: tuple[ColumnRef, ...] = ()
    filter: Condition | None = None
    loc: Loc = _loc()
    func_loc: Loc = _loc()
    table_loc: Loc = _loc()
    column_loc: Loc = _loc()

    @property
    def source(self) -> str:
        return f"{self.table}.{self.column if self.column is not None else '*'}"

    def to_pql(self) -> str:
        col = "*" if self.column is None else quote_name(self.column)
        inner = f"{quote_name(self.table)}.{col}"
        if self.via:
            inner += " VIA " + ", ".join(v.to_pql() for v in self.via)
        if self.filter is not None:
            inner += " WHERE " + self.filter.to_pql()
        return f"{self.func.value}({inner}, {self.window.to_pql()})"


Expr = Union[ColumnRef, Aggregation]  # noqa: UP007 (a runtime alias used in isinstance)


# ---------------------------------------------------------------- conditions


class CompareOp(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Comparison:
    """``expr op literal``."""

    expr: Expr
    op: CompareOp
    value: Literal
    loc: Loc = _loc()
    op_loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"{self.expr.to_pql()} {self.op.value} {self.value.to_pql()}"


@dataclass(frozen=True)
class InList:
    """``expr [NOT] IN (v1, v2, ...)``."""

    expr: Expr
    values: tuple[Literal, ...]
    negated: bool = False
    loc: Loc = _loc()

    def to_pql(self) -> str:
        values = ", ".join(v.to_pql() for v in self.values)
        return f"{self.expr.to_pql()} {'NOT IN' if self.negated else 'IN'} ({values})"


@dataclass(frozen=True)
class IsNull:
    """``expr IS [NOT] NULL``."""

    expr: Expr
    negated: bool = False
    loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"{self.expr.to_pql()} IS {'NOT NULL' if self.negated else 'NULL'}"


@dataclass(frozen=True)
class Like:
    """``expr [NOT] LIKE 'pattern'`` (SQL patterns: ``%`` any text, ``_`` one character)."""

    expr: Expr
    pattern: Literal
    negated: bool = False
    loc: Loc = _loc()

    def to_pql(self) -> str:
        return (
            f"{self.expr.to_pql()} {'NOT LIKE' if self.negated else 'LIKE'} {self.pattern.to_pql()}"
        )


class TextOp(StrEnum):
    CONTAINS = "CONTAINS"
    STARTS_WITH = "STARTS WITH"
    ENDS_WITH = "ENDS WITH"


@dataclass(frozen=True)
class TextMatch:
    """``expr [NOT] CONTAINS|STARTS WITH|ENDS WITH 'text'`` (plain text, no
    pattern). A NULL value matches neither form."""

    expr: Expr
    op: TextOp
    text: Literal
    negated: bool = False
    loc: Loc = _loc()

    def to_pql(self) -> str:
        op = f"NOT {self.op.value}" if self.negated else self.op.value
        return f"{self.expr.to_pql()} {op} {self.text.to_pql()}"


@dataclass(frozen=True)
class And:
    left: Condition
    right: Condition
    loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"{_wrap(self.left, Or)} AND {_wrap(self.right, Or, And)}"


@dataclass(frozen=True)
class Or:
    left: Condition
    right: Condition
    loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"{self.left.to_pql()} OR {_wrap(self.right, Or)}"


@dataclass(frozen=True)
class Not:
    operand: Condition
    loc: Loc = _loc()

    def to_pql(self) -> str:
        return f"NOT {_wrap(self.operand, Or, And)}"


Predicate = Union[Comparison, InList, IsNull, Like, TextMatch]  # noqa: UP007
Condition = Union[Predicate, And, Or, Not]  # noqa: UP007
PREDICATES = (Comparison, InList, IsNull, Like, TextMatch)
CONDITIONS = (*PREDICATES, And, Or, Not)


def _wrap(cond: Condition, *needs_parens: type) -> str:
    text = cond.to_pql()
    return f"({text})" if isinstance(cond, needs_parens) else text


# ---------------------------------------------------------------- the query


class EntityForm(StrEnum):
    EACH = "each"  # FOR EACH t.pk
    EQ = "eq"  # FOR t.pk = v
    IN = "in"  # FOR t.pk IN (v1, ...)


@dataclass(frozen=True)
class EntitySpec:
    """Which entities: every row (``FOR EACH``) or given ids."""

    column: ColumnRef
    form: EntityForm = EntityForm.EACH
    ids: tuple[Literal, ...] = ()
    loc: Loc = _loc()
    #: The columns of a composite key as written (``FOR EACH Teams.(yearID,
    #: teamID)``); ``column`` then names the key relgraph made from them.
    parts: tuple[str, ...] = ()

    def to_pql(self) -> str:
        if self.form is EntityForm.EACH and self.parts:
            names = ", ".join(quote_name(p) for p in self.parts)
            return f"FOR EACH {quote_name(self.column.table)}.({names})"
        if self.form is EntityForm.EACH:
            return f"FOR EACH {self.column.to_pql()}"
        if self.form is EntityForm.EQ:
            return f"FOR {self.column.to_pql()} = {self.ids[0].to_pql()}"
        return f"FOR {self.column.to_pql()} IN ({', '.join(v.to_pql() for v in self.ids)})"


@dataclass(frozen=True)
class RankTop:
    """``RANK TOP k``."""

    k: int | float
    loc: Loc = _loc()


@dataclass(frozen=True)
class Forecast:
    """``FORECAST n TIMEFRAMES``: the target's window and the ``n - 1`` windows
    of the same length that follow it."""

    n: int | float
    loc: Loc = _loc()
    n_loc: Loc = _loc()


@dataclass(frozen=True)
class Query:
    """A whole predictive query. ``evaluate`` (``EVALUATE PREDICT ...``) asks
    for a backtest of it instead of predictions; the labels are the same."""

    target: Expr | Condition
    entity: EntitySpec
    rank: RankTop | None = None
    classify: bool = False
    where: Condition | None = None
    assuming: Condition | None = None
    text: str = field(default="", compare=False, repr=False)
    classify_loc: Loc = _loc()
    evaluate: bool = False
    forecast: Forecast | None = None

    def to_pql(self) -> str:
        """Canonical PQL text (keywords upper case, minimal quoting and parentheses)."""
        parts = ["EVALUATE"] if self.evaluate else []
        parts.append(f"PREDICT {self.target.to_pql()}")
        if self.rank is not None:
            parts.append(f"RANK TOP {self.rank.k}")
        if self.classify:
            parts.append("CLASSIFY")
        if self.forecast is not None:
            parts.append(f"FORECAST {self.forecast.n} TIMEFRAMES")
        parts.append(self.entity.to_pql())
        if self.where is not None:
            parts.append(f"WHERE {self.where.to_pql()}")
        if self.assuming is not None:
            parts.append(f"ASSUMING {self.assuming.to_pql()}")
        return " ".join(parts)

    def __str__(self) -> str:
        return self.to_pql()


# ---------------------------------------------------------------- walking


def is_condition(node: object) -> bool:
    return isinstance(node, CONDITIONS)


def predicates(cond: Condition) -> Iterator[Predicate]:
    """The leaves of a condition, left to right."""
    if isinstance(cond, And | Or):
        yield from predicates(cond.left)
        yield from predicates(cond.right)
    elif isinstance(cond, Not):
        yield from predicates(cond.operand)
    else:
        yield cond


def expressions(node: Expr | Condition) -> Iterator[Expr]:
    """The expressions of a target or condition (not those inside aggregation filters)."""
    if isinstance(node, ColumnRef | Aggregation):
        yield node
    else:
        for leaf in predicates(node):
            yield leaf.expr
