"""relgraph: relational deep learning on the database you already have.

Example:
    >>> import pandas as pd, relgraph as rg
    >>> db = rg.connect({"customers": pd.DataFrame({"customer_id": [1, 2, 3]})})
    >>> db.schema.tables["customers"].primary_key
    'customer_id'
"""

from relgraph import pql
from relgraph.db.database import Database, connect
from relgraph.db.schema import Link, Schema, TableSchema
from relgraph.db.stype import Stype
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
from relgraph.models import load, train
from relgraph.pql.task import Task
from relgraph.predict import predict
from relgraph.suggest import suggest

__version__ = "0.1.0"

__all__ = [
    "load",
    "predict",
    "suggest",
    "train",
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
