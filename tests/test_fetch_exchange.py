"""fetch.exchange: one request as a rendered page makes it, over real HTTP on 127.0.0.1 (and
127.0.0.2, a host the policy refuses), through the same guard and pools as every fetch.

- the page's method, headers and body are sent; hop-by-hop headers are not, and
  Accept-Encoding names what feedhub decodes;
- any answer is returned as it is (a 404 with its body, a redirect not followed), its body
  decoded and the headers that described it in transit left out;
- the address checked is the one connected to: a host whose answer changed since an earlier
  check (DNS rebinding) is refused, and the refused server accepts no connection;
- a body over the cap is refused (TooLarge); a server that does not answer ends at the deadline.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest

from feedhub.addresses import AddressPolicy, source_policy
from feedhub.errors import FetchError
from feedhub.fetch import AddressRefused, Deadline, TooLarge, exchange
from feedhub.model import FetchLimits

from .support.httpd import LocalServer, Reply, Request

QUICK = FetchLimits(deadline=5, connect_timeout=2)
LOCAL = AddressPolicy(allow_private=True)


@pytest.fixture
def other() -> Iterator[LocalServer]:
    """A second machine, on 127.0.0.2."""
    with LocalServer(host="127.0.0.2") as server:
        yield server


def test_the_pages_method_headers_and_body_are_sent(httpd: LocalServer) -> None:
    received: list[tuple[str, dict[str, str], bytes]] = []

    def api(request: Request) -> Reply:
        length = int(request.headers.get("Content-Length", "0"))
        received.append((request.method, request.headers, request.handler.rfile.read(length)))
        return Reply(201, b'{"ok": true}', {"Content-Type": "application/json",
                                            "Set-Cookie": "a=1"})

    httpd.route("/api", handler=api)
    answer = exchange("page", "POST", httpd.url("/api"), body=b'{"q": 1}', limits=QUICK,
                      policy=LOCAL, headers=[("Content-Type", "application/json"),
                                             ("X-Requested-With", "feed"),
                                             ("Connection", "close"), ("Host", "evil.example"),
                                             ("Accept-Encoding", "zstd")])
    assert (answer.status, answer.body) == (201, b'{"ok": true}')
    assert ("set-cookie", "a=1") in answer.headers
    method, headers, body = received[0]
    assert (method, body) == ("POST", b'{"q": 1}')
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Requested-With"] == "feed"
    assert headers["Host"] == f"127.0.0.1:{httpd.port}"
    assert headers["Accept-Encoding"] == "gzip, deflate, br"
    assert "Connection" not in headers


def test_any_answer_is_returned_as_it_is_and_its_body_decoded(httpd: LocalServer) -> None:
    httpd.route("/missing", b'{"error": "none"}', status=404,
                headers={"Content-Type": "application/json"})
    httpd.route("/packed", gzip.compress(b"x" * 5000), headers={"Content-Encoding": "gzip"})
    httpd.route("/moved", status=302, headers={"Location": "/missing"})
    missing = exchange("page", "GET", httpd.url("/missing"), limits=QUICK, policy=LOCAL)
    assert (missing.status, missing.body) == (404, b'{"error": "none"}')
    packed = exchange("page", "GET", httpd.url("/packed"), limits=QUICK, policy=LOCAL)
    assert packed.body == b"x" * 5000
    names = [name for name, _ in packed.headers]
    assert "content-encoding" not in names and "content-length" not in names
    moved = exchange("page", "GET", httpd.url("/moved"), limits=QUICK, policy=LOCAL)
    assert moved.status == 302 and ("location", "/missing") in moved.headers
    assert [r.path for r in httpd.requests] == ["/missing", "/packed", "/moved"]


def test_the_address_connected_to_is_checked_not_an_earlier_answer(
        httpd: LocalServer, other: LocalServer) -> None:
    """A name whose answer turns private after a check said public: refused when connecting."""
    answers = iter([["93.184.216.34"], [other.host]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    policy = source_policy("127.0.0.1", True, ())  # trusts the page's own host, not this one
    checked = rebinding("news.example", other.port)
    assert policy.refusal("news.example", checked[0]) is None  # what an early check saw
    with pytest.raises(AddressRefused, match=r"refused to connect: news.example resolves to "
                                             r"127.0.0.2, a loopback address"):
        exchange("page", "GET", f"http://news.example:{other.port}/secret", limits=QUICK,
                 policy=policy, resolve=rebinding)
    assert other.accepted == 0
    # The page's own (trusted) host is reached through the same policy.
    httpd.route("/own", b"ok")
    assert exchange("page", "GET", httpd.url("/own"), limits=QUICK, policy=policy).body == b"ok"


def test_a_body_over_the_cap_is_refused(httpd: LocalServer) -> None:
    httpd.route("/big", b"y" * 5000)
    httpd.route("/bomb", gzip.compress(b"z" * 50_000), headers={"Content-Encoding": "gzip"})
    small = FetchLimits(deadline=5, connect_timeout=2, max_bytes=1000)
    for path in ("/big", "/bomb"):
        with pytest.raises(TooLarge, match="larger than 1000 bytes"):
            exchange("page", "GET", httpd.url(path), limits=small, policy=LOCAL)


def test_a_server_that_does_not_answer_ends_at_the_deadline(httpd: LocalServer) -> None:
    def stall(request: Request) -> Reply:
        time.sleep(3)
        return Reply(200, b"late")

    httpd.route("/stall", handler=stall)
    with pytest.raises(FetchError, match="timed out") as caught:
        exchange("page", "GET", httpd.url("/stall"), limits=QUICK, policy=LOCAL,
                 deadline=Deadline(0.5))
    assert not isinstance(caught.value, (AddressRefused, TooLarge))


def test_only_http_and_https_are_sent() -> None:
    with pytest.raises(FetchError, match="only http:// and https://"):
        exchange("page", "GET", "ftp://example.org/x", limits=QUICK)
