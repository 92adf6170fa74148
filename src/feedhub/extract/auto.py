"""Listing pages with no selectors: find the items and their fields without configuration.

Strategies, tried in this order (the first that finds at least two items wins):
1. schema.org JSON-LD, 2. schema.org microdata (both in :mod:`.structured`);
3. repeated blocks: ``<article>`` elements, or sibling elements with the same tag and class
   that each hold a link, scored (:mod:`.blocks`); inside the winning blocks the title link,
   date, label, summary and image are chosen (:mod:`.fields`) and written down as ordinary
   :class:`~feedhub.model.Selectors`, so the same rules can be pasted into sources.yaml.

Dates are read in the source's ``locale``, else in the language the page declares or its
dates' month names show (:func:`~feedhub.extract.language.choose_locale`).

Every run produces an :class:`AutoReport`: the strategy, the selectors chosen, the language of
the dates and why, the reasons and the runner-up, and ``confident=False`` when the choice was
close or found no dates.
``feedhub preview`` prints it. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from ..errors import ExtractError
from ..model import RawEntry, Selectors, Source
from .blocks import MIN_BLOCKS, scored_groups
from .fields import choose_fields
from .language import LocaleChoice, choose_locale
from .page import base_href, extract_items
from .structured import from_jsonld, from_microdata


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


def detect(page: LexborHTMLParser, page_url: str, locale: str = "", date_format: str = "",
           headers: dict[str, str] | None = None) -> tuple[list[RawEntry], AutoReport]:
    """Find a listing's items with no selectors; the report says how and how sure. Dates are
    read in ``locale``, else in the language the page and its dates show (``headers`` are
    the HTTP response's: Content-Language)."""
    base = urljoin(page_url, base_href(page))
    choice = choose_locale(locale, page, headers or {})
    for strategy, finder in (("json-ld", from_jsonld), ("microdata", from_microdata)):
        found = finder(page, base, choice.locale)
        if len(found) >= MIN_BLOCKS:
            dated = sum(1 for e in found if e.published is not None)
            return found, AutoReport(
                strategy, reasons=(f"{len(found)} schema.org articles in {strategy}, "
                                   f"{dated} with a date",),
                confident=dated > 0, count=len(found), locale=choice)
    candidates = scored_groups(page, choice.locale)
    if not candidates:
        return [], AutoReport("none", reasons=(
            "no structured data, no <article> elements and no repeated blocks holding links",),
            confident=False, locale=choice)
    best = candidates[0]
    selectors, reasons = choose_fields(best, choice)
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
