"""Listing pages with no selectors: the bundled page and tests/data/listings/ cases.

Each case is <name>.html beside <name>.expect.json: the page URL, the source's locale, the
strategy and item selector auto-detection must choose, whether it is confident, the item count,
and per entry (in order) the fields it cares about (dates in UTC; a date without a zone is
read in UTC here). Adding a case adds two files, not code.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedhub.categories import CategoryMap
from feedhub.extract import extract
from feedhub.extract.auto import detect
from feedhub.extract.html import parse_page
from feedhub.fetch import FetchLimits, read_file
from feedhub.model import Config, FetchResult, RawEntry, Source, SourceKind
from feedhub.normalise import normalise_entries

from .test_extract_html import EXPECTED, assert_sample_items

DATA = Path(__file__).parent / "data" / "listings"
CASES = sorted(DATA.glob("*.html"))


def as_data(entry: RawEntry) -> dict[str, Any]:
    out = asdict(entry)
    for key in ("published", "updated"):
        value: datetime | None = getattr(entry, key)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        out[key] = value.astimezone(UTC).isoformat() if value is not None else None
    out["labels"] = list(entry.labels)
    return out


def test_sample_page_needs_no_configuration(config: Config) -> None:
    bundled = config.source("ilo-newsroom")
    assert bundled is not None
    source = Source(id="auto", kind=SourceKind.HTML, location=bundled.location,
                    base_url=bundled.base_url, default_category="news")
    fetched = read_file(source.id, source.location, config.root, FetchLimits())
    entries = extract(source, fetched)
    items = normalise_entries(entries, source, CategoryMap.from_categories(config.categories),
                              fetched.url, datetime(2026, 1, 1, tzinfo=UTC))
    assert_sample_items(items)
    # The report names selectors that give the same items when pasted into sources.yaml.
    _, report = detect(parse_page(fetched), bundled.base_url)
    assert report.confident and report.selectors is not None
    assert report.selectors.item == "ol.list-results > li.item"
    pinned = Source(id="pinned", kind=SourceKind.HTML, location=bundled.location,
                    base_url=bundled.base_url, selectors=report.selectors)
    assert extract(pinned, fetched) == entries


def test_there_are_cases() -> None:
    assert len(CASES) >= 6


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_listing_case(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expect.json").read_text("utf-8"))
    result = FetchResult(url=expected["url"], body=path.read_bytes())
    entries, report = detect(parse_page(result), expected["url"], expected.get("locale", ""))
    assert report.strategy == expected["strategy"], report
    assert report.confident == expected["confident"], report
    if "item" in expected:
        assert report.selectors is not None and report.selectors.item == expected["item"]
    assert len(entries) == expected["count"], [e.title for e in entries]
    for got, want in zip(entries, expected["entries"], strict=False):
        data = as_data(got)
        assert {key: data[key] for key in want} == want


def test_a_page_without_items_says_what_it_looked_for() -> None:
    source = Source(id="empty-page", kind=SourceKind.HTML, location="https://x.example/")
    body = b"<html><body><p>Nothing to see here.</p></body></html>"
    with pytest.raises(Exception, match="found no items on this page without selectors"):
        extract(source, FetchResult(url="https://x.example/", body=body))


def test_a_build_without_selectors_publishes_the_same_items(project: Path) -> None:
    from feedhub.config import load_config
    from feedhub.pipeline import build
    from feedhub.store import open_store

    text = project.read_text("utf-8")
    start = text.index("    selectors:\n")
    end = text.index("\n\n", start)
    project.write_text(text[:start] + text[end + 1:], "utf-8")
    config = load_config(project)
    source = config.source("ilo-newsroom")
    assert source is not None and source.selectors is None
    report = build(config, only={"ilo-newsroom"})
    assert report.ok, [s.error for s in report.sources]
    assert report.sources[0].found == 10
    with open_store(config.store, config.root) as store:
        titles = {item.title for item in store.items_for("all", 50)}
    assert {title for title, *_ in EXPECTED} <= titles
