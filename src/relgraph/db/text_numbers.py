"""Text columns the user declares numerical: converted in the working store,
so that the declaration is applied, not ignored."""

from __future__ import annotations

import duckdb

from relgraph.db.missing_values import upper_token_list_sql
from relgraph.db.sources.base import quote_ident
from relgraph.errors import SchemaError

#: Text meaning "no value" in the common dumps; NULL when a column is converted.
MISSING_TEXT = upper_token_list_sql(["NONE", "-", "?"])
#: A column is converted only when at least this share of its other values parse.
MIN_PARSED = 0.5


def convert_text_numbers(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """Make a text column DOUBLE: missing-value text becomes NULL silently,
    other text that is not a number becomes NULL with a warning (returned).

    Raises:
        SchemaError: fewer than half the values (missing text aside) are numbers.

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE f AS SELECT * FROM (VALUES ('1.5'), ('NA'), ('x'), "
        ...                 "('4')) t(delay)")
        >>> convert_text_numbers(con, "f", "delay")
        ['f.delay: 1 of 3 values are not numbers (e.g. x); they are NULL now.']
        >>> [r[0] for r in con.execute("SELECT delay FROM f").fetchall()]
        [1.5, None, None, 4.0]
    """
    q, c = quote_ident(table), quote_ident(column)
    present = f"{c} IS NOT NULL AND upper(trim({c})) NOT IN ({MISSING_TEXT})"
    total, parsed = con.execute(
        f"SELECT count(*) FILTER (WHERE {present}), "
        f"count(TRY_CAST(trim({c}) AS DOUBLE)) FILTER (WHERE {present}) FROM {q}"
    ).fetchall()[0]
    if total and parsed < MIN_PARSED * total:
        examples = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {c} FROM {q} WHERE {present} AND "
                f"TRY_CAST(trim({c}) AS DOUBLE) IS NULL LIMIT 3"
            ).fetchall()
        ]
        raise SchemaError(
            f"{table}.{column} cannot be numerical: only {parsed:,} of {total:,} values are "
            f"numbers (others: {', '.join(map(repr, examples))})."
        )
    bad = total - parsed
    examples = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {c} FROM {q} WHERE {present} AND "
            f"TRY_CAST(trim({c}) AS DOUBLE) IS NULL ORDER BY 1 LIMIT 3"
        ).fetchall()
    ]
    con.execute(
        f"ALTER TABLE {q} ALTER COLUMN {c} SET DATA TYPE DOUBLE USING "
        f"CASE WHEN {present} THEN TRY_CAST(trim({c}) AS DOUBLE) END"
    )
    if not bad:
        return []
    return [
        f"{table}.{column}: {bad:,} of {total:,} values are not numbers "
        f"(e.g. {', '.join(examples)}); they are NULL now."
    ]
