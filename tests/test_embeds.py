"""Partner embeds over HTTP (Flask's test client on the bundled sources, built for real): every
option of the iframe honoured on the server and checked for the script, every 400, the feed
URLs' rule for other parameters, conditional GET, CORS and the embed CSP with options, one
date text on pages and embeds, and hostile titles escaped in both embeds.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.publish.embeds import EMBED_ITEMS, FRAME_LIMIT, SCRIPT_LIMIT, frame_height
from feedhub.publish.humandate import human_date, language_tag
from feedhub.store import open_store
from feedhub.web import create_app

Doc = lxml.html.HtmlElement


def page(response: TestResponse) -> Doc:
    assert response.status_code == 200, response.get_data(as_text=True)
    return lxml.html.document_fromstring(response.data)


def script_data(body: bytes) -> dict[str, object]:
    text = body.decode("ascii")
    start = text.index("var feed = ") + len("var feed = ")
    data, _ = json.JSONDecoder().raw_decode(text, start)
    assert isinstance(data, dict)
    return data


def newest(config: Config, slug: str, count: int) -> list[tuple[str, datetime]]:
    with open_store(config.store, config.root) as store:
        return [(item.title, item.published) for item in store.items_for(slug, count)]


# -- the iframe honours every option ------------------------------------------------------------

@pytest.mark.parametrize("limit", [1, 3, 7])
def test_iframe_limit_shows_that_many_items(client: FlaskClient, built: Config, limit: int) -> None:
    doc = page(client.get(f"/embed/all.html?limit={limit}"))
    titles = [a.text_content() for a in doc.cssselect("li.feedhub-item .feedhub-link")]
    assert titles == [title for title, _ in newest(built, "all", limit)]


def test_iframe_defaults_are_light_ten_items_site_dates(client: FlaskClient, built: Config) -> None:
    doc = page(client.get("/embed/all.html"))
    assert doc.get("data-theme") == "light"
    assert doc.cssselect('meta[name="color-scheme"]')[0].get("content") == "light"
    assert len(doc.cssselect("li.feedhub-item")) == FRAME_LIMIT
    assert not doc.cssselect("img") and not doc.cssselect(".feedhub-summary")
    assert doc.cssselect('link[rel="stylesheet"]')[0].get("href") == "/static/embed.css"


@pytest.mark.parametrize(("theme", "scheme"), [("light", "light"), ("dark", "dark"),
                                               ("auto", "light dark")])
def test_iframe_theme(client: FlaskClient, theme: str, scheme: str) -> None:
    doc = page(client.get(f"/embed/news.html?theme={theme}"))
    assert doc.get("data-theme") == theme
    assert doc.cssselect('meta[name="color-scheme"]')[0].get("content") == scheme


PICTURES = """<?xml version='1.0' encoding='utf-8'?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>P</title>
<link>https://pictures.example/</link><description>d</description>
<item><title>Thumbnail story</title><link>https://pictures.example/1</link><category>News</category>
<pubDate>Mon, 01 Jan 2035 04:00:00 GMT</pubDate><media:thumbnail url="https://pictures.example/1.jpg"/></item>
<item><title>Enclosure story</title><link>https://pictures.example/2</link><category>News</category>
<pubDate>Mon, 01 Jan 2035 03:00:00 GMT</pubDate>
<enclosure url="https://pictures.example/2.png" type="image/png" length="100"/></item>
<item><title>Podcast story</title><link>https://pictures.example/3</link><category>News</category>
<pubDate>Mon, 01 Jan 2035 02:00:00 GMT</pubDate>
<enclosure url="https://pictures.example/3.mp3" type="audio/mpeg" length="100"/></item>
<item><title>Plain story</title><link>https://pictures.example/4</link><category>News</category>
<pubDate>Mon, 01 Jan 2035 01:00:00 GMT</pubDate></item>
</channel></rss>"""
"""Newest news stories: a media thumbnail, an image enclosure, an audio one, none."""


def add_source(project: Path, name: str, body: str) -> Config:
    """The bundled project with one more local feed in `news`, built as of 2035."""
    (project.parent / "examples" / name).write_text(body, encoding="utf-8")
    project.write_text(project.read_text() + f"\n  - id: {name.split('.')[0]}\n    kind: feed\n"
                       f"    path: examples/{name}\n    category: news\n")
    config = load_config(project)
    assert build(config, now=datetime(2035, 1, 2, tzinfo=UTC)).ok
    return config


def test_iframe_images_are_lazy_sized_thumbnails(project: Path) -> None:
    config = add_source(project, "pictures.rss", PICTURES)
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    assert not page(client.get("/embed/news.html?limit=4")).cssselect("img")
    assert not page(client.get("/embed/news.html?limit=4&images=0")).cssselect("img")
    doc = page(client.get("/embed/news.html?limit=4&images=1"))
    rows = doc.cssselect("li.feedhub-item")
    expected = ["https://pictures.example/1.jpg", "https://pictures.example/2.png", "", ""]
    for row, src in zip(rows, expected, strict=True):
        imgs = row.cssselect("img.feedhub-image")
        assert [img.get("src") for img in imgs] == ([src] if src else [])
        assert ("feedhub-has-image" in row.get("class", "")) == bool(src)
        for img in imgs:
            assert (img.get("width"), img.get("height")) == ("72", "48")
            assert img.get("loading") == "lazy" and img.get("alt") == ""
            assert img.get("referrerpolicy") == "no-referrer"
    items = script_data(client.get("/embed/news.js").data)["items"]
    assert isinstance(items, list)
    assert [item["image"] for item in items[:4]] == expected


def test_iframe_summary(client: FlaskClient, built: Config) -> None:
    assert not page(client.get("/embed/news.html?summary=0")).cssselect(".feedhub-summary")
    summaries = page(client.get("/embed/news.html?summary=1")).cssselect("p.feedhub-summary")
    assert len(summaries) >= 3 and all(p.text_content().strip() for p in summaries)


@pytest.mark.parametrize(("lang", "tag", "words"), [
    ("fr", "fr", "fr"), ("de", "de", "de"), ("en-GB", "en-GB", "en-GB"),
    ("en-gb", "en-GB", "en-GB"),
    # No catalog speaks Japanese: feedhub's words fall back to English, the dates do not.
    ("ja", "ja", "en")])
def test_iframe_lang_formats_dates(client: FlaskClient, built: Config, lang: str,
                                   tag: str, words: str) -> None:
    doc = page(client.get(f"/embed/all.html?lang={lang}&limit=4"))
    times = doc.cssselect("time.feedhub-date")
    expected = [human_date(when, tag) for _, when in newest(built, "all", 4)]
    assert [t.text_content() for t in times] == expected
    assert all(t.get("lang") == tag for t in times)
    # <html lang> is the language of feedhub's words; the stories stay in the site's (en).
    assert doc.get("lang") == words
    stories = [doc.cssselect(f"{name}.feedhub-{part}")[0] for name, part in (("ul", "items"),
                                                                             ("h1", "title"))]
    assert all(e.get("lang") == (None if words == "en" else "en") for e in stories)
    for t in times:
        assert datetime.fromisoformat(t.get("datetime").replace("Z", "+00:00")).tzinfo


def test_title_and_date_are_apart_in_markup(client: FlaskClient) -> None:
    """The issue's "...before 15 December24 November 2025": a space and a block of its own."""
    body = client.get("/embed/news.html").get_data(as_text=True)
    assert "</a><time" not in body and "</span><time" not in body
    doc = lxml.html.document_fromstring(body)
    item = doc.cssselect("li.feedhub-item")[0]
    link = item.cssselect(".feedhub-link")[0].text_content()
    date = item.cssselect("time")[0].text_content()
    assert f"{link} {date}" in re.sub(r"\s+", " ", item.text_content())
    css = client.get("/static/embed.css").get_data(as_text=True)
    assert re.search(r"\.feedhub-date\)\{display:block;margin-top:", css)


