"""create_app(): the Flask app that serves the published feeds and the pages around them.

Contract:
- Feeds are answered from the files the publisher wrote (never rendered per request), so every
  worker (and nginx, deploy/nginx.conf) answers with the same bytes. :func:`serve_published` is
  the one place a route answers a published file (through web.conditional.answer, which the
  WSGI fast path in front of Flask shares); a file not built yet is 503.
- Links in pages come from the configured base URL, never from the request's Host header;
  no redirect is built from it either (no merge-slashes redirect, and a ``Location`` is made
  relative). Error responses are one plain-text line, never a stack trace.
- ``/status.json`` and ``/healthz`` (web.status) never answer from a cache; an operator's
  answer is not readable cross-origin. ``/metrics`` (web.metrics) and the incidents feed
  (``/ops/incidents.atom``, web.status) answer operators only.

Must not: render a feed or page per request (filtered feeds are web.filters, iframe embeds
with options web.embeds), or build anything
itself (the Refresher does, in its thread, when ``serve.refresh`` asks for it).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import Forbidden, HTTPException, NotFound, ServiceUnavailable
from werkzeug.wrappers import Response

from ..config import DURATION_EXAMPLES, load_config, parse_duration
from ..logs import redact_feedhub_loggers
from ..publish import FORMATS
from ..publish.embeds import frame_defaults
from ..refresh import Refresher
from .conditional import answer
from .embeds import Frames, parse_embed_query
from .fastpath import FastPublished, feed_routes
from .filters import Filtered, parse_query
from .headers import CSP_PAGE, EMBED_TYPES, HTML_TYPE, MEDIA_TYPES, NOSNIFF, PREFLIGHT, STATIC_TYPES
from .metrics import install_metrics
from .published import Published, Ready
from .status import INCIDENTS_PATH, health_body, incidents_feed, is_operator, status_body
from .storepublished import published_for

log = logging.getLogger("feedhub.web")  # the name Flask gives the app's logger, and ours

PACKAGE_ROOT = Path(__file__).parent.parent
"""src/feedhub: the app's root_path, as when the app was the module feedhub/web.py."""


def _ready_response(ready: Ready, vary_accept: bool = False) -> Response:
    status, headers, body = answer(
        ready, _published(), request.method, request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"), request.headers.get("Accept-Encoding"),
        request.headers.get("Origin"), vary_accept)
    response = Response(body, status=status, headers=headers)
    if request.method == "HEAD" and status == 200:
        # Werkzeug drops the body of a HEAD itself; keep the Content-Length of the GET.
        response.headers["Content-Length"] = dict(headers)["Content-Length"]
    return response


def serve_published(relpath: str, content_type: str, vary_accept: bool = False) -> Response:
    """Answer with a file the publisher wrote under the output folder.

    Every published URL goes through here (or through FastPublished, which shares
    :func:`answer`), so caching and conditional GET live in one place. ``relpath`` must come
    from a validated slug, never straight from the request path.
    """
    ready = _published().get(relpath, content_type)
    if ready is None:
        raise ServiceUnavailable(f"{relpath} is not built yet; run `feedhub build`")
    return _ready_response(ready, vary_accept)


def wants_page() -> bool:
    """True for a browser navigating to a feed URL: it names text/html and prefers it to every
    XML or feed type it names. Readers (feed types first, */* or nothing) never match."""
    named = dict(request.accept_mimetypes)
    page = named.get("text/html", 0)
    feedish = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/xml", "text/xml")
    return page > 0 and all(page > named.get(kind, 0) for kind in feedish)


def feed_response(relpath: str, ext: str, page: str = "") -> Response:
    """A feed file, or for a browser the feed's page (``page``, a published HTML file).

    Browsers get readable HTML: Chromium shows application/rss+xml as plain text, and feeds
    carry no XSL stylesheet (browsers are removing XSLT). Vary: Accept keeps the two answers
    apart in caches.
    """
    if page and ext != "json" and wants_page():
        return serve_published(page, HTML_TYPE, vary_accept=True)
    return serve_published(relpath, MEDIA_TYPES[ext], vary_accept=True)


