"""RelBench's rel-f1 driver tasks written as PQL.

RelBench's SQL keeps a (driver, t) example when the driver has a row of the
task's table in the window ``(t, t + Δ]`` (its "active in the last year"
filter has no upper bound, so it adds nothing; docs/rel-f1.md). In PQL:

- ``driver-dnf``: the condition on ``statusId`` is counted inside the window,
  and ``ASSUMING COUNT(results.*, 0, 30, days) > 0`` keeps only drivers with
  results there.
- ``driver-top3``: ``MIN`` of an empty window is NULL, so drivers without
  qualifying rows in the window are dropped, not labelled 0.
- ``driver-position``: ``AVG`` of an empty window is NULL: the same.
- ``driver-circuit-compete`` (link prediction): the circuits of the races a
  driver has results in within the next 365 days, ranked, MAP@10. Races link
  to drivers through results, standings and qualifying; ``VIA`` picks results.
  Anchors follow the split rule of docs/pql.md, "Splits" (every 365 days back
  from ``val_time``; several validation and test anchors, not one per split).

Example:
    >>> REL_F1_TASKS["driver-position"].query
    'PREDICT AVG(results.positionOrder, 0, 60, days) FOR EACH drivers.driverId'
    >>> from relgraph.bench.rel_f1 import load_rel_f1
    >>> db = load_rel_f1("../shared/data/f1")  # doctest: +SKIP
    >>> REL_F1_TASKS["driver-dnf"].task(db).table("val").shape  # doctest: +SKIP
    (566, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from relgraph.bench.rel_f1 import TEST_TIME, VAL_TIME
from relgraph.db.database import Database
from relgraph.pql.task import Task

__all__ = ["REL_F1_TASKS", "RelF1Task"]


@dataclass(frozen=True)
class RelF1Task:
    """One rel-f1 task: its PQL, horizon, split times and headline metric."""

    name: str
    query: str
    horizon: str
    metric: str
    val_time: pd.Timestamp = VAL_TIME
    test_time: pd.Timestamp = TEST_TIME

    def task(self, db: Database) -> Task:
        """The :class:`~relgraph.Task` on a rel-f1 database (``load_rel_f1``)."""
        return Task.from_query(
            db, self.query, val_time=self.val_time, test_time=self.test_time, horizon=self.horizon
        )


REL_F1_TASKS: dict[str, RelF1Task] = {
    t.name: t
    for t in (
        RelF1Task(
            "driver-dnf",
            "PREDICT COUNT(results.* WHERE results.statusId != 1, 0, 30, days) > 0 "
            "FOR EACH drivers.driverId ASSUMING COUNT(results.*, 0, 30, days) > 0",
            "30d",
            "auroc",
        ),
        RelF1Task(
            "driver-top3",
            "PREDICT MIN(qualifying.position, 0, 30, days) <= 3 FOR EACH drivers.driverId",
            "30d",
            "auroc",
        ),
        RelF1Task(
            "driver-position",
            "PREDICT AVG(results.positionOrder, 0, 60, days) FOR EACH drivers.driverId",
            "60d",
            "mae",
        ),
        RelF1Task(
            "driver-circuit-compete",
            "PREDICT LIST_DISTINCT(races.circuitId VIA results.driverId, 0, 365, days) "
            "RANK TOP 10 FOR EACH drivers.driverId",
            "365d",
            "map@10",
        ),
    )
}
