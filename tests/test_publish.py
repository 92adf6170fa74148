"""What the publisher writes for the bundled sources: every format, paging, pages, embeds, WebSub,
and conformance (RFC 4287 RELAX NG, feedparser, JSON Feed schema)."""

from __future__ import annotations

import gzip
import json
import re
import urllib.parse
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
import yaml
from flask.testing import FlaskClient
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.publish import publish_all
from feedhub.store import open_store

from .support.conformance import atom_schema_problems, json_feed_problems, parsed_ids
from .support.httpd import LocalServer, Reply, Request

ATOM = "{http://www.w3.org/2005/Atom}"
HISTORY = "{http://purl.org/syndication/history/1.0}"


def _edit_site(config: Config, **site: object) -> Config:
    data = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    data["site"].update(site)
    config.path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(config.path)


def _json_ids(path: Path) -> list[str]:
    return [item["id"] for item in json.loads(path.read_bytes())["items"]]


# -- conformance of every file the bundled sources produce ---------------------------------------

def test_bundled_atom_feeds_and_archives_pass_rfc4287_relax_ng(config: Config) -> None:
    config = _edit_site(config, feed_size=3, icon="https://news.example.org/icon.png",
                        logo="https://news.example.org/logo.png")
    assert build(config).ok
    files = sorted(config.output_dir.rglob("*.atom"))
    assert len(files) > 4, "archives were expected with feed_size 3"
    assert atom_schema_problems(files) == []


def test_every_format_parses_back_with_the_same_ids(built: Config) -> None:
    out = built.output_dir
    for slug in built.feed_slugs:
        rss, atom = parsed_ids(out / f"{slug}.rss"), parsed_ids(out / f"{slug}.atom")
        assert rss == atom == _json_ids(out / f"{slug}.json")
        assert len(rss) == len(set(rss)) > 0
        assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in rss)


def test_json_feeds_pass_the_json_feed_schema(built: Config) -> None:
    for slug in built.feed_slugs:
        data = (built.output_dir / f"{slug}.json").read_bytes()
        assert json_feed_problems(data) == [], slug
    feed = json.loads((built.output_dir / "all.json").read_bytes())
    assert feed["feed_url"] == "http://127.0.0.1:8000/feeds/all.json"
    assert feed["home_page_url"] == "http://127.0.0.1:8000/c/all"
    assert feed["language"] == "en"
    jpm = next(i for i in feed["items"] if i["title"].startswith("ILO teams with J.P"))
    assert "<strong>International Labour Organization (ILO)</strong>" in jpm["content_html"]
    assert jpm["date_published"] == "2021-05-18T00:00:00Z"
    assert "Press releases" in jpm["tags"]


def test_json_schema_check_can_fail() -> None:
    bad = {"version": "https://jsonfeed.org/version/1.1", "title": "x",
           "items": [{"id": "1", "url": "javascript:alert(1)"}, {"id": "1", "content_text": ""}]}
    problems = json_feed_problems(json.dumps(bad).encode())
    assert any("duplicate" in p for p in problems)
    assert len(problems) >= 3


