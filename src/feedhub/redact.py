"""Secrets out of everything feedhub shows: URLs, error text and log lines.

A source URL may carry credentials (``https://user:password@host/feed``, ``?token=...``), and
so may a store URL (``postgresql://user:password@host/db``). Fetch and store errors quote their
URL, so the same secret turns up inside free text. Everything that shows a URL or an error
(logs, ``feedhub status``, ``/status.json``, ``/healthz``, the builds table) passes it through
:func:`redact_text` (or :func:`redact_url` for a URL alone) first.

What is hidden:
- the userinfo of any ``scheme://user:password@host`` URL, whole: ``scheme://***@host``;
- the value of every query (or fragment) parameter whose name contains one of
  :data:`SECRET_WORDS`, case-insensitively (``X-Api-Key``, ``accessToken``, ``sig``);
- in free text, ``name=value`` pairs with such a name (a libpq DSN's ``password=...``) and the
  credentials of an ``Authorization:`` header.

The match is deliberately broad (``design=`` is hidden too; only :data:`NOT_SECRET` is
not): hiding a harmless value costs a reader little, showing a secret cannot be undone.
:func:`public_url` is the stricter cousin for URLs that are published as links: it drops what
:func:`redact_url` would mask.

Stdlib only; pure functions; must not log or raise on any input.
"""

from __future__ import annotations

import re

MASK = "***"

SECRET_WORDS = ("token", "key", "apikey", "api_key", "secret", "password", "passwd", "pass",
                "sig", "signature", "auth", "access_token", "session", "credential")
"""A parameter whose name contains any of these (lowercased, ``-`` read as ``_``) is secret."""
NOT_SECRET = frozenset({"author", "authors", "keyword", "keywords"})
"""Common feed URL parameters that merely contain a secret word (``?author=``)."""

_URL_RE = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>`]+""")
_TRAILING = ".,;:!?)]}"
"""Punctuation that ends a sentence around a URL rather than the URL itself."""
_WORDS = "|".join(sorted((re.escape(w) for w in SECRET_WORDS), key=len, reverse=True))
_PAIR_RE = re.compile(
    rf"""(?<![\w.\-])([\w.\-]*(?:{_WORDS})[\w.\-]*)(\s*=\s*)"""
    rf"""("[^"]*"|'[^']*'|[^\s&;,'"]+?(?=[{re.escape(_TRAILING)}]*(?:[\s&;,'"]|$)))""",
    re.IGNORECASE)
_AUTH_HEADER_RE = re.compile(r"((?:proxy-)?authorization\s*[:=]\s*)(?:(\w+)\s+)?\S+",
                             re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether a parameter called ``name`` holds a secret (see :data:`SECRET_WORDS`)."""
    folded = name.lower().replace("-", "_").replace("%5f", "_").replace("%2d", "_")
    return folded not in NOT_SECRET and any(word in folded for word in SECRET_WORDS)


def _split_authority(rest: str) -> tuple[str, str]:
    """(userinfo with its ``@`` or "", everything after it) of what follows ``scheme://``."""
    end = len(rest)
    for mark in "/?#\\":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority = rest[:end]
    if "@" in authority:
        at = authority.rindex("@")
        return rest[:at + 1], rest[at + 1:]
    # An unencoded "/" (or "?", "#") in a password ends the authority early: the part before it
    # then reads as host:port with a port that is no number. Hide up to the next "@".
    host, colon, port = authority.rpartition(":")
    if colon and host and not port.isdigit() and "[" not in host:
        tail = rest[end:]
        at = tail.find("@")
        if at != -1 and not any(c.isspace() for c in tail[:at]):
            return rest[:end + at + 1], rest[end + at + 1:]
    return "", rest


def _redact_params(params: str) -> str:
    parts = re.split(r"([&;])", params)
    for i in range(0, len(parts), 2):
        name, eq, value = parts[i].partition("=")
        if eq and value and secret_name(name):
            parts[i] = f"{name}={MASK}"
    return "".join(parts)


def redact_url(url: str) -> str:
    """``url`` with its userinfo and its secret query/fragment values replaced by ``***``.

    Anything else is kept exactly as written (no re-encoding), so the result still tells a
    reader which host, path and parameters were used. A string that is no URL comes back as
    it is, apart from secret ``name=value`` pairs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _redact_params(url) if "=" in url else url
    userinfo, rest = _split_authority(rest)
    if userinfo:
        rest = f"{MASK}@{rest}"
    rest, hash_, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    if question:
        query = _redact_params(query)
    if hash_ and "=" in fragment:
        fragment = _redact_params(fragment)
    return f"{scheme}{sep}{rest}{question}{query}{hash_}{fragment}"


def _redact_match(match: re.Match[str]) -> str:
    url = match.group(0)
    kept = len(url.rstrip(_TRAILING))
    return redact_url(url[:kept]) + url[kept:]


def _redact_pair(match: re.Match[str]) -> str:
    name, eq, _ = match.groups()
    return f"{name}{eq}{MASK}" if name.lower() not in NOT_SECRET else match.group(0)


def redact_text(text: str) -> str:
    """Free text (an error message, a log line) with every URL in it redacted as by
    :func:`redact_url`, and secret ``name=value`` pairs and Authorization credentials
    masked."""
    if not text:
        return text
    text = _URL_RE.sub(_redact_match, text)
    if "=" in text:
        text = _PAIR_RE.sub(_redact_pair, text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTH_HEADER_RE.sub(
            lambda m: f"{m.group(1)}{m.group(2) + ' ' if m.group(2) else ''}{MASK}", text)
    return text


def one_line(text: str, limit: int = 300) -> str:
    """``text`` redacted, on one line (whitespace runs become one space), at most ``limit``
    characters: a reason fit for a status line or a database column."""
    flat = " ".join(redact_text(text).split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: the base that a page's relative links are resolved
    against, so that no published link carries the source's credentials."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    _, rest = _split_authority(rest)
    return f"{scheme}{sep}{rest}"


def public_url(url: str) -> str | None:
    """``url`` fit to publish as a link (a feed's ``<source>``): without its userinfo, or
    None when a query or fragment parameter holds a secret (a masked link leads nowhere)."""
    cleaned = without_userinfo(url)
    return cleaned if redact_url(cleaned) == cleaned else None
