"""The language a listing page's dates are read in, and why (:class:`LocaleChoice`).

A source's ``locale`` when set; else the page's declared language (``<html lang>``,
``og:locale``, ``<meta http-equiv="content-language">``, the HTTP ``Content-Language`` header,
in that order) unless the month and weekday names in its dates belong to another supported
language (:func:`feedhub.dates.guess_locale`): pages declare the wrong language often (a
theme's ``lang="en-US"``), their dates never. The choice and its reason are for
``feedhub preview`` and ``feedhub add``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborHTMLParser

from ..dates import date_snippets, guess_locale, language, parse_date
from ..model import RawEntry


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
