"""Parsing in worker processes (feedhub.parsing), on real files and a real local HTTP server:
the same store and feeds as parsing in the build's own process, a source's error stays that
source's, and a worker that dies costs time, never a source."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
import yaml

from feedhub import parsing
from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import BuildReport, SourceReport, build
from feedhub.store import content_hash, open_store

from .support.httpd import LocalServer

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
FEEDS = 20


def _rss(n: int) -> bytes:
    """Feed ``n``: five stories of its own and one every feed shares (merged into one item)."""
    stories = [(f"https://site{n}.example.org/story/{k}", f"Story {k} of feed number {n}",
                NOW - timedelta(hours=n * 10 + k)) for k in range(5)]
    stories.append(("https://shared.example.org/the-story", f"The shared story told by {n}",
                    NOW - timedelta(days=2)))
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"<category>{'News' if n % 2 else 'Press release'}</category>"
        f"<pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{escape(f'<p>About <a href=/x>{title}</a><img src=/i.png></p>')}"
        "</description></item>" for link, title, when in stories)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>F{n}"
            f"</title><link>https://site{n}.example.org/</link>{items}</channel></rss>").encode()


def _listing(page: int) -> bytes:
    cards = "".join(
        f"<li class='card'><a href='https://paged.example.org/{page}/{k}'>Paged story {k} of "
        f"page {page}</a><time>2026-11-{20 + page:02d}</time></li>" for k in range(3))
    more = "<a rel='next' href='paged-2.html'>Next</a>" if page == 1 else ""
    return f"<html><body><ul>{cards}</ul>{more}</body></html>".encode()


PAGED = {"id": "paged", "kind": "html", "path": "examples/paged-1.html", "max_pages": 2,
         "category": "news",
         "selectors": {"item": "li.card", "title": "a", "link": "a@href", "date": "time"}}
"""A listing read over two pages: never parsed by a worker (it fetches its second page)."""


def _project(folder: Path, *, server: LocalServer | None = None, broken: bool = True) -> Config:
    """The bundled sources, a two-page listing, FEEDS generated feeds and, with ``broken``,
    one file that is no feed at all."""
    shutil.copytree(ROOT / "examples", folder / "examples")
    data = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    for page in (1, 2):
        (folder / "examples" / f"paged-{page}.html").write_bytes(_listing(page))
    data["sources"].insert(1, PAGED)
    for n in range(FEEDS):
        name = f"feed{n:02d}.rss"
        (folder / "examples" / name).write_bytes(_rss(n))
        where: dict[str, object] = {"path": f"examples/{name}"}
        if server is not None:
            server.route(f"/{name}", _rss(n), headers={"Content-Type": "application/rss+xml"})
            where = {"url": server.url(f"/{name}"), "allow_private": True}
        data["sources"].append({"id": f"feed{n:02d}", "kind": "feed", **where,
                                "category": "news"})
    if broken:
        (folder / "examples" / "broken.rss").write_bytes(b"\x00\x01 this is no feed \xff")
        data["sources"].insert(5, {"id": "broken", "kind": "feed",
                                   "path": "examples/broken.rss", "category": "news"})
    (folder / "sources.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                         encoding="utf-8")
    return load_config(folder / "sources.yaml")


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start worker processes from the first body on (a real build here is small)."""
    monkeypatch.setattr(parsing, "START_AFTER", 1)
    monkeypatch.setattr(parsing, "PARALLEL_MIN", 0)


def _outcome(config: Config) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    with open_store(config.store, config.root) as store:
        stored = store.items_for("all", 1000)
        # The content hash a worker computed is the one of the item stored.
        hashes = dict(store.db.execute("SELECT id, content_hash FROM items").rows)
        assert hashes == {i.id: content_hash(i) for i in stored}
        items = [asdict(i) for i in stored]
    out = config.output_dir
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and not p.name.startswith(".")}
    return items, files


def _errors(report: BuildReport) -> dict[str, str]:
    return {s.source_id: s.error for s in report.failed}


def test_workers_store_and_publish_exactly_what_one_process_does(
        tmp_path: Path, small_pool: None) -> None:
    inline = _project(tmp_path / "inline")
    pooled = _project(tmp_path / "pooled")
    inline_report = build(inline, now=NOW, processes=1)
    report = build(pooled, now=NOW, processes=2)
    by_worker = {s.source_id: s.parsed_by for s in report.sources}
    assert all(pid == 0 for pid in (s.parsed_by for s in inline_report.sources))
    # Every source but the two-page listing went to a worker.
    assert by_worker.pop("paged") == 0
    assert all(pid not in (0, os.getpid()) for pid in by_worker.values()), by_worker
    assert report.worker_errors == []
    # A worker's SourceError is that source's error, word for word.
    assert _errors(report) == _errors(inline_report)
    assert list(_errors(report)) == ["broken"]
    items, files = _outcome(pooled)
    assert len(items) == 10 + 3 + 3 - 2 + 6 + FEEDS * 5 + 1
    assert (items, files) == _outcome(inline)
    assert len(files) > 20
    # Extract and normalise seconds were measured in the workers.
    feed = next(s for s in report.sources if s.source_id == "feed03")
    assert feed.stages["extract"] > 0 and feed.stages["normalise"] > 0
    assert multiprocessing.active_children() == [], "the build left worker processes behind"


def test_workers_over_http_give_the_same_ids_as_one_process(
        tmp_path: Path, httpd: LocalServer, small_pool: None) -> None:
    inline = _project(tmp_path / "inline", server=httpd, broken=False)
    pooled = _project(tmp_path / "pooled", server=httpd, broken=False)
    assert build(inline, now=NOW, processes=1).ok
    report = build(pooled, now=NOW, processes=2)
    assert report.ok and report.worker_errors == []
    assert [s.source_id for s in report.sources if not s.parsed_by] == ["paged"]
    assert _outcome(pooled) == _outcome(inline)


