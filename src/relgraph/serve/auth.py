"""Who may ask: a bearer token when one is set, and, on a loopback server,
only requests addressed to a loopback host name (a web page elsewhere cannot
reach it by pointing its own domain name at 127.0.0.1)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from relgraph.serve.errors import ServeError, error_body
from relgraph.serve.settings import is_loopback

_bearer = HTTPBearer(auto_error=False, description="The token given to relgraph serve --token.")


def token_checker(token: str | None) -> Callable[..., None]:
    """A FastAPI dependency that lets a request through when ``token`` is None
    or the request carries ``Authorization: Bearer <token>``; else 401."""

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        # compare_digest: the time taken does not tell how much of a guess was right
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise ServeError(
                401,
                "unauthorized",
                "Missing or wrong token: send the header 'Authorization: Bearer <token>' "
                "with the token relgraph serve was started with.",
            )

    return check


class LoopbackHostMiddleware:
    """Refuse (421, JSON) a request whose ``Host`` header is not a loopback name.

    Args:
        app (ASGIApp): the application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if not is_loopback(name):
                await _send_json(send, 421, "misdirected_request", f"Host {host!r} is not served.")
                return
        await self.app(scope, receive, send)


async def _send_json(send: Send, status: int, kind: str, message: str) -> None:
    """A JSON error sent from below the application (no handlers there)."""
    import json

    body = json.dumps(error_body(ServeError(status, kind, message))).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
