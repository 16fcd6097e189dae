"""Kumo-style shorthand conditions, rewritten into the aggregations they mean
before a query is checked (docs/pql.md, "Shorthand conditions").

- ``LIST_DISTINCT(t.col, s, e) [NOT] CONTAINS 'v'``: whether the window's
  distinct values hold ``'v'`` (an element, not a substring), i.e.
  ``COUNT(t.col WHERE t.col = 'v', s, e) > 0`` (``= 0`` with ``NOT``).
- In ``WHERE``, a condition on a column of a table with many rows per entity
  (``transactions.category = 'Electronics'`` FOR EACH customers): "any of the
  entity's rows so far", i.e. ``COUNT(transactions.* WHERE <condition>, -INF, 0)
  > 0``. Each such condition stands alone: ``a.x = 1 AND a.y = 2`` asks for a
  row with ``x = 1`` and a row with ``y = 2``, not one row with both (write the
  ``COUNT`` with both in its ``WHERE`` for that).

The new nodes carry the locations of the text they replace, so that errors
found later point at what the user wrote.

Example:
    >>> from relgraph.pql.parser import parse
    >>> q = parse("PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH users.user_id "
    ...           "WHERE LIST_DISTINCT(orders.category, -90, 0, days) CONTAINS 'Food'")
    >>> expand_list_contains(q.where).to_pql()
    "COUNT(orders.category WHERE orders.category = 'Food', -90, 0, days) > 0"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from relgraph.db.schema import Schema
from relgraph.pql import ast
from relgraph.pql.paths import find_paths

__all__ = ["expand_any_row", "expand_list_contains", "expand_shorthand"]


def expand_shorthand(query: ast.Query, schema: Schema) -> ast.Query:
    """``query`` with every shorthand condition written out (see the module
    docstring); a query without one is returned as it is."""
    entity = query.entity.column.table
    changes = {}
    if query.target is not None and isinstance(query.target, ast.CONDITIONS):
        changes["target"] = expand_list_contains(query.target)
    if query.where is not None:
        where = expand_list_contains(query.where)
        changes["where"] = expand_any_row(where, schema, entity)
    if query.assuming is not None:
        changes["assuming"] = expand_list_contains(query.assuming)
    changed = {k: v for k, v in changes.items() if v is not getattr(query, k)}
    return dataclasses.replace(query, **changed) if changed else query


def expand_list_contains(cond: ast.Condition) -> ast.Condition:
    """``LIST_DISTINCT(t.col, s, e) [NOT] CONTAINS 'v'`` as a ``COUNT``."""
    return _map_predicates(cond, _list_contains)


def expand_any_row(cond: ast.Condition, schema: Schema, entity_table: str) -> ast.Condition:
    """Conditions on a column of a table with many rows per entity as "any of
    the entity's rows so far"."""
    return _map_predicates(cond, lambda p: _any_row(p, schema, entity_table))


def _list_contains(pred: ast.Predicate) -> ast.Condition | None:
    agg = pred.expr
    if not (
        isinstance(pred, ast.TextMatch)
        and pred.op is ast.TextOp.CONTAINS
        and isinstance(agg, ast.Aggregation)
        and agg.func is ast.AggFunc.LIST_DISTINCT
        and agg.column is not None
    ):
        return None
    column = ast.ColumnRef(
        agg.table, agg.column, loc=agg.loc, table_loc=agg.table_loc, column_loc=agg.column_loc
    )
    element = ast.Comparison(column, ast.CompareOp.EQ, pred.text, loc=pred.loc, op_loc=pred.loc)
    count = ast.Aggregation(
        ast.AggFunc.COUNT,
        agg.table,
        agg.column,
        agg.window,
        via=agg.via,
        filter=element if agg.filter is None else ast.And(agg.filter, element, loc=agg.loc),
        loc=agg.loc,
        func_loc=agg.func_loc,
        table_loc=agg.table_loc,
        column_loc=agg.column_loc,
    )
    op = ast.CompareOp.EQ if pred.negated else ast.CompareOp.GT
    return ast.Comparison(count, op, ast.Literal(0, pred.loc), loc=pred.loc, op_loc=pred.loc)


def _any_row(pred: ast.Predicate, schema: Schema, entity_table: str) -> ast.Condition | None:
    ref = pred.expr
    if not isinstance(ref, ast.ColumnRef) or ref.table == entity_table:
        return None
    if ref.table not in schema.tables or entity_table not in schema.tables:
        return None  # the checker says what is unknown
    paths = find_paths(schema, entity_table, ref.table)
    if len(paths) != 1 or paths[0].is_single_row:
        return None  # one row per entity, no path, or several (the checker explains)
    count = ast.Aggregation(
        ast.AggFunc.COUNT,
        ref.table,
        None,
        ast.Window(None, 0, loc=pred.loc, start_loc=pred.loc, end_loc=pred.loc),
        filter=pred,
        loc=ref.loc,
        func_loc=ref.loc,
        table_loc=ref.table_loc,
        column_loc=ref.column_loc,
    )
    return ast.Comparison(
        count, ast.CompareOp.GT, ast.Literal(0, pred.loc), loc=pred.loc, op_loc=pred.loc
    )


def _map_predicates(
    cond: ast.Condition, rewrite: Callable[[ast.Predicate], ast.Condition | None]
) -> ast.Condition:
    """``cond`` with each predicate replaced by ``rewrite(predicate)`` where
    that is not None (the same object when nothing changes)."""
    if isinstance(cond, ast.And | ast.Or):
        left = _map_predicates(cond.left, rewrite)
        right = _map_predicates(cond.right, rewrite)
        if left is cond.left and right is cond.right:
            return cond
        return type(cond)(left, right, loc=cond.loc)
    if isinstance(cond, ast.Not):
        operand = _map_predicates(cond.operand, rewrite)
        return cond if operand is cond.operand else ast.Not(operand, loc=cond.loc)
    return rewrite(cond) or cond
