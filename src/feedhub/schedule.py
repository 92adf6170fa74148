"""When sources are due, fetching many at once, and each source's health for `feedhub status`.

Contract:
- :func:`due_at` / :func:`is_due` are pure: a source is due ``refresh`` after its last attempt
  (success or failure; longer after failures in a row, see ``store.interval_after``, and not
  before the Retry-After of its last failure ends, see ``fetch.MAX_RETRY_AFTER``), and at
  once when it was never fetched or its settings changed since (an edited sources.yaml is
  applied by the next build; see :func:`settings_hash` and :func:`stored_body`).
- :func:`fetch_all` fetches on the caller's thread while fetches are quick, and in worker
  threads (fetching waits on the network) once fetches keep the caller waiting (or from the
  start, with ``thread_at_once``), with at most ``concurrency`` at once and at most
  ``per_host`` per host, adding threads only while the caller waits; it yields each outcome
  on the caller's thread in the sources' order, so store writes stay on one thread (one
  transaction per source, made by the caller). A fetch
  that raises a :class:`SourceError` yields the error; any other exception is a bug and
  propagates. When the caller stops early, fetches not yet started are not started.
- :func:`next_due` is the one answer to "when is this source due?" shown to people (`feedhub
  status`, ``/status.json``); :func:`source_statuses` reads the store; it never writes.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from .categories import CategoryMap
from .errors import SourceError
from .incidents import is_stale
from .model import Config, FetchResult, FetchSettings, Source
from .store import ArticleCounts, Drift, SourceState, Store, interval_after

_LATER_KEYS = (("render", "static"), ("full_text", False), ("content_selector", ""))
"""Settings that change how a body is read, added after sources' hashes were first stored."""


def settings_hash(source: Source, categories: CategoryMap) -> str:
    """Hash of the settings that read a source. Stored with the body hash, so that editing the
    source's selectors or timezone, or the category labels, re-reads an unchanged body."""
    text = repr((source, sorted(categories.by_label.items())))
    # Keys added later join the hash only when set, so upgrading re-reads no other source.
    for name, default in _LATER_KEYS:
        value = getattr(source, name)
        if value != default:
            text += f" {name}={value!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stored_body(state: SourceState, settings: str) -> bool:
    """Whether the store holds what the source's last good body gave with these settings (its
    settings_hash): if not, whatever the source answers is parsed.

    The body hash is ``settings:dates:body`` (see pipeline.body_hash); ``body`` is empty when
    the source failed since its settings changed (nothing read with them yet)."""
    return state.body_hash.startswith(settings + ":") and not state.body_hash.endswith(":")


def settings_changed(state: SourceState, settings: str) -> bool:
    """Whether the source was last read (or, failing, tried) with other settings than these."""
    return bool(settings and state.body_hash) and not state.body_hash.startswith(settings + ":")


def due_at(state: SourceState, refresh: timedelta, settings: str = "") -> datetime | None:
    """When the source is next due; None when it is due now: it was never fetched, or its
    ``settings`` (its :func:`settings_hash`, when given) changed since it was last tried."""
    if state.last_attempt is None or settings_changed(state, settings):
        return None
    due = state.last_attempt + interval_after(refresh, state.failures)
    if state.failures and state.retry_after is not None:
        return max(due, state.retry_after)
    return due


def next_due(config: Config, source: Source, state: SourceState,
             categories: CategoryMap) -> datetime | None:
    """When ``source`` is next due by its configured ``refresh`` (None: now), as `feedhub
    status`, ``/status.json`` and a build's "not due until" all say it: :func:`due_at` with
    the source's settings. A worker's ``--every`` is its own override and not shown here."""
    return due_at(state, config.refresh_of(source), settings_hash(source, categories))


def put_off_by_server(state: SourceState, refresh: timedelta) -> bool:
    """Whether the server's Retry-After, not the source's interval, says when it is due."""
    if state.last_attempt is None or not state.failures or state.retry_after is None:
        return False
    return state.retry_after > state.last_attempt + interval_after(refresh, state.failures)


def is_due(state: SourceState, refresh: timedelta, now: datetime, settings: str = "") -> bool:
    when = due_at(state, refresh, settings)
    return when is None or when <= now


def host_of(source: Source) -> str:
    """The host a source is fetched from ("" for a local file)."""
    return (urlsplit(source.location).hostname or "").lower() if source.is_remote else ""


