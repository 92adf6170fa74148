"""The store's schema, as one list of versioned migrations shared by every backend.

Migration N (1-based) is ``MIGRATIONS[N - 1]``: a tuple of statements run in one transaction,
after which ``schema_version`` says N. Never edit a migration that has shipped; append one.
Statements are plain SQL that SQLite and PostgreSQL both accept; the few words that differ
are ``{placeholders}`` filled from the backend's :class:`~feedhub.store.base.Dialect`
(``{serial_pk}``, ``{blob}``). Dates are fixed-width UTC ISO 8601 text in both, so text order
is time order and the same queries compare them. :func:`migrate` brings a store's schema up
to date when it opens.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import StoreError
from .base import Connection, Dialect
from .dates import format_date

STORED_DATE = "____-__-__T__:__:__.______Z"
"""LIKE pattern of the text format_date writes (27 characters, UTC, four-digit year)."""


def _no_story_date(column: str) -> str:
    """SQL: the column holds no date a story can carry: not format_date's shape (such as
    "1-01-01T00:00:00.000000Z", which feedhub wrote for year 1 before migration 9), or a year
    before feedhub.dates.MIN_YEAR. Text order is time order for the well-formed ones."""
    return (f"(length({column}) <> 27 OR {column} NOT LIKE '{STORED_DATE}' "
            f"OR {column} < '1000' OR {column} > '9999-12-31T23:59:59.999999Z')")


_ITEM_FIELDS = ("id, title, link, summary, content, published, updated, first_seen, last_seen, "
                "image, author, labels, enclosures, content_hash, comments, undated")
_ITEM_LINKS = (("item_categories", "slug", "item, slug"),
               ("item_sources", "source_id", "item, source_id"),
               ("item_keys", "key", "key, item"))
"""The tables that name an item: what each says of it, and its primary key (keys are looked
up by key; the others by item, or by slug and source through an index of their own)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema
    (
        """CREATE TABLE items (
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
        )""",
        "CREATE INDEX items_published ON items (published DESC, id)",
        """CREATE TABLE item_categories (
            item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            slug TEXT NOT NULL,
            PRIMARY KEY (item_id, slug)
        )""",
        "CREATE INDEX item_categories_slug ON item_categories (slug)",
        """CREATE TABLE item_sources (
            item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            source_id TEXT NOT NULL,
            PRIMARY KEY (item_id, source_id)
        )""",
        "CREATE INDEX item_sources_source ON item_sources (source_id)",
        """CREATE TABLE sources (
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
        )""",
        """CREATE TABLE builds (
            id {serial_pk},
            started TEXT NOT NULL,
            finished TEXT NOT NULL,
            ok INTEGER NOT NULL,
            summary TEXT NOT NULL
        )""",
    ),
    # 2: identity keys (guid, canonical link, normalised title) -> item, so a story met again
    # under any of its keys, from any source, is found and keeps its id.
    (
        """CREATE TABLE item_keys (
            key TEXT NOT NULL,
            item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            PRIMARY KEY (key, item_id)
        )""",
        "CREATE INDEX item_keys_item ON item_keys (item_id)",
        "CREATE INDEX items_last_seen ON items (last_seen)",
    ),
    # 3: several workers share the refresh work (a lease per source, when it is next due) and
    # the published files live in the store too, so web nodes need no local build.
    (
        "ALTER TABLE sources ADD COLUMN next_due TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sources ADD COLUMN interval_seconds INTEGER NOT NULL DEFAULT 900",
        "ALTER TABLE sources ADD COLUMN lease_owner TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sources ADD COLUMN lease_until TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sources ADD COLUMN refreshes INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE publish_state (
            id INTEGER PRIMARY KEY,
            dirty_since TEXT NOT NULL,
            generation INTEGER NOT NULL
        )""",
        "INSERT INTO publish_state VALUES (1, '', 0)",
        """CREATE TABLE published (
            path TEXT PRIMARY KEY,
            body {blob} NOT NULL,
            modified INTEGER NOT NULL,
            generation INTEGER NOT NULL
        )""",
    ),
    # 4: the link to a story's comments page (RSS <comments>, Atom rel="replies"); items
    # stored before have none.
    (
        "ALTER TABLE items ADD COLUMN comments TEXT NOT NULL DEFAULT ''",
    ),
    # 5: "the feeds must be published again" as one row per change instead of one flag, so a
    # publish clears only the changes it saw (a change stored while another worker published
    # stayed unpublished when the flag was already set and the publisher then cleared it).
    (
        """CREATE TABLE publish_marks (
            id {serial_pk},
            at TEXT NOT NULL
        )""",
        "INSERT INTO publish_marks (at) SELECT dirty_since FROM publish_state "
        "WHERE id = 1 AND dirty_since <> ''",
    ),
    # 6: whether an item's published date is only the time it was first seen (no source gave
    # a usable date), so that a date parsed later replaces it. Rows stored before could not
    # say: a date equal to the first-seen time to the microsecond came from the clock.
    (
        "ALTER TABLE items ADD COLUMN undated INTEGER NOT NULL DEFAULT 0",
        "UPDATE items SET undated = 1 WHERE published = first_seen",
    ),
    # 7: every worker records its own refresh pass (it was only the one that published), so
    # a row says whose pass it was and what it did; rows before are builds (owner '').
    (
        "ALTER TABLE builds ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE builds ADD COLUMN refreshed INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE builds ADD COLUMN failed INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE builds ADD COLUMN published TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX builds_owner ON builds (owner, id)",
        "CREATE INDEX builds_finished ON builds (finished)",
    ),
    # 8: when the Retry-After of a source's last failure (a 429 or 503) ends; '' for none.
    (
        "ALTER TABLE sources ADD COLUMN retry_after TEXT NOT NULL DEFAULT ''",
    ),
    # 9: items a source dated year 1 (or anything else no story is dated) were stored with a
    # text that could not be read back, and broke every later build. They take the date they
    # were first seen, as an undated story does (and are marked so), and the feeds are
    # published again.
    (
        "INSERT INTO publish_marks (at) SELECT '1970-01-01T00:00:00.000000Z' WHERE EXISTS "
        f"(SELECT 1 FROM items WHERE {_no_story_date('published')} OR "
        f"{_no_story_date('updated')})",
        f"UPDATE items SET published = first_seen WHERE {_no_story_date('published')}",
        f"UPDATE items SET updated = published WHERE {_no_story_date('updated')} "
        "OR updated < published",
        "UPDATE items SET undated = 1 WHERE published = first_seen",
    ),
    # 10: what a listing source's selectors found at its last good read (items, dated,
    # entries), the norm its next reads are held to, and the drift found when one fell short
    # of it (JSON: why, and the selectors automatic detection proposes instead; '' for none).
    (
        """CREATE TABLE source_yields (
            source_id TEXT PRIMARY KEY,
            items INTEGER NOT NULL DEFAULT 0,
            dated INTEGER NOT NULL DEFAULT 0,
            entries INTEGER NOT NULL DEFAULT 0,
            drift TEXT NOT NULL DEFAULT '',
            drift_at TEXT NOT NULL DEFAULT ''
        )""",
    ),
    # 11: incidents for the operator feed: a source failing builds in a row or turning stale
    # (opened = 1), and its recovery (opened = 0). ``since`` anchors one spell of a problem
    # (the last success before the failures, the newest item's date), so each spell is
    # recorded once, whoever notices it first.
    (
        """CREATE TABLE incidents (
            id {serial_pk},
            source_id TEXT NOT NULL,
            problem TEXT NOT NULL,
            since TEXT NOT NULL,
            opened INTEGER NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL,
            UNIQUE (source_id, problem, since, opened)
        )""",
    ),
    # 12: full text of stories (a source's ``full_text``), per article URL: what its page gave
    # (the story, sanitised, or '' and why not), the validators and hash of the page, the
    # hash of the item's own text it was fetched for, and failed fetches in a row.
    (
        """CREATE TABLE articles (
            url TEXT PRIMARY KEY,
            source_id TEXT NOT NULL,
            content TEXT NOT NULL,
            reason TEXT NOT NULL,
            etag TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            page_hash TEXT NOT NULL,
            item_hash TEXT NOT NULL,
            failures INTEGER NOT NULL,
            checked TEXT NOT NULL
        )""",
        "CREATE INDEX articles_source ON articles (source_id)",
    ),
    # 13: each item gets a number, in the order items are stored, and its categories, sources
    # and identity keys name it by that number instead of its id (a UUID, random text). New
    # rows then land at the end of those tables' indexes instead of on random pages: a cold
    # build's item writes, replayed into SQLite, took a third less CPU at 1000 sources and
    # 40-50% less at 4000 (docs/performance.md, "Items by number").
    (
        """CREATE TABLE items_13 (
            n {serial_pk},
            id TEXT NOT NULL UNIQUE,
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
            content_hash TEXT NOT NULL,
            comments TEXT NOT NULL DEFAULT '',
            undated INTEGER NOT NULL DEFAULT 0
        )""",
        f"INSERT INTO items_13 ({_ITEM_FIELDS}) SELECT {_ITEM_FIELDS} FROM items "
        "ORDER BY first_seen, id",
        *(statement for table, column, key in _ITEM_LINKS for statement in (
            f"""CREATE TABLE {table}_13 (
                item BIGINT NOT NULL REFERENCES items_13 (n) ON DELETE CASCADE,
                {column} TEXT NOT NULL,
                PRIMARY KEY ({key})
            )""",
            f"INSERT INTO {table}_13 (item, {column}) SELECT i.n, t.{column} FROM {table} t "
            "JOIN items_13 i ON i.id = t.item_id")),
        *(f"DROP TABLE {table}" for table, _, _ in _ITEM_LINKS),
        "DROP TABLE items",
        "ALTER TABLE items_13 RENAME TO items",
        *(f"ALTER TABLE {table}_13 RENAME TO {table}" for table, _, _ in _ITEM_LINKS),
        "CREATE INDEX items_published ON items (published DESC, id)",
        "CREATE INDEX items_last_seen ON items (last_seen)",
        "CREATE INDEX item_categories_slug ON item_categories (slug)",
        "CREATE INDEX item_sources_source ON item_sources (source_id)",
        "CREATE INDEX item_keys_item ON item_keys (item)",
    ),
)


def statements(number: int, dialect: Dialect) -> list[str]:
    """Migration ``number`` (1-based) as SQL for ``dialect``."""
    return [
        sql.format(serial_pk=dialect.serial_pk, blob=dialect.blob)
        for sql in MIGRATIONS[number - 1]
    ]


def schema_version(db: Connection) -> int:
    """The number of the last migration run on the database (0: a new one)."""
    exists = db.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        if db.dialect.name == "postgresql" else
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not exists.scalar():
        return db.legacy_schema_version()
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(db: Connection, known: int = len(MIGRATIONS)) -> None:
    """Run the migrations the database has not had, up to number ``known`` (the last one this
    feedhub knows), in one transaction that concurrent openers wait for."""
    if schema_version(db) == known:
        return
    with db.transaction():
        if db.dialect.migration_lock:
            db.execute(db.dialect.migration_lock)
        # Read again under the lock: another process may have migrated meanwhile.
        version = schema_version(db)
        if version > known:
            raise StoreError(f"the store at {db.where} was written by a newer feedhub "
                             f"(schema {version}, this one knows {known}); upgrade feedhub")
        db.execute("CREATE TABLE IF NOT EXISTS schema_version "
                   "(version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
        for number in range(version + 1, known + 1):
            for sql in statements(number, db.dialect):
                db.execute(sql)
            db.execute("INSERT INTO schema_version VALUES (?, ?)",
                       (number, format_date(datetime.now(UTC))))