# -- one date text everywhere, one colon in the "more" line -------------------------------------

def test_pages_and_embeds_show_one_date_text_in_the_site_language(project: Path) -> None:
    project.write_text(project.read_text().replace("language: en", "language: fr", 1))
    config = load_config(project)
    assert build(config).ok
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    when = newest(config, "news", 1)[0][1]
    expected = human_date(when, "fr")
    assert re.search("[a-zé]+", expected) and expected == human_date(when, "fr-FR")
    category = page(client.get("/c/news"))
    assert category.cssselect("time")[0].text_content() == expected
    frame = page(client.get("/embed/news.html"))
    assert frame.cssselect("time.feedhub-date")[0].text_content() == expected
    assert frame.cssselect("time.feedhub-date")[0].get("lang") is None  # it is the page's
    data = script_data(client.get("/embed/news.js").data)
    assert data["lang"] == "fr" and data["dateStyle"] == "long"


def test_more_line_has_one_colon(client: FlaskClient) -> None:
    for slug, text in (("news", "More from ILO newsroom: News"), ("all", "More from ILO newsroom")):
        frame = page(client.get(f"/embed/{slug}.html"))
        assert frame.cssselect("a.feedhub-more")[0].text_content() == text
        assert script_data(client.get(f"/embed/{slug}.js").data)["chrome"]["en"]["more"] == text
        assert "::" not in text and text.count(":") <= 1


