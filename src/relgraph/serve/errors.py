"""Every error as one JSON body with its status code, never a traceback:
``{"error": {"status": 422, "type": "pql_syntax", "message": "...", ...}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relgraph.errors import PQLError, PQLSyntaxError, RelgraphError

log = logging.getLogger("relgraph.serve")


class ServeError(Exception):
    """An error a request gets back as JSON with ``status``.

    Args:
        status (int): the HTTP status code.
        kind (str): a short machine-readable name (``"too_many_requests"``).
        message (str): what is wrong and how to fix it.
        extra: more fields for the body (e.g. ``limit``).

    Example:
        >>> error_body(ServeError(429, "too_many_requests", "Busy; retry."))
        {'error': {'status': 429, 'type': 'too_many_requests', 'message': 'Busy; retry.'}}
    """

    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.extra = extra


def error_body(exc: ServeError) -> dict[str, Any]:
    """The JSON document of ``exc``."""
    return {"error": {"status": exc.status, "type": exc.kind, "message": exc.message, **exc.extra}}


def error_response(exc: ServeError, headers: dict[str, str] | None = None) -> JSONResponse:
    """``exc`` as a response."""
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


def from_relgraph(exc: RelgraphError) -> ServeError:
    """A library error as a request error: a query that does not parse or fit
    the database is 422 (with where it goes wrong, for an editor to point at);
    any other relgraph error (too little history, a model that does not fit)
    is 400. Both carry the library's message, which says how to fix it."""
    if isinstance(exc, PQLError):
        where: dict[str, Any] = {"start": exc.start, "end": exc.end, "hint": exc.hint}
        if isinstance(exc, PQLSyntaxError):
            where.update(line=exc.line, column=exc.column, expected=exc.expected)
            return ServeError(422, "pql_syntax", str(exc), **where)
        return ServeError(422, "pql", str(exc), **where)
    return ServeError(400, type(exc).__name__, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception a request can raise to a JSON error."""

    @app.exception_handler(ServeError)
    async def _serve(request: Request, exc: ServeError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc, headers)

    @app.exception_handler(RelgraphError)
    async def _relgraph(request: Request, exc: RelgraphError) -> JSONResponse:
        return error_response(from_relgraph(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The received input is left out: it may be long, and it is the sender's own.
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        shown = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details)
        return error_response(
            ServeError(422, "invalid_request", f"Invalid request: {shown}", details=details)
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(ServeError(exc.status_code, kind, str(exc.detail)), exc.headers)


class CatchAllMiddleware:
    """Any other exception: a 500 JSON error to the client, the traceback to
    the server's log, and the connection kept (Starlette's own last-resort
    handler raises again, and uvicorn then drops the connection).

    Args:
        app (ASGIApp): the application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if scope["type"] != "http" or started:
                raise
            log.error("unexpected error on %s %s", scope["method"], scope["path"], exc_info=exc)
            message = "Internal error; the server's log has the details."
            await error_response(ServeError(500, "internal_error", message))(scope, receive, send)
