"""What a title is: one line of plain text, read as its format says, written so every reader
gets the same text back. Pure; stdlib only. Normalise reads titles with :func:`title_text`
(and preview shows what it reads); publishers write them with :func:`rss_title` (RSS) or as
they are (Atom type="text", JSON Feed, pages: each escapes once, its own way).

Reading, by what the source says its title is:

- **Plain text** (Atom ``type="text"``): the characters the XML parser gives, nothing else.
  ``Vector<T>``, ``a < b`` and ``&lt;`` are what the publisher wrote.
- **HTML** (Atom ``type="html"`` and ``type="xhtml"``, a listing rule ending in ``@html``): the
  text a browser shows of it (:func:`html_text`): tags dropped (script and style with their
  text), character references decoded once.
- **Nobody says** (RSS, JSON Feed, a listing page's text, structured data): RSS has no type,
  and these titles carry HTML in the wild, but far more often plain text that mentions code:
  generics (``Vector<T>``, ``Optional<S>``), comparisons (``a < b and c > d``), element names
  (``the <details> element``). So only *real markup* is removed (:func:`_real_tags`): a tag
  of a known HTML element (:data:`MARKUP_ELEMENTS`) that is closed by its end tag later, or
  that carries attributes; a void element (``br``, ``wbr``, ``img``) written with attributes
  or self-closed (``<br/>``), or bare when the title holds other real markup. A lone ``<s>``,
  ``<details>`` or ``<T>`` is a character a person typed. Tags are removed *before* character
  references are decoded, so markup escaped for the HTML layer (``&amp;lt;b&amp;gt;`` in RSS)
  stays text: nothing that was escaped in the source is ever taken for a tag.

Character references are decoded **once** beyond the format's own layer (XML, JSON or the
listing's HTML parser), and only in the HTML and nobody-says cases. Never "until none is left":
a title that still says ``&lt;`` after that is about ``&lt;``. Hence double escaping: RSS
``<title>a &amp;lt; b</title>`` is "a < b" (the usual double escape, which RSS readers undo);
``&amp;amp;lt;`` is "&lt;"; Atom type="text" ``&amp;lt;`` is "&lt;" (the format says text).
Only references ending in ``;`` count, as in feedparser's reading of RSS: "Ben&notes" stays.

Writing: JSON Feed (plain text by its spec) and pages carry the title as it is, escaped once
by their serialiser. A title that looks like HTML (:func:`looks_like_html`: an end tag or a
character reference, what feedparser, the readers built on it and the W3C Feed Validator go by)
is where readers and validators stop trusting plain text:

- RSS has no type, and readers take such a title for HTML: :func:`rss_title` escapes it for
  the HTML layer too, so reading it as HTML gives the title back. Any other title (``AT&T``,
  ``Vector<T>``) is written as it is, for readers that show RSS titles as text.
- Atom says: :func:`atom_text` gives such a title ``type="html"``, escaped for it (a
  ``type="text"`` title holding ``</b>`` or ``&lt;`` is exact, but the validator warns
  ContainsUndeclaredHTML); any other stays ``type="text"``.
"""

from __future__ import annotations

import html
import re
from html.entities import name2codepoint
from html.parser import HTMLParser

MARKUP_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del",
    "dfn", "em", "font", "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span",
    "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "script", "style",
})
"""Elements whose tags a title that does not say what it is may hold as markup: HTML's
phrasing elements (what fits in a heading), and script and style, which go with their text."""

VOID_ELEMENTS = frozenset({"br", "wbr", "img"})
_DROPPED_WITH_TEXT = frozenset({"script", "style"})
_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
"""Elements a browser shows apart from the text around them: their tags become a space.
Any other tag (``<b>``, ``<a>``) sits inside a word's flow and becomes nothing."""

# A start or end tag, as HTML writes one: name, then attributes (quoted, unquoted or bare).
_TAG = re.compile(
    r"""<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)"""
    r"""\s*(/?)>""")
_HAS_VALUE = re.compile(r"=")
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_END_TAG = re.compile(r"</\w+>")
_ENTITY_LIKE = re.compile(r"&(#?\w+)")
_SPACE = re.compile(r"\s+")
# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def strip_xml_forbidden(text: str) -> str:
    """Remove characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/FFFF)."""
    return _XML_FORBIDDEN.sub("", text)


