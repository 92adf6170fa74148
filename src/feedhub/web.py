"""create_app(): the Flask app that serves the published feeds and the pages around them.

Feeds are served from the files the publisher wrote (never rendered per request), so every
worker answers with the same bytes. Links in pages come from the configured base URL, never
from the request's Host header.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, abort, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response

from .config import load_config
from .model import Config

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
"""Feed format (file extension) -> Content-Type. nginx's config must map the same ones."""
HTML_TYPE = "text/html; charset=utf-8"
EMBED_TYPES = {"js": "text/javascript; charset=utf-8", "html": HTML_TYPE}
STATIC_TYPES = {"feed.xsl": "text/xsl; charset=utf-8", "feedhub.css": "text/css; charset=utf-8"}


def serve_published(config: Config, relpath: str, content_type: str) -> Response:
    """Answer with a file the publisher wrote under the output folder.

    Every published URL goes through here, so caching and conditional GET live in one place.
    ``relpath`` must come from a validated slug, never straight from the request path.
    """
    path = config.output_dir / relpath
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        abort(503, description="feeds are not built yet; run `feedhub build`")
    return Response(data, content_type=content_type)


def wants_page() -> bool:
    """True for a browser navigating to a feed URL: it names text/html and prefers it to every
    XML or feed type it names. Readers (feed types first, */* or nothing) never match."""
    named = dict(request.accept_mimetypes)
    html = named.get("text/html", 0)
    feedish = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/xml", "text/xml")
    return html > 0 and all(html > named.get(kind, 0) for kind in feedish)


def feed_response(config: Config, relpath: str, ext: str, page: str = "") -> Response:
    """A feed file, or for a browser the feed's page (``page``, a published HTML file).

    Browsers get readable HTML: Chromium shows application/rss+xml as plain text and is dropping
    XSLT, so the feed's xml-stylesheet (static/feed.xsl) serves the other browsers and saved
    files. Vary: Accept keeps the two answers apart in caches.
    """
    if page and ext != "json" and wants_page():
        response = serve_published(config, page, HTML_TYPE)
    else:
        response = serve_published(config, relpath, MEDIA_TYPES[ext])
    response.vary.add("Accept")
    return response


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``FEEDHUB_CONFIG`` (env or ``test_config``) names the sources.yaml."""
    app = Flask(__name__)
    app.config["FEEDHUB_CONFIG"] = os.environ.get("FEEDHUB_CONFIG", "sources.yaml")
    if test_config:
        app.config.update(test_config)
    config = load_config(Path(app.config["FEEDHUB_CONFIG"]))
    app.extensions["feedhub"] = config

    @app.get("/")
    def index() -> Response:
        return serve_published(config, "index.html", HTML_TYPE)

    # Pages, lists, embeds and archives the publisher writes (see feedhub.publish).
    def known(slug: str) -> str:
        if slug not in config.feed_slugs:
            raise NotFound(f"no category {slug!r}; categories: {', '.join(config.feed_slugs)}")
        return slug

    @app.get("/c/<slug>")
    def category_page(slug: str) -> Response:
        return serve_published(config, f"c/{known(slug)}.html", HTML_TYPE)

    @app.get("/feeds.opml")
    def opml() -> Response:
        return serve_published(config, "feeds.opml", "text/x-opml; charset=utf-8")

    @app.get("/embed/<slug>.<any(js, html):ext>")
    def embed(slug: str, ext: str) -> Response:
        return serve_published(config, f"embed/{known(slug)}.{ext}", EMBED_TYPES[ext])

    @app.get("/static/<any('feed.xsl', 'feedhub.css'):name>")
    def static_file(name: str) -> Response:
        return serve_published(config, f"static/{name}", STATIC_TYPES[name])

    @app.get("/feeds/archive/<slug>/<int:number>.<any(rss, atom, json):ext>")
    def archive(slug: str, number: int, ext: str) -> Response:
        relpath = f"archive/{known(slug)}/{number}.{ext}"
        if not (config.output_dir / relpath).is_file():
            raise NotFound(f"no archive {number} of {slug!r}; follow the feed's prev-archive link")
        return feed_response(config, relpath, ext)

    @app.get("/feeds/<slug>.<ext>")
    def feed(slug: str, ext: str) -> Response:
        if ext not in MEDIA_TYPES:
            raise NotFound(f"no feed format {ext!r}; formats: {', '.join(MEDIA_TYPES)}")
        if slug not in config.feed_slugs:
            raise NotFound(f"no category {slug!r}; categories: {', '.join(config.feed_slugs)}")
        return feed_response(config, f"{slug}.{ext}", ext, page=f"c/{slug}.html")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int, dict[str, str]]:
        body = f"{exc.code} {exc.name}: {exc.description}\n"
        return body, exc.code or 500, {"Content-Type": "text/plain; charset=utf-8"}

    return app


def app_config(app: Flask) -> Config:
    config: Config = app.extensions["feedhub"]
    return config
