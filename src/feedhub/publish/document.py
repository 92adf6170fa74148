"""What one published feed document says about itself, shared by every format.

A :class:`FeedDoc` is one document: the subscription feed of a category (the newest N items)
or one of its RFC 5005 archive documents. Every format renders the same FeedDoc, so RSS, Atom
and JSON Feed always carry the same items, ids, links and dates.

Also the text boundary of the publisher: :func:`clean` removes what XML 1.0 cannot carry
(controls, lone surrogates, U+FFFE/U+FFFF), so no field of any item can make a file malformed.
Pure: no clock, and no I/O but the words of feed titles (publish.i18n's catalogs, read once).
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from ..model import ALL_SLUG, Config, Item, Site
from ..redact import public_url
from .i18n import chrome

T = TypeVar("T")

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no items: fixed, so an empty feed's bytes never change."""

GENERATOR_NAME = "feedhub"
GENERATOR_URI = "https://github.com/feedhub/feedhub"

# XML 1.0 forbids C0 controls (but tab, LF, CR), surrogates and U+FFFE/U+FFFF; C1 controls
# are allowed but "discouraged" and useless in text, so they go too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 (and so every feed format) cannot carry."""
    if text.isascii() and text.isprintable():  # the common case, twice as fast as the regex
        return text
    if _NOT_XML.search(text) is None:  # non-ASCII or multi-line, and nothing to remove
        return text
    return _NOT_XML.sub("", text)


@functools.lru_cache(maxsize=8192)
def plain(html_text: str, limit: int = 0) -> str:
    """Sanitised HTML -> one line of plain text (for pages, embeds and titles). Cached: each
    item's title is made plain for every format of every document it is in."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", clean(html_text)))).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


_HTTP_URL = re.compile(r"^https?://[^\s/]+[^\s]*$", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL without spaces or controls, else ""."""
    url = clean(url).strip()
    if _HTTP_URL.match(url) and '"' not in url:
        return url
    return ""


_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")


def mime_type(text: str, default: str = "") -> str:
    """``text`` when it is a plain type/subtype media type, else ``default``."""
    text = clean(text).strip().lower()
    return text if _MIME.fullmatch(text) else default


def title_of(item: Item) -> str:
    """A title never empty: feeds and pages need one for every item. An item's title is plain
    text already (normalise made it so): it is only cleaned here, never stripped of "tags" or
    decoded again, which would turn "Vector<T>" into "Vector" and "&lt;" into "<"."""
    return _SPACE.sub(" ", clean(item.title)).strip() or plain(item.summary, 80) or "Untitled"


@dataclass(frozen=True)
class SourceRef:
    """Where an item came from, for Atom <source> / RSS <source>."""

    id: str
    title: str
    url: str
    """Absolute http(s) URL of the source (its feed URL, or the page it describes)."""
    is_feed: bool = False


class EntryCache:
    """Entries already made for a publish, so an item in two documents (its category's archive
    and the `all` archive) is made once per format. Bounded: the oldest go first.

    An entry is found by its format, the item and whatever else it depends on (``extra``), and
    only returned for an item equal to the one it was made from (a whole-value comparison, so
    an item changed meanwhile is made again; the lookup itself hashes only its id and dates,
    not its text). Values are whatever a renderer made (an entry's serialised XML, an item's
    encoded JSON), never to be changed once stored. Everything else an entry shows comes from
    the configuration, which is the same for every document of one publish."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Item, object]] = OrderedDict()

    @staticmethod
    def _key(kind: str, item: Item, extra: Hashable) -> Hashable:
        return (kind, item.id, item.updated, item.published, extra)

    def get(self, kind: str, item: Item, extra: Hashable = None) -> object | None:
        found = self._entries.get(self._key(kind, item, extra))
        if found is None or found[0] != item:
            return None
        return found[1]

    def put(self, kind: str, item: Item, value: object, extra: Hashable = None) -> None:
        if len(self._entries) >= self.size:
            self._entries.popitem(last=False)
        self._entries[self._key(kind, item, extra)] = (item, value)

    def made(self, kind: str, item: Item, make: Callable[[], T], extra: Hashable = None) -> T:
        """The entry made before for ``item`` in ``kind``, else ``make()``'s, kept."""
        known = self.get(kind, item, extra)
        if known is None:
            known = make()
            self.put(kind, item, known, extra)
        return cast(T, known)


