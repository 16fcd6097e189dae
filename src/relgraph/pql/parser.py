"""Parsing PQL text into a typed :class:`~relgraph.pql.ast.Query`.

The grammar (``grammar.lark``) is LALR(1); lark's errors are turned into one
:class:`~relgraph.errors.PQLSyntaxError` with line, column, a caret snippet,
the tokens the grammar expected, and, for common mistakes recognised from
example errors (in the manner of lark's ``match_examples``), a label and a
hint that says how to fix the query.

Example:
    >>> from relgraph.pql import parse
    >>> q = parse("predict avg(results.positionOrder, 0, 60) for each drivers.driverId")
    >>> q.to_pql()
    'PREDICT AVG(results.positionOrder, 0, 60, days) FOR EACH drivers.driverId'
    >>> parse("PREDICT COUNT(orders.*) FOR EACH customers.customer_id")
    Traceback (most recent call last):
    ...
    relgraph.errors.PQLSyntaxError: PQL syntax error at line 1, column 23: an aggregation needs a time window (got ')').
      PREDICT COUNT(orders.*) FOR EACH customers.customer_id
                            ^
    Expected one of: ',', VIA, WHERE
    Hint: write the window after the column: COUNT(orders.*, 0, 30, days) covers (t, t + 30 days].
"""  # noqa: E501 (a doctest of the whole error message)

from __future__ import annotations

import functools
import math
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from relgraph.errors import PQLSemanticError, PQLSyntaxError
from relgraph.pql import ast
from relgraph.pql.snippet import line_column, located

__all__ = ["MAX_DEPTH", "parse"]

#: The most AND / OR / NOT operators a condition may nest (``a OR b OR c`` nests
#: two). Deeper trees are refused: every later step walks conditions
#: recursively, and Python's stack allows about a thousand frames.
MAX_DEPTH = 100


@functools.cache
def _parser() -> Lark:
    grammar = files("relgraph.pql").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True)


def parse(text: str) -> ast.Query:
    """Parse a PQL query.

    Args:
        text (str): the query, e.g.
            ``"PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"``.

    Returns:
        The :class:`~relgraph.pql.ast.Query` (not yet checked against a schema;
        see :func:`relgraph.pql.check`).

    Raises:
        PQLSyntaxError: the text does not follow the grammar, or its conditions
            nest deeper than :data:`MAX_DEPTH` levels of AND, OR and NOT.
        PQLSemanticError: a part that needs no schema is wrong (an unknown
            time unit, a window bound that is not a whole number, ``INF`` as end).
    """
    if not isinstance(text, str):
        raise PQLSyntaxError(f"Expected the query as a str (got {type(text).__name__}).")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    _check_depth(text, tree)
    return _Builder(text).query(tree.children[0])


_CONDITION_NODES = ("or_", "and_", "not_")


