"""build(): config -> fetch -> extract -> normalise -> store -> publish, one source at a time.

Large builds extract and normalise in worker processes (feedhub.parsing) while this thread
stores; items are still stored one source at a time, in config order.

A failing source is recorded (error, time, consecutive failures) and skipped: the other sources
build, and its last good items stay in the store and so in the feeds. Any exception while a
source is fetched, extracted or normalised is that source's failure, not the build's (a one-line
reason in its status, the traceback in the log). Only a store or publish failure stops the
build, and then the previous feed files stay as they were.

An edited source (its settings_hash changed) is due at once and its body read again; what the
new settings change is stored without dating the stories as updated, and a date put right by
them (or any parsed date where first sight stood in) replaces the published one (remember).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import __version__
from .categories import CategoryMap
from .errors import FeedhubError, FetchError, PublishError, SourceError
from .extract import PageFetcher
from .fetch import Fetcher, Validators, fetch, page_source
from .logs import LOGGER, log_source
from .model import Config, FetchResult, FetchSettings, Item, Site, Source
from .parsing import Parsed, ParsePool, parse_body, unexpected
from .processes import default_processes
from .publish import PublishReport
from .redact import redact_text, without_userinfo
from .schedule import (
    due_at,
    fetch_all,
    is_due,
    put_off_by_server,
    settings_changed,
    settings_hash,
    stored_body,
)
from .store import SourceState, Store, content_hash, open_store
from .sync import publish

if TYPE_CHECKING:  # at run time it comes with the first parse pool
    from concurrent.futures import Future


@dataclass
class SourceReport:
    """The outcome of one source in one build."""

    source_id: str
    found: int = 0
    new: int = 0
    updated: int = 0
    """Stored items that changed, were re-dated or joined another source's copy."""
    unchanged_body: bool = False
    error: str = ""
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds spent per stage (fetch, extract, normalise, store), for bench/build.py. Extract
    and normalise are measured where they ran (a worker process, see feedhub.parsing);
    ``parse_wait`` is what the build's thread then waited for that worker."""
    unmatched_labels: list[str] = field(default_factory=list)
    unparsed_dates: list[str] = field(default_factory=list)
    future_dates: list[str] = field(default_factory=list)
    """Dates too far ahead, clamped to the time feedhub first saw the item."""
    undated: int = 0
    """Entries with no date that parsed, dated when first seen (``unparsed_dates`` says which
    texts did not parse)."""
    ancient_dates: list[str] = field(default_factory=list)
    """Dates before year 1000 (placeholders such as 0001-01-01), replaced the same way."""
    next_due: datetime | None = None
    """Set when the source was skipped because it is not due until then."""
    failures: int = 0
    """With ``next_due``: the source's failures in a row, which put it off for longer
    (store.interval_after)."""
    retry_after: bool = False
    """With ``next_due``: the server's Retry-After put it off, not its interval."""
    over_cap: int = 0
    """Entries past ``fetch.max_items``, ignored."""
    warnings: list[str] = field(default_factory=list)
    """Parts of the body ignored, each a sentence (a second document, too many labels...)."""
    too_old: int = 0
    """New items older than the store's max age, not stored."""
    parsed_by: int = 0
    """Process id of the worker process that extracted and normalised it (0: the build's own
    process did, or nothing was parsed)."""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class BuildReport:
    started: datetime
    sources: list[SourceReport] = field(default_factory=list)
    published: PublishReport = field(default_factory=PublishReport)
    seconds: float = 0.0
    publish_seconds: float = 0.0

    def stage_seconds(self) -> dict[str, float]:
        """Seconds per stage over all sources, publish included (where a build's time goes)."""
        total: dict[str, float] = {}
        for source in self.sources:
            for stage, seconds in source.stages.items():
                total[stage] = total.get(stage, 0.0) + seconds
        total["publish"] = self.publish_seconds
        return total
    pruned: int = 0
    """Items removed from the store for being older than ``site.max_age_days``."""
    worker_errors: list[str] = field(default_factory=list)
    """Why parse worker processes stopped early (the build went on without them)."""

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if not s.ok]


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
          open_store(config.store, config.root, bulk_writes=True) as store):
        _remove_stale_temp_files(config.output_dir)
        real_fetcher = guarded(fetcher or partial(fetch, limits=config.fetch.limits))
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
        fetched = fetch_all(
            due, lambda s: real_fetcher(s, config.root, validators[s.id]), config.fetch,
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
                                     settings=settings.pop(source.id))
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
        publishing = time.monotonic()
        # Through the store, so web nodes serving from it answer what the files say. Feeds are
        # rendered again only when items changed (the store knows), or the settings or feedhub
        # changed, or a feed file is missing: a warm build renders nothing.
        fingerprint = publish_fingerprint(config)
        force = not published_with(config, store, fingerprint)
        published = publish(config, store, force=force)
        report.published = published or PublishReport()
        if force and published is not None:
            remember_published_with(config, fingerprint)
        report.publish_seconds = time.monotonic() - publishing
        report.seconds = time.monotonic() - clock
        store.record_build(now, datetime.now(UTC), report.ok,
                           f"{len(report.failed)} of {len(report.sources)} sources failed")
    return report


