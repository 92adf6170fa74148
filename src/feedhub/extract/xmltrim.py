"""Cut a feed document down to what feedhub will read, before feedparser parses it. Pure; stdlib.

feedparser reads a whole document, and costs grow with it: a 200 000-item feed took 38 s and
418 MB to parse where feedhub kept 1000 items, and its reading of an entry's categories is
quadratic (20 000 on one item took 5 s). :func:`trim_xml` scans the tags once (the same kind of
regular-expression scan as :func:`.xmlguard.guard_xml`'s depth check, no parser) and hands on:

- the first document only: a second root element after the first one's end (two feeds pasted
  together) is cut off, with a warning, instead of its entries being read silently;
- the first ``max_items`` entries (``item``/``entry`` elements, any prefix and case, as
  feedparser matches them, counted where they are not inside another entry): the document is
  cut just before the next entry starts and the elements still open there are closed, so the
  rest is never parsed; the entries cut off are counted;
- per entry, at most :data:`~feedhub.extract.MAX_LABELS` ``category``/``subject`` children,
  :data:`~feedhub.extract.MAX_ENCLOSURES` ``enclosure`` children and
  :data:`~feedhub.extract.MAX_AUTHORS` ``author``/``creator``/``contributor`` children: the
  others are removed, with a warning.

What it must not do: change anything in a document that needs none of this (it comes back as
the same string), or make a well-formed document ill-formed (it cuts and removes whole elements
only, at tag boundaries). A document that is not well-formed is cut the same way; feedparser's
loose parser then reads what is left.

Cost: a document within every cap is recognised by one regular-expression pass over the names
of its entries and capped children (no tag scan): ~2 ms for bench/ingest.py's 300-item, 580 kB
RSS and Atom documents, against 65-110 ms of feedparser. The full scan runs only when there is
something to cut; a 200 000-item, 33 MB RSS feed with ``max_items`` 1000 now parses in ~1.3 s
and 80 MB (35.6 s and 510 MB when feedparser read it whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import MAX_AUTHORS, MAX_ENCLOSURES, MAX_LABELS
from .xmlguard import scannable

_CAPPED = {
    "category": ("labels", MAX_LABELS), "subject": ("labels", MAX_LABELS),
    "enclosure": ("enclosures", MAX_ENCLOSURES),
    "author": ("authors", MAX_AUTHORS), "creator": ("authors", MAX_AUTHORS),
    "contributor": ("authors", MAX_AUTHORS),
}
"""Local name of an entry's child -> (what it is, how many an entry keeps)."""

_ENTRY_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]", re.IGNORECASE)
_COUNTED_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(item|entry|" + "|".join(_CAPPED)
                            + r")[\s/>]", re.IGNORECASE)
