"""Bytes -> raw entries, one module per kind of source.

Contract: ``extract(source, result)`` returns the :class:`~feedhub.model.RawEntry` list found in
``result.body`` or raises :class:`~feedhub.errors.ExtractError`. Nothing here is trusted or
cleaned yet: that is normalise's job.

The readers (feedparser, selectolax) are imported when first used, not with this package: a
build whose sources all answer 304 parses nothing, and every command starts faster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..model import FetchResult, RawEntry, Source, SourceKind

if TYPE_CHECKING:
    from .feed import extract_feed as extract_feed
    from .html import extract_listing as extract_listing


class PageFetcher(Protocol):
    """Fetches one more page of a listing (the next page); raises a SourceError on failure."""

    def __call__(self, url: str) -> FetchResult: ...


def extract(
    source: Source, result: FetchResult, fetch_page: PageFetcher | None = None
) -> list[RawEntry]:
    """``fetch_page`` fetches a listing's further pages (pagination); extract does no I/O."""
    if source.kind is SourceKind.FEED:
        from .feed import extract_feed

        return extract_feed(source.id, result)
    from .html import extract_listing

    return extract_listing(source, result, fetch_page)


def __getattr__(name: str) -> Any:
    if name == "extract_feed":
        from .feed import extract_feed

        return extract_feed
    if name == "extract_listing":
        from .html import extract_listing

        return extract_listing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PageFetcher", "extract", "extract_feed", "extract_listing"]
