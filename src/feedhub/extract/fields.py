"""The field rules inside the winning repeated blocks: title link, date, label, summary, image.

Chosen by markup (headings, ``<time>``, class names such as ``date``, ``type``, ``summary``)
and by content (text that parses as a date in the page's language), in a sample of the blocks,
the most common rule of each field winning; written down as ordinary
:class:`~feedhub.model.Selectors`, so the same rules can be pasted into sources.yaml.

Text that looks like a date (a day and a year) but parses in no way is still chosen as the
date rule, so that the build counts those dates as unparsed instead of dating the items
silently by first sight. A label with no class name to go by is found by structure: a short
text outside the title link, the date and the summary, at the same place in most blocks, with
few distinct values repeated across them (a section name in a ``<small>`` of a table cell).
Pure: no I/O. Must not: find or score the blocks (:mod:`.blocks`).
"""

from __future__ import annotations

import re
from collections import Counter

from selectolax.lexbor import LexborNode

from ..model import Selectors
from .blocks import MAX_STEPS, SAMPLE, Candidate, class_names, date_node, part, title_link
from .language import LocaleChoice

_CLASS_HINTS = {
    "date": re.compile(r"date|time|publish|posted|when|meta", re.I),
    "label": re.compile(r"type|categor|label|tag|kicker|section|rubric|topic|badge|eyebrow",
                        re.I),
    "summary": re.compile(r"summary|teaser|excerpt|desc|intro|lead|abstract|snippet|text|body",
                          re.I),
}
_DAY_AND_YEAR = re.compile(
    r"(?<!\d)\d{1,2}(?!\d)\D{1,24}(?<!\d)(?:19|20)\d\d(?!\d)"
    r"|(?<!\d)(?:19|20)\d\d(?!\d)\D{1,24}(?<!\d)\d{1,2}(?!\d)"
    r"|(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?!\d)")
"""Text that reads as a date to a person, whatever its language: a day and a year."""
_NOT_LABEL = re.compile(r"author|byline|comment|share|social|more|read|button|btn", re.I)
_BYLINE = re.compile(r"^(by|par|von|por|di|door|av|przez|de)\s", re.I)
MAX_LABEL = 40
"""Longest text taken for a label found by structure (a section name, not a sentence)."""


def choose_fields(candidate: Candidate, locale: LocaleChoice) -> tuple[Selectors, list[str]]:
    """The rules of each field in the candidate's blocks, and the reasons for ``AutoReport``."""
    titles, links, dates, labels, summaries, images = [], [], [], [], [], []
    unparsed: list[str] = []
    sample = candidate.blocks[:SAMPLE]
    taken_by_block: list[set[int]] = []
    for block in sample:
        taken: set[int] = set()
        taken_by_block.append(taken)
        anchor = title_link(block)
        if anchor is not None:
            rule = _relative(block, anchor)
            links.append(f"{rule}@href")
            titles.append(rule)
            taken.add(anchor.mem_id)
        date = date_node(block, locale.locale)
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


def _relative(block: LexborNode, node: LexborNode) -> str:
    """A selector for ``node`` inside ``block``: tag.class steps, kept only as deep as needed."""
    if node == block:
        return ""
    steps: list[LexborNode] = []
    current: LexborNode | None = node
    while current is not None and current != block:
        if len(steps) >= MAX_STEPS:  # deeper than any real card: name the element alone
            return part(node)
        steps.insert(0, current)
        current = current.parent
    for size in range(1, len(steps) + 1):
        parts = [part(n) for n in steps[-size:]]
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
    return part(node)


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
        classes = " ".join(c.rsplit("__", 1)[-1].split("--")[0] for c in class_names(node))
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
                or _NOT_LABEL.search(" ".join(class_names(node))):
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
