"""Headless Chromium opens what people open: the index, a category page, a feed URL and a partner
site on another origin that embeds a category with a script tag.

Each page must show the published items linking to their stories, log no console error, and make
no request that leaves 127.0.0.1. Screenshots go to test-output/. An embedded item whose title
and summary try to run script must run nothing (no dialog, no console output from it).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from html import escape

from ..support.httpd import LocalServer
from .browser import Browser, Visit
from .readers import clean
from .site import Entry, Site, Wire

SHOWN = 5
"""At least this many of the newest items must be on a page that lists a category."""


def assert_clean(visit: Visit, browser: Browser, site: Site) -> None:
    failed = [f"{line.status} {line.path}" for line in site.log() if line.status >= 400]
    assert not visit.console_errors, (visit.console_errors, failed)
    assert not visit.dialogs, visit.dialogs
    assert not visit.remote_requests, f"requests left 127.0.0.1: {visit.remote_requests}"
    assert browser.requests, "the browser recorded no request at all"


def assert_items_linked(visit: Visit, entries: list[Entry], at_least: int = SHOWN) -> None:
    """The newest items are on the page, each title a link to its story."""
    links = visit.links()
    newest = entries[:at_least]
    assert newest, "the feed has no items to look for"
    for entry in newest:
        title = clean(entry.title)
        targets = [href for text, href in links if title in text]
        assert targets, f"no link titled {title!r} among {links}"
        assert entry.link in targets, f"{title!r} links to {targets}, not {entry.link}"


def partner_page(site: Site, slug: str) -> bytes:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Partner</title>"
        "<link rel=icon href=data:,></head><body><main><h1>A partner site</h1>"
        "<p>Latest from our friends:</p>"
        f'<script src="{escape(site.url(f"/embed/{slug}.js"))}" data-limit="{SHOWN}" '
        'data-summary="true" async></script>'
        "</main><footer><p>Footer of the partner page.</p></footer></body></html>"
    ).encode()


def test_index_lists_every_category_feed(site: Site, browser: Browser) -> None:
    visit = browser.open(site.url("/"))
    visit.screenshot("index")
    assert_clean(visit, browser, site)
    hrefs = {href for _, href in visit.links()}
    for slug in ("all", "news", "press-releases", "features"):
        assert site.url(f"/feeds/{slug}.rss") in hrefs
        assert site.url(f"/feeds/{slug}.atom") in hrefs
    assert "ILO newsroom" in visit.text()


def test_category_page_shows_its_items(site: Site, browser: Browser) -> None:
    visit = browser.open(site.url("/c/news"))
    visit.screenshot("category-news")
    assert_clean(visit, browser, site)
    assert_items_linked(visit, site.entries("/feeds/news.rss"))


def test_feed_url_opened_in_a_browser_shows_its_items(site: Site, browser: Browser) -> None:
    """A person who clicks a feed link sees the items, not a wall of XML: a browser (which asks
    for text/html first) is given the category page. Feeds carry no XSL stylesheet (browsers are
    removing XSLT; docs/formats.md)."""
    assert b"<?xml-stylesheet" not in site.get("/feeds/news.rss").content
    for ext in ("rss", "atom"):
        visit = browser.open(site.url(f"/feeds/news.{ext}"))
        visit.screenshot(f"feed-news-{ext}")
        assert_clean(visit, browser, site)
        # Chromium's raw XML view has no links: links mean a page was rendered.
        assert_items_linked(visit, site.entries(f"/feeds/news.{ext}"))


def test_partner_page_on_another_origin_embeds_a_category(
    site: Site, partner: LocalServer, browser: Browser
) -> None:
    partner.route("/news.html", partner_page(site, "news"),
                  headers={"Content-Type": "text/html; charset=utf-8"})
    assert partner.port != site.port
    visit = browser.open(partner.url("/news.html"))
    visit.screenshot("partner-embed-news")
    assert_clean(visit, browser, site)
    assert_items_linked(visit, site.entries("/feeds/news.rss"))
    assert "A partner site" in visit.text()
    assert any(url.startswith(site.url("/embed/")) for url in browser.requests)


HOSTILE_TITLE = ("Hostile <script>alert('xss-title')</script>"
                 "<img src=\"{pixel}\" onload=\"alert('xss-title-img')\">")
HOSTILE_SUMMARY = (
    "<p>Read on.</p><script>alert('xss-summary-script')</script>"
    "<img src=\"{pixel}\" onload=\"alert('xss-summary-img');console.error('xss-summary-img')\">"
    "<svg onload=\"alert('xss-svg')\"><circle r=\"1\"/></svg>"
    "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>"
    "<a href=\"javascript:alert('xss-href')\">more</a>"
    "<div style=\"background:url(javascript:alert('xss-style'))\">styled</div>"
    "<math><mi xlink:href=\"javascript:alert('xss-math')\">m</mi></math>"
)


def hostile_atom(wire: Wire) -> bytes:
    """An Atom feed whose newest entry's title (plain text) and summary (HTML) carry script."""
    pixel = wire.server.url("/pixel.png")
    now = datetime.now(UTC).replace(microsecond=0)
    entries = []
    for n, link in enumerate([wire.server.url("/stories/hostile.html"),
                              "javascript:alert('xss-link')"]):
        entries.append(
            f"<entry><id>urn:uuid:00000000-0000-4000-8000-00000000000{n}</id>"
            f"<title type='text'>{escape(HOSTILE_TITLE.format(pixel=pixel))} {n}</title>"
            f"<link rel='alternate' href=\"{escape(link)}\"/>"
            f"<updated>{(now - timedelta(minutes=n)).isoformat()}</updated>"
            f"<category term='News'/>"
            f"<summary type='html'>{escape(HOSTILE_SUMMARY.format(pixel=pixel))}</summary>"
            "</entry>")
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<id>urn:uuid:11111111-1111-4111-8111-111111111111</id><title>Hostile</title>"
            f"<updated>{now.isoformat()}</updated>{''.join(entries)}</feed>").encode()


def test_embedded_script_injection_runs_nothing(
    site: Site, partner: LocalServer, browser: Browser
) -> None:
    site.wire.server.route("/hostile.atom", hostile_atom(site.wire),
                           headers={"Content-Type": "application/atom+xml"})
    site.add_source({"id": "hostile", "kind": "feed", "url": site.wire.server.url("/hostile.atom"),
                     "category": "news"})
    site.build()
    # A title that looks like HTML is escaped once more for RSS readers that render titles
    # as HTML (feedparser hands that layer back): what a person reads is its unescaped text.
    titles = [clean(html.unescape(e.title)) for e in site.entries("/feeds/news.rss")]
    hostile = [t for t in titles if t.startswith("Hostile")]
    assert hostile, f"the hostile story was not published: {titles}"

    partner.route("/hostile.html", partner_page(site, "news"),
                  headers={"Content-Type": "text/html; charset=utf-8"})
    visit = browser.open(partner.url("/hostile.html"), settle_ms=1500)
    visit.screenshot("partner-embed-hostile")
    assert not visit.dialogs, f"script ran: {visit.dialogs}"
    assert not [m for m in visit.console if "xss" in m[1]], visit.console
    assert not visit.errors, visit.errors
    assert not visit.remote_requests, visit.remote_requests
    # Shown as the text it is, not as markup.
    assert hostile[0] in clean(visit.text())
    hrefs = [href for _, href in visit.links()]
    assert not [h for h in hrefs if h.lower().startswith("javascript:")], hrefs