RAMP_AFTER = 0.02
"""Seconds of waiting on the network after which another fetch thread starts: the build waiting
that long at once for its next source (or in a fetch it makes itself) while the process
computed nothing, or fetches waiting that long in all, ``WAITING_PER_CPU`` times what they
computed, since the last thread started."""
WAITING_PER_CPU = 4
"""How many times their CPU time fetches must have waited (not computed) to count as waiting on
the network. A 304 from nginx on 127.0.0.1 waits a tenth of its CPU time; while a cold build's
parse workers keep every core busy, fetches wait 1.2-2.5x their CPU time for a core (measured
on the benchmark's N=250 corpus, 2 cores); a server 5 ms away makes a fetch wait 10-50x."""
AHEAD_PER_THREAD = 16
"""How far past the source the build waits for the threads may fetch, per thread allowed."""


def fetch_all(
    sources: Sequence[Source],
    fetch_one: Callable[[Source], FetchResult],
    settings: FetchSettings,
    *,
    thread_at_once: bool = False,
) -> Iterator[tuple[Source, FetchResult | SourceError]]:
    """Fetch every source concurrently within the bounds; yield (source, result or error) in
    the order of ``sources``, on the calling thread.

    The order is the config's, not completion order, so that the first build to meet a story
    on two sources always stores it from the same one: its id is then the same whichever
    server answered first. Once there are fetch threads, fetches go on in the background while
    an earlier one is awaited.

    Fetch threads are added as the build needs them. At first the caller's thread fetches
    each source itself when it asks for it. While the build waits for a fetch (its own or,
    later, a thread's), a thread starts (up to ``concurrency``) when it has waited
    ``RAMP_AFTER`` at once while the process computed nothing (a garbage collection is no
    wait on the network), or when fetches have waited ``RAMP_AFTER`` in all since the last
    thread started, ``WAITING_PER_CPU`` times what they computed (waiting on the network, not
    for a core): servers ~10 ms away never keep the build waiting 20 ms at once, and fetching
    them one at a time would take ten times as long.
    Threads only pay off while fetches wait on the network; when a server answers at once (on
    the same network, or a local mirror), fetching is Python work under the GIL (a 304 from
    nginx on 127.0.0.1: ~0.2 ms computing, ~0.05 ms waiting), and every thread only adds
    hand-overs.
    The 1,000 conditional GETs of a warm bench/build.py build (nginx on 127.0.0.1) took 0.39 s
    with eight threads started at once and two per host, 0.27 s with threads added as needed
    from one, 0.23 s in a plain loop; a warm 250-source build spent ~20 ms less with its
    fetches on its own thread than with one fetch thread. A slow server makes the build wait,
    which adds the threads that overlap its answers; the cost is the first slow fetch, which
    the build made alone.

    With ``thread_at_once`` one fetch thread starts with the first source: for a caller with
    work of its own to overlap with the fetches (a first build parses and stores every body;
    its thread's SQLite writes release the GIL). Cold N=1000 bench/build.py builds took ~2%
    longer with the fetches on the build's thread (four alternating pairs, each pair alike)."""
    if not sources:
        return
    fetching = _Fetching(sources, fetch_one, settings, thread_at_once)
    try:
        for place, source in enumerate(sources):
            yield source, fetching.result(place)
    finally:
        fetching.stop()


