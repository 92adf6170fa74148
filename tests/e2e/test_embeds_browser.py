"""Both partner embeds in headless Chromium, on a partner page of another origin, in the light and
the dark colour scheme, 1280 and 390 pixels wide.

Each run saves PNGs under test-output/embeds/ (git-ignored) and asserts what a person would see,
read from the DOM: as many items as ``limit``; each title and its date apart (the date's box
below the title's or clear of it); no horizontal scroll at 390 px; the iframe light by default
even when the visitor's system is dark, and fitting the documented height; the script embed
taking the partner page's colours and font unless a theme is asked for; the same date text in
the category page, the iframe (Babel) and the script embed (the browser's Intl); no console
error and no request leaving 127.0.0.1.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Frame, Page

from feedhub.publish.embeds import frame_height
from feedhub.publish.humandate import human_date

from ..support.httpd import LocalServer
from .browser import SCREENSHOTS, Browser, Visit
from .site import Site, Wire

WIDTHS = {1280: 900, 390: 844}
"""Viewport width -> height: a desktop and a phone."""
SCHEMES = ("light", "dark")
LIMIT = 4
PARTNER_CSS = ("body{font-family:Georgia,serif;color:rgb(34,34,68);background:#fffdf5;"
               "margin:0 auto;padding:16px;max-width:46rem}"
               "iframe{display:block;width:100%;border:1px solid #ccc}")
LIGHT = "rgb(255, 255, 255)"
DARK = "rgb(22, 22, 22)"
OUT = SCREENSHOTS / "embeds"


def swatch(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small PNG of two shades, so a thumbnail shows as a picture in the screenshots."""
    light = tuple(min(255, c + 60) for c in rgb)
    rows = b"".join(b"\0" + bytes((light if x + y < (width + height) // 2 else rgb)[i % 3]
                                  for x in range(width) for i in range(3))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def pictures_feed(wire: Wire) -> bytes:
    """Four stories of the `news` category with thumbnails served on 127.0.0.1."""
    now = datetime.now(UTC).replace(microsecond=0)
    titles = ["Skills programme reaches its ten thousandth apprentice in the river valley",
              "New survey: how shift work changes family life",
              "Harbour workers agree a safety charter after two years of talks",
              "Short title"]
    items = []
    for n, title in enumerate(titles):
        colour = [(40, 90, 160), (160, 70, 40), (40, 130, 80), (120, 60, 140)][n]
        wire.server.route(f"/thumb{n}.png", swatch(72, 48, colour),
                          headers={"Content-Type": "image/png"})
        items.append(
            f"<item><title>{escape(title)}</title><link>{wire.story_url(1)}?p={n}</link>"
            f"<guid>{wire.server.url(f'/pictures/{n}')}</guid><category>News</category>"
            f"<pubDate>{format_datetime(now - timedelta(hours=n))}</pubDate>"
            f"<description>Picture story {n}: a summary long enough to wrap on a phone, "
            "so the clamp has something to do.</description>"
            f"<media:thumbnail url=\"{wire.server.url(f'/thumb{n}.png')}\"/></item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:media='http://search.yahoo.com/mrss/'><channel><title>Pictures</title>"
            f"<link>{wire.server.url('/')}</link><description>d</description>"
            f"{''.join(items)}</channel></rss>").encode()


@pytest.fixture
def site(tmp_path: Path, wire: Wire) -> Iterator[Site]:
    """The bundled sources + the wire + a feed of pictured stories, served by gunicorn."""
    site = Site(tmp_path / "project", wire)
    wire.server.route("/pictures.rss", pictures_feed(wire),
                      headers={"Content-Type": "application/rss+xml"})
    site.add_source({"id": "pictures", "kind": "feed", "url": wire.server.url("/pictures.rss"),
                     "category": "news"})
    with site.served():
        yield site


def open_page(browser: Browser, url: str, width: int, scheme: str) -> Visit:
    """Browser.open at a given width and colour scheme."""
    page = browser.context.new_page()
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    visit = Visit(page, requests=browser.requests)

    def on_console(message: ConsoleMessage) -> None:
        visit.console.append((message.type, message.text))

    page.on("console", on_console)
    page.on("pageerror", lambda exc: visit.errors.append(str(exc)))
    page.on("dialog", lambda dialog: (visit.dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return visit


def partner_html(body: str) -> bytes:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>Partner</title><link rel=icon href=data:,><style>{PARTNER_CSS}</style>"
            f"</head><body><h1>A partner site</h1><p>Latest from our friends:</p>{body}"
            "<p>Footer of the partner page.</p></body></html>").encode()


def assert_clean(visit: Visit) -> None:
    assert not visit.console_errors, visit.console_errors
    assert not [text for kind, text in visit.console if kind == "warning"
                and "feedhub" in text], visit.console
    assert not visit.dialogs, visit.dialogs
    assert not visit.remote_requests, f"requests left 127.0.0.1: {visit.remote_requests}"


def assert_items_laid_out(frame: Page | Frame, root: str, limit: int, width: int) -> None:
    """``limit`` items; each title and date apart; nothing wider than the viewport."""
    boxes: list[dict[str, Any]] = frame.evaluate(
        """root => Array.from(document.querySelectorAll(root + ' li.feedhub-item')).map(li => {
             const box = el => { const r = el.getBoundingClientRect();
                                 return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
             return {title: box(li.querySelector('.feedhub-link')),
                     date: box(li.querySelector('time.feedhub-date')),
                     item: box(li)}; })""", root)
    assert len(boxes) == limit, boxes
    for box in boxes:
        title, date = box["title"], box["date"]
        below = date["t"] >= title["b"] - 0.5
        beside = date["l"] >= title["r"] + 4
        assert below or beside, f"title and date touch: {box}"
        assert date["b"] - date["t"] > 0 and title["r"] - title["l"] > 0, box
    scroll = frame.evaluate("() => [document.documentElement.scrollWidth, "
                            "document.documentElement.clientWidth]")
    if width <= 390:
        assert scroll[0] <= scroll[1], f"horizontal scroll: {scroll}"


def shoot(visit: Visit, name: str, selector: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    visit.page.locator(selector).first.screenshot(path=str(OUT / f"{name}-embed.png"))


@pytest.mark.parametrize("theme", ["", "dark"])
def test_iframe_on_a_partner_page(site: Site, partner: LocalServer, browser: Browser,
                                  theme: str) -> None:
    query = f"limit={LIMIT}&images=1" + (f"&theme={theme}" if theme else "")
    height = frame_height(LIMIT)
    partner.route("/frame.html", partner_html(
        f'<iframe src="{escape(site.url(f"/embed/news.html?{query}"))}" height="{height}" '
        'title="News from ILO newsroom"></iframe>'),
        headers={"Content-Type": "text/html; charset=utf-8"})
    expected_background = DARK if theme == "dark" else LIGHT
    for width in WIDTHS:
        for scheme in SCHEMES:
            visit = open_page(browser, partner.url("/frame.html"), width, scheme)
            shoot(visit, f"iframe-{theme or 'default'}-{scheme}-{width}", "iframe")
            assert_clean(visit)
            frame = visit.page.frame_locator("iframe").locator("html")
            frames = [f for f in visit.page.frames if "/embed/news.html" in f.url]
            assert len(frames) == 1
            inner = frames[0]
            assert_items_laid_out(inner, "", LIMIT, width)
            background = frame.evaluate("el => getComputedStyle(el).backgroundColor")
            assert background == expected_background, (scheme, background)
            # The documented height holds the items and the "more" line: nothing scrolls.
            fits = inner.evaluate("() => [document.documentElement.scrollHeight, "
                                  "document.documentElement.clientHeight]")
            assert fits[0] <= fits[1], f"the iframe needs {fits[0]}px, the docs say {height}"
            # Every thumbnail loaded, at the size it was given.
            sizes = inner.evaluate("() => Array.from(document.images).map(i => "
                                   "[i.complete && i.naturalWidth > 0, i.width, i.height])")
            assert sizes and all(size == [True, 72, 48] for size in sizes), sizes
            visit.page.close()


@pytest.mark.parametrize("theme", ["", "dark"])
def test_script_embed_on_a_partner_page(site: Site, partner: LocalServer, browser: Browser,
                                        theme: str) -> None:
    src = site.url(f"/embed/news.js?limit={LIMIT}&images=1")
    attrs = f' data-theme="{theme}"' if theme else ""
    partner.route("/script.html", partner_html(
        f'<div id="news"></div><script src="{escape(src)}" data-target="#news" '
        f'data-summary="1"{attrs} async></script>'),
        headers={"Content-Type": "text/html; charset=utf-8"})
    for width in WIDTHS:
        for scheme in SCHEMES:
            visit = open_page(browser, partner.url("/script.html"), width, scheme)
            shoot(visit, f"script-{theme or 'inherit'}-{scheme}-{width}", ".feedhub-embed")
            assert_clean(visit)
            page = visit.page
            assert_items_laid_out(page, "#news", LIMIT, width)
            style = page.evaluate(
                """() => { const root = document.querySelector('.feedhub-embed');
                           const s = getComputedStyle(root);
                           const title = getComputedStyle(root.querySelector('.feedhub-text'));
                           return [s.backgroundColor, title.color, title.fontFamily,
                                   document.querySelectorAll('link[data-feedhub-css]').length,
                                   document.querySelectorAll('.feedhub-summary').length]; }""")
            background, colour, font, sheets, summaries = style
            assert sheets == 1 and summaries == LIMIT, style
            if theme == "dark":
                assert background == DARK and colour == "rgb(236, 236, 236)", style
            else:  # inherit: the partner's colours and font, whatever the visitor's scheme
                assert background == "rgba(0, 0, 0, 0)", style
                assert colour == "rgb(34, 34, 68)" and "Georgia" in font, style
            page.close()


LANGUAGES = """root => { const embed = document.querySelector(root);
    const lang = el => el.getAttribute('lang');
    return [embed.querySelector('.feedhub-more').textContent, lang(embed),
            lang(embed.querySelector('.feedhub-items')),
            Array.from(embed.querySelectorAll('time')).map(lang)]; }"""
"""The "more" line, then the lang of the embed, its list and each date."""
MORE = {"": "More from ILO newsroom: News", "fr": "Plus d’articles sur ILO newsroom\u00a0: News",
        "de": "Mehr von ILO newsroom: News", "en-GB": "More from ILO newsroom: News",
        "es": "Más de ILO newsroom: News", "ja": "More from ILO newsroom: News"}


def test_pages_iframe_and_script_show_the_same_dates(site: Site, partner: LocalServer,
                                                      browser: Browser) -> None:
    """The category page and the iframe (Babel, in Python) and the script embed (Intl, in the
    browser) write each date the same, in the site's language and in a language asked for;
    both embeds write feedhub's words in that language too (English when none speaks it)."""
    for lang in ("", "fr", "de", "en-GB", "es", "ja"):
        query = f"?limit={LIMIT}" + (f"&lang={lang}" if lang else "")
        partner.route(f"/dates-{lang}.html", partner_html(
            f'<div id="news"></div><script src="{escape(site.url("/embed/news.js" + query))}" '
            'data-target="#news" async></script>'
            f'<iframe src="{escape(site.url("/embed/news.html" + query))}" height="400" '
            'title="News"></iframe>'), headers={"Content-Type": "text/html; charset=utf-8"})
        visit = open_page(browser, partner.url(f"/dates-{lang}.html"), 1280, "light")
        assert_clean(visit)
        script = visit.page.eval_on_selector_all(
            "#news time", "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])")
        inner = next(f for f in visit.page.frames if "/embed/news.html" in f.url)
        framed = inner.eval_on_selector_all(
            "time", "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])")
        assert len(script) == LIMIT and script == framed, (lang, script, framed)
        for iso, text in script:
            when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
            assert text == human_date(when, lang or "en"), (lang, iso, text)
        # feedhub's words: the script (its JSON, picked in the browser) says what the iframe
        # (the server) says, in the same language, marked the same way.
        said = visit.page.evaluate(LANGUAGES, "#news .feedhub-embed")
        assert said == inner.evaluate(LANGUAGES, "html"), lang
        assert said[0] == MORE[lang], (lang, said)
        visit.page.close()
    category = open_page(browser, site.url("/c/news"), 1280, "light")
    shown = dict(category.page.eval_on_selector_all(
        "time", "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])"))
    assert shown and all(text == human_date(datetime.fromisoformat(iso.replace("Z", "+00:00")),
                                            "en") for iso, text in shown.items())
    category.page.close()
