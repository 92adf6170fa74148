"""feedhub's own words on pages and embeds in the site's language (publish.i18n, locale/*.po).

Pages are rendered by the publisher, embeds served by the app on a real build; the expected
words are written here by hand (never read back from the catalogs), so a catalog that loses or
garbles a translation fails. The last tests hold the catalogs to the templates: every English
message has a translation in every shipped catalog, with the same placeholders and markup.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from flask.testing import FlaskClient
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config, Item
from feedhub.pipeline import build
from feedhub.publish import catalogs, i18n
from feedhub.publish.humandate import human_date
from feedhub.publish.i18n import catalog_languages, chrome, lookup
from feedhub.web import create_app

from .test_embeds import newest, script_data
from .test_pages import item, pages

NBSP = "\u00a0"
WORDS = {
    # language: (the feeds heading, how to subscribe, 1 item, 3 items · updated, no items,
    #            the copy button, copied, the "more" line of the news embed)
    "en": ("Feeds", "How to subscribe", "1 item · updated November 23, 2025",
           "3 items · updated November 23, 2025", "No items yet", "Copy", "Copied",
           "More from ILO newsroom: News"),
    "fr": ("Flux", "Comment s’abonner", "1 article · mis à jour le 23 novembre 2025",
           "3 articles · mis à jour le 23 novembre 2025", "Aucun article pour l’instant",
           "Copier", "Copié", f"Plus d’articles sur ILO newsroom{NBSP}: News"),
    "de": ("Feeds", "So abonnieren Sie", "1 Beitrag · aktualisiert am 23. November 2025",
           "3 Beiträge · aktualisiert am 23. November 2025", "Noch keine Beiträge",
           "Kopieren", "Kopiert", "Mehr von ILO newsroom: News"),
    "es": ("Feeds", "Cómo suscribirse", "1 entrada · actualizado el 23 de noviembre de 2025",
           "3 entradas · actualizado el 23 de noviembre de 2025", "Aún no hay entradas",
           "Copiar", "Copiado", "Más de ILO newsroom: News"),
}


def speaking(config: Config, language: str) -> Config:
    return replace(config, site=replace(config.site, language=language))


def rendered(config: Config) -> dict[str, etree._Element]:
    stories: list[Item] = [item(1), item(2), item(3)]
    return pages(config, {"all": stories, "news": stories[:1], "features": []})


def text(element: etree._Element | None) -> str:
    assert element is not None
    return " ".join("".join(element.itertext()).split())


@pytest.fixture
def site(project: Path) -> Config:
    return load_config(project)


# -- pages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
def test_the_index_speaks_the_sites_language(site: Config, language: str) -> None:
    heading, howto, one, three, empty, copy, copied, _ = WORDS[language]
    index = rendered(speaking(site, language))["index.html"]
    assert index.get("lang") == language
    assert index.find(".//h2[@class='fh-section']").text == heading
    assert index.find(".//h2[@id='howto']").text == howto
    cards = {card.find("h3/a").get("href"): card for card in index.iter("li")
             if card.get("class") == "fh-feed"}
    # Plural forms: one item, three items, none.
    meta = {href: text(card.find("p[@class='fh-meta']")) for href, card in cards.items()}
    assert meta == {"/c/all": three, "/c/news": one, "/c/features": empty}
    button = cards["/c/news"].find(".//button")
    assert text(button.find("span[@class='fh-copy-label']")) == copy
    assert button.get("data-copied") == copied
    assert button.get("data-selected") and "⌘C" in button.get("data-selected-status")
    # The site's text and dates are in the language of the page: nothing marked apart.
    assert not [e.tag for e in index.iter() if e.get("lang") and e is not index]


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_no_english_phrase_is_left_on_a_translated_page(site: Config, language: str) -> None:
    """Every phrase of two words or more of every English message (markup and placeholders
    taken out) is absent from the translated pages: a string the templates forgot to mark for
    translation, or one a catalog left English, shows here."""
    phrases = set()
    for message in catalogs.extracted():
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for part in re.split(r"<[^>]*>|%\(\w+\)s", msgid):
                part = part.strip(" .:()")
                if len(part.split()) >= 2:
                    phrases.add(part)
    assert "How to subscribe" in phrases and "Follow this in a feed reader" in phrases
    english = rendered(site)
    assert any("How to subscribe" in text(page) for page in english.values())
    for name, page in rendered(speaking(site, language)).items():
        words = text(page)
        assert not [phrase for phrase in phrases if phrase in words], name


def test_a_category_page_speaks_the_sites_language(site: Config) -> None:
    made = rendered(speaking(site, "de"))
    news, empty = made["c/news.html"], made["c/features.html"]
    assert news.get("lang") == "de"
    assert text(news.find(".//p[@class='fh-subscribe']")).startswith("In einem Feedreader folgen:")
    assert "(wie?)" in text(news.find(".//p[@class='fh-subscribe']"))
    assert text(news.find(".//p[@class='fh-address-label']")) == (
        "Feed-Adresse von „ILO newsroom: News“")
    assert text(news.find(".//footer")).startswith("Feeds von feedhub.")
    assert text(news.find(".//time")) == "23. November 2025"
    assert text(empty.find(".//main/p")) == "Noch keine Beiträge."
    assert made["index.html"].find(".//title").text == "ILO newsroom: Feeds"
    assert text(made["index.html"].find(".//h3")) == "Alle Nachrichten"


def test_a_regional_language_is_spoken_by_its_languages_catalog(site: Config) -> None:
    made = rendered(speaking(site, "fr-CA"))
    index = made["index.html"]
    assert index.get("lang") == "fr-CA"
    assert index.find(".//h2[@id='howto']").text == "Comment s’abonner"
    assert not [e.tag for e in index.iter() if e.get("lang") and e is not index]
    assert made["c/news.html"].get("lang") == "fr-CA"
    assert lookup("de-AT", catalog_languages()) == "de"
    assert chrome("es-419").catalog == "es" and chrome("es-419").tag == "es-419"
    assert chrome("EN-gb").tag == "en-GB" and chrome("EN-gb").catalog == "en"


@pytest.mark.parametrize("language", ["ja", "pt-BR"])
def test_a_language_with_no_catalog_gets_english_words_marked_as_english(
    site: Config, language: str
) -> None:
    made = rendered(speaking(site, language))
    index, news = made["index.html"], made["c/news.html"]
    assert index.get("lang") == "en" and news.get("lang") == "en"
    assert index.find(".//h2[@id='howto']").text == "How to subscribe"
    # The site's own text and its dates are the site's language, and say so.
    assert index.find(".//header").get("lang") == language
    times = list(index.iter("time"))
    assert times and all(t.get("lang") == language for t in times)
    assert times[0].text == human_date(item(1).published, language)
    assert news.find(".//ol").get("lang") == language
    assert news.find(".//h1").get("lang") == language
    assert news.find(".//p[@class='fh-subscribe']").get("lang") is None
    # "All news" is feedhub's (English), the category titles the site's.
    names = {a.text: a.get("lang") for a in index.iterfind(".//h3/a")}
    assert names == {"All news": None, "News": language, "Features and stories": language}


def test_an_unknown_language_is_english_throughout(site: Config) -> None:
    index = rendered(speaking(site, "xx"))["index.html"]
    assert index.get("lang") == "en"
    assert index.find(".//h2[@id='howto']").text == "How to subscribe"
    assert not [e.tag for e in index.iter() if e.get("lang") and e is not index]
    assert text(index.find(".//time")) == "November 23, 2025"


def test_the_copy_script_says_only_what_the_page_gives_it() -> None:
    script = (catalogs.PACKAGE / "static" / "feedhub.js").read_text("utf-8")
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.S)  # its comments may speak of them
    for english in ('"Copy"', '"Copied"', '"Selected', "to copy"):
        assert english not in code, english
    for attribute in ("data-copied", "data-selected", "data-selected-status"):
        assert f'getAttribute("{attribute}")' in script


def test_plural_forms_follow_each_languages_rules() -> None:
    forms = {language: [chrome(language).ngettext("%(number)s item", "%(number)s items", n)
                        for n in (0, 1, 2, 1_000_000)] for language in ("en", "fr", "de", "es")}
    assert forms == {
        "en": ["%(number)s items", "%(number)s item", "%(number)s items", "%(number)s items"],
        # French counts 0 as singular, and says "1 000 000 d’articles".
        "fr": ["%(number)s article", "%(number)s article", "%(number)s articles",
               "%(number)s d’articles"],
        "de": ["%(number)s Beiträge", "%(number)s Beitrag", "%(number)s Beiträge",
               "%(number)s Beiträge"],
        "es": ["%(number)s entradas", "%(number)s entrada", "%(number)s entradas",
               "%(number)s de entradas"],
    }


# -- embeds --------------------------------------------------------------------------------------

@pytest.fixture
def french(project: Path) -> tuple[FlaskClient, Config]:
    project.write_text(project.read_text().replace("language: en", "language: fr", 1))
    config = load_config(project)
    assert build(config).ok
    return create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client(), config


def frame(client: FlaskClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return lxml.html.document_fromstring(response.data)


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_the_iframe_speaks_the_sites_language(project: Path, language: str) -> None:
    project.write_text(project.read_text().replace("language: en", f"language: {language}", 1))
    config = load_config(project)
    assert build(config).ok
    client = create_app({"FEEDHUB_CONFIG": str(config.path), "TESTING": True}).test_client()
    doc = frame(client, "/embed/news.html")
    assert doc.get("lang") == language
    assert doc.cssselect("a.feedhub-more")[0].text_content() == WORDS[language][-1]
    assert not [e.tag for e in doc.iter() if e.get("lang") and e is not doc]
    # The published file is the same page.
    assert (config.output_dir / "embed" / "news.html").read_bytes() == client.get(
        "/embed/news.html").data
    data = script_data(client.get("/embed/news.js").data)
    assert data["lang"] == language
    assert data["chrome"][language]["more"] == WORDS[language][-1]


def test_an_embeds_lang_picks_the_words_too(french: tuple[FlaskClient, Config]) -> None:
    client, config = french
    doc = frame(client, "/embed/news.html?lang=de&limit=2")
    assert doc.get("lang") == "de"
    assert doc.cssselect("a.feedhub-more")[0].text_content() == "Mehr von ILO newsroom: News"
    # The stories stay French and say so; their dates are German, inside them.
    assert doc.cssselect("ul.feedhub-items")[0].get("lang") == "fr"
    assert doc.cssselect("h1.feedhub-title")[0].get("lang") == "fr"
    times = doc.cssselect("time.feedhub-date")
    assert [t.get("lang") for t in times] == ["de", "de"]
    assert [t.text_content() for t in times] == [
        human_date(when, "de") for _, when in newest(config, "news", 2)]
    # A language with no catalog: English words, Japanese dates, French stories.
    doc = frame(client, "/embed/news.html?lang=ja&limit=1")
    assert doc.get("lang") == "en"
    assert doc.cssselect("a.feedhub-more")[0].text_content() == "More from ILO newsroom: News"
    assert doc.cssselect("ul.feedhub-items")[0].get("lang") == "fr"
    assert doc.cssselect("time.feedhub-date")[0].get("lang") == "ja"


def test_the_etag_follows_the_language_rendered(french: tuple[FlaskClient, Config]) -> None:
    client, _ = french
    tags = {}
    for lang in ("fr", "de", "es", "en", "ja", "de-AT"):
        first = client.get(f"/embed/news.html?lang={lang}")
        assert first.status_code == 200
        tags[lang] = first.headers["ETag"]
        again = client.get(f"/embed/news.html?lang={lang}", headers={"If-None-Match": tags[lang]})
        assert again.status_code == 304, lang
    assert len(set(tags.values())) == len(tags), tags
    # lang=fr on a French site is the published file.
    assert client.get("/embed/news.html").headers["ETag"] == tags["fr"]


def test_the_script_carries_its_words_in_every_language(french: tuple[FlaskClient, Config]) -> None:
    client, _ = french
    data = script_data(client.get("/embed/all.js").data)
    assert data["lang"] == "fr"
    assert data["chrome"] == {
        "de": {"more": "Mehr von ILO newsroom"}, "en": {"more": "More from ILO newsroom"},
        "es": {"more": "Más de ILO newsroom"}, "fr": {"more": "Plus d’articles sur ILO newsroom"}}
    assert "feed.more" not in client.get("/embed/all.js").get_data(as_text=True)


# -- the catalogs --------------------------------------------------------------------------------

def test_the_catalogs_ship_french_german_and_spanish() -> None:
    assert catalog_languages() == ("de", "en", "es", "fr")


def test_extraction_finds_every_kind_of_message() -> None:
    found = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.extracted() if m.id}
    # {% trans %} blocks, _() calls, plurals, the Python modules' gettext.
    for message in ("How to subscribe", "Copied", "%(number)s item", "All news",
                    "More from %(site)s: %(category)s", "No items yet."):
        assert message in found, message
    assert len(found) >= 20


def test_every_message_has_a_translation_in_every_catalog() -> None:
    """Adding an English string to a template fails here until every catalog translates it
    (python -m feedhub.publish.catalogs merges it in; docs/configuration.md, "Languages")."""
    assert catalogs.update(check=True) == []


def test_a_missing_or_fuzzy_translation_is_found() -> None:
    template = catalogs.extracted()
    french = catalogs.read_catalog(catalogs.LOCALE / "fr" / "LC_MESSAGES" / "feedhub.po")
    assert catalogs.missing(french, template) == []
    del french["How to subscribe"]
    french["Feeds"].flags.add("fuzzy")
    french["%(number)s item"].string = ("%(number)s article", "", "%(number)s articles")
    assert catalogs.missing(french, template) == ["Feeds", "%(number)s item", "How to subscribe"]


def test_an_incomplete_catalog_is_not_spoken(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalog with a message left untranslated or fuzzy would put English words under its
    language's lang: until it is complete, its language gets English, marked as English."""
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE, locale)
    started = locale / "it" / "LC_MESSAGES" / "feedhub.po"
    started.parent.mkdir(parents=True)
    italian = Catalog(locale="it", domain="feedhub")
    italian.update(catalogs.extracted())
    for message in italian:
        message.string = ("x", "y") if isinstance(message.id, tuple) else "x"
    italian["Feeds"].string = ""
    with started.open("wb") as out:
        write_po(out, italian)
    german = locale / "de" / "LC_MESSAGES" / "feedhub.po"
    german.write_text(german.read_text("utf-8").replace(
        'msgid "Feeds"', '#, fuzzy\nmsgid "Feeds"', 1), "utf-8")
    caches = (i18n._catalog, i18n.catalog_languages, i18n.translations, i18n.environment)
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(i18n, "_locale_dir", lambda: locale)
    try:
        assert i18n.catalog_languages() == ("en", "es", "fr")
        assert chrome("it") == i18n.Chrome(tag="en", catalog="en")
        assert chrome("de-AT") == i18n.Chrome(tag="en", catalog="en")
    finally:
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()
    assert chrome("de-AT").catalog == "de"