def test_rss_and_atom_carry_what_readers_use(config: Config) -> None:
    config = _edit_site(config, icon="https://news.example.org/icon.png",
                        logo="https://news.example.org/logo.png")
    assert build(config).ok
    # A story edited at its source after publication: its edit time must not become its
    # pubDate (RSS has no field for it).
    source = config.root / "examples" / "press-releases.rss"
    story = "Global employment outlook revised as recovery stalls"
    source.write_text(source.read_text(encoding="utf-8").replace(story, story + " (corrected)"),
                      encoding="utf-8")
    assert build(config).ok
    with open_store(config.store, config.root) as store:
        stored = {f"urn:uuid:{i.id}": i for i in store.items_for("press-releases", 50)}
    edited = next(i for i in stored.values() if i.title == story + " (corrected)")
    assert edited.updated > edited.published
    out = config.output_dir
    rss = etree.parse(str(out / "press-releases.rss"))
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("ttl") == "60" and channel.findtext("language") == "en"
    assert channel.findtext("generator", "").startswith("feedhub")
    assert channel.findtext("image/url") == "https://news.example.org/logo.png"
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "http://127.0.0.1:8000/feeds/press-releases.rss"
    pub_dates = {}
    for item in channel.iterfind("item"):
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        pub_dates[guid.text] = (item.findtext("title"), item.findtext("pubDate"))
    # The whole value: RFC 822 in UTC, of the published date (never the updated one).
    assert pub_dates == {guid: (i.title, format_datetime(i.published.astimezone(UTC)))
                         for guid, i in stored.items()}
    by_title = dict(pub_dates.values())
    assert by_title[story + " (corrected)"] == "Fri, 30 Apr 2021 10:00:00 +0000"
    assert by_title["World Day against Child Labour: statement of the Director-General"] == \
        "Thu, 27 May 2021 08:30:00 +0000"
    # Given as 09:00 +0200 here, and as the day alone by the newsroom: the earliest wins.
    assert by_title["ILO teams with J.P Morgan to support women entrepreneurs"] == \
        "Tue, 18 May 2021 00:00:00 +0000"
    encoded = channel.findall("item/{http://purl.org/rss/1.0/modules/content/}encoded")
    assert any("<strong>" in (e.text or "") for e in encoded)
    # No XSL: a browser opening a feed gets the category page (docs/formats.md says why).
    assert b"<?xml-stylesheet" not in (out / "press-releases.rss").read_bytes()
    assert b"<?xml-stylesheet" not in (out / "news.atom").read_bytes()
    atom = etree.parse(str(out / "news.atom")).getroot()
    assert atom.findtext(f"{ATOM}icon") == "https://news.example.org/icon.png"
    assert atom.findtext(f"{ATOM}logo") == "https://news.example.org/logo.png"
    rels = {link.get("rel") for link in atom.iterfind(f"{ATOM}link")}
    assert rels == {"self", "alternate"}
    thumbs = atom.findall(f"{ATOM}entry/{{http://search.yahoo.com/mrss/}}thumbnail")
    assert thumbs and all(t.get("url", "").startswith("https://") for t in thumbs)
    assert atom.findall(f"{ATOM}entry/{ATOM}source/{ATOM}id")


def test_feed_date_is_the_newest_item_change_not_the_build_time(built: Config) -> None:
    with open_store(built.store, built.root) as store:
        newest = max(item.updated for item in store.items_for("news", 50))
    rss = feedparser.parse((built.output_dir / "news.rss").read_bytes())
    assert parsedate_to_datetime(rss.feed.updated) == newest.replace(microsecond=0)
    atom = etree.parse(str(built.output_dir / "news.atom")).getroot()
    updated = datetime.fromisoformat(atom.findtext(f"{ATOM}updated", ""))
    assert newest.replace(microsecond=0) <= updated < newest.replace(microsecond=0) + \
        timedelta(seconds=1)
    # A later build with nothing new leaves both dates (and the bytes) as they were.
    before = (built.output_dir / "news.rss").read_bytes()
    assert build(load_config(built.path), now=datetime.now(UTC) + timedelta(days=3)).ok
    assert (built.output_dir / "news.rss").read_bytes() == before


def test_atom_entries_never_share_updated(built: Config) -> None:
    atom = etree.parse(str(built.output_dir / "all.atom")).getroot()
    values = [e.findtext(f"{ATOM}updated") for e in atom.iterfind(f"{ATOM}entry")]
    assert len(values) == len(set(values)) == 14
    again = etree.parse(str(built.output_dir / "features.atom")).getroot()
    by_id = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated")
             for e in atom.iterfind(f"{ATOM}entry")}
    for entry in again.iterfind(f"{ATOM}entry"):
        assert by_id[entry.findtext(f"{ATOM}id")] == entry.findtext(f"{ATOM}updated")