def _published() -> Published:
    published: Published = current_app.extensions["feedhub.published"]
    return published


def cors_path(path: str) -> bool:
    """URLs whose answers browsers on other origins may read (and preflight)."""
    return (path.startswith(("/feeds/", "/embed/", "/static/"))
            or path in ("/feeds.opml", "/status.json"))


def relative_location(location: str) -> str:
    """A ``Location`` without scheme and host: a redirect never sends a client to the host
    a request named (werkzeug builds absolute ones from the Host header)."""
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc):
        return location
    # One leading "/": "//evil.example/x" would name a host again.
    return urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``FEEDHUB_CONFIG`` (env or ``test_config``) names the sources.yaml."""
    # The name gunicorn's and Flask's logs know the app by; the root_path of the module
    # feedhub/web.py it was, which keeps Flask's own /static/ route on src/feedhub/static
    # (the publisher's copies, routed below, answer feedhub.css and feedhub.js).
    app = Flask("feedhub.web", root_path=str(PACKAGE_ROOT))
    # "/static//feedhub.css" must not answer 308 to a URL built from the Host header.
    app.url_map.merge_slashes = False
    app.config["FEEDHUB_CONFIG"] = os.environ.get("FEEDHUB_CONFIG", "sources.yaml")
    app.config["FEEDHUB_STATUS_TOKEN"] = os.environ.get("FEEDHUB_STATUS_TOKEN", "")
    if test_config:
        app.config.update(test_config)
    config = load_config(Path(app.config["FEEDHUB_CONFIG"]))
    status_token = str(app.config["FEEDHUB_STATUS_TOKEN"] or "")

    redact_feedhub_loggers()  # every feedhub module is imported by now

    published = published_for(config)  # the store or the output folder (issue 10)
    filtered = Filtered(config)
    frames = Frames(config, filtered.last_build)
    app.extensions["feedhub"] = config
    app.extensions["feedhub.published"] = published
    refresh = config.serve.refresh
    if "FEEDHUB_REFRESH" in app.config:
        given = parse_duration(str(app.config["FEEDHUB_REFRESH"]))
        if given is None:
            raise ValueError(f"refresh must be a duration such as {DURATION_EXAMPLES}, "
                             f"got {app.config['FEEDHUB_REFRESH']!r}")
        refresh = given
    if refresh:
        refresher = Refresher(config, refresh)
        app.extensions["feedhub.refresher"] = refresher
        refresher.start()
    routes = feed_routes(config)
    feed_files = list(routes.values())
    app.wsgi_app = FastPublished(app.wsgi_app, published, routes)  # type: ignore[method-assign]

    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS" or not cors_path(request.path):
            return None
        response = Response(status=204, headers=[NOSNIFF, *PREFLIGHT])
        allowed = published.allow_origin(request.headers.get("Origin"))
        if allowed:
            response.headers["Access-Control-Allow-Origin"] = allowed
        if allowed != "*":
            response.headers["Vary"] = "Origin"
        return response

    @app.get("/")
    def index() -> Response:
        return serve_published("index.html", HTML_TYPE)

    # Pages, lists, embeds and archives the publisher writes (see feedhub.publish).
    def known(slug: str) -> str:
        if slug not in config.feed_slugs:
            raise NotFound(f"no category {slug!r}; categories: {', '.join(config.feed_slugs)}")
        return slug

    @app.get("/c/<slug>")
    def category_page(slug: str) -> Response:
        return serve_published(f"c/{known(slug)}.html", HTML_TYPE)

    @app.get("/feeds.opml")
    def opml() -> Response:
        return serve_published("feeds.opml", MEDIA_TYPES["opml"])

    @app.get("/embed/<slug>.<any(js, html):ext>")
    def embed(slug: str, ext: str) -> Response:
        # Options are checked for both; the iframe honours them here (web.embeds), the script
        # in the partner's browser.
        options = parse_embed_query(request.query_string.decode("latin-1"), ext, config,
                                    known(slug))
        if ext == "html" and options != frame_defaults(config, slug):
            return _ready_response(frames.get(slug, options))
        return serve_published(f"embed/{slug}.{ext}", EMBED_TYPES[ext])

    @app.get("/static/<any('feedhub.css', 'feedhub.js', 'embed.css'):name>")
    def static_file(name: str) -> Response:
        return serve_published(f"static/{name}", STATIC_TYPES[name])

    @app.get("/feeds/archive/<slug>/<int:number>.<any(rss, atom, json):ext>")
    def archive(slug: str, number: int, ext: str) -> Response:
        relpath = f"archive/{known(slug)}/{number}.{ext}"
        # Asked of what this node serves from (the output folder, or the store on a web node
        # without one), like every other published file.
        if published.get(relpath, MEDIA_TYPES[ext]) is None:
            raise NotFound(f"no archive {number} of {slug!r}; follow the feed's prev-archive link")
        return feed_response(relpath, ext)

    @app.get("/feeds/<slug>.<ext>")
    def feed(slug: str, ext: str) -> Response:
        if ext not in FORMATS:
            raise NotFound(f"no feed format {ext!r}; formats: {', '.join(FORMATS)}")
        if slug not in config.feed_slugs:
            raise NotFound(f"no category {slug!r}; categories: {', '.join(config.feed_slugs)}")
        # The query as the fast path read it (QUERY_STRING), so both decide alike.
        query = parse_query(request.query_string.decode("latin-1"), config.feed_size(slug))
        if query is not None:
            return _ready_response(filtered.get(slug, ext, query), vary_accept=True)
        return feed_response(f"{slug}.{ext}", ext, page=f"c/{slug}.html")

    @app.get("/healthz")
    def healthz() -> Response:
        operator = is_operator(status_token)
        body = health_body(config, published, feed_files, operator)
        return _json(body, 503 if body["reasons"] else 200, cors=not operator)

    @app.get("/status.json")
    def status() -> Response:
        operator = is_operator(status_token)
        return _json(status_body(config, operator), 200, cors=not operator)

    @app.get(INCIDENTS_PATH)
    def incidents() -> Response:
        if not is_operator(status_token):
            raise Forbidden(f"{INCIDENTS_PATH} is for operators: send Authorization: Bearer "
                            "$FEEDHUB_STATUS_TOKEN, or ask from this machine")
        response = Response(incidents_feed(config),
                            content_type="application/atom+xml; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Authorization"
        return response

    install_metrics(app, config, status_token)  # /metrics, for operators (web.metrics)

    @app.after_request
    def common_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = CSP_PAGE
        if response.status_code >= 400:
            response.headers["Cache-Control"] = "no-store"
        if "Location" in response.headers:
            response.headers["Location"] = relative_location(response.headers["Location"])
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        body = f"{exc.code} {exc.name}: {exc.description}\n"
        return Response(body, status=exc.code or 500, content_type="text/plain; charset=utf-8")

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Response:
        # The trace goes to the log, never to the client.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Response("500 Internal Server Error: the server failed; its log says why.\n",
                        status=500, content_type="text/plain; charset=utf-8")

    return app


def _json(body: dict[str, Any], status: int, *, cors: bool = True) -> Response:
    """A JSON answer that is never cached (it describes the server's state right now).
    ``cors=False`` for an operator's answer: no page of another origin may read it."""
    response = Response(json.dumps(body, indent=2) + "\n", status=status,
                        content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Authorization, Origin"
    allowed = _published().allow_origin(request.headers.get("Origin")) if cors else None
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = allowed
    return response
