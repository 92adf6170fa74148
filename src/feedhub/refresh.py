"""Background refresh inside the web server: rebuild every ``serve.refresh`` seconds.

Contract:
- A turn builds only when the last finished build (any process's, read from the store) is at
  least one interval old, and only when it gets the build lock at once (``build_lock`` is an
  flock, so two workers, two gunicorn processes or a cron ``feedhub build`` never build at the
  same time): the others skip their turn. With N workers the feeds are still rebuilt about
  once per interval.
- Requests never see half a file: publish replaces every file atomically (write_atomic).
- A failed build (a store or publish error, or anything unexpected) is logged, recorded in the
  store as a crashed build (health.record_crash: /healthz then fails) with a redacted reason,
  and leaves the served files as they were; a failing source is isolated by the build itself.
- The thread is a daemon: it never keeps a stopping server alive. ``stop()`` ends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .errors import FeedhubError
from .health import record_crash
from .model import Config
from .pipeline import BuildLocked, BuildReport, build
from .store import open_store

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0
"""Longest sleep between two looks at whether a build is due (seconds)."""


class Refresher:
    """Rebuilds ``config`` in a background thread every ``interval`` seconds."""

    def __init__(
        self,
        config: Config,
        interval: int,
        *,
        builder: Callable[..., BuildReport] = build,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if interval <= 0:
            raise ValueError("the refresh interval must be a positive number of seconds")
        self.config = config
        self.interval = interval
        self.builder = builder
        self.clock = clock
        self.last_outcome = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self, now: datetime) -> bool:
        """Whether the last finished build is at least one interval old (or there is none)."""
        with open_store(self.config.store, self.config.root) as store:
            last = store.last_build()
        return last is None or now - last[0] >= timedelta(seconds=self.interval)

    def run_once(self) -> str:
        """One turn; returns what happened: built, built-with-errors, skipped (not due or
        locked by another build) or failed (the served files are unchanged)."""
        started = datetime.now(UTC)
        try:
            if not self.due(self.clock()):
                outcome = "skipped: not due"
            else:
                report = self.builder(self.config, wait_for_lock=False)
                failed = report.failed
                outcome = (f"built with {len(failed)} failing source(s)" if failed
                           else "built")
                log.info("background refresh: %s in %.1fs", outcome, report.seconds)
        except BuildLocked:
            outcome = "skipped: another build holds the lock"
        except Exception as exc:  # the thread must survive anything a build throws
            reason = record_crash(self.config, started, exc)
            outcome = f"failed: {reason}; the served feeds are unchanged"
            # A trace for the unexpected only; the log redacts it (feedhub.logs.Redact).
            log.error("background refresh %s", outcome,
                      exc_info=not isinstance(exc, FeedhubError))
        self.last_outcome = outcome
        return outcome

    def _loop(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(min(float(self.interval), CHECK_EVERY)):
                return

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="feedhub-refresh",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
