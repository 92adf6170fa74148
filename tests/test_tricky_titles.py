"""Tricky titles survive a real build exactly, from every kind of source to every format.

The table is data (tests/data/titles/tricky.json): each row is written into an RSS feed, Atom
feeds with type="text", "html" and "xhtml" titles, a JSON Feed and a listing page, all built
together, and read back from every published format: RSS and Atom with feedparser (an html
title as the text a reader shows of it), JSON Feed as JSON (its titles are plain text), the
category page, the embed page and the embed script's data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import feedparser
import lxml.html
import pytest

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build

from .support.conformance import w3c_findings

TABLE = json.loads((Path(__file__).parent / "data" / "titles" / "tricky.json").read_text("utf-8"))
FORMATS = ("rss", "atom-text", "atom-html", "atom-xhtml", "json", "listing")
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
HOST = "https://titles.example.org"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    written: str
    """The title as the source file holds it (escaped as that format needs)."""
    expected: str
    when: datetime

    @property
    def link(self) -> str:
        return f"{HOST}/{self.kind}/{self.name}"


def honest(kind: str, title: str) -> str:
    """``title`` written as a careful publisher of ``kind`` writes it."""
    if kind in ("rss", "atom-text", "atom-xhtml"):
        return xml_escape(title)
    if kind == "atom-html":
        return xml_escape(escape(title, quote=False))
    if kind == "listing":
        return escape(title, quote=False)
    return title


def cases(kind: str) -> list[Case]:
    rows = TABLE["rows"]
    return [Case(row["name"], kind, row.get("written", {}).get(kind, honest(kind, row["title"])),
                 row.get("expect", {}).get(kind, row["title"]),
                 NOW - timedelta(hours=n + 1)) for n, row in enumerate(rows)]


def rss(rows: list[Case]) -> str:
    items = "".join(
        f"<item><title>{c.written}</title><link>{c.link}</link><description>About {c.name}"
        f"</description><pubDate>{c.when:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for c in rows)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
            f"</title><link>{HOST}/</link><description>d</description>{items}</channel></rss>")


def atom(rows: list[Case], kind: str) -> str:
    def title(case: Case) -> str:
        if kind == "xhtml":
            return (f'<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
                    f"{case.written}</div></title>")
        return f'<title type="{kind}">{case.written}</title>'

    entries = "".join(
        f"<entry><id>tag:titles.example.org,2026:{kind}:{c.name}</id>{title(c)}"
        f'<link href="{c.link}"/><updated>{c.when:%Y-%m-%dT%H:%M:%SZ}</updated>'
        f"<summary>About {c.name}</summary></entry>" for c in rows)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title><id>tag:titles.example.org,2026:{kind}</id>"
            f"<updated>{NOW:%Y-%m-%dT%H:%M:%SZ}</updated><author><name>a</name></author>"
            f"{entries}</feed>")


def json_feed(rows: list[Case]) -> str:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "t",
        "items": [{"id": c.link, "url": c.link, "title": c.written,
                   "content_text": f"About {c.name}", "date_published": c.when.isoformat()}
                  for c in rows]}, ensure_ascii=False)


def listing(rows: list[Case]) -> str:
    blocks = "".join(
        f'<li class="item"><h2><a href="{c.link}">{c.written}</a></h2>'
        f'<time datetime="{c.when.isoformat()}">{c.when:%d %B %Y}</time>'
        f'<p class="s">About {c.name}</p></li>' for c in rows)
    return f'<!doctype html><html><head><meta charset="utf-8"><title>l</title></head>' \
           f"<body><ul>{blocks}</ul></body></html>"


SOURCES = {
    "rss": ("feed", "titles.rss", lambda rows: rss(rows)),
    "atom-text": ("feed", "text.atom", lambda rows: atom(rows, "text")),
    "atom-html": ("feed", "html.atom", lambda rows: atom(rows, "html")),
    "atom-xhtml": ("feed", "xhtml.atom", lambda rows: atom(rows, "xhtml")),
    "json": ("feed", "titles.json", json_feed),
    "listing": ("html", "titles.html", listing),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """Every kind of source, each in its own category, built once (title merging off: the
    same title from two sources stays two items)."""
    folder = tmp_path_factory.mktemp("titles")
    lines = ["site:", "  title: Titles", "  base_url: https://hub.example.org",
             "  merge_window_days: 0", "categories:"]
    lines += [f"  - slug: {kind}" for kind in FORMATS]
    lines.append("sources:")
    for kind, (source_kind, name, render) in SOURCES.items():
        (folder / name).write_text(render(cases(kind)), encoding="utf-8")
        lines += [f"  - id: {kind}", f"    kind: {source_kind}", f"    path: {name}",
                  f"    category: {kind}"]
        if source_kind == "html":
            lines += ["    selectors:", "      item: li.item", "      title: h2 a",
                      "      link: h2 a@href", "      summary: .s"]
    lines += ["store: sqlite:///feedhub.db", "output: feeds", ""]
    (folder / "sources.yaml").write_text("\n".join(lines), encoding="utf-8")
    config = load_config(folder / "sources.yaml")
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    return config


def _text_of_html(value: str) -> str:
    return _SPACE.sub(" ", lxml.html.fragment_fromstring(value, create_parent="div")
                      .text_content()).strip()


def from_feedparser(path: Path) -> dict[str, str]:
    """Link -> title as a reader built on feedparser shows it (html titles as their text)."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = {}
    for entry in parsed.entries:
        detail = entry.title_detail
        titles[entry.link] = (entry.title if detail.type == "text/plain"
                              else _text_of_html(entry.title))
    return titles


