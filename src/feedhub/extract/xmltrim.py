"""Cut a feed document down to what feedhub will read, before feedparser parses it. Pure; stdlib.

feedparser reads a whole document, and costs grow with it: a 200 000-item feed took 36 s and
510 MB to parse where feedhub kept 1000 items, and its reading of categories is quadratic in
their number under one element (20 000 on one item took 5 s; so did 20 000 comma-separated
``itunes:keywords``). :func:`trim_xml` scans the tags once (regular expressions, the kind of
scan :func:`.xmlguard.guard_xml`'s depth check makes; no parser) and hands on:

- the first document only: a second root element after the first one's end (two feeds pasted
  together) is cut off, with a warning, instead of its entries being read silently;
- the first ``max_items`` entries (``item``/``entry`` elements, any prefix and case, as
  feedparser matches them, counted where they are not inside another entry): the document is
  cut just before the next entry starts and the elements still open there are closed, so the
  rest is never parsed; the entries cut off are counted;
- under any one element (an entry, the channel), at most :data:`~feedhub.extract.MAX_LABELS`
  ``category``/``subject``/``keywords`` children, :data:`~feedhub.extract.MAX_ENCLOSURES`
  ``enclosure`` children and :data:`~feedhub.extract.MAX_AUTHORS` ``author``/``creator``/
  ``contributor`` children: the others are removed, with a warning;
- in a ``keywords`` or ``tags`` element (a comma-separated list feedparser splits into labels),
  at most :data:`~feedhub.extract.MAX_LABELS` terms, with a warning.

What it must not do: change anything in a document that needs none of this (it comes back as
the same string), or make a well-formed document ill-formed (it cuts and removes whole elements
and list terms only). A document that is not well-formed is cut the same way; feedparser's
loose parser then reads what is left.

Cost: a document within every cap is recognised by one pass over the tags of its entries and
capped children (:func:`_needs_scan`): ~2 ms for bench/ingest.py's 300-item, 580 kB RSS and
Atom documents, against 65-110 ms of feedparser. The full scan runs only when there is
something to cut; a 200 000-item, 33 MB RSS feed with ``max_items`` 1000 now parses in ~1.7 s
and ~80 MB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import MAX_AUTHORS, MAX_ENCLOSURES, MAX_LABELS
from .xmlguard import scannable

_CAPPED = {
    "category": ("labels", MAX_LABELS), "subject": ("labels", MAX_LABELS),
    "keywords": ("labels", MAX_LABELS),
    "enclosure": ("enclosures", MAX_ENCLOSURES),
    "author": ("authors", MAX_AUTHORS), "creator": ("authors", MAX_AUTHORS),
    "contributor": ("authors", MAX_AUTHORS),
}
"""Local name of a capped child -> (what it is, how many one element keeps)."""
_CAPS = dict(_CAPPED.values())
"""What a capped child is -> how many one element keeps."""
_ENTRIES = ("item", "entry")

_PREFIX = r"(?:[A-Za-z_][\w.-]*:)?"
_ATTRIBUTES = r"((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>"
"""The rest of a tag up to its ">", quoted attribute values read whole (a ">" in one is no
end), possessive so that a tag never closed costs one pass, not exponential backtracking."""
# A start or end tag (its "/", its name, the rest), or markup that may hold a "<" that is no
# tag: CDATA, a comment, a processing instruction. Scanned over xmlguard.scannable(text).
_MARKUP = re.compile(r"<(/?)([A-Za-z_][\w.:-]*+)" + _ATTRIBUTES
                     + r"|<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.DOTALL)
# The tags of entries and capped children only (for _needs_scan).
_COUNTED = re.compile(r"<(/?)" + _PREFIX + "(" + "|".join((*_ENTRIES, *_CAPPED))
                      + r")(?![\w.:-])" + _ATTRIBUTES, re.IGNORECASE)
_ENTRY_START = re.compile(r"<" + _PREFIX + r"(?:item|entry)(?![\w.:-])", re.IGNORECASE)
# A keywords/tags list with more than MAX_LABELS terms: its opening tag (and CDATA opener), the
# first MAX_LABELS terms, and the rest of the list.
_LONG_LIST = re.compile(r"(<" + _PREFIX + r"(?:keywords|tags)(?![\w.:-])[^<>]*+>"
                        r"(?:<!\[CDATA\[)?)((?:[^,<\]]*+,){" + str(MAX_LABELS) + r"})[^<\]]*+",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Trimmed:
    """A document cut down to what will be read, and what was left out."""

    text: str
    over_cap: int = 0
    """Entries after the first ``max_items``, cut off unread."""
    warnings: tuple[str, ...] = ()
    """What else was left out, each a sentence for the source's status."""


