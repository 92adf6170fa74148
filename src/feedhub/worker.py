"""``feedhub worker``: one of several processes, on one or many machines, sharing the refresh
work of one store.

Each due source is claimed by exactly one worker with a lease in the store (PostgreSQL: a
``FOR UPDATE SKIP LOCKED`` claim; SQLite: its one-writer lock); a worker that dies loses its
leases when they expire and another worker takes the sources over. A refresh writes the items,
the source's state, its next due time and the lease release in one transaction, so it counts
once or not at all. When the refresh pass is quiet (nothing due, nothing leased) or a change
has waited ``publish_delay``, one worker publishes the feeds whose items changed, once
(sync.publish, under the store's publish lock).

Every worker records its own part of each pass in the store's builds table (its name, when the
pass started and ended, sources refreshed and failed, whether and when it published), so
``/healthz`` and operators (:meth:`Store.last_passes`) see each worker's last pass, not only the
publisher's. A worker that stops on an error (the store, publishing) records it as a crashed
build (health.record_crash), so /healthz fails. Its lines show no secret (feedhub.redact).

Must not: keep state of its own between loops beyond the tally of the pass under way;
everything shared lives in the store.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from .categories import CategoryMap
from .fetch import Fetcher, fetch
from .health import record_crash
from .logs import log_source
from .model import Config
from .publish import PublishReport
from .published_with import publish_fingerprint, published_with, remember_published_with
from .redact import redact_text
from .render import Renderer
from .reports import SourceReport
from .sourcetrip import build_source
from .store import Store, open_store
from .sync import publish


@dataclass(frozen=True)
class WorkerSettings:
    owner: str = ""
    """Name in the store's leases (default host:pid)."""
    interval: timedelta | None = None
    """Least time between two refreshes of every source (None: each source's ``refresh``,
    else the config's ``fetch.refresh``)."""
    lease: timedelta = timedelta(minutes=5)
    """How long a claim lasts; must exceed the longest fetch. A dead worker's sources wait
    this long before another worker refreshes them."""
    poll: float = 5.0
    """Seconds between looks at the store when nothing is due."""
    publish_delay: timedelta = timedelta(seconds=60)
    """Publish even while refreshes continue, once a change has waited this long."""
    once: bool = False
    """Refresh what is due, publish, and return (for cron or tests)."""