def build_source(
    source: Source,
    root: Path,
    store: Store,
    categories: CategoryMap,
    now: datetime,
    fetcher: Fetcher = fetch,
    site: Site | None = None,
    max_items: int = FetchSettings().max_items,
) -> SourceReport:
    """Fetch, extract, normalise and store one source; never raises a SourceError. Only the
    first ``max_items`` entries are read (documents list their newest first)."""
    fetcher = guarded(fetcher)
    begun = begin_source(source, root, store, categories, now, fetcher, site=site)
    if isinstance(begun, SourceReport):
        return begun
    parsed = parse_body(source, begun.fetched, categories, now, max_items,
                        page_fetcher(source, root, fetcher))
    return finish_source(begun, parsed, store, now, site=site)


def guarded(fetcher: Fetcher) -> Fetcher:
    """``fetcher``, with any exception that is not a SourceError (a bug, a response that
    trips a library) turned into the source's FetchError: one line in its status, the
    traceback in the log, and the build goes on (fetch threads hand errors over as values)."""

    def fetch_guarded(source: Source, root: Path, validators: Validators) -> FetchResult:
        try:
            return fetcher(source, root, validators)
        except SourceError:
            raise
        except Exception as exc:
            reason = unexpected(exc, "fetching")
            LOGGER.getChild("build").error("source %s: %s", source.id, reason, exc_info=exc)
            raise FetchError(source.id, reason) from exc

    return fetch_guarded