class _Fetching:
    """The fetch threads of one :func:`fetch_all`. Each host's sources wait in a queue in
    config order; a thread takes the lowest-placed source among the hosts with room (fewer than
    ``per_host`` fetches running), and only within ``AHEAD`` places of the source the build
    waits for, so that fetched bodies do not pile up when the build stores more slowly than
    it fetches: in a cold N=1000 bench/build.py build up to 863 bodies (22 MB) waited for the
    build, now at most 128 (3 MB)."""

    def __init__(self, sources: Sequence[Source], fetch_one: Callable[[Source], FetchResult],
                 settings: FetchSettings, thread_at_once: bool = False) -> None:
        self._fetch_one = fetch_one
        self._per_host = settings.per_host
        self._most = max(1, min(settings.concurrency, len(sources)))
        self._ahead = AHEAD_PER_THREAD * self._most
        self._queues: dict[str, deque[tuple[int, Source]]] = defaultdict(deque)
        for n, source in enumerate(sources):
            self._queues[host_of(source)].append((n, source))
        self._ready = [(queue[0][0], host) for host, queue in self._queues.items()]
        """(place of its next source, host) of the hosts with room: a heap."""
        heapq.heapify(self._ready)
        self._left = len(sources)
        """Sources not taken by a thread yet."""
        self._waiting_for = 0
        """Place of the source the build waits for (or will ask for next)."""
        self._running: Counter[str] = Counter()
        self._done: dict[int, FetchResult | SourceError | BaseException] = {}
        """Outcomes not handed to the build yet, by place."""
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._finished = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._idle = 0
        """Threads waiting for a source they may take."""
        self._stopped = False
        self._blocked_since: float | None = None
        """time.monotonic() since when the build has waited for its next source (including a
        fetch it makes itself); None while it does other work."""
        self._blocked_cpu = 0.0
        """time.process_time() then: what the process computed since is no network wait."""
        self._inline = False
        """Whether the build's thread is fetching a source itself (it counts as a thread)."""
        self._io = 0.0
        """Seconds fetches finished since the last thread started spent not computing (on the
        network, or waiting for the GIL or a core)."""
        self._cpu = 0.0
        """Seconds of CPU those fetches took (each on its own thread's clock)."""
        self._ramp_wake = threading.Condition(self._lock)
        self._ramp = threading.Thread(target=self._ramp_up, daemon=True,
                                      name="feedhub-fetch-ramp")
        self._ramp.start()
        if thread_at_once:
            with self._lock:
                self._add_thread()

    def result(self, place: int) -> FetchResult | SourceError:
        """The outcome of the source at ``place`` in the sources (asked for in order)."""
        taken = None
        with self._lock:
            self._waiting_for = place
            if place not in self._done:
                self._block()
                if not self._threads:
                    # No thread yet: nothing else has taken a source, so the first ready one
                    # is the one at ``place``, and this thread fetches it.
                    taken = self._take()
                    self._inline = taken is not None
            if (self._idle and self._ready
                    and self._ready[0][0] < self._waiting_for + self._ahead // 2):
                # A thread waiting for the build to catch up resumes once half the window is
                # free, and then takes many sources in a row: waking it for each one that
                # became free handed the GIL over once a source.
                self._work.notify()
        if taken is not None:
            self._fetch(*taken)
        with self._lock:
            self._inline = False
            while place not in self._done:
                self._finished.wait()
            self._blocked_since = None
            outcome = self._done.pop(place)
        if isinstance(outcome, (FetchResult, SourceError)):
            return outcome
        raise outcome  # a bug in the fetcher, not the source's fault

    def stop(self) -> None:
        """Start no more fetches; wait for those running (a fetch ends by its deadline)."""
        with self._lock:
            self._stopped = True
            self._work.notify_all()
            self._ramp_wake.notify()
        self._ramp.join()
        for thread in self._threads:
            thread.join()

    def _ramp_up(self) -> None:
        """Add a fetch thread, while one may be added, when the build has waited ``RAMP_AFTER``
        at once or fetches have mostly waited on the network (:meth:`_network_bound`). A
        thread of its own, so that a build waiting in a slow fetch it made itself (on a server
        that answers only once others ask too, say) still gets threads."""
        with self._lock:
            while not self._stopped and self._left and len(self._threads) < self._most:
                since = self._blocked_since
                waited = 0.0 if since is None else self._waited_on_network(since)
                if (since is not None and (waited >= RAMP_AFTER or self._network_bound())
                        and len(self._threads) + self._inline < self._most
                        and self._can_take()):
                    self._add_thread()
                    self._block()
                    self._io = self._cpu = 0.0
                    waited = 0.0
                # Until the build will have waited RAMP_AFTER, if it is waiting now.
                timeout = RAMP_AFTER - waited if waited < RAMP_AFTER else RAMP_AFTER
                asleep = time.monotonic()
                self._ramp_wake.wait(timeout)
                if (self._blocked_since is not None
                        and time.monotonic() - asleep > timeout + RAMP_AFTER):
                    # This thread woke far later than it asked: the whole process stalled (a
                    # garbage collection, C code holding the GIL), the build's thread with it,
                    # which says nothing of the network. Its wait is counted again from now.
                    # A full collection in the second warm build of a long-running process
                    # (~0.12 s at N=4000) started fetch threads that only handed the GIL back
                    # and forth for the rest of the build.
                    self._block()

    def _block(self) -> None:
        """Count the build's wait from now (lock held)."""
        self._blocked_since = time.monotonic()
        self._blocked_cpu = time.process_time()

    def _waited_on_network(self, since: float) -> float:
        """Seconds the build has waited since ``since`` while no thread of the process computed
        (lock held). A garbage collection, or C code holding the GIL, pauses every thread, the
        build's fetch with it; a pause shorter than ``RAMP_AFTER`` makes this thread wake only
        a little late, so only the CPU time tells it apart from the network. In warm N=4000
        bench/build.py builds, a 31 ms full collection during the build's own fetch of the
        70th source started a fetch thread, which then took the GIL whenever the build's
        SQLite writes let it go: the build's store stage took 0.8 s instead of 0.2 s."""
        return max(0.0, (time.monotonic() - since) - (time.process_time() - self._blocked_cpu))

    def _network_bound(self) -> bool:
        """Whether fetches since the last thread started mostly waited on the network."""
        return self._io >= RAMP_AFTER and self._io > WAITING_PER_CPU * self._cpu

    def _add_thread(self) -> None:
        if len(self._threads) < self._most:
            thread = threading.Thread(target=self._run, daemon=True,
                                      name=f"feedhub-fetch-{len(self._threads) + 1}")
            self._threads.append(thread)
            thread.start()

    def _can_take(self) -> bool:
        """Whether a source may be fetched now (lock held)."""
        return bool(self._ready) and self._ready[0][0] < self._waiting_for + self._ahead

    def _take(self) -> tuple[str, int, Source] | None:
        """The next source to fetch, with its host and place (lock held), or None."""
        if not self._can_take():
            return None
        _, host = heapq.heappop(self._ready)
        queue = self._queues[host]
        place, source = queue.popleft()
        self._left -= 1
        self._running[host] += 1
        if queue and (not host or self._running[host] < self._per_host):
            # Local files ("" host) are not limited per host.
            heapq.heappush(self._ready, (queue[0][0], host))
        return host, place, source

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._stopped or not self._left:
                        return
                    taken = self._take()
                    if taken is not None:
                        break
                    self._idle += 1
                    self._work.wait()  # hosts full, or the build is AHEAD places behind
                    self._idle -= 1
            self._fetch(*taken)

    def _fetch(self, host: str, place: int, source: Source) -> None:
        """Fetch a source taken by :meth:`_take` and keep its outcome for the build."""
        outcome: FetchResult | SourceError | BaseException
        wall, cpu = time.monotonic(), time.thread_time()
        try:
            outcome = self._fetch_one(source)
        except SourceError as exc:
            outcome = exc
        except BaseException as exc:  # a bug: raised again on the build's thread
            outcome = exc
        cpu = time.thread_time() - cpu
        wall = time.monotonic() - wall
        with self._lock:
            was = self._network_bound()
            self._cpu += cpu
            self._io += max(0.0, wall - cpu)
            if not was and self._network_bound():
                self._ramp_wake.notify()
            self._done[place] = outcome
            self._running[host] -= 1
            queue = self._queues[host]
            if host and queue and self._running[host] == self._per_host - 1:
                # It was full, so it was not among the ready hosts.
                heapq.heappush(self._ready, (queue[0][0], host))
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
    dated_when_seen: int = 0
    """Items in the store dated when feedhub first saw them (no date on the page parsed)."""
    drift: Drift | None = None
    """The last read of a listing source fell short of its last good one (feedhub.drift),
    with the selectors automatic detection proposed; None when its reads are as they were."""
    newest_item: datetime | None = None
    """The date of its newest stored item (None: it has none)."""
    stale: bool = False
    """Its newest item is older than its stale_after (feedhub.incidents.is_stale)."""
    full_text: ArticleCounts | None = None
    """A ``full_text`` source's cached article pages: stories extracted, items that kept their
    own text and the latest reasons why (None: not a full_text source)."""


def source_statuses(config: Config, store: Store) -> list[SourceStatus]:
    """Every configured source's status, in config order."""
    out = []
    categories = CategoryMap.from_categories(config.categories)
    undated = store.dated_when_seen()
    drifts = store.drifts()
    newest = store.newest_item_dates()
    articles = store.article_counts()
    now = datetime.now(UTC)
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
            next_due=next_due(config, source, state, categories),
            unmatched_labels=state.unmatched_labels,
            dated_when_seen=undated.get(source.id, 0),
            drift=drifts.get(source.id),
            newest_item=newest.get(source.id),
            stale=is_stale(config, source, newest.get(source.id), now),
            full_text=articles.get(source.id, ArticleCounts()) if source.full_text else None,
        ))
    return out
