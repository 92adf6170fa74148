"""One source's trip through the store, as the pipeline makes it: read the stored selves of
the items it found (:meth:`TripQueries.stored_selves`), then store its outcome whole
(:meth:`TripQueries.save_outcome`), or record its failure (``record_failure``).

A trip so touches the store a handful of times, and everything a good read changes (its new
and changed items, items re-sorted, items seen again, the article pages fetched for them,
the source's state, the end of its refresh) commits in one transaction: a crash never leaves
half a source.

Must not: decide which stored item is a fresh item's self, nor how the two merge (the
pipeline's feedhub.merge does): it answers by key and stores what it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..model import Item
from .articles import Article, ArticleQueries
from .items import ItemQueries
from .sources import SourceQueries


@dataclass(frozen=True)
class StoredSelves:
    """The stored items that may be the selves of some fresh ones."""

    by_key: dict[str, list[str]] = field(default_factory=dict)
    """Identity key -> ids of the stored items that carry it, in no particular order."""
    items: dict[str, Item] = field(default_factory=dict)
    """Those items by id, and with ``legacy`` the ones found by an id derived from a key."""
    legacy: bool = False
    """The store holds items without identity keys (written before keys were stored), found
    only by their id."""


@dataclass(frozen=True)
class Outcome:
    """What one good read of a source leaves in the store."""

    source_id: str
    etag: str
    last_modified: str
    body_hash: str
    unmatched_labels: tuple[str, ...] = ()
    saved: tuple[Item, ...] = ()
    """Items new or changed, stored whole (``first_seen`` set)."""
    hashes: Mapping[str, str] = field(default_factory=dict)
    """Item id -> content_hash of the ``saved`` items that have one computed already."""
    recategorised: tuple[Item, ...] = ()
    """Stored items whose categories changed (no longer listed, re-sorted by new settings)."""
    seen: tuple[str, ...] = ()
    """Ids of stored items listed again unchanged: seen ``now``."""
    listed_since: datetime | None = None
    """A body unchanged since its success at this time: the items it listed then are still
    listed, so seen ``now`` (None: no such touch)."""
    articles: tuple[Article, ...] = ()
    """Article pages fetched for its items (``full_text``), cached by URL."""


class TripQueries(ItemQueries, SourceQueries, ArticleQueries):
    """The few calls one source's trip makes."""

    def stored_selves(self, keys: Iterable[str], legacy_id: Callable[[str], str]
                      ) -> StoredSelves:
        """The stored items carrying any of ``keys``, and, while the store holds items without
        keys, those whose id is ``legacy_id(key)`` of a key that is not a title key (the id
        such rows were given)."""
        keys = list(keys)
        by_key = self.find_keys(keys)
        legacy = self.has_unkeyed_items()
        wanted = {i for ids in by_key.values() for i in ids}
        if legacy:
            wanted |= {legacy_id(key) for key in keys if not key.startswith("title:")}
        return StoredSelves(by_key, self.get_items(wanted) if wanted else {}, legacy)

    def save_outcome(self, outcome: Outcome, now: datetime) -> None:
        """Store a good read of a source at ``now`` and record its success, in one transaction
        (a savepoint inside :meth:`grouped`)."""
        with self.transaction() as db:
            self.save_items(db, outcome.saved, now, outcome.hashes)
            self.save_articles(db, outcome.articles, now)
            self.save_categories(db, outcome.recategorised, now)
            if outcome.seen:
                self.touch_items(db, outcome.seen, now)
            if outcome.listed_since is not None:
                # Still listed, so not to be pruned (only pruning reads last_seen).
                self.touch_listed(db, outcome.source_id, outcome.listed_since, now)
            self.record_success(db, outcome.source_id, now, etag=outcome.etag,
                                last_modified=outcome.last_modified,
                                body_hash=outcome.body_hash,
                                unmatched_labels=outcome.unmatched_labels)
