"""The records that flow through feedhub's pipeline.

config -> :class:`Source` / :class:`Category` / :class:`Site`
fetch -> :class:`FetchResult`
extract -> :class:`RawEntry` (as parsed, nothing trusted yet)
normalise -> :class:`Item` (as published: one identity per story, UTC dates, safe HTML)

Standard library only: every other module may import this one, and it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

ALL_SLUG = "all"
"""The category every item belongs to."""


ID_POLICIES = ("auto", "guid", "link")
"""Values of a source's ``identity``; anything else is a field rule (html sources)."""

RENDER_MODES = ("static", "browser")
"""Values of a source's ``render``: the page as its server sends it, or as headless Chromium
shows it once its scripts ran (html sources at a url)."""


class SourceKind(StrEnum):
    FEED = "feed"
    """Any RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 document."""
    HTML = "html"
    """A news listing page, read with CSS selectors or, without them, automatically."""


@dataclass(frozen=True)
class Site:
    """What the published feeds say about their publisher."""

    title: str
    """Feed and page title prefix, e.g. "ILO newsroom"."""
    base_url: str
    """Public URL where feedhub is served; self links come from it, never from a request."""
    language: str = "en"
    """BCP 47 language tag of the site: its feeds declare it, and pages, embeds and feed titles
    speak it where feedhub has words in it (publish.i18n)."""
    description: str = ""
    """One sentence shown in RSS <description> and on the index page."""
    author: str = ""
    """Feed-level author name (Atom requires one); defaults to the title."""
    feed_size: int = 50
    """Newest items per published feed (a category may set its own)."""
    icon: str = ""
    """Absolute URL of a small square icon (Atom <icon>, JSON Feed favicon); "" = none."""
    logo: str = ""
    """Absolute URL of a wider logo (Atom <logo>, RSS <image>, JSON Feed icon); "" = none."""
    websub_hub: str = ""
    """WebSub hub URL: feeds name it (rel="hub") and builds that change a feed ping it."""
    merge_window_days: int = 2
    """Stories from different sources with the same normalised title, published this close
    together, are one item (0 turns title merging off)."""
    max_age_days: int = 0
    """Items published longer ago than this, and no longer listed by any source, are pruned
    from the store, and older new items are not stored (0, the default, keeps everything)."""


@dataclass(frozen=True)
class Category:
    """A published feed: items whose label maps here."""

    slug: str
    """URL-safe name: feeds/<slug>.rss."""
    title: str
    """Human title of the feed."""
    labels: tuple[str, ...] = ()
    """Raw labels ("Press release") that put an item in this category."""
    keywords: tuple[str, ...] = ()
    """Words or phrases that put an item here when its title or summary contains one."""
    exclude: tuple[str, ...] = ()
    """Words or phrases that stop a keyword match (labels still apply)."""
    feed_size: int = 0
    """Newest items in this feed (0 = the site's feed_size)."""


@dataclass(frozen=True)
class Selectors:
    """CSS rules for one listing page. A rule is ``css`` (text), ``css@attr`` or ``css@html``."""

    item: str
    """Selects each item block."""
    title: str = "a"
    link: str = "a@href"
    date: str = ""
    label: str = ""
    summary: str = ""
    image: str = ""
    next: str = ""
    """The next-page link (``a.next@href``); ``rel="next"`` is followed without it."""