def trim_xml(text: str, max_items: int | None = None) -> Trimmed:
    """``text`` cut as the module docstring says; ``max_items`` None means no entry cap."""
    warnings: list[str] = []
    text, lists = _LONG_LIST.subn(lambda m: m.group(1) + m.group(2)[:-1], text)
    if lists:
        warnings.append(f"{lists} keyword list{'s' if lists > 1 else ''} had more than "
                        f"{MAX_LABELS} terms; only the first {MAX_LABELS} of each were read")
    if not _needs_scan(text, max_items):
        return Trimmed(text, 0, tuple(warnings))
    scan = _Scan(text, max_items)
    return Trimmed(scan.result(), scan.over_cap, (*warnings, *scan.warnings))


class _Scan:
    """One pass over the tags of a document, deciding where to cut and what to remove."""

    def __init__(self, text: str, max_items: int | None) -> None:
        self.text = text
        self.max_items = max_items
        self.open_tags: list[str] = []
        """Names of the elements open at the current tag, outermost first."""
        self.children: list[dict[str, int] | None] = []
        """For each open element, its capped children so far by kind (None: none yet)."""
        self.entry_depth: int | None = None
        """Depth of the open entry (None: outside every entry)."""
        self.entries = 0
        self.drops: list[tuple[int, int]] = []
        """Spans of capped children to remove, in order."""
        self.dropping: int | None = None
        """Depth at which the child being removed started (None: none is)."""
        self.drop_start = 0
        self.over: dict[tuple[str, str], int] = {}
        """Elements (entries, or the feed) with more capped children than they keep, by
        (what the element is, what the children are)."""
        self.cut: int | None = None
        self.over_cap = 0
        self.warnings: list[str] = []
        self._run()

    def _run(self) -> None:
        root_ended = False
        for mark in _MARKUP.finditer(scannable(self.text)):
            slash, name, rest = mark.groups()
            if name is None:
                continue
            if slash:
                if self._close(name, mark.end()):
                    root_ended = not self.open_tags
                continue
            if root_ended:
                self.cut = mark.start()
                self.warnings.append(_second_document(self.text, mark.start()))
                break
            local = name.rpartition(":")[2].lower()
            empty = rest.endswith("/")
            depth = len(self.open_tags)
            if self.entry_depth is None and local in _ENTRIES:
                if self.max_items is not None and self.entries >= self.max_items:
                    self._cut_entries(mark.start())
                    break
                self.entries += 1
                if not empty:
                    self.entry_depth = depth
            if self.dropping is None and depth and local in _CAPPED:
                kind = _CAPPED[local][0]
                counts = self.children[-1]
                if counts is None:
                    counts = self.children[-1] = {}
                counts[kind] = counts.get(kind, 0) + 1
                if counts[kind] > _CAPS[kind]:
                    if empty:
                        self.drops.append((mark.start(), mark.end()))
                    else:
                        self.dropping, self.drop_start = depth, mark.start()
            if not empty:
                self.open_tags.append(name)
                self.children.append(None)
        self._count_over(0)  # the elements left open (the document ended, or was cut)
        for (where, kind), count in sorted(self.over.items()):
            cap = _CAPS[kind]
            what = "the feed" if where == "feed" else (
                f"{count} entr{'y' if count == 1 else 'ies'}")
            self.warnings.append(f"{what} had more than {cap} {kind}; only the first {cap} "
                                 f"{'were' if where == 'feed' else 'of each were'} read")

    def _close(self, name: str, end: int) -> bool:
        """An end tag closes the innermost open element of its name and those inside it, as a
        lenient parser does; a stray one (nothing of its name open) is ignored (False)."""
        tags = self.open_tags
        if tags and tags[-1] == name:
            at = len(tags) - 1
        elif name in tags:
            at = len(tags) - 1 - tags[::-1].index(name)
        else:
            return False
        self._count_over(at)
        del self.open_tags[at:], self.children[at:]
        if self.dropping is not None and at <= self.dropping:
            self.drops.append((self.drop_start, end))
            self.dropping = None
        if self.entry_depth is not None and at <= self.entry_depth:
            self.entry_depth = None
        return True

    def _count_over(self, at: int) -> None:
        """Count the elements open from depth ``at`` on that had more children than a cap."""
        for name, counts in zip(self.open_tags[at:], self.children[at:], strict=True):
            for kind, count in (counts or {}).items():
                if count > _CAPS[kind]:
                    where = "entry" if name.rpartition(":")[2].lower() in _ENTRIES else "feed"
                    self.over[where, kind] = self.over.get((where, kind), 0) + 1

    def _cut_entries(self, at: int) -> None:
        """Cut before the entry at ``at``; count the entries after it, up to the root's end
        (found as the next end tag of its name: the rest is not scanned)."""
        text = self.text
        self.cut = at
        root_end = text.find(f"</{self.open_tags[0]}", at) if self.open_tags else -1
        self.over_cap = len(_ENTRY_START.findall(text, at, root_end if root_end >= 0
                                                 else len(text)))
        close = text.find(">", root_end) if root_end >= 0 else -1
        after = _tail_end(text, close + 1) if close >= 0 else len(text)
        if after < len(text):
            self.warnings.append(_second_document(text, after))

    def result(self) -> str:
        """The document with the drops removed, cut (its open elements closed)."""
        text = self.text
        if self.cut is None and not self.drops:
            return text
        end = len(text) if self.cut is None else self.cut
        drops = self.drops
        if self.dropping is not None:
            drops = [*drops, (self.drop_start, end)]
        pieces: list[str] = []
        pos = 0
        for start, stop in drops:
            if start >= end:
                break
            pieces.append(text[pos:start])
            pos = min(stop, end)
        pieces.append(text[pos:end])
        if self.cut is not None:
            pieces.extend(f"</{name}>" for name in reversed(self.open_tags))
        return "".join(pieces)


