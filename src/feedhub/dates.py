"""Date text -> datetime, and which language a page writes its dates in. Pure; no clock.

A result without tzinfo means "local to the source"; normalise attaches the source's timezone
(a date-only value is midnight there, then stored in UTC).
Listing-page formats are tried first with strptime, then ISO 8601 and RFC 822 (the two feed
date formats). All of them are fast; no natural-language guessing (dateparser is ~200x slower).

``locale`` reads month and weekday names in that language: the names are swapped for English
ones before strptime, so a format written with ``%B``/``%b`` works in every supported language
("26 mai 2021", "26. Mai 2021", "26 de mayo de 2021", "27 października 2021"). English and the
six commonest languages of news listings come from a small table here (no import); the others
of :data:`SUPPORTED_LOCALES` come from Babel's CLDR data, loaded per language when first needed
and cached (Babel's import and one language cost ~40 ms, paid only by pages that need them).

:func:`guess_locale` says which supported language the names around a page's dates belong to,
for sources whose ``locale`` is not set (the page's own hints, ``<html lang>`` and the like,
are read by :mod:`feedhub.extract.html`).

Which dates a story may carry is decided here too (:func:`is_story_date`), once for every kind
of source: normalise drops the others (the item is dated when first seen) and the store repairs
rows that hold one anyway.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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
    "%Y. %B %d.",  # 2021. október 27. (Hungarian)
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

_CLDR_LOCALES = ("sv", "da", "nb", "fi", "pl", "cs", "sk", "ro", "ca", "hu", "tr", "id",
                 "el", "ru", "uk")
"""Languages whose names come from Babel (CLDR): their dates are day-month-year with words,
which the English formats read once the names are swapped."""
# Russian and Ukrainian dates end with an abbreviated "year" (Cyrillic g. and r.).
_CLDR_FILLERS = {"ca": {"de", "del", "d"}, "ru": {"\u0433"}, "uk": {"\u0440"}}
_ALIASES = {"no": "nb", "nn": "nb", "in": "id"}
SUPPORTED_LOCALES = ("en", *_MONTHS, *_CLDR_LOCALES)
"""Every value ``locale:`` accepts (sources.schema.json lists the same)."""

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+\.?")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:er|st|nd|rd|th|º|°)\b", re.IGNORECASE)
_APOSTROPHE = re.compile(r"[’']")


def _fold(word: str) -> str:
    """Lowercase without accents: 'Février' and 'fevrier' are one key."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def language(tag: str) -> str:
    """The supported language of a tag ("fr-CA", "de_DE", "nb-NO", "FR"), or "" if none."""
    lang = tag.strip().lower().replace("_", "-").split("-")[0]
    lang = _ALIASES.get(lang, lang)
    return lang if lang in SUPPORTED_LOCALES else ""


@dataclass(frozen=True)
class Names:
    """One language's names, folded (lowercase, no accents)."""

    months: dict[str, str]
    """Every spelling swapped for an English month name, 3- and 4-letter prefixes included."""
    words: frozenset[str]
    """Month spellings and full weekday names: the words that vote for the language in
    :func:`guess_locale` (weekday prefixes such as "di" or "mar" would vote for too many)."""
    weekdays: frozenset[str]
    """Weekday names and their 2- and 3-letter prefixes, dropped before strptime."""
    fillers: frozenset[str]
    """Little words between day, month and year ("de", "le"), dropped before strptime."""


def _table_names(locale: str) -> tuple[list[list[str]], list[str]]:
    if locale == "en":
        return [[m, m[:3]] for m in _ENGLISH_MONTHS], _WEEKDAYS["en"].split()
    return [[m] for m in _MONTHS[locale].split()], _WEEKDAYS[locale].split()


def _cldr_names(locale: str) -> tuple[list[list[str]], list[str]]:
    from babel.dates import get_day_names, get_month_names  # only pages that need it pay

    months: list[list[str]] = [[] for _ in range(12)]
    weekdays: list[str] = []
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, context, locale).items():
                # Catalan writes "d'octubre", "de maig": the name is the last word.
                months[number - 1].append(_APOSTROPHE.sub(" ", str(name)).split()[-1])
            weekdays += [str(n) for n in get_day_names(width, context, locale).values()]
    return months, weekdays


