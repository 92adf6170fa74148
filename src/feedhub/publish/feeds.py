"""FeedDoc -> RSS 2.0 and Atom 1.0 bytes, built with lxml's element API.

Built by hand rather than with feedgen because feedgen cannot write what valid, rich feeds
need here (an xml-stylesheet instruction, RFC 5005 archive markers, atom:source, WebSub and
paging links on RSS) and raises on control characters, which would abort a whole file.

Contract: every text and attribute goes through :func:`~.document.clean`, so the output is
well-formed for any input; the caller parses it back before writing. Dates: RSS in RFC 822
(``email.utils``, so the weekday is right), Atom in RFC 3339, all UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

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
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
HISTORY = "http://purl.org/syndication/history/1.0"
DC = "http://purl.org/dc/elements/1.1/"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def _serialise(root: etree._Element, doc: FeedDoc) -> bytes:
    tree = etree.ElementTree(root)
    pi = etree.ProcessingInstruction(
        "xml-stylesheet", f'type="text/xsl" href="{doc.stylesheet_url}"')
    root.addprevious(pi)
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _paging_links(doc: FeedDoc, ext: str, mime: str) -> list[tuple[str, str, str]]:
    """(rel, href, type) of the self, hub and RFC 5005 links of a document."""
    links = [("self", doc.self_url(ext), mime)]
    if doc.site.websub_hub:
        links.append(("hub", doc.site.websub_hub, ""))
    if doc.archive:
        links.append(("current", doc.url(ext), mime))
    if doc.prev_archive:
        links.append(("prev-archive", doc.archive_url(doc.prev_archive, ext), mime))
    if doc.next_archive:
        links.append(("next-archive", doc.archive_url(doc.next_archive, ext), mime))
    return links


# -- RSS 2.0 -------------------------------------------------------------------------------------

def render_rss(doc: FeedDoc) -> bytes:
    nsmap = {"atom": ATOM, "content": CONTENT, "media": MEDIA, "dc": DC}
    if doc.archive:
        nsmap["fh"] = HISTORY
    rss = etree.Element("rss", {"version": "2.0"}, nsmap=nsmap)
    channel = _sub(rss, "channel")
    _sub(channel, "title", doc.title)
    _sub(channel, "link", doc.page_url)
    _sub(channel, "description", doc.site.description or doc.title)
    for rel, href, mime in _paging_links(doc, "rss", RSS_TYPE):
        attrs = {"rel": rel, "href": href}
        if mime:
            attrs["type"] = mime
        _sub(channel, f"{{{ATOM}}}link", **attrs)
    if doc.archive:
        _sub(channel, f"{{{HISTORY}}}archive")
    _sub(channel, "language", doc.site.language)
    _sub(channel, "lastBuildDate", rfc822(doc.updated))
    _sub(channel, "generator", f"{GENERATOR_NAME} {__version__}")
    _sub(channel, "docs", "https://www.rssboard.org/rss-specification")
    _sub(channel, "ttl", str(doc.ttl_minutes))
    image = doc.site.logo or doc.site.icon
    if image:
        img = _sub(channel, "image")
        _sub(img, "url", image)
        _sub(img, "title", doc.title)
        _sub(img, "link", doc.page_url)
    for item in doc.items:
        _rss_item(channel, doc, item)
    return _serialise(rss, doc)


def _rss_item(channel: etree._Element, doc: FeedDoc, item: Item) -> None:
    entry = _sub(channel, "item")
    _sub(entry, "title", title_of(item))
    link = safe_url(item.link)
    if link:
        _sub(entry, "link", link)
    if item.summary:
        _sub(entry, "description", item.summary)
    if item.content:
        _sub(entry, f"{{{CONTENT}}}encoded", item.content)
    if item.author:
        # RSS <author> must be an e-mail address; a name goes in dc:creator.
        _sub(entry, f"{{{DC}}}creator", item.author)
    for slug in item.categories:
        _sub(entry, "category", slug, domain=f"{doc.base}/c/")
    for label in item.labels:
        if clean(label).strip():
            _sub(entry, "category", label)
    _sub(entry, "guid", f"urn:uuid:{item.id}", isPermaLink="false")
    _sub(entry, "pubDate", rfc822(item.published))
    for enclosure in item.enclosures[:1]:  # RSS allows one enclosure per item
        url = safe_url(enclosure.url)
        if url:
            _sub(entry, "enclosure", url=url, length=str(max(enclosure.length, 0)),
                 type=mime_type(enclosure.type, "application/octet-stream"))
    image = safe_url(item.image)
    if image:
        _sub(entry, f"{{{MEDIA}}}thumbnail", url=image)
    source = _first_source(doc, item)
    if source is not None and source.is_feed:
        _sub(entry, "source", source.title, url=source.url)


def _first_source(doc: FeedDoc, item: Item) -> SourceRef | None:
    for source_id in item.sources:
        if source_id in doc.sources:
            return doc.sources[source_id]
    return None


# -- Atom 1.0 ------------------------------------------------------------------------------------

def render_atom(doc: FeedDoc) -> bytes:
    nsmap: dict[str | None, str] = {None: ATOM, "media": MEDIA}
    if doc.archive:
        nsmap["fh"] = HISTORY
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=nsmap)
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", clean(doc.site.language))
    a = f"{{{ATOM}}}"
    updated = atom_updated(doc.items)
    _sub(feed, a + "id", doc.feed_id)
    _sub(feed, a + "title", doc.title)
    if doc.site.description:
        _sub(feed, a + "subtitle", doc.site.description)
    _sub(feed, a + "updated", rfc3339(max(updated.values(), default=doc.updated)))
    author = _sub(feed, a + "author")
    _sub(author, a + "name", doc.author)
    _sub(feed, a + "link", rel="alternate", type="text/html", href=doc.page_url)
    for rel, href, mime in _paging_links(doc, "atom", ATOM_TYPE):
        attrs = {"rel": rel, "href": href}
        if mime:
            attrs["type"] = mime
        _sub(feed, a + "link", **attrs)
    if doc.archive:
        _sub(feed, f"{{{HISTORY}}}archive")
    _sub(feed, a + "generator", GENERATOR_NAME, uri=GENERATOR_URI, version=__version__)
    if doc.site.icon:
        _sub(feed, a + "icon", doc.site.icon)
    if doc.site.logo:
        _sub(feed, a + "logo", doc.site.logo)
    for item in doc.items:
        _atom_entry(feed, doc, item, updated[item.id])
    return _serialise(feed, doc)


def _atom_entry(feed: etree._Element, doc: FeedDoc, item: Item, updated: datetime) -> None:
    a = f"{{{ATOM}}}"
    entry = _sub(feed, a + "entry")
    _sub(entry, a + "id", f"urn:uuid:{item.id}")
    _sub(entry, a + "title", title_of(item), type="text")
    _sub(entry, a + "updated", rfc3339(updated))
    _sub(entry, a + "published", rfc3339(item.published))
    if item.author and clean(item.author).strip():
        author = _sub(entry, a + "author")
        _sub(author, a + "name", item.author)
    link = safe_url(item.link)
    if link:
        _sub(entry, a + "link", rel="alternate", type="text/html", href=link)
    for enclosure in item.enclosures:
        url = safe_url(enclosure.url)
        if url:
            attrs = {"rel": "enclosure", "href": url}
            if mime_type(enclosure.type):
                attrs["type"] = mime_type(enclosure.type)
            if enclosure.length > 0:
                attrs["length"] = str(enclosure.length)
            _sub(entry, a + "link", **attrs)
    for slug in item.categories:
        _sub(entry, a + "category", term=slug, scheme=f"{doc.base}/c/",
             label=doc.category_title(slug))
    for label in item.labels:
        if clean(label).strip():
            _sub(entry, a + "category", term=label)
    if item.summary:
        _sub(entry, a + "summary", item.summary, type="html")
    if item.content:
        _sub(entry, a + "content", item.content, type="html")
    elif not link:
        # Atom: an entry without an alternate link must have content.
        _sub(entry, a + "content", item.summary or title_of(item), type="html")
    image = safe_url(item.image)
    if image:
        _sub(entry, f"{{{MEDIA}}}thumbnail", url=image)
    source = _first_source(doc, item)
    if source is not None:
        # For a merged item this names the first of its sources (Atom allows one).
        src = _sub(entry, a + "source")
        _sub(src, a + "id", source.url)
        _sub(src, a + "title", source.title)
        # The source's own feed date is not kept; the entry's change is when we last saw it.
        _sub(src, a + "updated", rfc3339(updated))
        _sub(src, a + "link", rel="self" if source.is_feed else "alternate", href=source.url)
