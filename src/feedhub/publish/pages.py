"""Pages for people and partner embeds, rendered once per build as static files.

    index.html          every feed, with autodiscovery links (RSS, Atom, JSON Feed)
    c/<slug>.html       one category's newest items (served at /c/<slug>)
    embed/<slug>.js     one <script> tag renders the newest items into a partner's page
    embed/<slug>.html   the same for an <iframe> (both rendered by publish.embeds)
    static/feed.xsl     makes a browser show an RSS/Atom file as a page
    static/feedhub.css  the pages' stylesheet; static/embed.css the embeds' (nothing is
                        loaded from another site)

Dates read as publish.humandate writes them, in the site's language, as the embeds do.

Jinja2 autoescaping escapes every text; item text reaches pages as plain text only (summaries
are stripped of markup), and links must be http(s). The pages are XML-well-formed HTML5, so the
publisher can parse each one back before replacing the old file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit

import jinja2

from ..model import ALL_SLUG, Config, Item
from .document import EPOCH, FeedDoc, clean, plain, safe_url, title_of
from .embeds import embed_stylesheet, frame_defaults, render_frame, render_script
from .feeds import rfc3339
from .humandate import human_date

SUMMARY_CHARS = 300

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("feedhub", "templates"),
    autoescape=jinja2.select_autoescape(["html", "xsl"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def _date(when: datetime, language: str) -> str:
    return human_date(when, language)


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
    }


def render_pages(config: Config, docs: Sequence[FeedDoc]) -> Iterator[tuple[str, bytes, datetime]]:
    """(file name, bytes, last change) of every page, embed and static file."""
    site = replace(config.site, title=clean(config.site.title),
                   description=clean(config.site.description), author=clean(config.site.author),
                   language=clean(config.site.language))
    newest = max((doc.updated for doc in docs), default=EPOCH)
    names = {ALL_SLUG: "All news", **{c.slug: clean(c.title) for c in config.categories}}
    # Pages and the iframe embed are served by this site, so they link its files by path:
    # they then work on whatever host and port serves them (`feedhub serve --port 8080`, a
    # CDN), not only at ``base_url``. Feeds keep absolute links (readers need them), and so
    # does embed.js, which runs in a partner's page.
    base = site.base_url.rstrip("/")
    root = urlsplit(base).path

    def local(url: str) -> str:
        return root + url[len(base):] if url.startswith(base + "/") else url

    pages = {"site": site, "root": root, "local": local}
    index = _env.get_template("index.html").render(**pages, docs=docs, names=names)
    yield "index.html", index.encode("utf-8"), newest
    category = _env.get_template("category.html")
    for doc in docs:
        items = [_view(doc, item) for item in doc.items]
        page = category.render(**pages, doc=doc, items=items)
        yield f"c/{doc.slug}.html", page.encode("utf-8"), doc.updated
        iframe = render_frame(doc, frame_defaults(config, doc.slug))
        yield f"embed/{doc.slug}.html", iframe, doc.updated
        yield f"embed/{doc.slug}.js", render_script(config, doc), doc.updated
    static = resources.files("feedhub").joinpath("static")
    xsl = jinja2.Template(static.joinpath("feed.xsl").read_text("utf-8"), autoescape=True)
    stylesheet = xsl.render(base_url=site.base_url, icon=site.icon)
    yield "static/feed.xsl", stylesheet.encode("utf-8"), newest
    yield "static/feedhub.css", static.joinpath("feedhub.css").read_bytes(), newest
    yield "static/embed.css", embed_stylesheet(), newest
