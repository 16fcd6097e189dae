"""One hierarchy of relgraph errors.

Every error says what is wrong, where, and how to fix it. The CLI prints the
message of a :class:`RelgraphError` (no traceback) and exits with status 1.
"""

from __future__ import annotations


class RelgraphError(Exception):
    """Base class of every error relgraph raises on purpose."""


class SourceError(RelgraphError):
    """A data source cannot be opened or read (bad path, unreadable file, no server)."""


class SchemaError(RelgraphError):
    """The schema is inconsistent: unknown table/column, bad key, link to nowhere."""


class DataValidationError(RelgraphError):
    """The data breaks the schema in a way relgraph will not silently repair
    (e.g. duplicate primary keys without ``dedupe=True``)."""


class GraphError(RelgraphError):
    """A temporal graph cannot be built, loaded or queried as asked."""


class PQLError(RelgraphError):
    """A predictive query cannot be parsed, checked against the schema or run.

    Attributes:
        query (str): the query text (empty when unknown).
        start (int | None): offset of the offending text in ``query``.
        end (int | None): offset just past it.
        hint (str): how to fix it (may be empty).
    """

    def __init__(
        self,
        message: str,
        *,
        query: str = "",
        start: int | None = None,
        end: int | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.query = query
        self.start = start
        self.end = end
        self.hint = hint


class PQLSyntaxError(PQLError):
    """A query does not follow the PQL grammar.

    Besides :class:`PQLError`'s attributes it carries ``line`` and ``column``
    (1-based), ``expected`` (what the grammar allowed there) and ``errors`` (the
    same facts as a list of dicts, as sqlglot's ``ParseError.errors``).
    """

    def __init__(
        self,
        message: str,
        *,
        query: str = "",
        start: int | None = None,
        end: int | None = None,
        hint: str = "",
        line: int = 0,
        column: int = 0,
        expected: list[str] | None = None,
        label: str = "",
    ) -> None:
        super().__init__(message, query=query, start=start, end=end, hint=hint)
        self.line = line
        self.column = column
        self.expected = list(expected or [])
        self.label = label
        self.errors = [
            {
                "description": label or "syntax error",
                "line": line,
                "col": column,
                "start": start,
                "end": end,
                "expected": self.expected,
                "hint": hint,
            }
        ]


class PQLSemanticError(PQLError):
    """A well-formed query that does not fit the database's schema or PQL's
    rules (unknown names, unreachable tables, windows the wrong way, types)."""
