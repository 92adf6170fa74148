"""Refuse hostile XML before feedparser sees it. Pure; no I/O; stdlib only.

feedparser hands documents to expat, then (on any error) to a loose SGML parser; both expand
internal entities. A 586-byte "billion laughs" document becomes 3 million characters, and a
53 kB "quadratic blowup" (one 50 kB entity referenced 1000 times) becomes 50 million characters
and 160 MB in the loose parser. So :func:`guard_xml` reads the DOCTYPE's internal subset itself
and refuses, before any expansion (:func:`guard_xml`):

- an external entity (``SYSTEM``/``PUBLIC``) or any parameter entity (``%name;``): feedhub
  never fetches or reads one, and no real feed needs one;
- an entity whose full expansion is longer than ``MAX_ENTITY_CHARS``, or recursive;
- a document whose entity references together would add more than ``MAX_EXPANSION_CHARS``;
- more than ``MAX_ENTITIES`` declarations, or a subset it cannot read unambiguously (so that
  its reading and expat's can never differ);
- element nesting deeper than ``MAX_DEPTH`` (expat copes, but feedparser takes seconds and
  tens of MB on 100 000 levels).

A character reference to a character XML 1.0 forbids (``&#xD800;``, a lone surrogate;
``&#1;``; ``&#x110000;``) is replaced by ``&#xFFFD;`` (U+FFFD, the replacement character):
expat refuses the whole document for one, and feedparser's loose parser then raised
UnicodeEncodeError on it. With the reference replaced the rest of the document reads as usual.
Inside a CDATA section such a reference is text (escaped HTML, for nh3) and is kept.

Harmless internal entities (``<!ENTITY copy "&#169;">``, short text) pass and keep working. An
external DTD *reference* (``<!DOCTYPE rss PUBLIC "-//Netscape..." "http://...dtd">``, as real
RSS 0.91 feeds have) is allowed: neither expat, as feedparser configures it, nor the loose
parser ever loads it.

Cost: a document without a DOCTYPE pays one regex search for the prolog and one scan of its
tags for depth, a few percent of feedparser's parse time (see bench/ingest.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_ENTITIES = 100
MAX_ENTITY_CHARS = 10_000
MAX_EXPANSION_CHARS = 1_000_000
MAX_DEPTH = 256

_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}
_NAME = r"[A-Za-z_:][\w.:-]*"
_NAME_RE = re.compile(_NAME)
_WS = re.compile(r"\s*")
_PROLOG_SKIP = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_DOCTYPE = re.compile(r"<!DOCTYPE\s+(" + _NAME + r")", re.IGNORECASE)
_EXTERNAL_ID = re.compile(
    r"""\s+(?:SYSTEM\s+(?:"[^"]*"|'[^']*')|PUBLIC\s+(?:"[^"]*"|'[^']*')\s*(?:"[^"]*"|'[^']*')?)""")
_ENTITY = re.compile(
    r"<!ENTITY\s+(%\s+)?(" + _NAME + r")\s+(?:(\"[^\"]*\"|'[^']*')|(SYSTEM|PUBLIC)\b[^>]*)\s*>")
_MARKUP_DECL = re.compile(r"<!(?:ELEMENT|ATTLIST|NOTATION)\b(?:\"[^\"]*\"|'[^']*'|[^>\"'])*>")
_GENERAL_REF = re.compile(r"&(" + _NAME + r");")
_PARAMETER_REF = re.compile(r"%" + _NAME + r";")
_CHAR_REF = re.compile(r"&#(?:x[0-9A-Fa-f]+|[0-9]+);")
# Any numeric character reference as either parser reads one (the loose parser needs no ";",
# and takes "X"): its hex digits, or its decimal digits. A CDATA section is matched whole and
# kept: "&#14;" there is text (escaped HTML, which nh3 reads later, as HTML).
_ANY_CHAR_REF = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)|&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));?",
                           re.DOTALL)
_ROOT = re.compile(r"<\w")
_STRAY_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
# Everything that can hold a "<", each matched up to its end; only start and end tags capture
# something: an element's first letter (a start tag) or "/" and its first letter (an end tag).
# Empty-element tags ("/>" just before the ">") and the rest capture "".
# Scanned over scannable(text) only: see there why.
_TAGS = re.compile(r"<(/?[A-Za-z_])[^>]*(?<!/)>|</?[A-Za-z_][^>]*>|"
                   r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.DOTALL)
_OPENERS = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))


class XmlRefused(Exception):
    """The document is hostile or ambiguous; ``str()`` says why, as a sentence for the user."""


def guard_xml(text: str) -> str:
    """The document to hand to feedparser, or raise :class:`XmlRefused`.

    A document without internal entities comes back unchanged. One with harmless internal
    entities comes back with them already expanded and the internal subset removed, so that
    neither of feedparser's parsers expands anything (its own DOCTYPE filter would drop any
    entity whose value holds a reference, leaving ``&name;`` in the text).
    """
    doctype = _read_doctype(text)
    # feedparser's loose parser takes entity declarations from anywhere before the first
    # element, even where expat would refuse them: such a stray one is refused here.
    root = _ROOT.search(text, doctype.end)
    if _STRAY_ENTITY.search(text, doctype.end, root.start() if root else len(text)):
        raise XmlRefused("the document declares an entity outside its DOCTYPE")
    _check_depth(text, doctype.end)
    if not doctype.entities:
        return _repair_char_refs(text)
    expansions = _expand(doctype.entities)
    added = 0

    def substitute(ref: re.Match[str]) -> str:
        nonlocal added
        value = expansions.get(ref.group(1))
        if value is None:
            return ref.group(0)
        added += len(value)
        if added > MAX_EXPANSION_CHARS:
            raise XmlRefused(f"the document's entity references expand to more than "
                             f"{MAX_EXPANSION_CHARS} characters (an entity-expansion bomb?)")
        return value

    body = _GENERAL_REF.sub(substitute, text[doctype.end:])
    return _repair_char_refs(
        f"{text[:doctype.start]}<!DOCTYPE {doctype.name}{doctype.external_id}>{body}")


def _allowed_char(code: int) -> bool:
    """Whether XML 1.0 allows the character (its production ``Char``)."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _repaired(ref: re.Match[str]) -> str:
    hex_digits, digits = ref.groups()
    if hex_digits is None and digits is None:
        return ref.group(0)  # a CDATA section
    text = (hex_digits or digits).lstrip("0") or "0"
    if len(text) <= 7 and _allowed_char(int(text, 16 if hex_digits else 10)):
        return ref.group(0)
    return "&#xFFFD;"


