"""Listing pages with no selectors: find the items and their fields without configuration.

Strategies, tried in this order (the first that finds at least two items wins):
1. schema.org JSON-LD: ``NewsArticle``/``Article``/``BlogPosting``/``Report`` objects, also
   inside ``@graph`` and ``ItemList`` (``itemListElement``);
2. schema.org microdata: ``[itemscope]`` elements whose ``itemtype`` is one of those;
3. repeated blocks: ``<article>`` elements, or sibling elements with the same tag and class that
   each hold a link. Blocks are scored by how many there are, how many have a date, and how
   long their link texts are (navigation menus have short ones); inside the winning blocks the
   title link, date, label, summary and image are chosen by markup (headings, ``<time>``,
   class names such as ``date``, ``type``, ``summary``) and by content (text that parses as a
   date in the page's language), and written down as ordinary
   :class:`~feedhub.model.Selectors`, so the same rules can be pasted into sources.yaml.

Dates are read in the source's ``locale``, else in the language the page declares or its
dates' month names show (:func:`~feedhub.extract.html.choose_locale`). Text that looks like a
date (a day and a year) but parses in no way is still chosen as the date rule, so that the
build counts those dates as unparsed instead of dating the items silently by first sight.

A label with no class name to go by is found by structure: a short text outside the title
link, the date and the summary, at the same place in most blocks, with few distinct values
repeated across them (a section name in a ``<small>`` of a table cell).

Every run produces an :class:`AutoReport`: the strategy, the selectors chosen, the language of
the dates and why, the reasons and the runner-up, and ``confident=False`` when the choice was
close or found no dates.
``feedhub preview`` prints it. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..dates import parse_date
from ..errors import ExtractError
from ..model import RawEntry, Selectors, Source
from .html import LocaleChoice, base_href, choose_locale, extract_items

ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "Report", "ScholarlyArticle",
                 "AnalysisNewsArticle", "ReportageNewsArticle", "PressRelease", "TechArticle"}
MIN_BLOCKS = 2
SAMPLE = 40
"""Blocks of a group that are examined to score it and to choose its fields."""
MAX_STEPS = 8
"""Ancestor steps in a generated selector; also bounds the work on deeply nested pages."""
_SKIP_ANCESTORS = {"nav", "header", "footer", "aside", "form"}
_CLASS_HINTS = {
    "date": re.compile(r"date|time|publish|posted|when|meta", re.I),
    "label": re.compile(r"type|categor|label|tag|kicker|section|rubric|topic|badge|eyebrow",
                        re.I),
    "summary": re.compile(r"summary|teaser|excerpt|desc|intro|lead|abstract|snippet|text|body",
                          re.I),
}
_DATEISH = re.compile(r"\d{4}|\d{1,2}[./-]\d{1,2}")
_DAY_AND_YEAR = re.compile(
    r"(?<!\d)\d{1,2}(?!\d)\D{1,24}(?<!\d)(?:19|20)\d\d(?!\d)"
    r"|(?<!\d)(?:19|20)\d\d(?!\d)\D{1,24}(?<!\d)\d{1,2}(?!\d)"
    r"|(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?!\d)")
"""Text that reads as a date to a person, whatever its language: a day and a year."""
_NOT_LABEL = re.compile(r"author|byline|comment|share|social|more|read|button|btn", re.I)
_BYLINE = re.compile(r"^(by|par|von|por|di|door|av|przez|de)\s", re.I)
MAX_LABEL = 40
"""Longest text taken for a label found by structure (a section name, not a sentence)."""


@dataclass(frozen=True)
class AutoReport:
    """What automatic extraction found, and why it chose it."""

    strategy: str
    """"json-ld", "microdata", "blocks" or "none"."""
    selectors: Selectors | None = None
    """The rules chosen ("blocks" only); paste them into sources.yaml to pin them."""
    reasons: tuple[str, ...] = ()
    runner_up: str = ""
    confident: bool = True
    count: int = 0
    locale: LocaleChoice = field(default_factory=LocaleChoice)
    """The language the dates were read in, and why."""


@dataclass
class _Candidate:
    selector: str
    blocks: list[LexborNode]
    linked: int = 0
    dated: int = 0
    link_text: float = 0.0
    score: float = 0.0
    why: list[str] = field(default_factory=list)


# --- JSON-LD -----------------------------------------------------------------------------


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


def _from_jsonld(page: LexborHTMLParser, base: str, locale: str) -> list[RawEntry]:
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


# --- microdata ---------------------------------------------------------------------------


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


def _from_microdata(page: LexborHTMLParser, base: str, locale: str) -> list[RawEntry]:
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


# --- repeated blocks ---------------------------------------------------------------------


def _classes(node: LexborNode) -> list[str]:
    return [c for c in (node.attributes.get("class") or "").split()
            if re.fullmatch(r"[A-Za-z_-][\w-]*", c) and not re.search(r"\d{2,}", c)]


def _part(node: LexborNode) -> str:
    classes = _classes(node)
    return (node.tag or "") + (f".{classes[0]}" if classes else "")


def _node_id(node: LexborNode) -> str:
    value = node.attributes.get("id") or ""
    return value if re.fullmatch(r"[A-Za-z][\w-]*", value) else ""


def _inside_chrome(body: LexborNode) -> set[int]:
    """Nodes inside nav/header/footer/aside/form, found in one top-down pass (a per-node walk
    up the ancestors would be quadratic on a deeply nested page)."""
    inside: set[int] = set()
    for node in body.traverse():
        parent = node.parent
        if parent is not None and (parent.tag in _SKIP_ANCESTORS or parent.mem_id in inside):
            inside.add(node.mem_id)
    return inside


def _group_selector(page: LexborHTMLParser, parent: LexborNode, child: str,
                    count: int) -> str:
    """A selector for the parent's repeated children, checked against the page: the parent's
    step, then up to ``MAX_STEPS`` ancestors until it matches exactly this group."""
    parts: list[str] = []
    node: LexborNode | None = parent
    selector = child
    while node is not None and node.tag not in ("html", "body", "-undef") \
            and len(parts) < MAX_STEPS:
        ident = _node_id(node)
        parts.insert(0, f"#{ident}" if ident else _part(node))
        selector = " > ".join([*parts, child]) if len(parts) == 1 else \
            " ".join(parts[:-1]) + f" {parts[-1]} > {child}"
        if ident or len(page.css(selector)) == count:
            return selector
        node = node.parent
    return selector


def _looks_like_date(text: str, locale: str) -> bool:
    text = text.strip()
    return 4 <= len(text) <= 40 and bool(_DATEISH.search(text)) and \
        parse_date(text, "", locale) is not None


def _date_node(block: LexborNode, locale: str) -> LexborNode | None:
    found = block.css_first("time[datetime]") or block.css_first("time")
    if found is not None:
        return found
    for node in block.traverse():
        if node == block or node.tag in ("-text", "a", "script", "style"):
            continue
        own = node.text(deep=False, separator=" ").strip() if node.child else ""
        text = (node.text(separator=" ") or "").strip()
        if (own or len(text) <= 40) and _looks_like_date(own or text, locale):
            return node
    return None


def _dateish_node(block: LexborNode, skip: set[int]) -> LexborNode | None:
    """A small element whose text is mostly a day and a year ("27 brumaire 2021"), parsed or
    not: a date to a person."""
    for node in block.traverse():
        if node == block or node.tag in ("-text", "a", "script", "style") \
                or node.mem_id in skip:
            continue
        text = (node.text(separator=" ") or "").strip()
        found = _DAY_AND_YEAR.search(text) if 6 <= len(text) <= 40 else None
        if found is not None and len(found.group(0)) * 2 >= len(text):
            return node
    return None


def _title_link(block: LexborNode) -> LexborNode | None:
    for level in ("h1", "h2", "h3", "h4", "h5", "h6"):
        heading = block.css_first(level)
        if heading is not None:
            anchor = heading.css_first("a[href]")
            if anchor is not None:
                return anchor
    anchors = [a for a in block.css("a[href]") if (a.text() or "").strip()]
    if block.tag == "a" and block.attributes.get("href"):
        return block
    return max(anchors, key=lambda a: len((a.text() or "").strip()), default=None)


def _path(node: LexborNode) -> tuple[str, ...]:
    """The tag.class steps from ``node`` up to <body> (at most ``MAX_STEPS``): same path, same
    kind of container."""
    parts: list[str] = []
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html", "-undef") \
            and len(parts) < MAX_STEPS:
        parts.append(_part(current))
        current = current.parent
    return tuple(parts)


def _candidates(page: LexborHTMLParser, locale: str) -> list[_Candidate]:
    """Groups of repeated blocks, scored. Linear in the page: containers with the same path
    (every <tr> of a table, every card's body) are one group, and blocks are scored on a
    sample, so a 2 000-row table costs what a 40-row one does."""
    groups: dict[tuple[tuple[str, ...], str], list[LexborNode]] = {}
    parents: dict[tuple[tuple[str, ...], str], LexborNode] = {}
    body = page.body
    if body is None:
        return []
    chrome = _inside_chrome(body)
    for parent in body.traverse():
        if parent.tag in ("-text", "-comment", "script", "style", "head") \
                or parent.mem_id in chrome or parent.tag in _SKIP_ANCESTORS:
            continue
        signatures: dict[str, list[LexborNode]] = {}
        for child in parent.iter():
            if child.tag in ("-text", "-comment", "script", "style", "br"):
                continue
            signatures.setdefault(_part(child), []).append(child)
        path: tuple[str, ...] | None = None
        for sig, members in signatures.items():
            if len(members) >= MIN_BLOCKS:
                path = path or _path(parent)
                key = (path, sig)
                groups.setdefault(key, []).extend(members)
                parents.setdefault(key, parent)
    by_selector: dict[str, _Candidate] = {}
    for key, members in groups.items():
        selector = _group_selector(page, parents[key], key[1], len(members))
        if selector not in by_selector:
            # Score what the selector really matches: groups it joins count as one.
            matched = [n for n in page.css(selector) if n.mem_id not in chrome]
            by_selector[selector] = _Candidate(selector, matched or members)
    candidates = list(by_selector.values())
    articles = [a for a in page.css("article") if a.mem_id not in chrome
                and (a.parent is None or a.parent.tag != "article")]
    if len(articles) >= MIN_BLOCKS:
        candidates.append(_Candidate("article", articles, why=["<article> elements"]))
    for candidate in candidates:
        _score(candidate, locale)
    return sorted((c for c in candidates if c.score > 0), key=lambda c: -c.score)


def _score(candidate: _Candidate, locale: str) -> None:
    sample = candidate.blocks[:SAMPLE]
    texts = []
    for block in sample:
        anchor = _title_link(block)
        if anchor is not None and (anchor.text() or "").strip():
            candidate.linked += 1
            texts.append(len((anchor.text() or "").strip()))
        if _date_node(block, locale) is not None:
            candidate.dated += 1
    if candidate.linked < min(MIN_BLOCKS, len(sample)):
        candidate.score = 0
        return
    candidate.link_text = sum(texts) / len(texts)
    date_share = candidate.dated / len(sample)
    link_share = candidate.linked / len(sample)
    candidate.score = (len(candidate.blocks) * link_share * (1 + 3 * date_share) * link_share
                       * min(1.0, candidate.link_text / 25)
                       * (1.5 if candidate.blocks[0].tag == "article" else 1.0))


def _relative(block: LexborNode, node: LexborNode) -> str:
    """A selector for ``node`` inside ``block``: tag.class steps, kept only as deep as needed."""
    if node == block:
        return ""
    steps: list[LexborNode] = []
    current: LexborNode | None = node
    while current is not None and current != block:
        if len(steps) >= MAX_STEPS:  # deeper than any real card: name the element alone
            return _part(node)
        steps.insert(0, current)
        current = current.parent
    for size in range(1, len(steps) + 1):
        parts = [_part(n) for n in steps[-size:]]
        selector = " ".join(parts)
        if block.css_first(selector) == node:
            return selector
    # Same tag and class among siblings (table cells): say which one.
    parent = node.parent
    if parent is not None:
        same = [c for c in parent.iter() if c.tag == node.tag]
        index = next(i for i, c in enumerate(same) if c == node) + 1
        prefix = _relative(block, parent)
        return f"{prefix} > {node.tag}:nth-of-type({index})".strip(" >") if prefix else \
            f"{node.tag}:nth-of-type({index})"
    return _part(node)


def _most_common(rules: list[str]) -> str:
    rules = [r for r in rules if r is not None]
    return Counter(rules).most_common(1)[0][0] if rules else ""


def _hinted(block: LexborNode, kind: str, taken: set[int]) -> LexborNode | None:
    pattern = _CLASS_HINTS[kind]
    for node in block.traverse():
        if node == block or node.mem_id in taken or node.tag in ("-text", "a", "img"):
            continue
        # BEM names say what an element is after "__": "teaser__kicker" is a kicker, not a
        # teaser (a summary hint), and "teaser__text" is no summary when it holds the title.
        classes = " ".join(c.rsplit("__", 1)[-1].split("--")[0] for c in _classes(node))
        if classes and pattern.search(classes) and (node.text() or "").strip():
            return node
    return None


def _inside(node: LexborNode, block: LexborNode, taken: set[int]) -> bool:
    """Whether ``node`` or one of its ancestors up to ``block`` is in ``taken``."""
    current: LexborNode | None = node
    while current is not None and current != block:
        if current.mem_id in taken:
            return True
        current = current.parent
    return False


def _short_texts(block: LexborNode, taken: set[int]) -> dict[str, str]:
    """Label candidates of one block: rule -> text, for elements with their own short text
    (no digits: not a date, a count or a time) outside the fields already chosen."""
    found: dict[str, str] = {}
    for node in block.traverse():
        if node == block or node.tag in ("-text", "-comment", "img", "script", "style") \
                or not (node.text(deep=False) or "").strip() or _inside(node, block, taken):
            continue
        text = " ".join((node.text(separator=" ") or "").split())
        if not 2 <= len(text) <= MAX_LABEL or len(text.split()) > 4 \
                or any(c.isdigit() for c in text) or _BYLINE.match(text) \
                or _NOT_LABEL.search(" ".join(_classes(node))):
            continue
        found.setdefault(_relative(block, node), text)
    return found


def _label_by_structure(blocks: list[LexborNode], taken: list[set[int]]
                        ) -> tuple[str, str]:
    """The rule whose short text is in most blocks with few distinct values, each repeated
    (section names are shared; titles, authors' sentences and teasers are not), and why."""
    seen: dict[str, list[str]] = {}
    for block, skip in zip(blocks, taken, strict=True):
        for rule, text in _short_texts(block, skip).items():
            seen.setdefault(rule, []).append(text)
    best: tuple[float, float, str] | None = None
    for rule, texts in seen.items():
        distinct = len(set(texts))
        if len(texts) * 2 < len(blocks) or len(texts) < 3 or not 2 <= distinct < len(texts) \
                or distinct > max(2, round(len(texts) * 0.7)):
            continue
        key = (len(texts) / len(blocks), -distinct / len(texts), rule)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return "", ""
    texts = seen[best[2]]
    values = ", ".join(repr(v) for v, _ in Counter(texts).most_common(3))
    return best[2], (f"label {best[2]!r} found by structure: a short text in {len(texts)} of "
                     f"{len(blocks)} blocks with {len(set(texts))} values ({values}, ...)")


def _choose_fields(candidate: _Candidate, locale: LocaleChoice
                   ) -> tuple[Selectors, list[str]]:
    titles, links, dates, labels, summaries, images = [], [], [], [], [], []
    unparsed: list[str] = []
    sample = candidate.blocks[:SAMPLE]
    taken_by_block: list[set[int]] = []
    for block in sample:
        taken: set[int] = set()
        taken_by_block.append(taken)
        anchor = _title_link(block)
        if anchor is not None:
            rule = _relative(block, anchor)
            links.append(f"{rule}@href")
            titles.append(rule)
            taken.add(anchor.mem_id)
        date = _date_node(block, locale.locale)
        if date is None and candidate.dated == 0:
            date = _dateish_node(block, taken)
            if date is not None:
                unparsed.append(_relative(block, date))
        elif date is not None:
            dates.append(_relative(block, date))
        if date is not None:
            taken.add(date.mem_id)
        outer = _ancestors(block, anchor)
        label = _hinted(block, "label", taken | outer)
        if label is not None:
            labels.append(_relative(block, label))
            taken.add(label.mem_id)
        summary = _hinted(block, "summary", taken | outer)
        if summary is None:
            paragraphs = [p for p in block.css("p") if p.mem_id not in taken | outer
                          and len((p.text() or "").strip()) > 40]
            summary = max(paragraphs, key=lambda p: len(p.text() or ""), default=None)
        if summary is not None:
            summaries.append(_relative(block, summary))
            taken.add(summary.mem_id)
        image = block.css_first("img")
        if image is not None:
            images.append(_relative(block, image))
    reasons = []
    label_rule = _most_common(labels)
    if len(labels) * 2 < len(sample):
        found, why = _label_by_structure(sample, taken_by_block)
        if found:
            label_rule = found
            reasons.append(why)
    date_rule = _most_common(dates)
    if not date_rule and len(unparsed) * 2 >= len(sample):
        date_rule = _most_common(unparsed)
    chosen = Selectors(
        item=candidate.selector, title=_most_common(titles), link=_most_common(links),
        date=date_rule, label=label_rule,
        summary=_most_common(summaries), image=_most_common(images),
    )
    count = min(len(candidate.blocks), SAMPLE)
    of = "" if count == len(candidate.blocks) else f" of the first {count}"
    reasons.insert(0,
        f"{len(candidate.blocks)} blocks match {candidate.selector!r}; {candidate.linked}{of} "
        f"hold a link (mean link text {candidate.link_text:.0f} chars), {candidate.dated} a date"
    )
    if chosen.date and not dates:
        example = (sample[0].css_first(chosen.date) if chosen.date else None)
        text = " ".join(((example.text() or "") if example is not None else "").split())
        reasons.append(f"the blocks hold date-like text ({text!r} in {chosen.date!r}) that "
                       f"does not parse (language: {locale.locale or 'en'}): set date_format, "
                       "and locale if the month names are in another language")
    for name in ("title", "date", "label", "summary", "image"):
        if not getattr(chosen, name):
            reasons.append(f"no {name} found in the blocks")
    return chosen, reasons


def _ancestors(block: LexborNode, node: LexborNode | None) -> set[int]:
    """``node``'s ancestors inside ``block`` (the heading around a title link): not a label
    or a summary of their own."""
    found: set[int] = set()
    current = node.parent if node is not None else None
    while current is not None and current != block:
        found.add(current.mem_id)
        current = current.parent
    return found


def detect(page: LexborHTMLParser, page_url: str, locale: str = "", date_format: str = "",
           headers: dict[str, str] | None = None) -> tuple[list[RawEntry], AutoReport]:
    """Find a listing's items with no selectors; the report says how and how sure. Dates are
    read in ``locale``, else in the language the page and its dates show (``headers`` are
    the HTTP response's: Content-Language)."""
    base = urljoin(page_url, base_href(page))
    choice = choose_locale(locale, page, headers or {})
    for strategy, finder in (("json-ld", _from_jsonld), ("microdata", _from_microdata)):
        found = finder(page, base, choice.locale)
        if len(found) >= MIN_BLOCKS:
            dated = sum(1 for e in found if e.published is not None)
            return found, AutoReport(
                strategy, reasons=(f"{len(found)} schema.org articles in {strategy}, "
                                   f"{dated} with a date",),
                confident=dated > 0, count=len(found), locale=choice)
    candidates = _candidates(page, choice.locale)
    if not candidates:
        return [], AutoReport("none", reasons=(
            "no structured data, no <article> elements and no repeated blocks holding links",),
            confident=False, locale=choice)
    best = candidates[0]
    selectors, reasons = _choose_fields(best, choice)
    entries = [e for e in extract_items(page, selectors, date_format, page_url, choice.locale)
               if e.link]
    runner_up = ""
    confident = best.dated > 0
    # A group that matches the same blocks under another selector ("article" beside
    # "main > article.teaser") is no rival.
    same = {b.mem_id for b in best.blocks}
    rivals = [c for c in candidates[1:] if {b.mem_id for b in c.blocks} != same]
    if rivals:
        second = rivals[0]
        runner_up = (f"{second.selector!r}: {len(second.blocks)} blocks, {second.dated} dated, "
                     f"score {second.score:.1f} vs {best.score:.1f}")
        if second.score * 1.3 > best.score:
            confident = False
            reasons.append("the runner-up scored close: check the items, or set selectors")
    if best.dated == 0 and not selectors.date:
        reasons.append("no block has a date: items will be dated when first seen")
    return entries, AutoReport("blocks", selectors, tuple(reasons), runner_up, confident,
                               len(entries), choice)


def extract_auto(
    source: Source, page: LexborHTMLParser, page_url: str, headers: dict[str, str] | None = None
) -> tuple[list[RawEntry], Selectors | None, str]:
    """The items of a page without selectors, the selectors chosen (None for structured
    data) and the locale the dates were read in, or an ExtractError that says what was
    looked for."""
    entries, report = detect(page, page_url, source.locale, source.date_format, headers)
    if not entries:
        raise ExtractError(source.id, "found no items on this page without selectors ("
                           + "; ".join(report.reasons) + f"); run `feedhub preview {source.id}`"
                           " and add selectors")
    return entries, report.selectors, report.locale.locale


__all__ = ["AutoReport", "detect", "extract_auto"]
