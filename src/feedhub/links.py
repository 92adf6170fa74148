"""What a link is: its canonical form for identity, its tracking parameters, and whether it is
a safe absolute http(s) URL to publish.

Normalise keys stories by :func:`canonical_url` and cleans every URL field with
:func:`safe_url`; published links drop :data:`TRACKING_PARAMETERS` (:func:`without_tracking`).
Pure; stdlib only. Must not: fetch anything, or decide what an item's identity keys are
(normalise does).
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from .titles import strip_xml_forbidden

MAX_URL = 2_000
"""Longest URL kept: a longer one is no link (and a cheap way to bloat a store)."""

TRACKING_PARAMETERS = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
    "yclid", "_hsenc", "_hsmi", "igshid", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
    "wt.mc_id", "ref_src", "__s", "_ga", "_gl", "srsltid", "twclid", "ttclid", "li_fat_id",
    "s_cid", "cmpid",
)
"""Query parameters that only track who clicked where (``utm_*`` is every name starting
``utm_``; names are compared without case). The one list: identity ignores them
(:func:`canonical_url`) and published links drop them (:func:`without_tracking`) unless the
source sets ``keep_tracking: true``. Changing it changes the id of items identified by a link
that carries such a parameter: add names, never casually."""

TRACKING_PARAMS = re.compile(
    "^(" + "|".join(re.escape(name).replace(r"\*", "[a-z_]*") for name in TRACKING_PARAMETERS)
    + ")$",
    re.IGNORECASE,
)
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")
URI_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
"""A URI's scheme and its colon, at the start."""


# An http(s) URL already in canonical form but for its scheme and a trailing slash: lowercase
# ASCII host without port, path segments of unreserved characters only, no query or fragment.
_SIMPLE_URL = re.compile(r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)*)((?:/[A-Za-z0-9._~-]+)*)/?\Z")


def canonical_url(url: str) -> str:
    """The form of a URL used for identity (not for display: the scheme is always https).

    Lowercase host, no default port, user info, fragment or tracking parameter, percent-encoding
    normalised (unreserved characters decoded, the rest upper-case escapes), query parameters
    sorted, no trailing slash. A URL that is not http(s) is returned stripped, as it is.
    """
    simple = _SIMPLE_URL.match(url)
    if simple:  # what the general code below makes of it, without parsing it
        return f"https://{simple.group(1)}{simple.group(2) or '/'}"
    return _canonical_url(url)


@functools.lru_cache(maxsize=8192)
def _canonical_url(url: str) -> str:
    url = _URL_JUNK.sub("", strip_xml_forbidden(url))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in {"http", "https"}:
        return url
    host = (parts.hostname or "").rstrip(".")
    with contextlib.suppress(UnicodeError):  # not a valid IDN: keep the Unicode form
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    host = host.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port not in (None, 80, 443) else host
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~%")
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if not TRACKING_PARAMS.match(k))
    )
    return urlunsplit(("https", netloc, path, query, ""))


def without_tracking(url: str) -> str:
    """``url`` without its tracking parameters (:data:`TRACKING_PARAMETERS`): every other
    parameter is kept as written and in its order, and so is the fragment."""
    head, mark, rest = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = rest.partition("#")
    kept = [part for part in query.split("&")
            if not TRACKING_PARAMS.match(unquote(part.partition("=")[0].replace("+", " ")))]
    if len(kept) == len(query.split("&")):
        return url
    query = "&".join(part for part in kept if part)
    return f"{head}{'?' if query else ''}{query}{hash_mark}{fragment}"


# An absolute http(s) URL that safe_url would return exactly as given, whatever the base:
# lowercase scheme, a plain ASCII host (optional short port), and path, query and fragment of
# URL characters only, the query and fragment non-empty and the path without ";" (urljoin
# drops an empty query, fragment or path parameter). Most links in feeds look like this.
_PLAIN_URL_CHARS = r"A-Za-z0-9._~!$'()*+,=:@%/-"
PLAIN_HTTP_URL = re.compile(
    rf"https?://[A-Za-z0-9.-]+(?::[0-9]{{1,4}})?(?:/[{_PLAIN_URL_CHARS}]*)?"
    rf"(?:\?[{_PLAIN_URL_CHARS};?&]+)?(?:#[{_PLAIN_URL_CHARS};?&#]+)?\Z")


def safe_url(url: str, base: str = "") -> str:
    """An absolute http(s) URL, or "" for anything else (javascript:, vbscript:, data:, ...).

    The scheme is judged on the URL with entities decoded and the tabs, newlines and controls
    browsers ignore removed, so ``java&#x09;script:`` is seen for what it is. The URL returned
    is the one given (junk characters removed), never decoded twice.
    """
    if not url:
        return ""  # most entries have no image or comments link: what _checked_url says
    if len(url) <= MAX_URL and PLAIN_HTTP_URL.match(url):
        # Already absolute and clean: the checks below would hand it back unchanged (the
        # base only matters to a relative URL). Skipping them saved a third of normalise's
        # URL work, which a cache cannot: the key holds the base, and each source has its own.
        return url
    return _checked_url(url, base)


@functools.lru_cache(maxsize=8192)
def _checked_url(url: str, base: str) -> str:
    url = _URL_JUNK.sub("", strip_xml_forbidden(url))
    if not url or len(url) > MAX_URL:
        return ""
    decoded = _URL_JUNK.sub("", html.unescape(url))
    if URI_SCHEME.match(decoded) and not decoded.lower().startswith(("http:", "https:")):
        return ""
    try:
        absolute = urljoin(base, url) if base else url
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return ""
    if parts.scheme.lower() in {"http", "https"} and parts.hostname:
        # One spelling of the scheme, whichever path got here (urljoin lowercases it, a bare
        # URL keeps it), so that normalising a result again changes nothing.
        return urlunsplit(parts._replace(scheme=parts.scheme.lower()))
    return ""
