"""Politeness a site can see: robots.txt is honoured, requests to one host are spaced out, and a
source's own request headers reach its server (and only its server).

Every test talks to real servers on 127.0.0.1 (and 127.0.0.2 as a second host)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.errors import FetchError
from feedhub.fetch import fetch
from feedhub.model import FetchLimits, FetchResult, FetchSettings, Source, SourceKind
from feedhub.pipeline import build
from feedhub.schedule import fetch_all

from .support.httpd import LocalServer, Reply, Request
from .support.sources import rss, serve_sources, write_config

FEED = rss("polite", 2)


@pytest.fixture
def other() -> Iterator[LocalServer]:
    """A second host: a server on 127.0.0.2."""
    with LocalServer(host="127.0.0.2") as server:
        yield server


def source(url: str, **fields: object) -> Source:
    return Source(id="polite", kind=SourceKind.FEED, location=url, allow_private=True,
                  **fields)  # type: ignore[arg-type]


def paths(server: LocalServer) -> list[str]:
    return [r.path for r in list(server.requests)]


# robots.txt


def test_a_url_robots_txt_allows_is_fetched(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/robots.txt", b"User-agent: *\nDisallow: /private/\n")
    httpd.route("/feed.xml", FEED)
    got = fetch(source(httpd.url("/feed.xml")), tmp_path)
    assert got.body == FEED and got.warnings == ()
    assert paths(httpd) == ["/robots.txt", "/feed.xml"]
    # Kept for the process: a second fetch from the site does not ask again.
    fetch(source(httpd.url("/feed.xml")), tmp_path)
    assert paths(httpd).count("/robots.txt") == 1
    # robots.txt went out with feedhub's User-Agent, through its own fetch path.
    assert httpd.requests[0].headers["User-Agent"].startswith("feedhub/")


def test_a_disallowed_url_fails_naming_robots_txt_and_its_rule(
        httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/robots.txt", b"User-agent: *\nAllow: /\n\n"
                               b"User-agent: feedhub\nDisallow: /news/\n")
    httpd.route("/news/feed.xml", FEED)
    with pytest.raises(FetchError) as caught:
        fetch(source(httpd.url("/news/feed.xml")), tmp_path)
    message = caught.value.message
    assert f"{httpd.url('/robots.txt')} disallows {httpd.url('/news/feed.xml')}" in message
    assert "User-agent: feedhub, Disallow: /news/" in message
    assert "ignore_robots: true" in message
    assert "/news/feed.xml" not in paths(httpd)  # never asked for


def test_ignore_robots_fetches_a_disallowed_url(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/robots.txt", b"User-agent: *\nDisallow: /\n")
    httpd.route("/feed.xml", FEED)
    got = fetch(source(httpd.url("/feed.xml"), ignore_robots=True), tmp_path)
    assert got.body == FEED
    assert paths(httpd) == ["/feed.xml"]  # robots.txt not even read


@pytest.mark.parametrize("status", [404, 410, 403])
def test_no_robots_txt_allows_everything(httpd: LocalServer, tmp_path: Path,
                                         status: int) -> None:
    httpd.route("/robots.txt", b"gone", status=status)
    httpd.route("/feed.xml", FEED)
    got = fetch(source(httpd.url("/feed.xml")), tmp_path)
    assert got.body == FEED and got.warnings == ()


def test_a_robots_txt_the_server_fails_allows_with_a_warning_in_the_report(
        httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/robots.txt", b"oops", status=503)
    serve_sources(httpd, ["alpha"])
    config = load_config(write_config(tmp_path, httpd, ["alpha"], "sqlite:///feedhub.db"))
    report = build(config)
    [alpha] = report.sources
    assert not alpha.error and alpha.found == 3
    [warning] = alpha.warnings
    assert f"could not read {httpd.url('/robots.txt')}, fetched anyway" in warning
    assert "HTTP 503" in warning
    assert paths(httpd).count("/robots.txt") == 1  # not retried: it is only advice


def test_a_robots_txt_that_cannot_be_reached_allows_with_a_warning(
        httpd: LocalServer, tmp_path: Path) -> None:
    def hang_up(request: Request) -> None:
        request.handler.close_connection = True  # no answer at all

    httpd.route("/robots.txt", handler=hang_up)
    httpd.route("/feed.xml", FEED)
    got = fetch(source(httpd.url("/feed.xml")), tmp_path)
    assert got.body == FEED
    [warning] = got.warnings
    assert "could not read" in warning and "robots.txt" in warning


def test_robots_rules_follow_the_user_agent_the_source_sends(
        httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/robots.txt", b"User-agent: orgbot\nDisallow: /\n")
    httpd.route("/feed.xml", FEED)
    assert fetch(source(httpd.url("/feed.xml")), tmp_path).body == FEED
    with pytest.raises(FetchError, match="for OrgBot"):
        fetch(source(httpd.url("/feed.xml"), headers=(("User-Agent", "OrgBot/2.0"),)),
              tmp_path)


def test_local_files_do_not_read_robots_txt(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(FEED)
    got = fetch(Source(id="local", kind=SourceKind.FEED, location="feed.xml"), tmp_path)
    assert got.body == FEED and got.warnings == ()


# per-host interval


def test_requests_to_one_host_are_spaced_and_other_hosts_are_not_held_up(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    arrived: list[tuple[str, float]] = []

    def feed(request: Request) -> Reply:
        arrived.append((request.handler.server.server_address[0] + request.path,
                        time.monotonic()))
        return Reply(200, FEED)

    for server in (httpd, other):
        server.route("/robots.txt", b"", status=404)
        for name in ("a", "b", "c"):
            server.route(f"/{name}.xml", handler=feed)
    interval = 0.4
    limits = FetchLimits(per_host_interval=interval)
    sources = [source(httpd.url(f"/{n}.xml")) for n in ("a", "b", "c")]
    sources.append(source(other.url("/a.xml")))

    def fetch_one(s: Source) -> FetchResult:
        return fetch(s, tmp_path, limits=limits)

    started = time.monotonic()
    outcomes = list(fetch_all(sources, fetch_one, FetchSettings(limits=limits, per_host=3,
                                                                concurrency=4),
                              thread_at_once=True))
    assert all(isinstance(o, FetchResult) for _, o in outcomes)
    first = sorted(t for where, t in arrived if where.startswith("127.0.0.1"))
    # robots.txt took the first turn: three feeds after it, each a full interval apart.
    assert len(first) == 3
    assert first[0] - started >= interval * 0.99
    assert all(b - a >= interval * 0.99 for a, b in itertools.pairwise(first))
    # The second host waited only for its own robots.txt, not behind the first host's turns.
    [(_, second)] = [(w, t) for w, t in arrived if w.startswith("127.0.0.2")]
    assert second < first[-1]


def test_the_interval_is_read_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example'}\n"
                    "sources:\n  - {id: a, kind: feed, url: 'https://x.example/f'}\n"
                    "fetch:\n  per_host_interval: 2s\n")
    assert load_config(path).fetch.limits.per_host_interval == 2.0
    path.write_text(path.read_text().replace("  per_host_interval: 2s\n", "  per_host: 2\n"))
    assert load_config(path).fetch.limits.per_host_interval == 0.0


# request headers


def test_a_sources_headers_reach_its_server_on_every_hop(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    httpd.route("/old.xml", status=301, headers={"Location": httpd.url("/feed.xml")})
    httpd.route("/feed.xml", FEED)
    headers = (("User-Agent", "OrgBot/2.0 (+https://org.example/bot)"),
               ("Accept-Language", "fr"), ("X-Token", "s3cret"))
    got = fetch(source(httpd.url("/old.xml"), headers=headers), tmp_path)
    assert got.body == FEED
    [robots, old, new] = httpd.requests
    for request in (old, new):
        assert request.headers["User-Agent"] == "OrgBot/2.0 (+https://org.example/bot)"
        assert request.headers["Accept-Language"] == "fr"
        assert request.headers["X-Token"] == "s3cret"
        assert request.headers["Accept-Encoding"] == "gzip, deflate, br"  # feedhub's own kept
    assert robots.headers["User-Agent"].startswith("feedhub/")  # robots.txt: feedhub's own
    assert "X-Token" not in robots.headers


def test_a_redirect_to_another_host_gets_feedhubs_headers_only(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    other.route("/feed.xml", FEED)
    httpd.route("/feed.xml", status=302, headers={"Location": other.url("/feed.xml")})
    s = Source(id="moved", kind=SourceKind.FEED, location=httpd.url("/feed.xml"),
               allow_private=True, allow_hosts=("127.0.0.2",),
               headers=(("X-Token", "s3cret"), ("User-Agent", "OrgBot/2.0")))
    assert fetch(s, tmp_path).body == FEED
    assert httpd.requests[-1].headers["X-Token"] == "s3cret"
    [moved] = other.requests
    assert "X-Token" not in moved.headers
    assert moved.headers["User-Agent"].startswith("feedhub/")


def test_headers_are_part_of_the_sources_settings(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example'}\n"
                    "sources:\n  - id: a\n    kind: feed\n    url: 'https://x.example/f'\n"
                    "    ignore_robots: true\n"
                    "    headers: {User-Agent: 'OrgBot/2.0', Accept-Language: 'fr, en;q=0.5'}\n")
    [a] = load_config(path).sources
    assert a.headers == (("User-Agent", "OrgBot/2.0"), ("Accept-Language", "fr, en;q=0.5"))
    assert a.ignore_robots
    assert "OrgBot/2.0" in repr(a)  # the settings hash is the repr: an edit re-reads the body


@pytest.mark.parametrize(("header", "complaint"), [
    ("Host: other.example", "Host is set by feedhub itself"),
    ("If-None-Match: '\"x\"'", "If-None-Match is set by feedhub itself"),
    ("content-length: '0'", "content-length is set by feedhub itself"),
    ("Accept Language: fr", "is not an HTTP header name"),
    ("'X-Bad:': fr", "is not an HTTP header name"),
    ("X-Team: \"a\\r\\nHost: evil\"", "must be one line of printable ASCII"),
    ("X-Team: \"caf\\u00e9\"", "must be one line of printable ASCII"),
    ("X-Count: 3", "must be text"),
])
def test_check_refuses_invalid_headers_with_file_line_and_key(
        tmp_path: Path, header: str, complaint: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example'}\n"
                    "sources:\n  - id: a\n    kind: feed\n    url: 'https://x.example/f'\n"
                    f"    headers:\n      {header}\n")
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(path)])
    assert result.exit_code == 2, result.output
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["file"] == str(path) and problem["line"] == 7
    assert problem["key"].startswith("sources[a].headers.")
    assert complaint in problem["message"]


def test_check_refuses_the_same_header_twice_in_other_case(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example'}\n"
                    "sources:\n  - id: a\n    kind: feed\n    url: 'https://x.example/f'\n"
                    "    headers:\n      User-Agent: a\n      user-agent: b\n")
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(path)])
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["line"] == 8 and problem["key"] == "sources[a].headers.user-agent"
    assert "already given on line 7" in problem["message"]