def test_language_tags_babel_has_no_data_for_are_refused() -> None:
    assert language_tag("EN-gb") == "en-GB" and language_tag("pt_BR") == "pt-BR"
    for bad in ("xx", "12", "", "en GB", "<script>", "e" * 40, "en-" + "a" * 40):
        assert language_tag(bad) == "", bad
    when = datetime(2025, 11, 24, 23, 30, tzinfo=UTC)
    assert human_date(when, "en-GB") == "24 November 2025"
    assert human_date(when, "en") == "November 24, 2025"
    assert human_date(when, "nope") == "November 24, 2025"  # unknown: the fallback, English


# -- the script embed ---------------------------------------------------------------------------

def test_script_carries_options_and_checks_its_query(client: FlaskClient, built: Config) -> None:
    plain = client.get("/embed/news.js")
    data = script_data(plain.data)
    assert data["limit"] == SCRIPT_LIMIT and data["max"] == EMBED_ITEMS
    assert data["theme"] == "inherit" and data["themes"] == ["light", "dark", "auto", "inherit"]
    assert data["imageSize"] == [72, 48]
    items = data["items"]
    assert isinstance(items, list)
    assert any(item["image"].startswith("https://") for item in items)
    for query in ("limit=3&theme=dark&images=1&summary=0&lang=fr", "theme=inherit",
                  "theme=auto&utm_source=x&_=17", "limit="):
        again = client.get(f"/embed/news.js?{query}")
        assert again.status_code == 200, (query, again.data)
        assert again.data == plain.data and again.headers["ETag"] == plain.headers["ETag"]


# -- what is not allowed ------------------------------------------------------------------------

BAD = [
    ("limit=0", "limit must be a whole number from 1 to 20, got '0'"),
    ("limit=21", "limit must be a whole number from 1 to 20, got '21'"),
    ("limit=abc", "limit must be a whole number from 1 to 20, got 'abc'"),
    ("limit=-1", "limit must be a whole number"),
    ("images=2", "images must be 1 or 0, got '2'"),
    ("summary=maybe", "summary must be 1 or 0, got 'maybe'"),
    ("lang=xx", "lang must be a language tag such as en, en-GB or fr, got 'xx'"),
    ("lang=%3Cscript%3E", "lang must be a language tag"),
    ("limit=2&limit=3", "limit is given more than once"),
    ("Limit=2", "unknown parameter 'Limit'"),
    ("colour=red&utm_source=x", "unknown parameter 'colour'"),
    ("theme=blue", "theme must be"),
]


@pytest.mark.parametrize("ext", ["html", "js"])
@pytest.mark.parametrize(("query", "message"), BAD)
def test_a_bad_option_is_a_400_that_says_what_is_allowed(
    client: FlaskClient, ext: str, query: str, message: str
) -> None:
    response = client.get(f"/embed/news.{ext}?{query}")
    assert response.status_code == 400, (query, response.data)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("400 Bad Request: ") and text.count("\n") == 1
    assert message in text, text
    assert "an embed URL takes limit (a whole number from 1 to 20), theme (" in text
    assert "images and summary (1 or 0) and lang (a language tag" in text


