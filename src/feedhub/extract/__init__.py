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

The package, floor by floor (each module imports only those above it in this list):
    base.py        the caps, ExtractReport, PageFetcher (shared by every extractor)
    encoding.py    bytes -> text (BOM, HTTP charset, <meta charset>, XML declaration)
    xmlguard.py    refuses XML that would cost too much to parse; xmltrim.py cuts after
                   ``max_items`` entries
    fastbase.py    what the fast readers share; fastext.py: the extension elements (Dublin
                   Core, iTunes, Media RSS); fastread.py: the fields feedhub keeps, read from
                   a clean RSS/Atom 1.0 tree by tables of element readers; fastfeed.py: the
                   guard, lxml's parse, the walk
    jsonfeed.py    JSON Feed; feed.py: RSS/Atom through fastfeed when clean, else feedparser
                   (and JSON Feed by body)
    page.py        an HTML page parsed, and field rules (``css@attr``) applied to its blocks
    language.py    the language a listing's dates are read in, and why
    structured.py  schema.org articles (JSON-LD, microdata); blocks.py: repeated blocks
                   found and scored; fields.py: the rules chosen inside the winning blocks
    auto.py        a listing with no selectors: the strategies in order, and their report
    html.py        a listing page: its selectors or auto, then its further pages
    article.py     an article page: its story, for full_text sources (readability-lxml)
This module is the face: :func:`extract` and the names other modules use.
"""

from __future__ import annotations

from ..model import FetchResult, RawEntry, Source, SourceKind
from .article import main_content
from .base import MAX_AUTHORS, MAX_ENCLOSURES, MAX_LABELS, ExtractReport, PageFetcher
from .feed import extract_feed
from .html import extract_listing


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
        entries = extract_feed(source.id, result, max_items, report)
    else:
        entries = extract_listing(source, result, fetch_page)
    if max_items is not None and len(entries) > max_items:
        report.over_cap += len(entries) - max_items
        del entries[max_items:]
    return entries


__all__ = ["MAX_AUTHORS", "MAX_ENCLOSURES", "MAX_LABELS", "ExtractReport", "PageFetcher",
           "extract", "extract_feed", "extract_listing", "main_content"]
