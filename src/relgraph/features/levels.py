"""Which numeric columns are levels: values whose sum over rows says nothing
the row count does not.

A year, a date number, an air pressure or a clock time is a position on a
scale, not an amount: its values stay close to their level (2000 +- 7 years),
so their sum over an entity's rows is the row count times that level, and
reads as nonsense in a reason ("surveys.year: sum 7,962 over the last 90
days"). Amounts (an order's total, a quantity, a delay) vary a lot against
their level and their sum is the total a user asks about. Numbers read from
the data, not from column names, so any database's columns are judged alike:

- a column of one sign whose standard deviation is at most
  :data:`LEVEL_SPREAD` of its mean's size is a level (in the corpus: years
  0.004-0.03 of their mean, air pressure 0.007, heights 0.04; order amounts
  0.8, TPC-H quantities 0.56);
- a ``TIME`` column (a time of day) is always a level;
- an empty column, or one crossing zero (a delay), is not.

Columns between (latitudes 0.25, life expectancy 0.22, Chinook's unit prices
0.21) keep their sums: at 0.3 they lost them, and Chinook's spend, where the
sum of unit prices is what a customer paid, got 19% worse
(``benchmarks/icl_generalization.py``). A level's mean, min, max, std, newest
value and recent mean are still features; only the sums are left out. The
statistics read only rows visible at ``until``, so the plan depends on
nothing later.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> rows = pd.DataFrame({"id": [1, 2, 3], "year": [1999, 2001, 2003],
    ...     "amount": [5.0, 50.0, 200.0]})
    >>> db = rg.connect({"sales": rows})
    >>> level_columns(db, "sales", ["year", "amount"], pd.Timestamp("2030-01-01"))
    ['year']
"""

from __future__ import annotations

import pandas as pd

from relgraph.db.database import Database
from relgraph.db.sources.base import quote_ident as q

#: Most standard deviation, as a share of the mean's size, of a level.
LEVEL_SPREAD = 0.1


def is_level(mean: float | None, std: float | None, low: float | None, high: float | None) -> bool:
    """Whether a column of these statistics is a level (see the module).

    Example:
        >>> is_level(1990.0, 7.5, 1977.0, 2002.0), is_level(12.0, 40.0, -30.0, 900.0)
        (True, False)
    """
    if mean is None or std is None or low is None or high is None or mean == 0:
        return False
    one_sign = low >= 0 or high <= 0
    return one_sign and std <= LEVEL_SPREAD * abs(mean)


def level_columns(db: Database, table: str, numeric: list[str], until: pd.Timestamp) -> list[str]:
    """The levels among ``table``'s ``numeric`` columns, from its rows
    visible at ``until`` (all rows of a table without a time column)."""
    if not numeric:
        return []
    schema = db.schema.tables[table]
    clock = [c for c in numeric if schema.dtypes[c].split("(")[0].upper() == "TIME"]
    measured = [c for c in numeric if c not in clock]
    found = set(clock)
    if measured:
        stats = []
        for c in measured:
            kind = schema.dtypes[c].split("(")[0].upper()
            value = f"epoch({q(c)})" if kind == "INTERVAL" else f"CAST({q(c)} AS DOUBLE)"
            stats += [f"avg({value})", f"stddev_samp({value})", f"min({value})", f"max({value})"]
        time = schema.time_column
        visible = f" WHERE {q(time)} <= ?" if time else ""
        params = [pd.Timestamp(until).to_pydatetime()] if time else []
        (row,) = db.con.execute(
            f"SELECT {', '.join(stats)} FROM {q(table)}{visible}", params
        ).fetchall()
        for i, c in enumerate(measured):
            if is_level(*row[4 * i : 4 * i + 4]):
                found.add(c)
    return [c for c in numeric if c in found]
