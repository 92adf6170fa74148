"""Fetching parses most URLs without httpx (its import was a tenth of a warm build's start):
every URL the fast path accepts must come out exactly as httpx.URL gives it, and any URL httpx
would change must go to httpx."""

from __future__ import annotations

import string
import subprocess
import sys
import textwrap

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feedhub.fetch import _from_httpx, _parse_url, _plain_url

from .support.httpd import LocalServer

PLAIN = [
    "https://www.example.org/news/feed.xml",
    "http://127.0.0.1:8000/s00001.xml",
    "https://example.org/search?q=press&page=2",
    "https://example.org/",
    "https://example.org/a;b=c/~user/it's(1)*+,!$&=:@/%20x?",
    "http://sub-domain.example.co.uk:8443/feeds/all.rss?x=%2F&y=a/b?c",
]
NOT_PLAIN = [
    "HTTP://example.org/",  # scheme case
    "http://Example.org/",  # host case
    "http://example.org",  # no path: httpx sends "/" but shows none
    "http://example.org:80/",  # default port
    "https://example.org:443/feed",
    "http://example.org:/feed",  # empty port
    "http://example.org:08080/feed",  # leading zero
    "http://example.org/a/../b",  # dot segments
    "http://example.org/a/./b",
    "http://example.org/a/..",
    "http://example.org/feed#top",  # fragment
    "http://example.org/a b",  # escaped by httpx
    "http://example.org/{x}",
    "http://user@example.org/",  # userinfo
    "http://999.1.1.1/",  # invalid IPv4: httpx refuses it
    "http://[::1]:8000/",  # IPv6
    "http://bücher.example/",  # IDNA
    "ftp://example.org/",
]


@pytest.mark.parametrize("url", PLAIN)
def test_plain_urls_skip_httpx_and_match_it(url: str) -> None:
    plain = _plain_url(url)
    assert plain is not None, url
    assert plain == _from_httpx(httpx.URL(url))
    assert plain.text == url


@pytest.mark.parametrize("url", NOT_PLAIN)
def test_urls_httpx_would_change_go_to_httpx(url: str) -> None:
    assert _plain_url(url) is None
    if url != "http://999.1.1.1/":
        assert _parse_url("s", url) == _from_httpx(httpx.URL(url))


def test_every_character_in_every_place() -> None:
    """Each printable ASCII character (and a few others) in the host, the port, the path and
    the query: accepted only where httpx keeps the URL as it is, and then equal to httpx's."""
    chars = string.printable + "\u00e9\u00a0\u2028"
    accepted = 0
    for c in chars:
        for url in (f"http://ex{c}ample.org/feed", f"http://example.org:80{c}0/feed",
                    f"http://example.org/fe{c}ed/x", f"http://example.org/feed?a={c}&b",
                    f"https://example.org/{c}", f"https://example.org/x{c}{c}?{c}"):
            accepted += _agrees_with_httpx(url)
    assert accepted > 300  # the fast path is really taken


@settings(max_examples=400)
@given(st.text(alphabet=string.printable + "\u00e9", max_size=30),
       st.sampled_from(["http://", "https://", "HTTP://", "http:/", "https://127.0.0.1:9",
                        "http://example.org", "https://a.b:443", "http://10.0.0.256"]))
@example("/a/./b/../c%zz?x#y", "http://example.org")
@example("/%7e%7E?%", "http://example.org")
def test_any_url_the_fast_path_takes_is_httpx_s(rest: str, start: str) -> None:
    _agrees_with_httpx(start + rest)


def _agrees_with_httpx(url: str) -> bool:
    plain = _plain_url(url)
    if plain is None:
        return False
    assert plain == _from_httpx(httpx.URL(url)), url
    assert str(httpx.URL(url)) == url
    return True


def test_a_fetch_of_a_plain_url_does_not_import_httpx(httpd: LocalServer) -> None:
    """httpx is imported only when a fetch needs it; a build's start would pay ~28 ms for it
    otherwise."""
    httpd.route("/feed.xml", b"<rss/>")
    httpd.route("/moved", status=301, headers={"Location": "/feed.xml"})
    script = textwrap.dedent(f"""
        import sys
        import feedhub.cli, feedhub.pipeline
        from feedhub.fetch import AddressPolicy, fetch_url
        policy = AddressPolicy(allow_private=True)
        assert fetch_url("s", {httpd.url("/feed.xml")!r}, policy=policy).body == b"<rss/>"
        print("httpx" in sys.modules)
        assert fetch_url("s", {httpd.url("/moved")!r}, policy=policy).body == b"<rss/>"
        print("httpx" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["False", "True"], out
