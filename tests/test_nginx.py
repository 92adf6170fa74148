"""deploy/nginx.conf, run by Debian's nginx on 127.0.0.1, answers like the Flask app.

The app runs behind it for real (werkzeug's threaded server on another loopback port), so the
requests nginx passes on (filters, unknown parameters, browsers, preflights, missing files)
are checked too.
"""

from __future__ import annotations

import gzip
import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from feedhub.model import Config
from feedhub.publish import gz_path, publish_file
from feedhub.publish.files import gzip_level_for
from feedhub.web import create_app

from .support.nginx import NGINX, ROOT, SERVER_BLOCK, Nginx, free_port, server_block

pytestmark = pytest.mark.skipif(
    not NGINX, reason="nginx is not installed (Debian package `nginx`, listed in "
    "scripts/apt-packages.txt; ./test.sh installs it as root)")

SAME = ["Content-Type", "Cache-Control", "Vary", "X-Content-Type-Options",
        "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
        "Content-Security-Policy", "Content-Encoding", "Last-Modified"]
"""Headers whose values must be identical from nginx and from Flask."""

URLS = ["/feeds/all.rss", "/feeds/news.atom", "/feeds/press-releases.json", "/feeds.opml",
        "/", "/c/news", "/embed/news.js", "/embed/news.html", "/static/feedhub.css",
        "/static/feedhub.js", "/static/embed.css"]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(port: int, path: str, method: str = "GET", **headers: str) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, {k.title(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


@dataclass
class Servers:
    flask: int
    nginx: int
    config: Config


@pytest.fixture
def servers(built: Config, tmp_path: Path) -> Iterator[Servers]:
    app = create_app({"FEEDHUB_CONFIG": str(built.path)})
    flask_port = free_port()
    wsgi = make_server("127.0.0.1", flask_port, app, threaded=True)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    try:
        port = free_port()
        block = server_block(built.output_dir, port, f"127.0.0.1:{flask_port}")
        with Nginx(tmp_path / "nginx", block, port):
            yield Servers(flask_port, port, built)
    finally:
        wsgi.shutdown()
        thread.join(10)


def test_nginx_serves_the_files_with_flask_headers(servers: Servers) -> None:
    # One nginx for every case (starting one costs more than all the requests).
    for url in URLS:
        for encoding in ("", "gzip"):
            check_same(servers, url, encoding)


def check_same(servers: Servers, url: str, encoding: str) -> None:
    headers = {"Accept_Encoding": encoding} if encoding else {}
    ours = fetch(servers.flask, url, **headers)
    theirs = fetch(servers.nginx, url, **headers)
    assert ours.status == theirs.status == 200, (url, theirs.status, theirs.body[:200])
    assert theirs.body == ours.body
    # The file really comes from nginx: its ETag is mtime-size, Flask's a content hash.
    assert theirs.headers["Etag"] != ours.headers["Etag"]
    for name in SAME:
        assert theirs.headers.get(name) == ours.headers.get(name), (url, name)
    for reply, port in ((ours, servers.flask), (theirs, servers.nginx)):
        etag = reply.headers["Etag"]
        assert etag.startswith('"') and etag.endswith('"')
        again = fetch(port, url, If_None_Match=etag, **headers)
        assert again.status == 304 and again.body == b""
        since = fetch(port, url, If_Modified_Since=reply.headers["Last-Modified"], **headers)
        assert since.status == 304
        head = fetch(port, url, "HEAD", **headers)
        assert head.status == 200 and head.body == b""
        assert head.headers["Content-Length"] == str(len(reply.body))
    if encoding:
        name = "index.html" if url == "/" else url.lstrip("/").removeprefix("feeds/")
        name = name if not name.startswith("c/") else name + ".html"
        assert theirs.body == (servers.config.output_dir / f"{name}.gz").read_bytes()
        assert gzip.decompress(theirs.body)


def test_an_archive_without_gz_is_compressed_as_it_is_sent(servers: Servers) -> None:
    """Archive documents have no .gz (it does not pay): both servers compress them as they
    send them, and revalidate the compressed answer."""
    out = servers.config.output_dir
    name = "archive/news/1.rss"
    publish_file(out / name, (out / "news.rss").read_bytes(), datetime(2026, 1, 1, tzinfo=UTC),
                 gzip_level=gzip_level_for(name))
    assert (out / name).exists() and not gz_path(out / name).exists()
    replies = []
    for port in (servers.flask, servers.nginx):
        plain = fetch(port, "/feeds/" + name)
        zipped = fetch(port, "/feeds/" + name, Accept_Encoding="gzip")
        assert plain.status == zipped.status == 200
        assert "Content-Encoding" not in plain.headers
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.body) == plain.body == (out / name).read_bytes()
        again = fetch(port, "/feeds/" + name, If_None_Match=zipped.headers["Etag"],
                      Accept_Encoding="gzip")
        assert again.status == 304 and again.body == b""
        replies.append(zipped)
    ours, theirs = replies
    for header in SAME:
        assert theirs.headers.get(header) == ours.headers.get(header), header


PASSED_ON = [
    ("/feeds/all.atom?limit=2", {}),
    ("/feeds/all.atom?q=labour&_=1", {}),
    ("/feeds/news.rss", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ("/feeds/nope.rss", {}),
    ("/c/nope", {}),
    ("/healthz", {}),
    ("/feeds/all.rss.gz", {}),
    ("/feeds/../sources.yaml", {}),
    # Embed options: the app renders the iframe asked for, or refuses a value (400).
    ("/embed/news.html?limit=2&theme=dark", {}),
    ("/embed/news.html?limit=0", {}),
    ("/embed/news.js?theme=blue", {}),
    ("/embed/news.js?limit=3", {}),
]


def test_what_nginx_passes_on_is_the_apps_answer(servers: Servers) -> None:
    for url, headers in PASSED_ON:
        ours = fetch(servers.flask, url, **headers)
        theirs = fetch(servers.nginx, url, **headers)
        assert theirs.status == ours.status, url
        assert theirs.body == ours.body, url
        for name in ("Content-Type", "Etag", "Vary", "Cache-Control"):
            assert theirs.headers.get(name) == ours.headers.get(name), (url, name)


def test_feed_queries_follow_the_apps_rule(servers: Servers) -> None:
    """Tracking parameters and cache busters: nginx serves the file itself (its own ETag).
    A filter, an unknown or an encoded name: passed on, so the answer is the app's (a 400
    that lists what is supported, or the filtered feed, or the file with Flask's ETag)."""
    plain = fetch(servers.nginx, "/feeds/all.atom")
    for query in ("utm_source=x&_=1733610000000", "UTM_Campaign=y&fbclid=z", "t=1&q=",
                  "nocache"):
        theirs = fetch(servers.nginx, f"/feeds/all.atom?{query}")
        assert theirs.status == 200 and theirs.body == plain.body, query
        assert theirs.headers["Etag"] == plain.headers["Etag"], query  # nginx's, not Flask's
    for query, status in (("filterout=x", 400), ("limit=51", 400), ("limit=abc", 400),
                          ("Limit=2", 400), ("utm_source=x&filterout=1", 400),
                          ("limit=2&limit=3", 400), ("limit=2&utm_source=x", 200),
                          ("utm%5Fsource=x", 200)):
        ours = fetch(servers.flask, f"/feeds/all.atom?{query}")
        theirs = fetch(servers.nginx, f"/feeds/all.atom?{query}")
        assert theirs.status == ours.status == status, (query, theirs.status, theirs.body)
        assert theirs.body == ours.body, query
        assert theirs.headers.get("Etag") == ours.headers.get("Etag"), query
        assert theirs.headers["Cache-Control"] == ours.headers["Cache-Control"], query
        if status == 400:
            assert b"limit (a whole number from 1 to 50)" in theirs.body, query


def test_preflight_and_missing_files_go_to_the_app(servers: Servers) -> None:
    theirs = fetch(servers.nginx, "/feeds/news.rss", "OPTIONS", Origin="https://p.example",
                   Access_Control_Request_Method="GET")
    assert theirs.status == 204
    assert theirs.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in theirs.headers["Access-Control-Allow-Methods"]
    (servers.config.output_dir / "news.json").unlink()
    (servers.config.output_dir / "news.json.gz").unlink()
    theirs = fetch(servers.nginx, "/feeds/news.json")
    assert theirs.status == 503
    assert b"feedhub build" in theirs.body


def test_readme_holds_the_block_verbatim() -> None:
    readme = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    assert "```nginx\n" + SERVER_BLOCK.read_text(encoding="utf-8") + "```" in readme
