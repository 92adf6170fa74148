"""The extension elements real feeds add to RSS items and Atom entries, read as feedparser does.

:mod:`.fastread`'s item and entry tables take these readers in (:data:`ITEM`), and its
channel table :data:`CHANNEL`. Each one files what feedparser would file into the same field,
or refuses (:class:`~.fastbase.Unclean`) where feedparser's reading is its own:

- Dublin Core ``dc:subject`` and Media RSS ``media:category``: a category, as RSS's own;
- ``itunes:keywords`` and ``media:keywords``: a comma-separated list, each non-empty part
  (stripped) a tag; with attributes feedparser drops the list, so that is refused;
- ``media:content`` (its url, medium, type and file size) and ``media:thumbnail`` (its url);
- ``media:description``: the entry's summary, as a description is (one summary per entry);
- ``media:title``: feedparser takes it for the entry's title only when the entry has none of
  its own, by rules that depend on the order and depth of the two: admitted only beside a
  title of the entry's own that is not empty, which is then the title;
- ``media:group`` (YouTube's and most video feeds' wrapper): feedparser reads its children as
  if they stood in the entry itself, and so does this module, for the Media RSS elements above,
  ``media:community`` (ratings and view counts) and those that say nothing feedhub keeps;
- the iTunes elements of an episode that say nothing feedhub keeps (length, season,
  subtitle ...): only text, no elements inside.

Must not: import feedparser, or read anything but the element it is handed and its children.
"""

from __future__ import annotations

from typing import Any

from .fastbase import (
    DC,
    ITUNES,
    MEDIA,
    Fields,
    Reader,
    Reading,
    Unclean,
    attributes,
    category,
    leaf,
    local_name,
    summary,
    text_of,
    text_type,
)


def _keywords(scheme: str | None) -> Reader:
    def read(reading: Reading, node: Any) -> None:
        if len(node.attrib):
            raise Unclean(f"<{local_name(node)}> with attributes (feedparser drops its keywords)")
        for part in text_of(node).split(","):
            term = part.strip()
            if term:
                reading.append("tags", {"term": term, "scheme": scheme, "label": None})
    return read


def _thumbnail(reading: Reading, node: Any) -> None:
    url = attributes(node).get("url")
    if url is None:
        raise Unclean("a media:thumbnail without a url attribute")
    leaf(reading, node)
    reading.append("media_thumbnail", {"url": url})


def _media_content(reading: Reading, node: Any) -> None:
    attrs = attributes(node)
    if "url" not in attrs or len(node):
        raise Unclean("a media:content without a url, or with children")
    kept = ("url", "medium", "type", "filesize")
    reading.append("media_content", {key: attrs[key] for key in kept if key in attrs})


def _media_description(reading: Reading, node: Any) -> None:
    text_type(node, "text/html")
    summary(reading, node)


_MEDIA_TITLE = "media_title"
"""Field marking an entry that had a media:title (taken out again by :func:`finish`)."""


def _media_title(reading: Reading, node: Any) -> None:
    text_type(node)
    text_of(node)
    reading.fields[_MEDIA_TITLE] = True


def finish(fields: Fields) -> Fields:
    """The entry's fields once all its elements are read: refused when it had a media:title
    and no title of its own that is not empty (feedparser may then take the media:title)."""
    if fields.pop(_MEDIA_TITLE, False) and not fields.get("title"):
        raise Unclean("a media:title in an entry without a title of its own")
    return fields


def _community(reading: Reading, node: Any) -> None:
    """YouTube's ``media:community``: a star rating, view counts, tags (attributes only)."""
    for child in node:
        if isinstance(child.tag, str):
            if child.tag not in _COMMUNITY:
                raise Unclean(f"<{child.tag}> inside a media:community")
            leaf(reading, child)


_COMMUNITY = frozenset(f"{{{MEDIA}}}{name}" for name in ("starRating", "statistics", "tags"))

_MEDIA_LEAVES = ("rating", "credit", "copyright", "restriction", "license", "player", "hash",
                 "text", "status", "price", "subTitle", "peerLink")
"""Media RSS elements feedparser files under names of their own (``media_rating``, ``credit``
...), none of which feedhub keeps."""

MEDIA_ELEMENTS: dict[str, Reader] = {
    f"{{{MEDIA}}}content": _media_content,
    f"{{{MEDIA}}}thumbnail": _thumbnail,
    f"{{{MEDIA}}}description": _media_description,
    f"{{{MEDIA}}}title": _media_title,
    f"{{{MEDIA}}}category": category,
    f"{{{MEDIA}}}keywords": _keywords(None),
    f"{{{MEDIA}}}community": _community,
    **{f"{{{MEDIA}}}{name}": leaf for name in _MEDIA_LEAVES},
}
"""The Media RSS elements read in an item or entry, and inside its media:group."""


def _group(reading: Reading, node: Any) -> None:
    """``media:group``: its children as if they stood in the entry (a group in a group, or
    anything but the Media RSS elements above, is refused)."""
    for child in node:
        if isinstance(child.tag, str):
            reader = MEDIA_ELEMENTS.get(child.tag)
            if reader is None:
                raise Unclean(f"<{child.tag}> inside a media:group")
            reader(reading, child)


ITEM: dict[str, Reader] = {
    **MEDIA_ELEMENTS,
    f"{{{MEDIA}}}group": _group,
    f"{{{DC}}}subject": category,
    f"{{{ITUNES}}}keywords": _keywords("http://www.itunes.com/"),
    **{f"{{{ITUNES}}}{name}": leaf for name in (
        "duration", "explicit", "episode", "season", "episodeType", "subtitle", "title",
        "block", "order", "isClosedCaptioned")},
}
"""The extension elements of an RSS item or an Atom entry, by tag."""

CHANNEL: dict[str, Reader] = {
    **{f"{{{ITUNES}}}{name}": leaf for name in ("keywords", "subtitle")},
    **{f"{{{MEDIA}}}{name}": leaf for name in (
        "thumbnail", "keywords", "category", "rating", "credit", "copyright")},
}
"""The extension elements of an RSS channel that say nothing feedhub keeps (a channel's tags
and images are the feed's, not its items')."""
