"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 via feedparser. The only module that imports feedparser.

Before feedparser: the bytes are decoded by :mod:`.encoding` (so a wrong charset is repaired
once, the same way for feeds and pages), checked by :mod:`.xmlguard` (entity bombs, external
entities, deep nesting are refused before they cost memory; character references XML forbids
become U+FFFD) and cut by :mod:`.xmltrim` (the first document, the first ``max_items``
entries, capped children per entry). feedparser then gets UTF-8 bytes.
A body starting with ``{`` is a JSON Feed and goes to :mod:`.jsonfeed` instead. A body that
fails to parse and is a web page (:func:`looks_like_html`) gets an error saying what to do.

Traps, written down once:
- feedparser does I/O when handed a string or bytes that name a URL *or a file*: a body that
  reads ``/etc/feeds/secret.xml`` would get that local file parsed, and ``/dev/zero`` would fill
  the memory. It is only ever handed a stream (``io.BytesIO``) of the body, and the response
  headers; tests/adversarial/test_hostile_feeds.py checks every call.
- Its sanitiser and relative-URI resolver cost ~60% of parse time, and feedhub sanitises with nh3
  in normalise anyway: both are switched off here, so HTML is never cleaned twice.
- ``entry.updated`` silently falls back to ``published`` and vice versa: read the *_parsed
  fields and keep which one the feed really gave.
- ``bozo`` is set for recoverable problems too (e.g. a wrong declared charset); only a document
  with no feed and no entries is an error.
- feedparser's strict parser is a SAX handler that appends every text callback to a list and
  joins it when the element ends. Stock expat calls it once per line and once per entity
  reference, and an escaped HTML summary is mostly entity references: importing this module
  makes this module feedparser's SAX driver (``feedparser.api.PREFERRED_XML_PARSERS``, in this
  process), the stdlib expat reader with ``buffer_text`` on, which hands each text run over in
  one call. The joined text is the same; feedparser's part of a feed's parse takes ~17% less
  CPU (bench/ingest.py). It also pins expat: feedparser would otherwise try libxml2 first
  (and pay for a failed import of it on every parse).
"""

from __future__ import annotations

import calendar
import io
import json
import re
import xml.sax.expatreader
import xml.sax.xmlreader
from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import XMLParserType
from xml.sax import SAXParseException

import feedparser
import feedparser.api
from feedparser.datetimes import _parse_date

from ..errors import ExtractError
from ..model import Enclosure, FetchResult, RawEntry
from .base import MAX_AUTHORS, MAX_ENCLOSURES, MAX_LABELS, ExtractReport
from .encoding import as_utf8_xml, decode
from .fastfeed import CleanFeed, Unclean, read_clean_feed
from .jsonfeed import extract_json_feed, looks_like_json
from .xmlguard import XmlRefused, guard_xml
from .xmltrim import trim_xml


class _BufferedExpatReader(xml.sax.expatreader.ExpatParser):
    """The stdlib SAX expat reader, delivering each run of text in one characters() call."""

    _parser: XMLParserType
    """Set by ExpatParser.reset (the expat parser of the current document)."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True
        self._parser.buffer_size = 1 << 16


def create_parser() -> xml.sax.xmlreader.XMLReader:
    """The SAX driver entry point: ``xml.sax.make_parser`` imports a driver module by name and
    calls this."""
    return _BufferedExpatReader()


feedparser.api.PREFERRED_XML_PARSERS[:] = [__name__]


_get: Any = dict.get
"""``_get(d, key)`` is ``d.get(key)`` without FeedParserDict's aliases (its ``get`` runs a chain
of special cases first, and ``entry.updated`` falls back to ``published``): for the keys read
here, none of which is an alias, the same value in a fraction of the time."""


def _datetime(struct: Any) -> datetime | None:
    if not struct:
        return None
    return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)


def _content(entry: Any) -> str:
    for block in _get(entry, "content") or ():
        if block.get("value"):
            return str(block["value"])
    return ""


def _image(entry: Any) -> str:
    for key in ("media_thumbnail", "media_content"):
        for media in _get(entry, key) or ():
            url = media.get("url")
            medium = media.get("medium", "image")
            if url and (key == "media_thumbnail" or medium == "image"
                        or str(media.get("type", "")).startswith("image/")):
                return str(url)
    for link in _get(entry, "links") or ():
        if _get(link, "rel") == "enclosure" and str(_get(link, "type", "")).startswith("image/"):
            return str(_get(link, "href", ""))
    image = _get(entry, "image")
    if isinstance(image, dict) and image.get("href"):
        return str(image["href"])
    return ""