@dataclass(frozen=True)
class Source:
    """One place feedhub reads items from."""

    id: str
    """Stable identifier, used in the store and in reports."""
    kind: SourceKind
    location: str
    """An http(s) URL, or a path (relative to sources.yaml's folder)."""
    default_category: str = ""
    """Slug for items whose label maps to no category ("" = only `all`)."""
    title: str = ""
    selectors: Selectors | None = None
    """Listing-page rules (html sources only)."""
    date_format: str = ""
    """strptime format for listing dates; common formats are tried when empty."""
    timezone: str = "UTC"
    """IANA zone for dates that carry none."""
    base_url: str = ""
    """URL that relative links resolve against (defaults to the fetched URL)."""
    locale: str = ""
    """Language of month and weekday names in listing dates ("fr", "de", "es"...)."""
    max_pages: int = 1
    """Listing pages read per build, following the next-page link."""
    refresh: timedelta | None = None
    """Least time between two fetches of this source (None: the config's ``fetch.refresh``)."""
    allow_private: bool = False
    """Let the host of ``location`` be a loopback, private or link-local address (an intranet
    source); redirects and next pages to other such hosts still need ``allow_hosts``."""
    allow_hosts: tuple[str, ...] = field(default=(), repr=False)
    """Further hosts (lower case, no brackets) that may be private: where the source's
    redirects or next-page links lead. Not in the repr: settings_hash is the repr, and these
    hosts do not change how a body is read."""
    keep_tracking: bool = False
    """Publish links with their tracking parameters (``utm_*``, ``fbclid``...); by default
    they are dropped (links.TRACKING_PARAMETERS)."""
    identity: str = "auto"
    """How an item's id is chosen: ``auto`` (the guid when real and unique, else the link),
    ``guid``, ``link``, or (html sources) a field rule such as ``@data-id`` read as the guid."""
    headers: tuple[tuple[str, str], ...] = ()
    """Request headers sent with every request of this source to its own host (redirect hops
    and next pages there included), replacing feedhub's own of the same name (User-Agent,
    Accept); names as written, checked by ``feedhub check``."""
    ignore_robots: bool = field(default=False, repr=False)
    """Fetch even where the host's robots.txt disallows it (a site that agreed otherwise). Not
    in the repr (the settings hash): it does not change how a body is read."""
    full_text: bool = field(default=False, repr=False)
    """Fetch the article page of each new or changed item and publish its story as the item's
    content (feedhub.fulltext); the summary stays the summary. Not in the repr: settings_hash
    adds it when set, so the sources that do not use it keep their hash."""
    content_selector: str = field(default="", repr=False)
    """CSS selector of the story on the article pages (full_text); "" = found automatically.
    Not in the repr, like ``full_text``."""
    stale_after: timedelta | None = field(default=None, repr=False)
    """The source is stale when its newest stored item is older than this (None: the config's
    ``fetch.stale_after``; zero: never). Not in the repr: it does not change how a body is
    read."""
    render: str = field(default="static", repr=False)
    """How the page is read (:data:`RENDER_MODES`): ``static``, as served, or ``browser``, the
    DOM headless Chromium built once the page's scripts ran. Not in the repr: settings_hash
    adds it when it is not ``static``, so the sources that do not use it keep their hash."""

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))


@dataclass(frozen=True)
class ServeSettings:
    """How the web app answers and refreshes (the ``serve:`` section of sources.yaml)."""

    refresh: int = 0
    """Seconds between background rebuilds in the server (0: no background refresh)."""
    max_age: int = 900
    """Cache-Control max-age in seconds (default: the refresh interval, else 15 minutes)."""
    cors_origins: tuple[str, ...] = ("*",)
    """Origins allowed to read feeds, JSON and embeds from a browser; ``*`` is any."""
    stale_after: int = 86400
    """/healthz fails when the last successful build (one that published the feeds, even if
    some sources failed; a crashed build does not count) finished longer ago than this
    (seconds; default three refresh intervals, else a day)."""


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on retrieving one source; every fetch ends within ``deadline`` seconds."""

    connect_timeout: float = 10.0
    """Seconds to open one connection."""
    deadline: float = 30.0
    """Seconds for the whole fetch of a source: redirects, body and retries included."""
    max_bytes: int = 10 * 1024 * 1024
    """Cap on the body, counted after decompression."""
    max_redirects: int = 5
    retries: int = 3
    """Further attempts after a timeout, a 5xx or a 429."""
    backoff: float = 0.5
    """Seconds before the first retry; doubles on each retry, with random jitter."""
    per_host_interval: float = 0.0
    """Least seconds between two requests to one host (by any source; 0: no spacing beyond
    ``FetchSettings.per_host``)."""


@dataclass(frozen=True)
class FetchSettings:
    """How a build fetches: the config's ``fetch:`` section."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    refresh: timedelta = timedelta(minutes=15)
    """Default least time between two fetches of a source."""
    concurrency: int = 8
    """Sources fetched at once."""
    per_host: int = 2
    """Sources fetched at once from one host."""
    max_items: int = 1000
    """Entries read from one source per build; the rest (a runaway or hostile document) is
    ignored and counted in the report."""
    stale_after: timedelta = timedelta(days=30)
    """Default age of a source's newest stored item past which the source is stale (flagged
    in ``feedhub status``, /status.json and the operator feed); zero: never."""


@dataclass(frozen=True)
class Config:
    """A validated sources.yaml."""

    path: Path
    """The file it was read from; local source paths are relative to its folder."""
    site: Site
    categories: tuple[Category, ...]
    sources: tuple[Source, ...]
    store: str = "sqlite:///feedhub.db"
    """Database URL; a relative sqlite path is relative to the config's folder."""
    output: str = "feeds"
    """Folder for generated feeds, relative to the config's folder."""
    serve: ServeSettings = field(default_factory=ServeSettings)
    """Web app settings."""
    fetch: FetchSettings = field(default_factory=FetchSettings)
    """How sources are fetched."""

    def stale_after_of(self, source: Source) -> timedelta:
        """How old a source's newest item may get before it is stale (zero: never)."""
        return source.stale_after if source.stale_after is not None else self.fetch.stale_after

    def refresh_of(self, source: Source) -> timedelta:
        """The least time between two fetches of ``source``."""
        return source.refresh if source.refresh is not None else self.fetch.refresh

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    def category(self, slug: str) -> Category | None:
        for category in self.categories:
            if category.slug == slug:
                return category
        return None

    def source(self, source_id: str) -> Source | None:
        for source in self.sources:
            if source.id == source_id:
                return source
        return None

    def feed_size(self, slug: str) -> int:
        """How many of the newest items the feed ``slug`` shows."""
        category = self.category(slug)
        if category is not None and category.feed_size:
            return category.feed_size
        return self.site.feed_size

    @property
    def feed_slugs(self) -> tuple[str, ...]:
        """Every published feed: `all` first, then each category."""
        return (ALL_SLUG, *(c.slug for c in self.categories))