def _second_document(text: str, start: int) -> str:
    line = text.count("\n", 0, start) + 1
    return (f"a second XML document starts at line {line}, after the first one's end; only "
            "the first was read (ask the publisher to serve one document)")


def _needs_scan(text: str, max_items: int | None) -> bool:
    """Whether the full scan may find something to cut, from the tags of entries and capped
    children only. Never False where the scan would cut: a capped child is counted with its
    entry (which a parent inside the entry is) or with everything outside entries (which a
    parent outside them is), and entries are told apart as feedparser does, by their own
    start and end tags."""
    if max_items is not None and len(_ENTRY_START.findall(text)) > max_items:
        return True  # (counted apart first: a huge feed is not walked tag by tag twice)
    entries = inside = 0
    in_entry: dict[str, int] = {}
    outside: dict[str, int] = {}
    for slash, name, rest in _COUNTED.findall(scannable(text)):
        name = name.lower()
        if name in _ENTRIES:
            if slash:
                inside = max(inside - 1, 0)
            elif not rest.endswith("/"):
                entries += 1
                if not inside:
                    in_entry.clear()
                inside += 1
            else:
                entries += 1
            continue
        if slash:
            continue
        kind = _CAPPED[name][0]
        counts = in_entry if inside else outside
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] > _CAPS[kind]:
            return True
    if max_items is not None and entries > max_items:
        return True
    return _more_after_root(text)


_TAIL = re.compile(r"(?:\s|<!--.*?-->|<\?.*?\?>)*", re.DOTALL)
"""What may follow a root element's end (it matches where the rest is only that)."""
_PROLOG = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.DOTALL)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _more_after_root(text: str) -> bool:
    """Whether anything but comments, processing instructions and whitespace follows the first
    end tag of the root element's name (the earliest the root can end: never False where the
    scan finds a second document)."""
    first = _FIRST_TAG.search(text, _PROLOG.match(text).end())  # type: ignore[union-attr]
    if first is None:
        return False
    end = text.find("</" + first.group(1), first.end())
    if end == -1:
        return False  # never closed (or an empty element): nothing follows it
    close = text.find(">", end)
    return close == -1 or _tail_end(text, close + 1) < len(text)


def _tail_end(text: str, start: int) -> int:
    """Where what may follow a root element's end, from ``start`` on, ends."""
    return _TAIL.match(text, start).end()  # type: ignore[union-attr]
