"""Web nodes without a local build: published files answered from the store.

:class:`StorePublished` is web.published.Published with the store as its folder. ``feedhub
worker`` (through sync.publish) keeps in the store every file the publisher wrote, with its
mtime, so the answer is the same body, hence the same ETag, and the same Last-Modified as the
file server would give. Each file is held in memory, ready to answer, until it changes: the node
asks the store for one number (the publish generation) at most every ``poll`` seconds, and
only when it moved for the list of files that changed.

If the database cannot be reached, the files already held keep being served (stale beats an
error for feed readers); a file never loaded answers 503 like a file not built yet.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from ..errors import StoreError
from ..model import Config
from ..store import Store, open_store
from .published import Published, Ready, make_ready

log = logging.getLogger("feedhub.webstore")  # the name its log lines have always carried


class StorePublished(Published):
    def __init__(self, config: Config, poll: float = 1.0) -> None:
        super().__init__(config)
        self.config = config
        self.poll = poll
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._pid = 0
        self._checked = float("-inf")
        self._generation = -1
        self._versions: dict[str, int] = {}

    def _open(self) -> Store:
        # A connection must not cross a fork (gunicorn's pre-fork workers): open per process.
        if self._store is None or self._pid != os.getpid():
            self._store = open_store(self.config.store, self.config.root)
            self._pid = os.getpid()
        return self._store

    def _drop(self) -> None:
        if self._store is not None and self._pid == os.getpid():
            # Already broken; a new connection comes next time.
            with contextlib.suppress(Exception):
                self._store.close()
        self._store = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __del__(self) -> None:
        # The app lives as long as its process; close quietly when it goes (tests, reloads).
        self._drop()

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.poll:
            return
        self._checked = now
        store = self._open()
        generation = store.published_generation()
        if generation != self._generation:
            self._versions = store.published_versions()
            self._generation = generation

    def _refresh_or_keep(self) -> None:
        """:meth:`_refresh`, or, when the store cannot be reached, keep what is held (with the
        lock held)."""
        try:
            self._refresh()
        except StoreError as exc:
            log.warning("cannot reach the store, serving what is held: %s", exc)
            self._drop()

    def has(self, relpath: str) -> bool:
        with self._lock:
            self._refresh_or_keep()
            return relpath in self._versions

    def get(self, relpath: str, content_type: str) -> Ready | None:
        with self._lock:
            self._refresh_or_keep()
            version = self._versions.get(relpath)
            if version is None:
                return None
            ready = self._files.get(relpath)
            if ready is not None and ready.version == (version, 0):
                return ready
            try:
                found = self._open().published_file(relpath)
            except StoreError as exc:
                log.warning("cannot read %s from the store: %s", relpath, exc)
                self._drop()
                return ready
            if found is None:
                return None
            body, modified, generation = found
            ready = make_ready(self.settings, relpath, content_type, body, None, modified,
                               (generation, 0))
            self._files[relpath] = ready
            while len(self._files) > len(self._versions) + 16:
                self._files.popitem(last=False)
            return ready


def published_for(config: Config) -> Published:
    """Where a web node answers published files from: the store when it is shared
    (PostgreSQL, several machines), else the output folder."""
    if config.store.startswith(("postgresql://", "postgres://")):
        return StorePublished(config)
    return Published(config)
