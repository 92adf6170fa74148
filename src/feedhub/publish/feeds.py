"""FeedDoc -> RSS 2.0 and Atom 1.0 bytes, written with feedgen (the only feedgen importer).

Each render builds its own ``FeedGenerator`` (RSS and Atom differ in what one call means: a
category's text, how many enclosures, where a source goes), fills it from the FeedDoc, and
serialises with feedgen's public ``rss_str`` / ``atom_str``. What feedgen does not write comes
from feedgen's own extension mechanism (``register_extension``): :class:`_FeedExtension` /
:class:`_EntryExtension` here write the RFC 5005 ``fh:archive`` marker, the hub and paging
atom:links of an RSS channel, dc:creator, media:thumbnail, Atom enclosure links and a full
atom:source. (feedgen's own ``dc`` and ``media`` extensions wrote dc:creator and
media:thumbnail the same way, but registering them on every entry and walking every Dublin
Core field of each was about a fifth of a render; a cold build renders archives of every
item twice in three formats.)

The xml-stylesheet instruction is spliced into the serialised bytes right after the XML
declaration (:func:`_with_stylesheet`): feedgen has no hook for a node before the root, and
its ``_create_rss`` / ``_create_atom`` tree builders are private API that may change.

Contract: every text and attribute goes through :func:`~.document.clean` before it reaches
feedgen, so the output is well-formed for any input; the caller parses it back before writing.
Dates: RSS in RFC 822 (``+0000``), Atom in RFC 3339, all UTC; no build time anywhere, so the
bytes only change when the items do.

feedgen's traps (1.0), each handled below:

- Datetimes must be timezone-aware (a naive one raises ``ValueError``); ours are UTC.
- ``add_entry`` prepends unless ``order="append"``: we append, items are newest first already.
  Given an entry filled for another generator, it adds it as is (the extensions it carries
  stay): an item in two documents of one publish is filled once per format (EntryCache).
- Required fields (title, link, description / id, title, updated; an entry's alternate link or
  content) are only checked at serialisation, where a gap raises ``ValueError``.
- A new ``FeedGenerator`` defaults ``lastBuildDate`` / ``updated`` to *now* and the generator
  to python-feedgen: both are always set here, or the bytes would change on every build.
- feedgen and lxml raise on XML-forbidden characters (controls, lone surrogates): every text
  goes through ``clean`` first, so one bad field can never abort a file.
- The RSS channel ``<link>`` is the LAST link added, whatever its rel: the alternate (page)
  link is added last. Only the first rel=self link reaches an RSS channel; other atom:links
  on RSS come from :class:`_FeedExtension`.
- An entry's Atom links lose their rel/type/length (a loop variable in ``atom_entry`` shadows
  the link dict), so the alternate link is written as a bare ``<link href>`` (alternate is
  Atom's default) and enclosure links come from :class:`_EntryExtension`.
- content:encoded is a CDATA section (``type="CDATA"``), which cannot hold ``]]>``: it is
  written ``]]&gt;``, the same HTML. With no summary, feedgen puts content in <description>.
- feedgen formats RFC 822 dates by switching the process locale to C and back around
  ``strftime`` (``feedgen.util.formatRFC2822``): harmless for our C-locale processes, but it is
  a process-wide switch, so nothing locale-sensitive should run in parallel with a render.
- feedgen builds Atom elements without a namespace under a literal ``xmlns`` attribute, so
  extension elements in the Atom namespace are made the same way (no prefix appears).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from .. import __version__
from ..model import Item
from .document import (
    GENERATOR_NAME,
    GENERATOR_URI,
    FeedDoc,
    SourceRef,
    atom_updated,
    clean,
    mime_type,
    safe_url,
    title_of,
)

ATOM = "http://www.w3.org/2005/Atom"
HISTORY = "http://purl.org/syndication/history/1.0"
MEDIA = "http://search.yahoo.com/mrss/"
DC = "http://purl.org/dc/elements/1.1/"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"

_EXTENSION = "feedhub"


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


# -- extensions ----------------------------------------------------------------------------------

class _FeedExtension(BaseExtension):  # type: ignore[misc]
    """Channel/feed level: RFC 5005 ``fh:archive`` and, on RSS, the atom:links feedgen drops;
    declares the namespaces the entry extension writes in."""

    def __init__(self) -> None:
        self.archive = False
        self.rss = False
        self.rss_links: list[tuple[str, str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        namespaces = {"media": MEDIA}
        if self.archive:
            namespaces["fh"] = HISTORY
        if self.rss:
            namespaces["dc"] = DC
        return namespaces

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        for rel, href, mime in self.rss_links:
            link = etree.SubElement(channel, f"{{{ATOM}}}link", rel=rel, href=href)
            if mime:
                link.set("type", mime)
        if self.archive:
            etree.SubElement(channel, f"{{{HISTORY}}}archive")
        return feed

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        if self.archive:
            etree.SubElement(feed, f"{{{HISTORY}}}archive")
        return feed


class _EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Entry level: media:thumbnail; on RSS dc:creator; on Atom enclosure links and
    atom:source (id, title, updated, link)."""

    def __init__(self) -> None:
        self.thumbnail = ""
        self.creator = ""
        self.enclosures: list[dict[str, str]] = []
        self.source: tuple[SourceRef, str] | None = None

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.thumbnail:
            etree.SubElement(item, f"{{{MEDIA}}}thumbnail", url=self.thumbnail)
        if self.creator:
            etree.SubElement(item, f"{{{DC}}}creator").text = self.creator
        return item

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.thumbnail:
            etree.SubElement(entry, f"{{{MEDIA}}}thumbnail", url=self.thumbnail)
        # Un-namespaced like feedgen's own elements: they serialise into Atom's default namespace.
        for attrs in self.enclosures:
            etree.SubElement(entry, "link", attrs)
        if self.source is not None:
            ref, updated = self.source
            source = etree.SubElement(entry, "source")
            etree.SubElement(source, "id").text = ref.url
            etree.SubElement(source, "title").text = ref.title
            # The source's own feed date is not kept; the entry's change is when we last saw it.
            etree.SubElement(source, "updated").text = updated
            etree.SubElement(source, "link", rel="self" if ref.is_feed else "alternate",
                             href=ref.url)
        return entry


