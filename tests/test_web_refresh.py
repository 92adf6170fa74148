"""/healthz, /status.json and the background refresh (real threads, real flock, real files)."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from feedhub.model import Config
from feedhub.pipeline import build, build_lock
from feedhub.refresh import Refresher
from feedhub.web import create_app


def feed_bytes(config: Config) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(config.output_dir.glob("*.rss"))}


def test_healthz_ok_after_a_build(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json is not None and response.json["status"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_with_the_reason(config: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(config.path)}).test_client()
    unbuilt = client.get("/healthz")
    assert unbuilt.status_code == 503
    assert unbuilt.json is not None
    assert "run `feedhub build`" in " ".join(unbuilt.json["reasons"])
    build(config, now=datetime.now(UTC) - timedelta(days=3))
    # The build is recorded as finished now; a stale_after shorter than its age fails.
    config.path.write_text(config.path.read_text(encoding="utf-8")
                           + "\nserve:\n  stale_after: 0\n", encoding="utf-8")
    time.sleep(1.1)
    stale = create_app({"FEEDHUB_CONFIG": str(config.path)}).test_client().get("/healthz")
    assert stale.status_code == 503
    assert stale.json is not None and "serve.stale_after" in stale.json["reasons"][0]


def test_status_json_per_source(client: FlaskClient, built: Config) -> None:
    source = built.root / "examples" / "features.atom"
    source.write_text("<not a feed", encoding="utf-8")
    build(built)
    response = client.get("/status.json", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200
    assert response.json is not None
    by_id = {s["id"]: s for s in response.json["sources"]}
    assert set(by_id) == {s.id for s in built.sources}
    broken = next(s.id for s in built.sources if s.location.endswith("features.atom"))
    assert by_id[broken]["consecutive_failures"] == 1
    assert by_id[broken]["status"] == "failing"
    assert "last_error" not in by_id[broken]  # error text is for operators (test_web_security)
    assert by_id[broken]["item_count"] > 0
    healthy = [s for s in by_id.values() if s["id"] != broken]
    assert all(s["last_success"] and s["consecutive_failures"] == 0 for s in healthy)
    assert all(s["next_due"].endswith("Z") for s in by_id.values())
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_refresh_builds_when_due_and_skips_when_recent(config: Config) -> None:
    refresher = Refresher(config, 900)
    assert refresher.run_once() == "built"
    assert (config.output_dir / "all.rss").is_file()
    assert refresher.run_once() == "skipped: not due"
    later = Refresher(config, 900, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    assert later.run_once() == "built"


def test_refresh_skips_while_another_build_holds_the_lock(built: Config) -> None:
    before = feed_bytes(built)
    later = Refresher(built, 60, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    with build_lock(built):
        # flock conflicts between open files even within one process, as between workers.
        assert later.run_once() == "skipped: another build holds the lock"
    assert feed_bytes(built) == before


def test_failed_build_leaves_served_feeds_as_they_were(built: Config, tmp_path: Path) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(built.path)}).test_client()
    before = {url: client.get(url).data for url in ("/feeds/all.rss", "/feeds/news.atom")}
    (built.root / "feedhub.db").write_bytes(b"this is not a database" * 100)
    later = Refresher(built, 60, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    outcome = later.run_once()
    assert outcome.startswith("failed: ") and "unchanged" in outcome
    for url, data in before.items():
        assert client.get(url).data == data


def test_background_thread_builds_and_readers_never_see_half_a_file(config: Config) -> None:
    app = create_app({"FEEDHUB_CONFIG": str(config.path), "FEEDHUB_REFRESH": "1s"})
    refresher = app.extensions["feedhub.refresher"]
    client = app.test_client()
    try:
        deadline = time.monotonic() + 30
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, refresher.last_outcome
            time.sleep(0.05)
        # Rebuild with changing content in another thread while reading: every answer is
        # a whole, well-formed feed.
        source = config.root / "examples" / "press-releases.rss"
        original = source.read_text(encoding="utf-8")
        stop = threading.Event()
        rounds: list[int] = []

        def rebuild() -> None:
            n = 0
            while not stop.is_set() and n < 20:
                n += 1
                source.write_text(original.replace("<title>", f"<title>v{n} ", 3),
                                  encoding="utf-8")
                build(config)
                rounds.append(n)

        writer = threading.Thread(target=rebuild)
        writer.start()
        items = len(ET.fromstring(client.get("/feeds/press-releases.rss").data).findall(
            "channel/item"))
        versions: set[bytes] = set()
        reads = 0
        while writer.is_alive() and reads < 100_000 and len(versions) < 3:
            response = client.get("/feeds/press-releases.rss")
            assert response.status_code == 200
            # Whole and from one build: well-formed, every story there, one round's titles.
            assert len(ET.fromstring(response.data).findall("channel/item")) == items
            assert len(set(re.findall(rb"<title>v(\d+) ", response.data))) <= 1
            versions.add(response.data)
            reads += 1
            # A reader waits on its network between polls. Without a pause this loop would
            # hold the GIL, and the build's thread, which lets it go at every file operation,
            # would wait its switch interval (5 ms) for each: seconds for one build.
            time.sleep(0.002)
        stop.set()
        writer.join(60)
        # The reads raced the rebuilds: readers saw the feed change under them, and the last
        # answer is the last build's file.
        assert len(versions) == 3, (len(versions), rounds)
        last = client.get("/feeds/press-releases.rss")
        assert last.data == (config.output_dir / "press-releases.rss").read_bytes()
        assert f"<title>v{rounds[-1]} ".encode() in last.data
    finally:
        refresher.stop()


def test_serve_refuses_a_bad_refresh_interval(config: Config) -> None:
    from click.testing import CliRunner

    from feedhub.cli import main

    result = CliRunner().invoke(main, ["serve", "-c", str(config.path), "--refresh", "soon"])
    assert result.exit_code == 2
    assert "--refresh" in result.output and "15m" in result.output
