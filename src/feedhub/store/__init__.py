"""Persistence of items and per-source state, in SQLite (the default) or PostgreSQL.

The database is named by a URL (:func:`open_store`); both backends run the same versioned
migrations (migrations.py) and the same queries, and differ only where base.Dialect says.

Contract: the store keeps what it is given and answers queries; it does not decide identity,
merging or dates (normalise and pipeline do). Each source's items and state are written in one
transaction (a savepoint when a build groups several sources in one commit, :meth:`Store.grouped`),
so a crash never leaves half a source, and loses at most the sources of an uncommitted group.

Dates are stored as fixed-width UTC ISO 8601 text (four-digit years: year 1 is "0001"), so
text order is time order. Reading never fails on one row's dates: a date that cannot be read,
or that no story carries, is read as a safe one and logged with the item's id
(:func:`_item_dates`); migration 9 repairs the rows older versions wrote that way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..dates import MIN_YEAR, is_story_date
from ..errors import StoreError
from ..model import ALL_SLUG, Enclosure, Item
from .base import Connection, Dialect, Row
from .migrations import MIGRATIONS, statements

log = logging.getLogger(__name__)

GROUP_SOURCES = 100
GROUP_SECONDS = 1.0
"""A build commits its sources' writes together, 100 at a time or every second (:meth:`grouped`)."""

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


ITEM_COLUMNS = ("id, title, link, summary, content, published, updated, first_seen, last_seen, "
                "image, author, labels, enclosures, content_hash, comments, undated")
SOURCE_COLUMNS = ("id, etag, last_modified, body_hash, last_attempt, last_success, last_error, "
                  "last_error_at, failures, item_count, unmatched_labels, retry_after")
_FINISH_REFRESH = ("next_due=excluded.next_due, lease_owner='', lease_until='', "
                   "refreshes=sources.refreshes + 1")
"""The end of a refresh, in the upsert that records it: next due time set, lease released."""


@functools.lru_cache(maxsize=8192)
def format_date(value: datetime) -> str:
    # Cached: a build stores the same few instants (its ``now``, shared stories' dates) many
    # times. Equal aware datetimes are the same instant, so they share one UTC text.
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
    # isoformat pads every year to four digits, so the text keeps its width (and text order
    # stays time order) down to year 1. strftime("%Y") did not on Linux: year 1 was written
    # "1-01-01T...", which fromisoformat cannot read back.
    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_stored_date(text: str) -> datetime:
    # Only format_date writes these. fromisoformat reads them ~100x faster than strptime
    # (Python 3.11 takes the "Z"): publishing reads every item's dates (bench/build.py).
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read_date(text: object) -> datetime | None:
    """A stored date, or None when the row holds no readable one."""
    try:
        return parse_stored_date(str(text))
    except (ValueError, OverflowError):
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""First seen of a row whose first_seen and last_seen are both unreadable (no feedhub wrote
such a row: it was edited by hand)."""


def _item_dates(item_id: str, published: object, updated: object, first_seen: object,
                last_seen: object) -> tuple[datetime, datetime, datetime]:
    """(published, updated, first_seen) of a stored row, repaired where the row holds a date
    that cannot be read or that no story carries (written by an older feedhub, or by hand):
    one bad row must not stop every build and every filtered feed. A bad published date
    becomes first_seen (as normalise dates an undated story), a bad updated date the published
    one; each repair is logged with the item's id. Migration 5 repairs such rows for good."""
    try:
        when = parse_stored_date(str(published))
        changed = parse_stored_date(str(updated))
        seen = parse_stored_date(str(first_seen))
    except ValueError:
        pass
    else:  # every row feedhub writes: checked without a call (publishing reads every item)
        if when.year >= MIN_YEAR and seen.year >= MIN_YEAR and when <= changed and (
                when <= seen or is_story_date(when, seen)):
            return when, changed, seen
    return _repaired_dates(item_id, published, updated, first_seen, last_seen)


