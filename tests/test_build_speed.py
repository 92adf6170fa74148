"""What keeps a build fast, and the report that shows where its time goes (bench/build.py):
sources fetched concurrently (each once, with its own validators), no rendering when nothing
changed, and a per-stage split of the time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import PUBLISH_MARK, all_exist, build

from .support.httpd import LocalServer, Reply, Request
from .support.sources import fetches, rss, serve_sources, write_config

STAGES = {"fetch", "extract", "normalise", "store", "publish"}
NAMES = [f"src{n}" for n in range(12)]


def test_build_report_splits_time_per_stage(config: Config) -> None:
    report = build(config)
    assert report.ok
    stages = report.stage_seconds()
    assert set(stages) == STAGES
    assert all(seconds >= 0 for seconds in stages.values())
    assert sum(stages.values()) <= report.seconds
    for source in report.sources:
        assert set(source.stages) == STAGES - {"publish"}

    again = build(config)  # nothing changed: no source is parsed again
    for source in again.sources:
        assert source.unchanged_body
        assert set(source.stages) == {"fetch", "store"}


def etag_handler(request: Request) -> Reply:
    name = request.path.strip("/").removesuffix(".rss")
    etag = f'"{name}-v1"'
    headers = {"Content-Type": "application/rss+xml", "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return Reply(304, b"", headers)
    return Reply(200, rss(name, 3), headers)


def test_sources_fetched_concurrently_once_each_with_their_own_validators(
    tmp_path: Path, httpd: LocalServer
) -> None:
    serve_sources(httpd, NAMES, etag_handler)
    config = load_config(write_config(tmp_path, httpd, NAMES, "sqlite:///hub.db"))
    assert config.fetch.concurrency > 1
    first = build(config)
    assert first.ok, [s.error for s in first.failed]
    assert [s.source_id for s in first.sources] == NAMES
    assert [fetches(httpd, n) for n in NAMES] == [1] * len(NAMES)
    assert all(s.new == 3 for s in first.sources)

    second = build(config)
    assert [fetches(httpd, n) for n in NAMES] == [2] * len(NAMES)
    conditional = {r.path: r.headers.get("If-None-Match") for r in httpd.requests[-len(NAMES):]}
    assert conditional == {f"/{n}.rss": f'"{n}-v1"' for n in NAMES}
    assert all(s.unchanged_body for s in second.sources)


def test_warm_build_renders_nothing_until_items_or_settings_change(
    tmp_path: Path, httpd: LocalServer
) -> None:
    serve_sources(httpd, NAMES[:2])
    path = write_config(tmp_path, httpd, NAMES[:2], "sqlite:///hub.db")
    config = load_config(path)
    assert build(config).published.written
    out = config.output_dir
    assert (out / PUBLISH_MARK).exists()
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != PUBLISH_MARK)
    stamps = {p: p.stat().st_mtime_ns for p in files}

    warm = build(config)
    assert warm.published.written == []
    assert {p: p.stat().st_mtime_ns for p in files} == stamps

    (out / "news.atom").unlink()  # a file went missing: publish again
    build(config)
    assert (out / "news.atom").exists()

    path.write_text(path.read_text().replace("Test hub", "Renamed hub"))
    renamed = build(load_config(path))  # the settings changed: every feed says so
    assert "news.rss" in renamed.published.written
    assert b"Renamed hub" in (out / "news.rss").read_bytes()


def test_all_exist_answers_as_path_exists_does(tmp_path: Path) -> None:
    (tmp_path / "archive" / "2026").mkdir(parents=True)
    for name in ("all.rss", "archive/index.html", "archive/2026/01.html"):
        (tmp_path / name).write_text("x")
    (tmp_path / "linked.rss").symlink_to(tmp_path / "all.rss")
    (tmp_path / "broken.rss").symlink_to(tmp_path / "gone.rss")
    (tmp_path / "archive" / "2026" / "dir").mkdir()
    names = ["all.rss", "archive/index.html", "archive/2026/01.html", "linked.rss",
             "archive/2026/dir", "archive/2026/", "archive/./index.html",
             "archive/2026/../index.html", "broken.rss", "gone.rss", "archive/02.html",
             "missing/feed.rss", "all.rss/inside"]
    for name in names:  # one name at a time: the oracle is Path.exists
        assert all_exist(tmp_path, [name]) == (tmp_path / name).exists(), name
    present = [n for n in names if (tmp_path / n).exists()]
    assert len(present) == 8
    assert all_exist(tmp_path, present)
    assert all_exist(tmp_path, [])
    for name in set(names) - set(present):
        assert not all_exist(tmp_path, [*present, name]), name


def test_feedhub_process_reports_and_exits_as_before(tmp_path: Path, httpd: LocalServer) -> None:
    """The console script's run(): the report table and the exit code of a real process."""
    serve_sources(httpd, NAMES[:2])
    httpd.route(f"/{NAMES[2]}.rss", status=404)
    path = write_config(tmp_path, httpd, NAMES[:3], "sqlite:///hub.db")
    command = [sys.executable, "-m", "feedhub", "build", "--force", "-c", str(path)]
    for _ in range(2):  # cold, then warm
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stderr  # one source failed
        lines = done.stdout.splitlines()
        assert lines[0].split() == ["source", "found", "new", "upd", "secs", "outcome"]
        assert [line.split()[0] for line in lines[1:4]] == NAMES[:3]
        assert "ERROR: HTTP 404" in lines[3]
        assert "feed file(s) written" in lines[4] and len(lines) == 5
    assert "ok (unchanged)" in lines[1] and "ok (unchanged)" in lines[2]


def test_stale_temp_files_found_as_rglob_finds_them(tmp_path: Path) -> None:
    from feedhub.pipeline import _remove_stale_temp_files

    out = tmp_path / "feeds"
    (out / "archive" / "all").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    names = [".a.rss.x1.tmp", "..tmp", ".tmp", "a.tmp", ".a.tmp.gz", ".b.TMP"]
    for folder in (out, out / "archive" / "all", tmp_path / "elsewhere"):
        for name in names:
            (folder / name).write_bytes(b"")
    expected = {p for p in out.rglob(".*.tmp")}
    assert len(expected) == 4  # two names in each of two folders; none through the link
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    _remove_stale_temp_files(out)
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == before - expected
