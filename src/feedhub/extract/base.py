"""What every extractor shares: the per-entry caps, the report of what was left out, and the
protocol through which a listing asks for its next page.

It sits below the extractors (feed, jsonfeed, xmltrim, html) and the package's face
(``feedhub.extract``), which re-exports every name here. Must not: import an extractor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..model import FetchResult

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
