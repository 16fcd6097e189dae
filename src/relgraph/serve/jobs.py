"""Background jobs (``POST /evaluate``): run one at a time on a worker
thread, with progress a client reads from ``GET /jobs/{id}``.

A backtest fits models for seconds to minutes, so it never holds the
served database: each job opens its own copy of the source, and
predictions go on being answered meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from relgraph.errors import RelgraphError
from relgraph.serve.errors import ServeError, from_relgraph

log = logging.getLogger("relgraph.serve")

#: ``work(progress)`` -> the job's result; ``progress(step, done, total)``.
Work = Callable[[Callable[[str, int, int], None]], dict[str, Any]]

#: Finished jobs kept for their clients to read (the oldest go first).
_KEEP_FINISHED = 100


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"
    done: int = 0
    total: int = 0
    step: str = "queued"
    created: str = field(default_factory=_now)
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": {"done": self.done, "total": self.total, "step": self.step},
            "created": self.created,
            "finished": self.finished,
            "result": self.result,
            "error": self.error,
        }


class JobRunner:
    """Runs jobs one after another; at most ``max_jobs`` queued or running.

    Args:
        max_jobs (int): jobs waiting or running at once; one more gets 429.

    Example:
        >>> runner = JobRunner(max_jobs=1)
        >>> job = runner.submit("demo", lambda progress: {"answer": 42})
        >>> runner.wait(job.id); runner.get(job.id).to_json()["result"]
        {'answer': 42}
        >>> runner.close()
    """

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max_jobs
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relgraph-job")
        self._futures: dict[str, Any] = {}

    def submit(self, kind: str, work: Work) -> Job:
        """Queue ``work``; 429 when ``max_jobs`` are queued or running already."""
        with self._lock:
            active = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if active >= self.max_jobs:
                raise ServeError(
                    429,
                    "too_many_jobs",
                    f"{active} jobs are queued or running (the limit); wait for one to "
                    "finish (GET /jobs/{id}).",
                    limit=self.max_jobs,
                )
            job = Job(id=uuid.uuid4().hex, kind=kind)
            self._jobs[job.id] = job
            self._forget_old()
            self._futures[job.id] = self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job:
        """The job ``job_id``; 404 when there is none (or it was forgotten)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise ServeError(
                404,
                "unknown_job",
                f"No job {job_id!r} (finished jobs are kept for the last {_KEEP_FINISHED}).",
            )
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (tests, benchmarks)."""
        self._futures[job_id].result(timeout)

    def close(self) -> None:
        """Stop taking jobs; let the running one finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, work: Work) -> None:
        def progress(step: str, done: int, total: int) -> None:
            job.step, job.done, job.total = step, done, total

        job.status, job.step = "running", "starting"
        try:
            job.result = work(progress)
            job.status, job.step = "done", "done"
        except RelgraphError as exc:
            job.error = _error(from_relgraph(exc))
            job.status = "failed"
        except Exception as exc:  # the log has the traceback; the client a message
            log.error("job %s failed", job.id, exc_info=exc)
            job.error = _error(
                ServeError(
                    500,
                    "internal_error",
                    "Internal error in the job; the server's log has the details.",
                )
            )
            job.status = "failed"
        job.finished = _now()

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status in ("done", "failed")]
        for job_id in finished[: max(0, len(finished) - _KEEP_FINISHED)]:
            del self._jobs[job_id]
            self._futures.pop(job_id, None)


def _error(exc: ServeError) -> dict[str, Any]:
    return {"status": exc.status, "type": exc.kind, "message": exc.message, **exc.extra}