@dataclass(frozen=True)
class FetchResult:
    """What fetch hands to extract: the bytes and what the server said about them."""

    url: str
    """Final URL after redirects (or a file:// URL)."""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers, lower-cased names."""
    status: int = 200
    """HTTP status; 304 means not modified (body empty)."""
    etag: str = ""
    last_modified: str = ""
    warnings: tuple[str, ...] = ()
    """What the fetch let pass but the source's report should say (robots.txt unreadable)."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str = ""
    length: int = 0


@dataclass(frozen=True)
class RawEntry:
    """One entry as a source gave it: untrusted text, not yet normalised."""

    title: str = ""
    title_html: bool | None = None
    """True: the title is HTML (Atom type="html"/"xhtml", a `@html` rule): its text is kept.
    False: the source says it is plain text (Atom type="text"): "<" in it is a character.
    None: nobody says (RSS, listing text, JSON Feed): only real markup is removed (see
    :mod:`feedhub.titles`)."""
    link: str = ""
    guid: str = ""
    """The source's own id for the entry (RSS guid / Atom id), if any."""
    summary: str = ""
    """HTML or text as found."""
    content: str = ""
    """Full content HTML, if the source has one apart from the summary."""
    published: datetime | None = None
    """Parsed publication date; naive means "in the source's timezone"."""
    updated: datetime | None = None
    date_text: str = ""
    """The date as written, kept for error reports when it did not parse."""
    labels: tuple[str, ...] = ()
    image: str = ""
    author: str = ""
    enclosures: tuple[Enclosure, ...] = ()
    comments: str = ""
    """Link to the story's comments page (RSS <comments>, Atom rel="replies")."""


@dataclass(frozen=True)
class Item:
    """A story as feedhub publishes it."""

    id: str
    """Stable identity (a UUID string); never depends on the story's text."""
    title: str
    link: str
    """Absolute link to the story."""
    published: datetime
    """Timezone-aware, UTC."""
    updated: datetime
    """Last time the story changed (UTC); >= published."""
    summary: str = ""
    """Sanitised HTML."""
    content: str = ""
    """Sanitised full-content HTML ("" when the source has only a summary)."""
    categories: tuple[str, ...] = ()
    """Category slugs (never includes `all`, which is implied)."""
    labels: tuple[str, ...] = ()
    """Raw labels as the sources wrote them."""
    sources: tuple[str, ...] = ()
    """Ids of every source the story came from."""
    image: str = ""
    author: str = ""
    enclosures: tuple[Enclosure, ...] = ()
    comments: str = ""
    """Absolute http(s) URL of the story's comments page ("" = none): RSS <comments>, Atom
    <link rel="replies"> (RFC 4685)."""
    first_seen: datetime | None = None
    """When feedhub first saw the story (UTC)."""
    keys: tuple[str, ...] = ()
    """Identity keys (``guid:...``, ``link:...``, ``title:...``) the story is known by; the
    store finds an item again by any of them."""
    undated: bool = False
    """No source gave it a usable date (none, one that did not parse, or one too far ahead):
    ``published`` is a placeholder, the time feedhub first saw it, which a date parsed later
    (a fixed ``date_format``, ``locale`` or ``timezone``) replaces."""


@dataclass
class NormaliseReport:
    """What normalising one source noticed, for the build summary."""

    unmatched_labels: set[str] = field(default_factory=set)
    unparsed_dates: list[str] = field(default_factory=list)
    future_dates: list[str] = field(default_factory=list)
    """Dates too far ahead, clamped to the time the item was first seen."""
    ancient_dates: list[str] = field(default_factory=list)
    """Dates before feedhub.dates.MIN_YEAR (placeholders such as 0001-01-01): the item is
    dated when first seen instead."""
    dropped: list[str] = field(default_factory=list)
    """Entries with neither a usable link nor a guid (no stable identity)."""
    unresolved_links: list[str] = field(default_factory=list)
    """Relative links left relative: nothing to resolve them against (a local file without
    ``base_url``)."""
