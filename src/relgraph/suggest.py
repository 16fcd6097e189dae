"""Suggested questions: the predictive queries worth asking of a database,
found from its schema and data alone (``relgraph suggest``, docs/suggest.md).

For each table of things (a key) that a table of events (a time column)
references, relgraph proposes the questions an analyst asks first: who stops
(churn), how many events and how much of an amount next, which related rows
come next (a ranking), whether a rare kind of event happens; and, for a
timed table of things, a category to fill in for a new row. The window is
chosen from the data, so that an active entity has about one event per window.

Every suggestion is a PQL line that relgraph checked and labelled: its task
type, examples per split and label balance (or spread) are measured, and a
question whose labels are degenerate (one class, no spread, an empty split) is
left out. ``estimate=True`` adds a backtest of ``icl`` beside the best simple
baseline on each (slower: seconds per question).

Example:
    >>> import relgraph as rg
    >>> from relgraph.bench.demo import make_ecommerce
    >>> db = rg.connect(make_ecommerce(scale=0.02, seed=0))
    >>> found = rg.suggest(db, limit=3)
    >>> found[0].kind, found[0].query
    ('churn', 'PREDICT COUNT(orders.*, 0, 90, days) = 0 FOR EACH customers.customer_id WHERE COUNT(orders.*, -90, 0, days) > 0')
"""  # noqa: E501

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from relgraph.db.code_stypes import is_time_part_name
from relgraph.db.column_profile import NUMERIC_TYPES, base_type
from relgraph.db.database import Database
from relgraph.db.integer_times import is_year_name
from relgraph.db.naming import plural, singular
from relgraph.db.schema import Link, TableSchema
from relgraph.db.sources.base import quote_ident as q
from relgraph.db.stype import Stype
from relgraph.errors import RelgraphError
from relgraph.pql import ast
from relgraph.pql.ast import quote_name
from relgraph.pql.task import Task

__all__ = ["Suggestion", "suggest"]

#: Windows tried, shortest first: (amount, unit, days).
WINDOWS = ((7, "days", 7), (30, "days", 30), (90, "days", 90), (365, "days", 365))
#: A question needs the events to span this many windows (train, val, test).
MIN_WINDOWS = 4
#: Fewer labelled training examples than this, and a question is left out.
MIN_EXAMPLES = 50
#: A value of an event table's category is rare between these shares of rows.
RARE_SHARE = (0.005, 0.1)

_AMOUNT_WORDS = ("amount", "total", "revenue", "sales", "spend", "value", "points", "quantity",
                 "qty", "units", "count", "score", "price", "cost")  # fmt: skip


@dataclass
class Suggestion:
    """One suggested question, checked and labelled.

    ``labels`` is the training split's balance (classification: positive rate
    or classes) or spread (regression: mean, std, ...); ``estimate`` (with
    ``suggest(..., estimate=True)``) the test metric of ``icl`` and of the best
    simple baseline."""

    kind: str
    question: str
    query: str
    task_type: str
    examples: dict[str, int]
    labels: dict[str, Any]
    seconds: float
    estimate: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "question": self.question,
            "query": self.query,
            "task_type": self.task_type,
            "examples": self.examples,
            "labels": self.labels,
            "seconds": round(self.seconds, 3),
            "estimate": self.estimate,
        }


def suggest(
    db: Database,
    limit: int = 10,
    estimate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Suggestion]:
    """The questions worth asking of ``db``, most useful first.

    Args:
        db (Database): the database (``relgraph.connect(...)``).
        limit (int): at most this many suggestions. (default: ``10``)
        estimate (bool): backtest ``icl`` (fast) against ``baseline`` and
            ``prior`` on each, for ``Suggestion.estimate``. (default: ``False``)
        progress (callable, optional): called with each candidate query before
            it is checked and labelled.

    Returns:
        Checked suggestions with their examples and label balance; empty when
        no table of events references a table of things.
    """
    out: list[Suggestion] = []
    for kind, question, query in _candidates(db):
        if len(out) >= limit:
            break
        if progress is not None:
            progress(query)
        found = _measure(db, kind, question, query)
        if found is None:
            continue
        if estimate:
            found.estimate = _estimate(db, query)
        out.append(found)
    return out


# ---------------------------------------------------------------- candidates
@dataclass(frozen=True)
class _Pair:
    entity: str
    events: str
    link: Link
    window: tuple[int, str]
    rows: int


