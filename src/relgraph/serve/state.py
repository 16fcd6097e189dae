"""The database a server answers from: opened once (read-only: relgraph
copies the source into its own working store and never writes to it),
read again when its files change (:mod:`relgraph.serve.changes`), and used
by one request at a time (DuckDB's connection is not shared across threads).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from relgraph.db.database import Database, connect
from relgraph.errors import RelgraphError
from relgraph.serve.changes import ChangeWatch, fingerprint
from relgraph.serve.settings import ServeSettings
from relgraph.serve.warm import KeptModels

log = logging.getLogger("relgraph.serve")


class FairLock:
    """A lock taken in the order it was asked for (``threading.Lock`` lets any
    waiter in, so under load one request could wait through many others).

    Example:
        >>> lock = FairLock()
        >>> with lock:
        ...     lock.waiting
        0
    """

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._next = 0  # the ticket the next caller gets
        self._serving = 0  # the ticket that holds the lock

    @property
    def waiting(self) -> int:
        """Callers waiting for their turn (the holder not counted)."""
        return max(0, self._next - self._serving - 1)

    def __enter__(self) -> FairLock:
        with self._turn:
            ticket = self._next
            self._next += 1
            self._turn.wait_for(lambda: self._serving == ticket)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._turn:
            self._serving += 1
            self._turn.notify_all()


class StaleVersion(Exception):  # noqa: N818 (not an error: a signal to stop)
    """Background work on a database version that has since been reloaded
    (not a RelgraphError, so no library code catches it on the way up)."""


class ServedDatabase:
    """The loaded database, its version, and the answers kept for it.

    Args:
        settings (ServeSettings): the source and how often to look for changes.

    Raises:
        RelgraphError: the source cannot be read at start (a later failed
            reload keeps the loaded database and says why in :attr:`reload_error`).
    """

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.watch = ChangeWatch(settings.source, settings.check_every_s)
        self.version = 0
        self.reload_error: str | None = None
        self._lock = FairLock()  # the database: one request's work at a time, in turn
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._answers_lock = threading.Lock()  # kept answers are read without waiting for work
        self.models = KeptModels(settings.models_kept)
        #: Called (under the lock) after each load, with the new version.
        self.on_load: list[Callable[[int], None]] = []
        self.db: Database = self._load()

    def _load(self) -> Database:
        before = fingerprint(self.settings.source)
        start = time.perf_counter()
        db = connect(self.settings.source, **self.settings.connect_options)
        self.load_seconds = time.perf_counter() - start
        self.loaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self.watch.mark(before)
        with self._answers_lock:
            self.version += 1
            self._answers.clear()
        self.models.clear()  # their labels and features are the old version's
        for hook in self.on_load:
            hook(self.version)
        return db

    @contextlib.contextmanager
    def using(self) -> Iterator[Database]:
        """The database for one request's work, reloaded first if its files changed."""
        with self._lock:
            if self.watch.changed():
                self._reload()
            yield self.db

    @contextlib.contextmanager
    def in_turns(self, version: int) -> Iterator[tuple[Database, Callable[[], None]]]:
        """The database of ``version`` for long background work (suggestions),
        with a ``pause()`` that lets the requests waiting meanwhile go first.

        Raises:
            StaleVersion: at the start or after a pause, when the database is
                no longer ``version`` (it was reloaded): the work is stale.
        """
        with self._lock:
            if self.version != version:
                raise StaleVersion(version)

            def pause() -> None:
                self._lock.__exit__()
                self._lock.__enter__()
                if self.version != version:
                    raise StaleVersion(version)

            yield self.db, pause

    def reload(self) -> None:
        """Read the source again now (``POST /reload``)."""
        with self._lock:
            self._reload()

    def _reload(self) -> None:
        old = self.db
        try:
            self.db = self._load()
        except RelgraphError as exc:
            # A file caught half-written, say: keep answering from what was
            # loaded, say why, and try again at the next change.
            self.watch.mark()
            self.reload_error = str(exc)
            log.warning(
                "reload of %s failed, keeping version %d: %s", old.source, self.version, exc
            )
            return
        self.reload_error = None
        old.con.close()  # nothing else holds it: every use is under the lock
        log.info("reloaded %s (version %d)", self.db.source, self.version)

    # ------------------------------------------------------------ answers
    def kept(self, key: Hashable) -> tuple[Any, int] | None:
        """The answer kept for ``key`` and its version, if the database has not
        changed since (the files are looked at first, as for :meth:`using`).
        It does not wait for a request that is computing."""
        self.look()
        return self.lookup(key)

    def look(self) -> None:
        """Reload now if the files changed (waiting for the lock only then)."""
        if self.watch.changed():
            with self._lock:
                self._reload()

    def lookup(self, key: Hashable) -> tuple[Any, int] | None:
        """The answer kept for ``key`` at this version, without looking at the files."""
        with self._answers_lock:
            answer = self._answers.get((self.version, key))
            if answer is None:
                return None
            self._answers.move_to_end((self.version, key))
            return answer, self.version

    def keep(self, key: Hashable, answer: Any) -> None:
        """Keep ``answer`` for this version (call under :meth:`using`), dropping
        the least recently used past the cache size."""
        if self.settings.cache_size <= 0:
            return
        with self._answers_lock:
            self._answers[(self.version, key)] = answer
            while len(self._answers) > self.settings.cache_size:
                self._answers.popitem(last=False)

    def info(self) -> dict[str, Any]:
        """What ``GET /info`` reports about the loaded database."""
        return {
            "source": self.db.source,
            "database_version": self.version,
            "loaded_at": self.loaded_at,
            "load_seconds": round(self.load_seconds, 3),
            "watching": self.watch.watching,
            "reload_error": self.reload_error,
            "tables": len(self.db.schema.tables),
        }
