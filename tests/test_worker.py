"""Several workers share the refresh work of one store: claims, leases, publishing once.
Run on both backends (``store_url``); the multi-process test is in test_worker_cluster.py."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.pipeline import build
from feedhub.store import open_store
from feedhub.web import create_app
from feedhub.worker import WorkerSettings, run_worker

from .support.httpd import LocalServer
from .support.sources import fetches, serve_sources, write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAMES = ["alpha", "bravo", "charlie", "delta"]
ONCE = WorkerSettings(owner="w1", poll=0.05, once=True, publish_delay=timedelta(0))


def test_each_due_source_is_claimed_by_one_worker_until_its_lease_ends(
        store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        store.schedule_sources({"a": 600, "b": 600})
        lease = timedelta(minutes=5)
        first = store.claim_source(["a", "b"], "w1", NOW, lease)
        second = store.claim_source(["a", "b"], "w2", NOW, lease)
        assert {first, second} == {"a", "b"}
        assert store.claim_source(["a", "b"], "w3", NOW, lease) is None
        assert store.lease("a") == ("w1" if first == "a" else "w2", NOW + lease)
        assert store.refresh_pending(["a", "b"], NOW)
        # w1 dies: its source goes to the next worker once the lease is over, not before.
        assert store.claim_source(["a", "b"], "w3", NOW + lease - timedelta(seconds=1),
                                  lease) is None
        assert store.claim_source(["a", "b"], "w3", NOW + lease, lease) in {"a", "b"}


def test_finishing_a_refresh_releases_the_lease_and_sets_the_next_due_time(
        store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        store.schedule_sources({"a": 600})
        assert store.claim_source(["a"], "w1", NOW, timedelta(minutes=5)) == "a"
        with store.transaction() as db:
            store.record_success(db, "a", NOW, etag="", last_modified="", body_hash="")
        assert store.lease("a") == ("", None)
        assert store.refresh_count("a") == 1
        assert store.next_due(["a"]) == NOW + timedelta(seconds=600)
        assert not store.refresh_pending(["a"], NOW + timedelta(seconds=599))
        assert store.claim_source(["a"], "w2", NOW + timedelta(seconds=599),
                                  timedelta(minutes=5)) is None
        assert store.claim_source(["a"], "w2", NOW + timedelta(seconds=600),
                                  timedelta(minutes=5)) == "a"
        store.record_failure("a", NOW + timedelta(seconds=600), "HTTP 500")
        assert store.refresh_count("a") == 2 and store.lease("a") == ("", None)
        assert store.next_due(["a"]) == NOW + timedelta(seconds=1200)


def test_a_worker_waits_longer_after_each_failure_in_a_row(store_url: str,
                                                         tmp_path: Path) -> None:
    """The worker's schedule backs off as `feedhub build`'s does (store.interval_after): the
    interval after a first failure, then twice as long for each further one; a success
    brings the source back to its interval."""
    with open_store(store_url, tmp_path) as store:
        store.schedule_sources({"a": 600})
        at, waits = NOW, []
        for _ in range(4):
            store.record_failure("a", at, "HTTP 404")
            due = store.next_due(["a"])
            assert due is not None
            waits.append(int((due - at).total_seconds()))
            at = due
        assert waits == [600, 1200, 2400, 4800]
        assert store.source_state("a").failures == 4
        with store.transaction() as db:
            store.record_success(db, "a", at, etag="", last_modified="", body_hash="")
        assert store.next_due(["a"]) == at + timedelta(seconds=600)
        store.record_failure("a", at, "HTTP 404")  # a first failure again: no back-off
        assert store.next_due(["a"]) == at + timedelta(seconds=600)


def test_changed_items_are_published_once(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        with store.publishing() as due:
            assert not due
        with store.publishing(force=True) as due:
            assert due
            assert store.save_published(store.db, "all.rss", b"<rss/>", 1_700_000_000)
            assert not store.save_published(store.db, "all.rss", b"<rss/>", 1_700_000_000)
            # Recorded without its bytes (how a SQLite store keeps what it published): its
            # name, mtime and generation only, and no copy to serve or restore.
            assert store.save_published(store.db, "all.atom", None, 1_700_000_000)
            assert not store.save_published(store.db, "all.atom", None, 1_700_000_000)
            assert store.save_published(store.db, "all.atom", None, 1_700_000_001)
        generation = store.published_generation()
        assert store.published_file("all.rss") == (b"<rss/>", 1_700_000_000, generation - 2)
        assert store.published_file("all.atom") is None
        assert sorted(store.published_paths()) == ["all.atom", "all.rss"]
        assert store.published_versions() == {"all.rss": generation - 2, "all.atom": generation}
        store.record_failure("a", NOW, "x")  # no item changed: nothing to publish
        assert store.dirty_since() is None
        from .test_store import item

        with store.transaction() as db:
            store.save_items(db, [item(1)], NOW)
        assert store.dirty_since() == NOW
        with store.publishing() as due:
            assert due
        assert store.dirty_since() is None
        with store.publishing() as due:
            assert not due


def test_a_change_stored_while_another_worker_publishes_stays_marked(
        store_url: str, tmp_path: Path) -> None:
    """Two workers, two connections: one publishes, the other stores a change meanwhile. The
    publish cannot have seen that change, so the feeds must stay marked for the next publish
    (with one "dirty" flag, already set, the store's mark was a no-op and the publisher then
    cleared it: the story stayed out of every feed until some other item changed)."""
    from .test_store import item

    if not store_url.startswith("postgresql"):
        # SQLite has one writer at a time: the second connection waits for the publish to
        # end, so the interleaving below cannot happen there; the sequential case still runs.
        with open_store(store_url, tmp_path) as store:
            with store.transaction() as db:
                store.save_items(db, [item(1)], NOW)
            with store.publishing() as due:
                assert due
            assert store.dirty_since() is None
            with store.transaction() as db:
                store.save_items(db, [item(2)], NOW + timedelta(minutes=1))
            assert store.dirty_since() == NOW + timedelta(minutes=1)
        return
    with open_store(store_url, tmp_path) as publisher, open_store(store_url, tmp_path) as writer:
        with writer.transaction() as db:
            writer.save_items(db, [item(1)], NOW)
        assert publisher.dirty_since() == NOW
        with publisher.publishing() as due:
            assert due
            with writer.transaction() as db:  # committed while the publish runs
                writer.save_items(db, [item(2)], NOW + timedelta(minutes=1))
        assert writer.dirty_since() == NOW + timedelta(minutes=1)
        assert publisher.dirty_since() == NOW + timedelta(minutes=1)
        with publisher.publishing() as due:
            assert due
        assert writer.dirty_since() is None


def test_worker_refreshes_each_source_once_then_publishes_what_build_would(
        store_url: str, tmp_path: Path, httpd: LocalServer) -> None:
    serve_sources(httpd, NAMES)
    config = load_config(write_config(tmp_path, httpd, NAMES, store_url))
    assert run_worker(config, ONCE, log=lambda _: None) == len(NAMES)
    assert [fetches(httpd, name) for name in NAMES] == [1] * len(NAMES)
    with open_store(config.store, config.root) as store:
        assert store.dirty_since() is None
        last = store.last_build()  # the finished pass counts as a build for /healthz
        assert last is not None and last[1] is True
        body = (config.output_dir / "news.rss").read_bytes()
        assert b"alpha story 2 v1" in body
        assert "news.rss" in store.published_paths()
        found = store.published_file("news.rss")
        if store.dialect.shared:  # the store keeps the bytes and mtime that were published
            assert found == (body, int((config.output_dir / "news.rss").stat().st_mtime),
                             store.published_versions()["news.rss"])
        else:  # a SQLite store records the file's name only: its bytes are in the folder
            assert found is None
        generation = store.published_generation()
    # Nothing is due again within the interval: a second pass fetches and publishes nothing.
    assert run_worker(config, ONCE, log=lambda _: None) == 0
    assert len([r for r in httpd.requests if r.path != "/robots.txt"]) == len(NAMES)
    with open_store(config.store, config.root) as store:
        assert store.published_generation() == generation
    # A build on another machine (another output folder): with a shared store it starts from
    # the store's copy, byte for byte; with SQLite it renders the same feeds again.
    from dataclasses import replace

    other = replace(config, output="feeds-elsewhere")
    report = build(other)
    again = (other.output_dir / "news.rss").read_bytes()
    if store_url.startswith("postgresql"):
        assert again == body
    else:
        assert "news.rss" in report.published.written
        assert [e.id for e in feedparser.parse(again).entries] == \
            [e.id for e in feedparser.parse(body).entries]


def test_two_worker_threads_never_refresh_a_source_twice(
        store_url: str, tmp_path: Path, httpd: LocalServer) -> None:
    names = [f"s{n}" for n in range(8)]
    serve_sources(httpd, names)
    config = load_config(write_config(tmp_path, httpd, names, store_url))
    counts: list[int] = []
    threads = [threading.Thread(target=lambda n=n: counts.append(run_worker(
        config, WorkerSettings(owner=f"w{n}", poll=0.05, once=True,
                               publish_delay=timedelta(0)), log=lambda _: None)))
        for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(counts) == len(names)
    assert [fetches(httpd, name) for name in names] == [1] * len(names)


def test_a_worker_started_with_edited_settings_publishes_without_refetching(
        store_url: str, tmp_path: Path, httpd: LocalServer) -> None:
    serve_sources(httpd, NAMES)
    path = write_config(tmp_path, httpd, NAMES, store_url)
    run_worker(load_config(path), ONCE, log=lambda _: None)
    path.write_text(path.read_text().replace("title: Test hub", "title: Renamed hub"))
    config = load_config(path)
    assert run_worker(config, ONCE, log=lambda _: None) == 0
    # Nothing was due: nothing fetched.
    assert len([r for r in httpd.requests if r.path != "/robots.txt"]) == len(NAMES)
    assert b"Renamed hub" in (config.output_dir / "all.atom").read_bytes()
    with open_store(config.store, config.root) as store:
        if store.dialect.shared:
            body, _, _ = store.published_file("all.atom") or (b"", 0, 0)
            assert b"Renamed hub" in body


def test_worker_once_with_v_logs_a_line_per_source_like_build(project: Path) -> None:
    first = CliRunner().invoke(main, ["-v", "worker", "--once", "-c", str(project)])
    assert first.exit_code == 0, first.output
    refreshed = [line for line in first.stderr.splitlines() if "feedhub.build: source" in line]
    assert len(refreshed) == 3 and all(" ok " in line for line in refreshed)
    # Nothing is due now: each source still gets its line, with when it is due.
    again = CliRunner().invoke(main, ["-v", "worker", "--once", "-c", str(project)])
    assert again.exit_code == 0, again.output
    lines = again.stderr.splitlines()
    assert sorted(line.split()[3].rstrip(":") for line in lines) == [
        "ilo-features", "ilo-newsroom", "ilo-press"]
    assert all(": not-due " in line and "next_due=" in line for line in lines)
    assert "no source was due; the next is due at" in again.stdout


def test_status_and_status_json_agree_on_next_due_after_worker_every(project: Path) -> None:
    result = CliRunner().invoke(main, ["worker", "--once", "--every", "1", "-c", str(project)])
    assert result.exit_code == 0, result.output
    status = CliRunner().invoke(main, ["status", "--json", "-c", str(project)])
    assert status.exit_code == 0, status.output
    shown = {s["id"]: datetime.fromisoformat(s["next_due"])
             for s in json.loads(status.stdout)["sources"]}
    app = create_app({"FEEDHUB_CONFIG": str(project), "TESTING": True})
    served = {s["id"]: datetime.fromisoformat(s["next_due"].replace("Z", "+00:00"))
              for s in app.test_client().get("/status.json").get_json()["sources"]}
    assert served == shown