class _Stopwatch:
    """Adds the seconds since the last lap to a stage of ``stages``."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self.mark = time.monotonic()

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.mark
        self.mark = now


@dataclass
class Begun:
    """A source fetched, with a body that must be parsed before its items are stored."""

    source: Source
    report: SourceReport
    state: SourceState
    fetched: FetchResult
    body_hash: str
    started: float
    """time.monotonic() when the source began."""
    categories: CategoryMap
    parsing: Future[Parsed] | None = None
    """The worker process parsing its body (None: it is parsed in this process)."""


def begin_source(
    source: Source,
    root: Path,
    store: Store,
    categories: CategoryMap,
    now: datetime,
    fetcher: Fetcher = fetch,
    site: Site | None = None,
    state: SourceState | None = None,
    settings: str = "",
) -> Begun | SourceReport:
    """Fetch one source. Done already (a SourceReport) when the fetch failed or the body did
    not change since the last success (recorded in the store); else the body to parse.
    ``state`` is the source's stored state when the caller has just read it, ``settings`` its
    :func:`settings_hash` when the caller has it already."""
    result = SourceReport(source.id)
    clock = time.monotonic()
    watch = _Stopwatch(result.stages)
    try:
        state = state or store.source_state(source.id)
        settings = settings or settings_hash(source, categories)
        watch.lap("store")
        fetched = fetcher(source, root, validators_for(source, state, categories, settings))
        # Relative links resolve against it: none may carry the source's credentials.
        if "@" in fetched.url:
            fetched = replace(fetched, url=without_userinfo(fetched.url))
        watch.lap("fetch")
        body_hash = "" if fetched.not_modified else (
            f"{settings}:{dates_hash(source)}:{hashlib.sha256(fetched.body).hexdigest()}")
        if not (fetched.not_modified or (body_hash and body_hash == state.body_hash
                                         and state.last_success is not None)):
            watch.lap("store")
            return Begun(source, result, state, fetched, body_hash, clock, categories)
        result.unchanged_body = True
        result.found = state.item_count
        with store.transaction() as db:
            store.record_success(db, source.id, now, etag=fetched.etag or state.etag,
                                 last_modified=fetched.last_modified or state.last_modified,
                                 body_hash=state.body_hash,
                                 unmatched_labels=state.unmatched_labels)
            if site is not None and site.max_age_days and state.last_success is not None:
                # Still listed, so not to be pruned (only pruning reads last_seen).
                store.touch_listed(db, source.id, state.last_success, now)
    except SourceError as exc:
        result.error = redact_text(exc.message)  # errors quote the URL: no secret stored
        store.record_failure(source.id, now, result.error,
                             tried_with(state, settings) if state is not None else None,
                             retry_after=exc.retry_after if isinstance(exc, FetchError)
                             else None)
    watch.lap("store")
    result.seconds = time.monotonic() - clock
    return result


def finish_source(
    begun: Begun, parsed: Parsed, store: Store, now: datetime, site: Site | None = None
) -> SourceReport:
    """Store the parsed items of a begun source (one transaction, or a savepoint of the build's
    group) and record its success, or record its failure; never raises a SourceError."""
    source, result, state, fetched = begun.source, begun.report, begun.state, begun.fetched
    watch = _Stopwatch(result.stages)
    for stage, seconds in parsed.stages.items():
        result.stages[stage] = result.stages.get(stage, 0.0) + seconds
    result.parsed_by = parsed.worker
    try:
        if parsed.error:
            raise SourceError(source.id, parsed.error)
        result.over_cap = parsed.over_cap
        result.warnings = list(parsed.warnings)
        notes = parsed.notes
        items = parsed.items
        if parsed.entries and not items and notes.unresolved_links:
            raise SourceError(source.id, (
                f"entries were found but their links are relative (such as "
                f"{notes.unresolved_links[0][:100]!r}) and there is no web address to resolve "
                "them against: set base_url: to the address this source is published at"))
        if parsed.entries and not items:
            raise SourceError(source.id, "entries were found but none had a link or id")
        if not items and state.item_count:
            raise SourceError(source.id, f"no items found, where the last good fetch had "
                                         f"{state.item_count}; keeping those (is the page "
                                         "broken, or did its markup change?)")
        result.found = len(items)
        result.unmatched_labels = sorted(notes.unmatched_labels)
        result.unparsed_dates = notes.unparsed_dates
        result.future_dates = notes.future_dates
        result.undated = parsed.undated
        result.ancient_dates = notes.ancient_dates
        site = site or Site(title="", base_url="")
        window = timedelta(days=site.merge_window_days)
        oldest = now - timedelta(days=site.max_age_days) if site.max_age_days else None
        to_save: list[Item] = []
        hashes: dict[str, str] = {}
        seen: list[str] = []
        # Read with other settings than the stored items were: what differs is the settings'
        # doing, and with other date settings, the fresh dates are the right ones.
        reread = bool(state.body_hash) and not stored_body(state, begun.body_hash.split(":")[0])
        redate = dates_changed(state.body_hash, begun.body_hash)
        listed: set[str] = set()
        for item, fresh_hash, old in zip(items, parsed.hashes or [""] * len(items),
                                         find_stored(store, items, window), strict=True):
            if old is None and oldest is not None and item.published < oldest:
                result.too_old += 1
                continue
            remembered = remember(old, item, now, fresh_hash, reread=reread, redate=redate)
            merged = remembered.item
            listed.add(merged.id)
            if old is None:
                result.new += 1
            elif (remembered.changed or merged.sources != old.sources
                  or not set(merged.keys) <= set(old.keys) or merged.comments != old.comments
                  or (merged.published, merged.updated, merged.undated)
                  != (old.published, old.updated, old.undated)):
                # A new comments link alone is stored, but is no change of the story: it is not
                # in content_hash, so its ``updated`` date stays. Nor is a date put right.
                result.updated += 1
            else:
                seen.append(old.id)
                continue
            to_save.append(merged)
            hashes[merged.id] = remembered.content_hash
        # Its items no longer listed were read with the old settings too: re-sort them.
        resorted = recategorised(store, source, begun.categories, listed) if reread else []
        with store.transaction() as db:
            store.save_items(db, to_save, now, hashes)
            store.save_categories(db, resorted, now)
            store.touch_items(db, seen, now)
            store.record_success(db, source.id, now, etag=fetched.etag,
                                 last_modified=fetched.last_modified, body_hash=begun.body_hash,
                                 unmatched_labels=notes.unmatched_labels)
    except SourceError as exc:
        result.error = redact_text(exc.message)  # errors quote the URL: no secret stored
        store.record_failure(source.id, now, result.error,
                             tried_with(state, begun.body_hash.split(":")[0]))
    watch.lap("store")
    result.seconds = time.monotonic() - begun.started
    return result


PUBLISH_MARK = ".published-with"
"""In the output folder: the fingerprint of the settings the files were last rendered with."""


def publish_fingerprint(config: Config) -> str:
    """Everything besides the items that shapes the published files."""
    return hashlib.sha256(repr((config, __version__)).encode("utf-8")).hexdigest()


def published_with(config: Config, store: Store, fingerprint: str) -> bool:
    """True when the output folder holds every published file, rendered with these settings."""
    out = config.output_dir
    try:
        if (out / PUBLISH_MARK).read_text(encoding="utf-8") != fingerprint:
            return False
    except OSError:
        return False
    names = store.published_paths()
    return bool(names) and all_exist(out, names)


def all_exist(folder: Path, names: Iterable[str]) -> bool:
    """Whether ``folder / name`` exists for every relative path in ``names``, as
    ``Path.exists`` says (a symlink counts when its target exists). Each sub folder is listed
    once instead of one stat per file: a warm build checks every published file (3,905 at
    1,000 sources), and stat after stat cost 60-100 ms there."""
    by_folder: dict[str, list[str]] = {}
    for name in names:
        head, _, tail = name.rpartition("/")
        if tail in ("", ".", ".."):
            if not (folder / name).exists():
                return False
            continue
        by_folder.setdefault(head, []).append(tail)
    for head, tails in by_folder.items():
        try:
            with os.scandir(folder / head if head else folder) as entries:
                listed = {entry.name: entry for entry in entries}
        except OSError:
            return False
        for tail in tails:
            entry = listed.get(tail)
            if entry is None or (entry.is_symlink() and not os.path.exists(entry.path)):
                return False
    return True


def remember_published_with(config: Config, fingerprint: str) -> None:
    try:
        (config.output_dir / PUBLISH_MARK).write_text(fingerprint, encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"cannot write {config.output_dir / PUBLISH_MARK}: {exc}") from exc


def validators_for(
    source: Source, state: SourceState, categories: CategoryMap, settings: str = ""
) -> Validators:
    """What to send for a conditional GET: the last good fetch's ETag and Last-Modified, unless
    the source's settings changed since (then the unchanged body must be read again).
    ``settings`` is the source's :func:`settings_hash` when the caller has it already."""
    if stored_body(state, settings or settings_hash(source, categories)):
        return Validators(state.etag, state.last_modified)
    return Validators()


