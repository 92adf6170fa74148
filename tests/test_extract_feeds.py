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

    from feedhub.categories import CategoryMap
    from feedhub.normalise import normalise_entries

    path = DATA / "rss20-relative-link.xml"
    source = Source(id="rel", kind=SourceKind.FEED, location="https://news.example.org/feed")
    url = "https://news.example.org/feed.xml"
    entries = extract(source, FetchResult(url=url, body=path.read_bytes()))
    items = normalise_entries(entries, source, CategoryMap.from_categories(()), url,
                              datetime(2026, 1, 1, tzinfo=UTC))
    assert items[0].link == "https://news.example.org/news/2024/relative"


# Text that stock expat hands over in many pieces (per line, per entity reference, around
# comments and CDATA), and an Atom XHTML body whose <div> wrapper feedparser strips by looking
# at those pieces: the buffered SAX driver (feedhub.extract.feed) must give the same result.
PIECES = ("<?xml version='1.0' encoding='utf-8'?>\r\n"
          "<feed xmlns='http://www.w3.org/2005/Atom'><title>T &amp; t\r\n &#233;</title>"
          "<entry><id>tag:x,2026:1</id><title type='html'>&lt;b&gt;A&lt;/b&gt; &amp;amp;"
          " b<!-- c -->d<![CDATA[ <e> ]]>f\n</title>"
          "<link href='https://e.example/1?a=1&amp;b=2'/>"
          "<summary type='html'>" + "&lt;p&gt;x &amp;mdash; y&lt;/p&gt;\n" * 4000 + "</summary>"
          "<content type='xhtml'>\n  <div xmlns='http://www.w3.org/1999/xhtml'>\n"
          "   <p>one &amp; two</p>\n  <p>three</p>\n </div>\n </content>"
          "<category term='a &amp; b'/><updated>2026-01-02T03:04:05Z</updated></entry>"
          "<entry><id>tag:x,2026:2</id><title>t</title>"
          "<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>a</div> "
          "<div xmlns='http://www.w3.org/1999/xhtml'>b</div></content></entry></feed>")


def _feedparser_both_ways(body: bytes) -> tuple[Any, Any]:
    import xml.sax

    import feedparser.api

    from feedhub.extract.feed import _BufferedExpatReader, parse_feed_bytes

    drivers = feedparser.api.PREFERRED_XML_PARSERS
    assert isinstance(xml.sax.make_parser(drivers), _BufferedExpatReader)
    result = FetchResult(url="https://e.example/feed", body=body)
    buffered = parse_feed_bytes("x", result)
    saved = list(drivers)
    drivers[:] = ["xml.sax.expatreader"]
    try:
        stock = parse_feed_bytes("x", result)
    finally:
        drivers[:] = saved
    return buffered, stock


@pytest.mark.parametrize("path", [
    *(p for p in CASES if p.suffix in (".xml", ".rdf")),
    *sorted((Path(__file__).parent / "adversarial" / "data").glob("enc-*.xml")),
    Path(__file__).parent / "adversarial" / "data" / "internal-entities-ok.xml",
], ids=lambda p: p.name)
def test_buffered_sax_driver_parses_every_case_as_stock_expat_does(path: Path) -> None:
    buffered, stock = _feedparser_both_ways(path.read_bytes())
    assert buffered.entries == stock.entries
    assert buffered.feed == stock.feed
    assert buffered.get("bozo") == stock.get("bozo")


def test_buffered_sax_driver_joins_text_pieces_as_feedparser_did() -> None:
    buffered, stock = _feedparser_both_ways(PIECES.encode("utf-8"))
    assert not stock.bozo
    assert buffered.entries == stock.entries
    assert buffered.feed == stock.feed
    first, second = buffered.entries
    assert first.content[0]["value"].startswith("<p>one &amp; two</p>")  # <div> stripped
    assert "<div" in second.content[0]["value"]  # two divs: kept
    assert len(first.summary) > 1 << 16  # longer than the driver's text buffer
