"""News listing pages read with CSS selectors (selectolax/lexbor: ~25x faster than bs4).

A field rule is ``css`` (the element's text), ``css@attr`` (an attribute, e.g. ``a@href``) or
``css@html`` (inner HTML). An empty css part (``@href``) means the item block itself.

Without configuration: a date rule finds ``<time datetime>`` (inside the matched element, or
anywhere in the block when there is no rule) and prefers its machine-readable value; an image
rule that names an ``<img>`` (``img``, ``img@src``) falls back from a missing or placeholder
``src`` to the lazy-loading ``data-src``/``data-lazy-src``/``data-original`` and to the largest
``srcset`` candidate (also of a ``<picture><source>``). Links and images are resolved here
against ``<base href>`` or the page URL, since only this module sees the page.

Language of the dates: a source's ``locale`` when set; else the page's declared language
(``<html lang>``, ``og:locale``, ``<meta http-equiv="content-language">``, the HTTP
``Content-Language`` header, in that order) unless the month and weekday names in its dates
belong to another supported language (:func:`feedhub.dates.guess_locale`): pages declare the
wrong language often (a theme's ``lang="en-US"``), their dates never. The choice and its
reason travel as a :class:`LocaleChoice`, for ``feedhub preview`` and ``feedhub add``.

Pagination: with ``max_pages`` > 1 the next page is the ``next`` selector's link, else
``<link rel="next">``/``<a rel="next">``. Pages are fetched through a :class:`PageFetcher`
passed in by the caller, so this module never does I/O itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..dates import date_snippets, guess_locale, language, parse_date
from ..errors import ExtractError, SourceError
from ..model import ID_POLICIES, FetchResult, RawEntry, Selectors, Source
from . import PageFetcher
from .encoding import decode

log = logging.getLogger(__name__)


def decode_html(body: bytes, headers: dict[str, str]) -> str:
    """Decode a page: BOM, HTTP charset, <meta charset>, UTF-8 (see :mod:`.encoding`)."""
    return decode(body, headers).text


def _select_one(node: LexborNode, css: str) -> LexborNode | None:
    return node if not css else node.css_first(css)


def field(node: LexborNode, rule: str) -> str:
    """Apply one field rule inside an item block; "" when the rule finds nothing."""
    if not rule:
        return ""
    css, _, attr = rule.partition("@")
    target = _select_one(node, css.strip())
    if target is None:
        return ""
    attr = attr.strip()
    if not attr:
        return (target.text(separator=" ") or "").strip()
    if attr == "html":
        return str(target.inner_html or "").strip()
    return (target.attributes.get(attr) or "").strip()


def date_text(node: LexborNode, rule: str) -> str:
    """The date rule's text, preferring a machine-readable <time datetime>."""
    if rule and "@" in rule:
        return field(node, rule)
    target = _select_one(node, rule) if rule else node.css_first("time[datetime]")
    if target is None:
        return ""
    if target.tag == "time" and target.attributes.get("datetime"):
        return target.attributes["datetime"] or ""
    inner = target.css_first("time[datetime]")
    if inner is not None:
        return inner.attributes.get("datetime") or ""
    return (target.text(separator=" ") or "").strip()


_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-srcset",
               "srcset")
_WIDTH = re.compile(r"^(\d+(?:\.\d+)?)[wx]$")


def largest_in_srcset(srcset: str) -> str:
    """The widest (or densest) candidate of a srcset; the first when none says."""
    best, best_size = "", -1.0
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts:
            continue
        match = _WIDTH.match(parts[-1]) if len(parts) > 1 else None
        size = float(match.group(1)) if match else 0.0
        if size > best_size:
            best, best_size = parts[0], size
    return best


def _is_placeholder(src: str) -> bool:
    return not src or src.startswith("data:") or "blank." in src or "placeholder" in src


def image_url(img: LexborNode) -> str:
    """The real image of an <img> (or <picture>/<source>), past lazy-loading placeholders."""
    attrs = img.attributes
    src = (attrs.get("src") or "").strip()
    if not _is_placeholder(src):
        return src
    for name in _LAZY_ATTRS:
        value = (attrs.get(name) or "").strip()
        if value:
            return largest_in_srcset(value) if "srcset" in name else value
    parent = img.parent
    if parent is not None and parent.tag == "picture":
        for source in parent.css("source[srcset]"):
            return largest_in_srcset(source.attributes.get("srcset") or "")
    return "" if src.startswith("data:") else src


