"""Text columns that hold dates or times become real TIMESTAMP columns in the
working store (SQLite and some CSVs keep them as text). The source is untouched."""

from __future__ import annotations

import duckdb

from relgraph.db.column_profile import SAMPLE_ROWS, base_type
from relgraph.db.naming import id_suffix
from relgraph.db.sources.base import quote_ident

#: Share of sampled non-null values that must parse for a column to convert.
MIN_PARSED = 0.9


def parse_time_strings(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Convert text columns of ``table`` that read as timestamps; return warnings
    about values that did not parse (they become NULL)."""
    q = quote_ident(table)
    texts = [
        r[0]
        for r in con.execute(f"DESCRIBE {q}").fetchall()
        if base_type(r[1]) == "VARCHAR" and id_suffix(r[0]) is None
    ]
    if not texts:
        return []
    parts = [
        f"avg(CASE WHEN {c} IS NULL THEN NULL WHEN length(trim({c})) >= 8 AND "
        f"try_cast(trim({c}) AS TIMESTAMP) IS NOT NULL THEN 1.0 ELSE 0.0 END)"
        for c in map(quote_ident, texts)
    ]
    sample = f"(SELECT * FROM {q} USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7))"
    shares = con.execute(f"SELECT {', '.join(parts)} FROM {sample}").fetchall()[0]
    convert = [
        col
        for col, share in zip(texts, shares, strict=True)
        if share is not None and share >= MIN_PARSED
    ]
    warnings = []
    for col in convert:
        c = quote_ident(col)
        bad_filter = f"{c} IS NOT NULL AND try_cast(trim({c}) AS TIMESTAMP) IS NULL"
        bad = con.execute(f"SELECT count(*) FROM {q} WHERE {bad_filter}").fetchall()[0][0]
        if bad:
            examples = [
                r[0]
                for r in con.execute(f"SELECT {c} FROM {q} WHERE {bad_filter} LIMIT 3").fetchall()
            ]
            warnings.append(
                f"{table}.{col}: {bad} values are not dates/times (e.g. {examples}); "
                "they are read as NULL."
            )
    if convert:
        replace = ", ".join(
            f"try_cast(trim({quote_ident(c)}) AS TIMESTAMP) AS {quote_ident(c)}" for c in convert
        )
        con.execute(f"CREATE OR REPLACE TABLE {q} AS SELECT * REPLACE ({replace}) FROM {q}")
    return warnings
