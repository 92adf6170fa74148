"""Every feed format, as data: tests/data/feeds/<case>.<ext> beside <case>.expect.json.

The expectation file gives ``count`` and, per entry in order, only the fields it cares about;
dates are ISO 8601 in UTC (or null); or ``error``, a part of the ExtractError's message. Adding
a case adds two files, not code.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from feedhub.errors import ExtractError
from feedhub.extract import extract
from feedhub.model import FetchResult, RawEntry, Source, SourceKind

DATA = Path(__file__).parent / "data" / "feeds"
CASES = sorted(p for p in DATA.iterdir() if not p.name.endswith(".expect.json"))


def as_data(entry: RawEntry) -> dict[str, Any]:
    out = asdict(entry)
    for key in ("published", "updated"):
        value = getattr(entry, key)
        out[key] = value.astimezone(UTC).isoformat() if value is not None else None
    out["labels"] = list(entry.labels)
    out["enclosures"] = [asdict(e) for e in entry.enclosures]
    return out


def test_there_are_cases() -> None:
    assert len(CASES) >= 9


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_feed_case(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expect.json").read_text("utf-8"))
    source = Source(id=path.stem, kind=SourceKind.FEED, location=str(path))
    result = FetchResult(url=path.as_uri(), body=path.read_bytes())
    if "error" in expected:
        with pytest.raises(ExtractError) as caught:
            extract(source, result)
        assert expected["error"] in caught.value.message
        return
    entries = extract(source, result)
    assert len(entries) == expected["count"]
    for got, want in zip(entries, expected["entries"], strict=False):
        data = as_data(got)
        assert {key: data[key] for key in want} == want


def test_a_relative_feed_link_is_resolved_once_in_normalise() -> None:
    from datetime import datetime

    from feedhub.normalise import CategoryMap, normalise_entries

    path = DATA / "rss20-relative-link.xml"
    source = Source(id="rel", kind=SourceKind.FEED, location="https://news.example.org/feed")
    url = "https://news.example.org/feed.xml"
    entries = extract(source, FetchResult(url=url, body=path.read_bytes()))
    items = normalise_entries(entries, source, CategoryMap.from_categories(()), url,
                              datetime(2026, 1, 1, tzinfo=UTC))
    assert items[0].link == "https://news.example.org/news/2024/relative"
