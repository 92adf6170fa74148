"""Issue 7 item 9: the web app against forged hosts, path traversal and error pages."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedhub.model import Config

PUBLISHED = ["/", "/c/news", "/feeds.opml", "/feeds/all.rss", "/feeds/news.atom",
             "/feeds/news.json", "/embed/news.js", "/embed/news.html",
             "/feeds/news.rss?limit=3", "/feeds/all.json?q=ilo"]


@pytest.mark.parametrize("url", PUBLISHED)
def test_forged_host_changes_no_link(client: FlaskClient, built: Config, url: str) -> None:
    honest = client.get(url)
    assert honest.status_code == 200, url
    for headers in ({"Host": "evil.example"},
                    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "gopher"},
                    {"Host": "evil.example:666", "Forwarded": "host=evil.example"}):
        forged = client.get(url, headers=headers)
        assert forged.data == honest.data, (url, headers)
        assert forged.headers["ETag"] == honest.headers["ETag"]
        assert b"evil.example" not in forged.data
    # Feeds carry base_url; pages link this site by path (the same on every host).
    if url in ("/", "/c/news"):
        assert b'href="/static/feedhub.css"' in honest.data
    elif url.startswith("/embed/"):
        assert b'href="/static/embed.css"' in honest.data or url.endswith(".js")
    else:
        assert built.site.base_url.encode() in honest.data


@pytest.mark.parametrize("url", [
    "/feeds/../sources.yaml", "/feeds/..%2f..%2fsources.yaml", "/feeds/%2e%2e/feedhub.rss",
    "/feeds/..%2Ffeedhub.db", "/c/..%2f..%2fsources", "/c/%2e%2e%2fsources",
    "/embed/..%2f..%2fsources.js", "/embed/%2e%2e.html", "/static/..%2f..%2fsources.yaml",
    "/feeds/archive/..%2f..%2f/1.rss", "/feeds/archive/news/..%2f1.rss",
    "/feeds/.build.lock", "/feeds/all.rss.gz", "/feeds/all.rss%00.rss",
    "/feeds/news.rss/..%2f..%2fsources.yaml", "//etc/passwd", "/feeds//etc/passwd.rss",
])
def test_path_traversal_is_404(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, url
    body = response.get_data(as_text=True)
    assert "site:" not in body and "SQLite" not in body and "root:" not in body


@pytest.mark.parametrize(("method", "url", "headers", "status"), [
    ("GET", "/feeds/news.rss?limit=%ff%fe", {}, 400),
    ("GET", "/feeds/news.rss?since=9999-99-99", {}, 400),
    ("GET", "/feeds/news.rss?limit=99999999999999999999999999", {}, 400),  # past feed_size
    ("GET", "/feeds/news.rss?limit=" + "9" * 5000, {}, 400),  # past int()'s digit limit
    ("GET", "/feeds/news.rss?limit=%C2%B2", {}, 400),  # isdigit() but not int()
    ("GET", "/feeds/news.rss?filterout=x", {}, 400),  # unknown parameter
    ("GET", "/feeds/news.rss?utm_source=x&_=1", {}, 200),  # ignored
    ("GET", "/feeds/news.rss?q=" + "%00" * 300, {}, 400),
    ("GET", "/feeds/news.rss", {"If-Modified-Since": "\x00\x01 not a date"}, 200),
    ("GET", "/feeds/news.rss", {"If-None-Match": "\"" * 5000}, 200),
    ("GET", "/feeds/news.rss", {"Accept-Encoding": "gzip;q=nan, *;q=x"}, 200),
    ("GET", "/feeds/news.rss", {"Accept": "text/html;q=abc, */*;q=zz"}, 200),
    ("POST", "/feeds/news.rss", {}, 405),
    ("DELETE", "/", {}, 405),
    ("GET", "/nope", {}, 404),
])
def test_bad_requests_carry_no_stack_trace(
    client: FlaskClient, method: str, url: str, headers: dict[str, str], status: int
) -> None:
    """Each answer is pinned: a bad filter or an unknown parameter on a feed URL is the
    client's error (400; tracking parameters and cache busters are ignored), a header that
    cannot be read is ignored as HTTP says (200), a wrong method or path is 405 or 404, and
    none of them ever shows a stack trace."""
    response = client.open(url, method=method, headers=headers)
    assert response.status_code == status, response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body and "feedhub/" not in body
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unexpected_error_is_500_in_one_line(app: Flask, built: Config) -> None:
    (built.root / "feedhub.db").write_bytes(b"garbage, not a database" * 50)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/status.json")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert body.count("\n") == 1 and "Traceback" not in body and "sqlite" not in body.lower()
