"""A brute-force PQL executor in plain pandas and Python loops (test-only).

Slow and obviously correct: for every anchor time and every entity it walks
the join path row by row and applies DESIGN.md section 3 literally. It reuses
only the checker's name resolution (which join path an aggregation follows);
windows, visibility, NULLs, three-valued logic, aggregation and the static
"any linked row" rule are all done here, independently of the SQL compiler.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from relgraph.db.paths import JoinPath
from relgraph.pql import ast
from relgraph.pql.checker import CheckedQuery
from relgraph.pql.duration import offset
from relgraph.pql.task_type import TaskType

Row = dict[str, Any]


def _null(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _clean(v: Any) -> Any:
    return None if _null(v) else v


class Reference:
    def __init__(self, db: Any, checked: CheckedQuery) -> None:
        self.c = checked
        self.schema = checked.schema
        self.rows: dict[str, list[Row]] = {}
        for name in self.schema.tables:
            frame = db.table(name)
            self.rows[name] = [
                {k: _clean(v) for k, v in rec.items()} for rec in frame.to_dict("records")
            ]

    # ------------------------------------------------------------ time
    def time(self, table: str, row: Row) -> pd.Timestamp | None:
        column = self.schema.tables[table].time_column
        if column is None:
            return None
        v = row[column]
        return None if v is None else pd.Timestamp(v)

    def visible(self, table: str, row: Row, at: pd.Timestamp) -> bool:
        """Static rows always; timed rows with a time ``<= at``; NULL times never."""
        if self.schema.tables[table].time_column is None:
            return True
        t = self.time(table, row)
        return t is not None and t <= at

    # ------------------------------------------------------------ paths
    def instances(self, path: JoinPath, entity_row: Row) -> list[dict[str, Row]]:
        """Every path instance (table -> row) from one entity row."""
        out = [{path.start: entity_row}]
        for hop in path.hops:
            nxt = []
            for inst in out:
                value = inst[hop.from_table][hop.from_column]
                if value is None:
                    continue
                for row in self.rows[hop.to_table]:
                    if row[hop.to_column] is not None and row[hop.to_column] == value:
                        nxt.append({**inst, hop.to_table: row})
            out = nxt
        return out

    # ------------------------------------------------------------ aggregations
    def aggregate(
        self, agg: ast.Aggregation, entity_row: Row, t: pd.Timestamp, shift: int = 0
    ) -> Any:
        """``agg`` at ``t``, its window moved ``shift`` units later (a forecast's later windows)."""
        resolved = self.c.aggregations[agg]
        path, event = resolved.path, resolved.event_table
        w = agg.window
        lo = None if w.start is None else t + offset(w.start + shift, w.unit)
        hi = t + offset(w.end + shift, w.unit)
        tables = path.tables[1:] if path.hops else path.tables
        kept = []
        for inst in self.instances(path, entity_row):
            ok = True
            for name in tables:
                if self.schema.tables[name].time_column is None:
                    continue
                time = self.time(name, inst[name])
                if time is None or time > hi or name == event and lo is not None and not time > lo:
                    ok = False
            if ok and agg.filter is not None:
                parents = self.parents(resolved, inst[agg.table], hi)
                ok = (
                    self.cond(
                        agg.filter,
                        lambda e, inst=inst, parents=parents: (
                            inst[e.table][e.column]
                            if e.table in inst
                            else (parents[e.table] or {}).get(e.column)
                        ),
                    )
                    is True
                )
            if ok:
                kept.append(inst)
        func = agg.func
        if func is ast.AggFunc.COUNT and agg.column is None:
            return len(kept)
        values = [inst[agg.table][agg.column] for inst in kept]
        present = [v for v in values if v is not None]
        if func is ast.AggFunc.COUNT:
            return len(present)
        if func is ast.AggFunc.COUNT_DISTINCT:
            return len(set(present))
        if func is ast.AggFunc.SUM:
            return sum(present) if present else 0
        if not present:
            return None
        if func is ast.AggFunc.AVG:
            return sum(present) / len(present)
        if func is ast.AggFunc.MIN:
            return min(present)
        if func is ast.AggFunc.MAX:
            return max(present)
        if func is ast.AggFunc.LIST_DISTINCT:
            return sorted(set(present))
        table = self.schema.tables[agg.table]
        ranked = sorted(
            (
                (self.time(agg.table, inst[agg.table]), inst[agg.table][table.primary_key], inst)
                for inst in kept
                if inst[agg.table][agg.column] is not None
            ),
            key=lambda x: (x[0], x[1]),
        )
        pick = ranked[0] if func is ast.AggFunc.FIRST else ranked[-1]
        return pick[2][agg.table][agg.column]

    def parents(self, resolved: Any, row: Row, at: pd.Timestamp) -> dict[str, Row | None]:
        """The row of each parent a filter reads, following its links from the
        aggregated row, as visible at ``at`` (None when missing)."""
        out: dict[str, Row | None] = {}
        for table, path in resolved.filter_parents:
            current: Row | None = row
            for hop in path.hops:
                value = None if current is None else current[hop.from_column]
                current = next(
                    (
                        cand
                        for cand in self.rows[hop.to_table]
                        if value is not None
                        and cand[hop.to_column] == value
                        and self.visible(hop.to_table, cand, at)
                    ),
                    None,
                )
            out[table] = current
        return out

    def scalar(self, ref: ast.ColumnRef, entity_row: Row, t: pd.Timestamp) -> Any:
        """A column of the entity or of a single-row parent visible at ``t``."""
        path = self.c.columns[ref].path
        row = entity_row
        for hop in path.hops:
            value = row[hop.from_column]
            nxt = None
            if value is not None:
                for cand in self.rows[hop.to_table]:
                    if cand[hop.to_column] == value and self.visible(hop.to_table, cand, t):
                        nxt = cand
                        break
            if nxt is None:
                return None
            row = nxt
        return row[ref.column]

    # ------------------------------------------------------------ conditions (3VL)
    def cond(self, cond: ast.Condition, value: Any) -> bool | None:
        if isinstance(cond, ast.And):
            a, b = self.cond(cond.left, value), self.cond(cond.right, value)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if isinstance(cond, ast.Or):
            a, b = self.cond(cond.left, value), self.cond(cond.right, value)
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if isinstance(cond, ast.Not):
            a = self.cond(cond.operand, value)
            return None if a is None else not a
        x = value(cond.expr)
        if isinstance(cond, ast.IsNull):
            return (x is not None) if cond.negated else (x is None)
        if x is None:
            return None
        if isinstance(x, pd.Timestamp | pd.Timestamp) or hasattr(x, "to_pydatetime"):
            x = pd.Timestamp(x)

        def lit(v: ast.Literal) -> Any:
            if isinstance(x, pd.Timestamp) and isinstance(v.value, str):
                return pd.Timestamp(v.value)
            return v.value

        if isinstance(cond, ast.Comparison):
            y = lit(cond.value)
            return {
                ast.CompareOp.EQ: x == y,
                ast.CompareOp.NE: x != y,
                ast.CompareOp.LT: x < y,
                ast.CompareOp.LE: x <= y,
                ast.CompareOp.GT: x > y,
                ast.CompareOp.GE: x >= y,
            }[cond.op]
        if isinstance(cond, ast.InList):
            found = any(x == lit(v) for v in cond.values)
            return not found if cond.negated else found
        if isinstance(cond, ast.Like):
            pattern = "".join(
                ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                for ch in str(cond.pattern.value)
            )
            found = re.fullmatch(pattern, x, flags=re.DOTALL) is not None
            return not found if cond.negated else found
        text = str(cond.text.value)
        if cond.op is ast.TextOp.CONTAINS:
            found = text in x
        elif cond.op is ast.TextOp.STARTS_WITH:
            found = x.startswith(text)
        else:
            found = x.endswith(text)
        return not found if cond.negated else found

    def outer_value(self, entity_row: Row, t: pd.Timestamp):
        cache: dict[Any, Any] = {}

        def value(e: ast.Expr) -> Any:
            if e not in cache:
                if isinstance(e, ast.Aggregation):
                    cache[e] = self.aggregate(e, entity_row, t)
                else:
                    cache[e] = self.scalar(e, entity_row, t)
            return cache[e]

        return value

    # ------------------------------------------------------------ labels
    def label_of(self, x: Any) -> Any:
        task = self.c.task_type
        if self.c.categories:
            return self.categories_of(x)
        if task is TaskType.multilabel_classification:
            return [] if x is None else x  # an empty window: no key occurs
        if x is None:
            return None
        if task is TaskType.binary_classification:
            return int(bool(x))
        if task is TaskType.regression:
            return float(x)
        return x

    def categories_of(self, x: Any) -> list[str] | None:
        """A multicategorical value's sorted distinct items: a list's own,
        text split at | ; or , (trimmed, empties dropped). Ranking has no
        example without any (nothing to rank)."""
        if x is None:
            return None
        items = re.split(r"[|;,]", x) if isinstance(x, str) else list(x)
        found = sorted({str(i).strip() for i in items if not _null(i) and str(i).strip()})
        return found if found or self.c.k is None else None

    def forecast_label(self, target: Any, entity_row: Row, t: pd.Timestamp) -> list | None:
        """FORECAST n TIMEFRAMES: the target in its window and the n - 1 windows
        of its length after it; no example when any of them has no value."""
        w = target.window
        values = [
            self.aggregate(target, entity_row, t, shift=i * (w.end - w.start))
            for i in range(self.c.steps)
        ]
        return None if any(v is None for v in values) else [float(v) for v in values]

    def keep(self, entity_row: Row, t: pd.Timestamp) -> bool:
        q = self.c.query
        value = self.outer_value(entity_row, t)
        if q.where is not None and not q.entity.ids and self.cond(q.where, value) is not True:
            return False
        return not (q.assuming is not None and self.cond(q.assuming, value) is not True)

    def entities(self) -> list[Row]:
        key = self.c.entity_key
        spec = self.c.query.entity
        ids = {v.value for v in spec.ids}
        return [
            r
            for r in self.rows[self.c.entity_table]
            if r[key] is not None and (not ids or r[key] in ids)
        ]

    def windowed(self, anchors: list[pd.Timestamp]) -> list[tuple[Any, pd.Timestamp, Any]]:
        out = []
        target = self.c.query.target
        table = self.c.entity_table
        for t in anchors:
            for e in self.entities():
                if not self.visible(table, e, t):
                    continue
                value = self.outer_value(e, t)
                if self.c.steps is not None:
                    label = self.forecast_label(target, e, t)
                else:
                    x = self.cond(target, value) if ast.is_condition(target) else value(target)
                    label = self.label_of(x)
                if label is None or not self.keep(e, t):
                    continue
                out.append((e[self.c.entity_key], t, label))
        return out

    def static(self, anchors: list[pd.Timestamp], since: pd.Timestamp | None) -> list[tuple]:
        out = []
        path = self.c.static_path
        assert path is not None
        target = self.c.query.target
        table = self.c.entity_table
        timed = self.schema.tables[table].time_column is not None
        periods = []
        start = since
        for end in anchors:
            if start is None or end > start:
                periods.append((start, end))
                start = end
        for lo, hi in periods:
            for e in self.entities():
                if timed:
                    t = self.time(table, e)
                    if t is None or t > hi or (lo is not None and not t > lo):
                        continue
                else:
                    if lo is not None:
                        continue
                    t = hi
                labels = []
                for inst in self.instances(path, e):
                    if not all(self.visible(n, inst[n], hi) for n in path.tables[1:]):
                        continue

                    def value(x: ast.Expr, inst=inst) -> Any:
                        return inst[x.table][x.column]

                    if ast.is_condition(target):
                        v = self.cond(target, value)
                        v = None if v is None else int(v)
                    else:
                        v = value(target)
                        if self.c.task_type is TaskType.binary_classification and v is not None:
                            v = int(bool(v))
                    if v is not None:
                        labels.append(v)
                if not labels:
                    continue
                label = self.label_of(max(labels))
                if label is None or not self.keep(e, t):
                    continue
                out.append((e[self.c.entity_key], t, label))
        return out


def reference_table(
    db: Any, checked: CheckedQuery, anchors: list, since: Any = None
) -> pd.DataFrame:
    """The labelled examples of ``checked`` at ``anchors``, as Task.table_at gives them."""
    ref = Reference(db, checked)
    times = sorted({pd.Timestamp(a) for a in anchors})
    if checked.static_path is not None:
        rows = ref.static(times, None if since is None else pd.Timestamp(since))
    else:
        rows = ref.windowed(times)
    frame = pd.DataFrame(rows, columns=[checked.entity_key, "anchor_time", "label"])
    return frame.sort_values(["anchor_time", checked.entity_key], kind="stable").reset_index(
        drop=True
    )


def same_tables(got: pd.DataFrame, want: pd.DataFrame, key: str) -> None:
    """Assert two label tables are equal row for row (floats to 1e-9)."""
    got = got.sort_values(["anchor_time", key], kind="stable").reset_index(drop=True)
    want = want.sort_values(["anchor_time", key], kind="stable").reset_index(drop=True)
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}:\n{got}\n{want}"
    assert list(got[key]) == list(want[key]), f"keys differ:\n{got}\n{want}"
    assert [pd.Timestamp(t) for t in got["anchor_time"]] == [
        pd.Timestamp(t) for t in want["anchor_time"]
    ], "anchor times differ"
    for i, (a, b) in enumerate(zip(got["label"], want["label"], strict=True)):
        if isinstance(b, float) or isinstance(a, float):
            assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9), (i, a, b)
        elif isinstance(b, list) and b and all(isinstance(x, float) for x in b):
            assert len(a) == len(b), (i, a, b)
            pairs = zip(a, b, strict=True)
            close = [math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in pairs]
            assert all(close), (i, a, b)
        elif isinstance(b, list):
            assert list(a) == b, (i, a, b)
        else:
            assert a == b, (i, a, b, got.iloc[i], want.iloc[i])
