"""schema.org articles on a listing page: JSON-LD and microdata, read as raw entries.

The first two strategies of :mod:`.auto`. JSON-LD: ``NewsArticle``/``Article``/
``BlogPosting``/``Report`` (:data:`ARTICLE_TYPES`) objects, also inside ``@graph`` and
``ItemList`` (``itemListElement``); microdata: ``[itemscope]`` elements whose ``itemtype`` is
one of those. Links and images are resolved against ``base``; dates are read in ``locale``.
Pure: no I/O. Must not: look at the page's markup beyond the structured data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..dates import parse_date
from ..model import RawEntry

ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "Report", "ScholarlyArticle",
                 "AnalysisNewsArticle", "ReportageNewsArticle", "PressRelease", "TechArticle"}


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _walk_jsonld(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(value, list):
        for element in value:
            yield from _walk_jsonld(element, depth + 1)
    elif isinstance(value, dict):
        if _types(value) & ARTICLE_TYPES:
            yield value
            return
        if "ListItem" in _types(value) and isinstance(value.get("item"), dict | str):
            item = value["item"]
            if isinstance(item, str):
                yield {"url": item, "name": value.get("name", "")}
            else:
                yield from _walk_jsonld(
                    {"@type": "Article", **item} if not _types(item) else item, depth + 1)
            return
        for key in ("@graph", "itemListElement", "mainEntity", "hasPart"):
            if key in value:
                yield from _walk_jsonld(value[key], depth + 1)


def _ld_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value:
        return _ld_text(value[0])
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("url") or value.get("@id") or "")
    return ""


def from_jsonld(page: LexborHTMLParser, base: str, locale: str) -> list[RawEntry]:
    entries: list[RawEntry] = []
    seen: set[str] = set()
    for script in page.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "")
        except (ValueError, RecursionError):
            continue
        for obj in _walk_jsonld(data):
            link = _ld_text(obj.get("url")) or _ld_text(obj.get("mainEntityOfPage"))
            title = _ld_text(obj.get("headline")) or _ld_text(obj.get("name"))
            if not link or link in seen:
                continue
            seen.add(link)
            written = _ld_text(obj.get("datePublished")) or _ld_text(obj.get("dateCreated"))
            label = _ld_text(obj.get("articleSection")) or _ld_text(obj.get("genre"))
            image = _ld_text(obj.get("image")) or _ld_text(obj.get("thumbnailUrl"))
            modified = _ld_text(obj.get("dateModified"))
            entries.append(RawEntry(
                title=title, link=urljoin(base, link),
                summary=_ld_text(obj.get("description")),
                published=parse_date(written, "", locale) if written else None,
                updated=parse_date(modified) if modified else None,
                date_text=written, labels=(label,) if label else (),
                image=urljoin(base, image) if image else "",
                author=_ld_text(obj.get("author")),
            ))
    return entries


def _prop(node: LexborNode, name: str) -> LexborNode | None:
    return node.css_first(f'[itemprop~="{name}"]')


def _prop_value(node: LexborNode | None) -> str:
    if node is None:
        return ""
    attrs = node.attributes
    for attr in ("content", "datetime", "href", "src"):
        if attrs.get(attr):
            return (attrs.get(attr) or "").strip()
    return (node.text(separator=" ") or "").strip()


def from_microdata(page: LexborHTMLParser, base: str, locale: str) -> list[RawEntry]:
    entries = []
    for node in page.css("[itemscope][itemtype]"):
        kind = (node.attributes.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1]
        if kind not in ARTICLE_TYPES:
            continue
        title_node = _prop(node, "headline") or _prop(node, "name")
        link = _prop_value(_prop(node, "url"))
        if not link:
            anchor = (title_node.css_first("a[href]") if title_node is not None else None) \
                or node.css_first("a[href]")
            link = (anchor.attributes.get("href") or "") if anchor is not None else ""
        if not link:
            continue
        written = _prop_value(_prop(node, "datePublished"))
        label = _prop_value(_prop(node, "articleSection"))
        image = _prop_value(_prop(node, "image"))
        entries.append(RawEntry(
            title=(title_node.text(separator=" ") or "").strip() if title_node else "",
            link=urljoin(base, link),
            summary=_prop_value(_prop(node, "description")),
            published=parse_date(written, "", locale) if written else None,
            date_text=written, labels=(label,) if label else (),
            image=urljoin(base, image) if image else "",
            author=_prop_value(_prop(node, "author")),
        ))
    return entries


