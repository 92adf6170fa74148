"""The language of feedhub's own words on its pages and embeds (their "chrome"), and its catalogs.

Pages and embeds carry two kinds of text: what the site and its stories say (site and category
titles, item titles, summaries; in ``site.language``) and what feedhub says around them ("How
to subscribe", "3 items · updated …", "More from …"). The second kind is written in English in
the templates and in this package's Python (``{% trans %}``, ``gettext``) and translated by the
gettext catalogs in ``feedhub/locale/<language>/LC_MESSAGES/feedhub.po`` (publish.catalogs
extracts and merges them; docs/configuration.md, "Languages", says how to add one).

:func:`chrome` picks the catalog that speaks a language tag (RFC 4647 lookup: ``fr-CA`` is
spoken by ``fr-CA``, else ``fr``; a language without a catalog falls back to English, the
language of the source strings) and says which tag ``<html lang>`` must carry: the tag asked
for when a catalog speaks it (``fr-CA``), ``en`` when the chrome fell back. Where the chrome
and the site's text differ in language, :func:`other_language` says what to mark with ``lang``.

The .po files are read as they are shipped, without a build step: Babel parses each one and
compiles it in memory, once per language per process. Only a complete catalog is used (every
message translated, none fuzzy): a page is in one language or, marked as such, in English,
never English words under another language's ``lang``. Must not: read anything but the package's own
templates and catalogs, or choose the language of dates (publish.humandate does).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, cast

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from .humandate import language_tag

SOURCE_LANGUAGE = "en"
"""The language of the strings in the templates and the code: the chrome's last fallback."""
DOMAIN = "feedhub"
"""gettext domain: the catalogs are ``locale/<language>/LC_MESSAGES/feedhub.po``."""


def _locale_dir() -> Traversable:
    return resources.files("feedhub").joinpath("locale")


@functools.cache
def _catalog(folder: str) -> Catalog | None:
    """The catalog in ``locale/<folder>``, when it translates every message it holds."""
    path = _locale_dir().joinpath(folder, "LC_MESSAGES", f"{DOMAIN}.po")
    if not path.is_file():
        return None
    with path.open("rb") as po:
        catalog = read_po(po, locale=folder, domain=DOMAIN)
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (message.fuzzy or not all(strings)):
            return None
    return catalog


@functools.cache
def catalog_languages() -> tuple[str, ...]:
    """The BCP 47 tags the chrome speaks, sorted: English and every shipped catalog (a folder
    ``pt_BR`` speaks ``pt-BR``) that is complete. A catalog that leaves a message untranslated
    (or fuzzy) is not used: its pages would show English words marked as another language."""
    found = {SOURCE_LANGUAGE}
    for entry in _locale_dir().iterdir():
        if _catalog(entry.name) is not None:
            found.add(entry.name.replace("_", "-"))
    return tuple(sorted(found))


def lookup(tag: str, languages: tuple[str, ...]) -> str:
    """The first of ``languages`` that speaks ``tag`` by RFC 4647 lookup (the whole tag, then
    without its last subtag, and so on: ``de-AT`` -> ``de``), compared without case; ""."""
    spoken = {language.lower(): language for language in languages}
    parts = tag.lower().replace("_", "-").split("-")
    while parts:
        found = spoken.get("-".join(parts))
        if found:
            return found
        parts.pop()
    return ""


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of one of :func:`catalog_languages` (English: no translation)."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    catalog = _catalog(language.replace("-", "_"))
    if catalog is None:
        raise LookupError(f"no complete catalog for {language!r}: see catalog_languages()")
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@functools.cache
def environment(language: str) -> jinja2.Environment:
    """The templates' environment with the catalog of ``language`` installed: one per language,
    so renderings in several languages at once (web threads) never share a gettext."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("feedhub", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} is folded, as publish.catalogs extracts the msgids.
    env.policies["ext.i18n.trimmed"] = True
    # install_gettext_translations is added to the environment by the i18n extension.
    cast(Any, env).install_gettext_translations(translations(language), newstyle=True)
    return env


@dataclass(frozen=True)
class Chrome:
    """The language feedhub's own words are written in, on one page or embed."""

    tag: str
    """What ``<html lang>`` says: the tag asked for when a catalog speaks it (``fr-CA``),
    else :data:`SOURCE_LANGUAGE`."""
    catalog: str
    """The catalog used, one of :func:`catalog_languages` (``fr`` for ``fr-CA``)."""

    def gettext(self, message: str) -> str:
        return translations(self.catalog).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return translations(self.catalog).ngettext(singular, plural, count)

    def template(self, name: str) -> jinja2.Template:
        return environment(self.catalog).get_template(name)


def chrome(tag: str) -> Chrome:
    """The chrome for a language tag (``site.language``, an embed's ``lang``): the catalog that
    speaks it, else English. A tag Babel has no data for is English too, as its dates are."""
    asked = language_tag(tag)
    catalog = lookup(asked, catalog_languages()) if asked else ""
    if not catalog:
        return Chrome(tag=SOURCE_LANGUAGE, catalog=SOURCE_LANGUAGE)
    return Chrome(tag=asked, catalog=catalog)


def other_language(chrome: Chrome, language: str) -> str:
    """``language`` when text in it sits in a page whose ``lang`` is ``chrome.tag`` and so must
    say its own (``<ol lang="ja">``); "" when the page's ``lang`` already says it."""
    return "" if language.lower() == chrome.tag.lower() else language
