"""Feed URL queries: the filters ``?limit=``, ``?q=`` and ``?since=``, and what else is allowed.

Contract (docs/serving.md, "Filters"):
- Only ``limit``, ``q`` and ``since`` (exact names) change a feed's answer. An empty one
  (``?q=``, as an empty search form sends) is as if it were not there.
- Parameters nobody asked for are ignored wherever they appear: tracking parameters
  (links.TRACKING_PARAMETERS: ``utm_*``, ``fbclid`` ...) and cache busters
  (:data:`CACHE_BUSTERS`: ``_``, ``t``, ``nocache`` ...), names compared without case. A
  query of only these is :func:`is_plain`: the answer and its ETag are the file's.
- Any other parameter on a feed URL, a filter given twice, or a value out of range or
  unreadable is the client's error: BadRequest, one line naming what was wrong and listing
  what is supported (:func:`supported`), never a stack trace.
- deploy/nginx.conf serves a feed file itself only when its query matches
  :func:`nginx_plain_args` (a test checks the two are the same text), which accepts a subset
  of what :func:`is_plain` accepts, so nginx never answers a file where the app says 400.
- A filtered feed is rendered from the store with the publish renderers, at most
  ``SCAN_LIMIT`` of the category's newest items looked at, and kept ready in memory until the
  next build (noticed within ``BUILD_CHECK_EVERY`` seconds).

Must not: answer the request (feedhub.web.conditional does) or write any file.
"""

from __future__ import annotations

import html
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from werkzeug.exceptions import BadRequest

from ..links import TRACKING_PARAMETERS
from ..model import Config, Item
from ..publish import FORMATS
from ..publish.document import make_doc
from ..store import open_store
from .headers import MEDIA_TYPES
from .published import Ready, make_ready

FILTER_KEYS = ("limit", "q", "since")
"""Query parameters that change a feed's answer (names compared exactly)."""
CACHE_BUSTERS = ("_", "t", "ts", "time", "timestamp", "nocache", "cb", "cachebust",
                 "cachebuster", "rand", "random", "rnd", "v")
"""Parameters readers and scripts add so that caches miss (jQuery's ``_``, ``t=<time>`` ...):
ignored like the tracking parameters. Adding a name makes a URL that was a 400 answer 200."""
MAX_QUERY = 200
"""Longest ``q`` accepted (characters)."""
SCAN_LIMIT = 1000
"""A filtered feed looks at most at this many of the category's newest items."""
FILTERED_CACHE_SIZE = 256
BUILD_CHECK_EVERY = 1.0
"""Filtered feeds follow a new build within this many seconds (the store is asked that often)."""

_TAG_RE = re.compile(r"<[^>]*>")
_DIGITS = re.compile("[0-9]{1,9}")


def _ignored_names() -> str:
    """The names ignored everywhere, as one regex alternation (``utm_*`` is ``utm_[a-z_]*``,
    as in links.TRACKING_PARAMS); plain ASCII, so nginx's PCRE reads it the same."""
    return "|".join(re.escape(name).replace(r"\*", "[a-z_]*")
                    for name in (*TRACKING_PARAMETERS, *CACHE_BUSTERS))


_IGNORED = re.compile(f"(?:{_ignored_names()})", re.IGNORECASE | re.ASCII)


def is_ignored(name: str) -> bool:
    """Whether a parameter is a tracking parameter or a cache buster (ignored everywhere)."""
    return _IGNORED.fullmatch(name) is not None


def supported(feed_size: int) -> str:
    """What a feed URL accepts, for the end of every 400 about its query."""
    return (f"a feed URL takes limit (a whole number from 1 to {feed_size}), q (text to find, "
            f"up to {MAX_QUERY} characters) and since (an ISO 8601 date or time such as "
            f"2026-11-25 or 2026-11-25T08:00:00Z); tracking parameters (utm_*, fbclid, ...) "
            f"and cache busters ({', '.join(CACHE_BUSTERS[:5])}, ...) are ignored")


def _split(query_string: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(filters given with a value, names that are neither filters nor ignored)."""
    filters: list[tuple[str, str]] = []
    unknown: list[str] = []
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in FILTER_KEYS:
            if value:
                filters.append((key, value))
        elif not is_ignored(key):
            unknown.append(key)
    return filters, unknown


def is_plain(query_string: str) -> bool:
    """Whether a feed URL with this query answers its file as published: no filter with a
    value and nothing but ignored parameters (the fast path's test)."""
    filters, unknown = _split(query_string)
    return not filters and not unknown


def nginx_plain_args() -> str:
    """The PCRE deploy/nginx.conf matches ``$args`` with to serve a feed file itself: only
    ignored parameters (written as is, any value) and empty filters, joined by ``&``.
    Anything it does not match (a filter, an unknown or percent-encoded name) goes to the app,
    which decides; so it may pass on more than it must, never less."""
    segment = f"(?i:{_ignored_names()})(?:=[^&]*)?|(?:{'|'.join(FILTER_KEYS)})=?"
    return f"^(?:(?:{segment})?(?:&|$))*$"


@dataclass(frozen=True)
class FeedQuery:
    """What a filtered feed asks for (``?limit=&q=&since=``), validated."""

    limit: int
    q: str = ""
    """Case-insensitive substring of the title or the summary's text."""
    since: datetime | None = None
    """Only items changed at or after this time (UTC)."""

    def matches(self, item: Item) -> bool:
        if self.since is not None and item.updated < self.since:
            return False
        if self.q:
            text = f"{item.title}\n{html.unescape(_TAG_RE.sub(' ', item.summary))}"
            return self.q in text.casefold()
        return True


def parse_query(query_string: str, feed_size: int) -> FeedQuery | None:
    """A feed URL's query (``QUERY_STRING`` as given): None when it asks for the file as
    published (:func:`is_plain`), else the filter. Raises BadRequest for an unknown parameter,
    a filter given twice, or a value out of range or unreadable."""
    filters, unknown = _split(query_string)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise BadRequest(f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; "
                         f"{supported(feed_size)}")
    if not filters:
        return None
    values: dict[str, str] = {}
    for key, value in filters:
        if key in values:
            raise BadRequest(f"{key} is given more than once; give it once. "
                             f"{supported(feed_size)}")
        values[key] = value
    limit = feed_size
    if "limit" in values:
        text = values["limit"]
        if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= feed_size:
            raise BadRequest(f"limit must be a whole number from 1 to {feed_size}, got "
                             f"{text[:40]!r}; {supported(feed_size)}")
        limit = int(text)
    q = values.get("q", "")
    if len(q) > MAX_QUERY:
        raise BadRequest(f"q is limited to {MAX_QUERY} characters, got {len(q)}; "
                         f"{supported(feed_size)}")
    since = parse_since(values["since"], feed_size) if "since" in values else None
    return FeedQuery(limit=limit, q=q.casefold().strip(), since=since)


def parse_since(text: str, feed_size: int) -> datetime:
    """``2026-11-25``, ``2026-11-25T10:00:00Z`` or with an offset; no zone means UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"since must be an ISO 8601 date or time such as 2026-11-25 or "
                         f"2026-11-25T08:00:00Z, got {text[:40]!r}; "
                         f"{supported(feed_size)}") from None
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
