"""create_app(): the Flask app that serves the published feeds and the pages around them.

Contract:
- Feeds are answered from the files the publisher wrote (never rendered per request), so every
  worker (and nginx, deploy/nginx.conf) answers with the same bytes. :func:`serve_published` is
  the one place a published file is answered: strong ETag from the content, Last-Modified from
  the file's mtime (publish sets it to the newest item change), 304 for If-None-Match or
  If-Modified-Since, gzip from the ``.gz`` beside the file, Cache-Control, Vary, CORS, nosniff
  and a Content-Security-Policy on HTML.
- Each file is held in memory ready to answer, keyed by (path, mtime_ns, size): a hot feed
  costs one stat() and no read. :class:`FastPublished` answers GET/HEAD of feed URLs before
  Flask's routing, through the same code, because pollers hammer exactly those.
- ``limit``, ``q`` and ``since`` filter a feed: rendered from the store with the publish
  renderers, cached in memory until the next build (noticed within a second). Any other
  query parameter (a cache buster) is ignored, so the answer and its ETag are the file's.
- Links in pages come from the configured base URL, never from the request's Host header;
  no redirect is built from it either (no merge-slashes redirect, and a ``Location`` is made
  relative). Error responses are one plain-text line, never a stack trace.
- What is public: ``/status.json`` and ``/healthz`` give anyone counts, times and health, never
  a URL, a local path or error text. Operators (:func:`is_operator`: a request from loopback
  that no proxy forwarded, or ``Authorization: Bearer $FEEDHUB_STATUS_TOKEN``) also get the
  errors, redacted (feedhub.redact); those answers are not readable cross-origin.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, ServiceUnavailable
from werkzeug.wrappers import Response

from .config import DURATION_EXAMPLES, load_config, parse_duration
from .health import build_problems, iso
from .logs import redact_feedhub_loggers
from .model import Config, Item, ServeSettings
from .publish import FORMATS, gz_path
from .publish.document import make_doc
from .redact import one_line, redact_text
from .store import open_store

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "xsl": "text/xsl; charset=utf-8",
    "css": "text/css; charset=utf-8",
}
"""File extension -> Content-Type. deploy/nginx.conf maps the same ones."""
HTML_TYPE = MEDIA_TYPES["html"]
EMBED_TYPES = {"js": MEDIA_TYPES["js"], "html": HTML_TYPE}
STATIC_TYPES = {"feed.xsl": MEDIA_TYPES["xsl"], "feedhub.css": MEDIA_TYPES["css"]}

CSP_PAGE = ("default-src 'none'; img-src * data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
"""Pages for people: no inline script, nothing loaded from elsewhere but images."""
CSP_EMBED = CSP_PAGE.replace("frame-ancestors 'self'", "frame-ancestors *")
"""The iframe embed: the same, but any partner page may frame it."""

NOSNIFF = ("X-Content-Type-Options", "nosniff")
EXPOSE = ("Access-Control-Expose-Headers", "ETag, Last-Modified")
PREFLIGHT = (
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since"),
    ("Access-Control-Max-Age", "86400"),
)

FILTER_KEYS = frozenset({"limit", "q", "since"})
"""Query parameters that change a feed's answer; every other one is ignored."""
MAX_QUERY = 200
"""Longest ``q`` accepted (characters)."""
SCAN_LIMIT = 1000
"""A filtered feed looks at most at this many of the category's newest items."""
FILTERED_CACHE_SIZE = 256
BUILD_CHECK_EVERY = 1.0
"""Filtered feeds follow a new build within this many seconds (the store is asked that often)."""
FILE_CACHE_SIZE = 512

_TAG_RE = re.compile(r"<[^>]*>")


def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