def one_line(text: str, limit: int) -> str:
    """Whitespace collapsed, XML-forbidden characters gone, cut at ``limit`` characters."""
    text = _SPACE.sub(" ", strip_xml_forbidden(text)).strip()
    return text[:limit].rstrip() if len(text) > limit else text


def title_text(raw: str, is_html: bool | None, limit: int = 500) -> str:
    """The plain text of a title as a source gave it: ``is_html`` True when the source says
    it is HTML, False when it says plain text, None when it does not say (see the module)."""
    raw = raw[: limit * 8]
    if is_html is False:
        return one_line(raw, limit)
    if is_html:
        return one_line(html_text(raw), limit)
    return one_line(unsaid_text(raw), limit)


def unsaid_text(text: str) -> str:
    """A title nobody says the type of: real markup removed, then references decoded once."""
    if "<" in text:
        text = _without_real_tags(text)
    if "&" in text:
        text = _REFERENCE.sub(lambda m: html.unescape(m.group(0)), text)
    return text


def _without_real_tags(text: str) -> str:
    tags = list(_TAG.finditer(text))
    real = _real_tags(tags)
    if not real:
        return text
    out: list[str] = []
    position = 0
    skip_to: int | None = None  # inside script/style: up to its end tag
    for index, match in enumerate(tags):
        if index not in real:
            continue
        closing, name = match.group(1), match.group(2).lower()
        if skip_to is None:
            out.append(text[position:match.start()])
            out.append(" " if name in _BREAKS else "")
        if skip_to is not None and index == skip_to:
            skip_to = None
        elif not closing and name in _DROPPED_WITH_TEXT:
            skip_to = real[index]
        position = match.end()
    if skip_to is None:  # else an unclosed script or style: the rest is its text
        out.append(text[position:])
    return "".join(out)


def _real_tags(tags: list[re.Match[str]]) -> dict[int, int]:
    """Which of ``tags`` are real markup: {index: index of its end tag (-1 for none)}."""
    real: dict[int, int] = {}
    open_tags: list[tuple[str, int]] = []
    bare_voids: list[int] = []
    for index, match in enumerate(tags):
        closing, name, attrs, slash = match.groups()
        name = name.lower()
        if name not in MARKUP_ELEMENTS:
            continue
        if name in VOID_ELEMENTS:
            if closing:
                continue
            if slash or _HAS_VALUE.search(attrs):
                real[index] = -1
            else:
                bare_voids.append(index)
            continue
        if not closing:
            open_tags.append((name, index))
            continue
        for depth in range(len(open_tags) - 1, -1, -1):
            if open_tags[depth][0] == name:
                start = open_tags[depth][1]
                real[start] = index
                real[index] = -1
                del open_tags[depth:depth + 1]
                break
    for _name, index in open_tags:  # never closed: markup only if it has attributes
        if _HAS_VALUE.search(tags[index].group(3)):
            real[index] = -1  # an unclosed script or style hides the rest, as in a browser
    if real:
        real.update((index, -1) for index in bare_voids)
    return real


class _TextOf(HTMLParser):
    """Collects the text a browser shows of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_TEXT:
            self.hidden += 1
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_TEXT and self.hidden:
            self.hidden -= 1
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    """The text of an HTML fragment, as a browser shows it (``a < b`` is text there too)."""
    if "<" not in fragment and "&" not in fragment:
        return fragment
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def looks_like_html(text: str) -> bool:
    """Whether readers or validators would take plain ``text`` for HTML: it has an end tag,
    or a character reference (a known entity name, with or without ";", or a number). The
    W3C Feed Validator's test (ContainsHTML), which covers feedparser's."""
    if "<" in text and _END_TAG.search(text):
        return True
    return "&" in text and any(
        not name.isalpha() or name in name2codepoint or name == "apos"
        for name in _ENTITY_LIKE.findall(text))


def rss_title(title: str) -> str:
    """The text of an RSS <title> (before XML escaping) that readers show as ``title``: the
    title itself, or, when a reader would take it for HTML (or feedhub would, reading RSS),
    the title escaped for the HTML layer."""
    if looks_like_html(title) or ("<" in title and unsaid_text(title) != title):
        return html.escape(title, quote=False)
    return title


def atom_text(text: str) -> tuple[str, str]:
    """(type, text) of an Atom text construct that says plain ``text``: "text" and the text,
    or "html" and the text escaped for HTML when it looks like HTML."""
    if looks_like_html(text):
        return "html", html.escape(text, quote=False)
    return "text", text
