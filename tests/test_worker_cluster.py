"""Two workers and two web processes on one PostgreSQL, one worker killed mid-refresh.

Each "machine" has its own folder (its own output, no shared disk): the web processes have
never built anything and serve from the store. The test runs two due periods (the second one
starts when the test marks every source due, as the refresh interval would) and checks that
each source was refreshed exactly once per period, even though the worker that held one of
them was SIGKILLed in the middle of fetching it, that each period's changes were published
once, and that both web processes answer identical bytes and validators.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feedhub.store import Store, open_store

from .support.httpd import LocalServer, Reply, Request
from .support.postgres import PostgresCluster, free_port
from .support.sources import fetches, rss, serve_sources, write_config

NAMES = [f"src{n}" for n in range(6)]
SLOW = "src0"
LEASE = 4
DEADLINE = 90.0
"""Seconds any one wait may take before the test fails (the machine is shared and slow)."""


def wait_for(what: str, check: Callable[[], bool], timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


class Machines:
    """Processes started by the test, each in its own folder, all stopped at the end."""

    def __init__(self, root: Path, server: LocalServer, url: str) -> None:
        self.root, self.server, self.url = root, server, url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def folder(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir()
        return write_config(folder, self.server, NAMES, self.url)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "feedhub", *args], stdout=log,
                                stderr=subprocess.STDOUT, env=env)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def machines(tmp_path: Path, postgres: PostgresCluster, httpd: LocalServer
             ) -> Iterator[Machines]:
    group = Machines(tmp_path, httpd, postgres.create_database())
    try:
        yield group
    finally:
        group.stop()


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.status, dict(response.headers.items()), response.read()


def all_refreshed(store: Store, times: int) -> bool:
    return all(store.refresh_count(name) == times for name in NAMES)


def test_two_workers_two_web_nodes_one_killed(machines: Machines, httpd: LocalServer) -> None:
    if shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("needs runuser to run PostgreSQL as a non-root user")
    release = threading.Event()
    slow_calls: list[int] = []
    bodies = {name: rss(name, 3) for name in NAMES}
    serve_sources(httpd, NAMES)

    def slow(request: Request) -> Reply:
        slow_calls.append(1)
        if len(slow_calls) == 1:
            release.wait(DEADLINE)  # the first fetch hangs until its worker is dead
        return Reply(200, bodies[SLOW], {"Content-Type": "application/rss+xml"})

    httpd.route(f"/{SLOW}.rss", handler=slow)
    for name in NAMES[1:]:
        httpd.route(f"/{name}.rss", handler=lambda r, name=name: Reply(
            200, bodies[name], {"Content-Type": "application/rss+xml"}))

    webs = {}
    for name in ("web1", "web2"):
        port = free_port()
        machines.start(name, "serve", "-c", str(machines.folder(name)), "--port", str(port))
        webs[name] = port
    workers = {}
    for name in ("worker1", "worker2"):
        workers[name] = machines.start(
            name, "worker", "-c", str(machines.folder(name)), "--name", name,
            "--every", "3600", "--lease", str(LEASE), "--poll", "0.2")

    with open_store(machines.url, machines.root) as store:
        # Period 1: the worker that fetches SLOW is killed while the fetch hangs.
        wait_for("the slow fetch", lambda: fetches(httpd, SLOW) == 1)
        owner, _until = store.lease(SLOW)
        assert owner in workers, owner
        workers[owner].send_signal(signal.SIGKILL)
        workers[owner].wait(30)
        release.set()
        survivor = next(name for name in workers if name != owner)
        wait_for("period 1 refreshes", lambda: all_refreshed(store, 1))
        wait_for("period 1 publish", lambda: store.dirty_since() is None
                 and store.published_file("all.rss") is not None)
        # The killed worker's fetch was never stored; the survivor fetched SLOW again after
        # the lease ran out. Every other source was fetched once.
        assert {name: fetches(httpd, name) for name in NAMES} == {
            SLOW: 2, **{name: 1 for name in NAMES[1:]}}

        # Period 2: every source falls due; two of them changed meanwhile.
        bodies["src1"] = rss("src1", 3, version=2)
        bodies["src2"] = rss("src2", 4, version=2)
        with store.transaction() as db:
            db.execute("UPDATE sources SET next_due = ''")
        wait_for("period 2 refreshes", lambda: all_refreshed(store, 2))
        wait_for("period 2 publish", lambda: store.dirty_since() is None)
        assert {name: fetches(httpd, name) for name in NAMES} == {
            SLOW: 3, **{name: 2 for name in NAMES[1:]}}
        published_all = store.published_file("all.atom")
        assert published_all is not None and b"src2 story 4 v2" in published_all[0]

    # One publish per period, by the worker that was alive when the period went quiet.
    log = machines.log(survivor)
    assert len(re.findall(r"published, \d+ file\(s\) changed", log)) == 2, log
    assert "published" not in machines.log(owner)

    # Both web nodes serve what was published, identically, without a local build.
    for path in ("/feeds/all.rss", "/feeds/all.atom", "/feeds/news.rss",
                 "/feeds/press-releases.atom"):
        answers = {}
        for name, port in webs.items():
            wait_for(f"{name} to serve {path} v2", lambda port=port, path=path: (
                b" v2<" in get(port, path)[2]), timeout=30)
            status, headers, body = get(port, path)
            assert status == 200
            answers[name] = (body, headers["ETag"], headers["Last-Modified"])
        assert answers["web1"] == answers["web2"], path
        assert not (machines.root / "web1" / "feeds").exists()
        survivor_file = machines.root / survivor / "feeds" / path.removeprefix("/feeds/")
        assert answers["web1"][0] == survivor_file.read_bytes(), path