# -- paging (RFC 5005 archives) ------------------------------------------------------------------

def _walk_atom(out: Path, url: str) -> list[str]:
    """Follow prev-archive from the subscription document; return every entry id seen."""
    seen: list[str] = []
    visited = 0
    while url:
        visited += 1
        assert visited < 20
        path = out / urllib.parse.urlsplit(url).path.removeprefix("/feeds/")
        root = etree.parse(str(path)).getroot()
        seen += [e.findtext(f"{ATOM}id", "") for e in root.iterfind(f"{ATOM}entry")]
        prev = root.find(f"{ATOM}link[@rel='prev-archive']")
        url = prev.get("href", "") if prev is not None else ""
    return seen


def test_archives_let_a_reader_walk_back_to_every_item(config: Config) -> None:
    config = _edit_site(config, feed_size=3)
    assert build(config).ok
    out = config.output_dir
    with open_store(config.store, config.root) as store:
        every = {f"urn:uuid:{i.id}" for i in store.items_for("all", 1000)}
    assert len(every) == 14
    assert len(parsed_ids(out / "all.atom")) == 3
    assert set(_walk_atom(out, "http://127.0.0.1:8000/feeds/all.atom")) == every
    # 14 items in pages of 3: archives 1..4 (12 oldest), each complete and marked as archive.
    assert sorted(p.name for p in (out / "archive" / "all").glob("*.atom")) == \
        ["1.atom", "2.atom", "3.atom", "4.atom"]
    first = etree.parse(str(out / "archive" / "all" / "1.atom")).getroot()
    assert first.find(f"{HISTORY}archive") is not None
    rels = {link.get("rel"): link.get("href") for link in first.iterfind(f"{ATOM}link")}
    assert rels["current"] == "http://127.0.0.1:8000/feeds/all.atom"
    assert rels["next-archive"] == "http://127.0.0.1:8000/feeds/archive/all/2.atom"
    assert "prev-archive" not in rels
    # JSON Feed: next_url walks back the same way.
    ids: list[str] = []
    path = out / "all.json"
    while True:
        feed = json.loads(path.read_bytes())
        assert json_feed_problems(path.read_bytes()) == []
        ids += [item["id"] for item in feed["items"]]
        if "next_url" not in feed:
            break
        path = out / urllib.parse.urlsplit(feed["next_url"]).path.removeprefix("/feeds/")
    assert set(ids) == every
    # RSS archives parse too, with the same ids as the Atom ones.
    assert parsed_ids(out / "archive" / "all" / "2.rss") == \
        parsed_ids(out / "archive" / "all" / "2.atom")


def _add_press_release(config: Config) -> None:
    """A new story, "Brand new story", at the top of the bundled press releases feed."""
    feed = config.root / "examples" / "press-releases.rss"
    text = feed.read_text(encoding="utf-8")
    start = text.index("<item>")
    fresh = text[start:text.index("</item>", start) + 7]
    fresh = re.sub(r"<link>[^<]*</link>", "<link>https://www.ilo.org/new-story</link>", fresh)
    fresh = re.sub(r"<guid[^<]*</guid>", "", fresh)
    fresh = re.sub(r"<title>[^<]*</title>", "<title>Brand new story</title>", fresh)
    fresh = re.sub(r"<pubDate>[^<]*</pubDate>",
                   "<pubDate>Mon, 31 May 2021 09:00:00 GMT</pubDate>", fresh)
    feed.write_text(text[:start] + fresh + text[start:], encoding="utf-8")


