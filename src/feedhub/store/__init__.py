"""Persistence of items and per-source state, in SQLite (the default) or PostgreSQL.

The database is named by a URL (:func:`open_store`); both backends run the same versioned
migrations (migrations.py) and the same queries, and differ only where base.Dialect says.

Contract: the store keeps what it is given and answers queries; it does not decide identity,
merging or dates (normalise and pipeline do). Each source's items and state are written in one
transaction (a savepoint when a build groups several sources in one commit, :meth:`Store.grouped`),
so a crash never leaves half a source, and loses at most the sources of an uncommitted group.

This face composes :class:`Store` from one module per concept, beside it:

- core.py: the connection, transactions and groups of them;
- dates.py: how dates are written and read back (and a row's bad dates repaired);
- items.py: items, their keys, categories and sources; pruning;
- sources.py: source states, successes and failures, the workers' schedule and leases;
- trips.py: the few calls one source's trip makes (stored selves, its outcome whole);
- published.py: publish marks, the publish lock, published files and generations;
- builds.py: the history of builds and refresh passes;
- articles.py: the article pages of full_text sources: the story each gave, or why not;
- yields.py: what listing sources' selectors yield, and the drift found when that fell;
- incidents.py: the operator feed's incidents, and the newest item of each source;
- base.py, sqlite.py, postgres.py: the database connection, per backend;
- migrations.py: the schema, and bringing a store up to it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreError
from ..model import ALL_SLUG
from .articles import Article, ArticleCounts
from .base import Connection
from .builds import BUILD_HISTORY, CRASHED, BuildHistory, BuildQueries, BuildRecord, RefreshPass
from .core import GROUP_SECONDS, GROUP_SOURCES
from .dates import format_date, parse_stored_date
from .incidents import Incident, IncidentQueries
from .items import ITEM_COLUMNS, content_hash
from .migrations import MIGRATIONS, migrate, schema_version
from .postgres import PostgresConnection
from .published import PublishedFiles
from .sources import BACKOFF_CAP, DEFAULT_INTERVAL, SOURCE_COLUMNS, SourceState, interval_after
from .sqlite import SQLiteConnection
from .trips import Outcome, StoredSelves, TripQueries
from .yields import Drift, Yield, YieldQueries

__all__ = [
    "ALL_SLUG", "BACKOFF_CAP", "BUILD_HISTORY", "CRASHED", "DEFAULT_INTERVAL", "GROUP_SECONDS",
    "GROUP_SOURCES", "ITEM_COLUMNS", "MIGRATIONS", "SOURCE_COLUMNS", "Article", "ArticleCounts",
    "BuildHistory", "BuildRecord", "Drift", "Incident", "Outcome", "RefreshPass", "SourceState",
    "Store", "StoredSelves", "Yield", "content_hash", "format_date", "interval_after",
    "open_store", "parse_stored_date",
]


class Store(TripQueries, PublishedFiles, BuildQueries, YieldQueries, IncidentQueries):
    """Items and per-source state in a database. Use :func:`open_store` to get one.

    The same code runs on every backend; ``db`` is the backend's :class:`Connection`.
    """

    def __init__(self, db: Connection) -> None:
        super().__init__(db)
        try:
            # Up to the migrations this feedhub knows: MIGRATIONS as this module holds it.
            migrate(db, len(MIGRATIONS))
        except BaseException:
            db.close()
            raise

    def schema_version(self) -> int:
        return schema_version(self.db)


def open_store(url: str, root: Path, *, bulk_writes: bool = False) -> Store:
    """Open the store named by a database URL, creating or upgrading its schema.

    ``sqlite:///path`` (a relative path is relative to ``root``, the config's folder) or
    ``postgresql://user:password@host:port/dbname`` (``postgres://`` works too).
    ``bulk_writes``: this connection stores many items (a build, a refresh worker); with SQLite
    it gets a large page cache (PostgreSQL's cache is the server's).
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return Store(SQLiteConnection(path if path.is_absolute() else root / path,
                                      bulk_writes=bulk_writes))
    if url.startswith(("postgresql://", "postgres://")):
        return Store(PostgresConnection(url))
    raise StoreError(f"unsupported store URL {url!r}; use sqlite:///path/to/feedhub.db or "
                     "postgresql://user:password@host:5432/dbname")
