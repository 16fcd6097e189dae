"""Times in the working store are naive UTC ``TIMESTAMP`` columns (docs/time.md).

Sources disagree: SQLite and CSV files keep times as text, DuckDB files and
pandas frames may carry a time zone. When a database is read:

- a ``TIMESTAMP WITH TIME ZONE`` column becomes its UTC time, without zone;
- a text column becomes a ``TIMESTAMP`` column when its values read as times:
  at least :data:`MIN_PARSED` of its sampled values whatever its name, at least
  :data:`MOST_PARSED` when it is named like a row's time (``ordered_at``,
  ``created``, ``date``), any share when the source declares it the time
  column (or the user does, :func:`convert_text_times`);
- values with an offset (``+05:00``, ``Z``) are converted to UTC; values
  without one are read as UTC (a column mixing both gets a warning);
- values that do not parse become NULL, counted in a warning. In a table's
  time column a NULL time means the row is never visible to any anchor;
- missing-value tokens (``NA``, ``NULL``, ``\\N``: see
  :mod:`relgraph.db.missing_values`) are NULL too, but neither count against
  the share that must parse nor as values that do not parse.

A text column named like a time that is *not* converted gets a warning that
says why, so that a table never turns static without a word. The source is
untouched.

Integer columns named like epoch times (``created_ts``) are converted too, and
integer years give a table its time (:mod:`relgraph.db.integer_times`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from relgraph.db.column_profile import SAMPLE_ROWS, base_type
from relgraph.db.integer_times import convert_epoch_times
from relgraph.db.missing_values import DEFAULT_TOKENS
from relgraph.db.naming import id_suffix, time_name_score
from relgraph.db.sources.base import quote_ident

#: Share of sampled non-null values that must parse for any text column to convert.
MIN_PARSED = 0.9
#: Share for a text column named like a row's time ("most values parse"). Below
#: it the column stays text (with a warning): half the rows unparseable means
#: the column most likely holds something else.
MOST_PARSED = 0.5
#: :func:`~relgraph.db.naming.time_name_score` from which a name reads as a time.
TIME_NAME_SCORE = 50
#: Text of at least this length is tried as a time (``2024`` alone is a number).
_MIN_LENGTH = 8
#: A time of day followed by a zone: ``...T21:22:13+05:00``, ``...Z``, ``... UTC``.
_OFFSET = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|UTC|utc|GMT|gmt|[+-]\d\d(:?\d\d)?)$"
_ZONED = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
#: Times this many years beyond the 5th..95th percentile of their column are reported.
FAR_YEARS = 50


def normalize_times(
    con: duckdb.DuckDBPyConnection, table: str, declared_time: str | None = None
) -> list[str]:
    """Make the times of ``table`` naive UTC timestamps; return warnings.

    Args:
        con (duckdb.DuckDBPyConnection): the working store.
        table (str): a table of the working store.
        declared_time (str, optional): the column the source declares as the
            table's time column; text in it is converted whatever share parses.

    Returns:
        list[str]: warnings about unparseable values, mixed offsets and text
        columns named like times that stay text.
    """
    # Text without an offset, and casts of zoned values, are read in UTC on
    # every machine (DuckDB's default is the machine's local zone).
    con.execute("SET TimeZone = 'UTC'")
    described = con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    zoned = [name for name, dtype, *_ in described if base_type(dtype) in _ZONED]
    if zoned:
        _replace(con, table, {c: f"timezone('UTC', {quote_ident(c)})" for c in zoned})
    epoch_notes = convert_epoch_times(con, table)
    texts = [
        name
        for name, dtype, *_ in described
        if base_type(dtype) == "VARCHAR" and (id_suffix(name) is None or name == declared_time)
    ]
    if not texts:
        return epoch_notes
    shares = _parsed_shares(con, table, texts)
    convert, warnings = [], []
    for col, share in shares.items():
        threshold = _threshold(col, declared_time)
        if share is not None and share >= threshold:
            convert.append(col)
        elif share and time_name_score(col) >= TIME_NAME_SCORE:
            warnings.append(_kept_as_text(table, col, share, threshold))
    return epoch_notes + warnings + convert_text_times(con, table, convert)


def convert_text_times(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[str]:
    """Convert text ``columns`` of ``table`` to naive UTC timestamps.

    Values that do not parse become NULL; values with an offset are converted
    to UTC and values without one are read as UTC.

    Returns:
        list[str]: a warning per column with unparseable values, and per
        column that mixes values with and without an offset.
    """
    if not columns:
        return []
    con.execute("SET TimeZone = 'UTC'")
    warnings = []
    for col in columns:
        stats = _text_stats(con, table, col)
        warnings += stats.warnings(table, col)
    _replace(con, table, {c: _as_utc(quote_ident(c)) for c in columns})
    return warnings


@dataclass(frozen=True)
class _TextStats:
    """Counts over a text column's non-null values."""

    bad: int
    zoned: int
    naive: int
    examples: list[str]
    missing: int = 0  # missing-value tokens (NA, \\N), read as NULL

    def warnings(self, table: str, col: str) -> list[str]:
        out = []
        if self.bad:
            shown = ", ".join(repr(e) for e in self.examples)
            out.append(
                f"{table}.{col}: {self.bad:,} values do not parse as times ({shown}, ...); "
                "they are read as NULL (if this is the table's time column, those rows are "
                "never visible to any anchor). Times are read as ISO 8601, e.g. "
                "2024-01-31 or 2024-01-31T12:00:00+01:00."
            )
        if self.missing:
            out.append(
                f"{table}.{col}: {self.missing:,} missing-value tokens (NA, NULL, \\N, ...) "
                "read as NULL times."
            )
        if self.zoned and self.naive:
            out.append(
                f"{table}.{col}: {self.zoned:,} values carry a UTC offset and {self.naive:,} "
                "do not; those with an offset are converted to UTC and those without are "
                "read as UTC."
            )
        return out