def _candidates(db: Database) -> Iterator[tuple[str, str, str]]:
    """(kind, question, query): every kind for the most telling pair, then a
    category to fill in, then the next pairs, a new entity table before a
    second pair of one already used."""
    pairs = _ranked(db, _pairs(db))
    kinds = (_churn, _count, _amount, _next_items, _rare_event)
    fill_in = _fill_in(db)
    for i, pair in enumerate(pairs):
        for make in kinds:
            yield from make(db, pair)
        if i == 0:
            yield from itertools.islice(fill_in, 1)
    yield from fill_in


def _ranked(db: Database, pairs: list[_Pair]) -> list[_Pair]:
    """The largest tables of things first (customers before the countries
    they live in), the busiest events first; each entity table's best pair
    before any second one."""
    tables = db.schema.tables

    def key(p: _Pair) -> tuple:
        return (-tables[p.entity].num_rows, -p.rows)

    seen: dict[str, int] = {}
    order = []
    for pair in sorted(pairs, key=key):
        order.append((seen.get(pair.entity, 0), key(pair), pair))
        seen[pair.entity] = seen.get(pair.entity, 0) + 1
    return [pair for _, _, pair in sorted(order, key=lambda x: (x[0], x[1]))]


def _pairs(db: Database) -> list[_Pair]:
    schema = db.schema
    out = []
    for link in schema.links:
        events, entity = schema.tables[link.src_table], schema.tables[link.dst_table]
        if events.time_column is None or events.name == entity.name:
            continue
        if entity.generated_key or len(schema.link_parts(link)[0]) > 1 and not entity.key_columns:
            continue
        # rows timed by the entity's own time are its details (a race's
        # results, an order's items), all known at once: nothing to forecast
        if events.time_origin.split(".", 1)[0] == entity.name:
            continue
        if _is_period(entity):  # a table of seasons is a calendar, not things
            continue
        # one link per (entity, events): a second one is a role (origin, dest)
        if any(p.entity == entity.name and p.events == events.name for p in out):
            continue
        window, rows = _window(db, events, link)
        if window is not None:
            out.append(_Pair(entity.name, events.name, link, window, rows))
    return out


def _window(db: Database, events: TableSchema, link: Link) -> tuple[tuple[int, str] | None, int]:
    """The shortest window in which an active entity has about one event."""
    t, c = q(events.time_column or ""), q(link.src_column)
    rows, entities, first, last = db.con.execute(
        f"SELECT count(*), count(DISTINCT {c}), min({t}), max({t}) FROM {q(events.name)} "
        f"WHERE {t} IS NOT NULL AND {c} IS NOT NULL"
    ).fetchall()[0]
    if not rows or first is None:
        return None, 0
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days
    yearly = events.time_origin.endswith(tuple(_year_columns(events)))
    if yearly:  # a row per season: a season is the window
        return ((1, "years") if span >= 365 * MIN_WINDOWS else None), int(rows)
    per_day = rows / max(entities, 1) / max(span, 1)
    for amount, unit, days in WINDOWS:
        if per_day * days >= 1 and span >= MIN_WINDOWS * days:
            return (amount, unit), int(rows)
    amount, unit, days = WINDOWS[-1]
    return ((amount, unit) if span >= MIN_WINDOWS * days else None), int(rows)


def _is_period(table: TableSchema) -> bool:
    keys = table.key_columns or ((table.primary_key,) if table.primary_key else ())
    return len(keys) == 1 and is_year_name(keys[0])


def _year_columns(table: TableSchema) -> list[str]:
    """The origin of a time read from one integer column of the table (a
    year), not from a date's parts (``year, month, day``) or another table."""
    origin = table.time_origin
    name, _, column = origin.partition(".")
    return [origin] if origin and name == table.name and column in table.columns else []


def _entity(db: Database, table: str) -> str:
    t = db.schema.tables[table]
    if t.key_columns:
        return f"{quote_name(table)}.({', '.join(quote_name(c) for c in t.key_columns)})"
    return f"{quote_name(table)}.{quote_name(t.primary_key or '')}"


@dataclass(frozen=True)
class _Clauses:
    """The pieces every question of a pair writes: the events table (quoted),
    its ``VIA`` when the events reach the entity in more than one way (``""``
    otherwise), the window ``amount, unit``, the activity filter and ``FOR EACH``."""

    events: str
    via: str
    window: str
    active: str
    each: str


