"""PQL, the predictive query language: parse, check against a schema, compile
to SQL that builds labelled training tables, and split them in time.

Example:
    >>> import relgraph as rg
    >>> q = rg.pql.parse("PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id")
    >>> q.entity.column.table
    'customers'
"""

from relgraph.pql.ast import Query
from relgraph.pql.checker import CheckedQuery, check
from relgraph.pql.duration import Duration
from relgraph.pql.parser import parse
from relgraph.pql.task import Task
from relgraph.pql.task_type import TaskType

__all__ = ["CheckedQuery", "Duration", "Query", "Task", "TaskType", "check", "parse"]