def image_field(node: LexborNode, rule: str) -> str:
    css, _, attr = rule.partition("@")
    attr = attr.strip()
    target = _select_one(node, css.strip())
    if target is None:
        return ""
    if attr in ("", "src") and target.tag in ("img", "source"):
        return image_url(target)
    if attr in ("srcset", "data-srcset"):
        return largest_in_srcset(target.attributes.get(attr) or "")
    if not attr:
        img = target.css_first("img")
        return image_url(img) if img is not None else ""
    return field(node, rule)


def extract_items(
    page: LexborHTMLParser, sel: Selectors, date_format: str, page_url: str, locale: str = "",
    guid_rule: str = "",
) -> list[RawEntry]:
    base = urljoin(page_url, base_href(page))
    entries = []
    for block in page.css(sel.item):
        written = date_text(block, sel.date)
        labels = field(block, sel.label)
        link = field(block, sel.link)
        image = image_field(block, sel.image) if sel.image else ""
        entries.append(RawEntry(
            title=field(block, sel.title),
            title_html=True if sel.title.rstrip().endswith("@html") else None,
            link=urljoin(base, link) if link else "",
            guid=field(block, guid_rule),
            summary=field(block, sel.summary),
            published=parse_date(written, date_format, locale) if written else None,
            date_text=written,
            labels=(labels,) if labels else (),
            image=urljoin(base, image) if image else "",
        ))
    return entries


@dataclass(frozen=True)
class LocaleChoice:
    """The language a listing's dates are read in, and why."""

    locale: str = ""
    """A supported locale; "" reads English names (and every numeric date)."""
    why: str = ""
    """For people: 'fr from <html lang="fr-FR">', 'set in sources.yaml', ..."""
    declared: str = ""
    """The supported language the page declares ("" when none or unsupported)."""


def declared_language(page: LexborHTMLParser, headers: dict[str, str]) -> tuple[str, str]:
    """The first supported language the page declares, and where: ``("fr", '<html
    lang="fr-FR">')``; ``("", where)`` when it declares only one feedhub does not read (the
    first such place), ``("", "")`` when it declares none."""
    places: list[tuple[str, str]] = []
    root = page.css_first("html")
    if root is not None:
        places.append((root.attributes.get("lang") or "", "<html lang=\"{}\">"))
        places.append((root.attributes.get("xml:lang") or "", "<html xml:lang=\"{}\">"))
    for css, where in (('meta[property="og:locale"]', "og:locale {}"),
                       ('meta[http-equiv="content-language" i]', "<meta content-language {}>")):
        node = page.css_first(css)
        if node is not None:
            places.append((node.attributes.get("content") or "", where))
    header = next((v for k, v in headers.items() if k.lower() == "content-language"), "")
    places.append((header.split(",")[0], "the Content-Language header ({})"))
    unsupported = ""
    for tag, where in places:
        lang = language(tag) if tag.strip() else ""
        if lang:
            return lang, where.format(tag.strip())
        if tag.strip() and not unsupported:
            unsupported = where.format(tag.strip())
    return "", unsupported


def choose_locale(configured: str, page: LexborHTMLParser, headers: dict[str, str],
                  texts: Iterable[str] | None = None) -> LocaleChoice:
    """The language to read a page's dates in. ``texts`` are its date texts when known (a
    source with selectors); else the text before each year on the page is read."""
    if configured:
        return LocaleChoice(configured, f"{configured} set in sources.yaml", configured)
    declared, where = declared_language(page, headers)
    if texts is None:
        body = page.body
        texts = date_snippets((body.text(separator=" ") or "") if body is not None else "")
    guess = guess_locale(texts, prefer=declared)
    words = ", ".join(repr(w) for w in guess.words)
    if guess.locale and guess.locale != declared:
        said = f", though the page says {where}" if declared else ""
        return LocaleChoice(guess.locale, f"{guess.locale} from the month and weekday names "
                            f"in its dates ({words}){said}", declared)
    if declared:
        return LocaleChoice(declared, f"{declared} from {where}", declared)
    said = f"{where} names no supported language" if where else "no language declared"
    return LocaleChoice("", f"{said} and no month names of one are in its dates: English "
                        "names and numeric dates are read")