@dataclass
class PassTally:
    """What this worker did in the refresh pass under way (mutable: counted as it works)."""

    started: datetime | None = None
    """When the pass began for this worker (None: no pass under way)."""
    refreshed: int = 0
    failed: int = 0
    published: datetime | None = None
    """When this worker's last publish of the pass finished."""
    publishes: int = 0
    written: int = 0
    """Feed files its publishes changed."""
    publish_seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage of its refreshes (fetch, extract, normalise, store), summed."""

    def count_refresh(self, report: SourceReport, now: datetime) -> None:
        self.started = self.started or now
        self.refreshed += 1
        self.failed += 0 if report.ok else 1
        for stage, seconds in report.stages.items():
            self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    def count_publish(self, report: PublishReport, seconds: float, now: datetime) -> None:
        self.started = self.started or now
        self.published = datetime.now(UTC)
        self.publishes += 1
        self.written += len(report.written)
        self.publish_seconds += seconds

    def summary(self, owner: str) -> str:
        published = (f"published {self.written} changed file(s) in {self.publish_seconds:.2f}s"
                     if self.published else "published by another worker or not at all")
        return (f"worker {owner}: {self.refreshed} source(s) refreshed, {self.failed} failed; "
                f"{published}")

    def record(self, store: Store, owner: str, now: datetime) -> str:
        """Store the finished pass in the builds table; returns its summary."""
        assert self.started is not None
        summary = self.summary(owner)
        store.record_build(self.started, now, self.failed == 0, summary, owner=owner,
                           refreshed=self.refreshed, failed=self.failed,
                           published=self.published)
        return summary


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    config: Config,
    settings: WorkerSettings,
    *,
    fetcher: Fetcher | None = None,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = print,
    on_pass: Callable[[PassTally], None] = lambda _: None,
) -> int:
    """Work until ``stop`` is set (or, with ``once``, until nothing is due); returns how many
    refreshes this worker did. ``on_pass`` is given each pass once it is recorded (where its
    time went, for bench/workers.py). An error that stops it is recorded as a crashed build,
    then raised."""
    started = datetime.now(UTC)
    try:
        return _work(config, settings, fetcher, stop, log, on_pass)
    except Exception as exc:
        record_crash(config, started, exc)
        raise


def _work(
    config: Config,
    settings: WorkerSettings,
    fetcher: Fetcher | None,
    stop: threading.Event | None,
    log: Callable[[str], None],
    on_pass: Callable[[PassTally], None],
) -> int:
    owner = settings.owner or default_owner()
    stop = stop or threading.Event()
    categories = CategoryMap.from_categories(config.categories)
    ids = [source.id for source in config.sources]
    fetcher = fetcher or partial(fetch, limits=config.fetch.limits)
    done = 0
    refreshed: set[str] = set()
    tally = PassTally()
    # One browser for the worker's render: browser sources, started by the first of them.
    with (open_store(config.store, config.root, bulk_writes=True) as store,
          Renderer(config.fetch.limits) as renderer):
        fetcher = renderer.fetcher(fetcher)
        store.schedule_sources({
            source.id: int((settings.interval or config.refresh_of(source)).total_seconds())
            for source in config.sources})
        log(f"worker {owner}: {len(ids)} sources in {store.db.where}")
        publishing = time.monotonic()
        forced = publish_if_settings_changed(config, store)
        if forced is not None:
            tally.count_publish(forced, time.monotonic() - publishing, datetime.now(UTC))
        while not stop.is_set():
            now = datetime.now(UTC)
            claimed = store.claim_source(ids, owner, now, settings.lease)
            if claimed is not None:
                source = config.source(claimed)
                assert source is not None
                report = build_source(source, config.root, store, categories, now, fetcher,
                                      site=config.site, max_items=config.fetch.max_items)
                done += 1
                refreshed.add(source.id)
                tally.count_refresh(report, now)
                log(describe(owner, report))
                log_source(report)  # the same structured line as a build's (--log-format json)
                continue
            if publish_now(store, ids, now, settings.publish_delay):
                publishing = time.monotonic()
                published = publish(config, store)
                if published is not None:
                    seconds = time.monotonic() - publishing
                    tally.count_publish(published, seconds, now)
                    log(f"worker {owner}: published, {len(published.written)} file(s) changed "
                        f"({seconds:.2f}s)")
                    continue
                # Another worker is publishing it right now.
            pending = store.refresh_pending(ids, now)
            if tally.started is not None and not pending and config.site.max_age_days:
                with store.transaction() as db:
                    pruned = store.prune(db, now - timedelta(days=config.site.max_age_days))
                if pruned:
                    log(f"worker {owner}: {pruned} item(s) older than site.max_age_days removed")
                    continue  # the feeds are dirty now: publish first
            if tally.started is not None and not pending:
                # The pass is over for this worker, published by it or by another worker (which
                # records its own pass): recorded like a build, so /healthz, operators and the
                # web's filtered-feed cache see it. Only the publisher's used to be recorded.
                log(tally.record(store, owner, now))
                on_pass(tally)
                tally = PassTally()
            if settings.once and not pending:
                report_not_refreshed(store, config, owner, refreshed, log)
                break
            stop.wait(wait_seconds(store, ids, now, settings.poll))
    return done


def report_not_refreshed(store: Store, config: Config, owner: str, refreshed: set[str],
                         log: Callable[[str], None]) -> None:
    """The end of ``--once``: each source this worker did not refresh gets the "not-due" log
    line a build gives it (shown with -v, as a build's are), with the time the workers' schedule
    has for it; and when it refreshed none, one line that says so and when the next is due."""
    states = store.source_states()
    skipped = [s.id for s in config.sources if s.id not in refreshed]
    for source_id in skipped:
        state = states.get(source_id)
        log_source(SourceReport(source_id, found=state.item_count if state else 0,
                                next_due=store.next_due([source_id]),
                                failures=state.failures if state else 0))
    if skipped and not refreshed:
        due = store.next_due(skipped)
        log(f"worker {owner}: no source was due"
            + (f"; the next is due at {due:%Y-%m-%d %H:%M:%S} UTC" if due else ""))


def publish_if_settings_changed(config: Config, store: Store) -> PublishReport | None:
    """A worker started with edited settings (a new category, a new feedhub) publishes once
    even though no item changed, as ``feedhub build`` does; returns what it published."""
    fingerprint = publish_fingerprint(config)
    if published_with(config, store, fingerprint):
        return None
    published = publish(config, store, force=True)
    if published is not None:
        remember_published_with(config, fingerprint)
    return published


def publish_now(store: Store, ids: list[str], now: datetime, delay: timedelta) -> bool:
    """Items changed, and either the refresh pass is over or the change waited ``delay``."""
    dirty = store.dirty_since()
    if dirty is None:
        return False
    return now - dirty >= delay or not store.refresh_pending(ids, now)


def wait_seconds(store: Store, ids: list[str], now: datetime, poll: float) -> float:
    due = store.next_due(ids)
    if due is None:
        return poll
    return max(0.05, min(poll, (due - now).total_seconds()))


def describe(owner: str, report: SourceReport) -> str:
    outcome = "ok" if report.ok else f"ERROR: {redact_text(report.error)}"
    return (f"worker {owner}: {report.source_id}: {report.found} found, {report.new} new, "
            f"{report.updated} updated, {outcome} ({report.seconds:.2f}s)")
