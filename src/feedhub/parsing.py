"""Fetched bytes -> normalised items (extract + normalise), here or in worker processes.

Contract:
- :func:`parse_body` is pure given (source, fetched result, categories, now): it runs extract
  and normalise, measures each, and returns a :class:`Parsed` record; a
  :class:`~feedhub.errors.SourceError` becomes ``Parsed.error`` (its message), never a raise.
  Only pagination (``fetch_page``) does I/O, and only in the build's own process.
- :class:`ParsePool` runs :func:`parse_body` in worker processes (:mod:`feedhub.processes`,
  forkserver) once a build has enough bodies to parse to pay for starting them, so both cores
  parse while the build's thread stores. It hands back futures; the caller waits for them in
  config order and stores in that order, so which worker finishes first never matters.
- Sources that need more than their own body (``max_pages`` > 1) or that a caller-supplied
  fetcher fetched stay with the caller (the pool answers None: parse it yourself). So do all
  sources after a worker died (``BrokenProcessPool``) or when workers cannot be started
  (``OSError``): the pool stops, says why in :attr:`ParsePool.errors`, and the build goes on
  inline. It never raises for a dead worker.
- The pool is shut down (workers joined) when its ``with`` block ends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

from .categories import CategoryMap
from .errors import SourceError
from .extract import ExtractReport, PageFetcher, extract
from .logs import LOGGER
from .model import FetchResult, Item, NormaliseReport, Source
from .normalise import normalise_entries
from .processes import process_pool
from .store import content_hash

START_AFTER = 8
"""Bodies parsed in the build's own process before a pool may start (it needs a sample)."""
PARALLEL_MIN = 64
"""Bodies still expected to need parsing before worker processes pay for their start (about
half a second of importing feedhub each; a body takes ~10-25 ms to parse). A build where 5%
of 1000 sources changed stays in one process."""
AHEAD_PER_PROCESS = 4
"""Bodies handed to workers ahead of the one the build is storing, per worker."""


@dataclass(frozen=True)
class Parsed:
    """What extract and normalise made of one source's body."""

    items: tuple[Item, ...] = ()
    entries: int = 0
    """Entries extracted (after the ``max_items`` cap)."""
    over_cap: int = 0
    """Entries past ``max_items``, ignored."""
    notes: NormaliseReport = field(default_factory=NormaliseReport)
    hashes: tuple[str, ...] = ()
    """:func:`~feedhub.store.content_hash` of each item, computed where the items were made so
    that the build's thread (which stores) need not."""
    error: str = ""
    """The SourceError's message when extracting or normalising failed ("" when not)."""
    warnings: tuple[str, ...] = ()
    """Parts of the body that were ignored, and why (see ExtractReport.warnings)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds of extract and normalise, measured in the process that ran them."""
    worker: int = 0
    """Process id of the worker that parsed it; 0 when the build's own process did."""
    undated: int = 0
    """Entries with no date that parsed (none on the page, or one that did not parse): each
    is dated when feedhub first saw it."""


def parse_body(
    source: Source,
    fetched: FetchResult,
    categories: CategoryMap,
    now: datetime,
    max_items: int,
    fetch_page: PageFetcher | None = None,
) -> Parsed:
    """Extract the first ``max_items`` entries of ``fetched`` and normalise them."""
    stages: dict[str, float] = {}
    mark = time.monotonic()
    stage = "extract"
    try:
        extracted = ExtractReport()
        entries = extract(source, fetched, fetch_page, max_items=max_items, report=extracted)
        stages[stage] = time.monotonic() - mark
        mark, stage = time.monotonic(), "normalise"
        notes = NormaliseReport()
        items = normalise_entries(entries, source, categories, fetched.url, now, notes)
        hashes = tuple(content_hash(item) for item in items)  # counted as normalise
    except SourceError as exc:
        stages[stage] = time.monotonic() - mark
        return Parsed(error=exc.message, stages=stages)
    except Exception as exc:  # the boundary: see the module docstring
        stages[stage] = time.monotonic() - mark
        reason = unexpected(exc, _DOING[stage])
        LOGGER.getChild("build").error("source %s: %s", source.id, reason, exc_info=exc)
        return Parsed(error=reason, stages=stages)
    stages["normalise"] = time.monotonic() - mark
    undated = sum(1 for entry in entries if entry.published is None)
    return Parsed(tuple(items), len(entries), extracted.over_cap, notes, hashes,
                  warnings=tuple(extracted.warnings), stages=stages, undated=undated)


_DOING = {"extract": "extracting", "normalise": "normalising"}