def _new_entry(fill: Callable[..., None], *args: Any) -> FeedEntry:
    """A feedgen entry with feedhub's extension, filled by ``fill(entry, *args)``. Made apart
    from any generator: ``add_entry`` takes it as it is, into every document it is in."""
    entry = FeedEntry()
    entry.register_extension(_EXTENSION, _EntryExtension)
    fill(entry, *args)
    return entry


def _text(*choices: str) -> str:
    """The first choice with visible text once cleaned: feedgen drops or refuses empty fields."""
    for choice in choices:
        if clean(choice).strip():
            return clean(choice)
    return "Untitled"


def _generator(doc: FeedDoc) -> tuple[Any, _FeedExtension]:
    fg = FeedGenerator()
    fg.register_extension(_EXTENSION, _FeedExtension, _EntryExtension)
    ext: _FeedExtension = getattr(fg, _EXTENSION)
    ext.archive = bool(doc.archive)
    fg.id(clean(doc.feed_id))
    fg.title(_text(doc.title, doc.slug))
    fg.language(clean(doc.site.language))
    return fg, ext


def _paging_links(doc: FeedDoc, ext: str, mime: str) -> list[tuple[str, str, str]]:
    """(rel, href, type) of the self, hub and RFC 5005 links of a document."""
    links = [("self", doc.self_url(ext), mime)]
    hub = safe_url(doc.site.websub_hub or "")
    if hub:
        links.append(("hub", hub, ""))
    if doc.archive:
        links.append(("current", doc.url(ext), mime))
    if doc.prev_archive:
        links.append(("prev-archive", doc.archive_url(doc.prev_archive, ext), mime))
    if doc.next_archive:
        links.append(("next-archive", doc.archive_url(doc.next_archive, ext), mime))
    return [(rel, clean(href), mime) for rel, href, mime in links]


def _link(fg: Any, rel: str, href: str, mime: str) -> None:
    fg.link(href=href, rel=rel, **({"type": mime} if mime else {}))


def _labels(item: Item) -> list[str]:
    return [clean(label) for label in item.labels if clean(label).strip()]


def _first_source(doc: FeedDoc, item: Item) -> SourceRef | None:
    for source_id in item.sources:
        if source_id in doc.sources:
            return doc.sources[source_id]
    return None


def _with_stylesheet(data: bytes, doc: FeedDoc) -> bytes:
    """``data`` with an xml-stylesheet instruction after its XML declaration."""
    declaration, _, body = data.partition(b"\n")
    href = clean(doc.stylesheet_url).replace('"', "%22")
    pi = f'<?xml-stylesheet type="text/xsl" href="{href}"?>'.encode()
    return b"\n".join((declaration, pi, body))


# -- RSS 2.0 -------------------------------------------------------------------------------------

