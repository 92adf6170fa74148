"""Hostile feed bodies stay one source's problem, and cost what their first entries cost.

Each case is served by a real HTTP server on 127.0.0.1 (or handed to extract directly) beside a
good source:

| body                                         | outcome                                    |
| -------------------------------------------- | ------------------------------------------ |
| the path of a local feed file                | that file is never read; the source's error |
| any source (RSS, Atom, JSON, listing, file)  | feedparser is only ever handed a stream,   |
|                                              | both readers only guarded, cut bytes       |
| ``&#xD800;`` in one title                    | every item published, as U+FFFD            |
| normalising raises RuntimeError              | that source's one-line error; build goes on |
| the fetcher raises ValueError                | that source's one-line error; build goes on |
| a second ``<rss>`` after ``</rss>``          | first document only; a warning says so     |
| 20 000 categories, 10 000 enclosures an item | 32 labels, 16 enclosures; a warning        |
| 20 000 categories on the channel             | 32 kept; a warning                         |
| 20 000 terms in ``itunes:keywords``          | 32 labels; a warning                       |
| 200 authors an entry (Atom, JSON Feed)       | 16 names kept                              |
| 5 000 items, ``max_items`` 100               | the reader sees 100; 4 900 over the cap    |
"""

from __future__ import annotations

import ast
import io
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import feedhub.parsing
from feedhub.categories import CategoryMap
from feedhub.cli import main
from feedhub.config import load_config
from feedhub.extract import (
    MAX_AUTHORS,
    MAX_ENCLOSURES,
    MAX_LABELS,
    ExtractReport,
    extract,
)
from feedhub.extract import feed as feed_module
from feedhub.extract.xmltrim import trim_xml
from feedhub.model import Enclosure, FetchResult, RawEntry, Source, SourceKind
from feedhub.normalise import normalise_entries
from feedhub.pipeline import build
from feedhub.store import ALL_SLUG, open_store

from ..support.httpd import LocalServer
from ..support.sources import rss

SRC = Path(__file__).resolve().parents[2] / "src"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def write_config(folder: Path, httpd: LocalServer, sources: dict[str, str],
                 extra: str = "") -> Path:
    """A sources.yaml reading ``/<id>`` from ``httpd`` for each id -> kind ("feed", "html",
    or "file" for a local feed file ``<id>.xml`` in ``folder``)."""
    lines = ["site: {title: T, base_url: 'https://hub.example.org'}", "sources:"]
    for name, kind in sources.items():
        if kind == "file":
            lines.append(f"  - {{id: {name}, kind: feed, path: {name}.xml}}")
        else:
            lines.append(f"  - {{id: {name}, kind: {kind}, url: '{httpd.url('/' + name)}', "
                         "allow_private: true}")
    lines.append("fetch: {deadline: 5s, retries: 0" + (f", {extra}" if extra else "") + "}")
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_titles(folder: Path) -> list[str]:
    with open_store("sqlite:///feedhub.db", folder) as store:
        return sorted(item.title for item in store.items_for(ALL_SLUG, 10_000))


def published_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted((folder / "feeds").rglob("*")) if p.is_file())


def feed_source(name: str) -> Source:
    return Source(id=name, kind=SourceKind.FEED, location=f"https://{name}.example/feed")


def run(body: bytes | str, max_items: int | None = None,
        name: str = "hostile") -> tuple[list[RawEntry], ExtractReport]:
    report = ExtractReport()
    data = body.encode() if isinstance(body, str) else body
    entries = extract(feed_source(name), FetchResult(url=f"https://{name}.example/feed",
                                                     body=data),
                      max_items=max_items, report=report)
    return entries, report


