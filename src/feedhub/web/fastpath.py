"""The fast path: feed URLs answered before Flask, because pollers hammer exactly those.

:class:`FastPublished` answers a GET or HEAD of a feed URL without a filter straight from
web.published.Published, through the same web.conditional.answer as the Flask routes, so
with the same bytes and headers (:func:`feed_routes` is its table). A query of only ignored
parameters (web.filters.is_plain: tracking parameters, cache busters) is still the plain feed.
Must not: answer anything Flask would answer differently (filters, unknown parameters,
browsers that may get the feed's page, a file not built yet: those go on to Flask).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..model import Config
from ..publish import FORMATS
from .conditional import answer
from .filters import is_plain
from .headers import MEDIA_TYPES
from .published import Published

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastPublished:
    """WSGI middleware in front of Flask: GET/HEAD of a feed URL without a filter is answered
    from :class:`Published` directly (one dict lookup, one stat), everything else goes on to
    Flask. Same :func:`answer`, so the same bytes and headers; it only skips Flask's routing,
    request context and response objects, which cost more than the answer itself."""

    def __init__(self, app: WSGIApp, published: Published, routes: dict[str, str]) -> None:
        self.app = app
        self.published = published
        self.routes = routes
        """URL path -> relative path of the published file."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        relpath = self.routes.get(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "")
        if (relpath is None or method not in ("GET", "HEAD")
                or "text/html" in environ.get("HTTP_ACCEPT", "")
                or (environ.get("QUERY_STRING") and not is_plain(environ["QUERY_STRING"]))):
            # Filters, unknown parameters (a 400), browsers (who may get the feed's page) and
            # the rest: Flask decides.
            return self.app(environ, start_response)
        ready = self.published.get(relpath, MEDIA_TYPES[relpath.rpartition(".")[2]])
        if ready is None:
            return self.app(environ, start_response)
        status, headers, body = answer(
            ready, self.published, method, environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"), environ.get("HTTP_ACCEPT_ENCODING"),
            environ.get("HTTP_ORIGIN"), vary_accept=True)
        start_response("200 OK" if status == 200 else "304 Not Modified", headers)
        return [body] if body else []


def feed_routes(config: Config) -> dict[str, str]:
    """Every feed URL the publisher writes a file for -> that file (the fast path's table)."""
    return {f"/feeds/{slug}.{ext}": f"{slug}.{ext}"
            for slug in config.feed_slugs for ext in FORMATS}