def render_rss(doc: FeedDoc) -> bytes:
    fg, ext = _generator(doc)
    ext.rss = True
    fg.description(_text(doc.site.description, doc.title, doc.slug))
    links = _paging_links(doc, "rss", RSS_TYPE)
    _link(fg, *links[0])  # feedgen writes the rel=self atom:link of a channel itself
    ext.rss_links = links[1:]
    fg.lastBuildDate(_utc(doc.updated))
    fg.generator(f"{GENERATOR_NAME} {__version__}")
    fg.docs("https://www.rssboard.org/rss-specification")
    fg.ttl(doc.ttl_minutes)
    image = safe_url(doc.site.logo or doc.site.icon or "")
    if image:
        fg.image(url=image, title=_text(doc.title, doc.slug), link=clean(doc.page_url))
    for item in doc.items:
        entry = doc.entry("rss", item, partial(_new_entry, _rss_item, doc, item))
        fg.add_entry(entry, order="append")
    fg.link(href=clean(doc.page_url), rel="alternate")  # last: it becomes the channel <link>
    return _with_stylesheet(fg.rss_str(pretty=True), doc)


def _rss_item(entry: Any, doc: FeedDoc, item: Item) -> None:
    ext: _EntryExtension = getattr(entry, _EXTENSION)
    entry.title(title_of(item))
    link = safe_url(item.link)
    if link:
        entry.link(href=link)
    if item.summary:
        entry.summary(clean(item.summary))
    if item.content:
        entry.content(clean(item.content).replace("]]>", "]]&gt;"), type="CDATA")
    if clean(item.author).strip():
        # RSS <author> must be an e-mail address; a name goes in dc:creator.
        ext.creator = clean(item.author)
    categories = [{"term": clean(slug), "scheme": clean(f"{doc.base}/c/")}
                  for slug in item.categories]
    categories += [{"term": label} for label in _labels(item)]
    if categories:
        entry.category(categories)
    entry.guid(f"urn:uuid:{clean(item.id)}", permalink=False)
    entry.pubDate(_utc(item.published))
    for enclosure in item.enclosures[:1]:  # RSS allows one enclosure per item
        url = safe_url(enclosure.url)
        if url:
            entry.enclosure(url, max(enclosure.length, 0),
                            mime_type(enclosure.type, "application/octet-stream"))
    ext.thumbnail = safe_url(item.image)
    source = _first_source(doc, item)
    if source is not None and source.is_feed:
        entry.source(url=source.url, title=source.title)


# -- Atom 1.0 ------------------------------------------------------------------------------------

def render_atom(doc: FeedDoc) -> bytes:
    fg, _ = _generator(doc)
    updated = atom_updated(doc.items)
    if clean(doc.site.description).strip():
        fg.subtitle(clean(doc.site.description))
    fg.updated(_utc(max(updated.values(), default=doc.updated)))
    fg.author(name=_text(doc.author, doc.site.title, doc.title))
    for rel, href, mime in _paging_links(doc, "atom", ATOM_TYPE):
        _link(fg, rel, href, mime)
    fg.link(href=clean(doc.page_url), rel="alternate", type="text/html")
    fg.generator(GENERATOR_NAME, version=__version__, uri=GENERATOR_URI)
    if safe_url(doc.site.icon or ""):
        fg.icon(safe_url(doc.site.icon or ""))
    if safe_url(doc.site.logo or ""):
        fg.logo(safe_url(doc.site.logo or ""))
    for item in doc.items:
        when = updated[item.id]
        entry = doc.entry("atom", item, partial(_new_entry, _atom_entry, doc, item, when), when)
        fg.add_entry(entry, order="append")
    return _with_stylesheet(fg.atom_str(pretty=True), doc)


def _atom_entry(entry: Any, doc: FeedDoc, item: Item, updated: datetime) -> None:
    entry.id(f"urn:uuid:{clean(item.id)}")
    entry.title(title_of(item))
    entry.updated(_utc(updated))
    entry.published(_utc(item.published))
    if clean(item.author).strip():
        entry.author(name=clean(item.author))
    link = safe_url(item.link)
    if link:
        entry.link(href=link, rel="alternate", type="text/html")
    ext: _EntryExtension = getattr(entry, _EXTENSION)
    for enclosure in item.enclosures:
        url = safe_url(enclosure.url)
        if url:
            attrs = {"rel": "enclosure", "href": url}
            if mime_type(enclosure.type):
                attrs["type"] = mime_type(enclosure.type)
            if enclosure.length > 0:
                attrs["length"] = str(enclosure.length)
            ext.enclosures.append(attrs)
    categories = [{"term": clean(slug), "scheme": clean(f"{doc.base}/c/"),
                   "label": clean(doc.category_title(slug))} for slug in item.categories]
    categories += [{"term": label} for label in _labels(item)]
    if categories:
        entry.category(categories)
    if item.summary:
        entry.summary(clean(item.summary), type="html")
    if item.content:
        entry.content(clean(item.content), type="html")
    elif not link:
        # Atom: an entry without an alternate link must have content.
        entry.content(clean(item.summary) or title_of(item), type="html")
    ext.thumbnail = safe_url(item.image)
    source = _first_source(doc, item)
    if source is not None:
        # For a merged item this names the first of its sources (Atom allows one).
        ext.source = (source, rfc3339(updated))
