"""Checks of single text values in sources.yaml: each takes the text and returns None when it
is fine, else the problem in words (the walker adds the file, line and key).

Must not: import yaml or read other keys (a check that needs them is a closure built by its
section reader, as :func:`identity_check` is).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import zoneinfo
from collections.abc import Callable
from functools import cache

from ..addresses import normal_host
from ..dates import SUPPORTED_LOCALES
from ..model import ALL_SLUG, ID_POLICIES, SourceKind

URL_RE = re.compile(r"^https?://[^/\s]+")
ORIGIN_RE = re.compile(r"^https?://[^/\s]+$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
HOST_NAME_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                          r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
"""A DNS name as allow_hosts takes it (after :func:`~feedhub.addresses.normal_host`)."""
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""An HTTP field name: a token (RFC 9110 5.1)."""
HEADER_VALUE_RE = re.compile(r"^[\x20-\x7e\t]*$")
"""A field value feedhub sends: printable ASCII and tabs, one line."""
RESERVED_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
    "te", "trailer", "accept-encoding", "if-none-match", "if-modified-since", "if-match",
    "if-unmodified-since", "if-range"})
"""Headers a source may not set: those of the connection and the message's framing, the
encodings feedhub decodes, and the conditional ones it sends from the last fetch."""
KIND_NAMES = ", ".join(k.value for k in SourceKind)
TIMEZONE_EXAMPLE = "Europe/Zurich"
"""A real IANA zone to show in messages (tests/test_config_messages.py checks zoneinfo has it)."""


def check_url(value: str) -> str | None:
    if not URL_RE.match(value):
        return f"must be an http:// or https:// URL, got {value!r}"
    return None


def check_timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        near = closest_timezone(value)
        if near:
            return f"unknown time zone {value!r}; did you mean {near!r}?"
        return f"unknown time zone {value!r}; use an IANA name such as {TIMEZONE_EXAMPLE!r}"
    return None


@cache
def _timezones() -> dict[str, str]:
    """Every IANA zone this system knows, by its name in lower case."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def closest_timezone(value: str) -> str:
    """The known zone ``value`` most likely means ('' when none is close): the same name in
    other case, a zone whose city it names (``new york`` -> America/New_York), else the
    nearest spelling."""
    zones = _timezones()
    wanted = value.strip().replace(" ", "_").lower()
    if wanted in zones:
        return zones[wanted]
    cities = [name for low, name in zones.items() if low.rsplit("/", 1)[-1] == wanted]
    if cities:
        return min(cities, key=len)
    near = difflib.get_close_matches(wanted, sorted(zones), n=1, cutoff=0.8)
    return zones[near[0]] if near else ""


def check_slug(value: str) -> str | None:
    if not SLUG_RE.match(value):
        return f"must be lowercase letters, digits and single dashes (URL-safe), got {value!r}"
    if value == ALL_SLUG:
        return f"{ALL_SLUG!r} is reserved: every item is published in it already"
    return None


def check_source_id(value: str) -> str | None:
    if not SOURCE_ID_RE.match(value):
        return f"must be letters, digits, '.', '_' or '-', got {value!r}"
    return None


def check_kind(value: str) -> str | None:
    if value not in {k.value for k in SourceKind}:
        return f"must be one of {KIND_NAMES}, got {value!r}"
    return None


def check_host(value: str) -> str | None:
    host = normal_host(value)
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not host.isascii():
        return f"write an international name in its ASCII form (xn--...), got {value!r}"
    if HOST_NAME_RE.match(host):
        return None
    return ("must be a host name or an IP address (no scheme, port or path), such as "
            f"intranet.example.org or 10.0.0.5, got {value!r}")


def check_header_name(value: str) -> str | None:
    if not HEADER_NAME_RE.match(value):
        return (f"is not an HTTP header name (letters, digits and !#$%&'*+.^_`|~-, no spaces "
                f"or colons), got {value!r}")
    if value.lower() in RESERVED_HEADERS:
        return (f"{value} is set by feedhub itself (connection, framing, encodings and "
                "conditional requests); remove it")
    return None


def check_header_value(value: str) -> str | None:
    if not HEADER_VALUE_RE.match(value):
        return (f"must be one line of printable ASCII (no line breaks or control characters; "
                f"encode other text as the site expects), got {value!r}")
    return None


def check_locale(value: str) -> str | None:
    if value and value not in SUPPORTED_LOCALES:
        return f"unsupported locale {value!r}; use one of {', '.join(SUPPORTED_LOCALES)}"
    return None


def identity_check(kind: str) -> Callable[[str], str | None]:
    """The check of a source's ``identity``: a field rule (``@data-id``) only for kind: html."""
    def check(value: str) -> str | None:
        if value in ID_POLICIES or kind == SourceKind.HTML:
            return None
        return (f"must be one of {', '.join(ID_POLICIES)} (a field rule such as '@data-id' "
                f"needs kind: html), got {value!r}")

    return check
