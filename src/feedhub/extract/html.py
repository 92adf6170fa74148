"""News listing pages read with CSS selectors (selectolax/lexbor: ~25x faster than bs4).

A field rule is ``css`` (the element's text), ``css@attr`` (an attribute, e.g. ``a@href``) or
``css@html`` (inner HTML). An empty css part (``@href``) means the item block itself.
Links and images are resolved here against ``<base href>`` or the page URL, since only this
module sees the page.
"""

from __future__ import annotations

from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..dates import parse_date
from ..errors import ExtractError
from ..model import FetchResult, RawEntry, Selectors, Source
from .encoding import decode


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


def _date(node: LexborNode, rule: str) -> str:
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


def extract_items(
    page: LexborHTMLParser, sel: Selectors, date_format: str, page_url: str
) -> list[RawEntry]:
    base = urljoin(page_url, base_href(page))
    entries = []
    for block in page.css(sel.item):
        date_text = _date(block, sel.date)
        labels = field(block, sel.label)
        link = field(block, sel.link)
        image = field(block, sel.image)
        entries.append(RawEntry(
            title=field(block, sel.title),
            link=urljoin(base, link) if link else "",
            summary=field(block, sel.summary),
            published=parse_date(date_text, date_format) if date_text else None,
            date_text=date_text,
            labels=(labels,) if labels else (),
            image=urljoin(base, image) if image else "",
        ))
    return entries


def base_href(page: LexborHTMLParser) -> str:
    base = page.css_first("base[href]")
    return (base.attributes.get("href") or "") if base is not None else ""


def extract_listing(source: Source, result: FetchResult) -> list[RawEntry]:
    if source.selectors is None:
        raise ExtractError(source.id, "an html source needs selectors (at least 'item')")
    if not result.body.strip():
        raise ExtractError(source.id, "the page is empty")
    page = LexborHTMLParser(decode_html(result.body, result.headers))
    page_url = source.base_url or result.url
    entries = extract_items(page, source.selectors, source.date_format, page_url)
    if not entries:
        raise ExtractError(
            source.id,
            f"no item matched the selector {source.selectors.item!r}; run `feedhub preview "
            f"{source.id}` to see what the page holds",
        )
    return entries
