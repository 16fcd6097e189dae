"""The PQL grammar and parser: every construct, round trips, and every syntax error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relgraph as rg
from relgraph.errors import PQLSemanticError, PQLSyntaxError
from relgraph.pql import ast, parse
from relgraph.pql.parser import COMMON_MISTAKES, MAX_DEPTH

EVERY_CONSTRUCT = [
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
    "PREDICT COUNT_DISTINCT(orders.channel, 0, 7, weeks) FOR EACH customers.customer_id",
    "PREDICT SUM(orders.amount, 0, 30) > 100.5 FOR EACH customers.customer_id",
    "PREDICT AVG(orders.amount, 0, 2, months) FOR EACH customers.customer_id",
    "PREDICT MIN(orders.amount, 1, 48, hours) <= 3 FOR EACH customers.customer_id",
    "PREDICT MAX(orders.amount, 0, 90, minutes) >= -2 FOR EACH customers.customer_id",
    "PREDICT FIRST(orders.channel, 0, 60, seconds) FOR EACH customers.customer_id",
    "PREDICT LAST(orders.channel, 0, 30) CLASSIFY FOR EACH customers.customer_id",
    "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 10 "
    "FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.* VIA orders.seller_id, 0, 30) > 0 FOR EACH customers.customer_id",
    "PREDICT COUNT(order_items.* VIA order_items.order_id, orders.customer_id "
    "WHERE order_items.quantity > 1, 0, 30) FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.* WHERE orders.status = 'refunded' AND NOT orders.amount < 10 "
    "OR orders.channel IN ('web', 'app'), 0, 30) FOR EACH customers.customer_id",
    "PREDICT customers.segment FOR customers.customer_id = 7",
    "PREDICT customers.segment FOR customers.customer_id IN (7, 8, 9)",
    "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id",
    "PREDICT outcomes.result != 'Positive' FOR studies.study_id = 'NCT-4403'",
    "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -INF, 0) >= 1 AND customers.country NOT IN ('US') "
    "ASSUMING SUM(orders.amount, 0, 30) > 10",
    "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id "
    "WHERE customers.country IS NULL OR customers.country IS NOT NULL",
    "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id "
    "WHERE customers.name LIKE 'A%' AND customers.name NOT LIKE '_b%'",
    "PREDICT COUNT(orders.*, 0, 30) > 0 FOR EACH customers.customer_id "
    "WHERE customers.name CONTAINS 'x' OR customers.name STARTS WITH 'y' "
    "OR customers.name ENDS WITH 'z'",
    "PREDICT customers.vip = TRUE FOR EACH customers.customer_id WHERE customers.blocked = FALSE",
    'PREDICT "order"."count" > 1 FOR EACH "select"."my key"',
    "PREDICT COUNT(orders.*, -30, 0) FOR EACH customers.customer_id",  # parses; the checker objects
]


@pytest.mark.parametrize("text", EVERY_CONSTRUCT)
def test_round_trip(text: str) -> None:
    query = parse(text)
    again = parse(query.to_pql())
    assert again == query
    assert again.to_pql() == query.to_pql()


def test_ast_types_and_positions() -> None:
    text = (
        "PREDICT COUNT(orders.* VIA orders.customer_id WHERE orders.amount > 5, 0, 30, days) > 0 "
        "FOR EACH customers.customer_id"
    )
    q = parse(text)
    assert isinstance(q.target, ast.Comparison)
    agg = q.target.expr
    assert isinstance(agg, ast.Aggregation)
    assert agg.func is ast.AggFunc.COUNT and agg.column is None and agg.table == "orders"
    assert agg.via == (ast.ColumnRef("orders", "customer_id"),)
    assert agg.window == ast.Window(0, 30, ast.TimeUnit.days)
    assert isinstance(agg.filter, ast.Comparison) and agg.filter.value.value == 5
    assert text[agg.table_loc.start : agg.table_loc.end] == "orders"
    assert text[agg.loc.start : agg.loc.end].startswith("COUNT(") and text[agg.loc.end - 1] == ")"
    assert text[q.entity.column.column_loc.start : q.entity.column.column_loc.end] == "customer_id"
    assert q.entity.form is ast.EntityForm.EACH and q.where is None and q.rank is None


def test_keywords_are_case_insensitive_and_identifiers_are_not() -> None:
    a = parse("predict count(Orders.*, 0, 30, DAYS) = 0 for each Customers.customerId")
    b = parse("PREDICT COUNT(Orders.*, 0, 30, days) = 0 FOR EACH Customers.customerId")
    assert a == b
    assert a.entity.column == ast.ColumnRef("Customers", "customerId")


def test_names_spelled_like_keywords() -> None:
    q = parse("PREDICT COUNT(t.*, 0, 1) FOR EACH counts.count WHERE counts.where = 1")
    assert q.entity.column == ast.ColumnRef("counts", "count")  # after '.', a name
    quoted = parse('PREDICT "count".x FOR EACH "for"."each"')
    assert quoted.target == ast.ColumnRef("count", "x")
    assert quoted.to_pql() == 'PREDICT "count".x FOR EACH "for"."each"'
    assert parse('PREDICT "a""b".c FOR EACH t.k').target == ast.ColumnRef('a"b', "c")


def test_precedence_and_parentheses() -> None:
    q = parse("PREDICT t.a = 1 OR t.b = 2 AND NOT t.c = 3 FOR EACH t.k")
    assert isinstance(q.target, ast.Or)
    assert isinstance(q.target.right, ast.And) and isinstance(q.target.right.right, ast.Not)
    p = parse("PREDICT (t.a = 1 OR t.b = 2) AND t.c = 3 FOR EACH t.k")
    assert isinstance(p.target, ast.And) and isinstance(p.target.left, ast.Or)
    assert parse(p.to_pql()) == p


def test_literals() -> None:
    q = parse("PREDICT t.a IN ('it''s', -3, 2.5, 1e3, TRUE, false) FOR EACH t.k")
    values = [v.value for v in q.target.values]
    assert values == ["it's", -3, 2.5, 1000.0, True, False]
    assert [v.kind for v in q.target.values] == [
        "string",
        "number",
        "number",
        "number",
        "boolean",
        "boolean",
    ]
    assert parse("PREDICT t.a = '' FOR EACH t.k").target.value.value == ""
    assert parse("PREDICT t.a <> 1 FOR EACH t.k").target.op is ast.CompareOp.NE


def test_windows_and_units() -> None:
    for word, unit in [("day", "days"), ("HOURS", "hours"), ("week", "weeks"), ("month", "months")]:
        q = parse(f"PREDICT COUNT(t.*, 0, 2, {word}) FOR EACH t.k")
        assert q.target.window.unit.value == unit
    q = parse("PREDICT COUNT(t.*, 0, 2) FOR EACH t.k WHERE COUNT(t.*, - INF, -1) > 0")
    assert q.target.window.unit is ast.TimeUnit.days
    assert q.where.expr.window.start is None and q.where.expr.window.end == -1


def test_multiline_query_and_whitespace() -> None:
    q = parse("PREDICT\n  COUNT(orders.*, 0, 30)\n  > 0\nFOR EACH\n  customers.customer_id\n")
    assert q.to_pql() == "PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH customers.customer_id"


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize("label", sorted(COMMON_MISTAKES))
def test_every_common_mistake_is_recognised(label: str) -> None:
    description, hint, examples = COMMON_MISTAKES[label]
    for example in examples:
        with pytest.raises(PQLSyntaxError, match=r"PQL syntax error at line \d+, column \d+") as e:
            parse(example)
        assert e.value.label == label, (example, e.value.label)
        assert description in str(e.value) and hint in str(e.value)


def test_syntax_error_details() -> None:
    text = "PREDICT COUNT(orders.*) FOR EACH customers.customer_id"
    with pytest.raises(PQLSyntaxError, match="an aggregation needs a time window") as e:
        parse(text)
    err = e.value
    assert (err.line, err.column) == (1, 23)
    assert err.start == text.index(")")
    assert "','" in err.expected and "WHERE" in err.expected
    lines = str(err).splitlines()
    assert lines[1].strip() == text
    assert lines[2].index("^") == lines[1].index(text) + err.start
    assert err.errors[0]["line"] == 1 and err.errors[0]["col"] == 23
    assert err.query == text and "COUNT(orders.*, 0, 30, days)" in err.hint


def test_syntax_error_on_a_later_line() -> None:
    with pytest.raises(PQLSyntaxError, match="line 3, column 12: unexpected end of the query") as e:
        parse("PREDICT c.x\nFOR EACH c.id\nWHERE c.x >")
    assert "  3 | WHERE c.x >" in str(e.value)
    assert (
        "Expected one of: FALSE, TRUE, a 'string', "
        "a date (2024-01-31 or 2024-01-31 12:00:00), a number" in str(e.value)
    )


def test_unexpected_token_without_a_known_mistake() -> None:
    with pytest.raises(PQLSyntaxError, match=r"unexpected '\)'") as e:
        parse("PREDICT t.a IN () FOR EACH t.k")
    assert e.value.label == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "PREDICT c.x FOR EACH c.id;",
            "unexpected character ';'(?s:.*)Expected one of: ASSUMING, WHERE, the end of the "
            "query\nHint: PQL has no ';'",
        ),
        ("PREDICT c.x = 'abc FOR EACH c.id", "unterminated string"),
        ('PREDICT "c.x FOR EACH c.id', "unterminated quoted name"),
        ("PREDICT c.x @ 1 FOR EACH c.id", "unexpected character '@'"),
    ],
)
def test_unexpected_characters(text: str, message: str) -> None:
    with pytest.raises(PQLSyntaxError, match=message):
        parse(text)


def test_query_must_be_text() -> None:
    with pytest.raises(PQLSyntaxError, match="Expected the query as a str"):
        parse(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------- schema-free semantic errors


@pytest.mark.parametrize(
    ("text", "message", "token"),
    [
        ("PREDICT COUNT(t.*, 0, 30, dayz) FOR EACH t.k", "Unknown time unit 'dayz'", "dayz"),
        ("PREDICT COUNT(t.*, 0.5, 30) FOR EACH t.k", "whole number of the unit", "0.5"),
        ("PREDICT COUNT(t.*, 0, INF) FOR EACH t.k", "must end at a finite offset", "INF"),
        ("PREDICT COUNT(t.*, 0, -INF) FOR EACH t.k", "must end at a finite offset", "-INF"),
        ("PREDICT COUNT(t.*, INF, 3) FOR EACH t.k", "cannot start at \\+INF", "INF"),
    ],
)
def test_window_errors_at_parse_time(text: str, message: str, token: str) -> None:
    with pytest.raises(PQLSemanticError, match=message) as e:
        parse(text)
    assert text[e.value.start : e.value.end] == token
    assert "^" * len(token) in str(e.value)


def test_unit_error_suggests_the_closest_unit() -> None:
    with pytest.raises(PQLSemanticError, match="did you mean days"):
        parse("PREDICT COUNT(t.*, 0, 30, dayz) FOR EACH t.k")


# ---------------------------------------------------------------- depth


DEEP_CONDITIONS = {
    "ors": " OR ".join(["c.x = 1"] * 3000),
    "ands": " AND ".join(["c.x = 1"] * 3000),
    "nots": "NOT " * 3000 + "c.x = 1",
}


@pytest.mark.parametrize("kind", sorted(DEEP_CONDITIONS))
def test_over_deep_conditions_are_refused_without_recursion_error(kind: str) -> None:
    text = f"PREDICT c.x > 1 FOR EACH c.id WHERE {DEEP_CONDITIONS[kind]}"
    with pytest.raises(
        PQLSyntaxError, match="nests deeper than 100 levels of AND, OR and NOT"
    ) as e:
        parse(text)
    err = e.value
    assert err.label == "too_deep" and "IN" in err.hint
    assert text[err.start : err.end] in ("OR", "AND", "NOT")
    assert err.line == 1 and err.column == err.start + 1


def test_the_depth_limit_is_counted_over_nested_conditions() -> None:
    at_limit = " OR ".join(["c.x = 1"] * (MAX_DEPTH + 1))  # MAX_DEPTH ORs
    query = parse(f"PREDICT c.x > 1 FOR EACH c.id WHERE {at_limit}")
    assert isinstance(query.where, ast.Or)
    # Parentheses add no level; an aggregation's filter nests inside the
    # conditions around the aggregation.
    parse(f"PREDICT c.x > 1 FOR EACH c.id WHERE {'(' * 500}c.x = 1{')' * 500}")
    filtered = f"COUNT(o.* WHERE {'NOT ' * MAX_DEPTH}o.y = 1, 0, 30) > 0"
    parse(f"PREDICT {filtered} FOR EACH c.id")
    with pytest.raises(PQLSyntaxError, match="nests deeper than"):
        parse(f"PREDICT NOT {filtered} FOR EACH c.id")


# ---------------------------------------------------------------- round trips of random trees

names = st.sampled_from(["t", "orders", "Order", "count", "a b", 'q"x', "_x1"])
columns = st.builds(ast.ColumnRef, names, names)
literals = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda x: x == x),
    st.text(max_size=5),
    st.booleans(),
).map(ast.Literal)
windows = st.builds(
    ast.Window,
    st.one_of(st.none(), st.integers(-50, 50)),
    st.integers(-50, 50),
    st.sampled_from(list(ast.TimeUnit)),
)
aggregations = st.builds(
    ast.Aggregation,
    st.sampled_from(list(ast.AggFunc)),
    names,
    st.one_of(st.none(), names),
    windows,
    via=st.lists(columns, max_size=2).map(tuple),
)
exprs = st.one_of(columns, aggregations)
predicates = st.one_of(
    st.builds(ast.Comparison, exprs, st.sampled_from(list(ast.CompareOp)), literals),
    st.builds(
        ast.InList, exprs, st.lists(literals, min_size=1, max_size=3).map(tuple), st.booleans()
    ),
    st.builds(ast.IsNull, exprs, st.booleans()),
    st.builds(ast.Like, exprs, st.text(max_size=4).map(ast.Literal), st.booleans()),
    st.builds(
        ast.TextMatch,
        exprs,
        st.sampled_from(list(ast.TextOp)),
        st.text(max_size=4).map(ast.Literal),
    ),
)
conditions = st.recursive(
    predicates,
    lambda inner: st.one_of(
        st.builds(ast.And, inner, inner), st.builds(ast.Or, inner, inner), st.builds(ast.Not, inner)
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None)
@given(
    target=st.one_of(exprs, conditions),
    entity=columns,
    where=st.one_of(st.none(), conditions),
    assuming=st.one_of(st.none(), conditions),
    classify=st.booleans(),
    rank=st.one_of(st.none(), st.integers(1, 100).map(ast.RankTop)),
)
def test_random_trees_round_trip(target, entity, where, assuming, classify, rank) -> None:
    query = ast.Query(
        target=target,
        entity=ast.EntitySpec(entity),
        where=where,
        assuming=assuming,
        classify=classify,
        rank=rank,
    )
    assert parse(query.to_pql()) == query


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('c.kind = "Electronics"', "c.kind = 'Electronics'"),
        ('c.kind IN ("a", "b""c")', "c.kind IN ('a', 'b\"c')"),
        ("c.joined < 2022-01-01 12:45:30", "c.joined < '2022-01-01 12:45:30'"),
        ("c.joined >= 2022-01-01", "c.joined >= '2022-01-01'"),
        ("c.joined > 2022-01-01T08:00", "c.joined > '2022-01-01T08:00'"),
        ("c.country NOT CONTAINS 'U'", "c.country NOT CONTAINS 'U'"),
        ('c.country NOT STARTS WITH "U"', "c.country NOT STARTS WITH 'U'"),
        ("c.country NOT ENDS WITH 'K'", "c.country NOT ENDS WITH 'K'"),
    ],
)
def test_kumo_style_values_and_negated_text_matches(text: str, written: str) -> None:
    query = parse(f"PREDICT COUNT(o.*, 0, 30, days) FOR EACH c.id WHERE {text}")
    assert query.where is not None
    assert query.where.to_pql() == written
    assert parse(query.to_pql()) == query  # round trip through relgraph's own writing


def test_a_double_quoted_text_is_still_a_name_where_a_name_stands() -> None:
    query = parse('PREDICT COUNT("order".*, 0, 30, days) FOR EACH c.id WHERE "order"."count" > 1')
    assert query.target.table == "order"
    assert query.where.expr.column == "count"


def test_evaluate_predict_round_trips_and_checks_as_the_plain_query(market) -> None:
    query = parse("evaluate PREDICT COUNT(reviews.*, 0, 30, days) FOR EACH customers.customer_id")
    assert query.evaluate and query.to_pql().startswith("EVALUATE PREDICT COUNT(")
    assert parse(query.to_pql()) == query
    plain = parse(query.to_pql().removeprefix("EVALUATE "))
    assert plain != query  # the flag is part of the query as written ...
    assert rg.pql.check(query, market.schema).query == plain  # ... not of what it asks
