"""One source's trip through a build: fetch it (:func:`begin_source`), then, once its body is
parsed (here or in a worker process, feedhub.parsing), match its items with their stored selves
and store the outcome (:func:`finish_source`). :func:`build_source` does both in a row.

A failing source is recorded (error, time, consecutive failures) and skipped: any exception
while it is fetched, extracted or normalised is its failure, not the build's (a one-line
reason in its status, the traceback in the log). A trip touches the store a handful of times:
its state, its items' stored selves, its stored items when its settings changed, and one
outcome (store.trips) or failure.

The body hash is ``settings:dates:body``: an edited source is read again, what the new
settings change is stored without dating the stories as updated, and with new date settings
its fresh dates replace the stored ones (see feedhub.merge). A listing source read with
selectors is held to its last good read (feedhub.drift), and its drift reported.

Must not: walk the sources or publish (pipeline.py does).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from .categories import CategoryMap
from .drift import check_read, read_yield, watched
from .errors import FetchError, SourceError
from .fetch import Fetcher, Validators, fetch, page_source
from .fulltext import FullText, fill
from .merge import find_stored, remember
from .model import FetchResult, FetchSettings, Item, Site, Source
from .normalise import MAX_SUMMARY, plain_text
from .parsing import Parsed, parse_body
from .redact import redact_text, without_userinfo
from .reports import SourceReport
from .schedule import settings_changed, settings_hash, stored_body
from .sourcefetch import guarded, page_fetcher, validators_for
from .store import Outcome, SourceState, Store


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


class _Stopwatch:
    """Adds the seconds since the last lap to a stage of ``stages``."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self.mark = time.monotonic()

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.mark
        self.mark = now


class FetchClock:
    """The seconds each source's own fetch took, wherever it ran: a fetch thread fetches while
    the build does other work, so what the build's thread waited for it is not its time.
    ``timing(fetch_one)`` times the fetches, ``took(source_id)`` hands each one's time over
    (once) to :func:`begin_source`."""

    def __init__(self) -> None:
        self._took: dict[str, float] = {}

    def timing(self, fetch_one: Callable[[Source], FetchResult]
               ) -> Callable[[Source], FetchResult]:
        def timed(source: Source) -> FetchResult:
            started = time.monotonic()
            try:
                return fetch_one(source)
            finally:  # a failed fetch (retried until it gave up) took its time too
                self._took[source.id] = time.monotonic() - started

        return timed

    def took(self, source_id: str) -> float:
        return self._took.pop(source_id, 0.0)


