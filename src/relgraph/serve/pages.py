"""The web page (``GET /``): three fixed files shipped in ``page/``, read
once; a request names one of them by route, never by path."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

#: route -> (file in page/, media type)
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/page/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/page/style.css": ("style.css", "text/css; charset=utf-8"),
}

#: The page runs only its own script, talks only to this server, and may not
#: be framed by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@functools.cache
def page_file(name: str) -> bytes:
    """The bytes of ``page/<name>`` (one of :data:`PAGE_FILES`).

    Example:
        >>> page_file("index.html").startswith(b"<!doctype html>")
        True
    """
    return resources.files("relgraph.serve").joinpath("page", name).read_bytes()


def page_router() -> APIRouter:
    """The routes of the page's files (public: the page holds no data; it asks
    the API, with the token when one is set)."""
    router = APIRouter(include_in_schema=False)
    for route, (name, media_type) in PAGE_FILES.items():

        def serve(name: str = name, media_type: str = media_type) -> Response:
            return Response(page_file(name), media_type=media_type, headers=SECURITY_HEADERS)

        router.add_api_route(route, serve, methods=["GET"])
    return router
