"""Filtered feeds: ``?limit=``, ``?q=`` and ``?since=`` on a feed URL.

Contract:
- Only ``limit``, ``q`` and ``since`` change a feed's answer (:func:`has_filter`); any other
  query parameter (a cache buster) is ignored, so the answer and its ETag are the file's.
- A filter that cannot be read is the client's error: BadRequest with a message that says
  what is accepted, never a stack trace.
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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from werkzeug.exceptions import BadRequest

from ..model import Config, Item
from ..publish import FORMATS
from ..publish.document import make_doc
from ..store import open_store
from .headers import MEDIA_TYPES
from .published import Ready, make_ready

FILTER_KEYS = frozenset({"limit", "q", "since"})
"""Query parameters that change a feed's answer; every other one is ignored."""
MAX_QUERY = 200
"""Longest ``q`` accepted (characters)."""
SCAN_LIMIT = 1000
"""A filtered feed looks at most at this many of the category's newest items."""
FILTERED_CACHE_SIZE = 256
BUILD_CHECK_EVERY = 1.0
"""Filtered feeds follow a new build within this many seconds (the store is asked that often)."""

_TAG_RE = re.compile(r"<[^>]*>")


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
