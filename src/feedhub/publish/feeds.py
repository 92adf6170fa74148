"""FeedDoc -> RSS 2.0 and Atom 1.0 bytes, written with feedgen (the only feedgen importer);
and the operators' incidents feed (:func:`render_incidents`, from the store's incidents).

Each render builds its own ``FeedGenerator`` (RSS and Atom differ in what one call means: a
category's text, how many enclosures, where a source goes), fills it from the FeedDoc, and
serialises with feedgen's public ``rss_str`` / ``atom_str``. What feedgen does not write comes
from feedgen's own extension mechanism (``register_extension``): :class:`_FeedExtension` /
:class:`_EntryExtension` here write the RFC 5005 ``fh:archive`` marker, the hub and paging
atom:links of an RSS channel, dc:creator, media:thumbnail, Atom enclosure and replies links
and a full atom:source. (feedgen's own ``dc`` and ``media`` extensions wrote dc:creator and
media:thumbnail the same way, but registering them on every entry and walking every Dublin
Core field of each was about a fifth of a render; a cold build renders archives of every
item twice in three formats.)

Feeds carry no ``<?xml-stylesheet?>``: a browser that opens a feed URL is given the category
page by content negotiation (docs/formats.md, "Feeds in a browser", says why XSLT was dropped).

Entries are serialised once per publish and spliced (:func:`_render`): a cold build puts every
item in two archive documents, and building and serialising each entry's elements for each
document was the largest part of rendering. An entry's bytes come from feedgen's public
``atom_entry`` / ``rss_entry`` under a root with the namespaces feedgen declares, pretty-printed
at the depth entries have in a document (:func:`_serialised`), so they are the very bytes
feedgen writes for it inside a document. feedgen then serialises the document around one
placeholder entry, serialised the same way, and the entries replace it. Finding the
placeholder's bytes exactly once checks, on every document, that the two ways agree; where they
do not (another feedgen), the document is built whole by feedgen, slower and the same.

Contract: every text and attribute goes through :func:`~.document.clean` before it reaches
feedgen, so the output is well-formed for any input; the publisher parses every subscription
document back before writing it (archives are rendered by the same code).
Dates: RSS in RFC 822 (``+0000``), Atom in RFC 3339, all UTC; no build time anywhere, so the
bytes only change when the items do.

feedgen's traps (1.0), each handled below:

- Datetimes must be timezone-aware (a naive one raises ``ValueError``); ours are UTC.
- ``add_entry`` prepends unless ``order="append"``: we append, items are newest first already.
  Given an entry filled for another generator, it adds it as is (the extensions it carries
  stay): one placeholder entry serves every document.
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
  Atom's default) and enclosure and replies links come from :class:`_EntryExtension`.
- content:encoded is a CDATA section (``type="CDATA"``), which cannot hold ``]]>``: it is
  written ``]]&gt;``, the same HTML. With no summary, feedgen puts content in <description>.
- feedgen formats RFC 822 dates by switching the process locale to C and back around
  ``strftime`` (``feedgen.util.formatRFC2822``): harmless for our C-locale processes, but it is
  a process-wide switch, so nothing locale-sensitive should run in parallel with a render.
- feedgen builds Atom elements without a namespace under a literal ``xmlns`` attribute, so
  extension elements in the Atom namespace are made the same way (no prefix appears).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Hashable, Sequence
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
from ..store import Incident
from ..titles import atom_text, rss_title
from .document import (
    EPOCH,
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
CONTENT = "http://purl.org/rss/1.0/modules/content/"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"

_EXTENSION = "feedhub"

LOGGER = logging.getLogger(__name__)


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
    """Entry level: media:thumbnail; on RSS dc:creator; on Atom enclosure links, the RFC 4685
    replies link and atom:source (id, title, updated, link)."""

    def __init__(self) -> None:
        self.title_type = ""
        self.thumbnail = ""
        self.creator = ""
        self.enclosures: list[dict[str, str]] = []
        self.replies = ""
        self.source: tuple[SourceRef, str] | None = None

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.thumbnail:
            etree.SubElement(item, f"{{{MEDIA}}}thumbnail", url=self.thumbnail)
        if self.creator:
            etree.SubElement(item, f"{{{DC}}}creator").text = self.creator
        return item

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        title = entry.find("title")  # feedgen's elements are un-namespaced until serialised
        if self.title_type and title is not None:
            title.set("type", self.title_type)
        if self.thumbnail:
            etree.SubElement(entry, f"{{{MEDIA}}}thumbnail", url=self.thumbnail)
        # Un-namespaced like feedgen's own elements: they serialise into Atom's default namespace.
        for attrs in self.enclosures:
            etree.SubElement(entry, "link", attrs)
        if self.replies:
            # RFC 4685 reads a replies link without a type as application/atom+xml (a feed
            # of the replies): a comments page says it is HTML.
            etree.SubElement(entry, "link", rel="replies", type="text/html", href=self.replies)
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
    from any generator: it is serialised alone (:func:`_serialised`), or added as it is to a
    document rendered whole."""
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
    ext.archive = _marked_archive(doc)
    fg.id(clean(doc.feed_id))
    fg.title(_text(doc.title, doc.slug))
    fg.language(clean(doc.site.language))
    return fg, ext