def unexpected(exc: BaseException, doing: str) -> str:
    """A source's status line for an exception feedhub did not raise on purpose: one line,
    bounded, naming the exception and the stage (its traceback goes to the log)."""
    detail = " ".join(str(exc).split())
    if len(detail) > 200:
        detail = detail[:199] + "\u2026"
    return (f"unexpected {type(exc).__name__} while {doing} this "
            f"source{': ' + detail if detail else ''} (a feedhub bug or a body it cannot "
            "read; the other sources built. Please report it with the log's traceback)")


# -- in a worker process ---------------------------------------------------------------------

_categories: CategoryMap | None = None


def _start_worker(categories: CategoryMap) -> None:
    global _categories
    _categories = categories


def _parse_in_worker(source: Source, fetched: FetchResult, now: datetime,
                     max_items: int) -> Parsed:
    if _categories is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("parse worker started without its categories")
    return replace(parse_body(source, fetched, _categories, now, max_items),
                   worker=os.getpid())


# -- in the build's process ------------------------------------------------------------------

class ParsePool:
    """Worker processes for a build's parsing, started once enough bodies come.

    ``expected`` is how many sources of the build the pool may take (see :meth:`eligible`);
    with ``processes`` < 2 it never starts. ``certain`` is how many of them surely have a body
    to parse (nothing of theirs is stored yet, as in a first build): when they are enough, the
    workers start at once, while the first fetches are under way, instead of after a sample of
    ``START_AFTER`` bodies parsed here. Use it as a context manager."""

    def __init__(self, categories: CategoryMap, processes: int, expected: int,
                 certain: int = 0) -> None:
        self.categories = categories
        self.processes = processes
        self.expected = expected
        self.errors: list[str] = []
        """Why the pool stopped early (a worker died); the build went on inline."""
        self._seen = 0
        self._bodies = 0
        self._executor: ProcessPoolExecutor | None = None
        self._stopped = processes < 2
        if certain >= PARALLEL_MIN:
            self._start()

    @staticmethod
    def eligible(source: Source, own_fetcher: bool) -> bool:
        """Whether a worker may parse ``source``: only its own body is needed (no further
        listing pages) and it was fetched by feedhub's fetcher, not one the caller gave."""
        return source.max_pages <= 1 and not own_fetcher

    @property
    def ahead(self) -> int:
        """How many sources the build may have in flight before it stores the oldest."""
        return AHEAD_PER_PROCESS * self.processes if self._executor is not None else 0

    def skipped(self) -> None:
        """An eligible source needed no parsing (unchanged body, failed fetch)."""
        self._seen += 1

    def submit(self, source: Source, fetched: FetchResult, now: datetime,
               max_items: int) -> Future[Parsed] | None:
        """Start parsing an eligible source's body in a worker; None means parse it here."""
        self._seen += 1
        self._bodies += 1
        if self._stopped:
            return None
        if self._executor is None:
            left = self.expected - self._seen
            if (self._bodies < START_AFTER
                    or self._bodies / self._seen * left < PARALLEL_MIN):
                return None
        try:
            return self._pool().submit(_parse_in_worker, source, fetched, now, max_items)
        except (BrokenExecutor, OSError) as exc:  # OSError: processes cannot be started
            self._stop(exc)
            return None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = process_pool(self.processes, _start_worker, (self.categories,))
        return self._executor

    def _start(self) -> None:
        """Start the workers now. The pool starts a process per task while none is idle, so a
        trivial task per process starts them all (and the forkserver), each importing what
        parsing needs, before the first body comes."""
        if self._stopped:
            return
        try:
            pool = self._pool()
            for _ in range(self.processes):
                pool.submit(os.getpid)
        except (BrokenExecutor, OSError) as exc:
            self._stop(exc)

    def result(self, future: Future[Parsed] | None, here: Callable[[], Parsed]) -> Parsed:
        """The parsed body: the worker's, or ``here()`` when there is none (not submitted, or
        the worker died)."""
        if future is None:
            return here()
        try:
            return future.result()
        except BrokenExecutor as exc:  # BrokenProcessPool
            self._stop(exc)
            return here()
        except Exception as exc:  # parse_body raises nothing: the result could not be sent
            return Parsed(error=unexpected(exc, "handing back the parsed items of"))

    def _stop(self, exc: Exception) -> None:
        if not self._stopped:
            what = ("a parse worker process died" if isinstance(exc, BrokenExecutor)
                    else "parse worker processes could not start")
            self.errors.append(f"{what} ({type(exc).__name__}: {exc}); the rest of the build "
                               "parsed in the build's own process")
        self._stopped = True
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