def _text_stats(con: duckdb.DuckDBPyConnection, table: str, col: str) -> _TextStats:
    q, c = quote_ident(table), quote_ident(col)
    parsed = f"{_as_utc(c)} IS NOT NULL"
    failed = f"NOT ({parsed}) AND NOT {_is_token(c)}"
    bad, zoned, naive, missing = con.execute(
        f"SELECT count({c}) FILTER (WHERE {failed}), "
        f"count({c}) FILTER (WHERE {parsed} AND regexp_matches(trim({c}), ?)), "
        f"count({c}) FILTER (WHERE {parsed} AND NOT regexp_matches(trim({c}), ?)), "
        f"count({c}) FILTER (WHERE {_is_token(c)}) FROM {q}",
        [_OFFSET, _OFFSET],
    ).fetchall()[0]
    examples = []
    if bad:
        examples = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {c} FROM {q} WHERE {c} IS NOT NULL AND {failed} "
                "ORDER BY 1 LIMIT 3"
            ).fetchall()
        ]
    return _TextStats(int(bad), int(zoned), int(naive), examples, int(missing))


def _is_token(c: str) -> str:
    """SQL: whether a text value is a missing-value token (``NA``, ``\\N``)."""
    tokens = ", ".join("'" + t.replace("'", "''") + "'" for t in DEFAULT_TOKENS)
    return f"coalesce(trim({c}) IN ({tokens}), false)"


def _as_utc(c: str) -> str:
    """SQL: a text value as a naive UTC timestamp, NULL when it does not parse
    (the session's zone is UTC, so text without an offset is read as UTC)."""
    return (
        f"CASE WHEN length(trim({c})) >= {_MIN_LENGTH} "
        f"THEN timezone('UTC', try_cast(trim({c}) AS TIMESTAMPTZ)) END"
    )


def _parsed_shares(
    con: duckdb.DuckDBPyConnection, table: str, texts: list[str]
) -> dict[str, float | None]:
    """Share of sampled non-null values that parse, per column (None: all NULL)."""
    parts = [
        f"avg(CASE WHEN {c} IS NULL OR {_is_token(c)} THEN NULL "
        f"WHEN {_as_utc(c)} IS NOT NULL THEN 1.0 ELSE 0.0 END)"
        for c in map(quote_ident, texts)
    ]
    q = quote_ident(table)
    sample = f"(SELECT * FROM {q} USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"
    shares = con.execute(f"SELECT {', '.join(parts)} FROM {sample}").fetchall()[0]
    return dict(zip(texts, shares, strict=True))


def _threshold(col: str, declared_time: str | None) -> float:
    if col == declared_time:
        return 0.0
    return MOST_PARSED if time_name_score(col) >= TIME_NAME_SCORE else MIN_PARSED


def _kept_as_text(table: str, col: str, share: float, threshold: float) -> str:
    return (
        f"{table}.{col} is named like a time but only {share:.0%} of its values parse as "
        f"times (at least {threshold:.0%} needed), so it stays text and is not the time "
        f"column of {table}. Clean the values (ISO 8601, e.g. 2024-01-31T12:00:00), or make "
        f"it the time column with db.set_time_column({table!r}, {col!r}) (schema TOML: "
        f'[tables.{table}] time_column = "{col}"): values that do not parse become NULL and '
        "their rows are never visible."
    )


def far_times_warning(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    """A warning when some times of a time column lie :data:`FAR_YEARS` or more
    beyond the 5th..95th percentile of the rest (None otherwise).

    Such times are kept and work (times are microseconds: years 1..9999), but a
    placeholder such as 9999-12-31 becomes the database's latest time, which
    sets the default anchor of ``predict`` and the split times of ``evaluate``.
    """
    q, c = quote_ident(table), quote_ident(column)
    lo, hi = con.execute(
        f"SELECT quantile_disc({c}, 0.05)::TIMESTAMP, quantile_disc({c}, 0.95)::TIMESTAMP FROM {q}"
    ).fetchall()[0]
    if lo is None:
        return None
    span = f"INTERVAL {FAR_YEARS} YEAR"
    late, latest, early, earliest = con.execute(
        f"SELECT count(*) FILTER (WHERE {c} > ?::TIMESTAMP + {span}), max({c})::TIMESTAMP, "
        f"count(*) FILTER (WHERE {c} < ?::TIMESTAMP - {span}), min({c})::TIMESTAMP FROM {q}",
        [hi, lo],
    ).fetchall()[0]
    parts = []
    if late:
        parts.append(
            f"{late:,} are more than {FAR_YEARS} years after 95% of the others (up to {latest}): "
            "the latest time sets the default anchor (predict) and split times (evaluate, labels)"
        )
    if early:
        parts.append(
            f"{early:,} are more than {FAR_YEARS} years before 95% of the others (from "
            f"{earliest}): training anchors reach back to the earliest time"
        )
    if not parts:
        return None
    return (
        f"{table}.{column}: of its times, {'; '.join(parts)}. If they are placeholders for "
        "'unknown', make them NULL in the source (those rows are then never visible); else "
        "give the times yourself (--anchor-time, --val-time, --test-time)."
    )


def _replace(con: duckdb.DuckDBPyConnection, table: str, exprs: dict[str, str]) -> None:
    q = quote_ident(table)
    replace = ", ".join(f"{e} AS {quote_ident(c)}" for c, e in exprs.items())
    con.execute(f"CREATE OR REPLACE TABLE {q} AS SELECT * REPLACE ({replace}) FROM {q}")