def prefetched(own: Source, outcome: FetchResult | SourceError, fetcher: Fetcher) -> Fetcher:
    """A fetcher that answers the source's own location with what was already fetched (or
    raises its error), and fetches anything else (further listing pages) with ``fetcher``."""

    def fetch_again(source: Source, root: Path, validators: Validators) -> FetchResult:
        if source.location == own.location:
            if isinstance(outcome, SourceError):
                raise outcome
            return outcome
        return fetcher(source, root, validators)

    return fetch_again


def page_fetcher(source: Source, root: Path, fetcher: Fetcher = fetch) -> PageFetcher:
    """Fetches a listing's further pages the way the source itself is fetched (same limits and
    checks); a file:// next-page link of a local source stays a path under the config folder."""

    def fetch_page(url: str) -> FetchResult:
        location = url
        if url.startswith("file:"):
            from urllib.request import url2pathname  # ~8 ms of every start, for a rare case

            location = url2pathname(urlsplit(url).path)
        return fetcher(page_source(source, location), root, Validators())

    return fetch_page


def recategorised(store: Store, source: Source, categories: CategoryMap,
                  listed: set[str]) -> list[Item]:
    """The stored items only ``source`` tells, no longer ``listed`` by it, whose categories
    differ under ``categories`` (read from their stored labels and text, as normalise does)."""
    from .normalise import MAX_SUMMARY, plain_text  # only after a settings change

    out: list[Item] = []
    for item in store.source_items(source.id, excluding=listed):
        if item.sources != (source.id,):
            continue  # another source's reading of it is not at hand
        text = (f"{item.title} {plain_text(item.summary, MAX_SUMMARY)}"
                if categories.keywords else "")
        slugs, _ = categories.slugs(item.labels, source.default_category, text)
        if set(slugs) != set(item.categories):
            out.append(replace(item, categories=tuple(sorted(slugs))))
    return out


