"""Persistence of items and per-source state. SQLite by default (WAL, versioned migrations).

Contract: the store keeps what it is given and answers queries; it does not decide identity,
merging or dates (normalise and pipeline do). Each source's items and state are written in one
transaction, so a crash mid-build loses nothing already stored and never half a source.

Dates are stored as fixed-width UTC ISO 8601 text, so text order is time order.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import StoreError
from .model import ALL_SLUG, Enclosure, Item

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        link TEXT NOT NULL,
        summary TEXT NOT NULL,
        content TEXT NOT NULL,
        published TEXT NOT NULL,
        updated TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        image TEXT NOT NULL,
        author TEXT NOT NULL,
        labels TEXT NOT NULL,
        enclosures TEXT NOT NULL,
        content_hash TEXT NOT NULL
    );
    CREATE INDEX items_published ON items (published DESC, id);
    CREATE TABLE item_categories (
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        slug TEXT NOT NULL,
        PRIMARY KEY (item_id, slug)
    );
    CREATE INDEX item_categories_slug ON item_categories (slug);
    CREATE TABLE item_sources (
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        source_id TEXT NOT NULL,
        PRIMARY KEY (item_id, source_id)
    );
    CREATE INDEX item_sources_source ON item_sources (source_id);
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        body_hash TEXT NOT NULL DEFAULT '',
        last_attempt TEXT NOT NULL DEFAULT '',
        last_success TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '',
        last_error_at TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0,
        item_count INTEGER NOT NULL DEFAULT 0,
        unmatched_labels TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE builds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        ok INTEGER NOT NULL,
        summary TEXT NOT NULL
    );
    """,
    # 2: identity keys (guid, canonical link, normalised title) -> item, so a story met again
    # under any of its keys, from any source, is found and keeps its id.
    """
    CREATE TABLE item_keys (
        key TEXT NOT NULL,
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        PRIMARY KEY (key, item_id)
    );
    CREATE INDEX item_keys_item ON item_keys (item_id);
    CREATE INDEX items_last_seen ON items (last_seen);
    """,
)


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit the lock away)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {buffer.strip()[:60]}")


