"""A build killed with SIGKILL, or two builds at once, never corrupt anything (issue 7, item 8).

Real `feedhub build` subprocesses read four slow feeds from a LocalServer on 127.0.0.1:

- killed at fixed delays (start-up, fetch, store, publish) and at observed moments (right after
  the server answered its third request; as soon as a publish temp file appears): after each
  kill every published file is the old one or a complete, parseable new one, the SQLite store
  passes ``integrity_check`` and ``foreign_key_check``, and no stored item was lost; the next
  build then completes and publishes everything, leaving no temp file behind;
- three builds started at the same moment on a fresh folder (so they also race to create and
  migrate the database): all succeed, one after the other, and the result is exactly one
  build's worth of items.

Every wait is bounded (subprocess timeouts), so a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.etree as etree
import pytest

from tests.support.httpd import LocalServer, Reply, Request

SOURCES = 4
ITEMS = 25
DELAY = 0.5
"""Seconds each feed takes to answer, so a build spends a while in every stage."""
TIMEOUT = 60


class Feeds:
    """RSS feeds whose content changes with ``version``."""

    def __init__(self, server: LocalServer) -> None:
        self.version = 1
        for n in range(SOURCES):
            server.route(f"/s{n}.rss", handler=self.handler(n))

    def handler(self, n: int) -> Callable[[Request], Reply]:
        def reply(request: Request) -> Reply:
            time.sleep(DELAY)
            return Reply(200, self.body(n), {"Content-Type": "application/rss+xml"})
        return reply

    def body(self, n: int) -> bytes:
        items = "".join(
            f"<item><title>Source {n} story {i} v{self.version}</title>"
            f"<link>https://s{n}.example.org/story/{i}</link>"
            f"<pubDate>{(i % 28) + 1:02d} Oct 2026 {i % 24:02d}:00:00 GMT</pubDate>"
            f"<category>{'News' if i % 2 else 'Jobs'}</category>"
            f"<description>&lt;p&gt;Story {i} of source {n}, version {self.version}."
            f"&lt;/p&gt;</description></item>"
            for i in range(ITEMS if self.version == 1 else ITEMS + 10)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>s{n}</title><link>https://s{n}.example.org/</link>"
                f"<description>d</description>{items}</channel></rss>").encode()


def write_project(folder: Path, server: LocalServer) -> Path:
    lines = ["site:", "  title: Crash test", "  base_url: https://hub.example.org",
             "  feed_size: 20",
             "categories:", "  - slug: news", "    labels: [News]",
             "  - slug: jobs", "    labels: [Jobs]", "sources:"]
    for n in range(SOURCES):
        lines += [f"  - id: s{n}", "    kind: feed", f"    url: {server.url(f'/s{n}.rss')}",
                  "    category: news", "    allow_private: true"]
    # One fetch at a time, so a build spends SOURCES * DELAY in fetching however fast the rest
    # of feedhub gets: the fixed kill delays below then land inside a running build.
    lines += ["fetch:", "  concurrency: 1",
              "store: sqlite:///feedhub.db", "output: feeds", ""]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start_build(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # --force: the builds follow each other within any refresh interval.
    return subprocess.Popen([sys.executable, "-m", "feedhub", "build", "--force", "-c",
                             str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, (out + err).decode("utf-8", "replace")


def published(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def assert_complete(name: str, data: bytes) -> None:
    if name.endswith(".gz"):
        import gzip

        data = gzip.decompress(data)
        name = name[:-3]
    if name.endswith(".json"):
        json.loads(data.decode("utf-8"))
    elif name.endswith((".rss", ".atom", ".opml", ".xsl")):
        etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    elif name.endswith(".html"):
        assert data.rstrip().endswith(b"</html>"), name


def store_check(db: Path) -> tuple[int, int]:
    """(items, item_sources rows) after checking the database is whole."""
    with sqlite3.connect(db, timeout=TIMEOUT) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = conn.execute(
            "SELECT COUNT(*) FROM item_sources WHERE item NOT IN (SELECT n FROM items)"
        ).fetchone()[0]
        assert orphans == 0
        items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        links = conn.execute("SELECT COUNT(*) FROM item_sources").fetchone()[0]
    conn.close()
    return int(items), int(links)


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool],
              limit: float = 20.0) -> bool:
    """SIGKILL the build once ``ready()`` holds; False if it finished first."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=TIMEOUT)  # reaps it and closes its pipes
            return True
        time.sleep(0.002)
    finish(process)
    return False


def test_sigkill_at_any_moment_loses_nothing_and_next_build_completes(tmp_path: Path) -> None:
    with LocalServer() as server:
        feeds = Feeds(server)
        config = write_project(tmp_path, server)
        code, output = finish(start_build(config))
        assert code == 0, output
        output_dir, db = tmp_path / "feeds", tmp_path / "feedhub.db"
        before = published(output_dir)
        assert "all.rss" in before and "news.atom" in before
        items, links = store_check(db)
        assert items == SOURCES * ITEMS

        feeds.version = 2  # the next builds have new and changed stories to store and publish
        def after(delay: float) -> Callable[[], Callable[[], bool]]:
            def arm() -> Callable[[], bool]:
                start = time.monotonic()
                return lambda: time.monotonic() - start >= delay
            return arm

        def after_responses(count: int) -> Callable[[], Callable[[], bool]]:
            def arm() -> Callable[[], bool]:
                start = len(server.requests)
                return lambda: len(server.requests) >= start + count
            return arm

        def mid_publish() -> Callable[[], bool]:
            return lambda: any(p.name.endswith(".tmp") for p in output_dir.rglob(".*"))

        moments = [*((f"after {d}s", after(d)) for d in (0.05, 0.4, 0.8, 1.2, 1.6, 2.0)),
                   ("after the 3rd response", after_responses(3)),
                   ("mid-publish", mid_publish)]
        killed = 0
        for label, arm in moments:
            process = start_build(config)
            killed += kill_when(process, arm())
            now = published(output_dir)
            for name, data in now.items():
                if before.get(name) != data:
                    assert_complete(name, data)  # replaced whole, never half-written
            assert set(before) <= set(now), f"{label}: a published file vanished"
            items_now, links_now = store_check(db)
            assert items_now >= items and links_now >= links, label
            items, links = items_now, links_now
        assert killed >= 5, "the builds finished before they could be killed"

        code, output = finish(start_build(config))
        assert code == 0, output
        final = published(output_dir)
        for name, data in final.items():
            assert_complete(name, data)
        assert not [p for p in output_dir.rglob("*.tmp")], "a temp file was left behind"
        assert store_check(db)[0] == SOURCES * (ITEMS + 10)
        assert b"v2" in final["all.rss"] and b"v1" not in final["all.rss"]


@pytest.mark.parametrize("builds", [3])
def test_builds_started_at_once_do_not_corrupt_anything(tmp_path: Path, builds: int) -> None:
    with LocalServer() as server:
        Feeds(server)
        config = write_project(tmp_path / "fresh", server)
        processes = [start_build(config) for _ in range(builds)]
        results = [finish(p) for p in processes]
        assert [code for code, _ in results] == [0] * builds, [out for _, out in results]
        items, links = store_check(tmp_path / "fresh" / "feedhub.db")
        assert (items, links) == (SOURCES * ITEMS, SOURCES * ITEMS)
        for name, data in published(tmp_path / "fresh" / "feeds").items():
            assert_complete(name, data)
        with sqlite3.connect(tmp_path / "fresh" / "feedhub.db") as conn:
            assert conn.execute("SELECT COUNT(*), SUM(ok) FROM builds").fetchone() == (
                builds, builds)
        conn.close()
