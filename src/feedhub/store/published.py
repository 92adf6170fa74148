"""Publishing through the store: the marks that say items changed since the last publish, the
publish lock, and the published files with their generations (what web nodes and other
workers serve and restore from; see feedhub.sync).

Must not: render anything (feedhub.publish does) or write the output folder (feedhub.sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from .base import Connection
from .core import StoreCore
from .dates import format_date, opt_date


def mark_dirty(db: Connection, now: datetime) -> None:
    """Items changed: the feeds must be published again (once, by whoever gets to it).

    Each change is a row of its own (an insert, so concurrent writers never wait on each
    other), and a publish deletes exactly the rows it could see when it began: a change
    committed while a publish runs outlives it and is published next time."""
    db.execute("INSERT INTO publish_marks (at) VALUES (?)", (format_date(now),))


class PublishedFiles(StoreCore):
    """The publish marks, lock and files of a store."""

    def dirty_since(self) -> datetime | None:
        """Since when items changed that are not published yet (None: all published)."""
        return opt_date(str(self.db.execute(
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
