"""Partner embeds: the iframe page and the script embed of one feed, and their options.

    embed/<slug>.html   the iframe: rendered here with the default :class:`EmbedOptions` at
                        every build, and with a request's options by web.embeds (same function)
    embed/<slug>.js     templates/embed.js with the newest :func:`carried` items as JSON; it
                        reads its options in the partner's browser
    static/embed.css    the one stylesheet of both (never feedhub.css: an embed has its own
                        themes and must not follow the visitor's colour scheme unless asked)

Options (docs/embedding.md): ``limit`` (1 to :func:`carried`), ``theme`` (:data:`THEMES`),
``images``, ``summary`` and ``lang`` (the language of the dates, publish.humandate, and of
feedhub's own words, publish.i18n; the site's by default). The iframe's default theme is light,
whatever the visitor's colour scheme; the script embed's is inherit (the partner page's colours
and fonts). The script's words come with its data, in every language a catalog speaks, so the
script picks them by ``lang`` in the browser and holds no words of its own.

Every text is plain and escaped by Jinja2 (the iframe) or set with textContent (the script);
links and images are http(s) only (document.safe_url). Must not: read a request (web.embeds
parses queries into :class:`EmbedOptions`) or the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from ..model import ALL_SLUG, Config, Item
from .document import FeedDoc, clean, mime_type, plain, safe_url, title_of
from .feeds import rfc3339
from .humandate import DATE_STYLE, human_date, site_language
from .i18n import Chrome, catalog_languages, chrome, other_language

EMBED_ITEMS = 20
"""Most items an embed carries (a feed with fewer carries its feed_size); ``limit`` picks."""
FRAME_LIMIT = 10
"""Items the iframe shows without ``limit`` (as it always has: partners sized it for them)."""
SCRIPT_LIMIT = 5
"""Items the script embed shows without ``limit``."""
SUMMARY_CHARS = 300
THEMES = ("light", "dark", "auto")
"""``theme`` values of both embeds; the script embed also takes :data:`INHERIT`."""
INHERIT = "inherit"
FRAME_THEME = "light"
SCRIPT_THEME = INHERIT
IMAGE_SIZE = (72, 48)
"""Width and height of a thumbnail (CSS pixels): the img is sized before it loads."""

@dataclass(frozen=True)
class EmbedOptions:
    """What one embed shows; the defaults are the published iframe's (with ``lang`` set)."""

    limit: int = FRAME_LIMIT
    theme: str = FRAME_THEME
    images: bool = False
    """Show each item's thumbnail (its media thumbnail, else its first image enclosure)."""
    summary: bool = False
    lang: str = ""
    """BCP 47 tag of the language of the dates and of feedhub's words, as
    humandate.language_tag wrote it."""


FRAME_PADDING = 50
"""Pixels of the iframe page around its items: the body's padding and the "more" line."""
FRAME_ITEM = 74
"""Most pixels one item takes in the iframe: a title of at most two lines (longer ones end in
an ellipsis), its date and the gap to the next (embed.css); a thumbnail is no taller."""
FRAME_SUMMARY = 42
"""What a summary (at most two lines) adds to an item."""


def frame_height(limit: int, summary: bool = False) -> int:
    """The iframe height (CSS pixels) that shows ``limit`` items at any width without a
    scroll bar (docs/embedding.md, "Sizing")."""
    return FRAME_PADDING + limit * (FRAME_ITEM + (FRAME_SUMMARY if summary else 0))


def carried(config: Config, slug: str) -> int:
    """How many items the embeds of ``slug`` carry: the most ``limit`` may ask for."""
    return min(EMBED_ITEMS, config.feed_size(slug))


def frame_defaults(config: Config, slug: str) -> EmbedOptions:
    """The options of the published iframe file (embed/<slug>.html)."""
    return EmbedOptions(limit=min(FRAME_LIMIT, carried(config, slug)),
                        lang=site_language(config.site.language))


