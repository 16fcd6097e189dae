"""The application: :func:`create_app` wires the served database, the
limits, the token and the job runner to the endpoints.

The web page at ``/``; endpoints (OpenAPI docs at ``/docs``): ``GET /info``, ``GET /schema``,
``POST /check``, ``POST /labels``, ``POST /predict``, ``GET /suggest``,
``POST /evaluate`` (a job), ``GET /jobs/{id}``, ``POST /reload``. docs/serve.md says more.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response

from relgraph.serve.answers import (
    answer_bytes,
    check_answer,
    labels_answer,
    predict_answer,
    schema_answer,
)
from relgraph.serve.auth import LoopbackHostMiddleware, token_checker
from relgraph.serve.backtest import backtest_work
from relgraph.serve.errors import CatchAllMiddleware, install_error_handlers
from relgraph.serve.jobs import JobRunner
from relgraph.serve.limits import BodyLimitMiddleware, ConcurrencyGate
from relgraph.serve.messages import (
    CheckRequest,
    EvaluateRequest,
    JobStatus,
    LabelsRequest,
    PredictRequest,
    PredictResponse,
    ServerInfo,
    SuggestionsState,
)
from relgraph.serve.pages import page_router
from relgraph.serve.prefetch import FeaturePrefetch
from relgraph.serve.saved_models import saved_model_names
from relgraph.serve.settings import ServeSettings
from relgraph.serve.state import ServedDatabase
from relgraph.serve.suggestions import Suggestions

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": what}
    for code, what in {
        401: "missing or wrong token",
        413: "request body too large",
        422: "invalid request, or a query that does not parse or fit the database",
        429: "too many requests at once",
    }.items()
}


def create_app(settings: ServeSettings, warm: bool = True) -> FastAPI:
    """The HTTP application over ``settings.source``, loaded now.

    Args:
        settings (ServeSettings): source, token, limits.
        warm (bool): load the context transformer and LightGBM now, so the
            first prediction does not pay for them. (default: True)

    Raises:
        RelgraphError: the source cannot be read.

    Example:
        >>> from relgraph.bench.demo import make_ecommerce, write_duckdb
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.duckdb"
        >>> _ = write_duckdb(make_ecommerce(scale=0.02), path)
        >>> app = create_app(ServeSettings(str(path)), warm=False)
        >>> sorted(app.openapi()["paths"])[:4]
        ['/check', '/evaluate', '/info', '/jobs/{job_id}']
    """
    served = ServedDatabase(settings)
    if warm:
        from relgraph.models.icl.transformer import load_pretrained

        load_pretrained()  # torch and the weights: once per process
        # the choice between predictors fits LightGBM: its import (with
        # scikit-learn's, about a second) would fall on the first question
        import lightgbm  # noqa: F401
    gate = ConcurrencyGate(settings.max_in_flight)
    jobs = JobRunner(settings.max_jobs)
    suggestions = Suggestions(served, settings.suggestions)
    prefetch = FeaturePrefetch(served, settings.prefetch_rows)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()  # queued jobs are dropped; the running one is let finish
        suggestions.close()
        prefetch.close()

    app = FastAPI(
        lifespan=lifespan,
        title="relgraph serve",
        summary="Predictions over one database from a warm process.",
        version="0.1.0",
        responses=ERRORS,
    )
    app.state.served, app.state.jobs, app.state.gate = served, jobs, gate
    app.state.suggestions, app.state.prefetch = suggestions, prefetch
    install_error_handlers(app)
    if settings.loopback:
        app.add_middleware(LoopbackHostMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAllMiddleware)  # added last: the outermost
    api = APIRouter(dependencies=[Depends(token_checker(settings.token))])

    @api.get("/info", response_model=ServerInfo)
    def info() -> dict[str, Any]:
        """The database served: its version (one more per reload) and state."""
        with gate.enter(), served.using():
            return {**served.info(), "saved_models": saved_model_names(settings.models_dir)}

    @api.get("/schema")
    def schema() -> dict[str, Any]:
        """The inferred schema: tables, keys, links, time columns, column types."""
        with gate.enter(), served.using() as db:
            return {"database_version": served.version, **schema_answer(db)}

    @api.post("/check")
    def check(request: CheckRequest) -> dict[str, Any]:
        """Parse and check a query (``relgraph check``): task type, entity,
        target, windows; or a 422 saying where it goes wrong."""
        with gate.enter(), served.using() as db:
            return check_answer(db, request.query)

    @api.post("/labels")
    def labels(request: LabelsRequest) -> dict[str, Any]:
        """Anchors, examples and labels per split (``relgraph labels --summary``)."""
        with gate.enter(), served.using() as db:
            return labels_answer(db, request)

    @api.post("/predict", response_model=PredictResponse)
    def predict(request: PredictRequest) -> Response:
        """Predictions with reasons (``relgraph predict``), one row per entity."""
        start = time.perf_counter()
        key = request.model_dump_json(exclude={"fresh", "limit"})
        with gate.enter():
            kept = None if request.fresh else served.kept(key)
            if kept is None:
                with served.using() as db:
                    # the same question may have been answered while this one waited
                    kept = None if request.fresh else served.lookup(key)
                    if kept is None:
                        models = None if request.fresh else served.models
                        answer = predict_answer(
                            db, request, settings, models, prefetch, served.version
                        )
                        served.keep(key, answer)
                        version, cached = served.version, False
            if kept is not None:
                (answer, version), cached = kept, True
        answer = {
            **answer,
            "cached": cached,
            "database_version": version,
            "seconds": round(time.perf_counter() - start, 4),
        }
        return Response(answer_bytes(answer, request.limit), media_type="application/json")

    @api.get("/suggest", response_model=SuggestionsState)
    def suggest() -> dict[str, Any]:
        """Suggested questions (``relgraph suggest``), computed in the
        background once per database version: ``status`` says whether they
        are ready; the page asks again until they are."""
        with gate.enter():
            served.look()  # a change starts them again, for the new version
        return suggestions.state()

    @api.post("/evaluate", status_code=202, response_model=JobStatus)
    def evaluate(request: EvaluateRequest) -> dict[str, Any]:
        """Start a backtest (``relgraph evaluate``) as a job; read it at ``/jobs/{id}``."""
        return jobs.submit("evaluate", backtest_work(settings, request)).to_json()

    @api.get("/jobs/{job_id}", response_model=JobStatus)
    def job(job_id: str) -> dict[str, Any]:
        """A job's status and progress, and its result once done."""
        return jobs.get(job_id).to_json()

    @api.post("/reload", response_model=ServerInfo)
    def reload() -> dict[str, Any]:
        """Read the database again now (the only way for PostgreSQL)."""
        with gate.enter():
            served.reload()
            return {**served.info(), "saved_models": saved_model_names(settings.models_dir)}

    app.include_router(api)
    app.include_router(page_router())
    return app