@pytest.mark.parametrize("path", catalogs.catalog_paths(), ids=lambda p: p.parent.parent.name)
def test_translations_keep_placeholders_and_markup(path: Path) -> None:
    catalog: Catalog = catalogs.read_catalog(path)
    assert [(m.id, errors) for m, errors in catalog.check()] == []
    tag = re.compile(r"<(\w+)[^>]*>")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert sorted(tag.findall(string)) == sorted(tag.findall(ids[0])), (path, ids)
            assert set(re.findall(r"%\((\w+)\)s", string)) <= set(
                re.findall(r"%\((\w+)\)s", " ".join(ids))), (path, ids)


# -- feed titles ---------------------------------------------------------------------------------

FEED_TITLES = {
    # language: (the news feed's title, the title of the feed of every story)
    "en": ("ILO newsroom: News", "ILO newsroom: all news"),
    "fr": (f"ILO newsroom{NBSP}: News", f"ILO newsroom{NBSP}: toutes les actualités"),
    "de": ("ILO newsroom: News", "ILO newsroom: alle Nachrichten"),
    "es": ("ILO newsroom: News", "ILO newsroom: todas las noticias"),
    "ja": ("ILO newsroom: News", "ILO newsroom: all news"),
}


@pytest.mark.parametrize("language", sorted(FEED_TITLES))
def test_feed_titles_speak_the_sites_language(site: Config, language: str) -> None:
    from feedhub.publish.document import make_doc
    from feedhub.publish.feeds import render_atom, render_rss
    from feedhub.publish.jsonfeed import render_json

    config = speaking(site, language)
    for slug, expected in zip(("news", "all"), FEED_TITLES[language], strict=True):
        doc = make_doc(config, slug, [item(1)])
        assert doc.title == expected
        rss = etree.fromstring(render_rss(doc))
        assert rss.findtext("channel/title") == expected
        atom = etree.fromstring(render_atom(doc))
        assert atom.findtext("{http://www.w3.org/2005/Atom}title") == expected
        assert json.loads(render_json(doc))["title"] == expected
