"""Pages for people and partner embeds, rendered once per build as static files.

    index.html          every feed: item count, last update, its address to copy, autodiscovery
    c/<slug>.html       one category's newest items, with their images (served at /c/<slug>)
    embed/<slug>.js     one <script> tag renders the newest items into a partner's page
    embed/<slug>.html   the same for an <iframe> (both rendered by publish.embeds)
    static/feedhub.css  the pages' only stylesheet; static/embed.css the embeds' (nothing is
                        loaded from another site)
    static/feedhub.js   the pages' only script: copy buttons (pages work without it)

Dates read as publish.humandate writes them, in the site's language, as the embeds do; feedhub's
own words are in the site's language too when a catalog speaks it, else English (publish.i18n),
and ``<html lang>`` says which, the site's text marking its own language where the two differ.

Jinja2 autoescaping escapes every text; item text reaches pages as plain text only (summaries
are stripped of markup), and links and image addresses must be http(s). The pages are
XML-well-formed HTML5, so the publisher can parse each one back before replacing the old file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_decimal

from ..model import ALL_SLUG, Config, Item
from .document import EPOCH, FeedDoc, clean, plain, safe_url, title_of
from .embeds import embed_stylesheet, frame_defaults, render_frame, render_script
from .feeds import rfc3339
from .humandate import human_date, site_language
from .i18n import Chrome, chrome, other_language

SUMMARY_CHARS = 300
THUMB_SIZE = (160, 90)
"""width, height of an item's image on a category page (CSS crops any image to this 16:9 box,
so the page never moves when images arrive, whatever their real size)."""

def _date(when: datetime, language: str) -> str:
    return human_date(when, language)


def image_of(item: Item) -> str:
    """The item's picture: its own image (media:thumbnail, JSON Feed ``image``, a page's image
    rule), else its first image enclosure; http(s) only, else ""."""
    for url in (item.image, *(e.url for e in item.enclosures if e.type.startswith("image/"))):
        if safe_url(url):
            return safe_url(url)
    return ""


def _view(doc: FeedDoc, item: Item) -> dict[str, str]:
    """What a page shows of one item: plain, cleaned text and safe links only."""
    tags = [doc.category_title(slug) for slug in item.categories if slug != doc.slug]
    return {
        "title": title_of(item),
        "link": safe_url(item.link),
        "iso": rfc3339(item.published),
        "date": _date(item.published, doc.site.language),
        "summary": plain(item.summary, SUMMARY_CHARS),
        "tags": ", ".join(tags),
        "image": image_of(item),
    }


def _feed_view(doc: FeedDoc, words: Chrome) -> dict[str, Any]:
    """What the index shows of one feed: its size, its last change and its addresses."""
    return {
        "count": len(doc.items),
        "number": format_decimal(len(doc.items), locale=words.tag.replace("-", "_")),
        "named": doc.slug != ALL_SLUG,
        "iso": rfc3339(doc.updated) if doc.items else "",
        "date": _date(doc.updated, doc.site.language) if doc.items else "",
        "address": doc.url("rss"),
    }


def render_pages(config: Config, docs: Sequence[FeedDoc]) -> Iterator[tuple[str, bytes, datetime]]:
    """(file name, bytes, last change) of every page, embed and static file."""
    site = replace(config.site, title=clean(config.site.title),
                   description=clean(config.site.description), author=clean(config.site.author),
                   language=clean(config.site.language))
    newest = max((doc.updated for doc in docs), default=EPOCH)
    words = chrome(site.language)
    names = {ALL_SLUG: words.gettext("All news"),
             **{c.slug: clean(c.title) for c in config.categories}}
    # Pages and the iframe embed are served by this site, so they link its files by path:
    # they then work on whatever host and port serves them (`feedhub serve --port 8080`, a
    # CDN), not only at ``base_url``. Feeds keep absolute links (readers need them), and so
    # does embed.js, which runs in a partner's page.
    base = site.base_url.rstrip("/")
    root = urlsplit(base).path

    def local(url: str) -> str:
        return root + url[len(base):] if url.startswith(base + "/") else url

    pages = {"site": site, "root": root, "local": local, "thumb": THUMB_SIZE, "chrome": words,
             "text_lang": other_language(words, site_language(site.language))}
    index = words.template("index.html").render(
        **pages, docs=docs, names=names,
        feeds={doc.slug: _feed_view(doc, words) for doc in docs})
    yield "index.html", index.encode("utf-8"), newest
    category = words.template("category.html")
    for doc in docs:
        items = [_view(doc, item) for item in doc.items]
        page = category.render(**pages, doc=doc, items=items)
        yield f"c/{doc.slug}.html", page.encode("utf-8"), doc.updated
        iframe = render_frame(doc, frame_defaults(config, doc.slug))
        yield f"embed/{doc.slug}.html", iframe, doc.updated
        yield f"embed/{doc.slug}.js", render_script(config, doc), doc.updated
    static = resources.files("feedhub").joinpath("static")
    for name in ("feedhub.css", "feedhub.js"):
        yield f"static/{name}", static.joinpath(name).read_bytes(), newest
    yield "static/embed.css", embed_stylesheet(), newest
