"""A dict of pandas DataFrames (or Arrow tables), one per table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from relgraph.db.sources.base import Declared, register_arrow
from relgraph.errors import SourceError


def load_frames(frames: Mapping[str, Any], con: duckdb.DuckDBPyConnection) -> Declared:
    """Copy each DataFrame into ``con``; the caller's frames are not modified."""
    if not frames:
        raise SourceError("Got an empty dict of tables; pass {'name': DataFrame, ...}.")
    declared = Declared(description=f"{len(frames)} in-memory tables")
    for name, frame in frames.items():
        if not isinstance(name, str) or not name:
            raise SourceError(f"Table names must be non-empty strings (got {name!r}).")
        if isinstance(frame, pd.DataFrame):
            # The index is not data unless it is named (then it is kept as a column).
            named = any(n is not None for n in frame.index.names)
            table = pa.Table.from_pandas(frame, preserve_index=named)
        elif isinstance(frame, pa.Table):
            table = frame
        else:
            raise SourceError(
                f"Table {name!r} must be a pandas DataFrame or a pyarrow Table "
                f"(got {type(frame).__name__})."
            )
        register_arrow(con, name, table)
        declared.tables.append(name)
    return declared
