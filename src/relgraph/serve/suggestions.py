"""Suggested questions of the served database (``GET /suggest`` and the
page's list): :func:`relgraph.suggest` run once per database version in a
background thread, so neither the page nor a prediction waits for it. It
uses the database in turns: between two candidate questions it lets the
requests that came meanwhile go first. A reload starts it again for the new
version; work on an old version stops at its next turn."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from relgraph.errors import RelgraphError
from relgraph.serve.state import ServedDatabase, StaleVersion

log = logging.getLogger("relgraph.serve")

#: At shutdown, how long to wait for a suggestion thread to reach its next turn:
#: a thread still inside DuckDB or torch while the interpreter exits aborts it.
CLOSE_WAIT_SECONDS = 60.0


class Suggestions:
    """The suggestions of the current version, or how far they are.

    Args:
        served (ServedDatabase): the database; each load starts the work again.
        limit (int): most suggestions (0: none are computed).

    Example:
        >>> from relgraph.serve import ServeSettings
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "users.csv").write_text("user_id\\n1\\n")
        >>> found = Suggestions(ServedDatabase(ServeSettings(str(folder))), limit=0)
        >>> found.state()["status"]
        'off'
    """

    def __init__(self, served: ServedDatabase, limit: int) -> None:
        self.served = served
        self.limit = limit
        self._lock = threading.Lock()
        self._version = 0  # the version the state below is about
        self._status = "off" if limit <= 0 else "waiting"
        self._found: list[dict[str, Any]] = []
        self._error: str | None = None
        self._seconds: float | None = None
        self._closed = False
        self._threads: list[threading.Thread] = []
        if limit > 0:
            served.on_load.append(self.start)
            self.start(served.version)

    def start(self, version: int) -> None:
        """Compute the suggestions of ``version`` in a new background thread."""
        with self._lock:
            self._version, self._status = version, "computing"
            self._found, self._error, self._seconds = [], None, None
        thread = threading.Thread(
            target=self._work, args=(version,), name=f"suggest-v{version}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def close(self) -> None:
        """Stop at the next turn and wait for it (the server shuts down)."""
        self._closed = True
        for thread in self._threads:
            thread.join(timeout=CLOSE_WAIT_SECONDS)

    def _work(self, version: int) -> None:
        import relgraph as rg

        start = time.perf_counter()
        try:
            with self.served.in_turns(version) as (db, pause):

                def turn(_query: str) -> None:
                    if self._closed:
                        raise StaleVersion(version)
                    pause()

                found = rg.suggest(db, limit=self.limit, progress=turn)
        except StaleVersion:
            return  # a newer version's thread does the work
        except (RelgraphError, ValueError, RuntimeError) as exc:
            self._finish(version, "failed", [], f"{type(exc).__name__}: {exc}", start)
            log.warning("suggestions of version %d failed: %s", version, exc)
            return
        self._finish(version, "ready", [s.to_dict() for s in found], None, start)

    def _finish(
        self,
        version: int,
        status: str,
        found: list[dict[str, Any]],
        error: str | None,
        start: float,
    ) -> None:
        with self._lock:
            if self._version != version:
                return
            self._status, self._found, self._error = status, found, error
            self._seconds = round(time.perf_counter() - start, 3)

    def state(self) -> dict[str, Any]:
        """What ``GET /suggest`` answers: ``status`` (``computing``,
        ``ready``, ``failed`` or ``off``), the version, the suggestions."""
        with self._lock:
            return {
                "status": self._status,
                "database_version": self._version,
                "seconds": self._seconds,
                "error": self._error,
                "suggestions": list(self._found),
            }
