"""Store reads the mutation run (scripts/mutation.sh store) found unchecked: a build that meets
more stories than one query can name (reads go 500 ids or keys at a time) finds every one."""

from __future__ import annotations

from pathlib import Path

from feedhub.store import open_store

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
