"""How fast a build is and how its cost grows: one command, one table.

    .venv/bin/python bench/build.py                  # N = 250, 1000, 4000 (about 3 minutes)
    .venv/bin/python bench/build.py --repeat 3       # medians of 3 cold builds (about 8)
    .venv/bin/python bench/build.py --sizes 100      # a quick check

For each N it generates a corpus (half RSS/Atom feeds of 50 items with HTML summaries and
categories, half listing pages of 20 items; some stories appear on several sources), serves it
from nginx on 127.0.0.1 as static files, which answers conditional GETs with 304 as a real
site would (``--server python``: the tests' Python server instead), and measures, each
in a fresh subprocess (wall time, CPU time and peak RSS from wait4):

- cold: a build into an empty store;        - warm: the same build again, nothing changed
  (three times: the median is shown);
- warm, in a process that built before: the warm build as ``feedhub serve --refresh`` runs
  it, timed inside the process (no interpreter start, no imports; three times, the median);
- 5%: a build after 5% of the sources gained one item;
- naive: ``feedparser.parse(url)`` on every feed URL, one after another (the feed half only);
- lxml: a bare lxml parse of every document's bytes (the floor for Python).

With ``--repeat R``, cold builds and naive loops run R times each, alternating, and their
medians are shown. The table gives each stage's share of the build and its ratio to the
bare-parse floor; then it checks the targets of issue 26 as ratios measured in the same run
(PASS/FAIL; INFO for figures shown as context). Not a unit test.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import importlib.util
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.httpd import LocalServer, Reply, Request  # noqa: E402
from tests.support.nginx import NGINX, Nginx, free_port  # noqa: E402

CHILD = Path(__file__).resolve().parent / "children.py"
"""Runs each measured build, naive loop and lxml parse in a fresh interpreter."""

LABELS = ["Press release", "News", "Feature", "Statement", "Comment", "Video", "Report"]
CATEGORIES = [
    {"slug": "press-releases", "title": "Press releases", "labels": ["Press release"]},
    {"slug": "news", "title": "News", "labels": ["News", "Statement"]},
    {"slug": "features", "title": "Features", "labels": ["Feature", "Video", "Comment"]},
]
FEED_ITEMS = 50
PAGE_ITEMS = 20
SHARED_PER_SOURCE = 3
"""Stories each source shares with others (same link), so builds merge them."""
EPOCH = datetime(2026, 6, 1, tzinfo=UTC)


# --- corpus ---------------------------------------------------------------------------------

@dataclass
class Story:
    n: int
    link: str
    title: str
    label: str
    published: datetime
    summary: str


def make_story(rng: random.Random, n: int, host: str) -> Story:
    words = rng.sample(["labour", "wages", "workers", "skills", "youth", "safety", "jobs",
                        "social", "protection", "migration", "green", "care", "rights",
                        "dialogue", "employment", "training", "policy", "report"], 6)
    title = " ".join(words).capitalize() + f" ({n})"
    summary = (f"<p>{escape(title)} &mdash; <em>{words[0]}</em> and <strong>{words[1]}</strong> "
               f"in <a href=\"https://{host}/topics/{words[2]}\">{words[2]}</a>.</p>"
               f"<p>Second paragraph about {words[3]}<script>track({n})</script>.</p>"
               f"<img src=\"https://{host}/img/{n}.jpg\" alt=\"{words[4]}\" onerror=\"x()\">")
    return Story(n, f"https://{host}/stories/{n}", title, rng.choice(LABELS),
                 EPOCH - timedelta(minutes=7 * n), summary)


def rss(stories: list[Story], name: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{s.link}</link>"
        f"<guid isPermaLink='true'>{s.link}</guid><category>{escape(s.label)}</category>"
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<description>{escape(s.summary)}</description></item>" for s in stories)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{name}</title><link>https://example.org/{name}</link>"
            f"<description>{name}</description>{items}</channel></rss>").encode()


def atom(stories: list[Story], name: str) -> bytes:
    entries = "".join(
        f"<entry><title>{escape(s.title)}</title><link rel='alternate' href='{s.link}'/>"
        f"<id>{s.link}</id><category term='{escape(s.label)}'/>"
        f"<published>{s.published.isoformat()}</published>"
        f"<updated>{s.published.isoformat()}</updated>"
        f"<summary type='html'>{escape(s.summary)}</summary></entry>" for s in stories)
    updated = max(s.published for s in stories).isoformat()
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>{name}</title><id>https://example.org/{name}</id><updated>{updated}</updated>"
            f"<author><name>{name}</name></author>{entries}</feed>").encode()


def listing(stories: list[Story], name: str) -> bytes:
    items = "".join(
        f"<li class='item'><h3 class='t'><a href='{s.link}'>{escape(s.title)}</a></h3>"
        f"<time datetime='{s.published.isoformat()}'>{s.published:%d %B %Y}</time>"
        f"<span class='label'>{escape(s.label)}</span>"
        f"<div class='s'>{s.summary}</div></li>" for s in stories)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><main><h1>{name}</h1>"
            f"<ul class='list'>{items}</ul></main><footer>(c) {name}</footer></body></html>"
            ).encode()


SELECTORS = {"item": "li.item", "title": ".t a", "link": ".t a@href", "date": "time",
             "label": ".label", "summary": ".s@html"}


@dataclass
class Source:
    id: str
    kind: str
    """rss, atom or html."""
    stories: list[Story]
    body: bytes = b""
    etag: str = ""
    modified: str = ""

    def render(self, when: datetime) -> None:
        render = {"rss": rss, "atom": atom, "html": listing}[self.kind]
        self.body = render(self.stories, self.id)
        self.etag = '"' + hashlib.sha1(self.body).hexdigest() + '"'
        self.modified = format_datetime(when, usegmt=True)

    @property
    def path(self) -> str:
        return f"/{self.id}." + {"rss": "xml", "atom": "atom", "html": "html"}[self.kind]


@dataclass
class Corpus:
    sources: list[Source]
    next_story: int
    rng: random.Random
    served: dict[str, int] = field(default_factory=dict)

    @property
    def feeds(self) -> list[Source]:
        return [s for s in self.sources if s.kind != "html"]

    def grow(self, fraction: float, when: datetime) -> int:
        """Give ``fraction`` of the sources one new story each; returns how many."""
        chosen = self.rng.sample(self.sources, max(1, round(len(self.sources) * fraction)))
        for source in chosen:
            story = make_story(self.rng, self.next_story, f"{source.id}.example.org")
            story.published = EPOCH + timedelta(hours=1)
            self.next_story += 1
            source.stories.insert(0, story)
            source.render(when)
        return len(chosen)


def make_corpus(n: int, seed: int = 9) -> Corpus:
    rng = random.Random(seed)
    counter = 0
    pool = []
    for _ in range(max(10, n // 4)):
        pool.append(make_story(rng, counter, "shared.example.org"))
        counter += 1
    sources = []
    when = EPOCH
    for i in range(n):
        kind = "html" if i % 2 else ("rss" if i % 4 == 0 else "atom")
        size = PAGE_ITEMS if kind == "html" else FEED_ITEMS
        own = []
        for _ in range(size - SHARED_PER_SOURCE):
            own.append(make_story(rng, counter, f"s{i}.example.org"))
            counter += 1
        stories = own + rng.sample(pool, SHARED_PER_SOURCE)
        stories.sort(key=lambda s: s.published, reverse=True)
        source = Source(f"s{i:05d}", kind, stories)
        source.render(when)
        sources.append(source)
    return Corpus(sources, counter, rng)


def serve(corpus: Corpus, server: LocalServer) -> None:
    """Route every source; each answers 304 to its current ETag or Last-Modified."""
    for source in corpus.sources:
        def handler(request: Request, source: Source = source) -> Reply:
            corpus.served[source.id] = corpus.served.get(source.id, 0) + 1
            ctype = "text/html" if source.kind == "html" else "application/xml"
            headers = {"ETag": source.etag, "Last-Modified": source.modified,
                       "Content-Type": f"{ctype}; charset=utf-8"}
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if inm == source.etag or (inm is None and ims == source.modified):
                return Reply(304, b"", headers)
            return Reply(200, source.body, headers)
        server.route(source.path, handler=handler)


class Static:
    """The corpus as files under nginx: what a real site's server does, conditional GETs
    included (ETag and Last-Modified from the file), at a cost that is not Python's."""

    def __init__(self, docs: Path, prefix: Path) -> None:
        self.docs = docs
        self.port = free_port()
        block = f"""server {{
    listen 127.0.0.1:{self.port};
    root {docs};
    charset utf-8;
    types {{ application/xml xml atom; text/html html; }}
}}"""
        self.nginx = Nginx(prefix, block, self.port)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Static:
        self.nginx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.nginx.__exit__(None, None, None)