"""The start of an entry or of a capped child, anywhere: for :func:`_needs_scan`."""
# A start or end tag (its "/", its name, the rest with quoted values read whole), or markup that
# may hold a "<" that is no tag: CDATA, a comment, a processing instruction.
# A start or end tag (its "/", its name, the rest), or markup that may hold a "<" that is no tag:
# CDATA, a comment, a processing instruction. Read as xmlguard._TAGS reads them (a ">" in an
# attribute value ends the tag), over xmlguard.scannable(text).
_MARKUP = re.compile(r"<(/?)([A-Za-z_][\w.:-]*)([^>]*)>"
                     r"|<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.DOTALL)


@dataclass(frozen=True)
class Trimmed:
    """A document cut down to what will be read, and what was left out."""

    text: str
    over_cap: int = 0
    """Entries after the first ``max_items``, cut off unread."""
    warnings: tuple[str, ...] = ()
    """What else was left out, each a sentence for the source's status."""


@dataclass
class _Entry:
    """The entry being scanned: where it started and how many capped children it has."""

    depth: int
    counts: dict[str, int] = field(default_factory=dict)


def trim_xml(text: str, max_items: int | None = None) -> Trimmed:
    """``text`` cut as the module docstring says; ``max_items`` None means no entry cap."""
    if not _needs_scan(text, max_items):
        return Trimmed(text)
    open_tags: list[str] = []
    """Names of the elements open at the current tag, outermost first."""
    drops: list[tuple[int, int]] = []
    """Spans of capped children to remove."""
    dropping: int | None = None
    """Depth at which the child being removed started (None: none is)."""
    drop_start = 0
    entry: _Entry | None = None
    entries = 0
    over: dict[str, int] = {}
    """Entries with more capped children of a kind than they keep, by kind."""
    root_ended = False
    cut: int | None = None
    over_cap = 0
    warnings: list[str] = []
    for mark in _MARKUP.finditer(scannable(text)):
        slash, name, rest = mark.groups()
        if name is None:
            continue
        if slash:
            # An end tag closes the innermost open element of its name and those inside it,
            # as a lenient parser does; a stray one (nothing of its name open) is ignored.
            if open_tags and open_tags[-1] == name:
                open_tags.pop()
            elif name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
            else:
                continue
            depth = len(open_tags)
            if dropping is not None and depth <= dropping:
                drops.append((drop_start, mark.end()))
                dropping = None
            if entry is not None and depth <= entry.depth:
                for kind, count in entry.counts.items():
                    if count > _cap_of(kind):
                        over[kind] = over.get(kind, 0) + 1
                entry = None
            root_ended = not open_tags
            continue
        if root_ended:
            cut = mark.start()
            warnings.append(_second_document(text, cut))
            break
        local = name.rpartition(":")[2].lower()
        self_closing = rest.endswith("/")
        depth = len(open_tags)
        if entry is None and local in ("item", "entry"):
            if max_items is not None and entries >= max_items:
                cut = mark.start()
                # Counted up to the root's end (not a second document's entries), found as the
                # next end tag of its name: no scan of the rest.
                root_end = text.find(f"</{open_tags[0]}", cut) if open_tags else -1
                over_cap = len(_ENTRY_START.findall(text, cut,
                                                    len(text) if root_end < 0 else root_end))
                close = text.find(">", root_end) if root_end >= 0 else -1
                after = _tail_end(text, close + 1) if close >= 0 else len(text)
                if after < len(text):
                    warnings.append(_second_document(text, after))
                break
            entries += 1
            entry = _Entry(depth) if not self_closing else None
        elif (entry is not None and dropping is None and depth == entry.depth + 1
              and local in _CAPPED):
            kind, cap = _CAPPED[local]
            entry.counts[kind] = entry.counts.get(kind, 0) + 1
            if entry.counts[kind] > cap:
                if self_closing:
                    drops.append((mark.start(), mark.end()))
                else:
                    dropping, drop_start = depth, mark.start()
        if not self_closing:
            open_tags.append(name)
    if entry is not None:  # the document ended (or was cut) inside an entry
        for kind, count in entry.counts.items():
            if count > _cap_of(kind):
                over[kind] = over.get(kind, 0) + 1
    for kind, count in sorted(over.items()):
        cap = _cap_of(kind)
        warnings.append(f"{count} entr{'y' if count == 1 else 'ies'} had more than {cap} "
                        f"{kind}; only the first {cap} of each were read")
    if cut is None and not drops:
        return Trimmed(text, over_cap, tuple(warnings))
    end = len(text) if cut is None else cut
    if dropping is not None:
        drops.append((drop_start, end))
    pieces: list[str] = []
    pos = 0
    for start, stop in drops:
        if start >= end:
            break
        pieces.append(text[pos:start])
        pos = min(stop, end)
    pieces.append(text[pos:end])
    if cut is not None:
        pieces.extend(f"</{name}>" for name in reversed(open_tags))
    return Trimmed("".join(pieces), over_cap, tuple(warnings))


def _second_document(text: str, start: int) -> str:
    line = text.count("\n", 0, start) + 1
    return (f"a second XML document starts at line {line}, after the first one's end; only "
            "the first was read (ask the publisher to serve one document)")


def _cap_of(kind: str) -> int:
    return next(cap for what, cap in _CAPPED.values() if what == kind)


def _needs_scan(text: str, max_items: int | None) -> bool:
    """Whether anything may need cutting: more entries than ``max_items``, more capped
    children of a kind after one entry's start than an entry keeps, or a root element's end
    followed by more than comments and whitespace. One regular-expression pass over the names
    of entries and capped children: a few percent of the full scan's time."""
    entries = 0
    counts: dict[str, int] = {}
    for name in _COUNTED_START.findall(text):
        name = name.lower()
        if name in ("item", "entry"):
            entries += 1
            counts.clear()
            continue
        kind, cap = _CAPPED[name]
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] > cap:
            return True
    if max_items is not None and entries > max_items:
        return True
    return _more_after_root(text)


_TAIL = re.compile(r"(?:\s|<!--.*?-->|<\?.*?\?>)*", re.DOTALL)
"""What may follow a root element's end (it matches where the rest is only that)."""
_PROLOG = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.DOTALL)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _more_after_root(text: str) -> bool:
    """Whether something follows the end of the first root element (checked cheaply: the root's
    name starts one element only, and after its last end tag come only comments, processing
    instructions and whitespace)."""
    first = _FIRST_TAG.search(text, _PROLOG.match(text).end())  # type: ignore[union-attr]
    if first is None:
        return False
    name = first.group(1)
    if len(re.findall("<" + re.escape(name) + r"[\s/>]", text)) != 1:
        return True
    end = text.rfind("</" + name)
    if end == -1:
        return False  # never closed (or an empty element): nothing can follow it
    close = text.find(">", end)
    return close == -1 or _tail_end(text, close + 1) < len(text)


def _tail_end(text: str, start: int) -> int:
    """Where what may follow a root element's end, from ``start`` on, ends."""
    return _TAIL.match(text, start).end()  # type: ignore[union-attr]
