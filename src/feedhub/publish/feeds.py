"""Items -> RSS 2.0 and Atom 1.0 bytes. The only module that imports feedgen.

Traps, written down once:
- feedgen wants timezone-aware datetimes and raises on naive ones.
- ``add_entry`` prepends unless ``order='append'``: we append, items arrive newest first.
- Required fields fail only at serialisation, so every feed is rendered in full here.
- lxml (under feedgen) raises on characters XML 1.0 forbids; normalise removes them, and
  :func:`xml_safe` strips them again at this boundary so one bad field can never abort a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from .. import __version__
from ..model import Category, Item, Site
from ..normalise import strip_xml_forbidden as xml_safe

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no items: fixed, so an empty feed's bytes never change."""


@dataclass(frozen=True)
class FeedInfo:
    """What a category feed says about itself."""

    slug: str
    title: str
    site: Site
    ttl_minutes: int = 60

    @property
    def page_url(self) -> str:
        return f"{self.site.base_url}/c/{self.slug}"

    def url(self, ext: str) -> str:
        return f"{self.site.base_url}/feeds/{self.slug}.{ext}"


def feed_info(site: Site, slug: str, category: Category | None) -> FeedInfo:
    title = f"{site.title}: {category.title}" if category else f"{site.title}: all news"
    return FeedInfo(slug=slug, title=title, site=site)


def newest_change(items: Sequence[Item]) -> datetime:
    return max((item.updated for item in items), default=EPOCH)


def _generator(info: FeedInfo, items: Sequence[Item], kind: str) -> FeedGenerator:
    site = info.site
    fg = FeedGenerator()
    fg.id(info.url("atom"))
    fg.title(xml_safe(info.title))
    fg.author({"name": xml_safe(site.author or site.title)})
    fg.link(href=info.url(kind), rel="self",
            type="application/rss+xml" if kind == "rss" else "application/atom+xml")
    # feedgen uses the last link as RSS <link>: the alternate must come last.
    fg.link(href=info.page_url, rel="alternate", type="text/html")
    fg.description(xml_safe(site.description or info.title))
    fg.language(site.language)
    fg.generator("feedhub", version=__version__, uri="https://github.com/feedhub/feedhub")
    changed = newest_change(items)
    fg.updated(changed)
    fg.lastBuildDate(changed)
    fg.ttl(info.ttl_minutes)
    for item in items:
        entry = fg.add_entry(order="append")
        entry.id(f"urn:uuid:{item.id}")
        entry.guid(f"urn:uuid:{item.id}", permalink=False)
        entry.title(xml_safe(item.title))
        if item.link:
            entry.link(href=xml_safe(item.link), rel="alternate", type="text/html")
        entry.published(item.published)
        entry.updated(item.updated)
        if item.summary:
            if kind == "atom":
                entry.summary(xml_safe(item.summary), type="html")
            else:
                entry.description(xml_safe(item.summary))
        if item.content:
            entry.content(xml_safe(item.content), type="html" if kind == "atom" else "CDATA")
        if item.author:
            entry.author({"name": xml_safe(item.author)})
        for slug in item.categories:
            entry.category(term=slug, label=slug)
        for label in item.labels:
            entry.category(term=xml_safe(label))
    return fg


def render_rss(info: FeedInfo, items: Sequence[Item]) -> bytes:
    data: bytes = _generator(info, items, "rss").rss_str(pretty=True)
    return data


def render_atom(info: FeedInfo, items: Sequence[Item]) -> bytes:
    data: bytes = _generator(info, items, "atom").atom_str(pretty=True)
    return data