def from_json(path: Path) -> dict[str, str]:
    return {item["url"]: item["title"] for item in json.loads(path.read_bytes())["items"]}


def from_page(path: Path, css: str) -> dict[str, str]:
    document = lxml.html.document_fromstring(path.read_bytes())
    return {a.get("href"): _SPACE.sub(" ", a.text_content()).strip()
            for a in document.cssselect(css)}


def from_embed_script(path: Path) -> dict[str, str]:
    text = path.read_text("utf-8")
    data, _ = json.JSONDecoder().raw_decode(text, text.index("var feed = ") + len("var feed = "))
    return {item["url"]: item["title"] for item in data["items"]}


READERS: dict[str, Any] = {
    "rss": lambda out, slug: from_feedparser(out / f"{slug}.rss"),
    "atom": lambda out, slug: from_feedparser(out / f"{slug}.atom"),
    "json": lambda out, slug: from_json(out / f"{slug}.json"),
    "page": lambda out, slug: from_page(out / "c" / f"{slug}.html", "h2.fh-item-title a"),
    "embed-page": lambda out, slug: from_page(out / "embed" / f"{slug}.html", "a.feedhub-link"),
    "embed-script": lambda out, slug: from_embed_script(out / "embed" / f"{slug}.js"),
}


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("output", READERS)
def test_every_title_reads_back_exactly(built: Config, source: str, output: str) -> None:
    published = READERS[output](built.output_dir, source)
    expected = {c.link: c.expected for c in cases(source)}
    # The embed page shows the newest few; everything else carries every row.
    assert len(published) >= min(len(expected), 10), published
    wrong = {link: (title, expected[link]) for link, title in published.items()
             if title != expected[link]}
    assert not wrong, wrong


def test_the_table_holds_the_cases_the_issue_names() -> None:
    titles = {row["title"] for row in TABLE["rows"]}
    assert {"Vector<T> vs List<T> in C#", "if a < b and c > d",
            "Using the <details> element", "Bold news", "x < y"} <= titles


def test_the_w3c_feed_validator_has_nothing_to_say(built: Config) -> None:
    """Titles that look like HTML are written so that no validator mistakes them (RSS: hex
    character references; Atom: type="html"), and none of them is changed for it."""
    published = sorted(p for p in built.output_dir.rglob("*") if p.suffix in (".rss", ".atom"))
    assert len(published) >= 14
    assert w3c_findings(published) == []