def dates_hash(source: Source) -> str:
    """Hash of the settings that read a source's dates (its part of the body hash,
    ``settings:dates:body``): when they change, the dates the source gives its stories
    replace the stored ones (see :func:`remember`), even where that moves a date later."""
    rules = source.selectors
    text = repr((source.kind, source.date_format, source.timezone, source.locale,
                 rules.item if rules else "", rules.date if rules else ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def dates_changed(stored: str, fresh: str) -> bool:
    """Whether the body hash ``fresh`` was read with other date settings than the stored
    items (body hash ``stored``; one without a dates part, from before they were kept, or of
    a source never read, says nothing)."""
    old, new = stored.split(":"), fresh.split(":")
    return len(old) == 3 == len(new) and bool(old[1]) and old[1] != new[1]


def tried_with(state: SourceState, settings: str) -> str | None:
    """The body hash to record when a source failed: None (keep it) unless its settings
    changed since it was last tried; then these settings with no body read, so that the
    source is not due at every build again while it fails (its back-off applies), yet its
    next good body is parsed, and compared with the dates its stored items were read with."""
    if not settings_changed(state, settings):
        return None
    parts = state.body_hash.split(":")
    return f"{settings}:{parts[1] if len(parts) == 3 else ''}:"


def find_stored(store: Store, items: Sequence[Item], window: timedelta) -> list[Item | None]:
    """The stored self of each freshly normalised item, or None for a story never seen.

    A story is found by any of its guid/link keys (from any source), then, failing that, by its
    normalised title on another source within ``window`` of its date. Each stored item answers
    for one fresh item at most: stories a source tells apart stay apart; when a key names
    several stored items, the one first seen earliest (then the smallest id) answers. Rows
    written before identity keys were stored are found by their id, which was derived from the
    link key (looked for only while the store holds such rows).
    """
    from .normalise import item_id  # here: a warm build never loads normalise (see categories)

    keys = [key for item in items for key in item.keys]
    by_key = store.find_keys(keys)
    legacy = store.has_unkeyed_items()
    wanted = {i for ids in by_key.values() for i in ids}
    if legacy:
        wanted |= {item_id(key) for key in keys if not key.startswith("title:")}
    stored = store.get_items(wanted) if wanted else {}
    # Oldest first: the first build to meet a story keeps answering for it.
    first_seen = {i: (old.first_seen or datetime.min.replace(tzinfo=UTC), i)
                  for i, old in stored.items()}
    for ids in by_key.values():
        ids.sort(key=lambda i: first_seen.get(i, (datetime.max.replace(tzinfo=UTC), i)))
    claimed: set[str] = set()
    found: list[Item | None] = []
    for item in items:
        match: Item | None = None
        for key in item.keys:
            if key.startswith("title:"):
                if window <= timedelta(0):
                    continue
                candidates = [stored[i] for i in by_key.get(key, ()) if i in stored]
                match = next((old for old in candidates if old.id not in claimed
                              and not set(old.sources) & set(item.sources)
                              and abs(old.published - item.published) <= window), None)
            else:
                ids = by_key.get(key, [])
                if legacy:
                    ids = [*ids, item_id(key)]
                match = next((stored[i] for i in ids if i in stored and i not in claimed),
                             None)
            if match is not None:
                break
        if match is not None:
            claimed.add(match.id)
        found.append(match)
    return found


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


@dataclass(frozen=True)
class Remembered:
    """A fresh item combined with its stored self (see :func:`remember`)."""

    item: Item
    content_hash: str
    """:func:`~feedhub.store.content_hash` of ``item``, computed once and stored with it."""
    changed: bool
    """What a reader sees differs from the stored self (always True for a new story). A
    different comments link alone is no change (see :func:`~feedhub.store.content_hash`)."""


def remember(old: Item | None, new: Item, now: datetime, new_hash: str = "", *,
             reread: bool = False, redate: bool = False) -> Remembered:
    """Combine a freshly normalised item with its stored self.

    first_seen is set once. A date a source gave never moves later, but a wrong date is put
    right: a first-seen date (``undated``) is a placeholder any parsed date replaces, and when
    the settings that read the source's dates changed (``redate``), its fresh dates replace
    the stored ones of the stories only it tells. A changed story gets a new ``updated`` but
    keeps its id; when the source's settings changed (``reread``: a new selector, category
    label...), a change is the settings', not the story's, and dates it only as the source
    does. ``new_hash`` is ``content_hash(new)`` when the caller has it already (a parse worker
    computed it).
    """
    if old is None:
        return Remembered(replace(new, first_seen=now), new_hash or content_hash(new), True)
    own = set(old.sources) <= set(new.sources)
    if own:
        # The same source said it again: its current text wins.
        merged = replace(new, sources=tuple(sorted(set(old.sources) | set(new.sources))))
    else:
        # Imported here, in the one branch that merges: this runs once per stored item, and
        # a warm build never loads normalise (see feedhub.categories).
        from .normalise import merge

        merged = merge(old, new)
    published, undated = _published(old, new, redate=redate and own)
    redated = (published, undated) != (old.published, old.undated)
    merged = replace(merged, id=old.id, first_seen=old.first_seen or now,
                     published=published, undated=undated,
                     keys=tuple(sorted(set(old.keys) | set(new.keys))))
    # ``updated`` is not part of the hash: the replacements below keep it.
    digest = content_hash(merged)
    if digest == content_hash(old):
        # Re-dated by its own source: its reading of the dates replaces the stored one.
        updated = new.updated if redated and own else old.updated
        return Remembered(replace(merged, updated=max(updated, published)), digest, False)
    if not own:
        # Another source's copy joined the story: it changed as of the newer of the two
        # sources' own dates, not as of this build (which would make feeds date by builds).
        updated = max(old.updated, new.updated)
    elif new.updated > old.updated or (redated and reread):
        # The source dates the change (or, read with new settings, its date is the truth).
        updated = new.updated
    else:
        # The same source changed it without saying when: now, unless the change is the
        # settings' (an edited selector or category label is no news of the story).
        updated = old.updated if reread else now
    return Remembered(replace(merged, updated=max(updated, published)), digest, True)


def _published(old: Item, new: Item, *, redate: bool) -> tuple[datetime, bool]:
    """The (published, undated) of a stored story met again (see :func:`remember`)."""
    if new.undated:
        return old.published, old.undated
    if old.undated or redate:
        return new.published, False
    return min(old.published, new.published), False


def default_config_path() -> Path:
    return Path(os.environ.get("FEEDHUB_CONFIG", "sources.yaml"))
