"""The measured children of bench/build.py: each runs in a fresh interpreter.

    python bench/children.py build|rebuild|worker|naive|lxml|startup|conditional ARG OUT.json

A separate file, and a small one, because what a child imports is part of what it measures:
run as ``bench/build.py --child``, every child first imported the benchmark's corpus maker and
HTTP servers (http.server, argparse, compileall, subprocess...), about 25 ms that no user's
build pays, a tenth of a warm build at N=250. The forkserver of a cold build's worker processes
imports the main module too, so it paid them again. Here only the standard library's json,
sys and pathlib come before what is measured. A build child ends as the feedhub command does:
an ordinary exit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def child_build(config_path: str) -> dict[str, Any]:
    from feedhub.config import load_config
    from feedhub.pipeline import build

    return report_of(build(load_config(Path(config_path))))


def report_of(report: Any) -> dict[str, Any]:
    stages = getattr(report, "stage_seconds", None)
    return {
        "items": sum(s.found for s in report.sources),
        "new": sum(s.new for s in report.sources),
        "unchanged": sum(1 for s in report.sources if s.unchanged_body),
        "failed": [f"{s.source_id}: {s.error}" for s in report.failed][:5],
        "stages": dict(stages() if callable(stages) else stages or {}),
        "written": len(report.published.written),
    }


def child_rebuild(config_path: str) -> dict[str, Any]:
    """A warm build inside a process that has built before, as `feedhub serve --refresh` runs
    them: one build first (not timed), then the timed one, with nothing changed between."""
    import time

    from feedhub.config import load_config
    from feedhub.pipeline import build

    config = load_config(Path(config_path))
    build(config)
    wall, cpu = time.perf_counter(), time.process_time()
    result = report_of(build(config))
    result["seconds"] = time.perf_counter() - wall
    result["cpu_seconds"] = time.process_time() - cpu
    return result


def child_worker(config_path: str) -> dict[str, Any]:
    """One `feedhub worker --once` (bench/workers.py), named after its folder (its machine),
    publishing only when the pass is over; what each of its passes did, summed."""
    from datetime import timedelta

    from feedhub.config import load_config
    from feedhub.worker import PassTally, WorkerSettings, run_worker

    path = Path(config_path)
    passes: list[PassTally] = []
    settings = WorkerSettings(owner=path.parent.name, poll=0.1, once=True,
                              publish_delay=timedelta(hours=1))
    run_worker(load_config(path), settings, log=lambda _: None, on_pass=passes.append)
    stages: dict[str, float] = {}
    for tally in passes:
        for stage, seconds in tally.stages.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    stages["publish"] = sum(tally.publish_seconds for tally in passes)
    return {"refreshed": sum(tally.refreshed for tally in passes),
            "failed": sum(tally.failed for tally in passes),
            "publishes": sum(tally.publishes for tally in passes), "stages": stages}


def child_naive(urls_file: str) -> dict[str, Any]:
    """What a user would write by hand: ``feedparser.parse`` on every feed URL in turn."""
    import feedparser

    urls = Path(urls_file).read_text().split()
    items = 0
    for url in urls:
        items += len(feedparser.parse(url).entries)
    return {"items": items}


def child_lxml(folder: str) -> dict[str, Any]:
    """The floor for Python: a bare lxml parse of every document's bytes."""
    import lxml.etree
    import lxml.html

    items = 0
    for path in sorted(Path(folder).iterdir()):
        data = path.read_bytes()
        if path.suffix == ".html":
            items += len(lxml.html.document_fromstring(data).xpath("//li"))
        else:
            root = lxml.etree.fromstring(data)
            items += len(root.findall(".//item")) + len(
                root.findall("{http://www.w3.org/2005/Atom}entry"))
    return {"items": items}


def child_startup(config_path: str) -> dict[str, Any]:
    """The least a build in a new process pays before its first source: Python, feedhub's
    imports and reading the configuration (nothing fetched, nothing stored or published)."""
    from feedhub.config import load_config
    from feedhub.pipeline import build

    config = load_config(Path(config_path))
    return {"items": 0, "sources": len(config.sources), "imported": build.__name__}


def child_conditional(config_path: str) -> dict[str, Any]:
    """The network part of a warm build and nothing else: each source fetched by feedhub's own
    fetch (robots.txt, the address guard, kept-alive pools), one after another, with the
    validators of a first fetch, and every one answered 304. The first pass is not timed."""
    import time

    from feedhub.config import load_config
    from feedhub.fetch import Validators, fetch

    config = load_config(Path(config_path))
    limits = config.fetch.limits
    validators = {}
    for source in config.sources:
        first = fetch(source, config.root, limits=limits)
        validators[source.id] = Validators(first.etag, first.last_modified)
    wall, cpu = time.perf_counter(), time.process_time()
    answered = [fetch(source, config.root, validators[source.id], limits).status
                for source in config.sources]
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    if any(status != 304 for status in answered):
        raise SystemExit(f"{sum(s != 304 for s in answered)} conditional GETs were not 304")
    return {"items": 0, "requests": len(answered), "seconds": seconds,
            "cpu_seconds": cpu_seconds}


CHILDREN = {"build": child_build, "rebuild": child_rebuild, "worker": child_worker,
            "naive": child_naive, "lxml": child_lxml, "startup": child_startup,
            "conditional": child_conditional}


def own_peak_mb() -> float:
    """This process's peak resident memory since it started running Python (VmHWM). Not
    wait4's ru_maxrss: Linux carries the parent's size across fork and exec into it, so every
    child looked as large as the benchmark holding the corpus (252 MB at N=4000)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    kind, arg, out = sys.argv[1:4]
    result = CHILDREN[kind](arg)
    result["hwm_mb"] = own_peak_mb()
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
