"""What writing feeds with feedgen costs: render time of a 50-item feed, one command, one table.

    .venv/bin/python bench/publish.py [--items 50] [--runs 200] [--baseline REV]

Renders the same FeedDoc (items with HTML summary and content, categories, labels, an author,
an enclosure, an image and a source) with today's ``feedhub.publish.feeds`` (feedgen) and with
the hand-built lxml writer it replaced, read from git history (``--baseline``, default: the
commit before feeds.py first imported feedgen) and loaded for this run only: the old writer does
not live in src/. Prints the median and fastest time per render and the output size.
Not a unit test; timings on a shared machine are noisy, compare medians from one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from feedhub.model import Category, Config, Enclosure, Item, Site, Source, SourceKind  # noqa: E402
from feedhub.publish import feeds  # noqa: E402
from feedhub.publish.document import FeedDoc, make_doc  # noqa: E402

FEEDS_PY = "src/feedhub/publish/feeds.py"


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def default_baseline() -> str:
    # The newest commit whose diff of feeds.py adds or removes a feedgen import: the port.
    port = git("log", "-1", "--format=%H", "-G", "^from feedgen[.a-z]* import", "--", FEEDS_PY)
    if not port:
        raise SystemExit("no commit of feeds.py touches feedgen: pass --baseline REV")
    return port + "^"


def load_baseline(rev: str, folder: Path) -> ModuleType:
    """The feeds.py of ``rev`` as a module of the feedhub.publish package (for its imports)."""
    path = folder / "feeds_baseline.py"
    path.write_text(git("show", f"{rev}:{FEEDS_PY}") + "\n", encoding="utf-8")
    name = "feedhub.publish._bench_baseline"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def sample_doc(count: int) -> FeedDoc:
    site = Site(title="Bench newsroom", base_url="https://hub.example.org", language="en",
                description="Fifty stories", author="Bench desk",
                icon="https://hub.example.org/i.png", logo="https://hub.example.org/l.png",
                websub_hub="https://pubsub.example.org/")
    config = Config(path=Path("/nonexistent/sources.yaml"), site=site,
                    categories=(Category("news", "News"), Category("press", "Press releases")),
                    sources=(Source("wire", SourceKind.FEED, "https://example.org/wire.rss",
                                    title="Wire"),))
    start = datetime(2021, 5, 26, 9, 0, tzinfo=UTC)
    found = [Item(
        id=f"{n:08x}-0000-4000-8000-000000000000",
        title=f"Story {n}: ministers meet on decent work & social justice",
        link=f"https://example.org/news/{n}.html",
        published=start - timedelta(hours=n), updated=start - timedelta(hours=n),
        summary=f"<p>Summary of story {n}, with <em>emphasis</em> and a "
                f"<a href=\"https://example.org/{n}\">link</a>.</p>",
        content="<p>" + " ".join(f"Paragraph {k} of story {n}." for k in range(20)) + "</p>",
        categories=("news", "press") if n % 3 == 0 else ("news",),
        labels=("News", "Press release") if n % 3 == 0 else ("News",),
        sources=("wire",), image=f"https://example.org/img/{n}.jpg", author="Wire desk",
        enclosures=(Enclosure(f"https://example.org/audio/{n}.mp3", "audio/mpeg", 1000 + n),),
    ) for n in range(count)]
    # No EntryCache: every run must render the entries, not take them from the run before.
    return replace(make_doc(config, "news", found), entries=None)


def median_ms(render: Callable[[FeedDoc], bytes], doc: FeedDoc, runs: int) -> tuple[float, float]:
    render(doc)  # warm-up: imports, lazy tables
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        render(doc)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baseline", default="", help="git revision of the lxml writer")
    args = parser.parse_args()
    rev = args.baseline or default_baseline()
    doc = sample_doc(args.items)
    with tempfile.TemporaryDirectory() as folder:
        baseline = load_baseline(rev, Path(folder))
        rows = []
        for label, module in ((f"lxml by hand ({git('rev-parse', '--short', rev)})", baseline),
                              ("feedgen (src)", feeds)):
            for fmt in ("rss", "atom"):
                render: Callable[[FeedDoc], bytes] = getattr(module, f"render_{fmt}")
                med, best = median_ms(render, doc, args.runs)
                rows.append((label, fmt, med, best, len(render(doc))))
    print(f"render one {args.items}-item feed, {args.runs} runs each "
          f"(Python {sys.version.split()[0]})")
    print(f"{'writer':<26} {'format':<6} {'median ms':>10} {'best ms':>9} {'bytes':>8}")
    for label, fmt, med, best, size in rows:
        print(f"{label:<26} {fmt:<6} {med:>10.2f} {best:>9.2f} {size:>8}")
    for fmt in ("rss", "atom"):
        old, new = (row[2] for row in rows if row[1] == fmt)
        print(f"{fmt}: feedgen / lxml by hand = {new / old:.2f}x")


if __name__ == "__main__":
    main()
