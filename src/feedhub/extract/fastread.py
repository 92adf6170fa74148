"""The fields feedhub keeps, read from a clean RSS (0.91 to 2.0, or of no version) or Atom 1.0 tree.

:mod:`.fastfeed` parses and guards the document; this module walks the tree it hands over:
each child of an item (or entry, or of the channel or feed) is looked up by its tag in a table
of readers, one small function per element, which files what the element says into the
entry's fields. The fields are kept under the names ``feed.py``'s converter reads from
feedparser's result (``title``, ``link``, ``id``, ``summary``, ``content``, ``published`` and
``published_parsed``, ``tags``, ``links``, ``media_thumbnail``, ``authors`` ...), so one converter
serves both readers; only those fields exist.

The readers are written for documents whose meaning is plain: one value per single-valued
element, text (no markup) inside text elements, text or HTML types. Whatever would need
guesswork (an element the tables do not know, a second title or description, an Atom entry
whose link would have to come from its id, an element read from text where an attribute is
expected) raises :class:`Unclean`, and feedparser, the reference, reads the document instead.

Must not: import feedparser (its date parser is handed in), or read anything but the tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import fastext
from .fastbase import (
    ATOM,
    CONTENT,
    DC,
    ITUNES,
    Fields,
    Reader,
    Reading,
    Unclean,
    address,
    attributes,
    category,
    date,
    ignored,
    summary,
    text_of,
    text_type,
    title,
)


def _rss_text(reader: Reader, default: str) -> Reader:
    """``reader`` for an RSS text element, refused when it declares a type feedparser would
    decode as base64 (or XHTML)."""
    def read(reading: Reading, node: Any) -> None:
        text_type(node, default)
        reader(reading, node)
    return read


# -- RSS 2.0 -------------------------------------------------------------------------------------

def _rss_link(reading: Reading, node: Any) -> None:
    reading.once("link")
    reading.fields["link"] = address(text_of(node), rss_link=True)


def _guid(reading: Reading, node: Any) -> None:
    reading.once("guid")
    reading.fields["id"] = address(text_of(node))
    # RSS 2.0: a guid is the item's permalink unless isPermaLink says otherwise; feedparser
    # takes only the exact value "true" (or none) as yes.
    permalink = attributes(node).get("ispermalink", "true")
    if permalink != "true" and permalink.lower() == "true":
        raise Unclean("isPermaLink written in another case")
    reading.fields["guid_permalink"] = permalink == "true"


def _content_encoded(reading: Reading, node: Any) -> None:
    reading.once("content")
    reading.fields["content"] = [{"value": text_of(node), "type": "text/html"}]


def _rss_author(reading: Reading, node: Any) -> None:
    reading.once("author")  # author, dc:creator or itunes:author: a second one is refused
    name = text_of(node)
    reading.fields["author"] = name
    reading.fields["authors"] = [{"name": name} if name else {}]


def _enclosure(reading: Reading, node: Any) -> None:
    attrs = attributes(node)
    if "url" not in attrs or len(node):
        raise Unclean("an enclosure without a url, or with children")
    link = {"rel": "enclosure", "href": attrs["url"]}
    link.update((key, attrs[key]) for key in ("type", "length") if key in attrs)
    reading.append("links", link)


def _comments(reading: Reading, node: Any) -> None:
    reading.once("comments")
    reading.fields["comments"] = address(text_of(node))


def _itunes_image(reading: Reading, node: Any) -> None:
    reading.once("itunes:image")
    href = attributes(node).get("href")
    if href is None:
        raise Unclean("an itunes:image without an href attribute")
    reading.fields["image"] = {"href": href}


RSS_ITEM: dict[str, Reader] = {
    "title": _rss_text(title, "text/plain"),
    "link": _rss_link,
    "guid": _guid,
    "description": _rss_text(summary, "text/html"),
    f"{{{ITUNES}}}summary": _rss_text(summary, "text/plain"),
    f"{{{CONTENT}}}encoded": _rss_text(_content_encoded, "text/html"),
    "pubDate": date("published"),
    f"{{{DC}}}date": date("updated"),
    "author": _rss_author,
    f"{{{DC}}}creator": _rss_author,
    f"{{{ITUNES}}}author": _rss_author,
    "category": category,
    "enclosure": _enclosure,
    "comments": _comments,
    f"{{{ITUNES}}}image": _itunes_image,
    **fastext.ITEM,
}
"""An RSS item's children, by tag, with the extension elements :mod:`.fastext` reads. RSS
elements not here (``source``, a second spelling of a known one ...) are refused: feedparser
has readings for many of them."""

RSS_CHANNEL: dict[str, Reader] = {**fastext.CHANNEL, **{name: ignored for name in (
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "skipHours", "skipDays", f"{{{ATOM}}}link", f"{{{ITUNES}}}author",
    f"{{{ITUNES}}}owner", f"{{{ITUNES}}}image", f"{{{ITUNES}}}category", f"{{{ITUNES}}}explicit",
    f"{{{ITUNES}}}type", f"{{{ITUNES}}}block", f"{{{ITUNES}}}complete",
    f"{{{ITUNES}}}new-feed-url")}}
"""The channel's own elements: none gives a field feedhub keeps (an RSS entry has no feed
author), so they are only checked for. A channel summary (``itunes:summary``, ``subtitle``)
is refused: feedparser carries what it makes of a second one into the first item."""


# -- Atom 1.0 ------------------------------------------------------------------------------------

def _atom_title(reading: Reading, node: Any) -> None:
    kind = text_type(node)
    title(reading, node)
    reading.fields["title_detail"] = {"type": kind}


def _atom_summary(reading: Reading, node: Any) -> None:
    text_type(node)
    summary(reading, node)


def _atom_content(reading: Reading, node: Any) -> None:
    kind = text_type(node)
    reading.once("content")
    reading.fields["content"] = [{"value": text_of(node), "type": kind}]


def _atom_id(reading: Reading, node: Any) -> None:
    reading.once("id")
    reading.fields["id"] = address(text_of(node))


def _atom_link(reading: Reading, node: Any) -> None:
    attrs = attributes(node)
    if "href" not in attrs or len(node):
        raise Unclean("an Atom link without an href, or with children")
    rel = attrs.get("rel", "alternate").lower()
    kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
    link = {"rel": rel, "type": kind, "href": address(attrs["href"])}
    if "length" in attrs:
        link["length"] = attrs["length"]
    reading.append("links", link)
    if rel == "alternate" and kind in ("text/html", "application/xhtml+xml"):
        reading.once("alternate link")
        reading.fields["link"] = attrs["href"]


def _person(reading: Reading, node: Any) -> None:
    if (node.text or "").strip():
        raise Unclean("text beside the parts of an Atom person")
    person: dict[str, str] = {}
    for part in node:
        key = {f"{{{ATOM}}}name": "name", f"{{{ATOM}}}email": "email",
               f"{{{ATOM}}}uri": "href"}.get(str(part.tag))
        if key is None or key in person or (part.tail or "").strip():
            raise Unclean("an Atom person with parts other than one name, email and uri")
        person[key] = text_of(part)
    others = reading.fields.get("authors", [])
    if others and not (person.get("name") and "email" not in person and "email" not in others[0]):
        # feedparser fills a later author's missing name or email from the one before
        raise Unclean("several Atom authors, one without a name or with an email")
    if "@" in person.get("name", ""):
        raise Unclean("an Atom author's name holding an address (feedparser takes it apart)")
    if "email" in person and not _PLAIN_EMAIL.fullmatch(person["email"]):
        raise Unclean("an Atom author's email that is not a plain address")
    reading.append("authors", person)
    name, email = person.get("name", ""), person.get("email", "")
    # The last author's name, with its email in brackets, as feedparser's "author" has it.
    reading.fields["author"] = f"{name} ({email})" if name and email else name or email


_PLAIN_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")


def _atom_category(reading: Reading, node: Any) -> None:
    attrs = attributes(node)
    if "term" not in attrs or len(node) or (node.text or "").strip():
        raise Unclean("an Atom category without a term, or with content")
    reading.append("tags", {"term": attrs["term"], "scheme": attrs.get("scheme"),
                            "label": attrs.get("label")})


ATOM_ENTRY: dict[str, Reader] = {
    f"{{{ATOM}}}title": _atom_title,
    f"{{{ATOM}}}id": _atom_id,
    f"{{{ATOM}}}link": _atom_link,
    f"{{{ATOM}}}published": date("published"),
    f"{{{ATOM}}}updated": date("updated"),
    f"{{{ATOM}}}summary": _atom_summary,
    f"{{{ATOM}}}content": _atom_content,
    f"{{{ATOM}}}author": _person,
    f"{{{ATOM}}}contributor": ignored,
    f"{{{ATOM}}}category": _atom_category,
    f"{{{ATOM}}}rights": ignored,
    **fastext.ITEM,
}
"""An Atom entry's children, by tag (``source`` and unknown Atom elements are refused)."""

