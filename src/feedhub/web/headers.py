"""What each kind of answer carries: media types, Content-Security-Policy, CORS headers and
the HTTP date format.

Owns header values, not when they are sent: published.make_ready and the app's routes pick
them per file. Must not read a request or a file.
"""

from __future__ import annotations

from email.utils import formatdate

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}
"""File extension -> Content-Type. deploy/nginx.conf maps the same ones."""
HTML_TYPE = MEDIA_TYPES["html"]
EMBED_TYPES = {"js": MEDIA_TYPES["js"], "html": HTML_TYPE}
STATIC_TYPES = {"feedhub.css": MEDIA_TYPES["css"], "feedhub.js": MEDIA_TYPES["js"],
                "embed.css": MEDIA_TYPES["css"]}

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


def kind_headers(relpath: str, content_type: str) -> tuple[bool, str]:
    """(CORS?, CSP) for a published file: feeds, JSON, OPML, embeds and static files may be
    read cross-origin; HTML gets a Content-Security-Policy (embeds may be framed anywhere)."""
    is_html = content_type.startswith("text/html")
    is_embed = relpath.startswith("embed/")
    csp = (CSP_EMBED if is_embed else CSP_PAGE) if is_html else ""
    return (is_embed or not is_html), csp



def http_date(seconds: int) -> str:
    """An HTTP date (Last-Modified): ``Tue, 25 Nov 2026 10:00:00 GMT``."""
    return formatdate(seconds, usegmt=True)
