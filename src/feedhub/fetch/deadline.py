"""One deadline for a whole fetch, and the attempt under way on this thread.

Contract: a fetch's :class:`Deadline` covers everything it does (connects, redirects, body,
retries); :meth:`Deadline.cap` cuts any one wait to the time left. The :class:`Attempt` under
way on the calling thread (:func:`current_attempt`) is how a socket finds the deadline to obey:
a pooled connection may have been opened by another fetch, so it reads the deadline of
whichever fetch is using it now, never that of the fetch that opened it. A fetch runs on one
thread from start to end (schedule.fetch_all gives each its own worker).

Trap: httpcore's read timeout is per socket read; it does not bound a whole body. So every
socket operation's timeout is cut to the time left (see :mod:`feedhub.fetch.guard`), and a
server that drips one byte a second, or sends headers and then nothing, cannot stretch it.

This module only keeps time; it opens nothing and must not import httpcore.
"""

from __future__ import annotations

import threading
import time

__all__ = ["Attempt", "Deadline", "current_attempt", "set_current_attempt"]


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def cap(self, timeout: float | None, error: type[Exception]) -> float:
        """``timeout`` cut to the time left; raises ``error`` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise error(f"the {self.seconds:g}s deadline has passed")
        return left if timeout is None else min(timeout, left)


class Attempt:
    """One attempt of the fetch running on this thread: its deadline (the whole fetch's), and
    whether the request it sent last went out on a connection an earlier attempt opened."""

    __slots__ = ("deadline", "reused")

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.reused = False


_current = threading.local()
"""``attempt``: the :class:`Attempt` under way on this thread."""


def current_attempt() -> Attempt | None:
    """The attempt under way on this thread, None outside a fetch."""
    attempt: Attempt | None = getattr(_current, "attempt", None)
    return attempt


def set_current_attempt(attempt: Attempt | None) -> None:
    """Make ``attempt`` the one under way on this thread (None: no fetch is)."""
    _current.attempt = attempt