def _repair_char_refs(text: str) -> str:
    """``text`` with every reference to a character XML forbids replaced by ``&#xFFFD;``."""
    return _ANY_CHAR_REF.sub(_repaired, text) if "&#" in text else text


@dataclass(frozen=True)
class _Doctype:
    start: int = 0
    end: int = 0
    """Where the document after the DOCTYPE (or the prolog, when there is none) starts."""
    name: str = ""
    external_id: str = ""
    entities: dict[str, str] = field(default_factory=dict)


def _read_doctype(text: str) -> _Doctype:
    pos = 0
    while match := _PROLOG_SKIP.match(text, pos):
        if match.end() == pos:
            break
        pos = match.end()
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    doctype = _DOCTYPE.match(text, pos)
    if doctype is None:
        return _Doctype(pos, pos)
    start, pos = pos, doctype.end()
    external_id = ""
    if external := _EXTERNAL_ID.match(text, pos):
        pos = external.end()  # an external DTD reference: never loaded, see the docstring
        external_id = external.group(0)
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    entities: dict[str, str] = {}
    if text.startswith("[", pos):
        pos = _read_subset(text, pos + 1, entities)
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if not text.startswith(">", pos):
        raise XmlRefused("the DOCTYPE is malformed (expected '>' after it)")
    return _Doctype(start, pos + 1, doctype.group(1), external_id, entities)


