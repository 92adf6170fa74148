"""What the store remembers about each source: its state between builds (validators, body
hash, failures), how a refresh ends (:meth:`SourceQueries.record_success`,
:meth:`SourceQueries.record_failure`), and the schedule and leases by which workers share the
refreshing.

Must not: decide whether a source is due for a build (feedhub.schedule reads these states
for that) or what a refresh stores of its items (items.py, trips.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .base import Connection, Row
from .core import StoreCore
from .dates import format_date, opt_date, parse_stored_date

DEFAULT_INTERVAL = 900
"""Seconds between two refreshes of a source the worker was not told about."""

BACKOFF_CAP = timedelta(hours=24)
"""The longest wait after failures (unless the source's own interval is longer)."""


def interval_after(refresh: timedelta, failures: int) -> timedelta:
    """How long after its last attempt a source is due, after ``failures`` consecutive
    failures: its interval after a success or a first failure (most are passing: a timeout, a
    restart), then twice as long for every further failure in a row (2x, 4x, 8x...), up to
    :data:`BACKOFF_CAP` or the interval itself if that is longer. A host that is gone is then
    asked about once a day instead of every 15 minutes, and the next success brings the
    source back to its interval. `feedhub build --force` fetches it regardless."""
    if failures <= 1 or refresh >= BACKOFF_CAP:
        return refresh
    return min(refresh * (1 << min(failures - 1, 20)), BACKOFF_CAP)


SOURCE_COLUMNS = ("id, etag, last_modified, body_hash, last_attempt, last_success, last_error, "
                  "last_error_at, failures, item_count, unmatched_labels, retry_after")
_FINISH_REFRESH = ("next_due=excluded.next_due, lease_owner='', lease_until='', "
                   "refreshes=sources.refreshes + 1")
"""The end of a refresh, in the upsert that records it: next due time set, lease released."""


@dataclass(frozen=True)
class SourceState:
    """What the store remembers about one source between builds."""

    id: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    failures: int = 0
    item_count: int = 0
    unmatched_labels: tuple[str, ...] = ()
    retry_after: datetime | None = None
    """Until when the server asked not to be asked again, in the Retry-After of the last
    failure (None: it did not say). Only a source that is failing (``failures``) heeds it."""


def _source_state(row: Row) -> SourceState:
    """A SourceState from a row of SOURCE_COLUMNS."""
    (sid, etag, last_modified, body_hash, last_attempt, last_success, last_error,
     last_error_at, failures, item_count, unmatched, retry_after) = row
    return SourceState(
        id=str(sid), etag=etag, last_modified=last_modified, body_hash=body_hash,
        last_attempt=opt_date(last_attempt), last_success=opt_date(last_success),
        last_error=last_error, last_error_at=opt_date(last_error_at),
        failures=int(failures), item_count=int(item_count),
        unmatched_labels=tuple(json.loads(unmatched)), retry_after=opt_date(retry_after),
    )


class SourceQueries(StoreCore):
    """The sources table: states, refreshes, schedule and leases."""

    def source_state(self, source_id: str) -> SourceState:
        row = self.db.execute(f"SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?",
                              (source_id,)).fetchone()
        return SourceState(id=source_id) if row is None else _source_state(row)

    def source_states(self) -> dict[str, SourceState]:
        """Every known source's state, by id in id order, read in one query (a build reads
        them all before it fetches)."""
        return {str(row[0]): _source_state(row) for row in self.db.execute(
            f"SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id")}

    def record_success(
        self,
        db: Connection,
        source_id: str,
        now: datetime,
        *,
        etag: str,
        last_modified: str,
        body_hash: str,
        unmatched_labels: Iterable[str] = (),
    ) -> None:
        stamp = format_date(now)
        # One write: the item count is counted by the database, and the refresh is finished
        # (next due time, lease released) in the same upsert. A warm build makes one of these
        # per source; two more writes each were a sixth of its SQLite statements.
        db.execute(
            "INSERT INTO sources (id, etag, last_modified, body_hash, last_attempt, "
            "last_success, failures, item_count, unmatched_labels, next_due, refreshes) "
            "VALUES (?,?,?,?,?,?,0,(SELECT COUNT(*) FROM item_sources WHERE source_id = ?),?,"
            "?,1) "
            "ON CONFLICT (id) DO UPDATE SET etag=excluded.etag, "
            "last_modified=excluded.last_modified, body_hash=excluded.body_hash, "
            "last_attempt=excluded.last_attempt, last_success=excluded.last_success, "
            "failures=0, item_count=excluded.item_count, "
            f"unmatched_labels=excluded.unmatched_labels, {_FINISH_REFRESH}",
            (source_id, etag, last_modified, body_hash, stamp, stamp, source_id,
             json.dumps(sorted(set(unmatched_labels)), ensure_ascii=False),
             self._next_due(db, source_id, now)),
        )

    def record_failure(self, source_id: str, now: datetime, error: str,
                       body_hash: str | None = None, *,
                       retry_after: timedelta | None = None) -> None:
        """Record a failed refresh at ``now``; ``body_hash``, when given, replaces the stored
        one (the pipeline marks a failure under settings the source was never read with).
        ``retry_after`` is how long the server asked not to be asked again (a FetchError's):
        the source is not due before it ends, in a build (``SourceState.retry_after``) or for
        a worker (``next_due``)."""
        stamp = format_date(now)
        until = format_date(now + retry_after) if retry_after is not None else ""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sources (id, last_attempt, last_error, last_error_at, failures, "
                "retry_after, next_due, refreshes, body_hash) VALUES (?,?,?,?,1,?,?,1,?) "
                "ON CONFLICT (id) DO UPDATE SET "
                "last_attempt=excluded.last_attempt, last_error=excluded.last_error, "
                "last_error_at=excluded.last_error_at, failures=sources.failures + 1, "
                "body_hash=COALESCE(?, sources.body_hash), "
                f"retry_after=excluded.retry_after, {_FINISH_REFRESH}",
                (source_id, stamp, error, stamp, until,
                 max(self._next_due(db, source_id, now, failed=True), until), body_hash or "",
                 body_hash),
            )

    # -- shared refresh work (feedhub worker) --------------------------------------------------

    def schedule_sources(self, intervals: dict[str, int]) -> None:
        """Make every configured source known, with its refresh interval in seconds. A new
        source is due at once; an existing one keeps its next due time."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO sources (id, interval_seconds) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET interval_seconds = excluded.interval_seconds",
                sorted(intervals.items()),
            )

    def claim_source(self, source_ids: Sequence[str], owner: str, now: datetime,
                     lease: timedelta) -> str | None:
        """Claim the source that is due longest among ``source_ids`` and not leased by a live
        worker; None when there is none. The claim is a lease until ``now + lease``: if the
        worker dies, another one may claim the source when it expires. Finishing the refresh
        (record_success / record_failure) releases it and sets the next due time, in the same
        transaction as the items, so a refresh is either wholly done once or not at all."""
        if not source_ids:
            return None
        stamp = format_date(now)
        marks = ",".join("?" * len(source_ids))
        with self.transaction() as db:
            row = db.execute(
                f"SELECT id FROM sources WHERE id IN ({marks}) AND next_due <= ? "
                f"AND lease_until <= ? ORDER BY next_due, id LIMIT 1{self.dialect.skip_locked}",
                (*source_ids, stamp, stamp),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE sources SET lease_owner = ?, lease_until = ? WHERE id = ?",
                       (owner, format_date(now + lease), row[0]))
            return str(row[0])

    def refresh_pending(self, source_ids: Sequence[str], now: datetime) -> bool:
        """Whether any of ``source_ids`` is due or being refreshed (leased) at ``now``."""
        if not source_ids:
            return False
        stamp = format_date(now)
        marks = ",".join("?" * len(source_ids))
        return bool(self.db.execute(
            f"SELECT COUNT(*) FROM sources WHERE id IN ({marks}) "
            "AND (next_due <= ? OR lease_until > ?)", (*source_ids, stamp, stamp)).scalar())

    def next_due(self, source_ids: Sequence[str]) -> datetime | None:
        """The earliest time one of ``source_ids`` falls due (or its lease ends)."""
        if not source_ids:
            return None
        marks = ",".join("?" * len(source_ids))
        times = [max(str(due), str(until)) for due, until in self.db.execute(
            f"SELECT next_due, lease_until FROM sources WHERE id IN ({marks})", source_ids)]
        return min((parse_stored_date(t) if t else datetime.min.replace(tzinfo=UTC)
                    for t in times), default=None)

    def lease(self, source_id: str) -> tuple[str, datetime | None]:
        """(owner, lease end) of a source; ("", None) when nobody holds it."""
        row = self.db.execute("SELECT lease_owner, lease_until FROM sources WHERE id = ?",
                              (source_id,)).fetchone()
        return (str(row[0]), opt_date(str(row[1]))) if row else ("", None)

    def refresh_count(self, source_id: str) -> int:
        """Refreshes of a source that completed (success or recorded failure)."""
        row = self.db.execute("SELECT refreshes FROM sources WHERE id = ?",
                              (source_id,)).fetchone()
        return int(row[0]) if row else 0

    def _next_due(self, db: Connection, source_id: str, now: datetime,
                  failed: bool = False) -> str:
        """When a source refreshed at ``now`` is due again: after its interval (set by
        :meth:`schedule_sources`; the default for a source never scheduled), backed off
        (:func:`interval_after`) when this refresh ``failed`` after others did."""
        row = db.execute("SELECT interval_seconds, failures FROM sources WHERE id = ?",
                         (source_id,)).fetchone()
        interval = timedelta(seconds=int(row[0]) if row else DEFAULT_INTERVAL)
        if failed:
            interval = interval_after(interval, (int(row[1]) if row else 0) + 1)
        return format_date(now + interval)
