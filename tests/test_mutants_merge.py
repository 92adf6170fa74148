"""Merging rules the mutation run (scripts/mutation.sh merge) found unchecked: which stored
story answers when several carry one key, title merging inside windows shorter than a day, and
what remember() does when the caller passes nothing but the two items."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from feedhub.normalise import item_id
from feedhub.pipeline import find_stored, remember
from feedhub.store import content_hash, open_store

from .test_store import NOW, item


def test_title_merging_works_with_a_window_of_hours(store_url: str, tmp_path: Path) -> None:
    title = "title:city council approves the new harbour bridge"
    stored = item(1, sources=("src-a",), keys=("link:https://a.example/1", title))
    near = item(2, sources=("src-b",), keys=("link:https://b.example/2", title),
                published=stored.published + timedelta(hours=2), first_seen=None)
    far = replace(near, published=stored.published + timedelta(hours=7))
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [stored], NOW)
        window = timedelta(hours=6)
        assert [f.id if f else None for f in find_stored(store, [near], window)] == [stored.id]
        assert find_stored(store, [far], window) == [None]
        assert find_stored(store, [near], timedelta(0)) == [None]


def test_remember_a_new_story_stores_its_own_hash() -> None:
    new = item(1, first_seen=None)
    remembered = remember(None, new, NOW)
    assert remembered.content_hash == content_hash(new)
    assert (remembered.item.first_seen, remembered.changed) == (NOW, True)


def test_an_edit_the_source_does_not_date_is_dated_now() -> None:
    old = item(1, first_seen=NOW - timedelta(days=2))
    edited = replace(old, title="Story 1, corrected", first_seen=None)
    later = NOW + timedelta(hours=3)
    remembered = remember(old, edited, later)
    assert remembered.changed
    assert remembered.item.updated == later
    assert remembered.item.published == old.published
    assert remembered.item.id == old.id


def test_a_story_met_again_keeps_its_first_sight_sources_and_keys() -> None:
    first = NOW - timedelta(days=3)
    old = item(1, sources=("src-a",), first_seen=first,
               keys=("guid:src-a:1", "link:https://example.org/1"))
    # The link changed; the source now also lists it under a second feed of its own.
    again = replace(old, id="", link="https://example.org/one", first_seen=None,
                    sources=("src-b", "src-a"), keys=("guid:src-a:1", "link:https://example.org/one"))
    remembered = remember(old, again, NOW).item
    assert remembered.id == old.id
    assert remembered.first_seen == first
    assert remembered.sources == ("src-a", "src-b")
    assert remembered.keys == ("guid:src-a:1", "link:https://example.org/1",
                               "link:https://example.org/one")


def test_the_updated_date_of_a_story_met_again() -> None:
    old = item(1, first_seen=NOW - timedelta(days=3))
    old = replace(old, updated=old.published + timedelta(hours=2))
    later = NOW + timedelta(hours=3)
    # The source moved its date, but the story is the same: no new `updated`, no change.
    touched = replace(old, updated=old.updated + timedelta(hours=1), first_seen=None)
    same = remember(old, touched, later)
    assert (same.item.updated, same.changed) == (old.updated, False)
    assert same.content_hash == content_hash(old)
    # Edited, and the source says when: its date.
    edited = replace(touched, title="Story 1, corrected")
    dated = remember(old, edited, later)
    assert (dated.item.updated, dated.changed) == (edited.updated, True)
    assert dated.content_hash == content_hash(edited)
    # Re-read with new settings (a new selector), without a newer date: the change is the
    # settings', the story keeps its `updated`.
    undated_edit = replace(edited, updated=old.updated - timedelta(hours=1))
    reread = remember(old, undated_edit, later, reread=True)
    assert (reread.item.updated, reread.changed) == (old.updated, True)


def test_stories_are_found_by_key_while_rows_without_keys_remain(store_url: str,
                                                                 tmp_path: Path) -> None:
    # A story whose link changed: its id comes from the old link, its keys name both.
    moved = item(1, id=item_id("link:https://example.org/old"),
                 keys=("link:https://example.org/old", "link:https://example.org/new"))
    legacy = item(2, keys=())  # a row from before identity keys were stored
    fresh = item(3, keys=("link:https://example.org/new",), first_seen=None)
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [moved, legacy], NOW)
        assert store.has_unkeyed_items()
        found = find_stored(store, [fresh], timedelta(days=2))
    assert [f.id if f else None for f in found] == [moved.id]
