"""robots.txt: whether a site lets feedhub fetch a URL, read with ``urllib.robotparser``.

Contract: :func:`robots_check` returns the warnings for the source's report (none, or why
robots.txt could not be read) or raises :class:`FetchError` naming robots.txt and the rule
when the URL is disallowed for the user agent the source sends (feedhub's, or the source's
own ``User-Agent``, by its product token). What a site's robots.txt says:

- fetched through :func:`feedhub.fetch.http.fetch_url` (the source's address policy, feedhub's
  own headers, the build's limits but no retries, at most ``MAX_ROBOTS_BYTES`` and a third of
  the deadline, which the source's fetch shares), never through urllib's own opener, which
  would bypass the address guard;
- kept per scheme, host and port in this process for ``ROBOTS_TTL`` (a day), an unreadable one
  for ``ROBOTS_RETRY``; one thread fetches it while others for the same site wait;
- any 4xx (404, 410, 401, 403...) is "no rules": everything is allowed (RFC 9309 2.3.1.3;
  urllib's own ``read()`` would take 401/403 as "disallow all");
- a 5xx, a network error or a body that is not text is "allowed, with a warning".

A source with ``ignore_robots`` and ``path:`` sources are not checked (:func:`feedhub.fetch.fetch`
decides). Redirect hops are not checked: the site asked for the move.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass, replace

from ..addresses import AddressPolicy
from ..errors import FetchError
from ..model import FetchLimits
from .deadline import Deadline
from .http import NO_VALIDATORS, USER_AGENT, fetch_url
from .urls import Url, parse_url

__all__ = ["MAX_ROBOTS_BYTES", "ROBOTS_RETRY", "ROBOTS_TTL", "forget_robots", "robots_check"]

ROBOTS_TTL = 86400.0
"""Seconds a site's robots.txt is kept before it is fetched again."""
ROBOTS_RETRY = 3600.0
"""Seconds before a robots.txt that could not be read (5xx, network) is tried again."""
ROBOTS_DEADLINE = 10.0
"""Seconds a robots.txt may take at most (and a third of the fetch's deadline)."""
MAX_ROBOTS_BYTES = 512 * 1024
"""Cap on a robots.txt (RFC 9309 asks crawlers to read at least 500 KiB)."""


@dataclass(frozen=True)
class _Rules:
    parser: urllib.robotparser.RobotFileParser | None
    """None: everything is allowed (no robots.txt, or it could not be read)."""
    warning: str
    until: float
    """time.monotonic() after which it is fetched again."""


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[tuple[bytes, bytes, int | None], _Rules] = {}
        self._fetching: dict[tuple[bytes, bytes, int | None], threading.Lock] = {}

    def rules(self, source_id: str, url: Url, limits: FetchLimits,
              policy: AddressPolicy) -> _Rules:
        key = (url.scheme, url.host, url.port)
        with self._lock:
            found = self._rules.get(key)
            if found is not None and found.until > time.monotonic():
                return found
            gate = self._fetching.setdefault(key, threading.Lock())
        with gate:  # one fetch of a site's robots.txt at a time; the others wait for it
            with self._lock:
                found = self._rules.get(key)
                if found is not None and found.until > time.monotonic():
                    return found
            fresh = _read(source_id, url, limits, policy)
            with self._lock:
                self._rules[key] = fresh
                self._fetching.pop(key, None)
            return fresh

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._rules = {}
        self._fetching = {}

    def unlock(self) -> None:
        """In a forked child: new locks (another thread may have held one), rules kept."""
        self._lock = threading.Lock()
        self._fetching = {}


_cache = _Cache()
os.register_at_fork(after_in_child=_cache.unlock)


def robots_check(source_id: str, url: str, limits: FetchLimits, policy: AddressPolicy,
                 user_agent: str = USER_AGENT) -> tuple[str, ...]:
    """The warnings a fetch of ``url`` gets from its site's robots.txt; raises FetchError when
    robots.txt disallows it for ``user_agent``."""
    target = parse_url(source_id, url)
    rules = _cache.rules(source_id, target, limits, policy)
    if rules.parser is None:
        return (rules.warning,) if rules.warning else ()
    if not rules.parser.can_fetch(user_agent, target.text):
        token = user_agent.split("/")[0]
        raise FetchError(source_id, (
            f"{_robots_url(target)} disallows {target.text} for {token} "
            f"({_rule(rules.parser, user_agent, target.text)}); ask the site, or set "
            "ignore_robots: true on this source if it agreed otherwise"))
    return ()


def forget_robots() -> None:
    """Forget every site's robots.txt (tests start from none)."""
    _cache.forget()


def _robots_url(url: Url) -> str:
    scheme = url.scheme.decode()
    return f"{scheme}://{url.netloc.decode()}/robots.txt"


def _read(source_id: str, url: Url, limits: FetchLimits, policy: AddressPolicy) -> _Rules:
    where = _robots_url(url)
    now = time.monotonic()
    own = replace(limits, retries=0, max_bytes=min(limits.max_bytes, MAX_ROBOTS_BYTES))
    try:
        got = fetch_url(source_id, where, NO_VALIDATORS, own, policy, answer_4xx=True,
                        deadline=Deadline(min(limits.deadline / 3, ROBOTS_DEADLINE)))
    except FetchError as exc:
        return _Rules(None, f"could not read {where}, fetched anyway: {exc.message}",
                      now + ROBOTS_RETRY)
    if got.status >= 400:
        return _Rules(None, "", now + ROBOTS_TTL)
    try:
        text = got.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = got.body.decode("latin-1")
    parser = urllib.robotparser.RobotFileParser(where)
    parser.parse(text.splitlines())
    return _Rules(parser, "", now + ROBOTS_TTL)


def _rule(parser: urllib.robotparser.RobotFileParser, user_agent: str, url: str) -> str:
    """The robots.txt line that decides ``url``, as ``User-agent: x / Disallow: /path``."""
    entries = [e for e in parser.entries if e.applies_to(user_agent)]  # type: ignore[attr-defined]
    fallback = parser.default_entry  # type: ignore[attr-defined]
    # The path as RobotFileParser.can_fetch compares it.
    parts = urllib.parse.urlparse(urllib.parse.unquote(url))
    path = urllib.parse.quote(urllib.parse.urlunparse(
        ("", "", parts.path, parts.params, parts.query, parts.fragment))) or "/"
    for entry in [*entries, *([fallback] if fallback is not None else [])][:1]:
        agents = ", ".join(entry.useragents)
        for line in entry.rulelines:
            if line.applies_to(path):
                verb = "Allow" if line.allowance else "Disallow"
                return f"User-agent: {agents}, {verb}: {line.path or '/'}"
        return f"User-agent: {agents}"
    return "its rules"
