"""Date text -> datetime. Pure functions; no clock.

A result without tzinfo means "local to the source"; normalise attaches the source's timezone
(a date-only value is midnight there, then stored in UTC).
Listing-page formats are tried first with strptime, then ISO 8601 and RFC 822 (the two feed
date formats). All of them are fast; no natural-language guessing (dateparser is ~200x slower).

``locale`` ("fr", "de", "es", "it", "pt", "nl") reads month and weekday names in that language
through a small table: the names are swapped for English ones before strptime, so a format
written with ``%B``/``%b`` works in every supported language ("26 mai 2021", "26. Mai 2021",
"26 de mayo de 2021").

Which dates a story may carry is decided here too (:func:`is_story_date`), once for every kind
of source: normalise drops the others (the item is dated when first seen) and the store repairs
rows that hold one anyway.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

MIN_YEAR = 1000
"""Dates before this year are no story's: they are placeholders (``0001-01-01``, a
``datetime.min`` or a zero date written out) or typos. A history page may well date a story
1066 or 1919; those stay."""
MAX_AHEAD = timedelta(days=1)
"""A date further ahead of first-seen than this is a source's mistake, not a scheduled story
(time zones put a real date up to 14 hours ahead)."""


def is_story_date(value: datetime, now: datetime) -> bool:
    """Whether a UTC date can be a story's, seen first at ``now``: from year
    :data:`MIN_YEAR` and no more than :data:`MAX_AHEAD` after ``now``. Every such
    date is one the store, RSS, Atom and JSON Feed can all write (four-digit years)."""
    return value.year >= MIN_YEAR and value <= now + MAX_AHEAD


LISTING_FORMATS = (
    "%d %B %Y",  # 26 May 2021
    "%d %b %Y",  # 26 May 2021 (abbreviated)
    "%B %d, %Y",  # May 26, 2021
    "%b %d, %Y",
    "%B %d %Y",
    "%d %B %Y %H:%M",
    "%d. %B %Y",  # 26. Mai 2021 (German)
    "%d %B, %Y",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%B %Y",
)

_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")
_MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
          "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
          "dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
          "dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november "
          "december",
}
_WEEKDAYS = {
    "en": "monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonntag",
    "es": "lunes martes miercoles jueves viernes sabado domingo",
    "it": "lunedi martedi mercoledi giovedi venerdi sabato domenica",
    "pt": "segunda terca quarta quinta sexta sabado domingo feira",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
}
# Little words between day, month and year: "26 de mayo de 2021", "1er mai", "le 3 mars".
_FILLERS = {"fr": {"le", "er"}, "es": {"de", "del"}, "pt": {"de"}, "it": {"il"}, "de": {"den"},
            "nl": set(), "en": {"the", "of", "st", "nd", "rd", "th"}}

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+\.?")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:er|st|nd|rd|th|º|°)\b", re.IGNORECASE)


def _fold(word: str) -> str:
    """Lowercase without accents: 'Février' and 'fevrier' are one key."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _month_table(locale: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, english in zip(_MONTHS[locale].split(), _ENGLISH_MONTHS, strict=True):
        key = _fold(name)
        table[key] = english
        for size in (3, 4):  # common abbreviations: "févr.", "sept", "Dez."
            table.setdefault(key[:size], english)
    return table


def _weekday_set(locale: str) -> set[str]:
    names = set(_WEEKDAYS.get(locale, "").split())
    # Abbreviations ("Di.", "mer.", "Tue"): month names win where they collide ("mar").
    return names | {n[:2] for n in names} | {n[:3] for n in names}


_TABLES = {locale: _month_table(locale) for locale in _MONTHS}
_WEEKDAY_SETS = {locale: _weekday_set(locale) for locale in _WEEKDAYS}
SUPPORTED_LOCALES = ("en", *_MONTHS)


def to_english(text: str, locale: str, tidy: bool = True) -> str:
    """Swap month names in ``locale`` for English ones; with ``tidy``, also drop weekdays,
    ordinal suffixes and filler words ("de", "le") that no strptime format expects."""
    lang = locale.lower().replace("_", "-").split("-")[0]
    table = _TABLES.get(lang, {})
    weekdays = _WEEKDAY_SETS.get(lang, set()) | _WEEKDAY_SETS["en"]
    fillers = _FILLERS.get(lang, set())
    if tidy:
        text = _ORDINAL.sub(r"\1", text)

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        key = _fold(word.rstrip("."))
        if key in table:
            return table[key]
        if tidy and (key in weekdays or key in fillers):
            return ""
        return word

    out = _WORD.sub(swap, text)
    if not tidy:
        return out
    out = re.sub(r"^[\s,]+|(?<=\s),|\s+(?=,)", "", out)
    return _SPACE.sub(" ", out).strip(" ,")


_LAST_MATCH: dict[tuple[str, ...], str] = {}
"""The format that matched last, per format list, tried first next time: the dates of one page
share a format, and each failed strptime costs ~0.1 ms (its pattern cache holds 5 formats)."""


def _strptime(text: str, formats: tuple[str, ...]) -> datetime | None:
    last = _LAST_MATCH.get(formats)
    for candidate in (last, *formats) if last else formats:
        try:
            found = datetime.strptime(text, candidate)
        except ValueError:
            continue
        _LAST_MATCH[formats] = candidate
        return found
    return None


def parse_date(text: str, fmt: str = "", locale: str = "") -> datetime | None:
    """Parse a date as written on a page or in a feed; None when nothing fits."""
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return None
    formats = (fmt,) if fmt else LISTING_FORMATS
    if not fmt and text[:4].isdigit() and text[4:5] == "-":
        try:  # ISO 8601, the commonest machine date (<time datetime>, JSON-LD): one C call
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    found = _strptime(text, formats)
    if found is None and any(c.isalpha() for c in text):
        # Translated names are full English names: let %b match them too.
        both = tuple(dict.fromkeys((*formats, *(f.replace("%b", "%B") for f in formats))))
        for tidy in ((False, True) if fmt else (True,)):
            english = to_english(text, locale or "en", tidy)
            if english != text:
                found = _strptime(english, both)
                if found is not None:
                    break
    if found is not None or fmt:
        return found
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    import email.utils  # here: ~7 ms of every start, and most dates never get this far

    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
