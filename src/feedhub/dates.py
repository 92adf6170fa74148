"""Date text -> datetime. Pure functions; no clock.

A result without tzinfo means "local to the source"; normalise attaches the source's timezone.
Listing-page formats are tried first with strptime, then ISO 8601 and RFC 822 (the two feed
date formats). All of them are fast; no natural-language guessing (dateparser is ~200x slower).
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime

LISTING_FORMATS = (
    "%d %B %Y",  # 26 May 2021
    "%d %b %Y",  # 26 May 2021 (abbreviated)
    "%B %d, %Y",  # May 26, 2021
    "%b %d, %Y",
    "%d %B %Y %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%B %Y",
)

_SPACE = re.compile(r"\s+")


def parse_date(text: str, fmt: str = "") -> datetime | None:
    """Parse a date as written on a page or in a feed; None when nothing fits."""
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return None
    formats = (fmt,) if fmt else LISTING_FORMATS
    for candidate in formats:
        try:
            return datetime.strptime(text, candidate)
        except ValueError:
            continue
    if fmt:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