@pytest.fixture
def streams(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """What each feed document was read from: feedparser.parse wrapped (it fails on anything
    but a stream) and the fast path for clean feeds wrapped (it records the documents it
    read; those it hands on to feedparser are recorded there)."""
    seen: list[bytes] = []
    real = feedparser.parse
    real_fast = feed_module.read_clean_feed

    def parse(source: Any, *args: Any, **kwargs: Any) -> Any:
        assert hasattr(source, "read"), f"feedparser.parse was handed {type(source).__name__}"
        data = source.read()
        seen.append(data)
        return real(io.BytesIO(data), *args, **kwargs)

    def read_fast(data: bytes, *args: Any) -> Any:
        clean = real_fast(data, *args)  # raises Unclean for what feedparser must read
        seen.append(data)
        return clean

    monkeypatch.setattr(feedparser, "parse", parse)
    monkeypatch.setattr(feed_module, "read_clean_feed", read_fast)
    yield seen


# -- 1. a body is never a file name -----------------------------------------------------------


def test_a_body_naming_a_local_file_is_not_read(httpd: LocalServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss("secret", 1).replace(b"secret story 1", b"SECRET LOCAL STORY"))
    httpd.route("/evil", str(secret).encode(), headers={"Content-Type": "application/rss+xml"})
    httpd.route("/good", rss("good", 2), headers={"Content-Type": "application/rss+xml"})
    config = load_config(write_config(tmp_path, httpd, {"evil": "feed", "good": "feed"}))
    report = build(config, now=NOW)
    good, evil = sorted(report.sources, key=lambda s: s.source_id)[::-1]
    assert good.ok and good.new == 2
    assert not evil.ok and "not an RSS, Atom or JSON feed" in evil.error
    assert not any("SECRET" in title for title in stored_titles(tmp_path))
    assert "SECRET" not in published_text(tmp_path)
    with open_store("sqlite:///feedhub.db", tmp_path) as store:
        assert store.source_state("evil").last_error == evil.error


def test_feedparser_is_handed_only_streams_by_every_kind_of_source(
        httpd: LocalServer, tmp_path: Path, streams: list[bytes]) -> None:
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
            b"<entry><title>Atom story</title><id>urn:a:1</id>"
            b'<link href="https://a.example/1"/></entry></feed>')
    jsonfeed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J",
                           "items": [{"id": "1", "url": "https://j.example/1",
                                      "title": "JSON story"}]}).encode()
    page = (b"<html><body><ul>" + b"".join(
        b'<li><a href="https://p.example/%d">Listing story number %d</a></li>' % (n, n)
        for n in range(1, 6)) + b"</ul></body></html>")
    httpd.route("/rss", rss("rss", 2), headers={"Content-Type": "application/rss+xml"})
    httpd.route("/atom", atom, headers={"Content-Type": "application/atom+xml"})
    httpd.route("/json", jsonfeed, headers={"Content-Type": "application/feed+json"})
    httpd.route("/page", page, headers={"Content-Type": "text/html"})
    (tmp_path / "local.xml").write_bytes(rss("local", 1))
    config = load_config(write_config(tmp_path, httpd, {
        "rss": "feed", "atom": "feed", "json": "feed", "page": "html", "local": "file"}))
    report = build(config, now=NOW, processes=1)
    assert report.ok, [(s.source_id, s.error) for s in report.sources]
    # rss, atom, local (each read once, by one of the two readers); JSON and the listing
    # never reach either
    assert len(streams) == 3


def _first_argument_is_a_stream(call: ast.Call) -> bool:
    if not call.args:
        return False
    first = call.args[0]
    return (isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute)
            and first.func.attr == "BytesIO")


def test_every_feedparser_call_in_src_is_handed_a_stream() -> None:
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "parse" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "feedparser"):
                calls.append((str(path.relative_to(SRC)), node.lineno,
                              _first_argument_is_a_stream(node)))
    assert calls, "no feedparser.parse call found: is this test still looking in the right place?"
    assert [c for c in calls if not c[2]] == [], "hand feedparser io.BytesIO(body), never bytes"


# -- 2. one bad character, one bad source -----------------------------------------------------


