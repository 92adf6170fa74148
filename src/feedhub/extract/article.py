"""An article page -> its story as HTML, for ``full_text`` sources; the only readability importer.

Contract: :func:`main_content` returns the HTML of the story on a fetched article page, as the
page wrote it (untrusted: normalise sanitises it and makes its links absolute against the
article's URL), or raises :class:`~feedhub.errors.ExtractError` saying why there is none. With a
``content_selector`` the first element it matches is the story; without one, readability-lxml
finds it (the block of paragraphs that scores highest, navigation, banners, asides and footers
left out). Pure: no I/O.

Why readability-lxml (docs/sources.md has the measurements): on the test pages it kept every
story paragraph and dropped every piece of boilerplate, as trafilatura did, while keeping the
story's own markup (figures and captions, links, ``<time>``), at about the same cost per page,
with a tenth of trafilatura's import time and four small dependencies instead of a date-parsing
stack of its own.

Traps: readability's ``Document`` given bytes guesses their charset with chardet; it is given
text decoded as every page is (:func:`~feedhub.extract.page.decode_html`). Its ``summary()``
raises ``Unparseable`` (a ValueError) on a page it cannot read, and on a page with no story it
returns whatever block scored best (a page of links): the caller compares the text with what
the item already has. lxml, under it, builds a tree of any depth: pages nested deeper than
:data:`~feedhub.extract.page.MAX_HTML_DEPTH` are refused first, as listing pages are.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from ..errors import ExtractError
from ..model import FetchResult
from .page import MAX_HTML_DEPTH, decode_html, too_deep

__all__ = ["main_content"]


HTML_TYPES = ("text/html", "application/xhtml+xml")
"""The media types of an article page; an item may link a PDF, a picture or a video instead."""
_BINARY_STARTS = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF",
                  b"\x1f\x8b", b"ID3", b"OggS", b"fLaC")


def not_a_page(fetched: FetchResult) -> str:
    """Why ``fetched`` is no HTML page (its media type, or bytes no page starts with), or ""."""
    media = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in HTML_TYPES:
        return media
    head = fetched.body[:1024].lstrip()
    if head.startswith(_BINARY_STARTS) or b"\x00" in head:
        return "binary data"
    return ""


def main_content(source_id: str, fetched: FetchResult, selector: str = "") -> str:
    """The story's HTML on the article page ``fetched`` (see the module docstring)."""
    kind = not_a_page(fetched)
    if kind:
        raise ExtractError(source_id, f"{fetched.url} is not an HTML page ({kind}): its item "
                                      "links a file, not an article")
    text = decode_html(fetched.body, fetched.headers)
    if not text.strip():
        raise ExtractError(source_id, f"{fetched.url} is empty")
    if too_deep(text):
        raise ExtractError(source_id, f"{fetched.url} nests elements more than "
                                      f"{MAX_HTML_DEPTH} deep; refused")
    if selector:
        try:
            node = LexborHTMLParser(text).css_first(selector)
        except SelectolaxError as exc:  # an invalid selector
            raise ExtractError(source_id, f"content_selector {selector!r} is not a valid CSS "
                                          f"selector: {exc}") from exc
        if node is None:
            raise ExtractError(source_id, f"content_selector {selector!r} matches nothing on "
                                          f"{fetched.url}")
        return node.html or ""
    # Here, not at the top: readability (and lxml.html under it, ~50 ms) is for full_text
    # sources' article pages alone, and every build imports this module.
    from readability import Document

    try:
        found: str = Document(text, url=fetched.url).summary(html_partial=True)
    except (ValueError, TypeError) as exc:  # readability.Unparseable is a ValueError
        raise ExtractError(source_id, f"no story found on {fetched.url}: {exc}") from exc
    return found