def test_theme_inherit_is_for_the_script_only(client: FlaskClient) -> None:
    frame = client.get("/embed/news.html?theme=inherit")
    assert frame.status_code == 400
    assert "theme must be light, dark or auto, got 'inherit'" in frame.get_data(as_text=True)
    assert client.get("/embed/news.js?theme=inherit").status_code == 200
    assert "theme must be light, dark, auto or inherit" in client.get(
        "/embed/news.js?theme=blue").get_data(as_text=True)


def test_limit_goes_up_to_what_a_smaller_feed_carries(project: Path) -> None:
    project.write_text(project.read_text().replace("language: en", "language: en\n  feed_size: 6",
                                                   1))
    config = load_config(project)
    assert build(config).ok
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    assert client.get("/embed/all.html?limit=6").status_code == 200
    refused = client.get("/embed/all.html?limit=7")
    assert refused.status_code == 400
    assert b"from 1 to 6" in refused.data
    assert script_data(client.get("/embed/all.js").data)["max"] == 6
    assert len(page(client.get("/embed/all.html")).cssselect("li")) == 6  # default 10, capped


# -- the feed URLs' rule, conditional GET, CORS, CSP --------------------------------------------

def test_ignored_parameters_and_default_options_answer_the_published_file(
    client: FlaskClient, built: Config
) -> None:
    plain = client.get("/embed/news.html")
    published = (built.output_dir / "embed" / "news.html").read_bytes()
    assert plain.data == published
    for query in ("utm_source=x&fbclid=y", "_=1733610000000&nocache", "theme=light",
                  "limit=10&lang=en&images=0&summary=false", "limit=&theme=", "utm_x=1"):
        again = client.get(f"/embed/news.html?{query}")
        assert again.status_code == 200, (query, again.data)
        assert again.headers["ETag"] == plain.headers["ETag"], query
        assert again.data == published, query


def test_options_rendered_on_request_revalidate_with_304(client: FlaskClient) -> None:
    url = "/embed/news.html?limit=2&theme=dark&lang=fr"
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag != client.get("/embed/news.html").headers["ETag"]
    assert client.get(url).headers["ETag"] == etag  # the same bytes for the same options
    assert client.get("/embed/news.html?lang=fr&theme=dark&limit=2").data == first.data
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"},
                    {"If-Modified-Since": modified}):
        again = client.get(url, headers=headers)
        assert again.status_code == 304, headers
        assert again.data == b"" and again.headers["ETag"] == etag
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers[
        "ETag"]}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(first.data))
    script = client.get("/embed/news.js?limit=2")
    assert client.get("/embed/news.js?limit=2", headers={
        "If-None-Match": script.headers["ETag"]}).status_code == 304


