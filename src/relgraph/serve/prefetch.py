"""Feature rows filled in while the server is idle: after a question about
some entities (a request that names them), the rows of every entity of its
table at the same anchor, so the next question about other entities (an
application asking about the customer in front of it, a page of 1,000 more)
skips its feature SQL.

The work runs on one background thread, in turns with the requests
(:meth:`~relgraph.serve.state.ServedDatabase.in_turns`): a chunk of rows at a
time, and a request that comes meanwhile goes first. What it keeps belongs to
one database version, as everything the server keeps.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pandas as pd

from relgraph.errors import RelgraphError
from relgraph.serve.state import StaleVersion

if TYPE_CHECKING:
    from relgraph.models.icl.model import IclModel
    from relgraph.serve.state import ServedDatabase

log = logging.getLogger("relgraph.serve")

#: Rows computed per turn: a request that comes meanwhile waits at most for
#: this many rows' feature SQL (0.1-0.2 s at a new anchor of the demo shop;
#: about 2.5 s on Lahman's people, 2,000 feature columns over 17 join paths).
CHUNK_ROWS = 500
#: Most feature values filled in per question and anchor (8 bytes each: 32 MB):
#: a wide feature table fills in fewer rows.
MAX_FILLED_CELLS = 4_000_000
#: (model, version, anchor) asked about, remembered so each is filled in once.
MAX_REMEMBERED = 4_096


class FeaturePrefetch:
    """Fills in the feature rows of a question's other entities, in the background.

    Args:
        served (ServedDatabase): the database, used in turns with the requests.
        max_rows (int): most entities filled in per question and anchor (the
            first ones of the entity table by key; 0: off), and at most
            :data:`MAX_FILLED_CELLS` feature values.

    Example:
        >>> from relgraph.serve.settings import ServeSettings
        >>> from relgraph.serve.state import ServedDatabase
        >>> from relgraph.bench.demo import make_ecommerce, write_duckdb
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.duckdb"
        >>> _ = write_duckdb(make_ecommerce(scale=0.02), path)
        >>> prefetch = FeaturePrefetch(ServedDatabase(ServeSettings(str(path))), max_rows=0)
        >>> prefetch.after_answer(None, None, 1)  # off: nothing scheduled
        False
    """

    def __init__(self, served: ServedDatabase, max_rows: int) -> None:
        self.served = served
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._asked: set[tuple[int, int, pd.Timestamp]] = set()
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self.filled = 0  #: rows filled in so far (tests, benchmarks)

    def after_answer(
        self, model: IclModel | None, anchor: pd.Timestamp | None, version: int
    ) -> bool:
        """Schedule the rows of every entity of ``model``'s table at ``anchor``
        (once per model, anchor and version). Returns whether it was scheduled."""
        if self.max_rows <= 0 or model is None or anchor is None or self._closed:
            return False
        ask = (id(model), version, pd.Timestamp(anchor))
        with self._lock:
            if ask in self._asked:
                return False
            if len(self._asked) >= MAX_REMEMBERED:  # a long-lived server: forget, refill
                self._asked.clear()
            self._asked.add(ask)
        self._worker.submit(self._fill, model, pd.Timestamp(anchor), version)
        return True

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until everything scheduled so far is done (tests, benchmarks)."""
        done = threading.Event()
        self._worker.submit(done.set)
        return done.wait(timeout)

    def close(self) -> None:
        """Drop what is queued and stop after the current turn (shutdown)."""
        self._closed = True
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _fill(self, model: IclModel, anchor: pd.Timestamp, version: int) -> None:
        task = model.task_
        try:
            with self.served.in_turns(version) as (db, pause):
                ids = db.table(task.entity_table, [task.entity_key])[task.entity_key]
                ids = ids.dropna().sort_values().head(self.max_rows).to_numpy()
                start, end = 0, len(ids)
                while start < end and not self._closed:
                    chunk = ids[start : start + CHUNK_ROWS]
                    rows = pd.DataFrame({task.entity_key: chunk, "anchor_time": anchor})
                    filled, columns = model.keep_features(rows)
                    self.filled += filled
                    start += len(chunk)
                    if columns:
                        end = min(end, max(MAX_FILLED_CELLS // columns, CHUNK_ROWS))
                    pause()
        except StaleVersion:
            return  # reloaded: what it would keep is for an old version
        except (RelgraphError, ValueError, RuntimeError) as exc:  # a request would say why
            log.warning("filling in feature rows failed: %s", exc)