def format_date(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
    return value.astimezone(UTC).strftime(_DATE_FORMAT)


def parse_stored_date(text: str) -> datetime:
    return datetime.strptime(text, _DATE_FORMAT).replace(tzinfo=UTC)


def content_hash(item: Item) -> str:
    """Hash of what a reader sees; a change means the story was updated."""
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


def _opt_date(text: str) -> datetime | None:
    return parse_stored_date(text) if text else None


class Store:
    """A SQLite-backed store. Use :func:`open_store` to get one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed ({self.path}): {exc}") from exc

    def _migrate(self) -> None:
        """Bring the schema up to date. Safe when several processes open a fresh store at once:
        the version is read again inside the write lock, so each migration runs exactly once."""
        if self._version() == len(MIGRATIONS):
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self._version()
            for number in range(version, len(MIGRATIONS)):
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _version(self) -> int:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise StoreError(f"the store at {self.path} was written by a newer feedhub "
                             f"(schema {version}); upgrade feedhub")
        return version

    # -- items -------------------------------------------------------------------------------

    def get_items(self, ids: Iterable[str]) -> dict[str, Item]:
        ids = list(ids)
        found: dict[str, Item] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT * FROM items WHERE id IN ({marks})", chunk)
            found.update((item.id, item) for item in self._items(rows.fetchall()))
        return found

    def items_for(self, slug: str, limit: int, offset: int = 0) -> list[Item]:
        """The newest ``limit`` items of a category (``all`` for every item), newest first."""
        if slug == ALL_SLUG:
            rows = self.db.execute(
                "SELECT * FROM items ORDER BY published DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            )
        else:
            rows = self.db.execute(
                "SELECT items.* FROM items JOIN item_categories c ON c.item_id = items.id "
                "WHERE c.slug = ? ORDER BY published DESC, id LIMIT ? OFFSET ?",
                (slug, limit, offset),
            )
        return self._items(rows.fetchall())

    def count_items(self, slug: str = ALL_SLUG) -> int:
        if slug == ALL_SLUG:
            row = self.db.execute("SELECT COUNT(*) FROM items").fetchone()
        else:
            row = self.db.execute("SELECT COUNT(*) FROM item_categories WHERE slug = ?",
                                  (slug,)).fetchone()
        return int(row[0])

    def _items(self, rows: Sequence[sqlite3.Row | tuple[object, ...]]) -> list[Item]:
        if not rows:
            return []
        ids = [str(row[0]) for row in rows]
        marks = ",".join("?" * len(ids))
        cats: dict[str, list[str]] = {}
        for item_id, slug in self.db.execute(
            f"SELECT item_id, slug FROM item_categories WHERE item_id IN ({marks}) "
            "ORDER BY slug", ids
        ):
            cats.setdefault(item_id, []).append(slug)
        srcs: dict[str, list[str]] = {}
        for item_id, source_id in self.db.execute(
            f"SELECT item_id, source_id FROM item_sources WHERE item_id IN ({marks}) "
            "ORDER BY source_id", ids
        ):
            srcs.setdefault(item_id, []).append(source_id)
        keys: dict[str, list[str]] = {}
        for item_id, key in self.db.execute(
            f"SELECT item_id, key FROM item_keys WHERE item_id IN ({marks}) ORDER BY key", ids
        ):
            keys.setdefault(item_id, []).append(key)
        items = []
        for row in rows:
            (item_id, title, link, summary, content, published, updated, first_seen, _last_seen,
             image, author, labels, enclosures, _hash) = row
            items.append(Item(
                id=str(item_id), title=str(title), link=str(link), summary=str(summary),
                content=str(content), published=parse_stored_date(str(published)),
                updated=parse_stored_date(str(updated)),
                first_seen=parse_stored_date(str(first_seen)),
                image=str(image), author=str(author),
                labels=tuple(json.loads(str(labels))),
                enclosures=tuple(Enclosure(*e) for e in json.loads(str(enclosures))),
                categories=tuple(cats.get(str(item_id), ())),
                sources=tuple(srcs.get(str(item_id), ())),
                keys=tuple(keys.get(str(item_id), ())),
            ))
        return items

    def save_items(self, db: sqlite3.Connection, items: Iterable[Item], now: datetime) -> None:
        """Insert or replace items (inside :meth:`transaction`). ``first_seen`` must be set."""
        stamp = format_date(now)
        for item in items:
            if item.first_seen is None:
                raise ValueError(f"item {item.id} has no first_seen")
            db.execute(
                "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (id) DO UPDATE SET title=excluded.title, link=excluded.link, "
                "summary=excluded.summary, content=excluded.content, "
                "published=excluded.published, updated=excluded.updated, "
                "last_seen=excluded.last_seen, image=excluded.image, author=excluded.author, "
                "labels=excluded.labels, enclosures=excluded.enclosures, "
                "content_hash=excluded.content_hash",
                (item.id, item.title, item.link, item.summary, item.content,
                 format_date(item.published), format_date(item.updated),
                 format_date(item.first_seen), stamp, item.image, item.author,
                 json.dumps(list(item.labels), ensure_ascii=False),
                 json.dumps([[e.url, e.type, e.length] for e in item.enclosures]),
                 content_hash(item)),
            )
            db.execute("DELETE FROM item_categories WHERE item_id = ?", (item.id,))
            db.executemany("INSERT INTO item_categories VALUES (?, ?)",
                           [(item.id, slug) for slug in item.categories])
            db.executemany("INSERT OR IGNORE INTO item_sources VALUES (?, ?)",
                           [(item.id, sid) for sid in item.sources])
            db.executemany("INSERT OR IGNORE INTO item_keys VALUES (?, ?)",
                           [(key, item.id) for key in item.keys])

    def touch_items(self, db: sqlite3.Connection, ids: Iterable[str], now: datetime) -> None:
        db.executemany("UPDATE items SET last_seen = ? WHERE id = ?",
                       [(format_date(now), item_id) for item_id in ids])

    def find_keys(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Identity key -> ids of the stored items that carry it (oldest first_seen first)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, list[str]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, item_id in self.db.execute(
                f"SELECT k.key, k.item_id FROM item_keys k JOIN items i ON i.id = k.item_id "
                f"WHERE k.key IN ({marks}) ORDER BY i.first_seen, i.id", chunk
            ):
                found.setdefault(key, []).append(item_id)
        return found

    def prune(self, db: sqlite3.Connection, before: datetime) -> int:
        """Delete items published before ``before`` that no source has listed since then
        (inside :meth:`transaction`); returns how many went. Categories, sources and keys go
        with them (ON DELETE CASCADE)."""
        stamp = format_date(before)
        cursor = db.execute("DELETE FROM items WHERE published < ? AND last_seen < ?",
                            (stamp, stamp))
        return int(cursor.rowcount)

    # -- sources -----------------------------------------------------------------------------

    def source_state(self, source_id: str) -> SourceState:
        row = self.db.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            return SourceState(id=source_id)
        (sid, etag, last_modified, body_hash, last_attempt, last_success, last_error,
         last_error_at, failures, item_count, unmatched) = row
        return SourceState(
            id=sid, etag=etag, last_modified=last_modified, body_hash=body_hash,
            last_attempt=_opt_date(last_attempt), last_success=_opt_date(last_success),
            last_error=last_error, last_error_at=_opt_date(last_error_at),
            failures=int(failures), item_count=int(item_count),
            unmatched_labels=tuple(json.loads(unmatched)),
        )

    def source_states(self) -> dict[str, SourceState]:
        ids = [row[0] for row in self.db.execute("SELECT id FROM sources ORDER BY id")]
        return {sid: self.source_state(sid) for sid in ids}

    def record_success(
        self,
        db: sqlite3.Connection,
        source_id: str,
        now: datetime,
        *,
        etag: str,
        last_modified: str,
        body_hash: str,
        unmatched_labels: Iterable[str] = (),
    ) -> None:
        count = db.execute("SELECT COUNT(*) FROM item_sources WHERE source_id = ?",
                           (source_id,)).fetchone()[0]
        stamp = format_date(now)
        db.execute(
            "INSERT INTO sources (id, etag, last_modified, body_hash, last_attempt, "
            "last_success, failures, item_count, unmatched_labels) "
            "VALUES (?,?,?,?,?,?,0,?,?) ON CONFLICT (id) DO UPDATE SET etag=excluded.etag, "
            "last_modified=excluded.last_modified, body_hash=excluded.body_hash, "
            "last_attempt=excluded.last_attempt, last_success=excluded.last_success, "
            "failures=0, item_count=excluded.item_count, "
            "unmatched_labels=excluded.unmatched_labels",
            (source_id, etag, last_modified, body_hash, stamp, stamp, count,
             json.dumps(sorted(set(unmatched_labels)), ensure_ascii=False)),
        )

    def record_failure(self, source_id: str, now: datetime, error: str) -> None:
        stamp = format_date(now)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sources (id, last_attempt, last_error, last_error_at, failures) "
                "VALUES (?,?,?,?,1) ON CONFLICT (id) DO UPDATE SET "
                "last_attempt=excluded.last_attempt, last_error=excluded.last_error, "
                "last_error_at=excluded.last_error_at, failures=sources.failures + 1",
                (source_id, stamp, error, stamp),
            )

    # -- builds ------------------------------------------------------------------------------

    def record_build(self, started: datetime, finished: datetime, ok: bool, summary: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO builds (started, finished, ok, summary) VALUES (?,?,?,?)",
                       (format_date(started), format_date(finished), int(ok), summary))

    def last_build(self) -> tuple[datetime, bool] | None:
        row = self.db.execute(
            "SELECT finished, ok FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        return (parse_stored_date(row[0]), bool(row[1])) if row else None


def open_store(url: str, root: Path) -> Store:
    """Open the store named by a database URL; a relative sqlite path is relative to ``root``."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return Store(path if path.is_absolute() else root / path)
    raise StoreError(f"unsupported store URL {url!r}; use sqlite:///path/to/feedhub.db")
