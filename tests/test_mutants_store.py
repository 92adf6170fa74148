"""Store behaviour the mutation run (scripts/mutation.sh store) found unchecked: a build that
meets more stories than one query can name (reads go 500 ids or keys at a time) finds every
one; an item reads back as it was saved; dates are stored in UTC on a server in another time
zone; saving a story without keys makes the store look rows up by id again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from feedhub.store import format_date, open_store

from .test_store import NOW, item


def test_every_stored_story_is_found_past_one_query_of_ids(store_url: str, tmp_path: Path
                                                           ) -> None:
    stories = [item(n, keys=(f"link:https://example.org/{n}",)) for n in range(1, 1202)]
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, stories, NOW)
        ids = [story.id for story in stories]
        assert sorted(store.get_items(ids)) == sorted(ids)
        found = store.find_keys(key for story in stories for key in story.keys)
        assert found == {story.keys[0]: [story.id] for story in stories}


def test_a_story_saved_without_keys_makes_the_store_look_up_ids_again(
        store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [item(1, keys=("link:https://example.org/1",))], NOW)
        assert not store.has_unkeyed_items()
        with store.transaction() as db:
            store.save_items(db, [item(2, keys=())], NOW)
        assert store.has_unkeyed_items()


def test_the_store_gives_back_what_it_was_given(store_url: str, tmp_path: Path) -> None:
    bare = item(1, sources=(), keys=(), categories=(), labels=("Économie", "日本"))
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [bare], NOW)
        assert store.get_items([bare.id]) == {bare.id: bare}


def test_an_item_without_first_seen_is_refused_by_name(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store, store.transaction() as db, \
            pytest.raises(ValueError, match=f"item {item(1).id} has no first_seen"):
        store.save_items(db, [item(1, first_seen=None)], NOW)


@pytest.fixture
def server_in_kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is UTC+05:30 for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_kolkata")
def test_dates_are_stored_in_utc_whatever_the_servers_time_zone(store_url: str,
                                                                tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    assert format_date(datetime(2026, 11, 12, 13, 0, tzinfo=paris)) == \
        "2026-11-12T12:00:00.000000Z"
    story = item(1, published=datetime(2026, 11, 12, 13, 0, tzinfo=paris))
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [story], NOW)
        (published,) = store.db.execute("SELECT published FROM items").fetchone()
        assert published == "2026-11-12T12:00:00.000000Z"
        assert store.get_items([story.id])[story.id].published == story.published
