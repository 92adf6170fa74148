"""Both readings of one feed document, side by side: the fast path (lxml and feedhub's own
element readers) and feedparser itself, down to the normalised items.

Used by tests/test_fastfeed_differential.py, and from the command line over any folder of
documents (feedparser's own test corpus, say), fetched, never committed:

    PYTHONPATH=src python -m tests.support.fastdiff /tmp/feedparser/tests

It prints how many documents the fast path admitted and how many of those gave the same
entries and items, and each mismatch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedhub.categories import CategoryMap
from feedhub.errors import ExtractError
from feedhub.extract import feed
from feedhub.model import Category, FetchResult, Item, NormaliseReport, RawEntry, Source, SourceKind
from feedhub.normalise import normalise_entries

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
URL = "https://feeds.example.org/news/feed.xml"
SOURCE = Source(id="diff", kind=SourceKind.FEED, location=URL)
CATEGORIES = CategoryMap.from_categories([
    Category(slug="news", title="News", labels=("News", "Press release")),
    Category(slug="other", title="Other")])


@dataclass(frozen=True)
class Readings:
    """What each path made of one body."""

    admitted: bool
    """Whether ``extract_feed`` read it with the fast path (else both readings are
    feedparser's)."""
    fast: list[RawEntry] | str
    """The entries, or the ExtractError's message."""
    reference: list[RawEntry] | str
    fast_items: list[Item]
    reference_items: list[Item]
    fast_notes: NormaliseReport
    reference_notes: NormaliseReport

    def differences(self) -> list[str]:
        """Each field that differs, said in one line; [] when the readings agree."""
        if isinstance(self.fast, str) or isinstance(self.reference, str):
            return [] if self.fast == self.reference else [
                f"errors: {self.fast!r} != {self.reference!r}"]
        out = []
        if len(self.fast) != len(self.reference):
            out.append(f"{len(self.fast)} entries != {len(self.reference)}")
        for n, (a, b) in enumerate(zip(self.fast, self.reference, strict=False)):
            out.extend(f"entry {n} {f.name}: {getattr(a, f.name)!r} != {getattr(b, f.name)!r}"
                       for f in fields(RawEntry) if getattr(a, f.name) != getattr(b, f.name))
        if self.fast_items != self.reference_items:
            out.append("normalised items differ")
        if self.fast_notes != self.reference_notes:
            out.append(f"normalise notes differ: {self.fast_notes} != {self.reference_notes}")
        return out


def readings(body: bytes, headers: dict[str, str] | None = None,
             max_items: int | None = None) -> Readings:
    result = FetchResult(url=URL, body=body, headers=headers or {})
    read: list[object] = []
    real = feed.read_clean_feed

    def recorded(data: bytes, parse_date: Any) -> Any:
        clean = real(data, parse_date)  # raises Unclean: then feedparser reads it
        read.append(clean)
        return clean

    feed.read_clean_feed = recorded  # the fast path, watched: did extract_feed take it?
    try:
        fast = _extract(result, max_items, True)
    finally:
        feed.read_clean_feed = real
    reference = _extract(result, max_items, False)
    fast_notes, reference_notes = NormaliseReport(), NormaliseReport()
    return Readings(bool(read), fast, reference, _items(fast, fast_notes),
                    _items(reference, reference_notes), fast_notes, reference_notes)


def _extract(result: FetchResult, max_items: int | None, fast: bool) -> list[RawEntry] | str:
    try:
        return feed.extract_feed("diff", result, max_items, fast=fast)
    except ExtractError as exc:
        return exc.message


def _items(entries: list[RawEntry] | str, notes: NormaliseReport) -> list[Item]:
    if isinstance(entries, str):
        return []
    return normalise_entries(entries, SOURCE, CATEGORIES, URL, NOW, notes)


def main(folders: list[str]) -> int:
    documents = admitted = same = 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() not in (".xml", ".rss", ".atom", ".rdf") or not path.is_file():
                continue
            documents += 1
            try:
                reading = readings(path.read_bytes())
            except Exception as exc:  # a crash of either path is a finding too
                print(f"CRASH {path}: {type(exc).__name__}: {exc}")
                continue
            if not reading.admitted:
                continue
            admitted += 1
            differences = reading.differences()
            if differences:
                print(f"MISMATCH {path}:\n  " + "\n  ".join(differences))
            else:
                same += 1
    print(f"{documents} documents, {admitted} admitted by the fast path, {same} of them "
          f"read the same by both paths")
    return 0 if same == admitted else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
