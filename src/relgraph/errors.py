"""One hierarchy of relgraph errors.

Every error says what is wrong, where, and how to fix it. The CLI prints the
message of a :class:`RelgraphError` (no traceback) and exits with status 1.
"""

from __future__ import annotations


class RelgraphError(Exception):
    """Base class of every error relgraph raises on purpose."""


class SourceError(RelgraphError):
    """A data source cannot be opened or read (bad path, unreadable file, no server)."""


class SchemaError(RelgraphError):
    """The schema is inconsistent: unknown table/column, bad key, link to nowhere."""


class DataValidationError(RelgraphError):
    """The data breaks the schema in a way relgraph will not silently repair
    (e.g. duplicate primary keys without ``dedupe=True``)."""


class GraphError(RelgraphError):
    """A temporal graph cannot be built, loaded or queried as asked."""
