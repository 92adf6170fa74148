"""The store's contract, run on every backend (the ``store_url`` fixture: sqlite, postgresql)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.errors import StoreError
from feedhub.model import Enclosure, Item
from feedhub.store import ITEM_COLUMNS, Store, format_date, open_store, parse_stored_date
from feedhub.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def item(n: int, *, categories: tuple[str, ...] = ("news",), **changes: object) -> Item:
    fields: dict[str, object] = dict(
        id=f"00000000-0000-0000-0000-{n:012d}", title=f"Story {n} – “quoted”",
        link=f"https://example.org/{n}", published=NOW - timedelta(hours=n),
        updated=NOW - timedelta(hours=n), summary=f"<p>Summary {n}</p>", content="",
        categories=categories, labels=("Press release",), sources=("src-a",),
        enclosures=(Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234),),
        first_seen=NOW,
    )
    fields.update(changes)
    return Item(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Store:
    with open_store(store_url, tmp_path) as opened:
        yield opened  # type: ignore[misc]


def test_fresh_store_has_every_migration_and_reopens(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        with store.transaction() as db:
            store.save_items(db, [item(1)], NOW)
    with open_store(store_url, tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.count_items() == 1


def test_store_from_a_newer_feedhub_is_refused(store: Store, store_url: str,
                                              tmp_path: Path) -> None:
    with store.transaction() as db:
        db.execute("INSERT INTO schema_version VALUES (?, ?)", (len(MIGRATIONS) + 1, "x"))
    with pytest.raises(StoreError, match="newer feedhub"):
        open_store(store_url, tmp_path)


def test_concurrent_first_opens_migrate_once(store_url: str, tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            open_store(store_url, tmp_path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [], [repr(e) for e in errors]
    with open_store(store_url, tmp_path) as store:
        versions = [row[0] for row in store.db.execute("SELECT version FROM schema_version")]
        assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))


def test_items_round_trip_exactly(store: Store) -> None:
    original = item(1, categories=("news", "press-releases"), sources=("src-b", "src-a"),
                    content="<p>Full – text</p>", author="Ana", image="https://e.org/i.png",
                    comments="https://e.org/1#comments")
    with store.transaction() as db:
        store.save_items(db, [original], NOW)
    got = store.get_items([original.id])[original.id]
    assert got == original.__class__(**{**original.__dict__, "sources": ("src-a", "src-b")})
    assert got.published.tzinfo is UTC and got.first_seen == NOW


def test_items_for_is_newest_first_per_category_with_paging(store: Store) -> None:
    with store.transaction() as db:
        store.save_items(db, [item(n, categories=("news",) if n % 2 else ("features",))
                              for n in range(1, 8)], NOW)
    assert [i.title.split()[1] for i in store.items_for("all", 3)] == ["1", "2", "3"]
    assert [i.title.split()[1] for i in store.items_for("all", 3, offset=3)] == ["4", "5", "6"]
    assert [i.title.split()[1] for i in store.items_for("news", 10)] == ["1", "3", "5", "7"]
    assert store.count_items() == 7 and store.count_items("features") == 3


def test_archive_rows_are_items_for_reversed_and_change_with_what_feeds_show(
        store: Store) -> None:
    # Items 3 and 4 share a published date: ties must order exactly as items_for reversed.
    with store.transaction() as db:
        store.save_items(db, [item(n, categories=("news",) if n % 2 else ("features",),
                                   published=NOW - timedelta(hours=min(n, 4)))
                              for n in range(1, 8)], NOW)
    for slug in ("all", "news", "features"):
        newest_first = [i.id for i in store.items_for(slug, 100)]
        assert [row[0] for row in store.archive_rows(slug)] == newest_first[::-1]
    before = dict(store.archive_rows("all"))
    with store.transaction() as db:
        store.save_items(db, [item(2, categories=("features",), sources=("src-b",))], NOW)
        store.save_items(db, [item(5, categories=("news",), labels=("Statement",))], NOW)
        # A comments link is not in content_hash, yet the archive it is in changes with it.
        store.save_items(db, [item(6, categories=("features",), published=NOW - timedelta(hours=4),
                                   comments="https://example.org/6/comments")], NOW)
    after = dict(store.archive_rows("all"))
    changed = {item_id for item_id in before if before[item_id] != after[item_id]}
    assert changed == {item(2).id, item(5).id, item(6).id}


def test_saving_again_updates_in_place_and_replaces_categories(store: Store) -> None:
    with store.transaction() as db:
        store.save_items(db, [item(1, categories=("news",))], NOW)
    with store.transaction() as db:
        store.save_items(db, [item(1, categories=("features",), title="Edited",
                                   sources=("src-b",))], NOW + timedelta(hours=1))
    got = store.get_items([item(1).id])[item(1).id]
    assert (got.title, got.categories, got.sources) == ("Edited", ("features",),
                                                        ("src-a", "src-b"))
    assert store.count_items("news") == 0


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as db:
        store.save_items(db, [item(1)], NOW)
        raise RuntimeError("crash mid-source")
    assert store.count_items() == 0


def test_source_state_success_and_failures(store: Store) -> None:
    assert store.source_state("src-a").last_success is None
    with store.transaction() as db:
        store.save_items(db, [item(1), item(2)], NOW)
        store.record_success(db, "src-a", NOW, etag='"v1"', last_modified="Tue", body_hash="h",
                             unmatched_labels=["Zeta", "Alpha", "Zeta"])
    store.record_failure("src-a", NOW + timedelta(minutes=5), "HTTP 500")
    store.record_failure("src-a", NOW + timedelta(minutes=10), "HTTP 502")
    state = store.source_state("src-a")
    assert (state.etag, state.item_count, state.unmatched_labels) == ('"v1"', 2,
                                                                      ("Alpha", "Zeta"))
    assert (state.failures, state.last_error) == (2, "HTTP 502")
    assert state.last_success == NOW and state.last_attempt == NOW + timedelta(minutes=10)
    assert store.source_states() == {"src-a": state}


def test_source_states_reads_every_source_as_source_state_does(store: Store) -> None:
    """A build reads every state in one query: it must be what reading them one by one gives,
    for sources that succeeded, failed, or were only scheduled."""
    with store.transaction() as db:
        store.record_success(db, "ok", NOW, etag='"e"', last_modified="Mon", body_hash="h",
                             unmatched_labels=["Misc"])
    store.record_failure("broken", NOW, "HTTP 404")
    store.schedule_sources({"new": 60, "ok": 300})
    states = store.source_states()
    assert list(states) == ["broken", "new", "ok"]
    assert states == {sid: store.source_state(sid) for sid in states}
    assert states["broken"].failures == 1 and states["new"].last_attempt is None


def test_a_refresh_is_due_again_after_its_interval(store: Store) -> None:
    store.schedule_sources({"a": 600})
    with store.transaction() as db:
        store.record_success(db, "a", NOW, etag="", last_modified="", body_hash="h")
        store.record_success(db, "never-scheduled", NOW, etag="", last_modified="", body_hash="h")
    store.record_failure("a", NOW + timedelta(hours=1), "HTTP 500")
    assert store.next_due(["a"]) == NOW + timedelta(hours=1, seconds=600)
    assert store.next_due(["never-scheduled"]) == NOW + timedelta(seconds=900)
    assert (store.refresh_count("a"), store.refresh_count("never-scheduled")) == (2, 1)


def test_builds_are_recorded(store: Store) -> None:
    assert store.last_build() is None
    store.record_build(NOW, NOW + timedelta(seconds=3), True, "0 of 3 sources failed")
    store.record_build(NOW + timedelta(hours=1), NOW + timedelta(hours=1, seconds=2), False, "x")
    assert store.last_build() == (NOW + timedelta(hours=1, seconds=2), False)


def test_sqlite_store_from_before_schema_table_is_adopted(tmp_path: Path) -> None:
    import sqlite3

    from feedhub.store.migrations import statements
    from feedhub.store.sqlite import DIALECT

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for sql in statements(1, DIALECT):
        db.execute(sql)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with open_store(f"sqlite:///{path}", tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)


def test_a_store_from_before_comments_links_opens_and_reads_them_empty(
        store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import feedhub.store

    # A store as feedhub wrote it before migration 4: three migrations, one item row.
    monkeypatch.setattr(feedhub.store, "MIGRATIONS", MIGRATIONS[:3])
    old = item(1)
    with open_store(store_url, tmp_path) as store, store.transaction() as db:
        assert store.schema_version() == 3
        db.execute("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
            old.id, old.title, old.link, old.summary, old.content, format_date(old.published),
            format_date(old.updated), format_date(NOW), format_date(NOW), "", "",
            '["Press release"]', '[["https://example.org/a.mp3", "audio/mpeg", 1234]]', "x"))
        db.execute("INSERT INTO item_categories VALUES (?, ?)", (old.id, "news"))
        db.execute("INSERT INTO item_sources VALUES (?, ?)", (old.id, "src-a"))
    monkeypatch.undo()
    with open_store(store_url, tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.get_items([old.id])[old.id] == old
        assert [i.comments for i in store.items_for("news", 10)] == [""]
        with store.transaction() as db:
            store.save_items(db, [item(2, comments="https://example.org/2/comments")], NOW)
        assert store.get_items([item(2).id])[item(2).id].comments == \
            "https://example.org/2/comments"


def test_a_store_marked_dirty_before_publish_marks_keeps_its_mark(
        store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import feedhub.store

    # Before migration 5 one flag said "publish again": a store left dirty by a worker that
    # stopped before publishing must still publish after the upgrade.
    monkeypatch.setattr(feedhub.store, "MIGRATIONS", MIGRATIONS[:4])
    with open_store(store_url, tmp_path) as store, store.transaction() as db:
        db.execute("UPDATE publish_state SET dirty_since = ? WHERE id = 1", (format_date(NOW),))
    monkeypatch.undo()
    with open_store(store_url, tmp_path) as store:
        assert store.dirty_since() == NOW
        with store.publishing() as due:
            assert due
        assert store.dirty_since() is None


def test_unknown_url_says_what_works(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="postgresql://"):
        open_store("mysql://x", tmp_path)


def test_build_writes_the_same_feeds_on_every_backend(project: Path, store_url: str) -> None:
    from dataclasses import replace

    from feedhub.config import load_config
    from feedhub.pipeline import build

    config = load_config(project)
    # One fetch at a time: build stores sources in the order their fetches complete, and
    # which of two sources of one story is stored first still decides its id (a pipeline
    # matter, reported); this test is about the backends, so both builds get the same order.
    config = replace(config, fetch=replace(config.fetch, concurrency=1))
    reference = replace(config, output="feeds-sqlite")
    on_backend = replace(config, store=store_url, output="feeds-backend")
    assert build(reference, now=NOW).ok
    assert build(on_backend, now=NOW).ok
    for slug in config.feed_slugs:
        for ext in ("rss", "atom"):
            name = f"{slug}.{ext}"
            assert _comparable(on_backend.output_dir / name) == \
                _comparable(reference.output_dir / name), name


def _comparable(path: Path) -> bytes:
    # nh3 adds these two img attributes in hash-map order, which varies between calls (a
    # normalise matter, not the store's): compare everything else byte for byte.
    return re.sub(rb' (loading|referrerpolicy)="[^"]*"', b"", path.read_bytes())


def test_grouped_writes_commit_every_n_sources_and_a_failing_one_alone_is_undone(
        store: Store, store_url: str, tmp_path: Path) -> None:
    def visible_elsewhere() -> set[str]:
        with open_store(store_url, tmp_path) as other:
            return {i.id for i in other.items_for("all", 100)}

    with store.grouped(sources=2, seconds=3600) as stored:
        with store.transaction() as db:
            store.save_items(db, [item(1)], NOW)
        stored()
        with pytest.raises(RuntimeError), store.transaction() as db:
            store.save_items(db, [item(2)], NOW)
            raise RuntimeError("this source failed half-way")
        stored()  # the second source: the group commits
        assert visible_elsewhere() == {item(1).id}
        with store.transaction() as db:
            store.save_items(db, [item(3)], NOW)
        stored()
        assert visible_elsewhere() == {item(1).id}  # not committed yet
    assert visible_elsewhere() == {item(1).id, item(3).id}
    with pytest.raises(RuntimeError), store.grouped() as stored:
        with store.transaction() as db:
            store.save_items(db, [item(4)], NOW)
        stored()
        raise RuntimeError("the build stopped")
    assert visible_elsewhere() == {item(1).id, item(3).id}  # the open group was rolled back


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.builds(lambda m: timezone(timedelta(minutes=m)),
                                        st.integers(-14 * 60, 14 * 60))))
def test_format_date_is_the_fixed_width_utc_text_and_reads_back(value: datetime) -> None:
    # The text every stored row has had since the first schema; format_date takes a faster
    # path to it and caches it. Years before 1000 are padded to four digits (strftime left
    # them unpadded on Linux, and year 1 could not be read back: migration 5).
    text = format_date(value)
    assert len(text) == 27
    assert text == format_date(value.astimezone(UTC))
    assert parse_stored_date(text) == value
    if value.astimezone(UTC).year >= 1000:
        assert text == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_format_date_refuses_naive_datetimes_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="naive"):
            format_date(datetime(2026, 1, 1))


def test_only_a_bulk_writer_gets_the_large_sqlite_page_cache(tmp_path: Path) -> None:
    from feedhub.store.sqlite import BULK_CACHE_KIB

    url = f"sqlite:///{tmp_path / 'cache.db'}"
    with open_store(url, tmp_path, bulk_writes=True) as writer, open_store(url, tmp_path) as reader:
        assert writer.db.execute("PRAGMA cache_size").scalar() == -BULK_CACHE_KIB
        default = reader.db.execute("PRAGMA cache_size").scalar()
        assert default != -BULK_CACHE_KIB and abs(int(default)) < BULK_CACHE_KIB


def _temp_files_open() -> list[str]:
    """SQLite's temporary files this process holds open (unlinked at once, named etilqs_*)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if "etilqs_" in str(target):
            found.append(str(target))
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads Linux's /proc")
def test_a_bulk_writers_savepoints_keep_their_journal_in_memory(tmp_path: Path) -> None:
    """A build stores each source in a savepoint; the pages it changes are journalled in
    memory, not written into a temporary file (a reader's connection keeps the default)."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    big = "<p>" + "words " * 400 + "</p>"
    for bulk, expected in ((False, True), (True, False)):
        with open_store(url, tmp_path, bulk_writes=bulk) as store:
            start = 1 if bulk else 1001
            with store.transaction() as db:
                store.save_items(db, [item(n) for n in range(start, start + 400)], NOW)
            with store.transaction(), store.transaction() as db:  # the inner one: a savepoint
                store.save_items(db, [item(n, summary=big) for n in range(start, start + 400)],
                                 NOW)
                assert bool(_temp_files_open()) is expected


def test_items_stored_before_they_had_numbers_keep_their_links(
        store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 13 names an item by its number in the category, source and key tables: what
    a store held before is found, read and pruned as it was."""
    import feedhub.store

    monkeypatch.setattr(feedhub.store, "MIGRATIONS", MIGRATIONS[:11])
    old = [item(1, keys=("guid:one", "link:https://example.org/1"), sources=("src-a", "src-b"),
                categories=("news", "press-releases")),
           item(2, keys=("guid:two",), published=NOW - timedelta(days=400),
                first_seen=NOW - timedelta(days=400))]
    with open_store(store_url, tmp_path) as store, store.transaction() as db:
        for it in old:
            db.execute(f"INSERT INTO items ({ITEM_COLUMNS}) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                it.id, it.title, it.link, it.summary, it.content, format_date(it.published),
                format_date(it.updated), format_date(it.first_seen or NOW),
                format_date(it.first_seen or NOW),  # last seen: then
                "", "", '["Press release"]',
                '[["https://example.org/a.mp3", "audio/mpeg", 1234]]', "x", "", 0))
            for slug in it.categories:
                db.execute("INSERT INTO item_categories VALUES (?, ?)", (it.id, slug))
            for source in it.sources:
                db.execute("INSERT INTO item_sources VALUES (?, ?)", (it.id, source))
            for key in it.keys:
                db.execute("INSERT INTO item_keys VALUES (?, ?)", (key, it.id))
    monkeypatch.undo()
    with open_store(store_url, tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        found = store.get_items([it.id for it in old])
        for it in old:
            assert (found[it.id].categories, found[it.id].sources, found[it.id].keys) == \
                (it.categories, it.sources, tuple(sorted(it.keys))), it.id
        assert {k: sorted(v) for k, v in store.find_keys(["guid:one", "guid:two"]).items()} \
            == {"guid:one": [old[0].id], "guid:two": [old[1].id]}
        assert [i.id for i in store.items_for("press-releases", 10)] == [old[0].id]
        assert [i.id for i in store.source_items("src-b")] == [old[0].id]
        with store.transaction() as db:  # a new item comes after them, and links alike
            store.save_items(db, [item(3, keys=("guid:three",))], NOW)
        assert store.find_keys(["guid:three"]) == {"guid:three": [item(3).id]}
        with store.transaction() as db:  # the old story goes, and its links with it
            assert store.prune(db, NOW - timedelta(days=30)) == 1
        assert store.find_keys(["guid:two"]) == {}
        for table in ("item_categories", "item_sources", "item_keys"):
            assert store.db.execute(f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS "
                                    "(SELECT 1 FROM items i WHERE i.n = t.item)").scalar() == 0
