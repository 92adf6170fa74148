"""``allow_private`` opens one door: the private host the source's own URL names.

A redirect, or a listing's next-page link, to any other private, loopback or link-local host
is refused before a connection is opened, unless the source lists that host in
``allow_hosts``. Linux routes all of 127/8 to lo, so a second server on 127.0.0.2 stands for
another machine on the intranet. Nothing here connects outside 127/8: the refusals of cloud
metadata addresses are checked by their message, which is raised before any connect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedhub.addresses import source_policy
from feedhub.config import load_config
from feedhub.errors import FetchError
from feedhub.extract import extract
from feedhub.fetch import fetch
from feedhub.model import Selectors, Source, SourceKind
from feedhub.pipeline import page_fetcher

from .support.httpd import LocalServer


@pytest.fixture(autouse=True)
def stay_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety net, not a stand-in: should the address check ever let a hop through, the
    test fails here instead of sending a packet to 169.254.169.254 or 10.0.0.1."""
    connect = socket.create_connection

    def loopback_only(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"a test tried to connect to {address[0]}")
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)


@pytest.fixture
def other() -> Iterator[LocalServer]:
    """Another intranet machine: a server on 127.0.0.2."""
    with LocalServer(host="127.0.0.2") as server:
        yield server


def intranet(url: str, *allow_hosts: str) -> Source:
    return Source(id="intranet", kind=SourceKind.FEED, location=url, allow_private=True,
                  allow_hosts=allow_hosts)


def test_a_redirect_to_another_private_host_is_refused_before_connecting(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    other.route("/feed", b"<rss/>")
    httpd.route("/feed", status=302, headers={"Location": other.url("/feed")})
    with pytest.raises(FetchError, match=r"refused to connect: 127\.0\.0\.2 resolves to "
                                         r"127\.0\.0\.2, a loopback address.*allow_hosts"):
        fetch(intranet(httpd.url("/feed")), tmp_path)
    assert [r.path for r in httpd.requests if r.path != "/robots.txt"] == ["/feed"]
    assert other.requests == [] and other.accepted == 0


def test_allow_hosts_lets_the_redirect_through(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    other.route("/feed", b"<rss/>")
    httpd.route("/feed", status=302, headers={"Location": other.url("/feed")})
    assert fetch(intranet(httpd.url("/feed"), "127.0.0.2"), tmp_path).body == b"<rss/>"
    assert [r.path for r in other.requests] == ["/feed"]


def test_allow_hosts_from_sources_yaml(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    other.route("/feed", b"<rss/>")
    httpd.route("/feed", status=302, headers={"Location": other.url("/feed")})
    (tmp_path / "sources.yaml").write_text(
        "site: {title: T, base_url: 'https://hub.example.org'}\nsources:\n"
        f"  - {{id: a, kind: feed, url: '{httpd.url('/feed')}', allow_private: true,\n"
        "     allow_hosts: ['[127.0.0.2]']}\n"  # brackets are allowed, and taken off
        f"  - {{id: b, kind: feed, url: '{httpd.url('/feed')}', allow_private: true}}\n")
    listed, unlisted = load_config(tmp_path / "sources.yaml").sources
    assert listed.allow_hosts == ("127.0.0.2",)
    assert fetch(listed, tmp_path).body == b"<rss/>"
    with pytest.raises(FetchError, match=r"lists 127\.0\.0\.2 in its allow_hosts"):
        fetch(unlisted, tmp_path)
    assert len(other.requests) == 1


def test_the_sources_own_host_stays_reachable(httpd: LocalServer, tmp_path: Path) -> None:
    # What the rest of the suite relies on: an allow_private source on 127.0.0.1, redirected
    # within its own host.
    httpd.route("/old", status=301, headers={"Location": "/feed"})
    httpd.route("/feed", b"<rss/>")
    assert fetch(intranet(httpd.url("/old")), tmp_path).body == b"<rss/>"


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://10.0.0.1/",
])
def test_a_redirect_to_cloud_metadata_is_refused(
        httpd: LocalServer, tmp_path: Path, location: str) -> None:
    httpd.route("/feed", status=302, headers={"Location": location})
    # The refusal is raised by the address check, before a socket is opened.
    with pytest.raises(FetchError, match=r"refused to connect: \S+ resolves to "
                                         r"\S+, a (link-local|private-network) address"):
        fetch(intranet(httpd.url("/feed")), tmp_path)


def test_the_policy_trusts_named_hosts_and_still_allows_public_ones() -> None:
    policy = source_policy("Intranet.Example.", True, ["[FD00::7]", "media.example"])
    assert policy.trusted_hosts == {"intranet.example", "fd00::7", "media.example"}
    assert policy.refusal("intranet.example", "10.0.0.5") is None
    assert policy.refusal("INTRANET.example.", "10.0.0.5") is None
    assert policy.refusal("fd00::7", "fd00::7") is None
    assert policy.refusal("media.example", "192.168.1.9") is None
    assert policy.refusal("other.example", "10.0.0.6") is not None
    assert policy.refusal("169.254.169.254", "169.254.169.254") is not None
    # Redirects to public addresses are allowed as before.
    assert policy.refusal("news.example.org", "93.184.215.14") is None
    # allow_hosts alone trusts the listed hosts, not the source's own.
    listed = source_policy("intranet.example", False, ["media.example"])
    assert listed.refusal("intranet.example", "10.0.0.5") is not None
    assert listed.refusal("media.example", "10.0.0.5") is None


# -- a listing's further pages ---------------------------------------------------------------


def listing(page: int, nxt: str) -> bytes:
    items = "".join(f'<li class="story"><a href="/s/{page}-{n}">Story {page}-{n}</a></li>'
                    for n in range(2))
    return f"<html><head>{nxt}</head><body><ul>{items}</ul></body></html>".encode()


def paged(httpd: LocalServer, *allow_hosts: str) -> Source:
    return Source(id="paged", kind=SourceKind.HTML, location=httpd.url("/news"),
                  max_pages=3, allow_private=True, allow_hosts=allow_hosts,
                  selectors=Selectors(item="li.story"))


def read(source: Source, root: Path) -> list[str]:
    return [e.link.rsplit("/", 1)[-1] for e in extract(source, fetch(source, root),
                                                        page_fetcher(source, root))]


def test_a_next_page_on_another_private_host_is_refused(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    html = {"Content-Type": "text/html"}
    httpd.route("/news", listing(1, f'<link rel="next" href="{other.url("/news/2")}">'),
                headers=html)
    # Page 2 links back to the source's own host, which stays trusted from there.
    other.route("/news/2", listing(2, f'<link rel="next" href="{httpd.url("/news/3")}">'),
                headers=html)
    httpd.route("/news/3", listing(3, ""), headers=html)
    assert read(paged(httpd), tmp_path) == ["1-0", "1-1"]
    assert other.requests == []
    assert read(paged(httpd, "127.0.0.2"), tmp_path) == ["1-0", "1-1", "2-0", "2-1",
                                                         "3-0", "3-1"]
    assert [r.path for r in other.requests] == ["/news/2"]
