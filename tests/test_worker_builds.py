"""Every worker records its own refresh pass in the builds table (owner, times, sources refreshed
and failed, whether it published), on both backends (``store_url``); the store keeps each
owner's last pass however old, and a month of the rest."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedhub.config import load_config
from feedhub.store import RefreshPass, open_store
from feedhub.worker import WorkerSettings, publish_if_settings_changed, run_worker

from .support.httpd import LocalServer, Reply, Request
from .support.sources import rss, serve_sources, write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def settings(owner: str) -> WorkerSettings:
    # A long publish delay: a worker publishes only when the pass is over, so exactly one does.
    return WorkerSettings(owner=owner, poll=0.05, once=True, publish_delay=timedelta(hours=1))


def test_each_worker_records_its_own_pass(store_url: str, tmp_path: Path,
                                          httpd: LocalServer) -> None:
    """Two workers share one pass; each records its share. Before, only the worker that
    published recorded anything, so the other worker's pass was invisible."""
    names = [f"s{n}" for n in range(8)]
    both_fetching = threading.Barrier(2, timeout=60)
    first_two = threading.Semaphore(2)

    def answer(request: Request) -> Reply:
        # The first two fetches wait for each other: each worker holds a source at once, so
        # both have a pass to record whichever thread the machine runs first.
        if first_two.acquire(blocking=False):
            both_fetching.wait()
        name = request.path.strip("/").removesuffix(".rss")
        return Reply(200, rss(name, 3), {"Content-Type": "application/rss+xml"})

    serve_sources(httpd, names, handler=answer)
    config = load_config(write_config(tmp_path, httpd, names, store_url))
    with open_store(config.store, config.root) as store:
        # The settings' first publish, which each worker would otherwise race to make at
        # start: the publish counted below is the pass's own.
        publish_if_settings_changed(config, store)
    counts: dict[str, int] = {}
    threads = [threading.Thread(target=lambda owner=owner: counts.__setitem__(
        owner, run_worker(config, settings(owner), log=lambda _: None)))
        for owner in ("w0", "w1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(counts.values()) == len(names)

    with open_store(config.store, config.root) as store:
        passes = {p.owner: p for p in store.last_passes()}
        assert store.dirty_since() is None
    assert sorted(passes) == ["w0", "w1"]
    for owner, done in passes.items():
        assert done.refreshed == counts[owner] >= 1
        assert done.failed == 0 and done.ok
        assert done.started <= done.finished
        assert done.summary.startswith(f"worker {owner}: {done.refreshed} source(s) refreshed")
    publishers = [p for p in passes.values() if p.published is not None]
    assert len(publishers) == 1
    published = publishers[0].published
    assert published is not None and publishers[0].started <= published
    assert "published 0 changed" not in publishers[0].summary
    idle = [p for p in passes.values() if p.published is None]
    assert "published by another worker" in idle[0].summary


def test_a_pass_with_a_failing_source_is_recorded_as_failed(store_url: str, tmp_path: Path,
                                                            httpd: LocalServer) -> None:
    names = ["alpha", "bravo", "gone"]
    serve_sources(httpd, names[:2])
    httpd.route("/gone.rss", handler=lambda _: Reply(404, b"no", {}))
    config = load_config(write_config(tmp_path, httpd, names, store_url))
    assert run_worker(config, settings("solo"), log=lambda _: None) == 3
    with open_store(config.store, config.root) as store:
        [done] = store.last_passes()
        last = store.last_build()
    assert (done.owner, done.refreshed, done.failed, done.ok) == ("solo", 3, 1, False)
    assert done.published is not None  # the two good sources' stories were published
    assert last == (done.finished, False)


def test_each_owner_keeps_its_last_pass_and_old_rows_go(store_url: str,
                                                       tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        assert store.last_passes() == []

        def record(owner: str, days_ago: int) -> None:
            at = NOW - timedelta(days=days_ago)
            store.record_build(at, at + timedelta(seconds=5), True, f"{owner} {days_ago}",
                               owner=owner, refreshed=days_ago, published=at)

        record("a", 40)
        record("b", 40)  # a worker stopped long ago: its last pass stays in view
        record("a", 35)
        record("", 31)  # `feedhub build`
        record("a", 0)  # deletes what finished more than 30 days before, but b's and ''s last
        passes = store.last_passes()
        assert [(p.owner, p.summary) for p in passes] == [("a", "a 0"), ("", " 31"),
                                                          ("b", "b 40")]
        assert passes[0] == RefreshPass(
            started=NOW, finished=NOW + timedelta(seconds=5), ok=True, summary="a 0",
            owner="a", refreshed=0, failed=0, published=NOW)
        rows = store.db.execute("SELECT owner, summary FROM builds ORDER BY id").fetchall()
        assert [tuple(row) for row in rows] == [("b", "b 40"), ("", " 31"), ("a", "a 0")]
        assert store.last_build() == (NOW + timedelta(seconds=5), True)