def _clauses(db: Database, pair: _Pair) -> _Clauses:
    amount, unit = pair.window
    events = quote_name(pair.events)
    ways = len([x for x in db.schema.links_from(pair.events) if x.dst_table == pair.entity])
    via = f" VIA {events}.{quote_name(pair.link.src_column)}" if ways > 1 else ""
    active = f"WHERE COUNT({events}.*{via}, -{amount}, 0, {unit}) > 0"
    each = f"FOR EACH {_entity(db, pair.entity)}"
    return _Clauses(events, via, f"{amount}, {unit}", active, each)


def _words(pair: _Pair) -> str:
    amount, unit = pair.window
    return f"{amount} {unit[:-1] if amount == 1 else unit}"


def _churn(db: Database, pair: _Pair) -> Iterator[tuple[str, str, str]]:
    c = _clauses(db, pair)
    question = (
        f"Which active {plural(pair.entity)} will have no {plural(pair.events)} "
        f"in the next {_words(pair)}?"
    )
    yield (
        "churn",
        question,
        f"PREDICT COUNT({c.events}.*{c.via}, 0, {c.window}) = 0 {c.each} {c.active}",
    )


def _count(db: Database, pair: _Pair) -> Iterator[tuple[str, str, str]]:
    c = _clauses(db, pair)
    question = (
        f"How many {plural(pair.events)} will each active {singular(pair.entity)} have in the next "
        f"{_words(pair)}?"
    )
    target = f"COUNT({c.events}.*{c.via}, 0, {c.window})"
    yield "count", question, f"PREDICT {target} {c.each} {c.active}"


def _amount(db: Database, pair: _Pair) -> Iterator[tuple[str, str, str]]:
    column = _amount_column(db, pair.events)
    if column is None:
        return
    c = _clauses(db, pair)
    source = f"{c.events}.{quote_name(column)}{c.via}"
    # a column named as a sum already ("total", "sum_amount") is not said twice
    named_sum = {"total", "sum"} & set(column.lower().replace("_", " ").split())
    amount = column if named_sum else f"total {column}"
    question = (
        f"What {amount} of {pair.events} will each active {singular(pair.entity)} have "
        f"in the next {_words(pair)}?"
    )
    yield "amount", question, f"PREDICT SUM({source}, 0, {c.window}) {c.each} {c.active}"


def _amount_column(db: Database, table: str) -> str | None:
    """The numerical column of ``table`` that reads most as an amount: named so,
    never negative, with many values."""
    t = db.schema.tables[table]
    best, score = None, 0
    for column, stype in t.columns.items():
        if stype is not Stype.numerical or column == t.time_column:
            continue
        if base_type(t.dtypes.get(column, "")) not in NUMERIC_TYPES:
            continue  # a clock time or an interval
        lo, distinct = db.con.execute(
            f"SELECT min({q(column)}), approx_count_distinct({q(column)}) FROM {q(table)}"
        ).fetchall()[0]
        if lo is None or lo < 0 or distinct < 5:
            continue
        # only a name says a sum means something (a sum of temperatures,
        # race rounds or clock times does not); earlier words first
        ranks = [i for i, w in enumerate(_AMOUNT_WORDS) if w in column.lower()]
        s = len(_AMOUNT_WORDS) - min(ranks) if ranks else 0
        if s > score:
            best, score = column, s
    return best


def _next_items(db: Database, pair: _Pair) -> Iterator[tuple[str, str, str]]:
    """A ranking of the things the entity's events (or their detail rows:
    an order's items) reference: tables of things with no time of their own,
    which recur across events (products, not orders); the largest such table
    (the destinations of a plane's flights, not its one airline)."""
    c = _clauses(db, pair)
    schema = db.schema
    details = [x.src_table for x in schema.links_to(pair.events) if x.src_table != pair.events]
    options = []
    for table in (pair.events, *details):
        for link in schema.links_from(table):
            target = schema.tables[link.dst_table]
            if link.dst_table in (pair.entity, pair.events, table) or target.time_column:
                continue
            if _is_period(target) or len(schema.link_parts(link)[0]) > 1:
                continue
            if target.num_rows >= 10:
                options.append((target.num_rows, table, link))
    if not options:
        return
    _, table, link = max(options, key=lambda x: x[0])
    source = f"{quote_name(table)}.{quote_name(link.src_column)}"
    question = (
        f"Which {link.dst_table} will each active {singular(pair.entity)} have "
        f"{pair.events} with in the next {_words(pair)} (top 10)?"
    )
    yield (
        "next items",
        question,
        f"PREDICT LIST_DISTINCT({source}, 0, {c.window}) RANK TOP 10 {c.each} {c.active}",
    )