def test_options_keep_cors_caching_and_the_embed_csp(client: FlaskClient) -> None:
    for url in ("/embed/news.html?limit=3&images=1", "/embed/news.html",
                "/embed/news.js?theme=dark", "/static/embed.css"):
        response = client.get(url, headers={"Origin": "https://partner.example"})
        assert response.status_code == 200, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert response.headers["Cache-Control"] == "public, max-age=900", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if ".html" in url:
            csp = response.headers["Content-Security-Policy"]
            assert "frame-ancestors *" in csp and "script-src 'self'" in csp
            assert "style-src 'self'" in csp and "default-src 'none'" in csp
    preflight = client.options("/embed/news.html?limit=2", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204


def test_an_allowlist_echoes_the_partner_origin_with_options(project: Path) -> None:
    project.write_text(project.read_text() + "\nserve:\n  cors_origins: [https://partner.example]\n")
    config = load_config(project)
    assert build(config).ok
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    allowed = client.get("/embed/news.html?limit=2", headers={"Origin": "https://partner.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/embed/news.html?limit=2", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_options_follow_a_new_build(built: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(built.path), "TESTING": True}).test_client()
    before = client.get("/embed/news.html?limit=1&theme=dark")
    feed = built.root / "examples" / "press-releases.rss"
    text = feed.read_text(encoding="utf-8")
    story = ("<item><title>A brand new story</title><link>https://www.ilo.org/new-story</link>"
             "<category>News</category><pubDate>Mon, 01 Jan 2035 00:00:00 GMT</pubDate></item>")
    feed.write_text(text.replace("<item>", story + "<item>", 1), encoding="utf-8")
    assert build(load_config(built.path), now=datetime(2035, 1, 2, tzinfo=UTC)).ok
    monkeypatch.setattr("feedhub.web.filters.BUILD_CHECK_EVERY", 0.0)  # no waiting a second
    after = client.get("/embed/news.html?limit=1&theme=dark")
    assert b"A brand new story" in after.data and b"A brand new story" not in before.data


# -- hostile titles -----------------------------------------------------------------------------

HOSTILE = "</a></time><script>alert('t')</script><img src=x onerror=alert(1)> & \"q\" 'quote' </li>"


@pytest.fixture
def hostile_client(project: Path) -> tuple[FlaskClient, str]:
    folder = project.parent
    atom = ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            "<id>urn:uuid:11111111-1111-4111-8111-111111111111</id><title>H</title>"
            "<updated>2035-01-01T00:00:00Z</updated><entry>"
            "<id>urn:uuid:00000000-0000-4000-8000-000000000001</id>"
            f"<title type='text'>{_xml(HOSTILE)}</title>"
            "<link rel='alternate' href='https://hostile.example/story'/>"
            "<updated>2035-01-01T00:00:00Z</updated><category term='News'/>"
            f"<summary type='text'>{_xml(HOSTILE)}</summary></entry></feed>")
    (folder / "examples" / "hostile.atom").write_text(atom, encoding="utf-8")
    project.write_text(project.read_text() + "\n  - id: hostile\n    kind: feed\n"
                       "    path: examples/hostile.atom\n    category: news\n")
    config = load_config(project)
    assert build(config, now=datetime(2035, 1, 2, tzinfo=UTC)).ok
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    with open_store(config.store, config.root) as store:
        title = store.items_for("news", 1)[0].title
    return client, title


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("query", ["", "?limit=2&summary=1&images=1&theme=dark&lang=de"])
def test_hostile_titles_are_text_in_the_iframe(
    hostile_client: tuple[FlaskClient, str], query: str
) -> None:
    client, title = hostile_client
    assert "<script>" in title  # the title really is hostile, and kept as the text it is
    body = client.get(f"/embed/news.html{query}").get_data(as_text=True)
    assert "<script>" not in body and "onerror=alert(1)>" not in body
    doc = lxml.html.document_fromstring(body)
    assert not doc.cssselect("script") and not doc.cssselect("img:not(.feedhub-image)")
    assert doc.cssselect("a.feedhub-link")[0].text_content() == title
    assert len(doc.cssselect("time")) == len(doc.cssselect("li.feedhub-item"))
    if query:
        # The summary's markup was sanitised away at normalise; what is left is its text.
        assert "& \"q\" 'quote'" in doc.cssselect("p.feedhub-summary")[0].text_content()


def test_hostile_titles_are_data_in_the_script(hostile_client: tuple[FlaskClient, str]) -> None:
    client, title = hostile_client
    body = client.get("/embed/news.js?limit=2").data
    assert b"<" not in body.split(b"var feed = ", 1)[1].split(b";\n", 1)[0]
    assert b"</script" not in body.split(b"(function", 1)[1].lower()
    items = script_data(body)["items"]
    assert isinstance(items, list) and items[0]["title"] == title


def test_the_docs_give_the_real_heights_and_message(client: FlaskClient) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "embedding.md").read_text()
    for limit in (1, 3, 5, 10):
        assert f"| {frame_height(limit)} | {frame_height(limit, summary=True)} |" in text
    assert frame_height(FRAME_LIMIT) == 790
    message = client.get("/embed/news.html?limit=50").get_data(as_text=True).strip()
    assert f"```text\n{message}\n```" in text
