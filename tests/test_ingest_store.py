"""The store's batched write path and the lookups a build makes, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build, find_stored
from feedhub.store import content_hash, open_store

from .test_store import item

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_one_call_saves_many_items_with_their_rows(store_url: str, tmp_path: Path) -> None:
    first = item(1, categories=("news", "features"), keys=("link:https://example.org/1",))
    again = item(1, categories=("features",), title="Second copy wins",
                 keys=("link:https://example.org/1",))
    other = item(2, sources=("src-a", "src-b"), keys=("guid:src-a:2", "title:story two x"))
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [first, other, again], NOW)
        got = store.get_items([first.id, other.id])
        assert got[first.id].title == "Second copy wins"
        assert got[first.id].categories == ("features",)
        assert got[other.id].sources == ("src-a", "src-b")
        assert got[other.id].keys == ("guid:src-a:2", "title:story two x")
        assert store.count_items() == 2
        hashes = dict(store.db.execute("SELECT id, content_hash FROM items").rows)
        assert hashes == {first.id: content_hash(again), other.id: content_hash(other)}
        assert store.find_keys(["title:story two x", "link:nowhere"]) == {
            "title:story two x": [other.id]}


@pytest.mark.parametrize(("first", "second"), [(1, 2), (9, 1)])
def test_a_key_shared_by_stored_items_answers_with_the_first_seen(
        store_url: str, tmp_path: Path, first: int, second: int) -> None:
    """Whichever story has the smaller id: ids are random UUIDs, first_seen decides."""
    key = "link:https://example.org/shared"
    older = item(first, keys=(key,), first_seen=NOW - timedelta(days=1))
    newer = item(second, keys=(key,), first_seen=NOW)
    fresh = [item(3, keys=(key,), first_seen=None), item(4, keys=(key,), first_seen=None)]
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            store.save_items(db, [newer, older], NOW)
        found = find_stored(store, fresh, timedelta(days=2))
    # Each stored item answers for one fresh item, the earliest seen first.
    assert [f.id if f else None for f in found] == [older.id, newer.id]


def _ids(config: Config) -> dict[str, str]:
    with open_store(config.store, config.root) as store:
        return {i.title: i.id for i in store.items_for("all", 100)}


def test_items_stored_before_identity_keys_are_found_by_their_id(built: Config) -> None:
    before = _ids(built)
    with open_store(built.store, built.root) as store:
        assert not store.has_unkeyed_items()
        with store.transaction() as db:
            db.execute("DELETE FROM item_keys")
            db.execute("UPDATE sources SET body_hash = ''")  # read the same bodies again
    with open_store(built.store, built.root) as store:
        assert store.has_unkeyed_items()
    report = build(load_config(built.path), now=datetime.now(UTC) + timedelta(hours=1))
    assert report.ok and sum(s.new for s in report.sources) == 0
    assert _ids(built) == before
    with open_store(built.store, built.root) as store:
        # Found by id, the items were saved again with their keys.
        assert not store.has_unkeyed_items()