def test_a_small_build_parses_in_its_own_process(tmp_path: Path) -> None:
    config = _project(tmp_path / "p", broken=False)
    report = build(config, now=NOW, processes=2)
    assert report.ok
    assert [s.parsed_by for s in report.sources] == [0] * len(report.sources)


def test_a_killed_worker_costs_time_not_sources(tmp_path: Path, small_pool: None) -> None:
    inline = _project(tmp_path / "inline")
    pooled = _project(tmp_path / "pooled")
    build(inline, now=NOW, processes=1)
    killed: list[int] = []

    def kill_first_worker(report: SourceReport, done: int, total: int) -> None:
        if report.parsed_by and not killed:
            os.kill(report.parsed_by, signal.SIGKILL)
            killed.append(report.parsed_by)

    report = build(pooled, now=NOW, processes=2, progress=kill_first_worker)
    assert killed, "no source was parsed by a worker"
    [problem] = report.worker_errors
    assert "BrokenProcessPool" in problem
    assert list(_errors(report)) == ["broken"]
    # Sources after the death were parsed here, and the result is the same.
    assert [s for s in report.sources if s.parsed_by == 0 and s.source_id != "paged"]
    assert _outcome(pooled) == _outcome(inline)
    assert multiprocessing.active_children() == []


def test_processes_come_from_the_environment(tmp_path: Path, small_pool: None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDHUB_PROCESSES", "1")
    report = build(_project(tmp_path / "one", broken=False), now=NOW)
    assert [s.parsed_by for s in report.sources] == [0] * len(report.sources)
    monkeypatch.setenv("FEEDHUB_PROCESSES", "2")
    report = build(_project(tmp_path / "two", broken=False), now=NOW)
    assert [s.source_id for s in report.sources if not s.parsed_by] == ["paged"]




def test_a_fetcher_of_the_callers_keeps_parsing_here(tmp_path: Path, small_pool: None) -> None:
    from functools import partial

    from feedhub.fetch import fetch

    config = _project(tmp_path / "p", broken=False)
    real = partial(fetch, limits=config.fetch.limits)
    seen: list[str] = []

    def counting_fetcher(source, root, validators):  # type: ignore[no-untyped-def]
        seen.append(source.id)
        return real(source, root, validators)

    report = build(config, now=NOW, processes=2, fetcher=counting_fetcher)
    assert report.ok and len(seen) >= len(report.sources)
    assert [s.parsed_by for s in report.sources] == [0] * len(report.sources)


def test_workers_give_the_same_result_on_every_backend(tmp_path: Path, store_url: str,
                                                       small_pool: None) -> None:
    from dataclasses import replace

    inline = _project(tmp_path / "inline")
    pooled = _project(tmp_path / "pooled")
    pooled = replace(pooled, store=store_url)
    build(inline, now=NOW, processes=1)
    report = build(pooled, now=NOW, processes=2)
    assert sum(1 for s in report.sources if s.parsed_by) > FEEDS
    items, files = _outcome(pooled)
    inline_items, inline_files = _outcome(inline)
    # Items are compared by id: databases order equal dates by their own text collation.
    assert sorted(items, key=lambda i: str(i["id"])) == sorted(inline_items,
                                                               key=lambda i: str(i["id"]))
    assert files == inline_files


def test_a_first_build_starts_its_workers_before_any_body_comes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing stored, every body will be parsed: the workers start with the build, not
    after a sample of bodies parsed here. Once bodies are stored, the sample decides again."""
    monkeypatch.setattr(parsing, "START_AFTER", 10_000)  # the sample would never be enough
    monkeypatch.setattr(parsing, "PARALLEL_MIN", FEEDS)
    config = _project(tmp_path / "p", broken=False)
    first = build(config, now=NOW, processes=2)
    assert first.ok and first.worker_errors == []
    assert [s.source_id for s in first.sources if not s.parsed_by] == ["paged"]
    # Every feed changed, but the store holds their last bodies: not certain, so sampled.
    for n in range(FEEDS):
        path = config.root / "examples" / f"feed{n:02d}.rss"
        path.write_bytes(path.read_bytes().replace(b"Story 0 of", b"Story zero of"))
    again = build(config, now=NOW + timedelta(hours=1), processes=2)
    assert again.ok
    changed = [s for s in again.sources if s.source_id.startswith("feed")]
    assert len(changed) == FEEDS and all(s.new == 0 and s.updated == 1 for s in changed)
    assert [s.parsed_by for s in again.sources] == [0] * len(again.sources)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("first_build", [True, False])
def test_workers_that_cannot_start_cost_nothing_but_the_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_build: bool) -> None:
    """No processes (a container's limit, a read-only /dev/shm): the build parses everything
    in its own process and says why, whether the pool was to start at once or after a sample."""
    def no_processes(*args: object, **kwargs: object) -> object:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parsing, "PARALLEL_MIN", FEEDS if first_build else 0)
    monkeypatch.setattr(parsing, "START_AFTER", 10_000 if first_build else 1)
    monkeypatch.setattr(parsing, "process_pool", no_processes)
    inline = _project(tmp_path / "inline", broken=False)
    pooled = _project(tmp_path / "pooled", broken=False)
    build(inline, now=NOW, processes=1)
    report = build(pooled, now=NOW, processes=2)
    assert report.ok
    [problem] = report.worker_errors
    assert "parse worker processes could not start" in problem
    assert "Resource temporarily unavailable" in problem
    assert [s.parsed_by for s in report.sources] == [0] * len(report.sources)
    assert _outcome(pooled) == _outcome(inline)
