"""Conditional answers the mutation run (scripts/mutation.sh web) found unchecked: the form of
Last-Modified, which Vary a page carries, If-None-Match lists, Accept-Encoding, and CORS
headers that appear once, only where they belong."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from feedhub.model import Config
from feedhub.web import create_app

# RFC 9110 5.6.7: the only date form a server may send (IMF-fixdate, always "GMT").
IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT\Z")


def test_last_modified_is_an_imf_fixdate(client: FlaskClient) -> None:
    for url in ("/feeds/news.rss", "/", "/feeds.opml"):
        modified = client.get(url).headers["Last-Modified"]
        assert IMF_FIXDATE.match(modified), (url, modified)


def test_only_feed_urls_vary_by_accept(client: FlaskClient) -> None:
    # A feed URL answers a browser with a page, so caches must key it by Accept; the index
    # page and the OPML list have one answer each, and Vary: Accept would only split caches.
    for url, vary in (("/", "Accept-Encoding"), ("/feeds.opml", "Accept-Encoding"),
                      ("/feeds/news.rss", "Accept-Encoding, Accept")):
        first = client.get(url)
        assert first.headers["Vary"] == vary, url
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["Vary"] == vary, url


def test_if_none_match_list_written_without_spaces(client: FlaskClient) -> None:
    etag = client.get("/feeds/news.atom").headers["ETag"]
    for value in (f'"old",{etag}', f'W/"old",W/{etag}'):
        assert client.get("/feeds/news.atom", headers={"If-None-Match": value}
                          ).status_code == 304, value


def test_gzip_exactly_when_the_client_accepts_it(client: FlaskClient) -> None:
    cases = {
        "gzip": True, "x-gzip": True, "X-Gzip": True, "*": True, "br,gzip": True,
        "gzip;q=1": True, "gzip; q=0.5": True, "br, *;q=0.1": True,
        "gzip;q=0": False, "gzip;q=bogus": False, "identity": False, "br, deflate": False,
    }
    plain = client.get("/feeds/news.rss", headers={"Accept-Encoding": "identity"}).data
    for accept, zipped in cases.items():
        response = client.get("/feeds/news.rss", headers={"Accept-Encoding": accept})
        assert (response.headers.get("Content-Encoding") == "gzip") is zipped, accept
        assert (response.data != plain) is zipped, accept


def test_one_allow_origin_header_on_every_answer(client: FlaskClient) -> None:
    # Browsers reject a response with two Access-Control-Allow-Origin values.
    first = client.get("/feeds/news.json", headers={"Origin": "https://partner.example"})
    again = client.get("/feeds/news.json", headers={"Origin": "https://partner.example",
                                                    "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    for response in (first, again):
        assert response.headers.getlist("Access-Control-Allow-Origin") == ["*"]
        assert len(response.headers.getlist("Access-Control-Expose-Headers")) == 1


def test_allowlisted_origin_reads_feeds_not_pages(built: Config) -> None:
    built.path.write_text(built.path.read_text(encoding="utf-8")
                          + "\nserve:\n  cors_origins: [https://partner.example]\n",
                          encoding="utf-8")
    client = create_app({"FEEDHUB_CONFIG": str(built.path), "TESTING": True}).test_client()
    origin = {"Origin": "https://partner.example"}
    feed = client.get("/feeds/news.rss", headers=origin)
    assert feed.headers.getlist("Access-Control-Allow-Origin") == ["https://partner.example"]
    for url in ("/", "/c/news"):
        page = client.get(url, headers=origin)
        assert page.status_code == 200
        assert "Access-Control-Allow-Origin" not in page.headers, url
