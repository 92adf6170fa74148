"""SQLite backend: the only module that imports sqlite3.

Traps: ``isolation_level=None`` is needed for explicit BEGIN/COMMIT (the module's implicit
transactions would otherwise commit behind our back). BEGIN IMMEDIATE takes the write lock at the
start, so two processes never both read-then-write and deadlock; ``timeout`` makes the second
one wait instead of failing at once. WAL lets readers (the web app) read while a build writes;
it is checkpointed every 10000 pages rather than 1000 (far fewer fsyncs in a build).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .base import Dialect, Result, Row

DIALECT = Dialect(
    name="sqlite",
    serial_pk="INTEGER PRIMARY KEY AUTOINCREMENT",
    blob="BLOB",
    skip_locked="",
    migration_lock="",
    shared=False,
)


BULK_CACHE_KIB = 64 * 1024
"""Page cache of a connection that writes many items (``bulk_writes``), in KiB; every other
connection keeps SQLite's default of 2 MiB."""


class SQLiteConnection:
    dialect = DIALECT

    def __init__(self, path: Path, *, bulk_writes: bool = False) -> None:
        self.where = str(path)
        self._depth = 0
        """Open transactions: 0 outside one; a transaction inside one is a savepoint."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                      check_same_thread=False)
            self._set_wal()
            self.db.execute("PRAGMA synchronous=NORMAL")
            # A build commits once per source, and each commit rewrites the index pages it
            # touched: checkpointing every 1000 pages (the default) copied the same pages to
            # the database and fsynced some 200 times in a cold 1000-source build. Every
            # 10000 pages (~40 MiB of WAL) does far fewer of both, and the WAL file is cut
            # back to 16 MiB after each.
            self.db.execute("PRAGMA wal_autocheckpoint=10000")
            self.db.execute(f"PRAGMA journal_size_limit={16 * 2**20}")
            if bulk_writes:
                # Item ids are hashes, so a build's inserts land on random index pages: with
                # the default 2 MiB page cache nearly every one was read back from the OS.
                # 64 MiB (an upper bound, filled only as pages are read) holds the indexes of a
                # 1000-source store; the store stage of a cold 1000-source build spent ~15%
                # less CPU. Readers (web nodes, archive workers reading each item about once)
                # would only grow their memory with it.
                self.db.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
                # A build stores each source in a savepoint of a group's transaction, and SQLite
                # keeps the first copy of every page a savepoint changes in a sub-journal, a
                # temporary file once it passes 64 KiB: ~250,000 page writes (~1 GB) into
                # /var/tmp in a cold 1000-source build, six times those into the WAL. In memory
                # (a source's savepoint holds a few MB, freed when it ends) the build spent
                # ~6% less CPU, its store stage ~10%. Sorts without an index (a category's
                # archive rows) are kept in memory too: no larger than the rows' list made
                # from them.
                self.db.execute("PRAGMA temp_store=MEMORY")
            self.db.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}; check that the folder "
                             "exists and is writable") from exc

    def _set_wal(self) -> None:
        # Switching a new file to WAL needs an exclusive lock, and SQLite answers "locked" at
        # once (no busy wait) when another connection is mid-switch: try again, briefly.
        for attempt in range(100):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    raise
                time.sleep(0.05)

    def execute(self, sql: str, params: Sequence[object] = ()) -> Result:
        try:
            cursor = self.db.execute(sql, params)
            return Result(cursor.fetchall(), cursor.rowcount)
        except sqlite3.Error as exc:
            raise StoreError(f"store query failed ({self.where}): {exc}") from exc

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        try:
            cursor = self.db.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                yield from batch
        except sqlite3.Error as exc:
            raise StoreError(f"store query failed ({self.where}): {exc}") from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed ({self.where}): {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            # Inside another transaction: a savepoint, undone alone if this part fails.
            with self._savepoint():
                yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed ({self.where}): {exc}") from exc
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed ({self.where}): {exc}") from exc

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"part{self._depth}"
        self._depth += 1
        try:
            self.db.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
                raise
            self.db.execute(f"RELEASE {name}")
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed ({self.where}): {exc}") from exc
        finally:
            self._depth -= 1

    def legacy_schema_version(self) -> int:
        """The version stores written before the schema_version table kept in user_version."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.db.close()