def test_old_archives_stay_put_when_news_arrives(config: Config) -> None:
    config = _edit_site(config, feed_size=3)
    assert build(config).ok
    archive = config.output_dir / "archive" / "all" / "1.atom"
    before = archive.read_bytes()
    _add_press_release(config)
    report = build(load_config(config.path))
    assert report.ok and report.sources[1].new == 1
    assert archive.read_bytes() == before
    # Archives whose inputs did not change are not even rendered again: 15 items in pages of 3
    # make a fifth archive, which changes only the fourth (it gains a next-archive link).
    skipped = report.published.skipped
    assert {f"archive/all/{n}.{ext}" for n in (1, 2, 3) for ext in ("rss", "atom", "json")
            } <= set(skipped)
    assert not [n for n in skipped if n.startswith(("archive/all/4.", "archive/all/5."))]
    assert {"archive/all/4.atom", "archive/all/5.atom"} <= set(report.published.written)
    assert not [n for n in report.published.written if n.startswith("archive/all/1.")]
    archive.unlink()
    assert build(load_config(config.path)).ok
    assert archive.read_bytes() == before
    assert "Brand new story" in (config.output_dir / "all.atom").read_text(encoding="utf-8")


def _head_links(path: Path) -> dict[str, str]:
    """rel -> href of the feed-level atom:links of an Atom or RSS document."""
    root = etree.parse(str(path)).getroot()
    head = root if root.tag == f"{ATOM}feed" else root.find("channel")
    assert head is not None
    return {link.get("rel", ""): link.get("href", "") for link in head.iterfind(f"{ATOM}link")}


def _marked_archive(path: Path) -> bool:
    root = etree.parse(str(path)).getroot()
    return root.find(f".//{HISTORY}archive") is not None


def test_a_lone_archive_links_its_feed_and_is_marked_once_a_second_comes(
        config: Config) -> None:
    # RFC 5005 gives an archive that is both the oldest and the newest neither prev-archive
    # nor next-archive; the W3C Feed Validator warns ArchiveIncomplete on fh:archive without
    # one of them, so a lone archive goes unmarked until it has a neighbour.
    config = _edit_site(config, feed_size=3)
    assert build(config).ok
    out, base = config.output_dir, "http://127.0.0.1:8000/feeds"
    # 5 press releases in pages of 3: the subscription document and exactly one archive.
    assert sorted(p.name for p in (out / "archive" / "press-releases").glob("*.atom")) == \
        ["1.atom"]
    for ext in ("atom", "rss"):
        feed, lone = out / f"press-releases.{ext}", out / "archive" / "press-releases" / f"1.{ext}"
        assert _head_links(feed)["prev-archive"] == f"{base}/archive/press-releases/1.{ext}"
        assert not _marked_archive(feed)
        links = _head_links(lone)
        assert links["self"] == f"{base}/archive/press-releases/1.{ext}"
        assert links["current"] == f"{base}/press-releases.{ext}"
        assert "prev-archive" not in links and "next-archive" not in links
        assert not _marked_archive(lone)
    # Archives with neighbours keep the marker: `all` (14 items) has four.
    marked = [p for p in (out / "archive" / "all").glob("*.*") if p.suffix in (".atom", ".rss")]
    assert len(marked) == 8
    assert all(_marked_archive(path) for path in marked)
    # A sixth press release makes a second archive: the first gains its next-archive link and
    # the marker in the same publish, and the second links back to it.
    _add_press_release(config)
    assert build(load_config(config.path)).ok
    for ext in ("atom", "rss"):
        first = out / "archive" / "press-releases" / f"1.{ext}"
        second = out / "archive" / "press-releases" / f"2.{ext}"
        assert _head_links(first)["next-archive"] == f"{base}/archive/press-releases/2.{ext}"
        assert _head_links(second)["prev-archive"] == f"{base}/archive/press-releases/1.{ext}"
        assert "next-archive" not in _head_links(second)
        assert _marked_archive(first) and _marked_archive(second)
        assert _head_links(out / f"press-releases.{ext}")["prev-archive"] == \
            f"{base}/archive/press-releases/2.{ext}"


