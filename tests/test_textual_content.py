"""Every published Atom entry has textual content (RFC 4287 4.1.1.1), and none is invented.

An entry without content should have a non-empty summary (the W3C Feed Validator warns
MissingTextualContent otherwise), and one without an alternate link must have content
(4.1.1). When a source gives no summary, the only text feedhub has is the title, so that is
what the summary (or content) says, as plain text. A real build of a listing page with no
summary and an RSS item with neither link nor description, checked against RFC 4287's
schema and read back with feedparser.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import feedparser
import pytest
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build

from .support.conformance import atom_schema_problems, w3c_findings

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"

LISTING = """<!doctype html><html><head><meta charset="utf-8"><title>l</title></head><body><ul>
<li class="item"><h2><a href="https://site.example.org/1">Jobs &lt;fair&gt; &amp; more</a></h2></li>
<li class="item"><h2><a href="https://site.example.org/2">Second story</a></h2></li>
<li class="item"><h2><a href="https://site.example.org/3">Write &lt;/b&gt; to close</a></h2></li>
</ul></body></html>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<link>https://wire.example.org/</link><description>d</description>
<item><title>No link &lt;b&gt;here&lt;/b&gt;, a &lt; b</title>
<guid isPermaLink="false">wire-1</guid></item></channel></rss>"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Config:
    tmp_path = tmp_path_factory.mktemp("textual")
    (tmp_path / "list.html").write_text(LISTING, encoding="utf-8")
    (tmp_path / "wire.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        "site:\n  title: T\n  base_url: https://hub.example.org\nsources:\n"
        "  - id: list\n    kind: html\n    path: list.html\n    selectors:\n"
        "      item: li.item\n      title: h2 a\n      link: h2 a@href\n"
        "  - id: wire\n    kind: feed\n    path: wire.rss\n"
        "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    config = load_config(tmp_path / "sources.yaml")
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    return config


def test_entries_without_text_repeat_their_title_and_nothing_else(built: Config) -> None:
    path = built.output_dir / "all.atom"
    root = etree.fromstring(path.read_bytes())
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    for entry in entries:
        title = entry.find(f"{ATOM}title")
        assert title is not None
        text = entry.find(f"{ATOM}content")
        if text is None:
            # feedgen writes the alternate link without rel (alternate is Atom's default).
            assert any(link.get("rel", "alternate") == "alternate"
                       for link in entry.findall(f"{ATOM}link"))
            text = entry.find(f"{ATOM}summary")
        assert text is not None, etree.tostring(entry)
        # The same text construct as the title: text, or html when it looks like HTML.
        assert (text.get("type"), text.text) == (title.get("type", "text"), title.text)
    parsed = feedparser.parse(path.read_bytes())
    shown = {e.title if e.title_detail.type == "text/plain" else html.unescape(e.title)
             for e in parsed.entries}
    assert shown == {"Jobs <fair> & more", "Second story", "No link here, a < b",
                     "Write </b> to close"}
    assert atom_schema_problems([path]) == []


def test_the_w3c_feed_validator_has_nothing_to_say(built: Config) -> None:
    published = sorted(p for p in built.output_dir.rglob("*") if p.suffix in (".rss", ".atom"))
    assert len(published) == 2
    assert w3c_findings(published) == []