def _repaired_dates(item_id: str, published: object, updated: object, first_seen: object,
                    last_seen: object) -> tuple[datetime, datetime, datetime]:
    seen = _read_date(first_seen)
    if seen is None or seen.year < MIN_YEAR:
        seen = _read_date(last_seen)
        if seen is None or seen.year < MIN_YEAR:
            seen = _EPOCH
        _repaired(item_id, "first_seen", first_seen, seen)
    when = _read_date(published)
    if when is None or not is_story_date(when, seen):
        _repaired(item_id, "published", published, seen)
        when = seen
    changed = _read_date(updated)
    if changed is None or changed.year < MIN_YEAR:
        _repaired(item_id, "updated", updated, when)
    return when, max(changed or when, when), seen


def _repaired(item_id: str, column: str, text: object, value: datetime) -> None:
    log.warning("item %s: its stored %s %r is unreadable or no story's date; read as %s",
                item_id, column, str(text), value.isoformat(),
                extra={"fields": {"item": item_id, "column": column, "stored": str(text)}})


def content_hash(item: Item) -> str:
    """Hash of what a reader sees; a change means the story was updated.

    The comments link is left out: a story whose comments page moved (or that is stored with
    one for the first time, as every item of a store from before comments were kept is) has
    not changed, and must not show a new ``updated`` date. The pipeline stores such a change
    all the same, and :meth:`Store.archive_rows` adds the link to what an archive depends on."""
    payload = json.dumps(
        [item.title, item.link, item.summary, item.content, item.image, item.author,
         sorted(item.categories), [(e.url, e.type, e.length) for e in item.enclosures]],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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


@dataclass(frozen=True)
class RefreshPass:
    """One finished `feedhub build` or worker refresh pass, as the builds table keeps it."""

    started: datetime
    finished: datetime
    ok: bool
    """No source failed."""
    summary: str = ""
    """One line for people: what was refreshed, failed and published."""
    owner: str = ""
    """The worker's name (its ``--name``, default host:pid); '' for `feedhub build`."""
    refreshed: int = 0
    """Sources this worker refreshed in the pass (failures included)."""
    failed: int = 0
    """Of those, how many failed."""
    published: datetime | None = None
    """When this worker's last publish in the pass finished; None if another one published."""


BUILD_HISTORY = timedelta(days=30)
"""Builds and passes are kept this long: with several workers each recording every pass, the
table would otherwise grow by thousands of rows a day."""

_PASS_COLUMNS = "started, finished, ok, summary, owner, refreshed, failed, published"


def _refresh_pass(row: Row) -> RefreshPass:
    started, finished, ok, summary, owner, refreshed, failed, published = row
    return RefreshPass(started=parse_stored_date(started), finished=parse_stored_date(finished),
                       ok=bool(ok), summary=str(summary), owner=str(owner),
                       refreshed=int(refreshed), failed=int(failed),
                       published=_opt_date(str(published)))


def _opt_date(text: str) -> datetime | None:
    return parse_stored_date(text) if text else None


def _source_state(row: Row) -> SourceState:
    """A SourceState from a row of SOURCE_COLUMNS."""
    (sid, etag, last_modified, body_hash, last_attempt, last_success, last_error,
     last_error_at, failures, item_count, unmatched, retry_after) = row
    return SourceState(
        id=str(sid), etag=etag, last_modified=last_modified, body_hash=body_hash,
        last_attempt=_opt_date(last_attempt), last_success=_opt_date(last_success),
        last_error=last_error, last_error_at=_opt_date(last_error_at),
        failures=int(failures), item_count=int(item_count),
        unmatched_labels=tuple(json.loads(unmatched)), retry_after=_opt_date(retry_after),
    )


CRASHED = "crashed: "
"""How the summary of a crashed build starts in the builds table (no column of its own, so no
migration: a crashed build is recorded with ``ok`` false and this before its reason)."""


@dataclass(frozen=True)
class BuildRecord:
    """One row of the builds table."""

    finished: datetime
    ok: bool
    """Every source succeeded."""
    crashed: bool = False
    """The build stopped before publishing (the served files are the previous ones)."""
    summary: str = ""
    """``N of M sources failed``, or for a crashed build the reason."""


@dataclass(frozen=True)
class BuildHistory:
    """What /healthz needs to know about the builds."""

    last: BuildRecord | None = None
    last_published: datetime | None = None
    """When the last build that did not crash finished (None: none yet)."""


class Store:
    """Items and per-source state in a database. Use :func:`open_store` to get one.

    The same code runs on every backend; ``db`` is the backend's :class:`Connection`.
    """

    def __init__(self, db: Connection) -> None:
        self.db = db
        self._unkeyed: bool | None = None
        try:
            self._migrate()
        except BaseException:
            db.close()
            raise

    @property
    def dialect(self) -> Dialect:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Everything written through the yielded connection commits together or not at all."""
        with self.db.transaction():
            yield self.db

    @contextmanager
    def grouped(self, sources: int = GROUP_SOURCES, seconds: float = GROUP_SECONDS
                ) -> Iterator[Callable[[], None]]:
        """Commit the writes of several sources together: inside, each :meth:`transaction` is
        a savepoint of a shared one, committed after every ``sources`` calls of the yielded
        function (one per source) or ``seconds``, whichever comes first, and at the end.

        A source still never half-stores (its savepoint is undone whole), but a crash loses up
        to the last group's sources: their items and their fetch state go together, so the next
        build fetches them again. SQLite rewrote ~200 random index pages per commit; a commit
        per source was 12 of the 25 s of the store stage of a 4000-source build, and a commit
        per 25 sources still cost ~13% more CPU than one per 100 (the writes of a cold
        1000-source build replayed, which a build makes at ~100 sources a second)."""
        stack = ExitStack()
        stack.enter_context(self.transaction())
        started, count = time.monotonic(), 0

        def done_one() -> None:
            nonlocal stack, started, count
            count += 1
            if count >= sources or time.monotonic() - started >= seconds:
                stack.close()  # commits
                stack = ExitStack()
                stack.enter_context(self.transaction())
                started, count = time.monotonic(), 0

        try:
            yield done_one
        except BaseException:
            stack.__exit__(*sys.exc_info())  # rolls the open group back
            raise
        stack.close()

    def schema_version(self) -> int:
        exists = self.db.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            if self.dialect.name == "postgresql" else
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        )
        if not exists.scalar():
            return self.db.legacy_schema_version()
        row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self) -> None:
        if self.schema_version() == len(MIGRATIONS):
            return
        with self.db.transaction():
            if self.dialect.migration_lock:
                self.db.execute(self.dialect.migration_lock)
            # Read again under the lock: another process may have migrated meanwhile.
            version = self.schema_version()
            if version > len(MIGRATIONS):
                raise StoreError(f"the store at {self.db.where} was written by a newer feedhub "
                                 f"(schema {version}, this one knows {len(MIGRATIONS)}); "
                                 "upgrade feedhub")
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_version "
                            "(version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
            for number in range(version + 1, len(MIGRATIONS) + 1):
                for sql in statements(number, self.dialect):
                    self.db.execute(sql)
                self.db.execute("INSERT INTO schema_version VALUES (?, ?)",
                                (number, format_date(datetime.now(UTC))))

    # -- items -------------------------------------------------------------------------------

    def get_items(self, ids: Iterable[str]) -> dict[str, Item]:
        ids = list(ids)
        found: dict[str, Item] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk)
            found.update((item.id, item) for item in self._items(rows.fetchall()))
        return found

    def items_for(self, slug: str, limit: int, offset: int = 0) -> list[Item]:
        """The newest ``limit`` items of a category (``all`` for every item), newest first."""
        if slug == ALL_SLUG:
            rows = self.db.execute(
                f"SELECT {ITEM_COLUMNS} FROM items ORDER BY published DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            )
        else:
            rows = self.db.execute(
                f"SELECT {ITEM_COLUMNS} FROM items JOIN item_categories c ON c.item_id = items.id "
                "WHERE c.slug = ? ORDER BY published DESC, id LIMIT ? OFFSET ?",
                (slug, limit, offset),
            )
        return self._items(rows.fetchall())

    def archive_rows(self, slug: str) -> list[tuple[str, str]]:
        """(id, what its published form depends on) of every item of a category (``all``
        for every item), OLDEST first: exactly the reverse of :meth:`items_for`'s order.

        The second part covers every stored field a feed renders (content_hash covers title,
        link, summary, content, image, author, categories and enclosures; the comments link,
        which content_hash leaves out, follows it when there is one) and the item's sources,
        so the publisher can tell which archive documents changed, and page through a long
        history, without loading every item."""
        if slug == ALL_SLUG:
            rows = self.db.execute(
                "SELECT id, published, updated, labels, content_hash, comments FROM items "
                "ORDER BY published, id DESC")
            sources = self.db.execute("SELECT item_id, source_id FROM item_sources")
        else:
            rows = self.db.execute(
                "SELECT id, published, updated, labels, content_hash, comments FROM items "
                "JOIN item_categories c ON c.item_id = items.id WHERE c.slug = ? "
                "ORDER BY published, id DESC", (slug,))
            sources = self.db.execute(
                "SELECT s.item_id, s.source_id FROM item_sources s JOIN item_categories c "
                "ON c.item_id = s.item_id WHERE c.slug = ?", (slug,))
        by_item: dict[str, list[str]] = {}
        for item_id, source_id in sources:
            by_item.setdefault(str(item_id), []).append(str(source_id))
        # An item without a comments link keeps the text it had before links were stored, so
        # an upgrade does not make every archive look changed. ``labels`` is JSON (it starts
        # with "["), a link starts with "http": the two cannot be mistaken for each other.
        return [(str(item_id), f"{published} {updated} {content} "
                 f"{f'{comments} ' if comments else ''}{labels} "
                 f"{' '.join(sorted(by_item.get(str(item_id), ())))}")
                for item_id, published, updated, labels, content, comments in rows]

    def count_items(self, slug: str = ALL_SLUG) -> int:
        if slug == ALL_SLUG:
            return int(self.db.execute("SELECT COUNT(*) FROM items").scalar())
        return int(self.db.execute("SELECT COUNT(*) FROM item_categories WHERE slug = ?",
                                   (slug,)).scalar())

    def dated_when_seen(self) -> dict[str, int]:
        """Per source, its stored items dated by the time feedhub first saw them (their page
        gave no date that parsed): the items marked ``undated``."""
        rows = self.db.execute(
            "SELECT s.source_id, COUNT(*) FROM items i JOIN item_sources s ON s.item_id = i.id "
            "WHERE i.undated = 1 GROUP BY s.source_id").fetchall()
        return {str(source): int(count) for source, count in rows}

    def _items(self, rows: Sequence[Row]) -> list[Item]:
        if not rows:
            return []
        ids = [str(row[0]) for row in rows]
        marks = ",".join("?" * len(ids))
        cats: dict[str, list[str]] = {}
        for item_id, slug in self.db.execute(
            f"SELECT item_id, slug FROM item_categories WHERE item_id IN ({marks})", ids
        ):
            cats.setdefault(item_id, []).append(slug)
        srcs: dict[str, list[str]] = {}
        for item_id, source_id in self.db.execute(
            f"SELECT item_id, source_id FROM item_sources WHERE item_id IN ({marks})", ids
        ):
            srcs.setdefault(item_id, []).append(source_id)
        keys: dict[str, list[str]] = {}
        for item_id, key in self.db.execute(
            f"SELECT item_id, key FROM item_keys WHERE item_id IN ({marks})", ids
        ):
            keys.setdefault(item_id, []).append(key)
        items = []
        for row in rows:
            (item_id, title, link, summary, content, published, updated, first_seen, last_seen,
             image, author, labels, enclosures, _hash, comments, undated) = row
            when, changed, seen = _item_dates(str(item_id), published, updated, first_seen,
                                             last_seen)
            items.append(Item(
                id=str(item_id), title=str(title), link=str(link), summary=str(summary),
                content=str(content), published=when, updated=changed, first_seen=seen,
                image=str(image), author=str(author),
                labels=tuple(json.loads(str(labels))),
                enclosures=tuple(Enclosure(*e) for e in json.loads(str(enclosures))),
                comments=str(comments),
                # A date repaired on reading is first sight's too: a parsed one may replace it.
                undated=bool(undated) or when == seen,
                # Sorted here, not in SQL: text collation differs between databases.
                categories=tuple(sorted(cats.get(str(item_id), ()))),
                sources=tuple(sorted(srcs.get(str(item_id), ()))),
                keys=tuple(sorted(keys.get(str(item_id), ()))),
            ))
        return items

    def save_items(self, db: Connection, items: Iterable[Item], now: datetime,
                   hashes: Mapping[str, str] | None = None) -> None:
        """Insert or replace items (inside :meth:`transaction`). ``first_seen`` must be set.

        ``hashes`` maps item id -> :func:`content_hash` for callers that computed it already
        (the pipeline does, once per item). Every statement runs once over all the items
        (executemany), not once per item. An id given twice keeps its last copy."""
        stamp = format_date(now)
        batch = list({item.id: item for item in items}.values())
        if not batch:
            return
        self._mark_dirty(db, now)
        rows = []
        for item in batch:
            if item.first_seen is None:
                raise ValueError(f"item {item.id} has no first_seen")
            if not item.keys:
                self._unkeyed = None
            digest = hashes.get(item.id) if hashes is not None else None
            rows.append((
                item.id, item.title, item.link, item.summary, item.content,
                format_date(item.published), format_date(item.updated),
                format_date(item.first_seen), stamp, item.image, item.author,
                json.dumps(list(item.labels), ensure_ascii=False),
                json.dumps([[e.url, e.type, e.length] for e in item.enclosures]),
                digest or content_hash(item), item.comments, int(item.undated)))
        db.executemany(
            f"INSERT INTO items ({ITEM_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET title=excluded.title, link=excluded.link, "
            "summary=excluded.summary, content=excluded.content, "
            "published=excluded.published, updated=excluded.updated, "
            "last_seen=excluded.last_seen, image=excluded.image, author=excluded.author, "
            "labels=excluded.labels, enclosures=excluded.enclosures, "
            "content_hash=excluded.content_hash, comments=excluded.comments, "
            "undated=excluded.undated", rows)
        db.executemany("DELETE FROM item_categories WHERE item_id = ?",
                       [(item.id,) for item in batch])
        db.executemany("INSERT INTO item_categories VALUES (?, ?)",
                       [(item.id, slug) for item in batch for slug in item.categories])
        db.executemany("INSERT INTO item_sources VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [(item.id, sid) for item in batch for sid in item.sources])
        db.executemany("INSERT INTO item_keys VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [(key, item.id) for item in batch for key in item.keys])

    def save_categories(self, db: Connection, items: Sequence[Item], now: datetime) -> None:
        """Replace the categories of stored items (inside :meth:`transaction`), and the
        content hash that covers them; nothing else (not ``last_seen``: no source listed
        them). For items a category edit re-sorts that their source no longer lists."""
        if not items:
            return
        self._mark_dirty(db, now)
        db.executemany("UPDATE items SET content_hash = ? WHERE id = ?",
                       [(content_hash(item), item.id) for item in items])
        db.executemany("DELETE FROM item_categories WHERE item_id = ?",
                       [(item.id,) for item in items])
        db.executemany("INSERT INTO item_categories VALUES (?, ?)",
                       [(item.id, slug) for item in items for slug in item.categories])

    def source_item_ids(self, source_id: str) -> list[str]:
        """Ids of the stored items that came from a source (among others, maybe)."""
        return [str(item_id) for (item_id,) in self.db.execute(
            "SELECT item_id FROM item_sources WHERE source_id = ?", (source_id,))]

    def touch_items(self, db: Connection, ids: Iterable[str], now: datetime) -> None:
        db.executemany("UPDATE items SET last_seen = ? WHERE id = ?",
                       [(format_date(now), item_id) for item_id in ids])

    def touch_listed(
        self, db: Connection, source_id: str, since: datetime, now: datetime
    ) -> None:
        """Mark as seen ``now`` the items a source listed at its last success (``since``).

        For a source whose body did not change: its items were not re-read, but they are still
        listed, and pruning (by ``last_seen``) must not take them. Every read of a source sets
        ``last_seen`` of the items it lists to the time it records as its success, so the
        items it still lists are those its own or a later read touched."""
        db.execute(
            "UPDATE items SET last_seen = ? WHERE last_seen >= ? AND id IN "
            "(SELECT item_id FROM item_sources WHERE source_id = ?)",
            (format_date(now), format_date(since), source_id),
        )

    def find_keys(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Identity key -> ids of the stored items that carry it, in no particular order (the
        caller orders them by the rows it loads anyway)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, list[str]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, item_id in self.db.execute(
                f"SELECT key, item_id FROM item_keys WHERE key IN ({marks})", chunk
            ):
                found.setdefault(str(key), []).append(str(item_id))
        return found

    def has_unkeyed_items(self) -> bool:
        """Whether any stored item has no identity key (rows written before keys were stored,
        found only by their id). Asked once per Store: rows only ever gain keys, and
        :meth:`save_items` asks again after it stores an item without any."""
        if self._unkeyed is None:
            self._unkeyed = self.db.execute(
                "SELECT id FROM items WHERE NOT EXISTS "
                "(SELECT 1 FROM item_keys k WHERE k.item_id = items.id) LIMIT 1"
            ).fetchone() is not None
        return self._unkeyed

    def prune(self, db: Connection, before: datetime) -> int:
        """Delete items published before ``before`` that no source has listed since then
        (inside :meth:`transaction`); returns how many went. Categories, sources and keys go
        with them (ON DELETE CASCADE)."""
        stamp = format_date(before)
        result = db.execute("DELETE FROM items WHERE published < ? AND last_seen < ?",
                            (stamp, stamp))
        if result.rowcount:
            self._mark_dirty(db, before)
        return result.rowcount

    # -- sources -----------------------------------------------------------------------------

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
        return (str(row[0]), _opt_date(str(row[1]))) if row else ("", None)

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

    # -- published files ---------------------------------------------------------------------

    def _mark_dirty(self, db: Connection, now: datetime) -> None:
        """Items changed: the feeds must be published again (once, by whoever gets to it).

        Each change is a row of its own (an insert, so concurrent writers never wait on each
        other), and a publish deletes exactly the rows it could see when it began: a change
        committed while a publish runs outlives it and is published next time."""
        db.execute("INSERT INTO publish_marks (at) VALUES (?)", (format_date(now),))

    def dirty_since(self) -> datetime | None:
        """Since when items changed that are not published yet (None: all published)."""
        return _opt_date(str(self.db.execute(
            "SELECT MIN(at) FROM publish_marks").scalar() or ""))

    @contextmanager
    def publishing(self, *, force: bool = False) -> Iterator[bool]:
        """Hold the publish lock while the body publishes; yields whether there is anything to
        publish (always True with ``force``). Another worker that tries meanwhile skips
        (PostgreSQL) or waits and then finds nothing left (SQLite), so a change is published
        once. The changes seen before the body runs are the ones it publishes, and only those
        are cleared after it: one stored meanwhile by another worker stays marked."""
        with self.transaction() as db:
            row = db.execute("SELECT generation FROM publish_state WHERE id = 1"
                             + self.dialect.skip_locked).fetchone()
            seen = [int(mark) for (mark,) in db.execute("SELECT id FROM publish_marks")]
            if row is None or (not seen and not force):
                yield False
                return
            yield True
            for start in range(0, len(seen), 500):
                chunk = seen[start:start + 500]
                db.execute(f"DELETE FROM publish_marks WHERE id IN ({', '.join('?' * len(chunk))})",
                           tuple(chunk))

    def save_published(self, db: Connection, path: str, body: bytes | None,
                       modified: int) -> bool:
        """Keep one published file (inside :meth:`publishing`); False when it is unchanged.
        ``modified`` is the file's mtime in seconds, which servers send as Last-Modified.
        ``body`` None records the file without its bytes (a store that is not shared: see
        ``Dialect.shared``); :meth:`published_file` then has no copy of it."""
        body = body or b""
        row = db.execute("SELECT body, modified FROM published WHERE path = ?",
                         (path,)).fetchone()
        if row is not None and bytes(row[0]) == body and int(row[1]) == modified:
            return False
        db.execute("UPDATE publish_state SET generation = generation + 1 WHERE id = 1")
        generation = db.execute("SELECT generation FROM publish_state WHERE id = 1").scalar()
        db.execute("INSERT INTO published VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                   "body = excluded.body, modified = excluded.modified, "
                   "generation = excluded.generation", (path, body, modified, generation))
        return True

    def published_generation(self) -> int:
        """Grows whenever any published file changes: a cheap "anything new?" for web nodes."""
        return int(self.db.execute(
            "SELECT generation FROM publish_state WHERE id = 1").scalar())

    def published_versions(self) -> dict[str, int]:
        """Every published file's path -> the generation it last changed in."""
        return {str(path): int(gen) for path, gen in
                self.db.execute("SELECT path, generation FROM published")}

    def published_paths(self) -> list[str]:
        """Every published file's path. Reads the primary key's index only: the generation
        column sits after each file's body, so :meth:`published_versions` reads every body
        (about 40 ms for 4,000 files, a warm build's largest store read)."""
        return [str(path) for (path,) in self.db.execute("SELECT path FROM published")]

    def published_file(self, path: str) -> tuple[bytes, int, int] | None:
        """(body, mtime seconds, generation) of a published file, None when there is none or
        it was recorded without its bytes (no published file is empty)."""
        row = self.db.execute("SELECT body, modified, generation FROM published WHERE path = ?",
                              (path,)).fetchone()
        return (bytes(row[0]), int(row[1]), int(row[2])) if row and row[0] else None

    # -- builds ------------------------------------------------------------------------------

    def record_build(self, started: datetime, finished: datetime, ok: bool, summary: str, *,
                     crashed: bool = False, owner: str = "", refreshed: int = 0,
                     failed: int = 0, published: datetime | None = None) -> None:
        """Record a build, or a worker's refresh pass (``owner`` and its counts: see
        :class:`RefreshPass`). ``ok``: every source succeeded. ``crashed``: it stopped before
        publishing (a store or publish failure); its ``summary`` is the reason, stored after
        :data:`CRASHED`. Rows that finished more than :data:`BUILD_HISTORY` before this one
        are deleted, except each owner's last, so a stopped worker's last pass stays."""
        if crashed:
            ok, summary = False, CRASHED + summary
        with self.transaction() as db:
            db.execute(f"INSERT INTO builds ({_PASS_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                       (format_date(started), format_date(finished), int(ok), summary, owner,
                        refreshed, failed, format_date(published) if published else ""))
            # Correlated, so only the old rows (found by index) look up their owner's last.
            db.execute("DELETE FROM builds WHERE finished < ? AND id < "
                       "(SELECT MAX(b.id) FROM builds b WHERE b.owner = builds.owner)",
                       (format_date(finished - BUILD_HISTORY),))

    def last_build(self) -> tuple[datetime, bool] | None:
        """(finished, ok) of the last build or pass recorded, by any process."""
        row = self.db.execute(
            "SELECT finished, ok FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        return (parse_stored_date(row[0]), bool(row[1])) if row else None

    def build_history(self) -> BuildHistory:
        """The last build and when the last build that published finished (/healthz)."""
        row = self.db.execute(
            "SELECT finished, ok, summary FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return BuildHistory()
        summary = str(row[2])
        crashed = summary.startswith(CRASHED)
        last = BuildRecord(finished=parse_stored_date(row[0]), ok=bool(row[1]),
                           crashed=crashed, summary=summary.removeprefix(CRASHED))
        if not crashed:
            return BuildHistory(last=last, last_published=last.finished)
        published = self.db.execute(
            "SELECT finished FROM builds WHERE summary NOT LIKE ? ORDER BY id DESC LIMIT 1",
            (CRASHED + "%",)).fetchone()
        return BuildHistory(last=last,
                            last_published=parse_stored_date(published[0]) if published else None)

    def last_passes(self) -> list[RefreshPass]:
        """The last build or pass of each owner (each worker, and '' for `feedhub build`),
        the most recent first."""
        return [_refresh_pass(row) for row in self.db.execute(
            f"SELECT {_PASS_COLUMNS} FROM builds WHERE id IN "
            "(SELECT MAX(id) FROM builds GROUP BY owner) ORDER BY id DESC")]


def open_store(url: str, root: Path, *, bulk_writes: bool = False) -> Store:
    """Open the store named by a database URL, creating or upgrading its schema.

    ``sqlite:///path`` (a relative path is relative to ``root``, the config's folder) or
    ``postgresql://user:password@host:port/dbname`` (``postgres://`` works too).
    ``bulk_writes``: this connection stores many items (a build, a refresh worker); with SQLite
    it gets a large page cache (PostgreSQL's cache is the server's).
    """
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteConnection

        path = Path(url.removeprefix("sqlite:///"))
        return Store(SQLiteConnection(path if path.is_absolute() else root / path,
                                      bulk_writes=bulk_writes))
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresConnection

        return Store(PostgresConnection(url))
    raise StoreError(f"unsupported store URL {url!r}; use sqlite:///path/to/feedhub.db or "
                     "postgresql://user:password@host:5432/dbname")
