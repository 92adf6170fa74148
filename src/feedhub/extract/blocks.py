"""Repeated blocks on a listing page: the groups that may be its items, and their scores.

The third strategy of :mod:`.auto`: ``<article>`` elements, or sibling elements with the same
tag and class that each hold a link, outside navigation, headers, footers, asides and forms.
Each group gets a selector checked against the page (:func:`scored_groups`) and a score from how
many blocks there are, how many have a date, and how long their link texts are (navigation
menus have short ones). The element vocabulary the scoring and :mod:`.fields` share is here:
a node's ``tag.class`` step (:func:`part`), its title link (:func:`title_link`) and its date
element (:func:`date_node`). Pure: no I/O. Must not: choose the fields' rules (:mod:`.fields`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..dates import parse_date

MIN_BLOCKS = 2
SAMPLE = 40
"""Blocks of a group that are examined to score it and to choose its fields."""
MAX_STEPS = 8
"""Ancestor steps in a generated selector; also bounds the work on deeply nested pages."""
_SKIP_ANCESTORS = {"nav", "header", "footer", "aside", "form"}
_DATEISH = re.compile(r"\d{4}|\d{1,2}[./-]\d{1,2}")


@dataclass
class Candidate:
    """A group of repeated blocks that may be the listing's items, with its score's parts."""

    selector: str
    blocks: list[LexborNode]
    linked: int = 0
    dated: int = 0
    link_text: float = 0.0
    score: float = 0.0
    why: list[str] = field(default_factory=list)


def class_names(node: LexborNode) -> list[str]:
    """The node's class names that name a kind of element (not generated ones: "x-9f3a21")."""
    return [c for c in (node.attributes.get("class") or "").split()
            if re.fullmatch(r"[A-Za-z_-][\w-]*", c) and not re.search(r"\d{2,}", c)]


def part(node: LexborNode) -> str:
    """The node's ``tag.class`` selector step."""
    classes = class_names(node)
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
        parts.insert(0, f"#{ident}" if ident else part(node))
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


def date_node(block: LexborNode, locale: str) -> LexborNode | None:
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


def title_link(block: LexborNode) -> LexborNode | None:
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
        parts.append(part(current))
        current = current.parent
    return tuple(parts)


def scored_groups(page: LexborHTMLParser, locale: str) -> list[Candidate]:
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
            signatures.setdefault(part(child), []).append(child)
        path: tuple[str, ...] | None = None
        for sig, members in signatures.items():
            if len(members) >= MIN_BLOCKS:
                path = path or _path(parent)
                key = (path, sig)
                groups.setdefault(key, []).extend(members)
                parents.setdefault(key, parent)
    by_selector: dict[str, Candidate] = {}
    for key, members in groups.items():
        selector = _group_selector(page, parents[key], key[1], len(members))
        if selector not in by_selector:
            # Score what the selector really matches: groups it joins count as one.
            matched = [n for n in page.css(selector) if n.mem_id not in chrome]
            by_selector[selector] = Candidate(selector, matched or members)
    candidates = list(by_selector.values())
    articles = [a for a in page.css("article") if a.mem_id not in chrome
                and (a.parent is None or a.parent.tag != "article")]
    if len(articles) >= MIN_BLOCKS:
        candidates.append(Candidate("article", articles, why=["<article> elements"]))
    for candidate in candidates:
        _score(candidate, locale)
    return sorted((c for c in candidates if c.score > 0), key=lambda c: -c.score)


def _score(candidate: Candidate, locale: str) -> None:
    sample = candidate.blocks[:SAMPLE]
    texts = []
    for block in sample:
        anchor = title_link(block)
        if anchor is not None and (anchor.text() or "").strip():
            candidate.linked += 1
            texts.append(len((anchor.text() or "").strip()))
        if date_node(block, locale) is not None:
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
