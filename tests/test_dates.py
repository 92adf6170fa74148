"""Listing dates in several languages and formats (no dateparser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from feedhub.dates import SUPPORTED_LOCALES, guess_locale, language, parse_date

CASES = [
    ("26 May 2021", "", "", datetime(2021, 5, 26)),
    ("Tuesday, 26 May 2021", "", "", datetime(2021, 5, 26)),
    ("May 3rd, 2021", "", "", datetime(2021, 5, 3)),
    ("26 mai 2021", "", "fr", datetime(2021, 5, 26)),
    ("mardi 1er juin 2021", "", "fr", datetime(2021, 6, 1)),
    ("3 févr. 2022", "", "fr", datetime(2022, 2, 3)),
    ("le 14 juillet 2023 à 10:30", "le %d %B %Y à %H:%M", "fr", datetime(2023, 7, 14, 10, 30)),
    ("14 juillet 2023, 10:30", "%d %B %Y, %H:%M", "fr", datetime(2023, 7, 14, 10, 30)),
    ("26. Mai 2021", "", "de", datetime(2021, 5, 26)),
    ("Di., 26. Mai 2021", "", "de", datetime(2021, 5, 26)),
    ("Dez. 4, 2020", "%b %d, %Y", "de", datetime(2020, 12, 4)),
    ("März 2019", "%B %Y", "de", datetime(2019, 3, 1)),
    ("26 de mayo de 2021", "", "es", datetime(2021, 5, 26)),
    ("miércoles, 14 septiembre 2023", "", "es", datetime(2023, 9, 14)),
    ("12 maart 2020", "", "nl", datetime(2020, 3, 12)),
    ("2021-05-26", "", "", datetime(2021, 5, 26)),
    ("26/05/2021", "", "", datetime(2021, 5, 26)),
    ("2021-05-26T10:00:00+02:00", "", "", datetime(2021, 5, 26, 10,
                                                     tzinfo=timezone(timedelta(hours=2)))),
    ("Wed, 26 May 2021 10:00:00 GMT", "", "", datetime(2021, 5, 26, 10, tzinfo=UTC)),
    # A weekday abbreviation that spells like a month: "mar." is mardi/martes, "oct." the month.
    ("mar. 26 oct. 2021", "", "fr", datetime(2021, 10, 26)),
    ("mar, 26 oct 2021", "", "es", datetime(2021, 10, 26)),
    ("jeu. 2 sept. 2021", "", "fr", datetime(2021, 9, 2)),
    # Languages read through Babel's CLDR names.
    ("27 października 2021", "", "pl", datetime(2021, 10, 27)),
    ("úterý 27. října 2021", "", "cs", datetime(2021, 10, 27)),
    ("27 d’octubre del 2021", "", "ca", datetime(2021, 10, 27)),
    ("27 \u043e\u043a\u0442\u044f\u0431\u0440\u044f 2021 \u0433.", "", "ru",
     datetime(2021, 10, 27)),
    ("2021. október 27.", "", "hu", datetime(2021, 10, 27)),
    ("tiistaina 27. lokakuuta 2021", "", "fi", datetime(2021, 10, 27)),
    ("27 Οκτωβρίου 2021", "", "el", datetime(2021, 10, 27)),
    ("27 Ekim 2021", "", "tr", datetime(2021, 10, 27)),
    ("27. okt. 2021", "", "da", datetime(2021, 10, 27)),
    ("27 maj 2021", "", "sv", datetime(2021, 5, 27)),
    ("27 mai 2021", "", "fr-CA", datetime(2021, 5, 27)),
    # A machine date (<time datetime>, JSON-LD) is ISO 8601 whatever date_format says.
    ("2021-05-26", "%d %B %Y", "fr", datetime(2021, 5, 26)),
    ("2021-05-26T10:00:00Z", "le %d %B %Y", "fr", datetime(2021, 5, 26, 10, tzinfo=UTC)),
    ("2021-05-06", "%Y-%d-%m", "", datetime(2021, 6, 5)),  # a format that parses still wins
    ("26 May 2021", "%Y-%m-%d", "", None),
    ("soon", "", "", None),
    ("31 février 2021", "", "fr", None),
]


@pytest.mark.parametrize(("text", "fmt", "locale", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_parse_date(text: str, fmt: str, locale: str, expected: datetime | None) -> None:
    assert parse_date(text, fmt, locale) == expected


GUESSES = [
    (["mercredi 27 octobre 2021", "3 mars 2022"], "", "fr"),
    (["27. Oktober 2021"], "", "de"),
    (["27 de octubre de 2021"], "", "es"),
    # Shared words: the weekday abbreviations and fillers decide, then the declared language.
    (["mer. 27 oct. 2021"], "", "fr"),
    (["Wed, 27 Oct 2021"], "", "en"),
    (["3. Mai 2021"], "de", "de"),
    (["3. Mai 2021"], "", "fr"),
    # A wrong declared language loses to the dates' own words.
    (["27 octobre 2021", "28 octobre 2021"], "en", "fr"),
    # Past the table languages, Babel's are asked.
    (["27 października 2021", "3 marca 2022"], "", "pl"),
    (["27/10/2021"], "de", ""),
    ([], "", ""),
]


@pytest.mark.parametrize(("texts", "prefer", "expected"), GUESSES,
                         ids=[" | ".join(g[0]) + f" ({g[1]})" for g in GUESSES])
def test_guess_locale(texts: list[str], prefer: str, expected: str) -> None:
    assert guess_locale(texts, prefer).locale == expected


def test_language_tags() -> None:
    assert [language(t) for t in ("fr-FR", "de_AT", "PT-br", "no", "nb-NO", "vi", "")] == \
        ["fr", "de", "pt", "nb", "nb", "", ""]


def test_every_supported_locale_reads_its_own_long_date() -> None:
    """Babel formats 27 October 2021 the way each language writes it; feedhub reads it back."""
    from datetime import date

    from babel.dates import format_date

    for locale in SUPPORTED_LOCALES:
        written = format_date(date(2021, 10, 27), "long", locale=locale)
        assert parse_date(written, "", locale) == datetime(2021, 10, 27), (locale, written)


def test_config_accepts_the_supported_locales_only() -> None:
    from pathlib import Path

    from feedhub.config import json_schema, parse_config
    from feedhub.errors import ConfigError

    enum = json_schema()["$defs"]["source"]["properties"]["locale"]["enum"]
    assert enum == ["", *SUPPORTED_LOCALES]
    text = ("site:\n  title: t\n  base_url: https://feeds.example/\n"
            "categories:\n  - slug: news\n    title: News\nsources:\n  - id: s\n"
            "    kind: html\n    url: https://x.example/\n    locale: {}\n")
    source = parse_config(text.format("pl"), Path("sources.yaml")).source("s")
    assert source is not None and source.locale == "pl"
    with pytest.raises(ConfigError, match="unsupported locale 'vi'; use one of en, fr, de"):
        parse_config(text.format("vi"), Path("sources.yaml"))
