"""A fresh item and its stored self: finding the stored self (:func:`find_stored`) and
combining the two (:func:`remember`): first sight kept, dates that never move later unless
put right, an ``updated`` date only for a change of the story.

Must not: write the store (sourcetrip.py hands the outcome over), nor normalise (it uses
normalise's identity and merge rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .model import Item
from .normalise import item_id, merge
from .store import Store, content_hash


def find_stored(store: Store, items: Sequence[Item], window: timedelta) -> list[Item | None]:
    """The stored self of each freshly normalised item, or None for a story never seen.

    A story is found by any of its guid/link keys (from any source), then, failing that, by its
    normalised title on another source within ``window`` of its date. Each stored item answers
    for one fresh item at most: stories a source tells apart stay apart; when a key names
    several stored items, the one first seen earliest (then the smallest id) answers. Rows
    written before identity keys were stored are found by their id, which was derived from the
    link key (looked for only while the store holds such rows).
    """
    selves = store.stored_selves((key for item in items for key in item.keys), item_id)
    stored, legacy = selves.items, selves.legacy
    # Oldest first: the first build to meet a story keeps answering for it.
    first_seen = {i: (old.first_seen or datetime.min.replace(tzinfo=UTC), i)
                  for i, old in stored.items()}

    def oldest_first(i: str) -> tuple[datetime, str]:
        return first_seen.get(i, (datetime.max.replace(tzinfo=UTC), i))

    by_key = {key: sorted(ids, key=oldest_first) for key, ids in selves.by_key.items()}
    claimed: set[str] = set()
    found: list[Item | None] = []
    for item in items:
        match: Item | None = None
        for key in item.keys:
            if key.startswith("title:"):
                if window <= timedelta(0):
                    continue
                candidates = [stored[i] for i in by_key.get(key, ()) if i in stored]
                match = next((old for old in candidates if old.id not in claimed
                              and not set(old.sources) & set(item.sources)
                              and abs(old.published - item.published) <= window), None)
            else:
                ids = by_key.get(key, [])
                if legacy:
                    ids = [*ids, item_id(key)]
                match = next((stored[i] for i in ids if i in stored and i not in claimed),
                             None)
            if match is not None:
                break
        if match is not None:
            claimed.add(match.id)
        found.append(match)
    return found


@dataclass(frozen=True)
class Remembered:
    """A fresh item combined with its stored self (see :func:`remember`)."""

    item: Item
    content_hash: str
    """:func:`~feedhub.store.content_hash` of ``item``, computed once and stored with it."""
    changed: bool
    """What a reader sees differs from the stored self (always True for a new story). A
    different comments link alone is no change (see :func:`~feedhub.store.content_hash`)."""


def remember(old: Item | None, new: Item, now: datetime, new_hash: str = "", *,
             reread: bool = False, redate: bool = False) -> Remembered:
    """Combine a freshly normalised item with its stored self.

    first_seen is set once. A date a source gave never moves later, but a wrong date is put
    right: a first-seen date (``undated``) is a placeholder any parsed date replaces, and when
    the settings that read the source's dates changed (``redate``), its fresh dates replace
    the stored ones of the stories only it tells. A changed story gets a new ``updated`` but
    keeps its id; when the source's settings changed (``reread``: a new selector, category
    label...), a change is the settings', not the story's, and dates it only as the source
    does. ``new_hash`` is ``content_hash(new)`` when the caller has it already (a parse worker
    computed it).
    """
    if old is None:
        return Remembered(replace(new, first_seen=now), new_hash or content_hash(new), True)
    own = set(old.sources) <= set(new.sources)
    if own:
        # The same source said it again: its current text wins.
        merged = replace(new, sources=tuple(sorted(set(old.sources) | set(new.sources))))
    else:
        merged = merge(old, new)
    published, undated = _published(old, new, redate=redate and own)
    redated = (published, undated) != (old.published, old.undated)
    merged = replace(merged, id=old.id, first_seen=old.first_seen or now,
                     published=published, undated=undated,
                     keys=tuple(sorted(set(old.keys) | set(new.keys))))
    # ``updated`` is not part of the hash: the replacements below keep it.
    digest = content_hash(merged)
    if digest == content_hash(old):
        # Re-dated by its own source: its reading of the dates replaces the stored one.
        updated = new.updated if redated and own else old.updated
        return Remembered(replace(merged, updated=max(updated, published)), digest, False)
    if not own:
        # Another source's copy joined the story: it changed as of the newer of the two
        # sources' own dates, not as of this build (which would make feeds date by builds).
        updated = max(old.updated, new.updated)
    elif new.updated > old.updated or (redated and reread):
        # The source dates the change (or, read with new settings, its date is the truth).
        updated = new.updated
    else:
        # The same source changed it without saying when: now, unless the change is the
        # settings' (an edited selector or category label is no news of the story).
        updated = old.updated if reread else now
    return Remembered(replace(merged, updated=max(updated, published)), digest, True)


def _published(old: Item, new: Item, *, redate: bool) -> tuple[datetime, bool]:
    """The (published, undated) of a stored story met again (see :func:`remember`)."""
    if new.undated:
        return old.published, old.undated
    if old.undated or redate:
        return new.published, False
    return min(old.published, new.published), False
