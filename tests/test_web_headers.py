"""HTTP semantics of served files: validators, 304, HEAD, caching, gzip, CORS, CSP, filters."""

from __future__ import annotations

import gzip
import os
import xml.etree.ElementTree as ET
from email.utils import formatdate, parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.store import open_store
from feedhub.web import Published, create_app

FEEDS = [f"/feeds/{slug}.{ext}" for slug in ("all", "news", "press-releases", "features")
         for ext in ("rss", "atom")]
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_has_strong_etag_and_last_modified_of_newest_change(
    client: FlaskClient, built: Config, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert client.get(url).headers["ETag"] == etag
    slug = url.rsplit("/", 1)[1].split(".")[0]
    with open_store(built.store, built.root) as store:
        newest = max(item.updated for item in store.items_for(slug, built.site.feed_size))
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert int(modified.timestamp()) == int(newest.timestamp())
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["Vary"] == "Accept-Encoding, Accept"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_if_none_match_gives_304_in_every_form(client: FlaskClient) -> None:
    first = client.get("/feeds/news.atom")
    etag = first.headers["ETag"]
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = client.get("/feeds/news.atom", headers={"If-None-Match": value})
        assert again.status_code == 304, value
        assert again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=900"
        assert again.headers["Vary"] == "Accept-Encoding, Accept"
    stale = client.get("/feeds/news.atom", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_if_modified_since_only_without_if_none_match(client: FlaskClient) -> None:
    first = client.get("/feeds/all.rss")
    modified = first.headers["Last-Modified"]
    seconds = int(parsedate_to_datetime(modified).timestamp())
    assert client.get("/feeds/all.rss", headers={"If-Modified-Since": modified}
                      ).status_code == 304
    later = formatdate(seconds + 3600, usegmt=True)
    assert client.get("/feeds/all.rss", headers={"If-Modified-Since": later}).status_code == 304
    earlier = formatdate(seconds - 1, usegmt=True)
    assert client.get("/feeds/all.rss", headers={"If-Modified-Since": earlier}
                      ).status_code == 200
    # A non-matching If-None-Match wins over a fresh If-Modified-Since.
    both = client.get("/feeds/all.rss", headers={"If-Modified-Since": later,
                                                 "If-None-Match": '"other"'})
    assert both.status_code == 200
    junk = client.get("/feeds/all.rss", headers={"If-Modified-Since": "yesterday"})
    assert junk.status_code == 200


def test_head_has_headers_and_no_body(client: FlaskClient) -> None:
    get = client.get("/feeds/features.rss")
    head = client.head("/feeds/features.rss")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(get.data))
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control"):
        assert head.headers[name] == get.headers[name]


def test_gzip_comes_from_the_precompressed_file(client: FlaskClient, built: Config) -> None:
    plain = client.get("/feeds/news.rss")
    zipped = client.get("/feeds/news.rss", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.data == (built.output_dir / "news.rss.gz").read_bytes()
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert zipped.headers["Content-Length"] == str(len(zipped.data))
    again = client.get("/feeds/news.rss", headers={"Accept-Encoding": "gzip",
                                                   "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
    refused = client.get("/feeds/news.rss", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    assert refused.data == plain.data


def test_gz_from_another_version_is_not_served(client: FlaskClient, built: Config) -> None:
    gz = built.output_dir / "news.rss.gz"
    gz.write_bytes(gzip.compress(b"stale"))
    os.utime(gz, (1, 1))
    zipped = client.get("/feeds/news.rss", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(zipped.data) == (built.output_dir / "news.rss").read_bytes()


def test_hot_file_is_not_read_again_until_it_changes(built: Config) -> None:
    published = Published(built)
    first = published.get("news.rss", "application/rss+xml")
    assert first is not None
    assert published.get("news.rss", "application/rss+xml") is first
    path = built.output_dir / "news.rss"
    data = path.read_bytes() + b"\n"
    path.write_bytes(data)
    second = published.get("news.rss", "application/rss+xml")
    assert second is not None and second is not first
    assert second.plain.body == data and second.plain.etag != first.plain.etag


def test_changed_feed_changes_etag_unchanged_keeps_it(client: FlaskClient, built: Config
                                                      ) -> None:
    """One feed, three times: rebuilt with nothing changed (same bytes, same ETag, and a
    reader's If-None-Match still gets 304), then rebuilt after one of its stories changed (new
    bytes, new ETag, the old ETag no longer matches)."""
    url = "/feeds/press-releases.rss"
    first = client.get(url)
    etag = first.headers["ETag"]
    build(built)
    unchanged = client.get(url)
    assert unchanged.data == first.data
    assert unchanged.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    source = built.root / "examples" / "press-releases.rss"
    text = source.read_text(encoding="utf-8")
    # A story only this source tells (a merged story keeps its earliest sighting's title).
    story = "Global employment outlook revised as recovery stalls"
    assert text.count(story) == 1
    source.write_text(text.replace(story, "Edited: " + story), encoding="utf-8")
    build(built)
    changed = client.get(url)
    assert changed.data != first.data and b"Edited: " in changed.data
    assert changed.headers["ETag"] != etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_cors_preflight_and_pages(client: FlaskClient) -> None:
    preflight = client.options("/feeds/news.json", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    page = client.get("/")
    assert "Access-Control-Allow-Origin" not in page.headers
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    missing = client.get("/feeds/nope.rss")
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in client.get("/feeds/news.rss").headers


def test_cors_allowlist(built: Config) -> None:
    config_path = built.path
    config_path.write_text(config_path.read_text(encoding="utf-8")
                           + "\nserve:\n  cors_origins: [https://partner.example]\n"
                           "  max_age: 5m\n", encoding="utf-8")
    client = create_app({"FEEDHUB_CONFIG": str(config_path), "TESTING": True}).test_client()
    allowed = client.get("/feeds/news.rss", headers={"Origin": "https://partner.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    assert allowed.headers["Vary"] == "Accept-Encoding, Origin, Accept"
    assert allowed.headers["Cache-Control"] == "public, max-age=300"
    other = client.get("/feeds/news.rss", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.data == allowed.data
    preflight = client.options("/feeds/news.rss", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_missing_file_is_503_with_what_to_do(app: Flask, built: Config) -> None:
    (built.output_dir / "news.atom").unlink()
    response = app.test_client().get("/feeds/news.atom")
    assert response.status_code == 503
    assert "feedhub build" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def _titles(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]


def test_tracking_and_cache_busting_parameters_are_ignored(client: FlaskClient) -> None:
    plain = client.get("/feeds/all.atom")
    busted = client.get("/feeds/all.atom?_=12345&utm_source=x&q=")
    assert busted.headers["ETag"] == plain.headers["ETag"]
    assert busted.data == plain.data


def test_limit_q_since_filter_from_the_store(client: FlaskClient, built: Config) -> None:
    everything = _titles(client.get("/feeds/all.atom").data)
    limited = client.get("/feeds/all.atom?limit=2&nocache=1")
    assert limited.status_code == 200
    assert _titles(limited.data) == everything[:2]
    assert limited.headers["ETag"] != client.get("/feeds/all.atom").headers["ETag"]
    assert limited.headers["Cache-Control"] == "public, max-age=900"
    assert client.get("/feeds/all.atom?limit=2", headers={
        "If-None-Match": limited.headers["ETag"]}).status_code == 304
    word = everything[0].split()[0]
    found = _titles(client.get(f"/feeds/all.atom?q={word.upper()}").data)
    assert everything[0] in found and len(found) < len(everything)
    assert _titles(client.get("/feeds/all.atom?q=zzzqqq-no-such-words").data) == []
    assert _titles(client.get("/feeds/all.atom?q=.*").data) == []
    with open_store(built.store, built.root) as store:
        items = store.items_for("all", 100)
    cut = sorted(item.updated for item in items)[len(items) // 2]
    since = _titles(client.get(f"/feeds/all.atom?since={cut.isoformat()}").data)
    assert sorted(since) == sorted(i.title for i in items if i.updated >= cut)
    assert 0 < len(since) < len(items)
    assert len(_titles(client.get(f"/feeds/all.atom?limit={len(everything)}").data)) == len(
        everything)


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=-1", "limit=100000",
                                   "since=yesterday", "q=" + "x" * 201, "filterout=x"])
def test_bad_parameters_are_400_in_one_line(client: FlaskClient, query: str) -> None:
    response = client.get(f"/feeds/news.rss?{query}")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body.startswith("400 Bad Request: ") and body.count("\n") == 1
    assert "Traceback" not in body


def test_filtered_answers_use_the_renderers(client: FlaskClient) -> None:
    rss = client.get("/feeds/news.rss?limit=1")
    assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert ET.fromstring(rss.data).tag == "rss"
    assert len(ET.fromstring(rss.data).findall("./channel/item")) == 1


def test_fast_path_and_flask_route_answer_alike(client: FlaskClient) -> None:
    """Feed URLs skip Flask's routing unless Flask must decide (here: Accept names text/html
    but prefers the feed); both must send the very same answer."""
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        fast = client.get("/feeds/news.rss", headers=headers)
        routed = client.get("/feeds/news.rss", headers={
            **headers, "Accept": "application/rss+xml, text/html;q=0.1"})
        assert routed.data == fast.data
        assert sorted(routed.headers.items()) == sorted(fast.headers.items())
        etag = fast.headers["ETag"]
        fast304 = client.get("/feeds/news.rss", headers={**headers, "If-None-Match": etag})
        routed304 = client.get("/feeds/news.rss", headers={
            **headers, "If-None-Match": etag, "Accept": "application/rss+xml, text/html;q=0.1"})
        assert fast304.status_code == routed304.status_code == 304
        assert sorted(routed304.headers.items()) == sorted(fast304.headers.items())