def _enclosures(entry: Any) -> tuple[Enclosure, ...]:
    out: dict[str, Enclosure] = {}
    for link in _get(entry, "links") or ():
        if _get(link, "rel") == "enclosure" and _get(link, "href"):
            url = str(link["href"])
            out.setdefault(url, Enclosure(url=url, type=str(_get(link, "type", "")),
                                          length=_length(_get(link, "length"))))
    # Audio and video given only as media:content are enclosures too (images are the image).
    for media in _get(entry, "media_content") or ():
        url, kind = str(media.get("url") or ""), str(media.get("type") or "")
        medium = str(media.get("medium") or kind.partition("/")[0])
        if url and medium in ("audio", "video"):
            out.setdefault(url, Enclosure(url=url, type=kind,
                                          length=_length(media.get("filesize"))))
    return tuple(out.values())[:MAX_ENCLOSURES]


def _length(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _author(entry: Any) -> str:
    """dc:creator, author or the Atom authors' names (feedparser maps dc:creator to author)."""
    names = [str(_get(a, "name") or _get(a, "email") or "") for a in _get(entry, "authors") or ()]
    names = [n for n in dict.fromkeys(names) if n][:MAX_AUTHORS]
    if len(names) > 1:
        return ", ".join(names)
    return str(_get(entry, "author") or (names[0] if names else ""))


def _comments(entry: Any) -> str:
    if _get(entry, "comments"):
        return str(entry["comments"])
    for link in _get(entry, "links") or ():
        if _get(link, "rel") == "replies" and _get(link, "href"):
            return str(link["href"])
    return ""


def prepare_xml(source_id: str, result: FetchResult, max_items: int | None = None,
                report: ExtractReport | None = None) -> bytes:
    """Decode, check for hostile XML, cut it to the first ``max_items`` entries (``report``
    is told what was cut): the UTF-8 bytes either reader gets."""
    decoded = decode(result.body, result.headers)
    try:
        text = guard_xml(decoded.text)
    except XmlRefused as exc:
        raise ExtractError(source_id, f"refused to parse this XML: {exc}. Ask the "
                                      "publisher to fix the feed, or remove the source") from exc
    trimmed = trim_xml(text, max_items)
    if report is not None:
        report.over_cap += trimmed.over_cap
        report.warnings.extend(trimmed.warnings)
    return as_utf8_xml(trimmed.text)


def _feedparser(data: bytes, result: FetchResult) -> Any:
    # No content-location: with a base URI feedparser runs urljoin on every element (+30% of
    # its parse time, bench/ingest.py). Relative links stay relative here (xml:base still
    # applies) and normalise resolves them against the fetched URL, as for listing pages.
    headers = {"content-type": "application/xml; charset=utf-8"}
    if "content-language" in result.headers:
        headers["content-language"] = result.headers["content-language"]
    return feedparser.parse(
        io.BytesIO(data),  # never bytes: see the module docstring
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def parse_feed_bytes(source_id: str, result: FetchResult, max_items: int | None = None,
                     report: ExtractReport | None = None) -> Any:
    """feedparser's result for the body, prepared by :func:`prepare_xml`."""
    return _feedparser(prepare_xml(source_id, result, max_items, report), result)


def feed_title(result: FetchResult) -> str:
    """The document's own title (RSS channel, Atom feed or JSON Feed), as one line; "" when it
    has none or cannot be read."""
    try:
        if looks_like_json(result.body):
            document = json.loads(decode(result.body, result.headers).text)
            title = document.get("title") if isinstance(document, dict) else ""
        else:
            title = _get(parse_feed_bytes("title", result, 0).feed, "title")
    except (ExtractError, ValueError, RecursionError):
        return ""
    return " ".join(str(title or "").split())


_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
    re.IGNORECASE | re.DOTALL)


def looks_like_html(result: FetchResult) -> bool:
    """Whether a body that is no feed is a web page: served as text/html, or starting (after
    an XML declaration and comments) with ``<!doctype html`` or ``<html``. Asked only once
    parsing failed: servers send real feeds as text/html too."""
    kind = result.headers.get("content-type", "").partition(";")[0].strip().lower()
    return kind == "text/html" or _HTML_START.match(result.body[:4096]) is not None


def html_page_hint(result: FetchResult) -> str:
    """What to do about a ``kind: feed`` source that is a web page."""
    url = result.url if result.url.startswith(("http://", "https://")) else "URL"
    return ("this looks like an HTML page, not an RSS, Atom or JSON feed: use `kind: html` "
            "(with selectors, or none for automatic detection), or run "
            f"`feedhub add {url}` to find the page's feeds")


def _title_is_markup(detail: Any, atom: bool) -> bool | None:
    """Atom says what its titles are; RSS cannot (feedparser guesses, often wrongly)."""
    if not atom or not isinstance(detail, dict):
        return None
    return str(detail.get("type", "")) in ("text/html", "application/xhtml+xml")


def extract_feed(source_id: str, result: FetchResult, max_items: int | None = None,
                 report: ExtractReport | None = None, *, fast: bool = True) -> list[RawEntry]:
    """Entries of an RSS, Atom or JSON Feed document (JSON Feed is recognised by its ``{``):
    the first ``max_items`` (all when None); ``report`` is told what was left out. A clean RSS
    2.0 or Atom 1.0 document is read by :mod:`.fastfeed` (``fast=False``: never), any other by
    feedparser; both give the same entries."""
    if not result.body.strip():
        raise ExtractError(source_id, "the response body is empty")
    if looks_like_json(result.body):
        return extract_json_feed(source_id, result, max_items, report)
    try:
        data = prepare_xml(source_id, result, max_items, report)
    except ExtractError:
        if looks_like_html(result):
            raise ExtractError(source_id, html_page_hint(result)) from None
        raise
    clean = read_fast(data) if fast else None
    if clean is not None:
        return raw_entries(clean.version, clean.feed, clean.entries)
    parsed = _feedparser(data, result)
    if not parsed.get("version") and not parsed.entries:
        if looks_like_html(result):
            raise ExtractError(source_id, html_page_hint(result))
        reason = _why_not_xml(parsed.get("bozo_exception")) or "no RSS or Atom root element"
        raise ExtractError(source_id, f"not an RSS, Atom or JSON feed ({reason})")
    return raw_entries(str(parsed.get("version", "")), parsed.feed, parsed.entries)


def _why_not_xml(error: object) -> str:
    """feedparser's reason a document is not a feed, for people: an XML syntax error as "not
    well-formed XML at line L, column C: ..." (expat's own text names the input "<unknown>")."""
    if isinstance(error, SAXParseException):
        return (f"not well-formed XML at line {error.getLineNumber()}, column "
                f"{error.getColumnNumber()}: {error.getMessage()}")
    return str(error) if error else ""


def read_fast(data: bytes) -> CleanFeed | None:
    """The document as :mod:`.fastfeed` reads it, with feedparser's own date parser; None when
    it is not clean (feedparser must read it)."""
    try:
        return read_clean_feed(data, _parse_date)
    except Unclean:
        return None


def raw_entries(version: str, feed: Any, entries: Any) -> list[RawEntry]:
    """feedparser's entries (or :mod:`.fastfeed`'s, the same dicts) as raw entries."""
    # Atom: an entry without an author has the feed's (RFC 4287 4.2.1); RSS has no such rule.
    atom = version.startswith("atom")
    feed_author = _author(feed) if atom else ""
    out = []
    for entry in entries:
        summary = str(_get(entry, "summary") or "")
        content = _content(entry)
        if content == summary:
            content = ""
        # _get skips FeedParserDict's updated<->published fallback (and its warning).
        date_text = str(_get(entry, "published") or _get(entry, "updated") or "")
        published = _datetime(_get(entry, "published_parsed"))
        updated = _datetime(_get(entry, "updated_parsed"))
        out.append(RawEntry(
            title=str(_get(entry, "title") or ""),
            title_html=_title_is_markup(_get(entry, "title_detail"), atom),
            link=str(_get(entry, "link") or ""),
            guid=str(_get(entry, "id") or ""),
            summary=summary,
            content=content,
            published=published or updated,
            updated=updated,
            date_text=date_text,
            labels=tuple(dict.fromkeys(
                str(_get(t, "term") or _get(t, "label") or "")
                for t in _get(entry, "tags") or () if _get(t, "term") or _get(t, "label")))
            [:MAX_LABELS],
            image=_image(entry),
            author=_author(entry) or feed_author,
            enclosures=_enclosures(entry),
            comments=_comments(entry),
        ))
    return out
