"""Smoke test: `gunicorn wsgi:app` (the production command) answers feeds with validators."""

from __future__ import annotations

import http.client

from feedhub.model import Config

from .support.gunicorn import gunicorn


def get(port: int, path: str, method: str = "GET", **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_gunicorn_serves_feeds_with_validators(built: Config) -> None:
    with gunicorn(built.path) as (port, log):
        first = get(port, "/feeds/all.atom")
        assert first.status == 200
        etag = first.getheader("ETag") or ""
        assert first.getheader("Last-Modified")
        assert first.getheader("Cache-Control") == "public, max-age=900"
        assert get(port, "/feeds/all.atom", If_None_Match=etag).status == 304
        head = get(port, "/feeds/all.atom", "HEAD")
        assert head.status == 200 and head.getheader("Content-Length") == \
            first.getheader("Content-Length")
        assert get(port, "/feeds/all.atom", Accept_Encoding="gzip").getheader(
            "Content-Encoding") == "gzip"
        assert get(port, "/healthz").status == 200
        assert get(port, "/feeds/all.atom?limit=1").status == 200
    assert "Traceback" not in log[0]