def write_config(corpus: Corpus, server: LocalServer | Static, folder: Path) -> Path:
    import yaml

    from feedhub.config import json_schema

    source_keys = set(json_schema()["$defs"]["source"]["properties"])
    entries = []
    for s in corpus.sources:
        entry: dict[str, Any] = {"id": s.id, "kind": "html" if s.kind == "html" else "feed",
                                 "url": server.url(s.path), "category": "news"}
        if s.kind == "html":
            entry["selectors"] = dict(SELECTORS)  # no YAML aliases in the config
        if "allow_private" in source_keys:
            entry["allow_private"] = True  # the corpus is on 127.0.0.1
        entries.append(entry)
    config = {
        "site": {"title": "Bench", "base_url": "http://127.0.0.1:8000", "feed_size": 50},
        "categories": CATEGORIES,
        "sources": entries,
        "store": "sqlite:///bench.db",
        "output": "feeds",
    }
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    result: dict[str, Any]


TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a build's forkserver and worker processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float | None:
    """User + system time of ``pid`` itself (not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return None


def measure(kind: str, arg: str, cwd: Path) -> Run:
    """Run one child in a fresh interpreter. Wall clock and CPU time from wait4, plus the CPU
    time of its worker processes (sampled every 50 ms, so a worker's last 50 ms may be
    missed); peak memory as the larger of the child's own peak (VmHWM, see children.py) and
    the largest sum over the child and its workers, sampled alike."""
    out = cwd / f".{kind}.json"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(CHILD), kind, arg, str(out)], cwd=cwd)
    peak = [0.0]
    descendants: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            tree = _tree(process.pid)
            peak[0] = max(peak[0], sum(_rss_mb(pid) for pid in tree))
            for pid in tree[1:]:
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    descendants[pid] = cpu

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{kind} child failed with exit code {process.returncode}")
    result = json.loads(out.read_text())
    # Worker processes are the forkserver's children, which the build never waits for: their
    # CPU time is not in wait4's figure, so it is added from their last sample.
    cpu = usage.ru_utime + usage.ru_stime + sum(descendants.values())
    return Run(wall, cpu, max(float(result.get("hwm_mb", 0.0)), peak[0]), result)


# --- the table ------------------------------------------------------------------------------

@dataclass
class Row:
    n: int
    runs: dict[str, Run]
    grown: int


WARM_RUNS = 3
"""Warm builds per size (each a fresh process, nothing changed between them): the median is
shown. They are cheap, and a single one moved by a tenth between runs on this machine."""


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time, with the median CPU time and the largest peak memory of
    all (the memory target is about the worst case)."""
    ordered = sorted(runs, key=lambda run: run.wall)
    middle = ordered[len(ordered) // 2]
    cpu = sorted(run.cpu for run in runs)[len(runs) // 2]
    return Run(middle.wall, cpu, max(run.rss_mb for run in runs), middle.result)


def _empty_store(folder: Path) -> None:
    for path in folder.glob("bench.db*"):
        path.unlink()
    shutil.rmtree(folder / "feeds", ignore_errors=True)


def bench_size(n: int, workdir: Path, use_nginx: bool, repeat: int = 1) -> Row:
    folder = workdir / f"n{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    corpus = make_corpus(n)
    docs = folder / "docs"
    docs.mkdir()
    for s in corpus.sources:
        (docs / s.path.lstrip("/")).write_bytes(s.body)
    runs: dict[str, Run] = {}
    server: LocalServer | Static
    if use_nginx:
        server = Static(docs, folder / "nginx")
    else:
        server = LocalServer()
        serve(corpus, server)
    with server:
        config = write_config(corpus, server, folder)
        urls = folder / "feed-urls.txt"
        urls.write_text("\n".join(server.url(s.path) for s in corpus.feeds))
        runs["lxml"] = measure("lxml", str(docs), folder)
        naive, cold = [], []
        for _ in range(repeat):  # alternating, so a slow stretch of the machine hits both
            naive.append(measure("naive", str(urls), folder))
            _empty_store(folder)
            cold.append(measure("build", str(config), folder))
        runs["naive"], runs["cold"] = median_run(naive), median_run(cold)
        runs["warm"] = median_run([measure("build", str(config), folder)
                                   for _ in range(WARM_RUNS)])
        runs["in-process"] = median_run([in_process(measure("rebuild", str(config), folder))
                                         for _ in range(WARM_RUNS)])
        # What no warm build can go below (see FLOORS).
        runs["startup"] = median_run([measure("startup", str(config), folder)
                                      for _ in range(WARM_RUNS)])
        runs["conditional"] = median_run([in_process(measure("conditional", str(config),
                                                             folder))
                                          for _ in range(WARM_RUNS)])
        grown = corpus.grow(0.05, EPOCH + timedelta(days=1))
        for source in corpus.sources:  # what nginx serves; the Python server reads bodies
            path = docs / source.path.lstrip("/")
            if path.read_bytes() != source.body:
                path.write_bytes(source.body)
        runs["5%"] = measure("build", str(config), folder)
    for name in ("cold", "warm", "in-process", "5%"):
        failed = runs[name].result["failed"]
        if failed:
            raise SystemExit(f"N={n} {name} build had failing sources: {failed}")
    return Row(n, runs, grown)


def in_process(run: Run) -> Run:
    """The timed build of a ``rebuild`` child: its own wall and CPU time, not the process's."""
    return Run(run.result["seconds"], run.result["cpu_seconds"], run.rss_mb, run.result)


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu or platform.processor()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


STAGES = ("fetch", "extract", "normalise", "store", "publish")


def shares(run: Run) -> dict[str, float]:
    """Each stage's share of a build, ``other`` included, as fractions that sum to 1.

    The stages are seconds as the build reports them (extract and normalise summed in the
    worker processes, fetch and store on the build's thread, publish its wall time); ``other``
    is the build's CPU time not in them (starting Python, imports, reading the config,
    planning, the CPU of publish's worker processes beyond its wall time). The whole is the
    larger of the CPU time and the stages' sum, so a build that waited (fetch on a slow
    server) is not over 100%."""
    stages = run.result.get("stages", {})
    seconds = {k: float(stages.get(k, 0.0)) for k in STAGES}
    seconds["other"] = max(0.0, run.cpu - sum(seconds.values()))
    whole = sum(seconds.values())
    return {k: v / whole for k, v in seconds.items()} if whole > 0 else {}


def table(rows: list[Row]) -> str:
    lines = ["| N | run | wall s | CPU s | peak RSS MB | items | items/s | fetch | extract | "
             "normalise | store | publish | shares: fetch / extract / normalise / store / "
             "publish / other | x parse floor |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        floor = row.runs["lxml"].wall
        for name in ("cold", "warm", "in-process", "5%", "naive", "lxml", *FLOORS):
            run = row.runs[name]
            items = run.result.get("items", 0)
            stages = run.result.get("stages", {})
            split = [f"{stages[k]:.1f}" if k in stages else "-" for k in STAGES]
            part = shares(run) if name in ("cold", "warm", "in-process", "5%") else {}
            share = " / ".join(f"{100 * part[k]:.0f}%" for k in (*STAGES, "other")
                               ) if part else "-"
            label = {"naive": "naive feedparser loop (feeds only)",
                     "lxml": "bare lxml parse (all docs)",
                     "in-process": "warm, in a process that built before",
                     **FLOORS,
                     "5%": f"5% grew ({row.grown} sources)"}.get(name, name)
            lines.append(f"| {row.n} | {label} | {run.wall:.2f} | {run.cpu:.2f} | "
                         f"{run.rss_mb:.0f} | {items or '-'} | "
                         f"{f'{items / run.wall:.0f}' if items else '-'} | "
                         + " | ".join(split) + f" | {share} | {run.wall / floor:.1f}x |")
    return "\n".join(lines)


FLOORS = {"startup": "floor: start-up (imports, config; no build)",
          "conditional": "floor: one conditional GET per source (feedhub's fetch, 304s)"}
"""Two runs that build nothing, shown beside the warm builds: what a warm build pays before its
first source in a new process, and its network part alone, fetched as a build fetches (the
whole of what a warm build does for a source whose server answers 304 is one such request and
a row in the store)."""

COLD_TO_NAIVE = 0.5
"""A cold build takes at most this much of the naive feedparser loop's wall time (issue 26)."""
WARM_TO_COLD = 0.05
"""A warm build in a new process, at N >= WARM_FROM, at most this much of the cold one."""
WARM_FROM = 1000
REBUILD_TO_COLD = 0.03
"""A warm build in a process that built before (``worker``, ``serve --refresh``), at every N."""
GROWTH = 4.2
"""Cold N=4000 at most this many times cold N=1000."""
PEAK_MB = 400
"""Peak memory of any build at N=4000, the build and its worker processes together."""


def targets(rows: list[Row]) -> list[tuple[str, bool | None, str]]:
    """(target, met, figures): met is None for a figure shown as information only."""
    out: list[tuple[str, bool | None, str]] = []
    for row in rows:
        cold, warm, naive = row.runs["cold"], row.runs["warm"], row.runs["naive"]
        again, floor = row.runs["in-process"], row.runs["lxml"]
        out.append((f"N={row.n}: cold build <= {COLD_TO_NAIVE}x the naive feedparser loop",
                    cold.wall <= COLD_TO_NAIVE * naive.wall, f"{cold.wall:.1f}s vs "
                    f"{naive.wall:.1f}s ({cold.wall / naive.wall:.2f}x)"))
        out.append((f"N={row.n}: warm build in a new process <= {100 * WARM_TO_COLD:.0f}% of "
                    f"cold" + ("" if row.n >= WARM_FROM else
                               f" (judged at N >= {WARM_FROM} only)"),
                    warm.wall <= WARM_TO_COLD * cold.wall if row.n >= WARM_FROM else None,
                    f"{warm.wall:.2f}s = {100 * warm.wall / cold.wall:.1f}% of cold"))
        out.append((f"N={row.n}: warm build in a process that built before <= "
                    f"{100 * REBUILD_TO_COLD:.0f}% of cold",
                    again.wall <= REBUILD_TO_COLD * cold.wall,
                    f"{again.wall:.2f}s = {100 * again.wall / cold.wall:.1f}% of cold"))
        start, network = row.runs["startup"], row.runs["conditional"]
        at_target = COLD_TO_NAIVE * naive.wall
        out.append((f"N={row.n}: the warm targets against what no warm build goes below", None,
                    f"start-up {start.wall:.2f}s + conditional GETs {network.wall:.2f}s = "
                    f"{100 * (start.wall + network.wall) / cold.wall:.1f}% of this cold build "
                    f"(new process), GETs alone {100 * network.wall / cold.wall:.1f}% (a "
                    f"process that built before); of a cold build at {COLD_TO_NAIVE}x the naive "
                    f"loop ({at_target:.1f}s): "
                    f"{100 * (start.wall + network.wall) / at_target:.1f}% and "
                    f"{100 * network.wall / at_target:.1f}%"))
        out.append((f"N={row.n}: cold build against the bare-parse floor", None,
                    f"{cold.wall / floor.wall:.1f}x the wall time, "
                    f"{cold.cpu / floor.cpu:.1f}x the CPU time of a bare lxml parse"))
    by_n = {row.n: row for row in rows}
    if 1000 in by_n and 4000 in by_n:
        ratio = by_n[4000].runs["cold"].wall / by_n[1000].runs["cold"].wall
        out.append((f"cold N=4000 <= {GROWTH}x cold N=1000", ratio <= GROWTH, f"{ratio:.2f}x"))
    if 4000 in by_n:
        peak = max(by_n[4000].runs[k].rss_mb for k in ("cold", "warm", "5%"))
        out.append((f"peak RSS at N=4000 < {PEAK_MB} MB", peak < PEAK_MB, f"{peak:.0f} MB"))
    return out


def compile_feedhub() -> None:
    """Write feedhub's bytecode, as installing it does (pip compiles every module). In a
    checkout run with PYTHONDONTWRITEBYTECODE=1 there is none, and every child compiled each
    feedhub module from its source: a quarter of the CPU of importing feedhub, about 50 ms of
    every build, most of a warm one's start."""
    spec = importlib.util.find_spec("feedhub")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="250,1000,4000",
                        help="comma-separated source counts (default 250,1000,4000)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where corpora and stores go (default: a temp folder, removed)")
    parser.add_argument("--server", choices=("nginx", "python"),
                        default="nginx" if NGINX else "python",
                        help="what serves the corpus: nginx (the default where it is "
                             "installed; ./test.sh installs it) or the tests' Python server")
    parser.add_argument("--repeat", type=int, default=1,
                        help="cold builds and naive loops per size, alternating; the medians "
                             "are shown (default 1; warm builds are always run 3 times)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    compile_feedhub()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="feedhub-bench-"))
    rows = []
    try:
        for n in sizes:
            print(f"N={n} ...", file=sys.stderr, flush=True)
            rows.append(bench_size(n, workdir, args.server == "nginx", max(1, args.repeat)))
            print(table(rows[-1:]), file=sys.stderr, flush=True)  # partial results as they come
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"corpus served by: {args.server} on 127.0.0.1")
    print(f"medians of {max(1, args.repeat)} cold builds and naive loops (alternating) and "
          f"{WARM_RUNS} warm builds per size")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print(table(rows))
    print()
    for name, ok, detail in targets(rows):
        mark = "INFO" if ok is None else "PASS" if ok else "FAIL"
        print(f"{mark}  {name}: {detail}")

if __name__ == "__main__":
    main()
