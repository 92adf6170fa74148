"""How the refresh work spreads over workers sharing one PostgreSQL store: one command, one table.

    .venv/bin/python bench/workers.py                      # N = 120 sources, 1, 2 and 4 workers
    .venv/bin/python bench/workers.py --sources 40 --workers 1 2

N RSS sources are served by a real HTTP server on 127.0.0.1 that waits ``--latency`` ms before
each answer (a remote site's round trip). For each worker count, a fresh database and that many
``feedhub worker --once`` processes refresh every source and publish; the table shows the wall
time of the pass, fetches per source (must be exactly 1.00: no source fetched twice) and how
many publishes happened (must be 1). It needs the Debian postgresql binaries. Not a unit test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.httpd import LocalServer, Reply, Request  # noqa: E402
from tests.support.postgres import PostgresCluster, find_bindir  # noqa: E402
from tests.support.sources import fetches, rss, write_config  # noqa: E402


def run(cluster: PostgresCluster, server: LocalServer, names: list[str], workers: int,
        folder: Path) -> tuple[float, float, int]:
    url = cluster.create_database()
    server.requests.clear()
    procs = []
    started = time.monotonic()
    for n in range(workers):
        home = folder / f"w{workers}-{n}"
        home.mkdir(parents=True)
        config = write_config(home, server, names, url)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "feedhub", "worker", "-c", str(config), "--once",
             "--poll", "0.1", "--name", f"w{n}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [proc.communicate(timeout=600)[0] for proc in procs]
    seconds = time.monotonic() - started
    per_source = sum(fetches(server, name) for name in names) / len(names)
    publishes = sum(log.count(" published, ") for log in logs)
    return seconds, per_source, publishes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=120)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=50.0, help="ms before each answer")
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (Debian package postgresql)")
    names = [f"src{n:04d}" for n in range(args.sources)]
    bodies = {name: rss(name, 5) for name in names}

    def answer(request: Request) -> Reply:
        time.sleep(args.latency / 1000)
        name = request.path.strip("/").removesuffix(".rss")
        return Reply(200, bodies[name], {"Content-Type": "application/rss+xml"})

    cluster = PostgresCluster.start(bindir)
    folder = Path(cluster.root) / "bench"
    try:
        with LocalServer() as server:
            for name in names:
                server.route(f"/{name}.rss", handler=answer)
            print(f"{args.sources} sources, {args.latency:.0f} ms per answer, "
                  f"{os.cpu_count()} CPUs")
            print(f"{'workers':>7}  {'seconds':>8}  {'sources/s':>9}  {'fetches/source':>14}  "
                  f"{'publishes':>9}")
            for workers in args.workers:
                seconds, per_source, publishes = run(cluster, server, names, workers, folder)
                print(f"{workers:>7}  {seconds:>8.2f}  {args.sources / seconds:>9.1f}  "
                      f"{per_source:>14.2f}  {publishes:>9}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
