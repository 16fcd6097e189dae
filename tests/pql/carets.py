"""The one helper every PQL test of a semantic error uses: the query fails
with the expected message, and the caret sits under the offending text."""

from __future__ import annotations

import pytest

import relgraph as rg
from relgraph.errors import PQLSemanticError
from relgraph.pql import check, parse
from relgraph.pql.checker import CheckedQuery


def checked(db: rg.Database, text: str) -> CheckedQuery:
    """``text`` parsed and checked against ``db`` (explicit ids looked up)."""
    return check(parse(text), db.schema, db.con)


def fails(db: rg.Database, text: str, match: str, token: str | None = None) -> PQLSemanticError:
    """Assert ``text`` fails with ``match``; the caret sits under ``token``."""
    with pytest.raises(PQLSemanticError, match=match) as e:
        checked(db, text)
    err = e.value
    if token is not None:
        assert text[err.start : err.end] == token, (text[err.start : err.end], token)
        lines = str(err).splitlines()
        query_line = next(i for i, line in enumerate(lines) if line.strip() == text.strip())
        caret = lines[query_line + 1]
        assert caret.index("^") == lines[query_line].index(text) + err.start
        assert caret.count("^") == len(token)
    return err