@functools.cache
def names(locale: str) -> Names:
    """The names of a supported language; cached (Babel's data is read once per language)."""
    months, weekdays = _cldr_names(locale) if locale in _CLDR_LOCALES else _table_names(locale)
    table: dict[str, str] = {}
    for spellings, english in zip(months, _ENGLISH_MONTHS, strict=True):
        for name in spellings:
            table[_fold(name.rstrip("."))] = english
    for spellings, english in zip(months, _ENGLISH_MONTHS, strict=True):
        for size in (3, 4):  # common abbreviations: "févr.", "sept", "Dez."
            table.setdefault(_fold(spellings[0])[:size], english)
    folded = {_fold(n.rstrip(".")) for n in weekdays}
    # Abbreviations ("Di.", "mer.", "Tue"): month names win where they collide ("mar").
    short = folded | {n[:2] for n in folded} | {n[:3] for n in folded}
    fillers = _FILLERS.get(locale) or _CLDR_FILLERS.get(locale, set())
    return Names(table, frozenset(table) | folded, frozenset(short), frozenset(fillers))


_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
_BEFORE_YEAR = 40
"""Characters before a year that are read for names ("mardi 27 octobre 2021")."""


@dataclass(frozen=True)
class Guess:
    """Which language the names around a page's dates are in, and the evidence."""

    locale: str
    """A supported locale, or "" when no date on the page names a month or weekday."""
    votes: int = 0
    """Dates whose words belong to ``locale``."""
    words: tuple[str, ...] = ()
    """Some of those words, as written (for the report)."""


def date_snippets(text: str, limit: int = 400) -> list[str]:
    """The text just before each year in ``text`` (at most ``limit``): where names are."""
    out = []
    for match in _YEAR.finditer(text):
        out.append(text[max(0, match.start() - _BEFORE_YEAR):match.start()])
        if len(out) >= limit:
            break
    return out


def guess_locale(texts: Iterable[str], prefer: str = "") -> Guess:
    """The supported language whose month and weekday names appear in most ``texts`` (date
    texts, or :func:`date_snippets` of a page). Ties go to the language that explains more of
    the words (weekday abbreviations, filler words: "mer. 27 oct. 2021" is French, "Wed, 27
    Oct 2021" English), then to ``prefer`` (a page's declared language), then to English and
    the table languages. Babel's languages are read only when no table language explains any
    text."""
    snippets = [[w.rstrip(".") for w in _WORD.findall(t)] for t in texts]
    snippets = [s for s in snippets if s]
    if not snippets:
        return Guess("")
    groups = [("en", *_MONTHS), _CLDR_LOCALES]
    for group in groups:
        votes: Counter[str] = Counter()
        explained: Counter[str] = Counter()
        seen: dict[str, list[str]] = {}
        for words in snippets:
            folded = [_fold(w) for w in words]
            for locale in group:
                own = names(locale)
                hits = [w for w, f in zip(words, folded, strict=True) if f in own.words]
                if hits:
                    votes[locale] += 1
                    seen.setdefault(locale, []).extend(hits)
                    explained[locale] += sum(1 for f in folded if f in own.months
                                             or f in own.weekdays or f in own.fillers)
        if votes:
            order = {loc: i for i, loc in enumerate(group)}
            best = max(votes, key=lambda loc: (votes[loc], explained[loc], loc == prefer,
                                               -order[loc]))
            return Guess(best, votes[best], tuple(dict.fromkeys(seen[best]))[:3])
    return Guess("")


def to_english(text: str, locale: str, tidy: bool = True) -> str:
    """Swap month names in ``locale`` for English ones; with ``tidy``, also drop weekdays,
    ordinal suffixes and filler words ("de", "le") that no strptime format expects."""
    own = names(language(locale) or "en")
    table = own.months
    weekdays = own.weekdays | names("en").weekdays
    fillers = own.fillers
    if tidy:
        text = _APOSTROPHE.sub(" ", _ORDINAL.sub(r"\1", text))

    # A weekday that spells like a month ("mar." is mardi and mars) is the weekday when
    # another month name follows: "mar. 26 oct. 2021".
    keys = [_fold(w.rstrip(".")) for w in _WORD.findall(text)]
    months = [k for k in keys if k in table]
    weekday_first = len(months) > 1 and months[0] in weekdays

    def swap(match: re.Match[str]) -> str:
        nonlocal weekday_first
        word = match.group(0)
        key = _fold(word.rstrip("."))
        if weekday_first and key in table:
            weekday_first = False
            return "" if tidy else word
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
    machine = text[:4].isdigit() and text[4:5] == "-"
    if machine and not fmt:
        try:  # ISO 8601, the commonest machine date (<time datetime>, JSON-LD): one C call
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    found = _strptime(text, formats)
    if found is None and machine and fmt:
        # ``date_format`` describes the dates people read; a <time datetime> or JSON-LD date
        # beside them is ISO 8601 whatever the page's language, and means one thing only.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
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