# -- files on disk -------------------------------------------------------------------------------

def test_every_feed_but_archives_has_a_byte_stable_gz_beside_it(config: Config) -> None:
    built = _edit_site(config, feed_size=3)
    assert build(built).ok
    out = built.output_dir
    paths = [*out.rglob("*.rss"), *out.rglob("*.atom"), *out.rglob("*.json")]
    archives = [path for path in paths if "archive" in path.relative_to(out).parts]
    assert archives and len(archives) < len(paths)
    for path in paths:
        if path in archives:  # fetched about once each: the servers compress them
            assert not path.with_name(path.name + ".gz").exists(), path
            continue
        zipped = path.with_name(path.name + ".gz").read_bytes()
        assert gzip.decompress(zipped) == path.read_bytes()
        assert zipped[4:8] == b"\0\0\0\0"  # gzip header mtime fixed: same bytes, same .gz


def test_a_gz_an_earlier_publish_left_beside_an_archive_goes(config: Config) -> None:
    """nginx's gzip_static would serve a .gz however old: when the archive is written again,
    the one an older feedhub wrote beside it is removed, not left to go stale."""
    built = _edit_site(config, feed_size=3)
    assert build(built).ok
    out = built.output_dir
    archive = out / "archive" / "all" / "1.rss"
    stale = archive.with_name("1.rss.gz")
    stale.write_bytes(gzip.compress(b"<rss>old</rss>"))
    (out / "archive" / "all" / "index.json").unlink()  # so the archive is rendered again
    with open_store(built.store, built.root) as store:
        report = publish_all(built, store, processes=1)
    assert "archive/all/1.rss" in report.unchanged  # same bytes: only the .gz went
    assert archive.exists() and not stale.exists()


def test_pages_link_the_site_by_path_under_base_urls_path(project: Path) -> None:
    """Served at another port (`feedhub serve --port 8080`, `PORT=8080 ./run.sh`) a page's
    stylesheet and links still work; under a base_url with a path they keep that path.
    Feeds and embed.js, read away from this site, keep absolute URLs."""
    text = project.read_text().replace("base_url: http://127.0.0.1:8000",
                                       "base_url: https://example.org/news", 1)
    project.write_text(text)
    config = load_config(project)
    assert build(config).ok
    out = config.output_dir
    page = (out / "c" / "news.html").read_text(encoding="utf-8")
    assert 'href="/news/static/feedhub.css"' in page
    assert 'href="/news/feeds/news.rss"' in page and 'href="/news/"' in page
    assert "example.org/news/static" not in page
    assert 'href="/news/c/news"' in (out / "index.html").read_text(encoding="utf-8")
    assert b'href="https://example.org/news/feeds/news.rss"' in (out / "news.rss").read_bytes()
    assert b'"page": "https://example.org/news/c/news"' in (out / "embed" / "news.js").read_bytes()


def test_pages_and_lists_are_well_formed_and_self_contained(built: Config) -> None:
    out = built.output_dir
    pages = [out / "index.html", *(out / "c").glob("*.html"), *(out / "embed").glob("*.html")]
    assert len(pages) == 1 + 4 + 4
    for page in pages:
        root = etree.parse(str(page)).getroot()
        # The only script is the site's own file (copy buttons), never inline code.
        for script in root.iter("script"):
            assert script.get("src") == "/static/feedhub.js", page
            assert not (script.text or "").strip(), page
        for image in root.iter("img"):  # the stories' own pictures
            assert re.match(r"https?://", image.get("src", "")), page
        for element in root.iter():
            for attr in ("src", "href"):
                url = element.get(attr)
                if url and element.tag in ("link", "script"):
                    # This site's own files, by path: a page works on any host and port
                    # that serves it, not only at base_url.
                    assert ((url.startswith("/") and not url.startswith("//"))
                            or url == "data:,"), url
        assert root.find(".//meta[@name='viewport']") is not None
    index = (out / "index.html").read_text(encoding="utf-8")
    for slug in built.feed_slugs:
        for ext, mime in (("rss", "application/rss+xml"), ("atom", "application/atom+xml"),
                          ("json", "application/feed+json")):
            assert (f'<link rel="alternate" type="{mime}"' in index
                    and f'href="/feeds/{slug}.{ext}"/>' in index)
    news = (out / "c" / "news.html").read_text(encoding="utf-8")
    assert "Climate Action for Jobs initiative launches in Africa" in news
    assert 'href="https://www.ilo.org/africa/about-us/offices/abidjan/WCMS_789882/' in news
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert opml.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in opml.iter("outline")]
    assert urls == [f"http://127.0.0.1:8000/feeds/{s}.rss" for s in built.feed_slugs]
    assert not (out / "static" / "feed.xsl").exists()


