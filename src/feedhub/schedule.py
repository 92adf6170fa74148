"""When sources are due, fetching many at once, and each source's health for `feedhub status`.

Contract:
- :func:`due_at` / :func:`is_due` are pure: a source is due ``refresh`` after its last attempt
  (success or failure), and at once when it was never fetched.
- :func:`fetch_all` runs fetches in worker threads (fetching is I/O-bound) with at most
  ``concurrency`` at once and at most ``per_host`` per host, and yields each outcome on the
  caller's thread as it completes, so store writes stay on one thread (one transaction per
  source, made by the caller). A fetch that raises a :class:`SourceError` yields the error;
  any other exception is a bug and propagates.
- :func:`source_statuses` reads the store; it never writes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import SourceError
from .model import Config, FetchResult, FetchSettings, Source
from .store import SourceState, Store

T = TypeVar("T")


def due_at(state: SourceState, refresh: timedelta) -> datetime | None:
    """When the source is next due; None when it is due now because it was never fetched."""
    return state.last_attempt + refresh if state.last_attempt is not None else None


def is_due(state: SourceState, refresh: timedelta, now: datetime) -> bool:
    when = due_at(state, refresh)
    return when is None or when <= now


def host_of(source: Source) -> str:
    """The host a source is fetched from ("" for a local file)."""
    return (urlsplit(source.location).hostname or "").lower() if source.is_remote else ""


def interleave_hosts(
    sources: Sequence[Source], hosts: Sequence[str] | None = None
) -> list[Source]:
    """Round-robin over hosts, so that the first ``concurrency`` fetches are spread out and
    threads rarely wait on a busy host while others are idle. ``hosts`` holds each source's
    :func:`host_of` when the caller has them already."""
    by_host: dict[str, list[Source]] = defaultdict(list)
    for source, host in zip(sources, hosts if hosts is not None else map(host_of, sources),
                            strict=True):
        by_host[host].append(source)
    queues = list(by_host.values())
    out: list[Source] = []
    while queues:
        for queue in queues:
            out.append(queue.pop(0))
        queues = [q for q in queues if q]
    return out


def fetch_all(
    sources: Sequence[Source],
    fetch_one: Callable[[Source], FetchResult],
    settings: FetchSettings,
) -> Iterator[tuple[Source, FetchResult | SourceError]]:
    """Fetch every source concurrently within the bounds; yield (source, result or error) in
    the order of ``sources``, on the calling thread.

    The order is the config's, not completion order, so that the first build to meet a story
    on two sources always stores it from the same one: its id is then the same whichever
    server answered first. Fetches go on in the background while an earlier one is awaited."""
    if not sources:
        return
    hosts = [host_of(source) for source in sources]
    host_by_id = {source.id: host for source, host in zip(sources, hosts, strict=True)}
    gates: dict[str, threading.Semaphore] = defaultdict(
        lambda: threading.Semaphore(settings.per_host))
    for host in hosts:  # created up front: defaultdict is not safe across threads
        _ = gates[host]

    def run(source: Source) -> FetchResult | SourceError:
        host = host_by_id[source.id]
        gate = gates[host] if host else None
        if gate is not None:
            gate.acquire()
        try:
            return fetch_one(source)
        except SourceError as exc:
            return exc
        finally:
            if gate is not None:
                gate.release()

    workers = max(1, min(settings.concurrency, len(sources)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feedhub-fetch") as pool:
        futures: dict[Future[FetchResult | SourceError], Source] = {
            pool.submit(run, source): source for source in interleave_hosts(sources, hosts)
        }
        by_source = {source.id: future for future, source in futures.items()}
        for source in sources:
            yield source, by_source[source.id].result()


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
