"""In-context models kept warm per question, for one database version: a
question asked again (other entities, another anchor, with or without
reasons, another predictor's answer beside it) reuses what its model keeps:
the query's labels, its feature plans and rows, and the predictor chosen on
a context (:func:`relgraph.predict.warm_model`). The relational feature rows
are kept per database, so another question over the same entities reuses
them too. Everything kept belongs to one version: a reload drops it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from relgraph.pql.parser import parse

if TYPE_CHECKING:
    from relgraph.db.database import Database
    from relgraph.models.icl.model import IclModel

#: A kept model's key: the query as PQL writes it, the mode, the predictor.
ModelKey = tuple[str, str, str | None]


class KeptModels:
    """The last ``size`` models asked for, least recently used dropped first.

    Args:
        size (int): most models kept (0: none; each keeps its feature rows,
            about a megabyte per thousand rows and hundred features).

    Example:
        >>> kept = KeptModels(size=0)
        >>> len(kept)
        0
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._models: OrderedDict[ModelKey, IclModel] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._models)

    def get(self, db: Database, query: str, mode: str, predictor: str | None) -> IclModel:
        """The model kept for (``query``, ``mode``, ``predictor``), made (and
        kept) when there is none. Call under the database's lock."""
        from relgraph.predict import warm_model

        parsed = parse(query)
        key = (parsed.to_pql(), mode, predictor)
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
                return model
        model = warm_model(db, parsed, mode, predictor)
        if self.size > 0:
            with self._lock:
                self._models[key] = model
                while len(self._models) > self.size:
                    self._models.popitem(last=False)
        return model

    def clear(self) -> None:
        """Drop every model (the database changed)."""
        with self._lock:
            self._models.clear()
