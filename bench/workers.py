"""How one refresh pass spreads over workers on PostgreSQL, beside a build: one command, one table.

    .venv/bin/python bench/workers.py                      # N = 200 sources, 1 and 3 workers
    .venv/bin/python bench/workers.py --sources 50 --workers 1 2 4

It generates bench/build.py's corpus (half RSS/Atom feeds of 50 items, half listing pages of
20, some stories on several sources), serves it from nginx on 127.0.0.1 (``--server python``:
the tests' Python server), starts a throwaway PostgreSQL cluster (initdb in a temp folder, on
127.0.0.1, a free port) and times, each into an empty store:

- ``feedhub build`` on SQLite, the one-machine default, and the same build on PostgreSQL;
- for each ``--workers`` count K, K worker processes (``feedhub worker --once``, through
  bench/children.py), each in its own folder as on its own machine, sharing one database.

Each row says where the time went: fetch, extract, normalise and store summed over sources
(a build overlaps them: fetches run concurrently and parsing runs in worker processes; a
worker refreshes one source at a time), publish, and for workers how many sources each one
refreshed. Every run must refresh each source exactly once (the store's refresh counts) and
publish once. CPU is the processes' own, not PostgreSQL's. Needs the Debian postgresql
binaries and psycopg. Not a unit test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from build import (  # noqa: E402
    NGINX,
    Corpus,
    Run,
    Static,
    compile_feedhub,
    machine,
    make_corpus,
    measure,
    serve,
    write_config,
)
from tests.support.httpd import LocalServer  # noqa: E402
from tests.support.postgres import PostgresCluster, find_bindir  # noqa: E402

from feedhub.config import load_config  # noqa: E402
from feedhub.store import open_store  # noqa: E402

STAGES = ("fetch", "extract", "normalise", "store", "publish")


@dataclass(frozen=True)
class Row:
    label: str
    wall: float
    cpu: float
    stages: dict[str, float]
    per_worker: str
    """Sources each worker refreshed ('-' for a build)."""
    publishes: int


def folder_for(corpus: Corpus, server: LocalServer | Static, folder: Path, store: str) -> Path:
    """A machine's folder: bench/build.py's sources.yaml with ``store`` swapped in."""
    folder.mkdir(parents=True)
    config = write_config(corpus, server, folder)
    config.write_text(config.read_text().replace("store: sqlite:///bench.db",
                                                 f"store: {store}"))
    return config


def check_once(config: Path, n: int, label: str) -> None:
    """Every source was refreshed exactly once (no claim was lost or taken twice)."""
    loaded = load_config(config)
    with open_store(loaded.store, loaded.root) as store:
        row = store.db.execute(
            "SELECT COUNT(*), MIN(refreshes), MAX(refreshes), SUM(failures) FROM sources"
        ).fetchone()
    if tuple(row) != (n, 1, 1, 0):
        raise SystemExit(f"{label}: sources, min/max refreshes, failures = {tuple(row)}, "
                         f"expected ({n}, 1, 1, 0)")


def build_row(label: str, config: Path, n: int) -> Row:
    run = measure("build", str(config), config.parent)
    if run.result["failed"]:
        raise SystemExit(f"{label}: failing sources {run.result['failed']}")
    check_once(config, n, label)
    return Row(label, run.wall, run.cpu, run.result["stages"], "-", 1)


def workers_row(k: int, corpus: Corpus, server: LocalServer | Static, workdir: Path,
                url: str) -> Row:
    configs = [folder_for(corpus, server, workdir / f"k{k}-w{i}", url) for i in range(k)]
    started = time.perf_counter()
    with ThreadPoolExecutor(k) as pool:
        runs: list[Run] = list(pool.map(lambda c: measure("worker", str(c), c.parent),
                                        configs))
    wall = time.perf_counter() - started
    label = f"{k} worker{'s' if k > 1 else ''}, PostgreSQL"
    if any(run.result["failed"] for run in runs):
        raise SystemExit(f"{label}: failing sources")
    check_once(configs[0], len(corpus.sources), label)
    stages: dict[str, float] = {}
    for run in runs:
        for stage, seconds in run.result["stages"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    return Row(label, wall, sum(run.cpu for run in runs), stages,
               " / ".join(str(run.result["refreshed"]) for run in runs),
               sum(run.result["publishes"] for run in runs))


def table(rows: list[Row], n: int) -> str:
    lines = ["| run | wall s | CPU s | sources/s | refreshed by each worker | "
             + " | ".join(STAGES) + " | publishes |",
             "|---|---|---|---|---|" + "---|" * len(STAGES) + "---|"]
    for row in rows:
        split = " | ".join(f"{row.stages[s]:.1f}" if s in row.stages else "-" for s in STAGES)
        lines.append(f"| {row.label} | {row.wall:.1f} | {row.cpu:.1f} | {n / row.wall:.1f} | "
                     f"{row.per_worker} | {split} | {row.publishes} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200, help="sources (default 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3],
                        help="worker counts to run (default 1 3)")
    parser.add_argument("--server", choices=("nginx", "python"),
                        default="nginx" if NGINX else "python",
                        help="what serves the corpus (default nginx where installed)")
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (Debian package postgresql)")
    compile_feedhub()
    corpus = make_corpus(args.sources)
    workdir = Path(tempfile.mkdtemp(prefix="feedhub-bench-workers-"))
    docs = workdir / "docs"
    docs.mkdir()
    for source in corpus.sources:
        (docs / source.path.lstrip("/")).write_bytes(source.body)
    server: LocalServer | Static
    if args.server == "nginx":
        server = Static(docs, workdir / "nginx")
    else:
        server = LocalServer()
        serve(corpus, server)
    cluster = PostgresCluster.start(bindir)
    rows = []
    try:
        with server:
            sqlite = folder_for(corpus, server, workdir / "build-sqlite", "sqlite:///bench.db")
            rows.append(build_row("feedhub build, SQLite", sqlite, args.sources))
            postgres = folder_for(corpus, server, workdir / "build-postgres",
                                  cluster.create_database())
            rows.append(build_row("feedhub build, PostgreSQL", postgres, args.sources))
            for k in args.workers:
                print(f"{k} worker(s) ...", file=sys.stderr, flush=True)
                rows.append(workers_row(k, corpus, server, workdir,
                                        cluster.create_database()))
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"corpus: {args.sources} sources served by {args.server} on 127.0.0.1; "
          "each run into an empty store")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print(table(rows, args.sources))
    print("\nStages are seconds summed over sources (and over workers); a build overlaps them.")


if __name__ == "__main__":
    main()