def test_a_lone_surrogate_reference_spoils_nothing(httpd: LocalServer, tmp_path: Path) -> None:
    bad = rss("bad", 3).replace(b"bad story 2 v1", b"bad &#xD800; story 2")
    httpd.route("/bad", bad, headers={"Content-Type": "application/rss+xml"})
    httpd.route("/good", rss("good", 2), headers={"Content-Type": "application/rss+xml"})
    config = load_config(write_config(tmp_path, httpd, {"bad": "feed", "good": "feed"}))
    report = build(config, now=NOW)
    assert report.ok, [(s.source_id, s.error) for s in report.sources]
    assert [s.new for s in report.sources] == [3, 2]
    titles = stored_titles(tmp_path)
    assert "bad \ufffd story 2" in titles
    assert "bad \ufffd story 2" in published_text(tmp_path)


@pytest.mark.parametrize("body", [
    "<rss><channel><item><title>&#1;&#xFFFE;&#x110000;&#99999999999999999999;&#55296 x"
    "</title><link>https://e.example/1</link></item></channel></rss>",
])
def test_references_to_forbidden_characters_become_the_replacement_character(
        body: str) -> None:
    entries, _ = run(body)
    assert [e.title for e in entries] == ["\ufffd" * 5 + " x"]


def test_an_unexpected_exception_is_that_sources_error(
        httpd: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = feedhub.parsing.normalise_entries

    def normalise_entries(entries: Any, source: Source, *args: Any) -> Any:
        if source.id == "broken":
            raise RuntimeError("boom\nwith a second line")
        return real(entries, source, *args)

    # Where the build's parse step calls it (it imports the name).
    monkeypatch.setattr(feedhub.parsing, "normalise_entries", normalise_entries)
    httpd.route("/broken", rss("broken", 2), headers={"Content-Type": "application/rss+xml"})
    httpd.route("/good", rss("good", 2), headers={"Content-Type": "application/rss+xml"})
    path = write_config(tmp_path, httpd, {"broken": "feed", "good": "feed"})
    result = CliRunner().invoke(main, ["build", "-c", str(path)])
    assert result.exit_code != 0  # a failed source fails the command, after the build
    assert "RuntimeError" in result.output and "good" in result.output
    assert stored_titles(tmp_path) == ["good story 1 v1", "good story 2 v1"]
    with open_store("sqlite:///feedhub.db", tmp_path) as store:
        error = store.source_state("broken").last_error
    assert error.startswith("unexpected RuntimeError while normalising this source: boom with")
    assert "\n" not in error and "Traceback" not in error
    status = CliRunner().invoke(main, ["status", "-c", str(path)])
    assert "unexpected RuntimeError" in status.output and "Traceback" not in status.output


def test_a_fetcher_raising_is_that_sources_error(httpd: LocalServer, tmp_path: Path) -> None:
    from feedhub.fetch import fetch

    def fetcher(source: Source, root: Path, validators: Any) -> FetchResult:
        if source.id == "broken":
            raise ValueError("a bug in a fetcher")
        return fetch(source, root, validators)

    httpd.route("/good", rss("good", 2), headers={"Content-Type": "application/rss+xml"})
    config = load_config(write_config(tmp_path, httpd, {"broken": "feed", "good": "feed"}))
    report = build(config, now=NOW, fetcher=fetcher)
    broken, good = report.sources
    assert good.ok and good.new == 2
    assert broken.error.startswith("unexpected ValueError while fetching this source")


# -- 3. one document ----------------------------------------------------------------------------


def test_a_second_document_is_not_read_and_the_build_says_so(
        httpd: LocalServer, tmp_path: Path) -> None:
    body = rss("first", 2) + b"\n" + rss("second", 2).replace(b'<?xml version="1.0" '
                                                             b'encoding="utf-8"?>', b"")
    entries, report = run(body)
    assert [e.title for e in entries] == ["first story 1 v1", "first story 2 v1"]
    assert len(report.warnings) == 1
    assert "a second XML document starts at line 2" in report.warnings[0]
    httpd.route("/two", body, headers={"Content-Type": "application/rss+xml"})
    path = write_config(tmp_path, httpd, {"two": "feed"})
    result = CliRunner().invoke(main, ["build", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: a second XML document starts at line 2" in result.stdout
    assert stored_titles(tmp_path) == ["first story 1 v1", "first story 2 v1"]


def test_a_single_document_comes_back_unchanged() -> None:
    text = rss("one", 40).decode() + "\n<!-- served by ... -->\n"
    assert trim_xml(text, 100).text is text


# -- 4. per-entry caps ----------------------------------------------------------------------------


def test_labels_and_enclosures_per_rss_item_are_capped() -> None:
    crowd = "".join(f"<category>label {n}</category>" for n in range(20_000)) + "".join(
        f'<enclosure url="https://e.example/{n}.mp3" type="audio/mpeg" length="1"/>'
        for n in range(10_000))
    body = (f"<rss><channel><item><title>Crowded</title><link>https://e.example/1</link>"
            f"{crowd}</item><item><title>Plain</title><link>https://e.example/2</link>"
            f"<category>only</category></item></channel></rss>")
    entries, report = run(body)
    crowded, plain = entries
    assert crowded.labels == tuple(f"label {n}" for n in range(MAX_LABELS))
    assert len(crowded.enclosures) == MAX_ENCLOSURES
    assert plain.labels == ("only",)
    assert sorted(report.warnings) == [
        f"1 entry had more than {MAX_ENCLOSURES} enclosures; only the first "
        f"{MAX_ENCLOSURES} of each were read",
        f"1 entry had more than {MAX_LABELS} labels; only the first {MAX_LABELS} of each "
        "were read"]


def test_keyword_lists_are_capped() -> None:
    terms = ",".join(f"k{n}" for n in range(20_000))
    body = (f'<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
            f"<item><title>Keyed</title><link>https://e.example/1</link>"
            f"<itunes:keywords>{terms}</itunes:keywords></item></channel></rss>")
    entries, report = run(body)
    assert entries[0].labels == tuple(f"k{n}" for n in range(MAX_LABELS))
    assert report.warnings == [f"1 keyword list had more than {MAX_LABELS} terms; only the "
                               f"first {MAX_LABELS} of each were read"]


def test_labels_of_the_feed_itself_are_capped() -> None:
    crowd = "".join(f"<category>label {n}</category>" for n in range(20_000))
    text = (f"<rss><channel><title>T</title>{crowd}<item><title>1</title></item>{crowd}"
            "</channel></rss>")
    trimmed = trim_xml(text)
    channel = ElementTree.fromstring(trimmed.text).find("channel")
    assert channel is not None and len(channel.findall("category")) == MAX_LABELS
    assert channel.findtext("item/title") == "1"
    assert trimmed.warnings == (f"the feed had more than {MAX_LABELS} labels; only the first "
                                f"{MAX_LABELS} were read",)


def test_authors_per_atom_entry_are_capped() -> None:
    authors = "".join(f"<author><name>Writer {n}</name></author>" for n in range(200))
    body = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
            f"<entry><title>Many hands</title><id>urn:a:1</id>{authors}</entry></feed>")
    entries, _ = run(body)
    assert entries[0].author == ", ".join(f"Writer {n}" for n in range(MAX_AUTHORS))


def test_json_feed_items_are_capped() -> None:
    item = {"id": "1", "url": "https://j.example/1", "title": "Crowded",
            "tags": [f"tag {n}" for n in range(1000)],
            "attachments": [{"url": f"https://j.example/{n}.mp3"} for n in range(1000)],
            "authors": [{"name": f"Writer {n}"} for n in range(200)]}
    entries, _ = run(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                 "items": [item]}))
    assert len(entries[0].labels) == MAX_LABELS
    assert len(entries[0].enclosures) == MAX_ENCLOSURES
    assert entries[0].author.count("Writer") == MAX_AUTHORS