def image_of(item: Item) -> str:
    """The item's thumbnail: its image (media:thumbnail, JSON Feed image, a listing's image
    rule), else its first enclosure of an image type; "" when neither is a safe URL."""
    image = safe_url(item.image)
    if image:
        return image
    for enclosure in item.enclosures:
        if mime_type(enclosure.type).startswith("image/") and safe_url(enclosure.url):
            return safe_url(enclosure.url)
    return ""


def more_text(doc: FeedDoc, words: Chrome) -> str:
    """The words of the "more" link under an embed: the site, then the category, one colon."""
    site = clean(doc.site.title).strip()
    if doc.slug == ALL_SLUG:
        # Translators: the link under an embed to the page of all stories; %(site)s: its title.
        return words.gettext("More from %(site)s") % {"site": site}
    # Translators: the link under an embed to a category's page; %(site)s is the site's
    # title, %(category)s the category's.
    return words.gettext("More from %(site)s: %(category)s") % {
        "site": site, "category": doc.category_title(doc.slug)}


def _site_path(doc: FeedDoc) -> tuple[str, str]:
    """(base URL without a trailing slash, its path): the iframe links this site's files by
    path, so it works on whatever host and port serves it."""
    base = doc.site.base_url.rstrip("/")
    return base, urlsplit(base).path


def _frame_item(item: Item, options: EmbedOptions) -> dict[str, str]:
    return {
        "title": title_of(item),
        "link": safe_url(item.link),
        "iso": rfc3339(item.published),
        "date": human_date(item.published, options.lang),
        "summary": plain(item.summary, SUMMARY_CHARS) if options.summary else "",
        "image": image_of(item) if options.images else "",
    }


def render_frame(doc: FeedDoc, options: EmbedOptions) -> bytes:
    """The iframe page of ``doc`` as ``options`` ask (the published file with the defaults)."""
    base, root = _site_path(doc)
    page_url = doc.page_url
    more = root + page_url[len(base):] if page_url.startswith(base + "/") else page_url
    language = site_language(doc.site.language)
    words = chrome(options.lang or language)
    html = words.template("embed.html").render(
        title=clean(doc.title), chrome=words, text_lang=other_language(words, language),
        root=root, slug=doc.slug, more=more,
        more_text=more_text(doc, words), options=options, date_lang=options.lang,
        other_lang=options.lang != language, image_size=IMAGE_SIZE,
        items=[_frame_item(item, options) for item in doc.items[:options.limit]])
    return html.encode("utf-8")


def render_script(config: Config, doc: FeedDoc) -> bytes:
    """embed/<slug>.js: the script with the newest carried items as ASCII-only JSON (no byte
    of it can end the script or confuse a partner page's charset)."""
    data: dict[str, Any] = {
        "slug": doc.slug,
        "title": doc.title,
        "page": doc.page_url,
        "script": f"/embed/{doc.slug}.js",
        "lang": site_language(config.site.language),
        # feedhub's words in every language the chrome speaks; embed.js picks by ``lang``.
        "chrome": {tag: {"more": more_text(doc, chrome(tag))} for tag in catalog_languages()},
        "dateStyle": DATE_STYLE,
        "limit": min(SCRIPT_LIMIT, carried(config, doc.slug)),
        "max": carried(config, doc.slug),
        "theme": SCRIPT_THEME,
        "themes": [*THEMES, INHERIT],
        "imageSize": list(IMAGE_SIZE),
        "items": [
            {"title": title_of(item), "url": safe_url(item.link),
             "date": rfc3339(item.published), "summary": plain(item.summary, SUMMARY_CHARS),
             "image": image_of(item)}
            for item in doc.items[:carried(config, doc.slug)]
        ],
    }
    # "<" escaped too: not even a "</script" can appear in the file.
    text = json.dumps(data, ensure_ascii=True).replace("<", "\\u003c")
    source = resources.files("feedhub").joinpath("templates/embed.js").read_text("utf-8")
    return source.replace("FEEDHUB_DATA", text).encode("utf-8")


def embed_stylesheet() -> bytes:
    return resources.files("feedhub").joinpath("static/embed.css").read_bytes()
