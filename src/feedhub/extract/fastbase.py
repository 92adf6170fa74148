"""What every reader of the fast path shares: the entry being read, and the checks on one element.

:mod:`.fastread` (RSS and Atom) and :mod:`.fastext` (the extension namespaces) file what an
element says into a :class:`Reading`, under the names of the fields ``feed.py`` reads from
feedparser's result. Each helper here reads one element the plain way or raises
:class:`Unclean` when feedparser would read it some way of its own (markup inside text, text it
repairs, an attribute that changes its reading); the document then goes to feedparser.

Must not: import feedparser, hold a table of elements (that is :mod:`.fastread`'s and
:mod:`.fastext`'s), or read anything but the element it is handed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"

Fields = dict[str, Any]
DateParser = Callable[[str], Any]
"""Date text -> a UTC ``time.struct_time``, or None when it cannot be read."""


class Unclean(Exception):
    """The document needs feedparser: says which construct the fast reader does not read."""


@dataclass
class Reading:
    """One item, entry or feed being read: its fields, and which single-valued elements it has
    had (a second one is refused)."""

    parse_date: DateParser
    fields: Fields = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def once(self, what: str) -> None:
        if what in self.seen:
            raise Unclean(f"a second {what} in one item")
        self.seen.add(what)

    def append(self, key: str, value: Fields) -> None:
        self.fields.setdefault(key, []).append(value)


Reader = Callable[[Reading, Any], None]


def local_name(node: Any) -> str:
    return str(node.tag).rpartition("}")[2]


def text_of(node: Any) -> str:
    """The element's text, stripped; refused when it holds elements, comments or processing
    instructions (markup that would need feedparser's reading)."""
    if len(node):
        raise Unclean(f"markup inside <{local_name(node)}>, a text element")
    value = str(node.text or "").strip()
    if not value.isascii():
        try:
            repaired = value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value
        if repaired != value:  # "Ã©" for "é": feedparser reads it as UTF-8 read as Latin-1
            raise Unclean(f"text that reads as UTF-8 read as Latin-1 in <{local_name(node)}>")
    return value


def address(value: str, rss_link: bool = False) -> str:
    """A link or id as it stands; refused when feedparser would repair it (it drops the
    slashes after ``scheme://`` and, in an RSS link, decodes HTML references)."""
    if ":///" in value or (rss_link and value != unescape(value)):
        raise Unclean(f"an address feedparser would repair: {value[:80]!r}")
    return value


def attributes(node: Any) -> dict[str, str]:
    """The attributes by lowercase name (feed attribute names are read case-blind)."""
    out: dict[str, str] = {}
    for name, value in node.items():
        key = str(name).lower()
        if key in out:
            raise Unclean(f"the attribute {key!r} given twice in different case")
        out[key] = str(value)
    return out


_TEXT_TYPES = {None: "text/plain", "text": "text/plain", "plain": "text/plain",
               "html": "text/html", "text/plain": "text/plain", "text/html": "text/html"}


def text_type(node: Any, default: str = "text/plain") -> str:
    """The media type a text element declares (``type``, in any case, feedparser's short
    names read as it reads them; ``default`` when it declares none); refused for any other
    type (XHTML, which needs its markup read, or one feedparser decodes as base64) and for
    ``mode`` or ``src``."""
    attrs = attributes(node)
    kind = _TEXT_TYPES.get(attrs["type"].lower()) if "type" in attrs else default
    if kind is None or "mode" in attrs or "src" in attrs:
        raise Unclean(f"<{local_name(node)}> of type {attrs.get('type')!r} (XHTML, base64, src)")
    return kind


# -- readers shared by the formats and the extensions ------------------------------------------

def title(reading: Reading, node: Any) -> None:
    reading.once("title")
    reading.fields["title"] = text_of(node)


def summary(reading: Reading, node: Any) -> None:
    """A description, an itunes:summary, an Atom summary or a media:description: one of them
    (feedparser reads a second one as content, by rules of its own)."""
    reading.once("summary")
    reading.fields["summary"] = text_of(node)


def date(key: str) -> Reader:
    def read(reading: Reading, node: Any) -> None:
        reading.once(key)
        value = text_of(node)
        reading.fields[key] = value
        reading.fields[f"{key}_parsed"] = reading.parse_date(value) if value else None
    return read


def category(reading: Reading, node: Any) -> None:
    """A category given as text (RSS ``category``, ``dc:subject``, ``media:category``): its
    text is the term. An empty one without attributes says nothing; with attributes
    feedparser keeps half a tag that the next category's text may complete, and a ``term``
    attribute would be a second tag: both refused."""
    attrs = attributes(node)
    term = text_of(node)
    if "term" in attrs or (not term and attrs):
        raise Unclean(f"a <{local_name(node)}> with a term attribute, or empty with attributes")
    if term:
        reading.append("tags", {"term": term, "scheme": attrs.get("domain", attrs.get("scheme")),
                                "label": None})


def ignored(reading: Reading, node: Any) -> None:
    """Says nothing feedhub keeps (and feedparser makes nothing of it that feedhub keeps)."""


def leaf(reading: Reading, node: Any) -> None:
    """Says nothing feedhub keeps, and holds no element feedparser could read for itself (a
    ``<title>`` inside would be read as the entry's title): only text and attributes."""
    if any(isinstance(child.tag, str) for child in node):
        raise Unclean(f"elements inside <{local_name(node)}>, which the fast reader skips")
