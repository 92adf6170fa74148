"""Render cost: a listing page read as served beside the same page rendered in headless Chromium.

    .venv/bin/python bench/render.py               # 8 pages per row, median of 3 runs
    .venv/bin/python bench/render.py --pages 4 --runs 1

The page is tests/support/scripted.py's: its HTML holds an empty list; a script asks the same
server (127.0.0.1, a thread of this process) for six stories as JSON and inserts them. The
script waits ``--script-delay`` ms and the server ``--delay`` s before answering (0 for both by
default, so the rows measure feedhub and Chromium, not the page's own waiting).

Rows (per page, wall time and this process's CPU; Chromium's own processes are not in the CPU
column):
- fetch only: ``fetch`` of the page (the plain static read; it lists no items);
- fetch + extract: the same, then ``extract`` (raises: no items, as a build would report);
- render, first page: a new Renderer each time: Chromium starts, renders one page, closes;
- render, warm: one Renderer for all pages (as a build), one page at a time;
- render, 2 at once: one Renderer, pages from 2 threads (its ``PAGES`` bound).
Not a unit test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.httpd import LocalServer  # noqa: E402
from tests.support.scripted import serve_scripted  # noqa: E402

from feedhub.errors import ExtractError  # noqa: E402
from feedhub.extract import extract  # noqa: E402
from feedhub.fetch import Validators, fetch  # noqa: E402
from feedhub.model import FetchLimits, Selectors, Source, SourceKind  # noqa: E402
from feedhub.render import Renderer  # noqa: E402

SELECTORS = Selectors(item="li.story", title="h2 a", link="h2 a@href", date="time")


def timed(pages: int, run: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds per page of ``run`` (which handles ``pages`` pages)."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return (time.perf_counter() - wall) / pages, (time.process_time() - cpu) / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--script-delay", type=int, default=0)
    args = parser.parse_args()
    limits = FetchLimits(deadline=30)
    with LocalServer() as server:
        serve_scripted(server, delay=args.delay, script_delay_ms=args.script_delay)
        source = Source(id="bench", kind=SourceKind.HTML, location=server.url("/news"),
                        allow_private=True, selectors=SELECTORS, render="browser",
                        ignore_robots=True)
        static = Source(id="bench", kind=SourceKind.HTML, location=server.url("/news"),
                        allow_private=True, selectors=SELECTORS, ignore_robots=True)
        root = Path(".")

        def fetch_only() -> None:
            for _ in range(args.pages):
                fetch(static, root, Validators(), limits)

        def fetch_extract() -> None:
            for _ in range(args.pages):
                with contextlib.suppress(ExtractError):  # it lists no items as served
                    extract(static, fetch(static, root, Validators(), limits))

        def render_cold() -> None:
            for _ in range(args.pages):
                with Renderer(limits) as renderer:
                    entries = extract(source, renderer.fetcher(fetch)(source, root,
                                                                      Validators()))
                    assert len(entries) == 6

        def render_warm(threads: int) -> Callable[[], None]:
            def run() -> None:
                with Renderer(limits) as renderer:
                    read = renderer.fetcher(fetch)
                    read(source, root, Validators())  # started before the clock matters

                    def one(_: int) -> None:
                        assert len(extract(source, read(source, root, Validators()))) == 6

                    with ThreadPoolExecutor(threads) as pool:
                        list(pool.map(one, range(args.pages)))
            return run

        rows: list[tuple[str, Callable[[], None], int]] = [
            ("fetch only", fetch_only, args.pages),
            ("fetch + extract", fetch_extract, args.pages),
            ("render, first page", render_cold, args.pages),
            ("render, warm", render_warm(1), args.pages + 1),
            ("render, 2 at once", render_warm(2), args.pages + 1),
        ]
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in rows}
        for _ in range(args.runs):
            for name, run, pages in rows:
                results[name].append(timed(pages, run))
    base = statistics.median(wall for wall, _ in results["fetch only"])
    print("| read | ms per page (wall) | ms CPU here | x fetch only |")
    print("|------|-------------------:|------------:|-------------:|")
    for name, _, _ in rows:
        wall = statistics.median(w for w, _ in results[name])
        cpu = statistics.median(c for _, c in results[name])
        print(f"| {name} | {wall * 1000:.1f} | {cpu * 1000:.1f} | {wall / base:.0f} |")
    print(f"\n(render benchmark: {args.pages} pages per row, median of {args.runs} runs, "
          f"script delay {args.script_delay} ms, server delay {args.delay} s, "
          f"Python {platform.python_version()})")


if __name__ == "__main__":
    main()