def _read_subset(text: str, pos: int, entities: dict[str, str]) -> int:
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            return pos + 1
        if text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end == -1:
                raise XmlRefused("the DOCTYPE has an unterminated comment")
            pos = end + 3
        elif text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end == -1:
                raise XmlRefused("the DOCTYPE has an unterminated processing instruction")
            pos = end + 2
        elif text.startswith("<!ENTITY", pos):
            match = _ENTITY.match(text, pos)
            if match is None:
                raise XmlRefused("the DOCTYPE has an entity declaration feedhub cannot read")
            parameter, name, value, external = match.groups()
            if parameter:
                raise XmlRefused(f"the DOCTYPE declares a parameter entity %{name}; feedhub "
                               "refuses them (they serve only to fetch or build other markup)")
            if external:
                raise XmlRefused(f"the DOCTYPE declares an external entity &{name}; ({external}); "
                               "feedhub never fetches or reads external entities")
            if len(entities) >= MAX_ENTITIES:
                raise XmlRefused(f"the DOCTYPE declares more than {MAX_ENTITIES} entities")
            entities.setdefault(name, value[1:-1])  # XML: the first declaration wins
            pos = match.end()
        elif text.startswith(("<!ELEMENT", "<!ATTLIST", "<!NOTATION"), pos):
            match = _MARKUP_DECL.match(text, pos)
            if match is None:
                raise XmlRefused("the DOCTYPE has a declaration feedhub cannot read")
            pos = match.end()
        elif text.startswith("%", pos):
            raise XmlRefused("the DOCTYPE uses a parameter entity reference; feedhub refuses them")
        else:
            raise XmlRefused("the DOCTYPE's internal subset holds something feedhub cannot read")


def _expand(entities: dict[str, str]) -> dict[str, str]:
    """Each entity's replacement text with the other entities expanded, each bounded."""
    done: dict[str, str] = {}

    def expand(name: str, stack: tuple[str, ...]) -> str:
        if name in done:
            return done[name]
        if name in stack:
            raise XmlRefused(f"the entity &{name}; refers to itself")
        value = entities[name]
        if _PARAMETER_REF.search(value):
            raise XmlRefused(f"the entity &{name}; uses a parameter entity")

        too_long = XmlRefused(f"the entity &{name}; expands to more than {MAX_ENTITY_CHARS} "
                              "characters (an entity-expansion bomb?)")
        if len(value) > MAX_ENTITY_CHARS * 8:
            raise too_long
        grown = 0

        def inner(ref: re.Match[str]) -> str:
            nonlocal grown
            ref_name = ref.group(1)
            if ref_name not in entities:
                return ref.group(0)
            expanded = expand(ref_name, (*stack, name))
            grown += len(expanded)
            if grown > MAX_ENTITY_CHARS:  # checked per reference: never build a huge string
                raise too_long
            return expanded

        out = _GENERAL_REF.sub(inner, value)
        if len(_CHAR_REF.sub("x", out)) > MAX_ENTITY_CHARS:
            raise too_long
        done[name] = out
        return out

    for name in entities:
        expand(name, ())
    return done


def scannable(text: str) -> str:
    """``text`` for a regular-expression scan of its tags (``_TAGS``, xmltrim's) in linear
    time, with the same matches at the same places.

    Such a scan tries a match at every "<"; where a tag, comment, CDATA section or processing
    instruction is never closed, each try reads to the end of the text, and 40 000 "<a " (120
    kB) took 45 s. Here the text ends at its last ">" (no match can end later), and an opener
    with no closer after it ("<!--" after the last "-->"...) loses its "<" (no match could
    start there). Positions are kept: a match here is the same span of ``text``."""
    text = text[:text.rfind(">") + 1]
    for opener, closer in _OPENERS:
        last = text.rfind(closer)
        # An opener at p is closed by a closer starting at p + len(opener) or later.
        unclosed = max(last - len(opener) + 1, 0) if last >= 0 else 0
        if text.find(opener, unclosed) != -1:
            text = text[:unclosed] + text[unclosed:].replace(opener, " " + opener[1:])
    return text


def _check_depth(text: str, start: int) -> None:
    if text.count("<", start) <= MAX_DEPTH:
        return
    depth = 0
    # findall and plain strings: a third of the time of match objects (every feed of more
    # than MAX_DEPTH tags is scanned).
    for mark in _TAGS.findall(scannable(text), start):
        if len(mark) == 1:
            depth += 1
            if depth > MAX_DEPTH:
                raise XmlRefused(f"elements are nested more than {MAX_DEPTH} deep")
        elif mark:
            depth -= 1


__all__ = ["MAX_DEPTH", "MAX_ENTITIES", "MAX_ENTITY_CHARS", "MAX_EXPANSION_CHARS",
           "XmlRefused", "guard_xml", "scannable"]
