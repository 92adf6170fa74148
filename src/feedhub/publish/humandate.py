"""The one date text people read on feedhub's pages and embeds: a 'long' CLDR date in a language.

Category pages, the iframe embed and the script embed show a story's date the same way: the
CLDR 'long' date of its UTC day in the site's language (``site.language``) unless an embed's
``lang`` asks for another ("November 24, 2025" in ``en``, "24 November 2025" in ``en-GB``,
"24 novembre 2025" in ``fr``). Python formats it with Babel (:func:`human_date`); embed.js
formats it in the reader's browser with ``Intl.DateTimeFormat(lang, {dateStyle: "long",
timeZone: "UTC"})``, which reads the same CLDR data, so the three agree. Next to the text,
every page carries the instant itself in ``<time datetime>``.

:func:`language_tag` is the gate for a language a request or a config names: only tags Babel
has data for pass, written back as BCP 47 (``en-GB``), so what the browser is told to use is
what Python used. Pure: no clock, no I/O beyond Babel's bundled data (read once per language).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

DATE_STYLE = "long"
"""Babel's format name; embed.js asks Intl for the same ``dateStyle``."""
FALLBACK_LANGUAGE = "en"
"""Used when the site's language is one Babel has no data for."""
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


@functools.lru_cache(maxsize=256)
def _locale(tag: str) -> Locale | None:
    if len(tag) > 35 or not _TAG.fullmatch(tag):
        return None
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError):
        return None


def language_tag(tag: str) -> str:
    """``tag`` as the BCP 47 tag of the Babel locale it names (``en-gb`` -> ``en-GB``), or ""
    when Babel has no data for it (``xx``, ``12``, text that is no tag at all)."""
    locale = _locale(tag.strip())
    if locale is None:
        return ""
    return "-".join(part for part in (locale.language, locale.script, locale.territory,
                                      locale.variant) if part)


def site_language(tag: str) -> str:
    """The language dates are shown in by default: the site's, when Babel knows it."""
    return language_tag(tag) or FALLBACK_LANGUAGE


def human_date(when: datetime, language: str) -> str:
    """The date people read: ``when``'s UTC day as a CLDR 'long' date in ``language`` (a tag
    :func:`language_tag` accepts; any other falls back to :data:`FALLBACK_LANGUAGE`)."""
    locale = _locale(language) or _locale(FALLBACK_LANGUAGE)
    return format_date(when.astimezone(UTC).date(), DATE_STYLE, locale=locale)
