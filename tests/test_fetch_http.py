"""The bundled sources served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from feedhub.fetch import USER_AGENT, Validators, fetch_url

from .support.httpd import LocalServer, Reply, Request

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_fetch_sends_user_agent_and_conditional_headers(httpd: LocalServer) -> None:
    body = (EXAMPLES / "press-releases.rss").read_bytes()

    def handler(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    httpd.route("/press.rss", handler=handler)
    first = fetch_url("press", httpd.url("/press.rss"))
    assert first.status == 200 and first.body == body and first.etag == '"v1"'
    second = fetch_url("press", httpd.url("/press.rss"), Validators(etag=first.etag))
    assert second.not_modified and second.body == b""
    assert [r.headers["User-Agent"] for r in httpd.requests] == [USER_AGENT, USER_AGENT]
    assert httpd.requests[1].headers["If-None-Match"] == '"v1"'
