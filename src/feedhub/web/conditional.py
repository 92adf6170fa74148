"""Conditional answers: which answer of a ready file a request gets.

:func:`answer` is the one place a published file (or a filtered feed) is answered, for the
Flask routes and for the WSGI fast path alike: gzip when Accept-Encoding allows it, 304 for
a matching If-None-Match (weak comparison) or a recent enough If-Modified-Since (ignored when
If-None-Match is present, or when it cannot be read), the CORS origin for the request's
Origin. Must not: read files or the Flask request (callers hand the header values in).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from .headers import EXPOSE
from .published import Published, Ready


def parse_http_date(text: str) -> int | None:
    """Seconds since the epoch of an HTTP date, or None when it cannot be read."""
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
