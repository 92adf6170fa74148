"""`feedhub add URL`: from a web page to a drafted, commented source entry.

Contract: :func:`inspect_url` fetches the URL once (same limits and address checks as a build)
and says what it is: a feed, or a page with the feeds it advertises (``<link rel="alternate">``).
:func:`draft` previews the chosen target (a feed, or the page read by automatic detection,
whose selectors are pinned in the entry) and writes the entry's lines. The CLI asks which feed,
shows the preview, and appends the entry with config.append_source after re-validating.

Must not: write anything; it only reads the network through the given fetcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .categories import CategoryMap
from .config import SOURCE_ID_RE, yaml_scalar
from .extract.feed import feed_title
from .extract.page import base_href, parse_page
from .fetch import Fetcher, Validators, fetch
from .model import Category, FetchLimits, FetchResult, Source, SourceKind
from .preview import Preview, looks_like_feed, preview_source
from .render import INSTALL, Renderer

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
    "application/rdf+xml": "RSS 1.0",
    "text/xml": "XML feed",
    "application/xml": "XML feed",
}


@dataclass(frozen=True)
class FeedLink:
    """A feed a page advertises."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True)
class Inspection:
    """What a URL turned out to be."""

    url: str
    """The final URL, after redirects."""
    is_feed: bool
    page_title: str = ""
    """The page's ``<title>``, or the feed's own title when the URL is a feed."""
    feeds: tuple[FeedLink, ...] = ()


