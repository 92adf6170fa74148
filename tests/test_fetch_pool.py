"""Kept-alive connections shared between fetches, against a real server on 127.0.0.1.

The server counts the TCP connections it accepts and sees end, so reuse is observed on the
wire, not inferred from the client's state. Each test has its own server (its own port), so
connections pooled by earlier tests are never candidates here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from feedhub.errors import FetchError
from feedhub.fetch import AddressPolicy, FetchLimits, Validators, close_pools, fetch_url
from feedhub.fetch import pools as fetch_module

from .support.httpd import LocalServer, Reply, Request

LOCAL = AddressPolicy(allow_private=True)
QUICK = FetchLimits(deadline=5, connect_timeout=2, retries=0)


@pytest.fixture
def idle_closing() -> Iterator[LocalServer]:
    """A server that closes a connection once it has been idle for 0.2 s."""
    with LocalServer(idle_timeout=0.2) as server:
        yield server


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``condition`` for at most ``seconds`` (the server sees a close asynchronously)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def get(httpd: LocalServer, path: str, limits: FetchLimits = QUICK, **kwargs: object) -> bytes:
    return fetch_url("pooled", httpd.url(path), limits=limits, policy=LOCAL,
                     **kwargs).body  # type: ignore[arg-type]


def test_fetches_from_one_host_share_one_connection(httpd: LocalServer) -> None:
    httpd.route("/a.rss", b"<rss>a</rss>", headers={"ETag": '"a"'})
    httpd.route("/b.rss", b"<rss>b</rss>")
    for _ in range(10):
        assert get(httpd, "/a.rss") == b"<rss>a</rss>"
        assert get(httpd, "/b.rss") == b"<rss>b</rss>"
    assert len(httpd.requests) == 20
    assert httpd.accepted == 1


def test_a_304_keeps_the_connection(httpd: LocalServer) -> None:
    def handler(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, b"<rss/>", {"ETag": '"v1"'})

    httpd.route("/feed", handler=handler)
    first = fetch_url("f", httpd.url("/feed"), limits=QUICK, policy=LOCAL)
    for _ in range(5):
        again = fetch_url("f", httpd.url("/feed"), Validators(etag=first.etag), QUICK, LOCAL)
        assert again.not_modified
    assert httpd.accepted == 1


def test_validators_belong_to_their_own_request(httpd: LocalServer) -> None:
    httpd.route("/feed", b"<rss/>")
    fetch_url("f", httpd.url("/feed"), Validators("\"v1\"", "Tue, 24 Nov 2026 10:00:00 GMT"),
              QUICK, LOCAL)
    fetch_url("f", httpd.url("/feed"), limits=QUICK, policy=LOCAL)
    first, second = httpd.requests
    assert first.headers["If-None-Match"] == '"v1"' and "If-Modified-Since" in first.headers
    assert "If-None-Match" not in second.headers and "If-Modified-Since" not in second.headers
    assert httpd.accepted == 1


def test_a_connection_is_never_reused_under_another_policy(httpd: LocalServer) -> None:
    httpd.route("/feed", b"<rss/>")
    assert get(httpd, "/feed") == b"<rss/>"
    # A source without allow_private must not ride the connection an allowed one opened.
    with pytest.raises(FetchError, match=r"refused to connect: 127\.0\.0\.1 resolves to "):
        fetch_url("public", httpd.url("/feed"), limits=QUICK)
    assert len(httpd.requests) == 1
    # Another policy that allows it, another resolver, other limits: each its own connection.
    trusted = AddressPolicy(trusted_hosts=frozenset({"127.0.0.1"}))
    assert fetch_url("t", httpd.url("/feed"), limits=QUICK, policy=trusted).body == b"<rss/>"
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [host]

    assert get(httpd, "/feed", resolve=resolve) == b"<rss/>"
    assert asked == ["127.0.0.1"]  # the guard resolved and checked a new connection
    assert get(httpd, "/feed", FetchLimits(deadline=4, retries=0)) == b"<rss/>"
    assert httpd.accepted == 4
    assert get(httpd, "/feed") == b"<rss/>"  # and the first one is still there for its own
    assert httpd.accepted == 4


def test_the_deadline_on_a_reused_connection_is_the_current_fetchs(httpd: LocalServer) -> None:
    stop = threading.Event()

    def mute(request: Request) -> None:
        stop.wait(30)

    httpd.route("/feed", b"<rss/>")
    httpd.route("/mute", handler=mute)
    limits = FetchLimits(deadline=1, retries=0)
    try:
        # Opened by a fetch whose 1 s deadline is long gone when the next fetch reuses it.
        assert get(httpd, "/feed", limits) == b"<rss/>"
        time.sleep(1.2)
        assert get(httpd, "/feed", limits) == b"<rss/>"
        # And a fetch on a reused connection still ends at its own deadline.
        began = time.monotonic()
        with pytest.raises(FetchError, match=r"deadline"):
            get(httpd, "/mute", limits)
        assert time.monotonic() - began < 20  # the server would hold it for 30 s
    finally:
        stop.set()
    assert [r.path for r in httpd.requests] == ["/feed", "/feed", "/mute"]
    assert len({id(r.handler) for r in httpd.requests}) == 1  # one connection for all three


def test_a_connection_the_server_closed_while_idle_is_replaced(
        idle_closing: LocalServer) -> None:
    idle_closing.route("/feed", b"<rss/>")
    assert get(idle_closing, "/feed") == b"<rss/>"
    assert wait_until(lambda: idle_closing.closed == 1)  # closed by the server after 0.2 s
    assert get(idle_closing, "/feed") == b"<rss/>"  # retries=0: no retry was needed
    assert idle_closing.accepted == 2


def test_a_connection_dropped_as_the_request_goes_out_is_retried_at_once(
        httpd: LocalServer) -> None:
    # The race a keep-alive client cannot avoid: the server closes an idle connection just as
    # the next request is sent on it. Here it closes every connection on its second request.
    served: set[int] = set()

    def once_per_connection(request: Request) -> Reply | None:
        if id(request.handler) in served:
            request.handler.close_connection = True
            return None
        served.add(id(request.handler))
        return Reply(200, b"<rss/>")

    httpd.route("/feed", handler=once_per_connection)
    assert get(httpd, "/feed") == b"<rss/>"
    assert get(httpd, "/feed") == b"<rss/>"  # retries=0: this is not an ordinary retry
    assert len(httpd.requests) == 3 and httpd.accepted == 2


def test_a_drop_on_a_new_connection_is_still_an_error(httpd: LocalServer) -> None:
    def hang_up(request: Request) -> None:
        request.handler.close_connection = True

    httpd.route("/feed", handler=hang_up)
    with pytest.raises(FetchError, match=r"cannot fetch .*gave up after 1 attempts"):
        get(httpd, "/feed")
    assert len(httpd.requests) == 1


def test_concurrent_fetches_keep_a_bounded_number_of_connections(
        httpd: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "MAX_IDLE_PER_HOST", 4)
    together = threading.Barrier(6, timeout=5)

    def gathered(request: Request) -> Reply:
        if request.path.startswith("/together"):
            together.wait()
        return Reply(200, b"<rss/>")

    for n in range(6):
        httpd.route(f"/together{n}", handler=gathered)
    httpd.route("/feed", handler=gathered)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda n=n: results.append(get(httpd, f"/together{n}")))
               for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [b"<rss/>"] * 6 and httpd.accepted == 6
    # At most MAX_IDLE_PER_HOST stay open; the rest are closed as they fall idle.
    surplus = 6 - 4
    assert wait_until(lambda: httpd.closed >= surplus), httpd.closed
    for _ in range(6):
        assert get(httpd, "/feed") == b"<rss/>"
    assert httpd.accepted == 6
    assert httpd.closed == surplus


def test_idle_connections_are_closed_after_the_keepalive_expiry(
        httpd: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "KEEPALIVE_EXPIRY", 0.3)
    httpd.route("/feed", b"<rss/>")
    # Limits of its own: a transport made now, with the short expiry.
    limits = FetchLimits(deadline=3.5, retries=0)
    assert get(httpd, "/feed", limits) == b"<rss/>"
    # Nothing else is fetched: the client closes it by itself.
    assert wait_until(lambda: httpd.closed == 1), "the idle connection was never closed"
    assert get(httpd, "/feed", limits) == b"<rss/>"
    assert httpd.accepted == 2


def test_close_pools_ends_every_idle_connection(httpd: LocalServer) -> None:
    httpd.route("/feed", b"<rss/>")
    assert get(httpd, "/feed") == b"<rss/>"
    close_pools()
    assert wait_until(lambda: httpd.closed == 1)
    assert get(httpd, "/feed") == b"<rss/>"
    assert httpd.accepted == 2


def test_cookies_stay_within_one_fetch(httpd: LocalServer) -> None:
    # As before connections were shared: a cookie set on a redirect is sent on the next hop
    # of the same fetch, never to a later fetch (another source) on the same connection.
    httpd.route("/login", status=302, headers={"Location": "/feed",
                                               "Set-Cookie": "session=1; Path=/"})
    httpd.route("/feed", b"<rss/>")
    assert get(httpd, "/login") == b"<rss/>"
    assert get(httpd, "/feed") == b"<rss/>"
    login, hop, later = httpd.requests
    assert "Cookie" not in login.headers
    assert hop.headers.get("Cookie") == "session=1"
    assert "Cookie" not in later.headers
    assert httpd.accepted == 1


def test_idle_connections_are_bounded_in_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "MAX_IDLE", 3)
    limits = FetchLimits(deadline=4.5, retries=0)  # a pool of its own, made with MAX_IDLE 3
    servers = [LocalServer() for _ in range(5)]
    try:
        for server in servers:
            server.__enter__()
            server.route("/feed", b"<rss/>")
        for server in servers:
            assert get(server, "/feed", limits) == b"<rss/>"
        # Five hosts, at most three idle connections kept: the oldest ones are closed.
        assert wait_until(lambda: sum(s.closed for s in servers) >= 2)
        assert sum(s.accepted for s in servers) == 5
    finally:
        for server in servers:
            server.__exit__()


def test_many_threads_share_the_pools_safely(httpd: LocalServer) -> None:
    httpd.route("/feed", b"<rss/>")
    trusted = AddressPolicy(trusted_hosts=frozenset({"127.0.0.1"}))
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                policy = LOCAL if (n + i) % 2 else trusted
                result = fetch_url(f"s{n}", httpd.url("/feed"), limits=QUICK, policy=policy)
                assert result.body == b"<rss/>"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert len(httpd.requests) == 8 * 15
    # Two policies, two pools; each opens at most one connection per concurrent fetch.
    assert httpd.accepted <= 2 * 8
