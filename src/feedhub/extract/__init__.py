"""Bytes -> raw entries, one module per kind of source.

Contract: ``extract(source, result)`` returns the :class:`~feedhub.model.RawEntry` list found in
``result.body`` or raises :class:`~feedhub.errors.ExtractError`. Nothing here is trusted or
cleaned yet: that is normalise's job.
"""

from __future__ import annotations

from ..model import FetchResult, RawEntry, Source, SourceKind
from .feed import extract_feed
from .html import PageFetcher, extract_listing


def extract(
    source: Source, result: FetchResult, fetch_page: PageFetcher | None = None
) -> list[RawEntry]:
    """``fetch_page`` fetches a listing's further pages (pagination); extract does no I/O."""
    if source.kind is SourceKind.FEED:
        return extract_feed(source.id, result)
    return extract_listing(source, result, fetch_page)


__all__ = ["PageFetcher", "extract", "extract_feed", "extract_listing"]
