"""relgraph: relational deep learning on the database you already have.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> db = rg.connect({"customers": pd.DataFrame({"customer_id": [1, 2, 3]})})
    >>> db.schema.tables["customers"].primary_key
    'customer_id'
"""

import os

# OpenMP threads (LightGBM's, torch's) spin while they wait by default, taking
# the cores from DuckDB and each other between fits (small fits 5-10x slower
# here). OpenMP reads this once, when the first library using it loads, so it
# is set before any of them: here, first thing.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from relgraph import pql  # noqa: E402
from relgraph.db.database import Database, connect  # noqa: E402
from relgraph.db.schema import Link, Schema, TableSchema  # noqa: E402
from relgraph.db.sources.writeback import write_predictions, write_table  # noqa: E402
from relgraph.db.stype import Stype  # noqa: E402
from relgraph.errors import (
    DataValidationError,
    GraphError,
    PQLError,
    PQLSemanticError,
    PQLSyntaxError,
    RelgraphError,
    SchemaError,
    SourceError,
)
from relgraph.models import load, train  # noqa: E402
from relgraph.pql.task import Task  # noqa: E402
from relgraph.predict import predict  # noqa: E402
from relgraph.suggest import suggest  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "load",
    "predict",
    "suggest",
    "train",
    "write_predictions",
    "write_table",
    "Database",
    "DataValidationError",
    "GraphError",
    "Link",
    "PQLError",
    "PQLSemanticError",
    "PQLSyntaxError",
    "RelgraphError",
    "Schema",
    "SchemaError",
    "SourceError",
    "Stype",
    "TableSchema",
    "Task",
    "connect",
    "pql",
]