def parse_http_date(text: str) -> int | None:
    try:
        return int(parsedate_to_datetime(text).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def accepts_gzip(accept_encoding: str) -> bool:
    """True when an Accept-Encoding header accepts gzip (``gzip`` or ``*``, q not 0)."""
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        if name not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; ``*`` matches anything."""
    if if_none_match == etag:
        return True
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


@dataclass(frozen=True)
class Variant:
    """One representation (plain or gzip) of a published file, with its headers computed."""

    body: bytes
    etag: str
    ok_headers: tuple[tuple[str, str], ...]
    not_modified_headers: tuple[tuple[str, str], ...]
    ok_headers_accept: tuple[tuple[str, str], ...]
    """The same with ``Vary: ..., Accept`` (feed URLs, where a browser gets the page)."""
    not_modified_headers_accept: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Ready:
    """A published file (or a filtered feed) ready to answer any conditional request."""

    version: tuple[int, int]
    """(mtime_ns, size) of the file it was read from; (0, 0) for rendered answers."""
    last_modified: int
    """Seconds since the epoch."""
    plain: Variant
    zipped: Variant
    cors: bool
    """Whether browsers on other origins may read it."""


def kind_headers(relpath: str, content_type: str) -> tuple[bool, str]:
    """(CORS?, CSP) for a published file: feeds, JSON, OPML, embeds and static files may be
    read cross-origin; HTML gets a Content-Security-Policy (embeds may be framed anywhere)."""
    is_html = content_type.startswith("text/html")
    is_embed = relpath.startswith("embed/")
    csp = (CSP_EMBED if is_embed else CSP_PAGE) if is_html else ""
    return (is_embed or not is_html), csp


def make_ready(
    settings: ServeSettings,
    relpath: str,
    content_type: str,
    data: bytes,
    zipped: bytes | None,
    last_modified: int,
    version: tuple[int, int] = (0, 0),
) -> Ready:
    """Compute every header of every answer of one file, once."""
    cors, csp = kind_headers(relpath, content_type)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if zipped is None:
        zipped = gzip.compress(data, 9, mtime=0)
    wildcard = "*" in settings.cors_origins
    common: list[tuple[str, str]] = [
        ("Cache-Control", f"public, max-age={settings.max_age}"),
        NOSNIFF,
    ]
    if cors and wildcard:
        common += [("Access-Control-Allow-Origin", "*"), EXPOSE]
    if csp:
        common.append(("Content-Security-Policy", csp))
    modified = ("Last-Modified", http_date(last_modified))

    vary = "Accept-Encoding" if wildcard or not cors else "Accept-Encoding, Origin"

    def variant(body: bytes, etag: str, encoding: tuple[tuple[str, str], ...]) -> Variant:
        ok = (("Content-Type", content_type), ("Content-Length", str(len(body))),
              ("ETag", etag), modified, *encoding, *common)
        not_modified = (("ETag", etag), *common)
        plain, accept = ("Vary", vary), ("Vary", f"{vary}, Accept")
        return Variant(body, etag, (*ok, plain), (*not_modified, plain),
                       (*ok, accept), (*not_modified, accept))

    return Ready(
        version=version,
        last_modified=last_modified,
        plain=variant(data, f'"{digest}"', ()),
        zipped=variant(zipped, f'"{digest}-gz"', (("Content-Encoding", "gzip"),)),
        cors=cors,
    )


class Published:
    """The published files of one output folder, each held ready to answer.

    Thread-safe enough for gunicorn threads: entries are immutable and replaced whole; two
    threads that miss at once both read the file and one entry wins.
    """

    def __init__(self, config: Config) -> None:
        self.root = config.output_dir
        self._root = str(config.output_dir)
        self.settings = config.serve
        self._files: OrderedDict[str, Ready] = OrderedDict()

    def has(self, relpath: str) -> bool:
        """Whether the file is published (without reading it)."""
        return os.path.isfile(os.path.join(self._root, relpath))

    def get(self, relpath: str, content_type: str) -> Ready | None:
        """The file ready to answer, or None when it does not exist (not built yet)."""
        path = os.path.join(self._root, relpath)  # a str: no Path object on the hot path
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        ready = self._files.get(relpath)
        if ready is not None and ready.version == (stat.st_mtime_ns, stat.st_size):
            return ready
        return self._load(Path(path), relpath, content_type)

    def _load(self, path: Path, relpath: str, content_type: str) -> Ready | None:
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        zipped: bytes | None = None
        try:
            with open(gz_path(path), "rb") as handle:
                # Only a .gz written with this very file (publish gives both one mtime).
                if os.fstat(handle.fileno()).st_mtime_ns == stat.st_mtime_ns:
                    zipped = handle.read()
        except FileNotFoundError:
            pass
        ready = make_ready(self.settings, relpath, content_type, data, zipped,
                           int(stat.st_mtime), (stat.st_mtime_ns, stat.st_size))
        self._files[relpath] = ready
        while len(self._files) > FILE_CACHE_SIZE:
            self._files.popitem(last=False)
        return ready

    def allow_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from ``origin``, if allowed."""
        origins = self.settings.cors_origins
        if "*" in origins:
            return "*"
        if origin and origin in origins:
            return origin
        return None


def answer(
    ready: Ready,
    published: Published,
    method: str,
    if_none_match: str | None,
    if_modified_since: str | None,
    accept_encoding: str | None,
    origin: str | None,
    vary_accept: bool = False,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a GET or HEAD of a ready file. The body is empty for HEAD
    and 304; HEAD keeps the Content-Length of the GET."""
    variant = ready.zipped if accept_encoding and accepts_gzip(accept_encoding) else ready.plain
    not_modified = False
    if if_none_match is not None:
        not_modified = etag_matches(if_none_match, variant.etag)
    elif if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        not_modified = since is not None and since >= ready.last_modified
    if not_modified:
        headers = list(variant.not_modified_headers_accept if vary_accept
                       else variant.not_modified_headers)
    else:
        headers = list(variant.ok_headers_accept if vary_accept else variant.ok_headers)
    if ready.cors and "*" not in published.settings.cors_origins:
        allowed = published.allow_origin(origin)
        if allowed:
            headers += [("Access-Control-Allow-Origin", allowed), EXPOSE]
    if not_modified:
        return 304, headers, b""
    return 200, headers, (b"" if method == "HEAD" else variant.body)


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


def serve_published(
    config: Config, relpath: str, content_type: str, vary_accept: bool = False
) -> Response:
    """Answer with a file the publisher wrote under the output folder.

    Every published URL goes through here (or through :class:`FastPublished`, which shares
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


def feed_response(config: Config, relpath: str, ext: str, page: str = "") -> Response:
    """A feed file, or for a browser the feed's page (``page``, a published HTML file).

    Browsers get readable HTML: Chromium shows application/rss+xml as plain text and is dropping
    XSLT, so the feed's xml-stylesheet (static/feed.xsl) serves the other browsers and saved
    files. Vary: Accept keeps the two answers apart in caches.
    """
    if page and ext != "json" and wants_page():
        return serve_published(config, page, HTML_TYPE, vary_accept=True)
    return serve_published(config, relpath, MEDIA_TYPES[ext], vary_accept=True)


def _published() -> Published:
    published: Published = current_app.extensions["feedhub.published"]
    return published


def has_filter(query_string: str) -> bool:
    """Whether a query string holds a parameter that changes a feed's answer."""
    return any(key in FILTER_KEYS and value
               for key, value in parse_qsl(query_string, keep_blank_values=True))


@dataclass(frozen=True)
class FeedQuery:
    """What a filtered feed asks for (``?limit=&q=&since=``), validated."""

    limit: int
    q: str = ""
    """Case-insensitive substring of the title or the summary's text."""
    since: datetime | None = None
    """Only items changed at or after this time (UTC)."""

    @classmethod
    def parse(cls, args: Iterable[tuple[str, str]], feed_size: int) -> FeedQuery:
        """From query parameters; unknown or empty ones are ignored. Raises BadRequest."""
        values = {key: value for key, value in args if key in FILTER_KEYS and value}
        limit = feed_size
        if "limit" in values:
            if not values["limit"].isdigit() or int(values["limit"]) < 1:
                raise BadRequest(f"limit must be a whole number from 1 to {feed_size}, "
                                 f"got {values['limit'][:40]!r}")
            limit = min(int(values["limit"]), feed_size)
        q = values.get("q", "")
        if len(q) > MAX_QUERY:
            raise BadRequest(f"q is limited to {MAX_QUERY} characters")
        since = None
        if "since" in values:
            since = parse_since(values["since"])
        return cls(limit=limit, q=q.casefold().strip(), since=since)

    def matches(self, item: Item) -> bool:
        if self.since is not None and item.updated < self.since:
            return False
        if self.q:
            text = f"{item.title}\n{html.unescape(_TAG_RE.sub(' ', item.summary))}"
            return self.q in text.casefold()
        return True


def parse_since(text: str) -> datetime:
    """``2026-11-25``, ``2026-11-25T10:00:00Z`` or with an offset; no zone means UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"since must be an ISO 8601 date or time such as 2026-11-25 or "
                         f"2026-11-25T08:00:00Z, got {text[:40]!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Filtered:
    """Filtered feeds rendered from the store, each kept ready until the next build."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._cache: OrderedDict[tuple[object, ...], Ready] = OrderedDict()
        self._build: tuple[float, object] = (-BUILD_CHECK_EVERY, None)

    def last_build(self) -> object:
        """The store's last build, looked up at most once per BUILD_CHECK_EVERY seconds."""
        checked, last = self._build
        if time.monotonic() - checked >= BUILD_CHECK_EVERY:
            with open_store(self.config.store, self.config.root) as store:
                last = store.last_build()
            self._build = (time.monotonic(), last)
        return last

    def get(self, slug: str, ext: str, query: FeedQuery) -> Ready:
        config = self.config
        key = (slug, ext, query, self.last_build())
        ready = self._cache.get(key)
        if ready is not None:
            return ready
        with open_store(config.store, config.root) as store:
            items = [item for item in store.items_for(slug, SCAN_LIMIT)
                     if query.matches(item)][:query.limit]
        doc = make_doc(config, slug, items)
        data = FORMATS[ext](doc)
        ready = make_ready(config.serve, f"{slug}.{ext}", MEDIA_TYPES[ext], data, None,
                           int(doc.updated.timestamp()))
        self._cache[key] = ready
        while len(self._cache) > FILTERED_CACHE_SIZE:
            self._cache.popitem(last=False)
        return ready


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
                or (environ.get("QUERY_STRING") and has_filter(environ["QUERY_STRING"]))):
            # Filters, browsers (who may get the feed's page) and the rest: Flask decides.
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


def cors_path(path: str) -> bool:
    """URLs whose answers browsers on other origins may read (and preflight)."""
    return (path.startswith(("/feeds/", "/embed/", "/static/"))
            or path in ("/feeds.opml", "/status.json"))


def feed_routes(config: Config) -> dict[str, str]:
    """Every feed URL the publisher writes a file for -> that file (the fast path's table)."""
    return {f"/feeds/{slug}.{ext}": f"{slug}.{ext}"
            for slug in config.feed_slugs for ext in FORMATS}


FORWARDED_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")
"""A request carrying any of these came through a proxy: its loopback peer says nothing."""
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def _host_name(host: str) -> str:
    """The name or address of a Host header, without its port or IPv6 brackets."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(value: str) -> bool:
    if value.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


def is_operator(token: str) -> bool:
    """Whether the current request may see error details: it carries ``Authorization: Bearer
    <token>`` (``token`` non-empty, compared in constant time), or it comes from this machine
    straight (a loopback peer, no proxy's forwarding header, a loopback Host: a page a browser
    here opened under another name, DNS rebinding, gets the public answer)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return bool(token) and hmac.compare_digest(given.strip().encode("utf-8"),
                                                   token.encode("utf-8"))
    if any(name in request.headers for name in FORWARDED_HEADERS):
        return False
    return is_loopback(request.remote_addr or "") and is_loopback(_host_name(request.host))


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
    app = Flask(__name__)
    # "/static//feedhub.css" must not answer 308 to a URL built from the Host header.
    app.url_map.merge_slashes = False
    app.config["FEEDHUB_CONFIG"] = os.environ.get("FEEDHUB_CONFIG", "sources.yaml")
    app.config["FEEDHUB_STATUS_TOKEN"] = os.environ.get("FEEDHUB_STATUS_TOKEN", "")
    if test_config:
        app.config.update(test_config)
    config = load_config(Path(app.config["FEEDHUB_CONFIG"]))
    status_token = str(app.config["FEEDHUB_STATUS_TOKEN"] or "")
    from .webstore import published_for  # the store or the output folder (issue 10)

    redact_feedhub_loggers()  # every feedhub module is imported by now

    published = published_for(config)
    filtered = Filtered(config)
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
        from .refresh import Refresher

        refresher = Refresher(config, refresh)
        app.extensions["feedhub.refresher"] = refresher
        refresher.start()
    app.wsgi_app = FastPublished(app.wsgi_app, published, feed_routes(config))  # type: ignore[method-assign]

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
        return serve_published(config, "feeds.opml", MEDIA_TYPES["opml"])

    @app.get("/embed/<slug>.<any(js, html):ext>")
    def embed(slug: str, ext: str) -> Response:
        return serve_published(config, f"embed/{known(slug)}.{ext}", EMBED_TYPES[ext])

    @app.get("/static/<any('feed.xsl', 'feedhub.css'):name>")
    def static_file(name: str) -> Response:
        return serve_published(config, f"static/{name}", STATIC_TYPES[name])

    @app.get("/feeds/archive/<slug>/<int:number>.<any(rss, atom, json):ext>")
    def archive(slug: str, number: int, ext: str) -> Response:
        relpath = f"archive/{known(slug)}/{number}.{ext}"
        # Asked of what this node serves from (the output folder, or the store on a web node
        # without one), like every other published file.
        if published.get(relpath, MEDIA_TYPES[ext]) is None:
            raise NotFound(f"no archive {number} of {slug!r}; follow the feed's prev-archive link")
        return feed_response(config, relpath, ext)

    @app.get("/feeds/<slug>.<ext>")
    def feed(slug: str, ext: str) -> Response:
        if ext not in FORMATS:
            raise NotFound(f"no feed format {ext!r}; formats: {', '.join(FORMATS)}")
        if slug not in config.feed_slugs:
            raise NotFound(f"no category {slug!r}; categories: {', '.join(config.feed_slugs)}")
        if has_filter(request.query_string.decode("latin-1")):
            query = FeedQuery.parse(request.args.items(multi=True), config.site.feed_size)
            return _ready_response(filtered.get(slug, ext, query), vary_accept=True)
        return feed_response(config, f"{slug}.{ext}", ext, page=f"c/{slug}.html")

    @app.get("/healthz")
    def healthz() -> Response:
        operator = is_operator(status_token)
        reasons: list[str] = []
        # Asked of what this node serves from: on a web node without a build of its own,
        # the store's published files.
        missing = [rel for rel in feed_routes(config).values() if not published.has(rel)]
        if missing:
            # Relative paths only: they are the public feed URLs, the folder is not.
            reasons.append(f"{len(missing)} feed file(s) missing ({', '.join(missing[:3])}); "
                           "run `feedhub build`")
        body: dict[str, Any] = {}
        try:
            with open_store(config.store, config.root) as store:
                history = store.build_history()
        except Exception as exc:  # whatever the store raises, it cannot be read: not "ok"
            reason = "the store cannot be read"
            reasons.append(f"{reason}: {one_line(str(exc))}" if operator
                           else f"{reason}; the server's log or an operator's /healthz says why")
            log.warning("/healthz: %s: %s", reason, one_line(f"{type(exc).__name__}: {exc}"))
        else:
            for problem in build_problems(history, config.serve.stale_after,
                                          datetime.now(UTC)):
                shown = problem.public
                if operator and problem.detail:
                    shown += f": {problem.detail}"
                reasons.append(shown)
            last = history.last
            body = {"last_build": iso(last.finished) if last else None,
                    "last_build_ok": last.ok if last else None,
                    "last_build_crashed": last.crashed if last else None,
                    "last_successful_build": iso(history.last_published)}
        body = {"status": "failing" if reasons else "ok", "reasons": reasons, **body}
        return _json(body, 503 if reasons else 200, cors=not operator)

    @app.get("/status.json")
    def status() -> Response:
        operator = is_operator(status_token)
        now = datetime.now(UTC)
        with open_store(config.store, config.root) as store:
            states = store.source_states()
            history = store.build_history()
            sources = []
            for source in config.sources:
                state = states.get(source.id)
                due = store.next_due([source.id]) if state else None
                if (due is None or due.year == 1) and state and state.last_attempt:
                    due = state.last_attempt + config.refresh_of(source)
                health = "not fetched yet"
                if state and state.last_attempt:
                    health = "failing" if state.failures else "ok"
                entry: dict[str, Any] = {
                    "id": source.id,
                    "status": health,
                    "last_success": _iso(state.last_success) if state else None,
                    "last_error_at": _iso(state.last_error_at) if state else None,
                    "consecutive_failures": state.failures if state else 0,
                    "item_count": state.item_count if state else 0,
                    "next_due": _iso(max(due, now)) if due and due.year > 1 else _iso(now),
                }
                if operator:
                    # Redacted again when shown: rows stored by older versions were not.
                    entry["last_error"] = redact_text(state.last_error) if state else ""
                sources.append(entry)
        last = history.last
        body: dict[str, Any] = {
            "generated": _iso(now),
            "view": "operator" if operator else "public",
            "last_build": _iso(last.finished) if last else None,
            "last_build_ok": last.ok if last else None,
            "last_build_crashed": last.crashed if last else None,
            "last_successful_build": _iso(history.last_published),
        }
        if operator:
            body["last_build_summary"] = one_line(last.summary) if last else ""
        body["sources"] = sources
        return _json(body, 200, cors=not operator)

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


_iso = iso


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


def app_config(app: Flask) -> Config:
    config: Config = app.extensions["feedhub"]
    return config
