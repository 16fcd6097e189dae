"""How much a request may ask: the body's size (413) and how many requests
compute or wait at once (429). The query's length is checked with the
request's fields (422, :mod:`relgraph.serve.messages`)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relgraph.serve.errors import ServeError, error_body


class BodyLimitMiddleware:
    """Refuse a request body over ``max_bytes`` with 413: at once when its
    ``Content-Length`` says so, else as soon as more has arrived.

    Args:
        app (ASGIApp): the application it wraps.
        max_bytes (int): the largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)  # the server holds it to that length
            return
        # No Content-Length (a chunked body): read it here, counting, up to the
        # limit (small), and hand it on whole.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    def _error(self) -> ServeError:
        return ServeError(
            413,
            "request_too_large",
            f"The request body is over {self.max_bytes:,} bytes; send a shorter one.",
            limit=self.max_bytes,
        )

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(error_body(self._error())).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ConcurrencyGate:
    """At most ``limit`` requests inside at once; one more gets 429 at once
    rather than a queue that grows without bound.

    Args:
        limit (int): how many may be inside (computing or waiting for the database).

    Example:
        >>> gate = ConcurrencyGate(1)
        >>> with gate.enter():
        ...     try:
        ...         with gate.enter():
        ...             pass
        ...     except ServeError as exc:
        ...         print(exc.status)
        429
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0  # requests inside now
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def enter(self) -> Iterator[None]:
        """Hold a slot for the block; raise 429 when none is free."""
        with self._lock:
            if self.in_use >= self.limit:
                raise ServeError(
                    429,
                    "too_many_requests",
                    f"{self.limit} requests are being answered already; retry in a moment.",
                    limit=self.limit,
                )
            self.in_use += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_use -= 1


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` first, then what ``receive`` gives."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
