"""Fetching over real HTTP on 127.0.0.1: headers, conditional GET, encodings, retries, SSRF.

Every test talks to tests/support/httpd.py's LocalServer; nothing is mocked. Loopback is refused
by default, so tests that should reach the server say ``allow_private=True`` (LOCAL) on purpose.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import brotli
import pytest

from feedhub.errors import FetchError
from feedhub.fetch import (
    USER_AGENT,
    AddressPolicy,
    FetchLimits,
    Validators,
    backoff_delay,
    fetch,
    fetch_url,
    read_file,
    retry_after_seconds,
)
from feedhub.model import Source, SourceKind

from .support.httpd import LocalServer, Reply, Request

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LOCAL = AddressPolicy(allow_private=True)
QUICK = FetchLimits(deadline=5, connect_timeout=2, backoff=0.01)


def test_fetch_sends_user_agent_and_conditional_headers(httpd: LocalServer) -> None:
    body = (EXAMPLES / "press-releases.rss").read_bytes()
    stamp = "Tue, 24 Nov 2026 10:00:00 GMT"

    def handler(request: Request) -> Reply:
        if (request.headers.get("If-None-Match") == '"v1"'
                and request.headers.get("If-Modified-Since") == stamp):
            return Reply(304)
        return Reply(200, body, {"ETag": '"v1"', "Last-Modified": stamp,
                                 "Content-Type": "application/rss+xml"})

    httpd.route("/press.rss", handler=handler)
    first = fetch_url("press", httpd.url("/press.rss"), policy=LOCAL)
    assert first.status == 200 and first.body == body
    assert (first.etag, first.last_modified) == ('"v1"', stamp)
    second = fetch_url("press", httpd.url("/press.rss"),
                       Validators(etag=first.etag, last_modified=first.last_modified),
                       policy=LOCAL)
    assert second.not_modified and second.body == b""
    assert (second.etag, second.last_modified) == ('"v1"', stamp)
    assert [r.headers["User-Agent"] for r in httpd.requests] == [USER_AGENT, USER_AGENT]
    assert USER_AGENT.startswith("feedhub/") and "(+https://" in USER_AGENT


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br", "gzip, br"])
def test_compressed_bodies_are_decoded(httpd: LocalServer, encoding: str) -> None:
    body = (EXAMPLES / "features.atom").read_bytes() * 20
    if encoding == "gzip":
        wire = gzip.compress(body)
    elif encoding == "deflate":
        wire = zlib.compress(body)
    elif encoding == "raw-deflate":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        wire = packer.compress(body) + packer.flush()
        encoding = "deflate"
    elif encoding == "br":
        wire = brotli.compress(body)
    else:
        wire = brotli.compress(gzip.compress(body))
    httpd.route("/f", wire, headers={"Content-Encoding": encoding})
    result = fetch_url("f", httpd.url("/f"), policy=LOCAL)
    assert result.body == body
    assert httpd.requests[0].headers["Accept-Encoding"] == "gzip, deflate, br"


def test_corrupt_gzip_is_a_clear_error(httpd: LocalServer) -> None:
    httpd.route("/f", b"\x1f\x8b\x08\x00garbage-not-gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt"):
        fetch_url("f", httpd.url("/f"), limits=QUICK, policy=LOCAL)


def test_4xx_is_not_retried_and_says_what_to_do(httpd: LocalServer) -> None:
    httpd.route("/gone", b"gone", status=404)
    with pytest.raises(FetchError, match=r"HTTP 404 .*check the source's URL"):
        fetch_url("g", httpd.url("/gone"), limits=QUICK, policy=LOCAL)
    assert len(httpd.requests) == 1


def test_5xx_retries_up_to_the_limit_then_fails(httpd: LocalServer) -> None:
    httpd.route("/down", b"down", status=503)
    with pytest.raises(FetchError, match=r"HTTP 503 .*gave up after 3 attempts"):
        fetch_url("d", httpd.url("/down"), limits=FetchLimits(retries=2, backoff=0.01),
                  policy=LOCAL)
    assert len(httpd.requests) == 3


def test_retry_after_beyond_the_deadline_fails_at_once(httpd: LocalServer) -> None:
    httpd.route("/busy", b"", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match=r"asked to wait 120s, past the 5s deadline"):
        fetch_url("b", httpd.url("/busy"), limits=QUICK, policy=LOCAL)
    assert len(httpd.requests) == 1


def test_retry_after_http_date_is_honoured(httpd: LocalServer) -> None:
    calls: list[datetime] = []

    def handler(request: Request) -> Reply:
        calls.append(datetime.now(UTC))
        if len(calls) == 1:
            # The HTTP-date has one-second resolution: 2 s ahead is at least 1 s of waiting.
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
            return Reply(503, b"", {"Retry-After": when})
        return Reply(200, b"<rss/>")

    httpd.route("/later", handler=handler)
    result = fetch_url("l", httpd.url("/later"), limits=QUICK, policy=LOCAL)
    assert result.body == b"<rss/>" and len(calls) == 2
    # A lower bound only: sleeping never ends early, however loaded the machine is.
    assert calls[1] - calls[0] >= timedelta(seconds=0.9)


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(" 0 ", now) == 0
    assert retry_after_seconds("Wed, 25 Nov 2026 12:01:30 GMT", now) == 90
    assert retry_after_seconds("Wed, 25 Nov 2026 11:00:00 GMT", now) == 0  # in the past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None


def test_backoff_doubles_with_jitter_in_the_upper_half() -> None:
    assert [backoff_delay(n, 1.0, 0.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert [backoff_delay(n, 1.0, 0.999) for n in (1, 2, 3)] == pytest.approx([1, 2, 4], 0.01)


def test_redirects_are_followed_up_to_the_limit(httpd: LocalServer) -> None:
    for n in range(3):
        httpd.route(f"/r{n}", status=302, headers={"Location": f"/r{n + 1}"})
    httpd.route("/r3", b"<rss/>")
    assert fetch_url("r", httpd.url("/r0"), policy=LOCAL).url == httpd.url("/r3")
    with pytest.raises(FetchError, match="more than 2 redirects"):
        fetch_url("r", httpd.url("/r0"), limits=FetchLimits(max_redirects=2), policy=LOCAL)


def test_redirects_resolve_like_a_browser_and_keep_the_connection(httpd: LocalServer) -> None:
    httpd.route("/a/b/start", status=301, headers={"Location": "../c/next?x=1"})
    httpd.route("/a/c/next?x=1", status=307, headers={"Location": "/caf\u00e9.rss"})
    httpd.route("/caf%C3%A9.rss", b"<rss/>")
    result = fetch_url("r", httpd.url("/a/b/start#top"), policy=LOCAL)
    assert result.body == b"<rss/>" and result.url == httpd.url("/caf%C3%A9.rss#top")
    assert [r.path for r in httpd.requests] == ["/a/b/start", "/a/c/next?x=1", "/caf%C3%A9.rss"]
    assert httpd.accepted == 1  # a redirect's body is read, so its connection is kept


def test_a_broken_url_or_location_is_a_clear_error(httpd: LocalServer) -> None:
    with pytest.raises(FetchError, match="is not a valid URL"):
        fetch_url("x", "http://[::1/feed", policy=LOCAL)
    httpd.route("/bad", status=302, headers={"Location": "http://[::1/feed"})
    with pytest.raises(FetchError, match="redirected to an invalid URL"):
        fetch_url("x", httpd.url("/bad"), limits=QUICK, policy=LOCAL)


def test_redirect_to_another_scheme_is_refused(httpd: LocalServer) -> None:
    httpd.route("/leak", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="not http"):
        fetch_url("x", httpd.url("/leak"), limits=QUICK, policy=LOCAL)


def test_only_http_and_https_urls_are_fetched() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://127.0.0.1:70/"):
        with pytest.raises(FetchError, match="only http:// and https://"):
            fetch_url("x", url)


# -- server-side request forgery ---------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
    "192.0.0.8", "192.0.2.1", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
    "fe80::1%eth0", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1",
    "64:ff9b::a9fe:a9fe", "2001:db8::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert AddressPolicy().refusal("evil.example", address) is not None
    assert AddressPolicy(allow_private=True).refusal("evil.example", address) is None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111",
                                     "2a00:1450:4007:80e::200e"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().refusal("news.example.org", address) is None


def test_loopback_source_is_refused_unless_allowed(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/feed", b"<rss/>")
    source = Source(id="intranet", kind=SourceKind.FEED, location=httpd.url("/feed"))
    with pytest.raises(FetchError, match=r"127\.0\.0\.1.*loopback.*allow_private: true"):
        fetch(source, tmp_path)
    assert httpd.requests == []  # refused before connecting
    allowed = Source(id="intranet", kind=SourceKind.FEED, location=httpd.url("/feed"),
                     allow_private=True)
    assert fetch(allowed, tmp_path).body == b"<rss/>"


def test_every_redirect_hop_is_checked_on_its_resolved_address(httpd: LocalServer) -> None:
    # "localhost" stands for a public host the policy allows by name; its redirect to the
    # address 127.0.0.1 must be checked again, on the address, and refused.
    policy = AddressPolicy(trusted_hosts=frozenset({"localhost"}))
    port = httpd.port
    httpd.route("/feed", b"<rss/>")
    httpd.route("/same", status=302, headers={"Location": f"http://localhost:{port}/feed"})
    httpd.route("/hop", status=302, headers={"Location": f"http://127.0.0.1:{port}/feed"})
    ok = fetch_url("hop", f"http://localhost:{port}/same", limits=QUICK, policy=policy)
    assert ok.body == b"<rss/>"
    httpd.requests.clear()
    with pytest.raises(FetchError, match=r"refused to connect: 127\.0\.0\.1 resolves to "):
        fetch_url("hop", f"http://localhost:{port}/hop", limits=QUICK, policy=policy)
    assert [r.path for r in httpd.requests] == ["/hop"]


def test_connection_refused_is_a_source_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=r"cannot fetch .*gave up after 3 attempts"):
        fetch_url("dead", f"http://127.0.0.1:{port}/", limits=FetchLimits(
            retries=2, backoff=0.01, deadline=5), policy=LOCAL)


# -- local files ----------------------------------------------------------------------------


def test_local_paths_stay_under_the_config_folder(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "data").mkdir(parents=True)
    (root / "data" / "feed.xml").write_bytes(b"<rss/>")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    os.symlink(tmp_path / "secret.txt", root / "data" / "escape.xml")
    os.symlink(root / "data" / "feed.xml", root / "inside.xml")
    os.symlink(tmp_path, root / "up")
    limits = FetchLimits()
    assert read_file("s", "data/feed.xml", root, limits).body == b"<rss/>"
    assert read_file("s", "inside.xml", root, limits).body == b"<rss/>"
    assert read_file("s", str(root / "data" / "feed.xml"), root, limits).body == b"<rss/>"
    for location in ("../secret.txt", "data/../../secret.txt", str(tmp_path / "secret.txt"),
                     "data/escape.xml", "up/secret.txt", "/etc/passwd"):
        with pytest.raises(FetchError, match="outside the config folder"):
            read_file("s", location, root, limits)
    with pytest.raises(FetchError, match="file not found"):
        read_file("s", "data/missing.xml", root, limits)
    (root / "big.xml").write_bytes(b"x" * 2000)
    with pytest.raises(FetchError, match="over the 1000-byte limit"):
        read_file("s", "big.xml", root, FetchLimits(max_bytes=1000))


# -- config keys ----------------------------------------------------------------------------


def test_fetch_config_keys_are_read() -> None:
    from feedhub.config import load_config, parse_size

    config = load_config(Path(__file__).parent / "data" / "config" / "valid" / "full.yaml")
    assert config.fetch.refresh == timedelta(minutes=30)
    assert config.fetch.limits == FetchLimits(connect_timeout=5, deadline=20,
                                              max_bytes=5 * 1024 * 1024, max_redirects=3,
                                              retries=2, per_host_interval=2)
    assert (config.fetch.concurrency, config.fetch.per_host) == (4, 1)
    assert config.fetch.max_items == 300
    listing, wire = config.sources
    assert listing.refresh == timedelta(minutes=90) and listing.allow_private
    assert wire.refresh is None and not wire.allow_private
    assert config.refresh_of(listing) == timedelta(minutes=90)
    assert config.refresh_of(wire) == timedelta(minutes=30)
    assert [parse_size(v) for v in (1000, "10MB", "512 KiB", "1GiB")] == [
        1000, 10_000_000, 524288, 1024**3]
    assert [parse_size(v) for v in (0, "10 mb", "lots", "0MB")] == [None] * 4


def test_a_host_resolving_to_a_private_address_is_refused_by_its_address() -> None:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["169.254.169.254"]  # what a rebinding or hostile DNS answer looks like

    with pytest.raises(FetchError, match=r"metadata\.example resolves to 169\.254\.169\.254, "
                                         r"a link-local address"):
        fetch_url("m", "http://metadata.example/latest/", limits=QUICK, resolve=resolve)
    assert asked == ["metadata.example"]


def test_a_hanging_resolver_cannot_stretch_the_deadline() -> None:
    release = threading.Event()

    def hang(host: str, port: int) -> list[str]:
        release.wait(60)
        return ["127.0.0.1"]

    try:
        with pytest.raises(FetchError, match=r"did not finish within the 1s deadline"):
            fetch_url("dns", "http://slow-dns.example/", limits=FetchLimits(deadline=1),
                      policy=LOCAL, resolve=hang)
    finally:
        release.set()


HEADER_CASES = [
    [],
    [(b"ETag", b'"v1"'), (b"Last-Modified", b"Wed, 25 Nov 2026 18:36:42 GMT")],
    [(b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"SET-COOKIE", b"c=3")],
    [(b"Link", "<https://ex.org/caf\u00e9>".encode()), (b"X-A", b"1")],  # UTF-8
    [(b"X-Latin", "na\u00efve".encode("latin-1")), (b"Location", b"/next")],  # not UTF-8
    [(b"Content-Encoding", b"gzip"), (b"content-encoding", b" br"), (b"Content-Length", b"")],
]


@pytest.mark.parametrize("raw", HEADER_CASES)
def test_response_headers_read_as_httpx_reads_them(raw: list[tuple[bytes, bytes]]) -> None:
    import httpx

    from feedhub.fetch.http import header_text

    found = httpx.Headers(raw)
    mine = header_text(raw)
    assert mine == dict(found.items())
    for name in ("etag", "location", "set-cookie", "content-encoding", "link", "x-latin"):
        assert mine.get(name) == found.get(name)
