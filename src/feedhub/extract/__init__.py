"""Bytes -> raw entries, one module per kind of source.

Contract: ``extract(source, result)`` returns the :class:`~feedhub.model.RawEntry` list found in
``result.body`` or raises :class:`~feedhub.errors.ExtractError`. Nothing here is trusted or
cleaned yet: that is normalise's job.
"""

from __future__ import annotations

from ..model import FetchResult, RawEntry, Source, SourceKind
from .feed import extract_feed
from .html import extract_listing


def extract(source: Source, result: FetchResult) -> list[RawEntry]:
    if source.kind is SourceKind.FEED:
        return extract_feed(source.id, result)
    return extract_listing(source, result)


__all__ = ["extract", "extract_feed", "extract_listing"]