def _marked_archive(doc: FeedDoc) -> bool:
    """Whether ``doc`` carries RFC 5005's ``fh:archive`` marker: every archive document but a
    lone one. An archive that is both the oldest and the newest has neither paging link (RFC
    5005: prev-archive only when an older archive exists, next-archive only when a newer one
    does), and the W3C Feed Validator warns ArchiveIncomplete on any ``fh:archive`` without
    one of them; its other remedy, ``fh:complete``, would claim the document holds the whole
    feed. The marker is a SHOULD: the lone archive keeps its ``current`` link, and readers
    reach it by the subscription document's prev-archive link. It gets the marker with its
    next-archive link when a second archive comes (its fingerprint changes then)."""
    return bool(doc.archive) and bool(doc.prev_archive or doc.next_archive)


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


# -- entries serialised once, spliced into each document -----------------------------------------

Make = Callable[[], FeedEntry]
"""Makes one filled entry (only called when its bytes are not known yet)."""


_containers = threading.local()


def _container(kind: str) -> tuple[etree._Element, etree._Element]:
    """A document root as feedgen builds it for ``kind`` (the namespaces entries use declared
    with the same prefixes; Atom's default namespace as feedgen's literal ``xmlns``) and the
    element entries go in: made once per thread, and left empty by its user."""
    made: tuple[etree._Element, etree._Element] | None = getattr(_containers, kind, None)
    if made is None:
        made = _new_container(kind)
        setattr(_containers, kind, made)
    return made


def _new_container(kind: str) -> tuple[etree._Element, etree._Element]:
    ext = _FeedExtension()
    ext.rss = kind == "rss"
    if kind == "atom":
        root = etree.Element("feed", xmlns=ATOM, nsmap=ext.extend_ns())
        return root, root
    root = etree.Element("rss", version="2.0",
                         nsmap={**ext.extend_ns(), "atom": ATOM, "content": CONTENT})
    return root, etree.SubElement(root, "channel")


def _serialised(kind: str, make: Make) -> bytes:
    """The lines of entry ``make()`` as a pretty-printed ``kind`` document holds them."""
    entry = make()
    element = entry.atom_entry() if kind == "atom" else entry.rss_entry()
    root, container = _container(kind)
    container.append(element)
    try:
        data = etree.tostring(root, pretty_print=True, encoding="UTF-8")
    finally:
        container.remove(element)
    tag = b"entry" if kind == "atom" else b"item"
    # The container's own tags are neither; text and attributes escape "<"; RSS content is
    # CDATA and may hold "<item>" or "</item>", but only after the start tag and before the
    # end tag: the first "<item" is the start tag, the last "</item>" the end tag.
    start = data.rindex(b"\n", 0, data.index(b"<" + tag)) + 1
    end = data.rindex(b"</" + tag + b">") + len(tag) + 4  # "</", ">" and the line break
    return data[start:end]


PLACEHOLDER = "urn:feedhub:entries-go-here"


@functools.cache
def _placeholder(kind: str) -> tuple[FeedEntry, bytes]:
    """An entry that stands for a document's entries, and its bytes."""
    entry = FeedEntry()
    entry.register_extension(_EXTENSION, _EntryExtension)
    entry.title(PLACEHOLDER)
    if kind == "atom":
        entry.id(PLACEHOLDER)
        entry.updated(EPOCH)
        entry.content(PLACEHOLDER)
    else:
        entry.guid(PLACEHOLDER, permalink=False)
    return entry, _serialised(kind, lambda: entry)


def _to_bytes(fg: Any, kind: str) -> bytes:
    return bytes(fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True))


def _render(doc: FeedDoc, kind: str, head: Callable[[], Any],
            entries: list[tuple[Item, Hashable, Make]], *, splice: bool = True) -> bytes:
    """Document ``doc`` in ``kind``: ``head()`` is a FeedGenerator filled with all but the
    entries, ``entries`` (item, what else its entry depends on, its maker) in order. Each
    entry's bytes are made once per publish (``doc.entry``) and spliced; ``splice=False``
    builds it whole with feedgen (the way the splice is checked against)."""
    if splice:
        fragments = [doc.entry(kind, item, partial(_serialised, kind, make), extra)
                     for item, extra, make in entries]
        fg = head()
        placeholder, marker = _placeholder(kind)
        fg.add_entry(placeholder, order="append")
        data = _to_bytes(fg, kind)
        if data.count(marker) == 1:
            return data.replace(marker, b"".join(fragments))
        _spliced_wrong(kind)
    fg = head()
    for _item, _extra, make in entries:
        fg.add_entry(make(), order="append")
    return _to_bytes(fg, kind)


@functools.cache
def _spliced_wrong(kind: str) -> None:
    LOGGER.warning("feedgen wrote a %s document unlike feedhub expects (another feedgen "
                   "version?): documents are rendered whole, correct but slower", kind)


