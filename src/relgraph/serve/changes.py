"""How the server notices that its database changed: the size and
modification time of every file of the source (a DuckDB or SQLite file with
its write-ahead log, or each file of a folder), compared with those read at
the last load. Reading them is a few ``stat`` calls, so it is done on a
request, at most every ``check_every_s`` seconds (:class:`ChangeWatch`).

A PostgreSQL source has no files to look at: it is read again only on
``POST /reload``.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from relgraph.db.sources.base import file_url_path

#: One file's (path, size, modification time in ns).
FileStamp = tuple[str, int, int]

#: Files beside a database file that hold its latest writes.
_COMPANIONS = (".wal", "-wal", "-journal", "-shm")

#: A folder with more files than this is not watched file by file past them.
_MAX_FILES = 10_000


def source_files(source: str) -> Path | None:
    """The file or folder ``source`` reads; None for a server (PostgreSQL).

    Example:
        >>> source_files("postgresql://me@localhost/shop") is None
        True
        >>> str(source_files("duckdb:////srv/shop.duckdb"))
        '/srv/shop.duckdb'
    """
    if "://" in source:
        return file_url_path(source)
    return Path(source)


def fingerprint(source: str) -> tuple[FileStamp, ...] | None:
    """What changes when ``source``'s data does: each file's size and
    modification time (None for a source without files).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "users.csv").write_text("user_id\\n1\\n")
        >>> before = fingerprint(str(folder))
        >>> _ = (folder / "users.csv").write_text("user_id\\n1\\n2\\n")
        >>> before != fingerprint(str(folder))
        True
    """
    path = source_files(source)
    if path is None:
        return None
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())[:_MAX_FILES]
    else:
        files = [path, *(Path(f"{path}{suffix}") for suffix in _COMPANIONS)]
    stamps = []
    for file in files:
        try:
            stat = os.stat(file)
        except OSError:  # absent (no WAL now) or removed while listing
            continue
        stamps.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


class ChangeWatch:
    """Tells whether ``source`` changed since :meth:`mark`, looking at most
    every ``every_s`` seconds.

    Args:
        source (str): the source, as given to :func:`relgraph.connect`.
        every_s (float): the least time between two looks.

    Example:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = file.write_text("a\\n1\\n")
        >>> watch = ChangeWatch(str(file), every_s=0.0)
        >>> watch.mark(); watch.changed()
        False
        >>> _ = file.write_text("a\\n1\\n2\\n"); watch.changed()
        True
    """

    def __init__(self, source: str, every_s: float) -> None:
        self.source = source
        self.every_s = every_s
        self._seen = fingerprint(source)
        self._looked = time.monotonic()
        self._lock = threading.Lock()

    def mark(self, stamps: tuple[FileStamp, ...] | None = None) -> None:
        """Take ``stamps`` (default: the source as it is now) as the loaded
        state. Pass the stamps read *before* loading, so that a write during
        the load is seen as a change at the next look."""
        with self._lock:
            self._seen = fingerprint(self.source) if stamps is None else stamps
            self._looked = time.monotonic()

    @property
    def watching(self) -> bool:
        """False for a source without files (PostgreSQL)."""
        return self._seen is not None

    def changed(self) -> bool:
        """True when the files differ from the loaded state (looked at only when
        ``every_s`` has passed since the last look)."""
        if self._seen is None:
            return False
        with self._lock:
            now = time.monotonic()
            if now - self._looked < self.every_s:
                return False
            self._looked = now
            return fingerprint(self.source) != self._seen
