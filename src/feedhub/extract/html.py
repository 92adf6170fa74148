"""News listing pages: read by their CSS selectors, or by :mod:`.auto` when they have none,
then their further pages.

Field rules and how a page is parsed: :mod:`.page`. Language of the dates: a source's
``locale`` when set; else the page's declared language, unless its dates name another
(:mod:`.language`); for a source with selectors, the declared language is kept while every
date parses in it.

Pagination: with ``max_pages`` > 1 the next page is the ``next`` selector's link, else
``<link rel="next">``/``<a rel="next">``. Pages are fetched through a :class:`PageFetcher`
passed in by the caller, so this module never does I/O itself.
"""

from __future__ import annotations

import logging

from selectolax.lexbor import LexborHTMLParser

from ..errors import ExtractError, SourceError
from ..model import ID_POLICIES, FetchResult, RawEntry, Source
from .auto import extract_auto
from .base import PageFetcher
from .language import declared_language, reread_dates
from .page import PageTooDeep, extract_items, next_page_url, parse_page

log = logging.getLogger(__name__)


def extract_listing(
    source: Source, result: FetchResult, fetch_page: PageFetcher | None = None
) -> list[RawEntry]:
    """Entries of a listing page and, up to ``max_pages``, of the pages after it. Without
    selectors the first page is read by :mod:`.auto`, and the selectors it chose read the rest."""
    if not result.body.strip():
        raise ExtractError(source.id, "the page is empty")
    try:
        page = parse_page(result)
    except PageTooDeep as exc:
        raise ExtractError(source.id, str(exc)) from exc
    page_url = source.base_url or result.url
    # A source's `identity` that is a field rule (not auto/guid/link) gives each item's guid.
    guid_rule = "" if source.identity in ID_POLICIES else source.identity
    selectors = source.selectors
    if selectors is None:
        try:
            entries, selectors, locale = extract_auto(source, page, page_url, result.headers)
        except ExtractError as exc:
            raise ExtractError(source.id, exc.message + _script_hint(source, page)) from exc
    else:
        locale = source.locale or declared_language(page, result.headers)[0]
        entries = extract_items(page, selectors, source.date_format, page_url, locale,
                                guid_rule)
        if not source.locale:
            entries, locale = reread_dates(entries, locale, source.date_format)
    if not entries:
        raise ExtractError(
            source.id,
            (f"no item matched the selector {selectors.item!r}; run `feedhub preview "
             f"{source.id}` to see what the page holds" if selectors else "no items found")
            + _script_hint(source, page),
        )
    if selectors is None or fetch_page is None:
        return entries
    seen = {result.url, page_url}
    for _ in range(source.max_pages - 1):
        url = next_page_url(page, selectors.next, page_url)
        if not url or url in seen:
            break
        seen.add(url)
        try:
            fetched = fetch_page(url)
        except SourceError as exc:
            # The pages already read are good (and hold the newest items): keep them.
            log.warning("source %s: stopped paging at %s: %s", source.id, url, exc.message)
            break
        try:
            page, page_url = parse_page(fetched), fetched.url
        except PageTooDeep as exc:
            log.warning("source %s: stopped paging at %s: %s", source.id, url, exc)
            break
        more = extract_items(page, selectors, source.date_format, page_url, locale, guid_rule)
        if not more:
            break
        entries.extend(more)
    return entries


def _script_hint(source: Source, page: LexborHTMLParser) -> str:
    """For a page read as served that found no items: when it runs scripts (its list may be
    built by them), the advice to read it in a browser."""
    if source.render != "static" or not source.is_remote:
        return ""
    for script in page.css("script"):
        kind = (script.attributes.get("type") or "").strip().lower()
        if kind in ("", "module", "text/javascript", "application/javascript"):
            return ("; the page runs scripts: if they build its list, try `render: browser` "
                    "(headless Chromium)")
    return ""
