"""The served database's parts without a server: the fair lock, change
detection on a folder, kept answers per version."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from relgraph.serve import ServeSettings
from relgraph.serve.changes import ChangeWatch, fingerprint
from relgraph.serve.state import FairLock, ServedDatabase


def test_fair_lock_lets_waiters_in_by_arrival() -> None:
    lock, order = FairLock(), []

    def worker(i: int) -> None:
        with lock:
            order.append(i)

    threads = []
    with lock:
        for i in range(6):
            threads.append(threading.Thread(target=worker, args=(i,)))
            threads[-1].start()
            deadline = time.monotonic() + 5
            while lock.waiting < i + 1:  # this one queued before the next starts
                assert time.monotonic() < deadline
                time.sleep(0.001)
    for t in threads:
        t.join()
    assert order == list(range(6))


def test_change_watch_on_a_folder(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("user_id\n1\n")
    watch = ChangeWatch(str(tmp_path), every_s=3600)
    watch.mark()
    (tmp_path / "orders.csv").write_text("order_id,user_id\n1,1\n")
    assert not watch.changed()  # not looked at again within every_s
    watch.every_s = 0
    assert watch.changed()
    assert fingerprint("postgresql://me@localhost/db") is None
    assert not ChangeWatch("postgresql://me@localhost/db", 0).watching


def test_kept_answers_belong_to_a_version(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("user_id,age\n1,30\n2,40\n")
    served = ServedDatabase(ServeSettings(str(tmp_path), check_every_s=0, cache_size=2))
    with served.using():
        served.keep("a", 1)
        served.keep("b", 2)
        served.keep("c", 3)  # past the size: the least recently used goes
    assert served.kept("a") is None and served.kept("c") == (3, 1)
    (tmp_path / "users.csv").write_text("user_id,age\n1,30\n2,40\n3,50\n")
    assert served.kept("c") is None and served.version == 2
    with served.using() as db:
        assert len(db.table("users")) == 3


def test_a_source_that_cannot_be_read_fails_at_start(tmp_path: Path) -> None:
    import relgraph as rg

    with pytest.raises(rg.SourceError):
        ServedDatabase(ServeSettings(str(tmp_path / "missing.duckdb")))