def test_normalise_caps_every_kind_of_source() -> None:
    """A listing page's (or any future extractor's) entry is capped where all pass."""
    entry = RawEntry(title="Crowded", link="https://p.example/1",
                     labels=tuple(f"label {n}" for n in range(1000)),
                     enclosures=tuple(Enclosure(url=f"https://p.example/{n}.mp3")
                                      for n in range(1000)))
    source = Source(id="page", kind=SourceKind.HTML, location="https://p.example/")
    (item,) = normalise_entries([entry], source, CategoryMap.from_categories(()),
                                "https://p.example/", NOW)
    assert len(item.labels) == MAX_LABELS
    assert len(item.enclosures) == MAX_ENCLOSURES


# -- 5. max_items before parsing -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_entries_past_max_items_are_never_parsed(kind: str, streams: list[bytes]) -> None:
    if kind == "rss":
        body = rss("flood", 5000)
    else:
        body = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                + "".join(f"<entry><title>Story {n}</title><id>urn:s:{n}</id></entry>"
                          for n in range(5000)) + "<updated>2026-11-01T00:00:00Z</updated></feed>"
                ).encode()
    entries, report = run(body, max_items=100)
    assert len(entries) == 100 and report.over_cap == 4900
    (parsed,) = streams
    assert parsed.count(b"<item>" if kind == "rss" else b"<entry>") == 100
    ElementTree.fromstring(parsed)  # cut, and still well-formed: its open elements closed