@dataclass
class Begun:
    """A source fetched, with a body that must be parsed before its items are stored."""

    source: Source
    report: SourceReport
    state: SourceState
    fetched: FetchResult
    body_hash: str
    started: float
    """time.monotonic() when the source began (its fetch included)."""
    categories: CategoryMap
    parsing: Future[Parsed] | None = None
    """The worker process parsing its body (None: it is parsed in this process)."""
    fetcher: Fetcher = fetch
    """How its further pages and (``full_text``) its items' article pages are fetched."""
    root: Path = Path()
    """The config's folder."""


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
    fetched_in: float = 0.0,
) -> Begun | SourceReport:
    """Fetch one source. Done already (a SourceReport) when the fetch failed or the body did
    not change since the last success (recorded in the store); else the body to parse.
    ``state`` is the source's stored state when the caller has just read it, ``settings`` its
    :func:`settings_hash` when the caller has it already. ``fetched_in``: the seconds its fetch
    took when ``fetcher`` only hands over what was fetched before (see :class:`FetchClock`),
    counted in the source's ``seconds``."""
    result = SourceReport(source.id)
    clock = time.monotonic() - fetched_in
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
            return Begun(source, result, state, fetched, body_hash, clock, categories,
                         fetcher=fetcher, root=root)
        result.unchanged_body = True
        result.warnings = list(fetched.warnings)
        result.found = state.item_count
        store.save_outcome(Outcome(
            source.id, etag=fetched.etag or state.etag,
            last_modified=fetched.last_modified or state.last_modified,
            body_hash=state.body_hash, unmatched_labels=state.unmatched_labels,
            # Still listed, so not to be pruned (only pruning reads last_seen).
            listed_since=state.last_success if site is not None and site.max_age_days
            else None), now)
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
        result.warnings = [*fetched.warnings, *parsed.warnings]
        notes = parsed.notes
        items = parsed.items
        if parsed.entries and not items and notes.unresolved_links:
            raise SourceError(source.id, (
                f"entries were found but their links are relative (such as "
                f"{notes.unresolved_links[0][:100]!r}) and there is no web address to resolve "
                "them against: set base_url: to the address this source is published at"))
        if parsed.entries and not items:
            raise SourceError(source.id, (
                f"{parsed.entries} entries were found but none had a usable link or id "
                "(feedhub knows a story by its guid or link, never by its text): ask the "
                "publisher to give each item a <link> or <guid> (Atom: <id>)"))
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
        hashes_of = list(parsed.hashes or [""] * len(items))
        full: FullText | None = None
        if source.full_text:
            full = full_text(begun, items, store, now)
            # A story's content came from its page: its parse-time hash is no longer its own.
            hashes_of = [h if new is old else "" for h, new, old
                         in zip(hashes_of, full.items, items, strict=True)]
            items = tuple(full.items)
            result.articles = full.extracted
            result.articles_kept = full.kept
            result.articles_left = full.left
            watch.lap("full_text")
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
        for item, fresh_hash, old in zip(items, hashes_of, find_stored(store, items, window),
                                         strict=True):
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
        body_hash = begun.body_hash
        if full is not None and full.left:
            # Article pages wait for a later build: the body is read again then (no validators,
            # its hash unknown), and those stories filled in are no news of them (``reread``).
            body_hash = body_hash.rpartition(":")[0] + ":"
        store.save_outcome(Outcome(
            source.id, etag=fetched.etag, last_modified=fetched.last_modified,
            body_hash=body_hash, unmatched_labels=tuple(notes.unmatched_labels),
            saved=tuple(to_save), hashes=hashes, recategorised=tuple(resorted),
            seen=tuple(seen), articles=tuple(full.articles) if full is not None else ()), now)
    except SourceError as exc:
        result.error = redact_text(exc.message)  # errors quote the URL: no secret stored
        store.record_failure(source.id, now, result.error,
                             tried_with(state, begun.body_hash.split(":")[0]))
    if watched(source):
        # A failed read found nothing: held to the norm, it is drift when there was one.
        found = parsed.items if result.ok else ()
        result.drift = check_read(
            store, source, fetched, read_yield(found, parsed.entries if result.ok else 0), now,
            settings_changed=bool(state.body_hash)
            and not stored_body(state, begun.body_hash.split(":")[0]))
    watch.lap("store")
    result.seconds = time.monotonic() - begun.started
    return result


def full_text(begun: Begun, items: Sequence[Item], store: Store, now: datetime) -> FullText:
    """The items of a ``full_text`` source with their stories (feedhub.fulltext), their article
    pages fetched as the source's further pages are (same limits, robots.txt, pacing and
    address rules)."""
    source, root, fetcher = begun.source, begun.root, begun.fetcher

    def fetch_article(url: str, validators: Validators) -> FetchResult:
        return fetcher(page_source(source, url), root, validators)

    return fill(source, items, store.articles(item.link for item in items), fetch_article, now)


def recategorised(store: Store, source: Source, categories: CategoryMap,
                  listed: set[str]) -> list[Item]:
    """The stored items only ``source`` tells, no longer ``listed`` by it, whose categories
    differ under ``categories`` (read from their stored labels and text, as normalise does)."""
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
    replace the stored ones (see :func:`feedhub.merge.remember`), even where that moves a
    date later."""
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
