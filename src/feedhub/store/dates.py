"""How the store writes dates and reads them back, repairing a row's dates that cannot be read.

Dates are stored as fixed-width UTC ISO 8601 text (four-digit years: year 1 is "0001"), so
text order is time order. Reading never fails on one row's dates: a date that cannot be read,
or that no story carries, is read as a safe one and logged with the item's id
(:func:`item_dates`); migration 9 repairs the rows older versions wrote that way.

Must not: run queries (the query modules hand it the texts they read).
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from ..dates import MIN_YEAR, is_story_date

log = logging.getLogger("feedhub.store")
"""The store's logger (its name is the package's: logging configuration and filters use it)."""


@functools.lru_cache(maxsize=8192)
def format_date(value: datetime) -> str:
    # Cached: a build stores the same few instants (its ``now``, shared stories' dates) many
    # times. Equal aware datetimes are the same instant, so they share one UTC text.
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
    # isoformat pads every year to four digits, so the text keeps its width (and text order
    # stays time order) down to year 1. strftime("%Y") did not on Linux: year 1 was written
    # "1-01-01T...", which fromisoformat cannot read back.
    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_stored_date(text: str) -> datetime:
    # Only format_date writes these. fromisoformat reads them ~100x faster than strptime
    # (Python 3.11 takes the "Z"): publishing reads every item's dates (bench/build.py).
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def opt_date(text: str) -> datetime | None:
    """A stored date of a column that may be empty ('': none)."""
    return parse_stored_date(text) if text else None


def _read_date(text: object) -> datetime | None:
    """A stored date, or None when the row holds no readable one."""
    try:
        return parse_stored_date(str(text))
    except (ValueError, OverflowError):
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""First seen of a row whose first_seen and last_seen are both unreadable (no feedhub wrote
such a row: it was edited by hand)."""


def item_dates(item_id: str, published: object, updated: object, first_seen: object,
               last_seen: object) -> tuple[datetime, datetime, datetime]:
    """(published, updated, first_seen) of a stored row, repaired where the row holds a date
    that cannot be read or that no story carries (written by an older feedhub, or by hand):
    one bad row must not stop every build and every filtered feed. A bad published date
    becomes first_seen (as normalise dates an undated story), a bad updated date the published
    one; each repair is logged with the item's id. Migration 5 repairs such rows for good."""
    try:
        when = parse_stored_date(str(published))
        changed = parse_stored_date(str(updated))
        seen = parse_stored_date(str(first_seen))
    except ValueError:
        pass
    else:  # every row feedhub writes: checked without a call (publishing reads every item)
        if when.year >= MIN_YEAR and seen.year >= MIN_YEAR and when <= changed and (
                when <= seen or is_story_date(when, seen)):
            return when, changed, seen
    return _repaired_dates(item_id, published, updated, first_seen, last_seen)


def _repaired_dates(item_id: str, published: object, updated: object, first_seen: object,
                    last_seen: object) -> tuple[datetime, datetime, datetime]:
    seen = _read_date(first_seen)
    if seen is None or seen.year < MIN_YEAR:
        seen = _read_date(last_seen)
        if seen is None or seen.year < MIN_YEAR:
            seen = _EPOCH
        _repaired(item_id, "first_seen", first_seen, seen)
    when = _read_date(published)
    if when is None or not is_story_date(when, seen):
        _repaired(item_id, "published", published, seen)
        when = seen
    changed = _read_date(updated)
    if changed is None or changed.year < MIN_YEAR:
        _repaired(item_id, "updated", updated, when)
    return when, max(changed or when, when), seen


def _repaired(item_id: str, column: str, text: object, value: datetime) -> None:
    log.warning("item %s: its stored %s %r is unreadable or no story's date; read as %s",
                item_id, column, str(text), value.isoformat(),
                extra={"fields": {"item": item_id, "column": column, "stored": str(text)}})
