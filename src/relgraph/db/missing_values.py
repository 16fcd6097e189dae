"""Missing-value tokens in text columns: ``NA``, ``NULL``, ``\\N`` and the like.

Dumps write "missing" as text: R writes ``NA``, MySQL ``\\N``, pandas ``NaN``.
One such token makes a CSV reader (or SQLite, or a pandas object column) keep a
column of numbers as text, so ``flights.dep_time`` would become a category. But
in a column that holds text, a token may be a real value (Lahman's league
``NA``, the National Association; Namibia's country code ``NA``). So, when a
database is read:

- a text column whose values, apart from :data:`DEFAULT_TOKENS`, are all
  numbers becomes a number column (``BIGINT`` when every value is a whole
  number, else ``DOUBLE``), with the tokens as NULL. Numbers with a leading
  zero (``02134``) are codes, so such a column stays text;
- tokens in a text column that stays text are kept as they are, unless the
  user names them (``connect(src, missing=["-"])``, ``missing = ["-"]`` in the
  schema TOML, ``--missing -``): a named token is NULL in every text column;
- text columns of times read the tokens as NULL (:mod:`relgraph.db.timestamps`).

Each table with a change gets one warning that counts the NULLs per column.

Example:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE f (delay VARCHAR, league VARCHAR)")
    >>> _ = con.execute("INSERT INTO f VALUES ('5', 'NA'), ('NA', 'AL'), ('-2', 'NA')")
    >>> notes = read_missing_values(con, "f")
    >>> con.execute("SELECT * FROM f").fetchall()
    [(5, 'NA'), (None, 'AL'), (-2, 'NA')]
    >>> print(notes[0])  # doctest: +ELLIPSIS
    f: missing-value tokens read as NULL, so these text columns hold numbers: delay (1 'NA')...
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from relgraph.db.column_profile import base_type
from relgraph.db.sources.base import quote_ident

#: What common dumps write for "missing" (compared after trimming spaces).
DEFAULT_TOKENS: tuple[str, ...] = ("NA", "N/A", "NULL", "null", "\\N", "NaN", "")


def upper_token_list_sql(extra: Iterable[str] = ()) -> str:
    """The default tokens and ``extra``, upper-cased and de-duplicated, as an SQL
    list for ``upper(trim(column)) IN (...)``.

    Example:
        >>> upper_token_list_sql(["none"]).split(", ")[-2:]
        ["''", "'NONE'"]
    """
    tokens = dict.fromkeys(t.upper() for t in (*DEFAULT_TOKENS, *extra))
    return ", ".join("'" + t.replace("'", "''") + "'" for t in tokens)


#: A decimal number as text (no ``inf``/``nan``, which DuckDB would also cast).
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_WHOLE = r"[+-]?\d+"
#: ``007``, ``-02.5``: a leading zero marks a code, not a quantity.
_LEADING_ZERO = r"[+-]?0\d.*"


@dataclass(frozen=True)
class _Counts:
    """What one text column holds, apart from NULLs."""

    tokens: int  # values that are tokens
    other: int  # values that are neither tokens nor numbers
    fractional: int  # numbers that are not whole (or do not fit BIGINT)
    leading_zero: int
    shown: str  # the tokens found, as a short text


def read_missing_values(
    con: duckdb.DuckDBPyConnection,
    table: str,
    named: Sequence[str] = (),
    tokens: Sequence[str] = DEFAULT_TOKENS,
) -> list[str]:
    """NULL the tokens the user ``named`` in every text column of ``table``,
    and make text columns of numbers (apart from ``tokens``) number columns.

    Args:
        con (duckdb.DuckDBPyConnection): the working store (changed in place).
        table (str): a table of the working store.
        named (Sequence[str]): tokens the user says mean "missing" in every
            text column (default: none).
        tokens (Sequence[str]): tokens that mean "missing" in a column that
            otherwise holds numbers (default: :data:`DEFAULT_TOKENS`).

    Returns:
        list[str]: at most one warning per kind of change, counting the NULLs
        per column.
    """
    texts = _text_columns(con, table)
    if not texts:
        return []
    notes = []
    blanked = _blank_named(con, table, texts, list(dict.fromkeys(named)))
    if blanked:
        parts = [f"{c} ({n:,})" for c, n in blanked.items()]
        shown = ", ".join(repr(t) for t in dict.fromkeys(named))
        notes.append(f"{table}: values named missing ({shown}) read as NULL in {', '.join(parts)}.")
    every = list(dict.fromkeys([*tokens, *named]))
    counts = _count(con, table, texts, every)
    convert: dict[str, str] = {}
    parts = []
    for col, c in counts.items():
        had_missing = c.tokens or blanked.get(col)
        if not had_missing or c.other or c.leading_zero or not _has_numbers(con, table, col):
            continue
        convert[col] = "DOUBLE" if c.fractional else "BIGINT"
        parts.append(f"{col} ({c.tokens:,} {c.shown})" if c.tokens else col)
    if convert:
        _as_numbers(con, table, convert, every)
        notes.append(
            f"{table}: missing-value tokens read as NULL, so these text columns hold "
            f"numbers: {', '.join(parts)}. Name a token with missing=[...] (CLI --missing) "
            "to read it as NULL in text columns too."
        )
    return notes


def missing_tokens(values: Iterable[str]) -> list[str]:
    """User-given tokens, checked: a list of strings, without repeats.

    Example:
        >>> missing_tokens(["-", "?", "-"])
        ['-', '?']
    """
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        from relgraph.errors import SchemaError

        raise SchemaError(
            f'missing must be a list of strings such as ["NA", "-"] (got {values!r}).'
        )
    return list(dict.fromkeys(values))


def _text_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    described = con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    return [name for name, dtype, *_ in described if base_type(dtype) == "VARCHAR"]


def _blank_named(
    con: duckdb.DuckDBPyConnection, table: str, texts: list[str], named: list[str]
) -> dict[str, int]:
    if not named:
        return {}
    q = quote_ident(table)
    found_at = [f"list_contains($tokens, trim({quote_ident(c)}))" for c in texts]
    parts = [f"count(*) FILTER (WHERE {f})" for f in found_at]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {q}", {"tokens": named}).fetchall()[0]
    found = {c: int(n) for c, n in zip(texts, row, strict=True) if n}
    if found:
        sets = {
            c: f"CASE WHEN {f} THEN NULL ELSE {quote_ident(c)} END"
            for c, f in zip(texts, found_at, strict=True)
            if c in found
        }
        _replace(con, table, sets, {"tokens": named})
    return found


def _count(
    con: duckdb.DuckDBPyConnection, table: str, texts: list[str], tokens: list[str]
) -> dict[str, _Counts]:
    parts = []
    for col in texts:
        v = f"trim({quote_ident(col)})"
        real = f"{v} IS NOT NULL AND NOT list_contains($tokens, {v})"
        parts += [
            f"count(*) FILTER (WHERE list_contains($tokens, {v}))",
            f"count(*) FILTER (WHERE {real} AND NOT regexp_full_match({v}, $number))",
            f"count(*) FILTER (WHERE {real} AND regexp_full_match({v}, $number) AND "
            f"(NOT regexp_full_match({v}, $whole) OR try_cast({v} AS BIGINT) IS NULL))",
            f"count(*) FILTER (WHERE {real} AND regexp_full_match({v}, $zero))",
            f"list_sort(list_distinct(list({v}) FILTER (WHERE list_contains($tokens, {v}))))",
        ]
    params = {"tokens": tokens, "number": _NUMBER, "whole": _WHOLE, "zero": _LEADING_ZERO}
    row = con.execute(f"SELECT {', '.join(parts)} FROM {quote_ident(table)}", params).fetchall()[0]
    out = {}
    for i, col in enumerate(texts):
        found = row[5 * i + 4] or []
        shown = " or ".join(repr(t) for t in found[:3])
        out[col] = _Counts(*(int(x) for x in row[5 * i : 5 * i + 4]), shown)
    return out


def _has_numbers(con: duckdb.DuckDBPyConnection, table: str, col: str) -> bool:
    """Whether some value is left once the tokens are gone (a column of only
    ``NA`` says nothing about its type, so it stays as it is)."""
    c = quote_ident(col)
    row = con.execute(
        f"SELECT count(*) FROM {quote_ident(table)} WHERE regexp_full_match(trim({c}), $n)",
        {"n": _NUMBER},
    ).fetchall()[0]
    return bool(row[0])


def _as_numbers(
    con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], tokens: list[str]
) -> None:
    exprs = {}
    for col, sql_type in types.items():
        v = f"trim({quote_ident(col)})"
        exprs[col] = (
            f"CASE WHEN list_contains($tokens, {v}) THEN NULL ELSE CAST({v} AS {sql_type}) END"
        )
    _replace(con, table, exprs, {"tokens": tokens})


def _replace(
    con: duckdb.DuckDBPyConnection, table: str, exprs: dict[str, str], params: dict
) -> None:
    q = quote_ident(table)
    replace = ", ".join(f"{e} AS {quote_ident(c)}" for c, e in exprs.items())
    con.execute(f"CREATE OR REPLACE TABLE {q} AS SELECT * REPLACE ({replace}) FROM {q}", params)
