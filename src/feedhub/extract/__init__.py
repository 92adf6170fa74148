"""Bytes -> raw entries, one module per kind of source.

Contract: ``extract(source, result)`` returns the :class:`~feedhub.model.RawEntry` list found in
``result.body`` or raises :class:`~feedhub.errors.ExtractError`. Nothing here is trusted or
cleaned yet: that is normalise's job. Two things are bounded here already, because reading
them is what costs (feedparser's handling of repeated elements is quadratic in their number):

- with ``max_items``, at most that many entries; a feed's document is cut after its
  ``max_items``-th entry before it is parsed (:mod:`.xmltrim`), so a 200 000-item feed costs
  what its first entries cost;
- per entry, at most :data:`MAX_LABELS` labels, :data:`MAX_ENCLOSURES` enclosures and
  :data:`MAX_AUTHORS` authors (normalise applies the same caps again, for every extractor).

What was left out is counted or said in an :class:`ExtractReport`, for the source's status.

The readers (feedparser, selectolax) are imported when first used, not with this package: a
build whose sources all answer 304 parses nothing, and every command starts faster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..model import FetchResult, RawEntry, Source, SourceKind

if TYPE_CHECKING:
    from .feed import extract_feed as extract_feed
    from .html import extract_listing as extract_listing


MAX_LABELS = 32
"""Labels (categories, tags) kept per entry. Real feeds give a handful; each label is a
<category> in every published format (20 000 on one item made a 670 kB feed), and
feedparser's reading of them is quadratic (20 000 took 5 s)."""
MAX_ENCLOSURES = 16
"""Enclosures (RSS enclosure, Atom rel="enclosure", media:content audio/video, JSON Feed
attachments) kept per entry. A podcast episode has one, a few formats at most; feed readers
show the first."""
MAX_AUTHORS = 16
"""Author names kept per entry (joined with ", " into one field, itself capped at
normalise.MAX_NAME characters). A paper with more authors names the first few anyway."""


@dataclass
class ExtractReport:
    """What extracting one body left out, for the source's status (filled in by extract)."""

    over_cap: int = 0
    """Entries past ``max_items``, never read."""
    warnings: list[str] = field(default_factory=list)
    """Parts of the document ignored, each said as one sentence (a second document after
    the first one's end, entries with more labels than :data:`MAX_LABELS`, ...)."""


class PageFetcher(Protocol):
    """Fetches one more page of a listing (the next page); raises a SourceError on failure."""

    def __call__(self, url: str) -> FetchResult: ...


def extract(
    source: Source,
    result: FetchResult,
    fetch_page: PageFetcher | None = None,
    *,
    max_items: int | None = None,
    report: ExtractReport | None = None,
) -> list[RawEntry]:
    """``fetch_page`` fetches a listing's further pages (pagination); extract does no I/O.
    With ``max_items``, the first ``max_items`` entries (documents list their newest first);
    ``report`` is told how many more there were and what else was left out."""
    report = report if report is not None else ExtractReport()
    if source.kind is SourceKind.FEED:
        from .feed import extract_feed

        entries = extract_feed(source.id, result, max_items, report)
    else:
        from .html import extract_listing

        entries = extract_listing(source, result, fetch_page)
    if max_items is not None and len(entries) > max_items:
        report.over_cap += len(entries) - max_items
        del entries[max_items:]
    return entries


def __getattr__(name: str) -> Any:
    if name == "extract_feed":
        from .feed import extract_feed

        return extract_feed
    if name == "extract_listing":
        from .html import extract_listing

        return extract_listing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MAX_AUTHORS", "MAX_ENCLOSURES", "MAX_LABELS", "ExtractReport", "PageFetcher",
           "extract", "extract_feed", "extract_listing"]
