"""How long to wait before asking a server again: backoff between retries, and Retry-After.

Contract: pure functions of their arguments (the time is passed in). A fetch retries
timeouts, dropped connections, 5xx and 429 with exponential backoff and jitter
(:func:`backoff_delay`), honouring Retry-After, seconds or HTTP-date
(:func:`retry_after_seconds`), but never past its deadline. A server's Retry-After is also kept
between builds, at most ``MAX_RETRY_AFTER`` (:func:`asked_to_wait`): the FetchError carries it,
and the store keeps the source from being asked again before it.

No I/O, no clock, no sleeping: the retry loop itself is in :mod:`feedhub.fetch.http`.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

__all__ = ["MAX_RETRY_AFTER", "asked_to_wait", "backoff_delay", "retry_after_seconds"]

MAX_RETRY_AFTER = timedelta(days=1)
"""The longest Retry-After kept between builds: a server asking for more (a week, a date next
year) is asked again after a day, so that a wrong header cannot switch a source off."""


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), None if invalid."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, base: float, rand: float) -> float:
    """Wait before retry number ``retry`` (1, 2, ...): ``base * 2**(retry-1)``, jittered into
    its upper half by ``rand`` in [0, 1) so that many clients do not retry in step."""
    full = base * 2.0 ** (retry - 1)
    return full / 2 + full / 2 * rand


def asked_to_wait(seconds: float | None) -> timedelta | None:
    """A server's Retry-After as the wait the store keeps (at most ``MAX_RETRY_AFTER``)."""
    if seconds is None:
        return None
    return min(timedelta(seconds=seconds), MAX_RETRY_AFTER)
