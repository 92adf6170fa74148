"""What a build tells: a :class:`SourceReport` per source and the :class:`BuildReport` around
them, as `feedhub build`, the worker, the web refresh and bench/build.py read them.

Must not: do any of the work it reports (pipeline.py, sourcetrip.py do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .publish import PublishReport
from .store import Drift


@dataclass
class SourceReport:
    """The outcome of one source in one build."""

    source_id: str
    found: int = 0
    new: int = 0
    updated: int = 0
    """Stored items that changed, were re-dated or joined another source's copy."""
    unchanged_body: bool = False
    error: str = ""
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds spent per stage (fetch, extract, normalise, store), for bench/build.py. Extract
    and normalise are measured where they ran (a worker process, see feedhub.parsing);
    ``parse_wait`` is what the build's thread then waited for that worker."""
    unmatched_labels: list[str] = field(default_factory=list)
    unparsed_dates: list[str] = field(default_factory=list)
    future_dates: list[str] = field(default_factory=list)
    """Dates too far ahead, clamped to the time feedhub first saw the item."""
    undated: int = 0
    """Entries with no date that parsed, dated when first seen (``unparsed_dates`` says which
    texts did not parse)."""
    ancient_dates: list[str] = field(default_factory=list)
    """Dates before year 1000 (placeholders such as 0001-01-01), replaced the same way."""
    next_due: datetime | None = None
    """Set when the source was skipped because it is not due until then."""
    failures: int = 0
    """With ``next_due``: the source's failures in a row, which put it off for longer
    (store.interval_after)."""
    retry_after: bool = False
    """With ``next_due``: the server's Retry-After put it off, not its interval."""
    over_cap: int = 0
    """Entries past ``fetch.max_items``, ignored."""
    warnings: list[str] = field(default_factory=list)
    """Parts of the body ignored, each a sentence (a second document, too many labels...)."""
    too_old: int = 0
    """New items older than the store's max age, not stored."""
    parsed_by: int = 0
    """Process id of the worker process that extracted and normalised it (0: the build's own
    process did, or nothing was parsed)."""
    drift: Drift | None = None
    """Set when this read of a listing source fell short of its last good one (feedhub.drift),
    with the selectors automatic detection proposes instead."""
    articles: int = 0
    """Items whose story was taken from their article page in this build (``full_text``)."""
    articles_kept: list[str] = field(default_factory=list)
    """``URL: reason`` of the items whose article page was fetched in this build but that kept
    their own text (the page failed, held no story, or gave no more text)."""
    articles_left: int = 0
    """Items whose article page waits for a later build (the per-build bound, or a failed
    fetch to try again)."""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class BuildReport:
    started: datetime
    sources: list[SourceReport] = field(default_factory=list)
    published: PublishReport = field(default_factory=PublishReport)
    seconds: float = 0.0
    publish_seconds: float = 0.0

    def stage_seconds(self) -> dict[str, float]:
        """Seconds per stage over all sources, publish included (where a build's time goes)."""
        total: dict[str, float] = {}
        for source in self.sources:
            for stage, seconds in source.stages.items():
                total[stage] = total.get(stage, 0.0) + seconds
        total["publish"] = self.publish_seconds
        return total
    pruned: int = 0
    """Items removed from the store for being older than ``site.max_age_days``."""
    worker_errors: list[str] = field(default_factory=list)
    """Why parse worker processes stopped early (the build went on without them)."""

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if not s.ok]
