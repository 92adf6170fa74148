"""The stored items: saving and reading them, their identity keys, categories and sources,
what an archive of them depends on, and pruning the old ones.

An item is written whole (one row, its categories, sources and keys), in one statement per
table over all the items a source stored (executemany). Categories, sources and keys name an
item by its number ``n`` (given as it is first stored), not by its id: new rows so go at the
end of their indexes, where random ids sent each to a random page. Its dates are read through
dates.item_dates, so one bad row never stops a build or a feed.

Must not: decide identity, merging or dates (normalise and pipeline do): it keeps what it is
given and answers by key, id, category or source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from ..model import ALL_SLUG, Enclosure, Item
from .base import Connection, Row
from .core import StoreCore
from .dates import format_date, item_dates
from .published import mark_dirty

ITEM_COLUMNS = ("id, title, link, summary, content, published, updated, first_seen, last_seen, "
                "image, author, labels, enclosures, content_hash, comments, undated")


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


class ItemQueries(StoreCore):
    """The items of a store, with their categories, sources and keys."""

    _unkeyed: bool | None = None
    """Whether any stored item has no identity key (None: not asked yet)."""

    def get_items(self, ids: Iterable[str]) -> dict[str, Item]:
        ids = list(ids)
        found: dict[str, Item] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT n, {ITEM_COLUMNS} FROM items WHERE id IN ({marks})",
                                   chunk)
            found.update((item.id, item) for item in self._items(rows.fetchall()))
        return found

    def items_for(self, slug: str, limit: int, offset: int = 0) -> list[Item]:
        """The newest ``limit`` items of a category (``all`` for every item), newest first."""
        if slug == ALL_SLUG:
            rows = self.db.execute(
                f"SELECT n, {ITEM_COLUMNS} FROM items ORDER BY published DESC, id "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            )
        else:
            rows = self.db.execute(
                f"SELECT n, {ITEM_COLUMNS} FROM items JOIN item_categories c ON c.item = items.n "
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
            sources = self.db.stream("SELECT item, source_id FROM item_sources")
        else:
            sources = self.db.stream(
                "SELECT s.item, s.source_id FROM item_sources s JOIN item_categories c "
                "ON c.item = s.item WHERE c.slug = ?", (slug,))
        by_item: dict[int, list[str]] = {}
        for number, source_id in sources:
            by_item.setdefault(int(number), []).append(str(source_id))
        # Streamed: for ``all`` at 4000 sources the raw rows were ~50 MB more at the build's
        # peak (its archive workers running) than the list made of them.
        if slug == ALL_SLUG:
            rows = self.db.stream(
                "SELECT n, id, published, updated, labels, content_hash, comments FROM items "
                "ORDER BY published, id DESC")
        else:
            rows = self.db.stream(
                "SELECT n, id, published, updated, labels, content_hash, comments FROM items "
                "JOIN item_categories c ON c.item = items.n WHERE c.slug = ? "
                "ORDER BY published, id DESC", (slug,))
        # An item without a comments link keeps the text it had before links were stored, so
        # an upgrade does not make every archive look changed. ``labels`` is JSON (it starts
        # with "["), a link starts with "http": the two cannot be mistaken for each other.
        return [(str(item_id), f"{published} {updated} {content} "
                 f"{f'{comments} ' if comments else ''}{labels} "
                 f"{' '.join(sorted(by_item.get(int(number), ())))}")
                for number, item_id, published, updated, labels, content, comments in rows]

    def count_items(self, slug: str = ALL_SLUG) -> int:
        if slug == ALL_SLUG:
            return int(self.db.execute("SELECT COUNT(*) FROM items").scalar())
        return int(self.db.execute("SELECT COUNT(*) FROM item_categories WHERE slug = ?",
                                   (slug,)).scalar())

    def dated_when_seen(self) -> dict[str, int]:
        """Per source, its stored items dated by the time feedhub first saw them (their page
        gave no date that parsed): the items marked ``undated``."""
        rows = self.db.execute(
            "SELECT s.source_id, COUNT(*) FROM items i JOIN item_sources s ON s.item = i.n "
            "WHERE i.undated = 1 GROUP BY s.source_id").fetchall()
        return {str(source): int(count) for source, count in rows}

    def _items(self, rows: Sequence[Row]) -> list[Item]:
        """Items from rows of ``n, {ITEM_COLUMNS}``, with their categories, sources, keys."""
        if not rows:
            return []
        numbers = [int(row[0]) for row in rows]
        marks = ",".join("?" * len(numbers))
        cats: dict[int, list[str]] = {}
        for number, slug in self.db.execute(
            f"SELECT item, slug FROM item_categories WHERE item IN ({marks})", numbers
        ):
            cats.setdefault(int(number), []).append(str(slug))
        srcs: dict[int, list[str]] = {}
        for number, source_id in self.db.execute(
            f"SELECT item, source_id FROM item_sources WHERE item IN ({marks})", numbers
        ):
            srcs.setdefault(int(number), []).append(str(source_id))
        keys: dict[int, list[str]] = {}
        for number, key in self.db.execute(
            f"SELECT item, key FROM item_keys WHERE item IN ({marks})", numbers
        ):
            keys.setdefault(int(number), []).append(str(key))
        items = []
        for row in rows:
            (number, item_id, title, link, summary, content, published, updated, first_seen,
             last_seen, image, author, labels, enclosures, _hash, comments, undated) = row
            when, changed, seen = item_dates(str(item_id), published, updated, first_seen,
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
                categories=tuple(sorted(cats.get(int(number), ()))),
                sources=tuple(sorted(srcs.get(int(number), ()))),
                keys=tuple(sorted(keys.get(int(number), ()))),
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
        mark_dirty(db, now)
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
        number = self._numbers(db, [item.id for item in batch])
        db.executemany("DELETE FROM item_categories WHERE item = ?",
                       [(number[item.id],) for item in batch])
        db.executemany("INSERT INTO item_categories (item, slug) VALUES (?, ?)",
                       [(number[item.id], slug) for item in batch for slug in item.categories])
        db.executemany("INSERT INTO item_sources (item, source_id) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING",
                       [(number[item.id], sid) for item in batch for sid in item.sources])
        db.executemany("INSERT INTO item_keys (key, item) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [(key, number[item.id]) for item in batch for key in item.keys])

    @staticmethod
    def _numbers(db: Connection, ids: Sequence[str]) -> dict[str, int]:
        """Item id -> its number ``n``, for stored items."""
        found: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update((str(item_id), int(number)) for item_id, number in db.execute(
                f"SELECT id, n FROM items WHERE id IN ({marks})", chunk))
        return found

    def save_categories(self, db: Connection, items: Sequence[Item], now: datetime) -> None:
        """Replace the categories of stored items (inside :meth:`transaction`), and the
        content hash that covers them; nothing else (not ``last_seen``: no source listed
        them). For items a category edit re-sorts that their source no longer lists."""
        if not items:
            return
        mark_dirty(db, now)
        db.executemany("UPDATE items SET content_hash = ? WHERE id = ?",
                       [(content_hash(item), item.id) for item in items])
        number = self._numbers(db, [item.id for item in items])
        known = [item for item in items if item.id in number]  # not deleted meanwhile
        db.executemany("DELETE FROM item_categories WHERE item = ?",
                       [(number[item.id],) for item in known])
        db.executemany("INSERT INTO item_categories (item, slug) VALUES (?, ?)",
                       [(number[item.id], slug) for item in known for slug in item.categories])

    def source_items(self, source_id: str, excluding: Collection[str] = ()) -> list[Item]:
        """The stored items that came from a source (among others, maybe), but for the ids in
        ``excluding``."""
        ids = [str(item_id) for (item_id,) in self.db.execute(
            "SELECT i.id FROM item_sources s JOIN items i ON i.n = s.item "
            "WHERE s.source_id = ?", (source_id,))
            if str(item_id) not in excluding]
        return list(self.get_items(ids).values())

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
            "UPDATE items SET last_seen = ? WHERE last_seen >= ? AND n IN "
            "(SELECT item FROM item_sources WHERE source_id = ?)",
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
                f"SELECT k.key, i.id FROM item_keys k JOIN items i ON i.n = k.item "
                f"WHERE k.key IN ({marks})", chunk
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
                "(SELECT 1 FROM item_keys k WHERE k.item = items.n) LIMIT 1"
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
            mark_dirty(db, before)
        return result.rowcount