def _rare_event(db: Database, pair: _Pair) -> Iterator[tuple[str, str, str]]:
    c = _clauses(db, pair)
    t = db.schema.tables[pair.events]
    for column, stype in t.columns.items():
        if stype is not Stype.categorical or is_time_part_name(column):
            continue
        rows = db.con.execute(
            f"SELECT {q(column)}, count(*) * 1.0 / sum(count(*)) OVER () AS share "
            f"FROM {q(pair.events)} WHERE {q(column)} IS NOT NULL GROUP BY 1 ORDER BY 2"
        ).fetchall()
        rare = [(v, s) for v, s in rows if RARE_SHARE[0] <= s <= RARE_SHARE[1]]
        if not rare or len(rows) > 50:
            continue
        value = rare[-1][0]
        literal = ast.Literal(value).to_pql()
        question = (
            f"Will an active {singular(pair.entity)} have {pair.events} with {column} = {value} "
            f"in the next {_words(pair)}?"
        )
        where = f"{c.events}.{quote_name(column)} = {literal}"
        yield (
            "rare event",
            question,
            f"PREDICT COUNT({c.events}.*{c.via} WHERE {where}, 0, {c.window}) > 0 "
            f"{c.each} {c.active}",
        )
        return


def _fill_in(db: Database) -> Iterator[tuple[str, str, str]]:
    """A category of a table of things that others reference: for a row as it
    appears (a timed table), or learned from the other rows (a table without
    time: its rows split by a hash of the key)."""
    schema = db.schema
    timed = sorted(schema.tables.values(), key=lambda t: t.time_column is None)
    for table in timed:
        if table.generated_key or not schema.links_to(table.name):
            continue
        linked = {x.src_column for x in schema.links_from(table.name)}
        for column, stype in table.columns.items():
            if stype is not Stype.categorical or column in linked or is_time_part_name(column):
                continue
            if column in table.key_columns or column == table.primary_key:
                continue
            classes = db.con.execute(
                f"SELECT count(DISTINCT {q(column)}) FROM {q(table.name)}"
            ).fetchall()[0][0]
            if not 2 <= classes <= 20:
                continue
            question = (
                f"What {column} will a new {singular(table.name)} have?"
                if table.time_column
                else f"What {column} has each {singular(table.name)}, learned from the others?"
            )
            target = f"{quote_name(table.name)}.{quote_name(column)}"
            yield "fill in", question, f"PREDICT {target} FOR EACH {_entity(db, table.name)}"
            break


# ---------------------------------------------------------------- measuring
def _measure(db: Database, kind: str, question: str, query: str) -> Suggestion | None:
    start = time.perf_counter()
    try:
        task = Task.from_query(db, query)
        summary = task.summary()
    except RelgraphError:
        return None  # a candidate relgraph cannot label is not suggested
    splits = summary["splits"]
    examples = {s: int(info["examples"]) for s, info in splits.items()}
    labels = splits["train"]["labels"]
    if examples["train"] < MIN_EXAMPLES or not examples["val"] or not examples["test"]:
        return None
    if not _informative(summary["task_type"], labels):
        return None
    return Suggestion(
        kind=kind,
        question=question,
        query=task.query.to_pql(),
        task_type=summary["task_type"],
        examples=examples,
        labels=labels,
        seconds=time.perf_counter() - start,
    )


def _informative(task_type: str, labels: dict[str, Any]) -> bool:
    if task_type == "binary_classification":
        return 0.005 <= labels.get("positive_rate", 0) <= 0.995
    if task_type == "regression":
        return labels.get("std", 0) > 0
    if task_type == "multiclass_classification":
        return labels.get("classes", 0) >= 2
    return labels.get("mean_list_size", 0) > 0


def _estimate(db: Database, query: str) -> dict[str, Any]:
    """icl (fast) and the best of baseline and prior on the test split."""
    from relgraph.evaluate.evaluation import evaluate_models

    task = Task.from_query(db, query)
    try:
        ev = evaluate_models(task, ["icl", "baseline", "prior"])
    except RelgraphError as exc:
        return {"error": str(exc).splitlines()[0]}
    metric = task.metrics[0]
    scores = {run.model: run.scores["test"][metric] for run in ev.runs}
    higher = metric not in ("mae", "rmse", "log_loss")
    pick = max if higher else min
    best = pick(("baseline", "prior"), key=lambda m: scores.get(m, float("nan")))
    return {"metric": metric, "icl": scores.get("icl"), "best_simple": best,
            "best_simple_score": scores.get(best)}  # fmt: skip