def _check_depth(text: str, tree: Tree) -> None:
    """Refuse conditions nested deeper than :data:`MAX_DEPTH` (walked without
    recursion, so that the check itself cannot run out of stack)."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _CONDITION_NODES:
            depth += 1
            if depth > MAX_DEPTH:
                raise _depth_error(text, node)
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))


def _depth_error(text: str, node: Tree) -> PQLSyntaxError:
    """The error for a condition nested too deep, with the caret under the
    operator where the limit is passed."""
    operator = next((c for c in node.children if isinstance(c, Token)), None)
    loc = _loc(operator if operator is not None else node)
    line, column = line_column(text, loc.start)
    hint = (
        "write a long chain of ORs of one column as IN, e.g. customers.country IN ('DE', "
        "'FR', 'US'), drop doubled NOTs (NOT NOT x is x), or split the query."
    )
    message = (
        f"PQL syntax error at line {line}, column {column}: the query nests deeper than "
        f"{MAX_DEPTH} levels of AND, OR and NOT (a chain a OR b OR c counts two)."
    )
    return PQLSyntaxError(
        located(message, text, loc.start, loc.end, hint),
        query=text,
        start=loc.start,
        end=loc.end,
        hint=hint,
        line=line,
        column=column,
        label="too_deep",
    )


# ---------------------------------------------------------------- tree -> AST


def _loc(node: Tree | Token) -> ast.Loc:
    if isinstance(node, Token):
        return ast.Loc(node.start_pos, node.end_pos)
    meta = node.meta
    if getattr(meta, "empty", True):
        return ast.NOWHERE
    return ast.Loc(meta.start_pos, meta.end_pos)


def _span(a: ast.Loc, b: ast.Loc) -> ast.Loc:
    return ast.Loc(a.start, b.end)


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, message: str, loc: ast.Loc, hint: str = "") -> PQLSemanticError:
        return PQLSemanticError(
            located(message, self.text, loc.start, loc.end, hint),
            query=self.text,
            start=loc.start,
            end=loc.end,
            hint=hint,
        )

    # ------------------------------------------------------------ clauses
    def query(self, tree: Tree) -> ast.Query:
        target = None
        fields: dict[str, Any] = {}
        for child in tree.children:
            if isinstance(child, Token):
                if child.type == "EVALUATE":
                    fields["evaluate"] = True
                continue
            kind = child.data
            if kind == "target":
                target = self.target(child)
            elif kind == "rank_clause":
                number = child.children[-1]
                fields["rank"] = ast.RankTop(self.number(number), _loc(number))
            elif kind == "forecast_clause":
                number = child.children[1]
                fields["forecast"] = ast.Forecast(self.number(number), _loc(child), _loc(number))
            elif kind == "classify_clause":
                fields["classify"] = True
                fields["classify_loc"] = _loc(child)
            elif kind in ("for_each", "for_each_parts", "for_eq", "for_in"):
                fields["entity"] = self.entity(child)
            elif kind == "where_clause":
                fields["where"] = self.cond(child.children[-1])
            elif kind == "assuming_clause":
                fields["assuming"] = self.cond(child.children[-1])
        assert target is not None
        return ast.Query(target=target, text=self.text, **fields)

    def target(self, tree: Tree) -> ast.Expr | ast.Condition:
        (node,) = tree.children
        if node.data in ("column_ref", "aggregation"):
            return self.expr(node)
        return self.cond(node)

    def entity(self, tree: Tree) -> ast.EntitySpec:
        trees = [c for c in tree.children if isinstance(c, Tree)]
        if tree.data == "for_each_parts":
            # The checker resolves the parts to the key column relgraph made.
            table, *names = trees[0].children
            parts = tuple(self.name(n) for n in names)
            column = ast.ColumnRef(
                self.name(table),
                "_".join(parts),
                loc=_loc(trees[0]),
                table_loc=_loc(table),
                column_loc=_loc(trees[0]),
            )
            return ast.EntitySpec(column=column, loc=_loc(tree), parts=parts)
        column = self.column_ref(trees[0])
        ids = tuple(self.literal(t) for t in trees[1:])
        form = {"for_each": ast.EntityForm.EACH, "for_eq": ast.EntityForm.EQ}.get(
            tree.data, ast.EntityForm.IN
        )
        return ast.EntitySpec(column=column, form=form, ids=ids, loc=_loc(tree))

    # ------------------------------------------------------------ conditions
    def cond(self, tree: Tree) -> ast.Condition:
        kind = tree.data
        loc = _loc(tree)
        if kind in ("or_", "and_"):
            left, right = (c for c in tree.children if isinstance(c, Tree))
            node = ast.Or if kind == "or_" else ast.And
            return node(self.cond(left), self.cond(right), loc=loc)
        if kind == "not_":
            operand = next(c for c in tree.children if isinstance(c, Tree))
            return ast.Not(self.cond(operand), loc=loc)
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in tree.children)
        trees = [c for c in tree.children if isinstance(c, Tree)]
        expr = self.expr(trees[0])
        if kind == "compare":
            op_token = trees[1].children[0]
            return ast.Comparison(
                expr,
                ast.CompareOp("!=" if op_token.value == "<>" else op_token.value),
                self.literal(trees[2]),
                loc=loc,
                op_loc=_loc(op_token),
            )
        if kind == "in_list":
            values = tuple(self.literal(t) for t in trees[1:])
            return ast.InList(expr, values, negated=negated, loc=loc)
        if kind == "is_null":
            return ast.IsNull(expr, negated=negated, loc=loc)
        last = tree.children[-1]
        # CONTAINS takes any value: a list of ids may hold a number
        string = self.literal(last) if kind == "contains" else self.string(last)
        if kind == "like":
            return ast.Like(expr, string, negated=negated, loc=loc)
        op = {
            "contains": ast.TextOp.CONTAINS,
            "starts_with": ast.TextOp.STARTS_WITH,
            "ends_with": ast.TextOp.ENDS_WITH,
        }[kind]
        return ast.TextMatch(expr, op, string, negated=negated, loc=loc)

    # ------------------------------------------------------------ expressions
    def expr(self, tree: Tree) -> ast.Expr:
        if tree.data == "column_ref":
            return self.column_ref(tree)
        return self.aggregation(tree)

    def column_ref(self, tree: Tree) -> ast.ColumnRef:
        table, column = tree.children
        return ast.ColumnRef(
            self.name(table),
            self.name(column),
            loc=_loc(tree),
            table_loc=_loc(table),
            column_loc=_loc(column),
        )

    def aggregation(self, tree: Tree) -> ast.Aggregation:
        func_tree, source, tail = tree.children
        func = ast.AggFunc(func_tree.children[0].type)
        table_tree = source.children[0]
        column_node = source.children[1]
        column = None if source.data == "agg_star" else self.name(column_node)
        via: list[ast.ColumnRef] = []
        node = tail
        while True:  # agg_tail / via_rest: [VIA] column_ref via_rest | agg_filter
            trees = [c for c in node.children if isinstance(c, Tree)]
            if trees[0].data == "column_ref":
                via.append(self.column_ref(trees[0]))
                node = trees[1]
            else:
                node = trees[0]
                break
        parts = [c for c in node.children if isinstance(c, Tree)]
        cond = self.cond(parts[0]) if len(parts) == 2 else None
        return ast.Aggregation(
            func=func,
            table=self.name(table_tree),
            column=column,
            window=self.window(parts[-1]),
            via=tuple(via),
            filter=cond,
            loc=_loc(tree),
            func_loc=_loc(func_tree),
            table_loc=_loc(table_tree),
            column_loc=_loc(column_node),
        )

    def window(self, tree: Tree) -> ast.Window:
        bounds = [c for c in tree.children if isinstance(c, Tree)]
        unit_token = next((c for c in tree.children if isinstance(c, Token)), None)
        start_tok, end_tok = (b.children[0] for b in bounds)
        if start_tok.type == "INF":
            raise self.error(
                "A window cannot start at +INF.", _loc(start_tok), "write -INF for 'all history'."
            )
        if end_tok.type in ("INF", "NEG_INF"):
            raise self.error(
                "A window must end at a finite offset (only the start may be -INF).",
                _loc(end_tok),
                "e.g. COUNT(orders.*, -INF, 0) counts every order up to the anchor time.",
            )
        start = None if start_tok.type == "NEG_INF" else self.whole(start_tok)
        end = self.whole(end_tok)
        unit = ast.TimeUnit.days
        if unit_token is not None:
            found = ast.TimeUnit.lookup(unit_token.value)
            if found is None:
                import difflib

                names = [u.value for u in ast.TimeUnit]
                close = difflib.get_close_matches(unit_token.value.lower(), names, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise self.error(
                    f"Unknown time unit {unit_token.value!r}.",
                    _loc(unit_token),
                    f"{hint}Units: {', '.join(names)} (default days).",
                )
            unit = found
        return ast.Window(
            start,
            end,
            unit,
            loc=_loc(tree),
            start_loc=_loc(start_tok),
            end_loc=_loc(end_tok),
        )

    # ------------------------------------------------------------ tokens
    def whole(self, token: Token) -> int:
        value = self.number(token)
        if isinstance(value, float):
            raise self.error(
                f"A window bound must be a whole number of the unit (got {token.value}).",
                _loc(token),
                "use a smaller unit, e.g. 36 hours instead of 1.5 days.",
            )
        return value

    @staticmethod
    def number(token: Token) -> int | float:
        text = token.value
        try:
            return int(text)
        except ValueError:
            value = float(text)
            return (
                int(value)
                if value.is_integer() and "." not in text and "e" not in text.lower()
                else value
            )

    def literal(self, tree: Tree) -> ast.Literal:
        (token,) = tree.children
        if token.type in ("STRING", "QUOTED_NAME"):
            return self.string(token)
        if token.type == "DATETIME":
            return ast.Literal(token.value, _loc(token))
        if token.type in ("TRUE", "FALSE"):
            return ast.Literal(token.type == "TRUE", _loc(token))
        value = self.number(token)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error("A number literal must be finite.", _loc(token))
        return ast.Literal(value, _loc(token))

    @staticmethod
    def string(node: Token | Tree) -> ast.Literal:
        """A quoted text: ``'it''s'`` or ``"Electronics"`` (doubled quotes escape)."""
        token = node if isinstance(node, Token) else node.children[0]
        quote = token.value[0]
        return ast.Literal(token.value[1:-1].replace(quote * 2, quote), _loc(token))

    @staticmethod
    def name(tree: Tree) -> str:
        (token,) = tree.children
        if token.type == "QUOTED_NAME":
            return token.value[1:-1].replace('""', '"')
        return token.value


# ---------------------------------------------------------------- syntax errors

_WINDOW_HINT = (
    "write the window after the column: COUNT(orders.*, 0, 30, days) covers (t, t + 30 days]."
)
_FOR_HINT = (
    "end the target with FOR EACH table.primary_key, e.g. "
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id."
)

#: Common mistakes: label -> (description, hint, examples). ``match_examples``
#: recognises an error by the parser state it stops in (and the token there).
COMMON_MISTAKES: dict[str, tuple[str, str, list[str]]] = {
    "missing_predict": (
        "a query starts with PREDICT",
        "e.g. PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id.",
        ["COUNT(orders.*, 0, 30) > 0 FOR EACH c.id", "FOR EACH c.id", "SELECT * FROM t"],
    ),
    "missing_for": (
        "the query has no FOR clause saying which entities to predict for",
        _FOR_HINT,
        [
            "PREDICT COUNT(orders.*, 0, 30) > 0",
            "PREDICT COUNT(orders.*, 0, 30)",
            "PREDICT customers.age",
            "PREDICT customers.age > 3",
            "PREDICT COUNT(orders.*, 0, 30) RANK TOP 3",
            "PREDICT customers.age CLASSIFY",
        ],
    ),
    "where_before_for": (
        "WHERE and ASSUMING come after the FOR clause",
        "PREDICT <target> FOR EACH t.pk WHERE <condition> ASSUMING <condition>.",
        [
            "PREDICT customers.age WHERE customers.age > 3 FOR EACH c.id",
            "PREDICT customers.age > 2 ASSUMING customers.age > 3 FOR EACH c.id",
            "PREDICT COUNT(o.*, 0, 3) WHERE c.age > 3",
        ],
    ),
    "missing_window": (
        "an aggregation needs a time window",
        _WINDOW_HINT,
        [
            "PREDICT COUNT(orders.*) FOR EACH c.id",
            "PREDICT SUM(orders.amount) FOR EACH c.id",
            "PREDICT COUNT(orders.* WHERE orders.x = 1) FOR EACH c.id",
            "PREDICT COUNT(orders.* VIA orders.x) FOR EACH c.id",
        ],
    ),
    "one_bound": (
        "a window needs a start and an end",
        "(start, end[, unit]) covers (t + start, t + end]; e.g. COUNT(orders.*, 0, 30, days).",
        [
            "PREDICT COUNT(orders.*, 30) FOR EACH c.id",
            "PREDICT COUNT(orders.*, 30 days) FOR EACH c.id",
        ],
    ),
    "unit_comma": (
        "separate the window's unit with a comma",
        "e.g. COUNT(orders.*, 0, 30, days).",
        ["PREDICT COUNT(orders.*, 0, 30 days) FOR EACH c.id"],
    ),
    "unclosed_aggregation": (
        "the aggregation is not closed",
        "close it after the window: COUNT(orders.*, 0, 30, days).",
        [
            "PREDICT COUNT(orders.*, 0, 30 FOR EACH c.id",
            "PREDICT COUNT(orders.*, 0, 30, days FOR EACH c.id",
        ],
    ),
    "null_literal": (
        "NULL is not a value to compare with",
        "use IS NULL or IS NOT NULL, e.g. customers.country IS NULL.",
        ["PREDICT c.x = NULL FOR EACH c.id", "PREDICT c.x != NULL FOR EACH c.id"],
    ),
    "double_equals": (
        "'==' is not PQL",
        "write a single '=' (and '!=' for 'not equal').",
        ["PREDICT c.x == 1 FOR EACH c.id"],
    ),
    "literal_first": (
        "a comparison starts with the column or aggregation",
        "put the value on the right: COUNT(orders.*, 0, 30) > 3, not 3 < COUNT(...).",
        ["PREDICT 3 < c.x FOR EACH c.id", "PREDICT 'a' = c.x FOR EACH c.id"],
    ),
    "bare_table": (
        "a column is named table.column (or table.* in an aggregation)",
        "e.g. COUNT(orders.*, 0, 30) or FOR EACH customers.customer_id.",
        [
            "PREDICT COUNT(orders, 0, 30) FOR EACH c.id",
            "PREDICT c.x FOR EACH customers",
            "PREDICT customers FOR EACH c.id",
            "PREDICT c.x FOR EACH customers WHERE c.x > 1",
            "PREDICT c.x > 1 FOR EACH c.id WHERE customers > 1",
        ],
    ),
    "unknown_function": (
        "unknown aggregation",
        "aggregations: COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX, FIRST, LAST, LIST_DISTINCT.",
        [
            "PREDICT AVERAGE(orders.amount, 0, 30) FOR EACH c.id",
            "PREDICT c.x FOR EACH c.id WHERE MEAN(o.x, -INF, 0) > 1",
        ],
    ),
    "star_outside_aggregation": (
        "table.* only stands inside an aggregation",
        "e.g. COUNT(orders.*, 0, 30) > 0.",
        ["PREDICT orders.* FOR EACH c.id"],
    ),
    "missing_each": (
        "FOR needs EACH (all entities) or ids",
        "FOR EACH customers.customer_id, FOR customers.customer_id = 7 or "
        "FOR customers.customer_id IN (7, 8).",
        ["PREDICT c.x FOR c.id", "PREDICT c.x FOR c.id WHERE c.x > 1"],
    ),
    "rank_k": (
        "RANK TOP needs a number",
        "e.g. PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 10 "
        "FOR EACH customers.customer_id.",
        ["PREDICT c.x RANK TOP FOR EACH c.id", "PREDICT c.x RANK 10 FOR EACH c.id"],
    ),
    "trailing_text": (
        "unexpected text after the query",
        "the query ends after its FOR clause and optional WHERE and ASSUMING conditions.",
        ["PREDICT c.x FOR EACH c.id c", "PREDICT c.x FOR EACH c.id WHERE c.x > 1 c"],
    ),
}

_TOKEN_NAMES = {
    "EQ": "'='",
    "NE": "'!='",
    "LE": "'<='",
    "GE": "'>='",
    "LT": "'<'",
    "GT": "'>'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "STAR": "'*'",
    "NAME": "a name",
    "QUOTED_NAME": 'a "quoted name"',
    "STRING": "a 'string'",
    "SIGNED_NUMBER": "a number",
    "DATETIME": "a date (2024-01-31 or 2024-01-31 12:00:00)",
    "NEG_INF": "-INF",
    "$END": "the end of the query",
}


def _accepts_after(prefix: str) -> set[str]:
    """The tokens the grammar accepts after ``prefix`` (empty when unknown)."""
    try:
        interactive = _parser().parse_interactive(prefix)
        interactive.exhaust_lexer()
        return set(interactive.accepts())
    except UnexpectedInput:  # pragma: no cover - the prefix lexed and parsed before the error
        return set()


@functools.cache
def _mistake_signatures() -> list[tuple[str, int, frozenset[str], str]]:
    """(label, parser state, accepted tokens, token type) of each example mistake."""
    out = []
    for label, (_, _, examples) in COMMON_MISTAKES.items():
        for example in examples:
            try:
                _parser().parse(example)
            except UnexpectedToken as exc:
                out.append((label, exc.state, frozenset(exc.accepts or ()), exc.token.type))
            except UnexpectedInput:  # pragma: no cover - examples are token errors
                pass
    return out


def _match_mistake(exc: UnexpectedToken) -> str | None:
    """The common mistake whose example stops in the same parser state on the same
    kind of token (as lark's ``match_examples``, without its state-only fallback)."""
    accepts = frozenset(exc.accepts or ())
    for label, state, example_accepts, token_type in _mistake_signatures():
        if state == exc.state and example_accepts == accepts and token_type == exc.token.type:
            return label
    return None


def _token_name(name: str) -> str:
    return _TOKEN_NAMES.get(name, name)


def _expected_names(tokens: set[str]) -> list[str]:
    """What may come next, for a reader: where a value may stand, a
    double-quoted text is a string, not a name to offer."""
    if "STRING" in tokens:
        tokens = tokens - {"QUOTED_NAME"}
    return sorted({_token_name(t) for t in tokens})


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the query"
    return repr(str(token.value))


def _syntax_error(text: str, exc: UnexpectedInput) -> PQLSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        start = exc.pos_in_stream
        char = text[start] if start < len(text) else ""
        if char == "'":
            description, hint = "unterminated string", "close it with a single quote: 'text'."
        elif char == '"':
            description, hint = "unterminated quoted name", 'close it with a double quote: "name".'
        else:
            description = f"unexpected character {char!r}"
            hint = "PQL has no ';' or statements after the query." if char == ";" else ""
        expected = _expected_names(_accepts_after(text[:start]))
        end = start + 1
        label = description
    else:
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        at_end = token.type == "$END"
        start = len(text.rstrip()) if at_end else token.start_pos
        end = start + 1 if at_end else token.end_pos
        expected = _expected_names(set(exc.accepts or exc.expected))
        label = _match_mistake(exc)
        if label:
            description, hint = COMMON_MISTAKES[label][:2]
        else:
            what = "end of the query" if at_end else _describe_token(token)
            description, hint = f"unexpected {what}", ""
        description += f" (got {_describe_token(token)})" if label else ""
    line, column = line_column(text, start)
    message = f"PQL syntax error at line {line}, column {column}: {description}."
    body = located(message, text, start, end)
    if expected:
        body += "\nExpected one of: " + ", ".join(expected)
    if hint:
        body += f"\nHint: {hint}"
    return PQLSyntaxError(
        body,
        query=text,
        start=start,
        end=end,
        hint=hint,
        line=line,
        column=column,
        expected=expected,
        label=label or "",
    )