def test_json_feed_items_past_max_items_are_counted() -> None:
    items = [{"id": str(n), "url": f"https://j.example/{n}"} for n in range(500)]
    entries, report = run(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                      "items": items}), max_items=100)
    assert [e.guid for e in entries] == [str(n) for n in range(100)]
    assert report.over_cap == 400


def test_max_items_cut_keeps_what_follows_inside_the_cut() -> None:
    text = ("<rss><channel><title>T</title>" + "".join(
        f"<item><title>{n}</title><category>c</category><enclosure url='u'/></item>"
        for n in range(5)) + "</channel></rss>")
    trimmed = trim_xml(text, 3)
    assert trimmed.over_cap == 2
    assert trimmed.text == text[:text.index("<item><title>3")] + "</channel></rss>"


# -- the cut, for any document -------------------------------------------------------------------


documents = st.tuples(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 20), st.booleans()), max_size=8),
    st.booleans(), st.integers(1, 8))


@settings(max_examples=200, deadline=None)
@given(documents)
def test_a_cut_document_is_well_formed_and_within_every_cap(
        case: tuple[list[tuple[int, int, bool]], bool, int]) -> None:
    items, second, max_items = case
    body = "".join(
        f"<item><title>{n}</title><nest><category>deep</category></nest>"
        + "".join(f"<category>c{k}</category>" for k in range(labels))
        + "".join(f"<enclosure url='https://e.example/{k}'{'/>' if empty else '></enclosure>'}"
                  for k in range(enclosures))
        + "</item>"
        for n, (labels, enclosures, empty) in enumerate(items))
    text = f"<?xml version='1.0'?><rss><channel><title>T</title>{body}</channel></rss>"
    if second:
        text += "\n<rss><channel><item><title>second</title></item></channel></rss>"
    trimmed = trim_xml(text, max_items)
    root = ElementTree.fromstring(trimmed.text.encode())
    kept = root.findall("./channel/item")
    assert [i.findtext("title") for i in kept] == [str(n) for n in range(min(len(items),
                                                                             max_items))]
    assert trimmed.over_cap == max(len(items) - max_items, 0)
    for item, (labels, enclosures, _) in zip(kept, items, strict=False):
        assert len(item.findall("category")) == min(labels, MAX_LABELS)
        assert len(item.findall("enclosure")) == min(enclosures, MAX_ENCLOSURES)
        assert item.findtext("nest/category") == "deep"  # only an entry's own children count
    assert any("second XML document" in w for w in trimmed.warnings) == second
    if not second and len(items) <= max_items and trimmed.text != text:
        assert trimmed.warnings  # whatever changed is said