def test_embed_script_carries_the_newest_items_and_no_risky_api(built: Config) -> None:
    script = (built.output_dir / "embed" / "news.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function",
                  "document.write", ".style"):
        assert risky not in script, risky
    assert script.lstrip().startswith("/*") and "(function () {" in script
    assert script.rstrip().endswith("})();")
    data = json.loads(re.search(r"var feed = (\{.*?\});\n", script).group(1))  # type: ignore[union-attr]
    titles = [e.title for e in feedparser.parse(
        (built.output_dir / "news.atom").read_bytes()).entries]
    assert [item["title"] for item in data["items"]] == titles
    assert data["script"] == "/embed/news.js"
    assert script.isascii()


# -- WebSub ---------------------------------------------------------------------------------------

def _hub(httpd: LocalServer, status: int = 204) -> list[dict[str, list[str]]]:
    pings: list[dict[str, list[str]]] = []

    def handler(request: Request) -> Reply:
        length = int(request.headers.get("Content-Length", "0"))
        body = request.handler.rfile.read(length).decode("ascii")
        pings.append(urllib.parse.parse_qs(body))
        return Reply(status, b"")

    httpd.route("/hub", handler=handler)
    return pings


def test_websub_hub_is_named_and_notified_of_changed_feeds(
        config: Config, httpd: LocalServer) -> None:
    pings = _hub(httpd)
    config = _edit_site(config, websub_hub=httpd.url("/hub"))
    report = build(config)
    assert report.ok and report.published.hub_errors == []
    urls = sorted(p["hub.url"][0] for p in pings)
    assert all(p["hub.mode"] == ["publish"] for p in pings)
    assert urls == sorted(f"http://127.0.0.1:8000/feeds/{slug}.{ext}"
                          for slug in config.feed_slugs for ext in ("rss", "atom", "json"))
    atom = etree.parse(str(config.output_dir / "news.atom")).getroot()
    assert atom.find(f"{ATOM}link[@rel='hub']").get("href") == httpd.url("/hub")  # type: ignore[union-attr]
    rss = (config.output_dir / "news.rss").read_text(encoding="utf-8")
    assert f'<atom:link rel="hub" href="{httpd.url("/hub")}"/>' in rss
    feed = json.loads((config.output_dir / "news.json").read_bytes())
    assert feed["hubs"] == [{"type": "WebSub", "url": httpd.url("/hub")}]
    # Nothing changed: the hub hears nothing.
    assert build(load_config(config.path), now=datetime.now(UTC) + timedelta(hours=1)).ok
    assert len(pings) == len(urls)


def test_a_failing_hub_is_reported_and_never_fails_the_build(
        config: Config, httpd: LocalServer) -> None:
    _hub(httpd, status=500)
    config = _edit_site(config, websub_hub=httpd.url("/hub"))
    report = build(config)
    assert report.ok
    assert report.published.hub_errors
    assert "answered 500" in report.published.hub_errors[0]
    assert (config.output_dir / "news.atom").exists()


