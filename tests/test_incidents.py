"""The operators' incidents feed and stale sources (feedhub.incidents): one entry when a
source has failed FAILING_AFTER builds in a row, one when it recovers, one when it turns stale;
stale sources flagged in `feedhub status` and /status.json; the feed for operators only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from lxml import etree

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.incidents import FAILING_AFTER
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.web import create_app

from .support.conformance import atom_schema_problems
from .support.httpd import LocalServer, Reply
from .support.nginx import NGINX, Nginx, free_port, server_block
from .test_web_security import STATUS_TOKEN, AppServer, get, through_proxy

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/ops/incidents.atom"


def rss(title: str, date: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<link>http://example.org/</link><item><title>{title} story</title>
<link>http://example.org/{title}/1</link><guid>{title}-1</guid>
<pubDate>{date}</pubDate></item></channel></rss>""".encode()


def today() -> str:
    return datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


@pytest.fixture
def ops(tmp_path: Path, httpd: LocalServer) -> Config:
    """``lively`` publishes today (the test switches it to failing); ``quiet``'s newest item is
    from 2020, so it is stale after its 30 days."""
    httpd.route("/lively.xml", body=rss("lively", today()))
    httpd.route("/quiet.xml", body=rss("quiet", "Wed, 01 Jan 2020 00:00:00 GMT"))
    path = tmp_path / "sources.yaml"
    path.write_text(f"""site:
  title: Ops test
  base_url: https://news.example.org
sources:
  - id: lively
    kind: feed
    url: {httpd.url("/lively.xml")}
    allow_private: true
  - id: quiet
    kind: feed
    url: {httpd.url("/quiet.xml")}?token=s3cr3tvalue
    allow_private: true
    stale_after: 30d
fetch:
  retries: 0
""", encoding="utf-8")
    return load_config(path)


def operator_client(config: Config) -> FlaskClient:
    return create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()


def entries(config: Config) -> list[tuple[str, str]]:
    """(title, content) of the feed's entries, newest first, as an operator reads them."""
    response = operator_client(config).get(FEED)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.data)
    return [(str(e.findtext(f"{ATOM}title")), str(e.findtext(f"{ATOM}content")))
            for e in root.iter(f"{ATOM}entry")]


def about(config: Config, source_id: str) -> list[str]:
    return [title for title, _ in entries(config) if title.startswith(f"{source_id} ")]


def test_a_source_failing_builds_in_a_row_gives_one_incident_and_one_recovery(
        ops: Config, httpd: LocalServer) -> None:
    assert build(ops).ok
    assert about(ops, "lively") == []
    httpd.route("/lively.xml", handler=lambda _: Reply(503, b"down for maintenance"))
    for _ in range(FAILING_AFTER - 1):
        build(ops)
    assert about(ops, "lively") == [], "a failure or two is no incident yet"
    for _ in range(3):  # the third failure in a row, and more: still one entry
        build(ops)
    assert about(ops, "lively") == ["lively is failing"]
    detail = next(content for title, content in entries(ops) if title == "lively is failing")
    assert "503" in detail and "feedhub preview lively" in detail

    httpd.route("/lively.xml", body=rss("lively", today()))
    assert build(ops).ok
    build(ops)
    assert about(ops, "lively") == ["lively recovered (failing)", "lively is failing"]


def test_a_stale_source_is_flagged_and_gives_an_incident(ops: Config) -> None:
    assert build(ops).ok
    assert about(ops, "quiet") == ["quiet is stale"]
    detail = next(content for title, content in entries(ops) if title == "quiet is stale")
    assert "2020-01-01" in detail and "stale_after" in detail
    assert "s3cr3tvalue" not in detail and "127.0.0.1" not in detail

    runner = CliRunner()
    text = runner.invoke(main, ["status", "-c", str(ops.path)])
    assert text.exit_code == 0, text.output
    stale_lines = [line for line in text.output.splitlines() if "stale:" in line]
    assert len(stale_lines) == 1 and "2020-01-01" in stale_lines[0]
    as_json = runner.invoke(main, ["status", "--json", "-c", str(ops.path)])
    flags = {s["id"]: s["stale"] for s in json.loads(as_json.output)["sources"]}
    assert flags == {"lively": False, "quiet": True}

    public = operator_client(ops).get("/status.json", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert public.json is not None and public.json["view"] == "public"
    assert {s["id"]: s["stale"] for s in public.json["sources"]} == flags
    assert "http" not in public.text

    # A source that publishes rarely, given a longer stale_after (0: never), recovers.
    ops.path.write_text(ops.path.read_text(encoding="utf-8").replace(
        "stale_after: 30d", "stale_after: 0"), encoding="utf-8")
    build(load_config(ops.path))
    assert about(ops, "quiet") == ["quiet recovered (stale)", "quiet is stale"]


def test_the_incidents_feed_is_for_operators_only(ops: Config, tmp_path: Path) -> None:
    build(ops)
    with AppServer(ops, FEEDHUB_STATUS_TOKEN=STATUS_TOKEN) as server:
        for headers in (through_proxy(), through_proxy(Authorization="Bearer nope"),
                        {"Authorization": "Bearer nope"}):
            answer = get(server.port, FEED, **headers)
            assert answer.status == 403, headers
            assert b"quiet" not in answer.body
        for headers in ({}, through_proxy(Authorization=f"Bearer {STATUS_TOKEN}")):
            answer = get(server.port, FEED, **headers)
            assert answer.status == 200, headers
            assert answer.headers["Content-Type"].startswith("application/atom+xml")
            assert b"quiet is stale" in answer.body
            assert answer.headers["Cache-Control"] == "no-store"
        if NGINX:  # nginx relays it to the app (which sees a proxied request): 403
            port = free_port()
            block = server_block(ops.output_dir, port, f"127.0.0.1:{server.port}")
            with Nginx(tmp_path / "nginx", block, port):
                assert get(port, FEED).status == 403
                assert get(port, "/feeds/all.atom").status == 200

    # Never published: not in the output folder, the index or the OPML.
    published = [p.relative_to(ops.output_dir).as_posix() for p in ops.output_dir.rglob("*")]
    assert not [p for p in published if "ops" in p or "incident" in p]
    for name in ("index.html", "feeds.opml"):
        text = (ops.output_dir / name).read_text(encoding="utf-8")
        assert "incident" not in text and "/ops" not in text


def test_the_incidents_feed_is_valid_atom(ops: Config, httpd: LocalServer,
                                          tmp_path: Path) -> None:
    build(ops)
    httpd.route("/lively.xml", handler=lambda _: Reply(500, b"<b>broken</b> & gone"))
    for _ in range(FAILING_AFTER):
        build(ops)
    body = operator_client(ops).get(FEED).data
    path = tmp_path / "incidents.atom"
    path.write_bytes(body)
    assert atom_schema_problems([path]) == []
    assert body == operator_client(ops).get(FEED).data, "the same incidents, the same bytes"
