"""``feedhub worker``: one of several processes, on one or many machines, sharing the refresh
work of one store.

Each due source is claimed by exactly one worker with a lease in the store (PostgreSQL: a
``FOR UPDATE SKIP LOCKED`` claim; SQLite: its one-writer lock); a worker that dies loses its
leases when they expire and another worker takes the sources over. A refresh writes the items,
the source's state, its next due time and the lease release in one transaction, so it counts
once or not at all. When the refresh pass is quiet (nothing due, nothing leased) or a change
has waited ``publish_delay``, one worker publishes the feeds whose items changed, once
(sync.publish, under the store's publish lock).

A worker that stops on an error (the store, publishing) records it as a crashed build
(health.record_crash), so /healthz fails. Its lines show no secret (feedhub.redact).

Must not: keep state of its own between loops; everything shared lives in the store.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from .categories import CategoryMap
from .fetch import Fetcher, fetch
from .health import record_crash
from .logs import log_source
from .model import Config
from .pipeline import (
    SourceReport,
    build_source,
    publish_fingerprint,
    published_with,
    remember_published_with,
)
from .redact import redact_text
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


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    config: Config,
    settings: WorkerSettings,
    *,
    fetcher: Fetcher | None = None,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = print,
) -> int:
    """Work until ``stop`` is set (or, with ``once``, until nothing is due); returns how many
    refreshes this worker did. An error that stops it is recorded as a crashed build, then
    raised."""
    started = datetime.now(UTC)
    try:
        return _work(config, settings, fetcher, stop, log)
    except Exception as exc:
        record_crash(config, started, exc)
        raise


def _work(
    config: Config,
    settings: WorkerSettings,
    fetcher: Fetcher | None,
    stop: threading.Event | None,
    log: Callable[[str], None],
) -> int:
    owner = settings.owner or default_owner()
    stop = stop or threading.Event()
    categories = CategoryMap.from_categories(config.categories)
    ids = [source.id for source in config.sources]
    fetcher = fetcher or partial(fetch, limits=config.fetch.limits)
    done = 0
    pass_started: datetime | None = None
    refreshed = failed = 0
    with open_store(config.store, config.root, bulk_writes=True) as store:
        store.schedule_sources({
            source.id: int((settings.interval or config.refresh_of(source)).total_seconds())
            for source in config.sources})
        log(f"worker {owner}: {len(ids)} sources in {store.db.where}")
        publish_if_settings_changed(config, store)
        while not stop.is_set():
            now = datetime.now(UTC)
            claimed = store.claim_source(ids, owner, now, settings.lease)
            if claimed is not None:
                source = config.source(claimed)
                assert source is not None
                report = build_source(source, config.root, store, categories, now, fetcher,
                                      site=config.site, max_items=config.fetch.max_items)
                done += 1
                pass_started = pass_started or now
                refreshed += 1
                failed += 0 if report.ok else 1
                log(describe(owner, report))
                log_source(report)  # the same structured line as a build's (--log-format json)
                continue
            if publish_now(store, ids, now, settings.publish_delay):
                published = publish(config, store)
                if published is not None:
                    log(f"worker {owner}: published, {len(published.written)} file(s) changed")
                    continue
                # Another worker is publishing it right now.
            pending = store.refresh_pending(ids, now)
            if pass_started is not None and not pending and config.site.max_age_days:
                with store.transaction() as db:
                    pruned = store.prune(db, now - timedelta(days=config.site.max_age_days))
                if pruned:
                    log(f"worker {owner}: {pruned} item(s) older than site.max_age_days removed")
                    continue  # the feeds are dirty now: publish first
            if pass_started is not None and not pending and store.dirty_since() is None:
                # The pass this worker took part in is over and published: recorded like a
                # build, so /healthz and the web's filtered-feed cache see it.
                store.record_build(pass_started, now, failed == 0,
                                   f"worker {owner}: {failed} of {refreshed} refreshes failed")
                pass_started, refreshed, failed = None, 0, 0
            if settings.once and not pending:
                break
            stop.wait(wait_seconds(store, ids, now, settings.poll))
    return done


def publish_if_settings_changed(config: Config, store: Store) -> None:
    """A worker started with edited settings (a new category, a new feedhub) publishes once
    even though no item changed, as ``feedhub build`` does."""
    fingerprint = publish_fingerprint(config)
    if not published_with(config, store, fingerprint) and publish(config, store, force=True):
        remember_published_with(config, fingerprint)


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
