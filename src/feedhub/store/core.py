"""What every part of the store stands on: one open :class:`~.base.Connection`, its
transactions, and groups of them (:meth:`StoreCore.grouped`).

The queries of each concept (items.py, sources.py, published.py, builds.py, trips.py) are
mixins of :class:`StoreCore`; the package's face composes them into ``Store``.

Must not: know any table (the query modules do) or the schema (migrations.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Self

from .base import Connection, Dialect

GROUP_SOURCES = 100
GROUP_SECONDS = 1.0
"""A build commits its sources' writes together, 100 at a time or every second (:meth:`grouped`)."""


class StoreCore:
    """A store's connection and transactions. ``db`` is the backend's :class:`Connection`."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    @property
    def dialect(self) -> Dialect:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
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