# -- RSS 2.0 -------------------------------------------------------------------------------------

def render_rss(doc: FeedDoc, *, splice: bool = True) -> bytes:
    entries: list[tuple[Item, Hashable, Make]] = [
        (item, None, partial(_new_entry, _rss_item, doc, item)) for item in doc.items]
    return _hex_references(_render(doc, "rss", partial(_rss_head, doc), entries,
                                   splice=splice))


_RSS_TITLE = re.compile(rb"<title>[^<]*&[^<]*</title>")


def _hex_references(data: bytes) -> bytes:
    """``data`` with "&" and "<" in every <title> written ``&#x26;`` and ``&#x3C;``, as the
    RSS Best Practices Profile asks of plain text (the same characters to an XML parser; the
    W3C Feed Validator's CharacterData and ContainsHTML warnings look for the hex form)."""
    return _RSS_TITLE.sub(
        lambda m: m.group(0).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;"), data)


def _rss_head(doc: FeedDoc) -> Any:
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
    fg.link(href=clean(doc.page_url), rel="alternate")  # last: it becomes the channel <link>
    return fg


def _rss_item(entry: Any, doc: FeedDoc, item: Item) -> None:
    ext: _EntryExtension = getattr(entry, _EXTENSION)
    entry.title(rss_title(title_of(item)))
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
    comments = safe_url(item.comments)
    if comments:
        entry.comments(comments)
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

def render_atom(doc: FeedDoc, *, splice: bool = True) -> bytes:
    updated = atom_updated(doc.items)
    entries: list[tuple[Item, Hashable, Make]] = [
        (item, updated[item.id], partial(_new_entry, _atom_entry, doc, item, updated[item.id]))
        for item in doc.items]
    return _render(doc, "atom", partial(_atom_head, doc, updated), entries, splice=splice)


def _atom_head(doc: FeedDoc, updated: dict[str, datetime]) -> Any:
    fg, _ = _generator(doc)
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
    return fg


def _atom_entry(entry: Any, doc: FeedDoc, item: Item, updated: datetime) -> None:
    ext: _EntryExtension = getattr(entry, _EXTENSION)
    entry.id(f"urn:uuid:{clean(item.id)}")
    title_type, title = atom_text(title_of(item))
    entry.title(title)
    if title_type != "text":
        ext.title_type = title_type
    entry.updated(_utc(updated))
    entry.published(_utc(item.published))
    if clean(item.author).strip():
        entry.author(name=clean(item.author))
    link = safe_url(item.link)
    if link:
        entry.link(href=link, rel="alternate", type="text/html")
    for enclosure in item.enclosures:
        url = safe_url(enclosure.url)
        if url:
            attrs = {"rel": "enclosure", "href": url}
            if mime_type(enclosure.type):
                attrs["type"] = mime_type(enclosure.type)
            if enclosure.length > 0:
                attrs["length"] = str(enclosure.length)
            ext.enclosures.append(attrs)
    ext.replies = safe_url(item.comments)
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
        # Atom: an entry without an alternate link must have content (RFC 4287 4.1.1).
        if item.summary:
            entry.content(clean(item.summary), type="html")
        else:
            entry.content(title, type=title_type)
    elif not item.summary:
        # No text but the title: RFC 4287 4.1.1.1 advises a non-empty summary in an entry
        # without content (the W3C validator's MissingTextualContent). The title is the only
        # text the source gave, so the summary says it again rather than say anything new.
        entry.summary(title, type=title_type)
    ext.thumbnail = safe_url(item.image)
    source = _first_source(doc, item)
    if source is not None:
        # For a merged item this names the first of its sources (Atom allows one).
        ext.source = (source, rfc3339(updated))


# -- the operator feed ---------------------------------------------------------------------------

def render_incidents(incidents: Sequence[Incident], site_title: str, feed_url: str) -> bytes:
    """The operator feed (feedhub.incidents): Atom, one entry per incident, newest first.
    Stable for the same incidents: its updated date is the newest incident's (EPOCH for
    none), each entry's id and date are the incident's own."""
    fg = FeedGenerator()
    fg.id(clean(feed_url))
    fg.title(clean(f"{site_title}: feedhub incidents"))
    fg.subtitle("Sources failing, turning stale and recovering (operators only)")
    fg.author({"name": "feedhub"})
    fg.link(href=clean(feed_url), rel="self", type=ATOM_TYPE)
    fg.generator(GENERATOR_NAME, uri=GENERATOR_URI, version=__version__)
    fg.updated(_utc(max((incident.at for incident in incidents), default=EPOCH)))
    for incident in incidents:
        entry = fg.add_entry(order="append")
        entry.id(f"{clean(feed_url)}#incident-{incident.id}")
        what = ({"failing": "is failing", "stale": "is stale"}[incident.problem]
                if incident.opened else f"recovered ({incident.problem})")
        entry.title(clean(f"{incident.source_id} {what}"))
        entry.updated(_utc(incident.at))
        entry.published(_utc(incident.at))
        entry.content(_text(incident.detail), type="text")
    return _to_bytes(fg, "atom")
