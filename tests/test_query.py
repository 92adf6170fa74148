"""A feed URL's query: filters, parameters nobody asked for, and everything else (a 400).

The rule (docs/serving.md, "Filters"): ``limit``, ``q`` and ``since`` filter; tracking
parameters and cache busters are ignored (the feed as published, same ETag); any other
parameter, a filter given twice, or a value out of range or unreadable is a one-line 400 that
lists what a feed URL takes. tests/test_nginx.py checks the same rule behind nginx.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.web import create_app
from feedhub.web.filters import is_plain, nginx_plain_args

ROOT = Path(__file__).resolve().parent.parent
FEED = "/feeds/all.atom"
NOT_A_BROWSER = {"Accept": "application/atom+xml, text/html;q=0.1"}
"""Names text/html (so the fast path leaves it to Flask's route) but prefers the feed."""


def _assert_400(client: FlaskClient, url: str, *said: str) -> str:
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 400, (url, response.status_code, body[:200])
    assert body.startswith("400 Bad Request: ") and body.count("\n") == 1, body
    for text in (*said, "limit (a whole number from 1 to 50)", "q (text to find, up to 200",
                 "since (an ISO 8601 date or time", "tracking parameters"):
        assert text in body, (url, text, body)
    assert response.headers["Cache-Control"] == "no-store"
    return body


@pytest.mark.parametrize(("query", "said"), [
    ("filterout=x", "unknown parameter 'filterout'"),
    ("filterout=x&utm_source=y&limit=2", "unknown parameter 'filterout'"),
    ("Limit=2", "unknown parameter 'Limit'"),
    ("format=rss&page=2", "unknown parameters 'format', 'page'"),
    ("limit=51", "limit must be a whole number from 1 to 50, got '51'"),
    ("limit=abc", "got 'abc'"),
    ("limit=0", "got '0'"),
    ("limit=-1", "got '-1'"),
    ("limit=%20", "got ' '"),
    ("limit=%C2%B2", "got '²'"),  # a digit to str.isdigit, not to int(): was a 500
    ("limit=" + "9" * 5000, "limit must be"),  # past int()'s 4300 digits: was a 500
    ("limit=2&limit=3", "limit is given more than once"),
    ("q=a&q=b", "q is given more than once"),
    ("q=" + "x" * 201, "q is limited to 200 characters, got 201"),
    ("since=yesterday", "since must be an ISO 8601 date or time"),
])
def test_bad_query_is_400_listing_what_is_supported(
    client: FlaskClient, query: str, said: str
) -> None:
    # Both ways in: the WSGI fast path (a reader) and Flask's route (Accept names text/html).
    _assert_400(client, f"{FEED}?{query}", said)
    response = client.get(f"{FEED}?{query}", headers=NOT_A_BROWSER)
    assert response.status_code == 400


@pytest.mark.parametrize("query", [
    "utm_source=mastodon&utm_medium=social", "UTM_Source=x", "fbclid=IwAR0abc", "gclid=1",
    "wt.mc_id=x", "_=1733610000000", "t=1733610000", "ts=1", "nocache", "cb=abc", "v=2",
    "NoCache=1", "q=", "limit=&since=", "&&", "utm_source=x&&_=1&q=",
])
def test_ignored_parameters_answer_the_feed_as_published(
    client: FlaskClient, query: str
) -> None:
    plain = client.get(FEED)
    for headers in ({}, NOT_A_BROWSER):
        response = client.get(f"{FEED}?{query}", headers=headers)
        assert response.status_code == 200, (query, response.get_data(as_text=True))
        assert response.data == plain.data
        assert response.headers["ETag"] == plain.headers["ETag"]
        assert response.headers["Cache-Control"] == plain.headers["Cache-Control"]


def test_filters_still_filter_beside_ignored_parameters(client: FlaskClient) -> None:
    plain = client.get(FEED)
    limited = client.get(f"{FEED}?limit=2&utm_source=x&_=1")
    assert limited.status_code == 200
    assert limited.headers["ETag"] != plain.headers["ETag"]
    assert limited.data.count(b"<entry>") == 2
    assert client.get(f"{FEED}?limit=50").status_code == 200


def test_a_category_limit_goes_up_to_its_own_feed_size(project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("    title: News\n", "    title: News\n    feed_size: 3\n"),
                       encoding="utf-8")
    config = load_config(project)
    assert config.feed_size("news") == 3
    assert build(config).ok
    client = create_app({"FEEDHUB_CONFIG": str(project), "TESTING": True}).test_client()
    assert client.get("/feeds/news.atom?limit=3").data.count(b"<entry>") == 3
    body = client.get("/feeds/news.atom?limit=4").get_data(as_text=True)
    assert "from 1 to 3, got '4'" in body
    # Without a limit, a filter shows at most the category's feed size.
    assert client.get("/feeds/news.atom?since=2000-01-01").data.count(b"<entry>") == 3


def test_nginx_conf_holds_the_pattern_made_from_the_lists() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert f'if ($args !~ "{nginx_plain_args()}") {{ set $to_app 1; }}' in conf


_PIECES = st.sampled_from([
    "limit", "q", "since", "Limit", "utm_source", "UTM_X", "utm%5Fsource", "fbclid", "_", "t",
    "ts", "T", "v", "wt.mc_id", "wtxmc_id", "filterout", "=", "&", "%26", "%3D", "+", "2",
    "abc", "", " ", "é", "%C3%A9", ";", "nocache",
])


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_what_nginx_serves_itself_the_app_calls_plain(args: str) -> None:
    """nginx answers a feed file only for a query the app would answer with that same file."""
    if re.fullmatch(nginx_plain_args(), args):
        assert is_plain(args), args


@pytest.mark.parametrize(("args", "nginx_serves"), [
    ("", True), ("utm_source=x&_=1", True), ("UTM_Source=x", True), ("q=", True),
    ("limit=2", False), ("filterout=x", False), ("utm%5Fsource=x", False), ("Limit=", False),
    ("_=1&limit=2", False), ("wtxmc_id=1", False),
])
def test_nginx_pattern_examples(args: str, nginx_serves: bool) -> None:
    assert bool(re.fullmatch(nginx_plain_args(), args)) is nginx_serves


def test_project_fixture_has_site_feed_size_50(config: Config) -> None:
    """The messages above say 1 to 50: the bundled sources.yaml's feed size."""
    assert config.site.feed_size == 50