def test_an_unreachable_hub_is_reported(config: Config, httpd: LocalServer) -> None:
    url = httpd.url("/hub")
    httpd.__exit__()
    config = _edit_site(config, websub_hub=url)
    report = build(config)
    assert report.ok and report.published.hub_errors
    assert "unreachable" in report.published.hub_errors[0]


# -- served ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "mime"), [
    ("/feeds/news.json", "application/feed+json; charset=utf-8"),
    ("/feeds.opml", "text/x-opml; charset=utf-8"),
    ("/c/news", "text/html; charset=utf-8"),
    ("/embed/news.js", "text/javascript; charset=utf-8"),
    ("/embed/news.html", "text/html; charset=utf-8"),
    ("/static/feedhub.css", "text/css; charset=utf-8"),
    ("/static/feedhub.js", "text/javascript; charset=utf-8"),
])
def test_published_files_are_served(client: FlaskClient, path: str, mime: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mime


def test_unknown_pages_and_archives_are_404(client: FlaskClient) -> None:
    assert client.get("/c/nope").status_code == 404
    assert client.get("/embed/nope.js").status_code == 404
    assert client.get("/feeds/archive/news/99.atom").status_code == 404
    assert client.get("/static/../sources.yaml").status_code == 404
    assert client.get("/static/feed.xsl").status_code == 404  # feeds no longer name one


def test_a_browser_gets_the_page_and_a_reader_the_feed(client: FlaskClient) -> None:
    browser = client.get("/feeds/news.rss", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert browser.headers["Content-Type"].startswith("text/html")
    assert "Accept" in browser.headers["Vary"]
    for accept in ("*/*", "application/rss+xml, application/xml;q=0.9, */*;q=0.8", None):
        headers = {"Accept": accept} if accept else {}
        reader = client.get("/feeds/news.rss", headers=headers)
        assert reader.headers["Content-Type"] == "application/rss+xml; charset=utf-8"


def test_relax_ng_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.atom"
    bad.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                   "<updated>2021-01-01T00:00:00Z</updated></feed>", encoding="utf-8")
    assert atom_schema_problems([bad])


def test_a_publish_flushes_to_disk_once_not_once_per_file(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    calls = {"sync": 0, "fsync": 0}
    real_sync, real_fsync = os.sync, os.fsync

    def count_sync() -> None:
        calls["sync"] += 1
        real_sync()

    def count_fsync(fd: int) -> None:
        calls["fsync"] += 1
        real_fsync(fd)

    monkeypatch.setattr(os, "sync", count_sync)
    monkeypatch.setattr(os, "fsync", count_fsync)
    report = build(config)
    assert report.ok and len(report.published.written) > 20
    assert calls == {"sync": 1, "fsync": 0}  # every file made durable before any rename
    assert not list(config.output_dir.rglob("*.tmp"))


def test_archives_load_an_item_once_for_both_its_documents(built: Config) -> None:
    from feedhub.publish.archives import RecentItems

    with open_store(built.store, built.root) as store:
        ids = [item.id for item in store.items_for("all", 8)]
        assert len(ids) == 8
        loaded: list[list[str]] = []
        real = store.get_items

        def counting(wanted: list[str]) -> dict[str, object]:
            loaded.append(list(wanted))
            return real(wanted)  # type: ignore[return-value]

        store.get_items = counting  # type: ignore[method-assign, assignment]
        recent = RecentItems(size=6)
        first = recent.get(store, ids[:5])
        second = recent.get(store, ids[2:8])
        assert loaded == [ids[:5], ids[5:8]]
        assert second == real(ids[2:8]) and first == real(ids[:5])
        assert list(recent.get(store, ["no-such-item", ids[7]])) == [ids[7]]
        assert len(recent._items) == 6  # bounded: the least recently used went
        assert ids[0] not in recent._items and ids[7] in recent._items
