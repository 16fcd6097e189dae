"""``POST /evaluate``'s job: the backtest ``relgraph evaluate`` runs
(:func:`relgraph.evaluate.evaluation.evaluate_models`), on the job's own copy
of the database, reporting each model run as progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relgraph.db.database import connect
from relgraph.evaluate.evaluation import evaluate_models, plan_runs
from relgraph.evaluate.report import Report
from relgraph.pql import Task, parse
from relgraph.serve.answers import jsonable
from relgraph.serve.messages import EvaluateRequest
from relgraph.serve.settings import ServeSettings


def backtest_work(
    settings: ServeSettings, request: EvaluateRequest
) -> Callable[[Callable[[str, int, int], None]], dict[str, Any]]:
    """The job for ``request``; unknown model names and a query that does not
    parse fail here, before the job is queued.

    Raises:
        ModelError: an unknown model name.
        PQLSyntaxError: the query does not parse.
    """
    parsed = parse(request.query)
    runs = plan_runs(request.models, request.seeds)

    def work(progress: Callable[[str, int, int], None]) -> dict[str, Any]:
        done = 0
        progress("reading the database", 0, len(runs))
        db = connect(settings.source, **settings.connect_options)
        try:
            task = Task.from_query(
                db,
                parsed,
                val_time=request.val_time,
                test_time=request.test_time,
                horizon=request.horizon,
            )

            def hook(description: str, advance: int) -> None:
                nonlocal done
                done += advance
                progress(description, done, len(runs))

            ev = evaluate_models(
                task, request.models, request.seeds, request.protocol, name="query", progress=hook
            )
            return jsonable(Report("served database", [ev]).to_json())
        finally:
            db.con.close()

    return work