def selectors_locale(configured: str, page: LexborHTMLParser, headers: dict[str, str],
                     date_texts: list[str], date_format: str) -> LocaleChoice:
    """The language :func:`extract_listing` reads a source with selectors in, and why: the
    configured one, else the declared one while every date parses in it, else the one the
    dates' own words name (what :func:`reread_dates` does, told for ``feedhub preview``)."""
    if configured:
        return choose_locale(configured, page, headers)
    declared, where = declared_language(page, headers)
    texts = [t for t in date_texts if t]
    if all(parse_date(t, date_format, declared) is not None for t in texts):
        why = f"{declared} from {where}" if declared else (
            f"{where} names no supported language" if where else "no language declared")
        if texts:
            why += "; every date parses in it" if declared else "; every date parses as written"
        return LocaleChoice(declared, why, declared)
    return choose_locale("", page, headers, texts)


def reread_dates(entries: list[RawEntry], locale: str, date_format: str
                 ) -> tuple[list[RawEntry], str]:
    """Entries whose date text ``locale`` (the page's declared language) could not read, read
    in the language their own words name, and that language (a source with selectors and no
    ``locale``: its date texts are known, the page's other text need not be read)."""
    if not any(e.published is None and e.date_text for e in entries):
        return entries, locale
    guess = guess_locale((e.date_text for e in entries), prefer=locale)
    if not guess.locale or guess.locale == locale:
        return entries, locale
    return [replace(e, published=parse_date(e.date_text, date_format, guess.locale))
            if e.published is None and e.date_text else e for e in entries], guess.locale


def base_href(page: LexborHTMLParser) -> str:
    base = page.css_first("base[href]")
    return (base.attributes.get("href") or "") if base is not None else ""


def next_page_url(page: LexborHTMLParser, rule: str, page_url: str) -> str:
    """The absolute URL of the next page: the rule's link, else rel="next"; "" when none."""
    href = ""
    if rule:
        href = field(page.root, rule if "@" in rule else rule + "@href") if page.root else ""
    else:
        for node in page.css('link[rel~="next"], a[rel~="next"]'):
            href = (node.attributes.get("href") or "").strip()
            if href:
                break
    return urljoin(urljoin(page_url, base_href(page)), href) if href else ""


MAX_HTML_DEPTH = 4000
"""Deeper element nesting is refused: lexbor's parse time grows with depth squared (20 000
levels take ~2 s, a 10 MB page of them would take hours). Real pages stay under 100."""
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
# Elements that cannot nest (void) or that the parser closes implicitly (<p><p> are siblings).
_FLAT = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr", "param", "p", "li", "td", "th", "tr", "dt", "dd", "option",
         "optgroup", "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp"}


def too_deep(text: str) -> bool:
    """True when elements (an upper bound, counted on the tags) nest over MAX_HTML_DEPTH."""
    if text.count("<") <= MAX_HTML_DEPTH:
        return False
    depth = 0
    for match in _HTML_TAG.finditer(text):
        closing, name, empty = match.groups()
        if empty or name.lower() in _FLAT:
            continue
        depth += -1 if closing else 1
        if depth > MAX_HTML_DEPTH:
            return True
    return False


class PageTooDeep(ValueError):
    """A page nested deeper than MAX_HTML_DEPTH; the caller names the source."""


def parse_page(result: FetchResult) -> LexborHTMLParser:
    text = decode_html(result.body, result.headers)
    if too_deep(text):
        raise PageTooDeep(f"the page nests elements more than {MAX_HTML_DEPTH} deep; refused "
                          "(parsing it would take minutes)")
    return LexborHTMLParser(text)


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
        from .auto import extract_auto

        entries, selectors, locale = extract_auto(source, page, page_url, result.headers)
    else:
        locale = source.locale or declared_language(page, result.headers)[0]
        entries = extract_items(page, selectors, source.date_format, page_url, locale,
                                guid_rule)
        if not source.locale:
            entries, locale = reread_dates(entries, locale, source.date_format)
    if not entries:
        raise ExtractError(
            source.id,
            f"no item matched the selector {selectors.item!r}; run `feedhub preview "
            f"{source.id}` to see what the page holds" if selectors else "no items found",
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
