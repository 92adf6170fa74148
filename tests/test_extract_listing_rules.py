"""Selector rules beyond the bundled page: pagination over real HTTP, locale dates in a source
timezone, lazy images, <time> without configuration, charset from the HTTP header."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from feedhub.categories import CategoryMap
from feedhub.extract import extract
from feedhub.fetch import fetch
from feedhub.model import FetchResult, Selectors, Source, SourceKind
from feedhub.normalise import normalise_entries
from feedhub.pipeline import page_fetcher

from .support.httpd import LocalServer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def listing(n: int, next_link: str) -> bytes:
    items = "".join(
        f'<li class="story"><a href="/story/{n}-{i}">Story {n}.{i} with a long enough title</a>'
        f'<time datetime="2024-0{n}-1{i}">x</time></li>' for i in range(3))
    return f"<html><head>{next_link}</head><body><ul>{items}</ul></body></html>".encode()


def serve_pages(httpd: LocalServer) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    httpd.route("/news", body=listing(1, '<link rel="next" href="/news?page=2">'),
                headers=html)
    httpd.route("/news?page=2", body=listing(2, "") + b'<a class="more" href="/news/p3">More</a>',
                headers=html)
    # Page 3 points back to page 1: a loop must end.
    httpd.route("/news/p3", body=listing(3, '<link rel="next" href="/news">'), headers=html)


def paged_source(httpd: LocalServer, max_pages: int, next_rule: str = "") -> Source:
    # allow_private: the test server is on 127.0.0.1, which fetch refuses by default.
    return Source(id="paged", kind=SourceKind.HTML, location=httpd.url("/news"),
                  max_pages=max_pages, allow_private=True,
                  selectors=Selectors(item="li.story", next=next_rule))


def run(source: Source, root: Path) -> list[str]:
    fetched = fetch(source, root)
    return [e.link.rsplit("/", 1)[-1] for e in extract(source, fetched,
                                                        page_fetcher(source, root))]


def test_rel_next_is_followed_up_to_max_pages(httpd: LocalServer, tmp_path: Path) -> None:
    serve_pages(httpd)
    assert run(paged_source(httpd, 1), tmp_path) == ["1-0", "1-1", "1-2"]
    assert run(paged_source(httpd, 2), tmp_path)[3:] == ["2-0", "2-1", "2-2"]
    # Page 2 has no rel=next: paging by rel=next stops there.
    assert len(run(paged_source(httpd, 5), tmp_path)) == 6


def test_a_next_selector_is_followed_and_loops_end(httpd: LocalServer, tmp_path: Path) -> None:
    serve_pages(httpd)
    httpd.route("/news", body=listing(1, "") + b'<a class="more" href="/news?page=2">More</a>',
                headers={"Content-Type": "text/html"})
    httpd.requests.clear()
    links = run(paged_source(httpd, 10, "a.more"), tmp_path)
    assert len(links) == 9
    # /news/p3 names /news as next, which is not <a class="more">: three requests, no loop.
    assert [r.path for r in httpd.requests if r.path != "/robots.txt"] == [
        "/news", "/news?page=2", "/news/p3"]


def test_a_failing_later_page_keeps_the_first(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/news", body=listing(1, '<link rel="next" href="/gone">'),
                headers={"Content-Type": "text/html"})
    assert len(run(paged_source(httpd, 3), tmp_path)) == 3


def test_charset_from_the_http_header(httpd: LocalServer, tmp_path: Path) -> None:
    page = '<ul><li class="story"><a href="/a">Café – “news”</a></li></ul>'.encode("cp1252")
    httpd.route("/news", body=page, headers={"Content-Type": "text/html; charset=windows-1252"})
    source = paged_source(httpd, 1)
    entries = extract(source, fetch(source, tmp_path))
    assert entries[0].title == "Café – “news”"


def test_locale_format_and_timezone() -> None:
    page = """
    <div class="n"><a href="/a">Erste Meldung</a><span class="d">Di., 26. Mai 2021</span></div>
    <div class="n"><a href="/b">Zweite Meldung</a><span class="d">3. Dez. 2020</span></div>
    <div class="n"><a href="/c">Dritte</a><span class="d">am 31. Februar 2020</span></div>"""
    source = Source(id="de", kind=SourceKind.HTML, location="https://de.example/",
                    locale="de", timezone="Europe/Berlin", date_format="%d. %b %Y",
                    selectors=Selectors(item="div.n", date=".d"))
    entries = extract(source, FetchResult(url="https://de.example/", body=page.encode()))
    items = normalise_entries(entries, source, CategoryMap.from_categories(()),
                              "https://de.example/", NOW)
    # A date-only value is midnight in the source's zone, stored in UTC.
    assert items[0].published == datetime(2021, 5, 25, 22, 0, tzinfo=UTC)
    assert items[1].published == datetime(2020, 12, 2, 23, 0, tzinfo=UTC)
    assert entries[2].published is None and entries[2].date_text == "am 31. Februar 2020"


def test_time_datetime_needs_no_rule_and_images_past_lazy_loading() -> None:
    page = b"""<base href="https://cdn.example/site/">
    <div class="c"><a href="a">One</a><time datetime="2024-01-02T03:04:05Z">2 Jan</time>
      <img src="data:image/gif;base64,AAAA" data-src="img/one.jpg"></div>
    <div class="c"><a href="b">Two</a>
      <img srcset="img/two-1x.jpg 1x, img/two-2x.jpg 2x"></div>
    <div class="c"><a href="c">Three</a>
      <picture><source srcset="img/three-800.webp 800w, img/three-1600.webp 1600w">
      <img></picture></div>"""
    source = Source(id="img", kind=SourceKind.HTML, location="https://x.example/",
                    selectors=Selectors(item="div.c", image="img"))
    entries = extract(source, FetchResult(url="https://x.example/list", body=page))
    assert entries[0].published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [e.image for e in entries] == [
        "https://cdn.example/site/img/one.jpg", "https://cdn.example/site/img/two-2x.jpg",
        "https://cdn.example/site/img/three-1600.webp"]
    assert entries[0].link == "https://cdn.example/site/a"


def test_a_date_format_still_reads_time_datetime_beside_it() -> None:
    # date_format describes the written dates; the machine date of a <time> is ISO 8601.
    page = """
    <div class="n"><a href="/a">Premier</a><time datetime="2021-05-26T09:30:00Z">26 mai</time></div>
    <div class="n"><a href="/b">Second</a><span class="d">le 3 juin 2021</span></div>"""
    source = Source(id="fr", kind=SourceKind.HTML, location="https://fr.example/", locale="fr",
                    date_format="le %d %B %Y",
                    selectors=Selectors(item="div.n", date="time, .d"))
    entries = extract(source, FetchResult(url="https://fr.example/", body=page.encode()))
    assert entries[0].published == datetime(2021, 5, 26, 9, 30, tzinfo=UTC)
    assert entries[1].published == datetime(2021, 6, 3)


def test_pages_without_selectors_are_followed_too(httpd: LocalServer, tmp_path: Path) -> None:
    serve_pages(httpd)
    source = Source(id="auto-paged", kind=SourceKind.HTML, location=httpd.url("/news"),
                    max_pages=3, allow_private=True)
    # Page 1 says rel=next (page 2); page 2 has none: two pages, read with the chosen rules.
    assert run(source, tmp_path) == ["1-0", "1-1", "1-2", "2-0", "2-1", "2-2"]