@dataclass(frozen=True)
class FeedDoc:
    """One published document of one category feed."""

    slug: str
    title: str
    site: Site
    items: tuple[Item, ...] = ()
    archive: int = 0
    """0 for the subscription document; n >= 1 for archive document n (1 is the oldest)."""
    prev_archive: int = 0
    """Number of the next older archive document (0: none)."""
    next_archive: int = 0
    """Number of the next newer archive document (0: none, the newest archive)."""
    ttl_minutes: int = 60
    categories: Mapping[str, str] = field(default_factory=dict)
    """Category slug -> title, for item categories."""
    sources: Mapping[str, SourceRef] = field(default_factory=dict)
    entries: EntryCache | None = field(default=None, compare=False, repr=False)
    """Entries shared with the other documents of the same publish (see :class:`EntryCache`)."""

    def entry(self, kind: str, item: Item, make: Callable[[], T], extra: Hashable = None) -> T:
        """``item``'s entry in format ``kind``, made by ``make`` once per publish (every time
        for a document outside a publish). ``extra``: what else the entry depends on."""
        if self.entries is None:
            return make()
        return self.entries.made(kind, item, make, extra)

    @property
    def base(self) -> str:
        return self.site.base_url

    @property
    def page_url(self) -> str:
        return f"{self.base}/c/{self.slug}"

    def url(self, ext: str) -> str:
        """The subscription URL of this feed in format ``ext``."""
        return f"{self.base}/feeds/{self.slug}.{ext}"

    def archive_url(self, number: int, ext: str) -> str:
        return f"{self.base}/feeds/archive/{self.slug}/{number}.{ext}"

    def self_url(self, ext: str) -> str:
        return self.archive_url(self.archive, ext) if self.archive else self.url(ext)

    @property
    def feed_id(self) -> str:
        """The Atom id of the feed: the same for the subscription doc and its archives."""
        return self.url("atom")

    @property
    def author(self) -> str:
        return clean(self.site.author or self.site.title)

    @property
    def updated(self) -> datetime:
        """The newest item change in this document: never the build time."""
        return max((item.updated for item in self.items), default=EPOCH)

    def category_title(self, slug: str) -> str:
        return self.categories.get(slug, slug)


def feed_title(site: Site, slug: str, category_title: str | None) -> str:
    """A feed's title, in the site's language (publish.i18n: English where no catalog speaks
    it), such as "Newsroom: Press releases", or "Newsroom : toutes les actualités" for `all`."""
    words = chrome(site.language)
    if category_title:
        # Translators: a category feed's title (feeds, pages, embeds).
        return clean(words.gettext("%(site)s: %(category)s")
                     % {"site": site.title, "category": category_title})
    # Translators: the title of the feed of every story.
    return clean(words.gettext("%(site)s: all news") % {"site": site.title})


@dataclass(frozen=True)
class Catalogue:
    """What every document of one configuration shares: category titles and source refs.

    Built once per publish (:func:`catalogue`): making it walks every configured source, so a
    publish that built it per document (thousands of archive documents times thousands of
    sources) grew with the square of the number of sources."""

    categories: Mapping[str, str]
    sources: Mapping[str, SourceRef]
    entries: EntryCache | None = field(default=None, compare=False, repr=False)


def catalogue(config: Config) -> Catalogue:
    sources: dict[str, SourceRef] = {}
    for source in config.sources:
        # No credentials in a published link (feedhub.redact); a URL with a token is left out.
        url = public_url(source.location if source.is_remote else source.base_url) or ""
        if safe_url(url):
            sources[source.id] = SourceRef(
                id=source.id, title=clean(source.title or source.id), url=url,
                is_feed=source.is_remote and source.kind == "feed")
    return Catalogue(categories={c.slug: clean(c.title) for c in config.categories},
                     sources=sources, entries=EntryCache())


def make_doc(config: Config, slug: str, items: Sequence[Item], *,
             shared: Catalogue | None = None, **paging: int) -> FeedDoc:
    """The document of ``slug`` holding ``items`` (newest first). Pass ``shared`` (from
    :func:`catalogue`) when making many documents of one configuration."""
    shared = shared or catalogue(config)
    category = config.category(slug) if slug != ALL_SLUG else None
    return FeedDoc(
        slug=slug,
        title=feed_title(config.site, slug, category.title if category else None),
        site=config.site,
        items=tuple(items),
        categories=shared.categories,
        sources=shared.sources,
        entries=shared.entries,
        **paging,
    )


def atom_updated(items: Sequence[Item]) -> dict[str, datetime]:
    """Item id -> the ``updated`` instant Atom shows, distinct within one document.

    Atom validators warn when two entries share ``updated`` (they look like one entry twice);
    sources that date stories by day make that common. An item changed at a whole second gets
    a sub-second offset derived from its id: stable across builds and across the feeds it is
    in, and still within the second it changed. A rare remaining clash moves by microseconds.
    """
    seen: set[datetime] = set()
    result: dict[str, datetime] = {}
    for item in items:
        when = item.updated.astimezone(UTC)
        if when.microsecond == 0:
            digest = int(hashlib.sha256(item.id.encode("utf-8", "replace")).hexdigest()[:8], 16)
            when = when.replace(microsecond=digest % 999_999 + 1)
        while when in seen:
            when += timedelta(microseconds=1)
        seen.add(when)
        result[item.id] = when
    return result