def advertised_feeds(html: bytes, headers: dict[str, str], page_url: str) -> list[FeedLink]:
    """The ``<link rel="alternate">`` feeds of a page, absolute, in page order, once each."""
    page = parse_page(FetchResult(url=page_url, body=html, headers=headers))
    base = urljoin(page_url, base_href(page))
    found: list[FeedLink] = []
    for node in page.css("link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or kind not in FEED_TYPES:
            continue
        url = urljoin(base, (node.attributes.get("href") or "").strip())
        if urlsplit(url).scheme in ("http", "https") and url not in {f.url for f in found}:
            found.append(FeedLink(url, " ".join((node.attributes.get("title") or "").split()),
                                  FEED_TYPES[kind]))
    return found


def inspect_url(url: str, root: Path, *, allow_private: bool = False,
                fetcher: Fetcher = fetch) -> Inspection:
    """Fetch ``url`` and tell a feed from a page; raises SourceError when it cannot be read."""
    probe = Source(id="add", kind=SourceKind.HTML, location=url, allow_private=allow_private)
    fetched = fetcher(probe, root, Validators())
    if looks_like_feed(fetched.body):
        return Inspection(fetched.url, True, feed_title(fetched))
    page = parse_page(fetched)
    title_node = page.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    return Inspection(fetched.url, False, title,
                      tuple(advertised_feeds(fetched.body, fetched.headers, fetched.url)))


_NOT_NAMES = {"index", "html", "htm", "php", "aspx", "xml", "en", "rss", "atom", "feed", "feeds",
              "json"}
"""Path words that say nothing about what a source is."""


def suggest_id(url: str, taken: Iterable[str]) -> str:
    """A readable, unused source id from a URL: host without www, then the last path part."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    host = host.rsplit(".", 1)[0] if host.count(".") >= 1 and not host[0].isdigit() else host
    words = [w for w in re.split(r"[^a-z0-9]+", parts.path.lower()) if w]
    last = [w for w in words if w not in _NOT_NAMES]
    base = "-".join([*re.split(r"[^a-z0-9]+", host.lower()), *last[-1:]]).strip("-") or "source"
    base = re.sub(r"-+", "-", base)
    if not SOURCE_ID_RE.match(base):
        base = "source"
    taken = set(taken)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def existing_source(sources: Iterable[Source], *urls: str) -> Source | None:
    """The configured source whose url is one of ``urls`` (a trailing slash aside), if any."""
    wanted = {url.rstrip("/") for url in urls if url}
    return next((s for s in sources if s.location.rstrip("/") in wanted), None)


def matching_category(preview: Preview, categories: Sequence[Category]) -> str:
    """The category for ``--yes`` to write: the first (in config order) that the previewed
    items' labels put items in, else the first category, else ""."""
    landed = {slug for row in preview.rows for slug in row.categories}
    chosen = next((c.slug for c in categories if c.slug in landed), None)
    return chosen or (categories[0].slug if categories else "")


def preview_target(url: str, kind: SourceKind, root: Path, *, source_id: str = "add",
                   allow_private: bool = False, fetcher: Fetcher = fetch,
                   categories: Iterable[Category] = (), category: str = "",
                   render: str = "static") -> Preview:
    """Preview the chosen feed, or the page read by automatic detection; with the config's
    ``categories`` each row says where its item would land (``category``: the default).
    With ``render="browser"`` the page is read as ``fetcher`` renders it."""
    source = Source(id=source_id, kind=kind, location=url, allow_private=allow_private,
                    default_category=category,
                    render=render if kind is SourceKind.HTML else "static")
    return preview_source(source, root, fetcher,
                          categories=CategoryMap.from_categories(list(categories)))


def rendered_advice(url: str, root: Path, limits: FetchLimits, *, source_id: str,
                    allow_private: bool = False) -> str:
    """For a page whose HTML as served lists no items: what rendering it in a browser gives,
    as a hint ("" when it finds nothing either). Only tried when the browser is there; when
    it is not, the hint says so, and how to install it."""
    with Renderer(limits) as renderer:
        rendered = preview_target(url, SourceKind.HTML, root, source_id=source_id,
                                  allow_private=allow_private, render="browser",
                                  fetcher=renderer.fetcher(partial(fetch, limits=limits)))
    if rendered.rows:
        return (f"Its HTML as served lists no items, but rendered in a browser it lists "
                f"{len(rendered.rows)}: run `feedhub add {url} --render browser` (each build "
                "then renders it in headless Chromium).")
    if INSTALL in rendered.error:
        return (f"If a script builds its list, `--render browser` may find the items; the "
                f"browser could not be tried here: {rendered.error}")
    return ""


def draft(source_id: str, url: str, kind: SourceKind, preview: Preview, *, page_url: str,
          title: str = "", category: str = "", categories: Iterable[str] = (),
          allow_private: bool = False, now: datetime, render: str = "static") -> list[str]:
    """The lines of a commented source entry (indent 0, starting with a comment then "- ")."""
    how = "a feed" if kind is SourceKind.FEED else f"read by {preview.strategy}"
    lines = [f"# Added by `feedhub add {page_url}` on {now:%Y-%m-%d}: "
             f"{len(preview.rows)} item(s), {how}."]
    if not preview.confident:
        lines.append(f"# Not sure it found the right blocks: check `feedhub preview "
                     f"{source_id}`.")
    lines += [f"- id: {source_id}", f"  kind: {kind.value}", f"  url: {yaml_scalar(url)}"]
    if title:
        lines.append(f"  title: {yaml_scalar(title)}")
    slugs = ", ".join(categories)
    if category:
        lines.append(f"  category: {yaml_scalar(category)}")
    elif slugs:
        lines.append(f"  # category: ...       # for items whose label maps to none: {slugs}")
    if allow_private:
        lines.append("  allow_private: true   # the address is private (an intranet, or local)")
    if kind is SourceKind.HTML and render != "static":
        lines.append(f"  render: {render}        # its list is built by a script")
    if kind is SourceKind.HTML:
        lines += _date_lines(preview)
    if kind is SourceKind.HTML and preview.selectors:
        lines.append("  selectors:            # drafted by feedhub add; edit them if items "
                     "are missing")
        lines += [f"    {name}: {yaml_scalar(rule)}" for name, rule in preview.selectors.items()]
    elif kind is SourceKind.HTML:
        lines.append(f"  # no selectors: each build finds the items itself ({preview.strategy})")
    return lines


def _date_lines(preview: Preview) -> list[str]:
    """``locale`` when the page's language was found, and a ``date_format`` to fill in when
    its dates did not parse (so no item is silently dated by the time it was first seen)."""
    lines = []
    if preview.locale:
        lines.append(f"  locale: {preview.locale}{' ' * max(1, 20 - len(preview.locale))}"
                     f"# {_comment(preview.locale_why)}")
    unparsed = [r.date_text for r in preview.rows if r.date_text and not r.date]
    if unparsed:
        lines.append(f"  # date_format: ...   # {len(unparsed)} date(s) like "
                     f"{_comment(repr(unparsed[0]))} did not parse: write their strptime "
                     "format")
    return lines


def _comment(text: str) -> str:
    return " ".join(text.replace("#", "").split())[:100]


__all__ = ["FeedLink", "Inspection", "advertised_feeds", "draft", "existing_source",
           "inspect_url", "matching_category", "preview_target", "rendered_advice", "suggest_id"]
