"""build(): config -> fetch -> extract -> normalise -> store -> publish, the walk over sources.

Large builds extract and normalise in worker processes (feedhub.parsing) while this thread
stores; items are still stored one source at a time, in config order.

A failing source is recorded and skipped: the other sources build, and its last good items
stay in the store and so in the feeds. Only a store or publish failure stops the build, and
then the previous feed files stay as they were.

The walk is here; each concept it walks through has a module of its own:

- sourcefetch.py: how one source is fetched (validators, guarded errors, further pages);
- sourcetrip.py: one source's trip: fetched, parsed, its items stored, or its failure;
- merge.py: a fresh item's stored self, found and combined with it;
- published_with.py: whether the output folder holds what a publish would write;
- reports.py: what a build tells (a SourceReport per source, the BuildReport).

Must not: store or publish by itself (store and sync do), nor decide a source's items.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from .categories import CategoryMap
from .errors import FeedhubError
from .fetch import Fetcher, Validators, fetch
from .logs import LOGGER, log_source
from .merge import find_stored, remember
from .model import Config, Source
from .parsing import Parsed, ParsePool, parse_body
from .processes import default_processes
from .publish import PublishReport
from .published_with import (
    PUBLISH_MARK,
    all_exist,
    publish_fingerprint,
    published_with,
    remember_published_with,
)
from .render import Renderer
from .reports import BuildReport, SourceReport
from .schedule import due_at, fetch_all, is_due, put_off_by_server, settings_hash, stored_body
from .sourcefetch import guarded, page_fetcher, prefetched, validators_for
from .sourcetrip import Begun, FetchClock, begin_source, build_source, finish_source
from .store import SourceState, open_store
from .sync import publish

__all__ = [
    "PUBLISH_MARK", "BuildLocked", "BuildReport", "SourceReport", "all_exist", "build",
    "build_lock", "build_source", "find_stored", "page_fetcher", "publish_fingerprint",
    "published_with", "remember", "remember_published_with",
]
"""Besides the walk, the names callers have imported from here (their modules are above)."""


class BuildLocked(FeedhubError):
    """Another build holds the lock."""


@contextmanager
def build_lock(config: Config, wait: bool = True) -> Iterator[None]:
    """One build at a time per output folder, across processes (an flock on a lock file)."""
    path = config.output_dir / ".build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise BuildLocked(f"another build is running (lock {path})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(
    config: Config,
    *,
    now: datetime | None = None,
    fetcher: Fetcher | None = None,
    only: set[str] | None = None,
    wait_for_lock: bool = True,
    due_only: bool = False,
    progress: Callable[[SourceReport, int, int], None] | None = None,
    processes: int | None = None,
) -> BuildReport:
    """Run a full build. ``now`` is injectable so tests control first-seen dates.

    With ``wait_for_lock=False`` it raises :class:`BuildLocked` at once when another build
    holds the lock (the server's background refresh skips a turn then). With ``due_only``
    (`feedhub build` without --force), a source fetched less than its ``refresh`` ago is
    skipped and reported with its ``next_due``. Sources are fetched concurrently (within
    ``config.fetch``). When many bodies need parsing, up to ``processes`` worker processes
    (default :func:`~feedhub.processes.default_processes`, ``FEEDHUB_PROCESSES``) extract and
    normalise them (:mod:`feedhub.parsing`); the store is written on this thread only, one
    source at a time in config order, and ``progress(report, done, total)`` is called after
    each."""
    now = now or datetime.now(UTC)
    report = BuildReport(started=now)
    clock = time.monotonic()
    categories = CategoryMap.from_categories(config.categories)
    processes = default_processes() if processes is None else processes
    with (build_lock(config, wait=wait_for_lock),
          open_store(config.store, config.root, bulk_writes=True) as store,
          Renderer(config.fetch.limits) as renderer):
        _remove_stale_temp_files(config.output_dir)
        # One browser for the build's render: browser sources, started by the first of them.
        real_fetcher = guarded(renderer.fetcher(
            fetcher or partial(fetch, limits=config.fetch.limits)))
        due: list[Source] = []
        validators: dict[str, Validators] = {}
        states: dict[str, SourceState] = {}
        settings: dict[str, str] = {}
        # Due sources with nothing stored from their body under these settings: whatever
        # they answer is parsed.
        unstored: set[str] = set()
        known = store.source_states()
        for source in config.sources:
            if only is not None and source.id not in only:
                continue
            state = known.get(source.id) or SourceState(id=source.id)
            # An edited source is due at once: the next build applies the edit.
            settings[source.id] = settings_hash(source, categories)
            if due_only and not is_due(state, config.refresh_of(source), now,
                                       settings[source.id]):
                del settings[source.id]
                report.sources.append(SourceReport(source.id, found=state.item_count,
                                                   next_due=due_at(state,
                                                                   config.refresh_of(source)),
                                                   failures=state.failures,
                                                   retry_after=put_off_by_server(
                                                       state, config.refresh_of(source))))
                continue
            due.append(source)
            # Read here: the store is used from this thread only. Nothing writes a source's
            # state before begin_source, which is handed this read.
            states[source.id] = state
            validators[source.id] = validators_for(source, state, categories,
                                                   settings[source.id])
            if not stored_body(state, settings[source.id]):
                unstored.add(source.id)
        # A first build (most bodies new) parses and stores every body: a fetch thread from
        # the start overlaps the fetches with that. Otherwise the build fetches on its own
        # thread until fetches wait (see fetch_all).
        fetch_clock = FetchClock()
        fetched = fetch_all(
            due, fetch_clock.timing(lambda s: real_fetcher(s, config.root, validators[s.id])),
            config.fetch,
            thread_at_once=2 * len(unstored) >= len(due) > 0)
        own_fetcher = fetcher is not None
        eligible = [s for s in due if ParsePool.eligible(s, own_fetcher)]
        pool = ParsePool(categories, processes, expected=len(eligible),
                         certain=sum(s.id in unstored for s in eligible))
        # Sources between their fetch and their store write, oldest first: with worker
        # processes, later bodies are parsed while this thread stores earlier ones, and every
        # store write still happens in config order (ids never depend on who finishes first).
        pending: deque[Begun | SourceReport] = deque()

        def finish_oldest() -> None:
            begun = pending.popleft()
            if isinstance(begun, SourceReport):
                done_report = begun
            else:
                source = begun.source

                def here(source: Source = source, begun: Begun = begun) -> Parsed:
                    return parse_body(source, begun.fetched, categories, now,
                                      config.fetch.max_items,
                                      page_fetcher(source, config.root, prefetched(
                                          source, begun.fetched, real_fetcher)))

                waiting = time.monotonic()
                parsed = pool.result(begun.parsing, here)
                if parsed.worker:
                    begun.report.stages["parse_wait"] = time.monotonic() - waiting
                done_report = finish_source(begun, parsed, store, now, site=config.site)
            report.sources.append(done_report)
            stored()
            if progress is not None:
                progress(done_report, len(report.sources) - skipped, len(due))

        skipped = len(report.sources)
        # Sources commit in groups (each in its own savepoint): see Store.grouped.
        with pool, store.grouped() as stored:
            waiting = time.monotonic()
            for source, outcome in fetched:
                # The fetch ran in a thread: what this thread waited for it is its cost here.
                waited = time.monotonic() - waiting
                begun = begin_source(source, config.root, store, categories, now,
                                     prefetched(source, outcome, real_fetcher),
                                     site=config.site, state=states.pop(source.id),
                                     settings=settings.pop(source.id),
                                     fetched_in=fetch_clock.took(source.id))
                begun_report = begun if isinstance(begun, SourceReport) else begun.report
                begun_report.stages["fetch"] = begun_report.stages.get("fetch", 0.0) + waited
                if ParsePool.eligible(source, own_fetcher):
                    if isinstance(begun, SourceReport):
                        pool.skipped()
                    else:
                        begun.parsing = pool.submit(source, begun.fetched, now,
                                                    config.fetch.max_items)
                pending.append(begun)
                while len(pending) > pool.ahead:
                    finish_oldest()
                waiting = time.monotonic()
            while pending:
                finish_oldest()
        report.worker_errors = pool.errors
        for problem in pool.errors:
            LOGGER.getChild("build").warning(problem)
        # Fetches finish in any order; reports and logs follow the config's.
        order = {source.id: i for i, source in enumerate(config.sources)}
        report.sources.sort(key=lambda r: order.get(r.source_id, len(order)))
        for source_report in report.sources:
            log_source(source_report)
        if config.site.max_age_days:
            with store.transaction() as db:
                report.pruned = store.prune(db, now - timedelta(days=config.site.max_age_days))
                # Article pages of stories pruned, or no longer linked, are forgotten too.
                store.prune_articles(db, now - timedelta(days=config.site.max_age_days))
        publishing = time.monotonic()
        # Through the store, so web nodes serving from it answer what the files say. Feeds are
        # rendered again only when items changed (the store knows), or the settings or feedhub
        # changed, or a feed file is missing: a warm build renders nothing.
        fingerprint = publish_fingerprint(config)
        force = not published_with(config, store, fingerprint)
        published = publish(config, store, force=force, now=now)
        report.published = published or PublishReport()
        if force and published is not None:
            remember_published_with(config, fingerprint)
        report.publish_seconds = time.monotonic() - publishing
        report.seconds = time.monotonic() - clock
        store.record_build(now, datetime.now(UTC), report.ok,
                           f"{len(report.failed)} of {len(report.sources)} sources failed")
    return report


def _remove_stale_temp_files(output: Path) -> None:
    """Temp files a killed build left behind (only ever written under the build lock): every
    name matching ``.*.tmp`` under ``output``, as ``output.rglob(".*.tmp")`` finds them (no
    descent into linked folders), found with os.walk, which took half as long over the 3,905
    files of the N=1000 benchmark."""
    if output.is_dir():
        for folder, dirs, files in os.walk(output):
            for name in (*dirs, *files):
                if len(name) >= 5 and name.startswith(".") and name.endswith(".tmp"):
                    (Path(folder) / name).unlink(missing_ok=True)
