"""URLs as a request needs them: parsed and normalised exactly as httpx.URL does, and redirect
Locations resolved as browsers (and httpx) resolve them.

Contract: :func:`parse_url` turns a URL string into a :class:`Url` (scheme, host, port, request
target and Host header, each as httpx.URL normalises it) or raises :class:`FetchError` for an
invalid one; :func:`redirect_target` resolves a Location against the URL it came from
(relative Locations joined, the fragment kept) and refuses any scheme but http(s). httpx's
InvalidURL is wrapped here.

Most URLs are in the form httpx.URL would give them already (lower-case scheme and host, a
path, no dot segments, no fragment, no default port, no character it would escape): those are
split by one regular expression (:func:`_plain_url`), ~3 µs against httpx.URL's ~18 µs, and
every other URL goes to httpx.URL. tests/test_fetch_urls.py holds every URL the fast path
takes to httpx.URL's parts.

Pure: no I/O, no policy (which hosts may be reached is :mod:`feedhub.fetch.scope`'s business).
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

import httpx

from ..errors import FetchError

__all__ = ["MAX_URL_LENGTH", "Url", "parse_url", "redirect_target"]


class Url(NamedTuple):
    """A URL as a request needs it, each part as httpx.URL normalises it."""

    text: str
    """``str(httpx.URL(...))``: what FetchResult.url and messages show."""
    scheme: bytes
    host: bytes
    """Lower-cased and IDNA-encoded; an IPv6 address without its brackets."""
    port: int | None
    """None for the scheme's default port."""
    target: bytes
    """Path and query, as sent in the request line."""
    netloc: bytes
    """The Host header: host, and port unless it is the default."""


_PLAIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)(?P<query>\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 65536
"""httpx's limit: a longer URL is invalid."""


def _plain_url(url: str) -> Url | None:
    """``url`` parsed without httpx when httpx would leave it exactly as it is (the common
    case: lower-case scheme and host, a path, no dot segments, no fragment, no character it
    would escape, no default port); None for any other URL, which httpx parses.
    tests/test_fetch_urls.py checks every URL this accepts against httpx.URL."""
    found = _PLAIN.fullmatch(url)
    if found is None or len(url) > MAX_URL_LENGTH or _DOT_SEGMENT.search(found["path"]):
        return None
    scheme, host, port = found["scheme"], found["host"], found["port"]
    if _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    number = int(port) if port else None
    if number == _DEFAULT_PORTS[scheme]:
        return None
    netloc = f"{host}:{port}" if port else host
    return Url(url, scheme.encode(), host.encode(), number,
               (found["path"] + (found["query"] or "")).encode(), netloc.encode())


def _from_httpx(url: httpx.URL) -> Url:
    return Url(str(url), url.raw_scheme, url.raw_host, url.port, url.raw_path, url.netloc)


def parse_url(source_id: str, url: str) -> Url:
    """``url`` as a request needs it; a FetchError of ``source_id`` if it is invalid."""
    plain = _plain_url(url)
    if plain is not None:
        return plain
    try:
        return _from_httpx(httpx.URL(url))
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{url!r} is not a valid URL: {exc}") from exc


def redirect_target(source_id: str, url: str, came_from: Url, location: str) -> Url:
    """Where a redirect from ``came_from`` (on the way from ``url``) goes, resolved as browsers
    (and httpx) do."""
    here = httpx.URL(came_from.text)
    try:
        there = httpx.URL(location)
        if there.scheme and not there.host:  # "http:/path": absolute form, no host
            there = there.copy_with(host=here.host)
        if there.is_relative_url:
            there = here.join(there)
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{here} redirected to an invalid URL {location!r}: "
                                    f"{exc}") from exc
    if here.fragment and not there.fragment:
        there = there.copy_with(fragment=here.fragment)
    if there.scheme not in ("http", "https"):
        raise FetchError(source_id, f"redirected from {url} to a URL that is not http(s): "
                                    f"{str(there)!r}")
    return _from_httpx(there)