ATOM_FEED: dict[str, Reader] = {
    f"{{{ATOM}}}author": _person,
    **{f"{{{ATOM}}}{name}": ignored for name in (
        "title", "subtitle", "id", "updated", "published", "link", "contributor", "category",
        "generator", "icon", "logo", "rights")},
}
"""The feed's own elements: only its authors are kept (an entry without one has the feed's)."""


def read(node: Any, table: dict[str, Reader], reading: Reading,
         ignored_namespace: Callable[[str], bool]) -> Fields:
    """Each child element of ``node`` through :func:`read_child`; the fields read."""
    for child in node:
        if isinstance(child.tag, str):  # else a comment or processing instruction
            read_child(child, table, reading, ignored_namespace)
    return reading.fields


def read_child(child: Any, table: dict[str, Reader], reading: Reading,
               ignored_namespace: Callable[[str], bool]) -> None:
    """The element through its reader in ``table``; skipped with all it holds when it is in a
    namespace the document adds for itself or one it may ignore (``ignored_namespace``) and so
    is everything inside it (feedparser would read a ``<title>`` in it as the entry's);
    refused otherwise."""
    reader = table.get(child.tag)
    if reader is not None:
        reader(reading, child)
        return
    for node in child.iter():
        tag = node.tag
        if isinstance(tag, str) and not (
                tag[0] == "{" and ignored_namespace(tag[1:].partition("}")[0])):
            where = "" if node is child else f" inside <{child.tag}>"
            raise Unclean(f"<{tag}>{where} where the fast reader does not read it")


def finish_rss_item(fields: Fields) -> Fields:
    """The item's link: its <link>, or else its guid when that is a permalink. Its summary:
    the description, or else the content."""
    permalink = fields.pop("guid_permalink", False)
    if "link" not in fields and permalink:
        fields["link"] = fields["id"]
    return _summary_from_content(fastext.finish(fields))


def finish_atom_entry(fields: Fields) -> Fields:
    if "id" in fields and "link" not in fields:
        raise Unclean("an Atom entry with an id and no alternate link (its id would be its link)")
    return _summary_from_content(fastext.finish(fields))


def _summary_from_content(fields: Fields) -> Fields:
    if "summary" not in fields and "content" in fields:
        fields["summary"] = fields["content"][0]["value"]
    return fields
