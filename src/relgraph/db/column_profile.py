"""Column statistics that schema inference decides on, computed in DuckDB
(one pass per table, string shape measured on a fixed-seed sample)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from relgraph.db.sources.base import quote_ident

SAMPLE_ROWS = 20_000

INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
#: Every number type (``INT`` and ``NUMERIC`` are aliases some sources print).
NUMERIC_TYPES = INTEGER_TYPES | FLOAT_TYPES | {"DECIMAL", "NUMERIC", "INT"}
STRING_TYPES = {"VARCHAR", "UUID"}
TIME_TYPES = {
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMPTZ",
}


def base_type(dtype: str) -> str:
    """``DECIMAL(18,3)`` -> ``DECIMAL``; ``VARCHAR[]`` stays a list type."""
    return dtype.split("(")[0].strip().upper()


def is_time_type(dtype: str) -> bool:
    return base_type(dtype) in TIME_TYPES


def comparable_types(a: str, b: str) -> bool:
    """Whether values of two column types compare as they are: numbers with
    numbers whatever their storage (a float column of ids with NULLs, as pandas
    writes them, with an integer key), times with times, text with text.

    Example:
        >>> comparable_types("DOUBLE", "BIGINT"), comparable_types("VARCHAR", "BIGINT")
        (True, False)
        >>> comparable_types("DATE", "TIMESTAMP"), comparable_types("DATE", "VARCHAR")
        (True, False)
    """
    ta, tb = base_type(a), base_type(b)
    if ta in NUMERIC_TYPES or tb in NUMERIC_TYPES:
        return ta in NUMERIC_TYPES and tb in NUMERIC_TYPES
    return is_time_type(a) == is_time_type(b)


def is_key_type(dtype: str) -> bool:
    """Types a primary or foreign key may have."""
    return base_type(dtype) in INTEGER_TYPES | STRING_TYPES


@dataclass
class ColumnProfile:
    name: str
    dtype: str
    non_null: int
    distinct: int  # approximate, except for key candidates (checked exactly)
    avg_length: float = 0.0
    avg_words: float = 0.0
    separator_share: float = 0.0  # share of values containing a list separator
    distinct_tokens: int = 0  # after splitting on the separator
    url_share: float = 0.0
    avg_tokens: float = 0.0  # list items per value, after splitting on the separator
    #: Smallest and largest value of a numeric column (None otherwise or when empty).
    min_value: float | None = None
    max_value: float | None = None
    #: Whether every value of a numeric column is a whole number (a float column
    #: of ids with NULLs, as pandas writes them, compares with integer keys).
    integral: bool = False

    @property
    def is_numeric(self) -> bool:
        return _is_numeric_type(self.dtype)


@dataclass
class TableProfile:
    name: str
    num_rows: int
    columns: dict[str, ColumnProfile]


def profile_table(con: duckdb.DuckDBPyConnection, table: str) -> TableProfile:
    q = quote_ident(table)
    described = con.execute(f"DESCRIBE {q}").fetchall()
    dtypes = {row[0]: row[1] for row in described}
    parts = ["count(*)"]
    numeric = [c for c, t in dtypes.items() if _is_numeric_type(t)]
    for col in dtypes:
        c = quote_ident(col)
        parts += [f"count({c})", f"approx_count_distinct({c})"]
    for col in numeric:
        c = quote_ident(col)
        whole = (
            "true"
            if base_type(dtypes[col]) in INTEGER_TYPES
            else f"bool_and(isfinite({c}::DOUBLE) AND {c}::DOUBLE = floor({c}::DOUBLE))"
        )
        parts += [f"min({c})::DOUBLE", f"max({c})::DOUBLE", whole]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {q}").fetchall()[0]
    num_rows = int(row[0])
    columns = {}
    for i, (col, dtype) in enumerate(dtypes.items()):
        columns[col] = ColumnProfile(col, dtype, int(row[1 + 2 * i]), int(row[2 + 2 * i] or 0))
    at = 1 + 2 * len(dtypes)
    for j, col in enumerate(numeric):
        lo, hi, whole = row[at + 3 * j : at + 3 * j + 3]
        p = columns[col]
        p.min_value, p.max_value = lo, hi
        p.integral = bool(whole) and p.non_null > 0
    strings = [c for c, t in dtypes.items() if base_type(t) == "VARCHAR"]
    if strings and num_rows:
        _profile_strings(con, q, strings, columns)
    return TableProfile(table, num_rows, columns)


def _profile_strings(con, q: str, strings: list[str], columns: dict[str, ColumnProfile]) -> None:
    parts = []
    for col in strings:
        c = quote_ident(col)
        sep = rf"regexp_matches({c}, '\s*[|;]\s*|,\s')"
        parts += [
            f"avg(length({c}))",
            f"avg(len(string_split_regex(trim({c}), '\\s+')))",
            f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN {sep} THEN 1.0 ELSE 0.0 END)",
            f"count(DISTINCT CASE WHEN {sep} THEN NULL ELSE {c} END)",
            f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN {c} ILIKE 'http%' THEN 1.0 ELSE 0.0 END)",
            f"avg(len(string_split_regex(trim({c}), '\\s*[|;]\\s*|,\\s')))",
        ]
    sample = f"(SELECT * FROM {q} USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"
    row = con.execute(f"SELECT {', '.join(parts)} FROM {sample}").fetchall()[0]
    for i, col in enumerate(strings):
        p = columns[col]
        p.avg_length = float(row[6 * i] or 0)
        p.avg_words = float(row[6 * i + 1] or 0)
        p.separator_share = float(row[6 * i + 2] or 0)
        p.url_share = float(row[6 * i + 4] or 0)
        p.avg_tokens = float(row[6 * i + 5] or 0)
        if p.separator_share >= 0.3:
            tok = con.execute(
                f"SELECT count(DISTINCT trim(t)) FROM (SELECT unnest(string_split_regex("
                f"{quote_ident(col)}, '\\s*[|;]\\s*|,\\s')) AS t FROM {sample})"
            ).fetchall()[0]
            p.distinct_tokens = int(tok[0])


def add_column_profile(con: duckdb.DuckDBPyConnection, profile: TableProfile, column: str) -> None:
    """Profile one column relgraph added to a profiled table (a made key, a
    row number) without profiling the whole table again: counts only, as
    such a column is an id and never a feature."""
    q, c = quote_ident(profile.name), quote_ident(column)
    dtype = {r[0]: r[1] for r in con.execute(f"DESCRIBE {q}").fetchall()}[column]
    non_null, distinct = con.execute(
        f"SELECT count({c}), approx_count_distinct({c}) FROM {q}"
    ).fetchall()[0]
    profile.columns[column] = ColumnProfile(column, dtype, int(non_null), int(distinct or 0))


def _is_numeric_type(dtype: str) -> bool:
    return base_type(dtype) in NUMERIC_TYPES


def is_unique(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[bool, int, int]:
    """Exact check: ``(unique and non-null, duplicate values, null count)``."""
    q, c = quote_ident(table), quote_ident(column)
    n, non_null, distinct = con.execute(
        f"SELECT count(*), count({c}), count(DISTINCT {c}) FROM {q}"
    ).fetchall()[0]
    return (non_null == n and distinct == n), int(non_null - distinct), int(n - non_null)
