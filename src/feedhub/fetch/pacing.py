"""Spacing of requests to one host: at least ``fetch.per_host_interval`` seconds apart.

Contract: :func:`wait_turn` returns when the calling thread may send its request to ``host``:
at least ``interval`` seconds after the previous request to that host was allowed to go out,
whichever source or thread sent it. It holds a lock only to book a time, never while it
sleeps, so requests to other hosts are never held up. A turn that would come after the fetch's
deadline is not booked: :class:`TooLate` says how long it would have been.

This sits beside the concurrency bound (``fetch.per_host``, in :mod:`feedhub.schedule`): that
one bounds how many fetches of a host run at once, this one how often a host is asked. Every
request counts: robots.txt, retries, redirect hops and next pages. Hosts are compared as the
request names them (lower case), without the port.
"""

from __future__ import annotations

import os
import threading
import time

from .deadline import Deadline

__all__ = ["TooLate", "forget_turns", "wait_turn"]


class TooLate(Exception):
    """The host's next free turn comes after the fetch's deadline."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"{wait:.1f}s")
        self.wait = wait


class _Turns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        """host -> time.monotonic() from when its next request may go out."""

    def book(self, host: str, interval: float, deadline: Deadline) -> float:
        """Book the host's next turn; the seconds to wait for it."""
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next.get(host, now))
            wait = turn - now
            if wait > 0 and wait >= deadline.remaining():
                raise TooLate(wait)
            self._next[host] = turn + interval
            if len(self._next) > 4096:  # hosts whose turn has come need no memory
                self._next = {h: t for h, t in self._next.items() if t > now}
            return wait

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._next = {}


_turns = _Turns()
os.register_at_fork(after_in_child=_turns.forget)


def wait_turn(host: str, interval: float, deadline: Deadline) -> None:
    """Sleep until ``host`` may be asked again (see the module docstring); no-op when
    ``interval`` is 0. Raises :class:`TooLate` when that is past ``deadline``."""
    if interval <= 0:
        return
    wait = _turns.book(host.lower(), interval, deadline)
    if wait > 0:
        time.sleep(wait)


def forget_turns() -> None:
    """Forget every host's last request (tests start from none)."""
    _turns.forget()
