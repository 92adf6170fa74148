"""When sources are due, fetching many at once, and each source's health for `feedhub status`.

Contract:
- :func:`due_at` / :func:`is_due` are pure: a source is due ``refresh`` after its last attempt
  (success or failure), and at once when it was never fetched.
- :func:`fetch_all` runs fetches in worker threads (fetching waits on the network) with at
  most ``concurrency`` at once and at most ``per_host`` per host, adding threads only while the
  caller waits for them, and yields each outcome on the caller's thread in the sources' order,
  so store writes stay on one thread (one transaction per source, made by the caller). A fetch
  that raises a :class:`SourceError` yields the error; any other exception is a bug and
  propagates. When the caller stops early, fetches not yet started are not started.
- :func:`source_statuses` reads the store; it never writes.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .errors import SourceError
from .model import Config, FetchResult, FetchSettings, Source
from .store import SourceState, Store


def due_at(state: SourceState, refresh: timedelta) -> datetime | None:
    """When the source is next due; None when it is due now because it was never fetched."""
    return state.last_attempt + refresh if state.last_attempt is not None else None


def is_due(state: SourceState, refresh: timedelta, now: datetime) -> bool:
    when = due_at(state, refresh)
    return when is None or when <= now


def host_of(source: Source) -> str:
    """The host a source is fetched from ("" for a local file)."""
    return (urlsplit(source.location).hostname or "").lower() if source.is_remote else ""


RAMP_AFTER = 0.02
"""Seconds the build waits for its next source before another fetch thread starts."""


def fetch_all(
    sources: Sequence[Source],
    fetch_one: Callable[[Source], FetchResult],
    settings: FetchSettings,
) -> Iterator[tuple[Source, FetchResult | SourceError]]:
    """Fetch every source concurrently within the bounds; yield (source, result or error) in
    the order of ``sources``, on the calling thread.

    The order is the config's, not completion order, so that the first build to meet a story
    on two sources always stores it from the same one: its id is then the same whichever
    server answered first. Fetches go on in the background while an earlier one is awaited.

    Fetch threads are added as the build needs them: one to begin with, and one more (up to
    ``concurrency``) each time the build has waited ``RAMP_AFTER`` for its next source. Threads
    only pay off while fetches wait on the network; when a server answers at once (on the
    same network, or a local mirror), fetching is Python work under the GIL, and each further
    thread only adds hand-overs. The 1,000 conditional GETs of a warm bench/build.py build
    (nginx on 127.0.0.1) took 0.39 s with eight threads started at once and two per host,
    0.27 s with threads added as needed, 0.23 s in a plain loop. A slow server makes the build
    wait, which adds the threads that overlap its answers."""
    if not sources:
        return
    fetching = _Fetching(sources, fetch_one, settings)
    try:
        for source in sources:
            yield source, fetching.result(source.id)
    finally:
        fetching.stop()


class _Fetching:
    """The fetch threads of one :func:`fetch_all`: per-host queues (each in config order) taken
    round-robin over the hosts that have room (fewer than ``per_host`` fetches running)."""

    def __init__(self, sources: Sequence[Source], fetch_one: Callable[[Source], FetchResult],
                 settings: FetchSettings) -> None:
        self._fetch_one = fetch_one
        self._per_host = settings.per_host
        self._most = max(1, min(settings.concurrency, len(sources)))
        self._queues: dict[str, deque[Source]] = defaultdict(deque)
        for source in sources:
            self._queues[host_of(source)].append(source)
        self._ready = deque(self._queues)
        """Hosts with queued sources and room for another fetch, in turn."""
        self._running: Counter[str] = Counter()
        self._done: dict[str, FetchResult | SourceError | BaseException] = {}
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._finished = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._stopped = False
        with self._lock:
            self._add_thread()

    def result(self, source_id: str) -> FetchResult | SourceError:
        with self._lock:
            while source_id not in self._done:
                if not self._finished.wait(RAMP_AFTER) and self._ready:
                    self._add_thread()
            outcome = self._done.pop(source_id)
        if isinstance(outcome, (FetchResult, SourceError)):
            return outcome
        raise outcome  # a bug in the fetcher, not the source's fault

    def stop(self) -> None:
        """Start no more fetches; wait for those running (a fetch ends by its deadline)."""
        with self._lock:
            self._stopped = True
            self._work.notify_all()
        for thread in self._threads:
            thread.join()

    def _add_thread(self) -> None:
        if len(self._threads) < self._most:
            thread = threading.Thread(target=self._run, daemon=True,
                                      name=f"feedhub-fetch-{len(self._threads) + 1}")
            self._threads.append(thread)
            thread.start()

    def _take(self) -> tuple[str, Source] | None:
        """The next source to fetch (lock held), or None when no host has room."""
        if not self._ready:
            return None
        host = self._ready.popleft()
        queue = self._queues[host]
        source = queue.popleft()
        self._running[host] += 1
        if queue and (not host or self._running[host] < self._per_host):
            self._ready.append(host)  # local files ("" host) are not limited per host
        return host, source

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._stopped:
                        return
                    taken = self._take()
                    if taken is not None:
                        break
                    if not any(self._queues.values()):
                        return  # nothing left to fetch
                    self._work.wait()  # every host with sources left is at per_host
            host, source = taken
            outcome: FetchResult | SourceError | BaseException
            try:
                outcome = self._fetch_one(source)
            except SourceError as exc:
                outcome = exc
            except BaseException as exc:  # a bug: raised again on the build's thread
                outcome = exc
            with self._lock:
                self._done[source.id] = outcome
                self._running[host] -= 1
                if host and self._queues[host] and self._running[host] == self._per_host - 1:
                    self._ready.append(host)  # it was full, so it was not in the turn
                    self._work.notify()
                self._finished.notify()


@dataclass(frozen=True)
class SourceStatus:
    """One source's health and schedule, as `feedhub status` shows it."""

    id: str
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str
    """The error of the last failed fetch, even if a success followed (see ``failures``)."""
    last_error_at: datetime | None
    failures: int
    """Consecutive failures (0 after a success)."""
    items: int
    """Items in the store that came from this source."""
    next_due: datetime | None
    """When `feedhub build` fetches it next (None: at the next build)."""
    unmatched_labels: tuple[str, ...] = ()
    """Labels of its last good fetch that no category matched (items went to the default)."""


def source_statuses(config: Config, store: Store) -> list[SourceStatus]:
    """Every configured source's status, in config order."""
    out = []
    for source in config.sources:
        state = store.source_state(source.id)
        out.append(SourceStatus(
            id=source.id,
            last_success=state.last_success,
            last_attempt=state.last_attempt,
            last_error=state.last_error,
            last_error_at=state.last_error_at,
            failures=state.failures,
            items=state.item_count,
            next_due=due_at(state, config.refresh_of(source)),
            unmatched_labels=state.unmatched_labels,
        ))
    return out
