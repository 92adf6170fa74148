"""Listing dates in several languages and formats (no dateparser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from feedhub.dates import parse_date

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
    ("soon", "", "", None),
    ("31 février 2021", "", "fr", None),
]


@pytest.mark.parametrize(("text", "fmt", "locale", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_parse_date(text: str, fmt: str, locale: str, expected: datetime | None) -> None:
    assert parse_date(text, fmt, locale) == expected
