"""Published dates the mutation run (scripts/mutation.sh publish) found unchecked: a server
whose clock is set to another time zone publishes the very same UTC dates (and so the same
bytes and ETags as every other server), the OPML list's date is an RFC 822 date in GMT; and
what an RSS item or Atom entry carries besides its dates and id."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Enclosure, Item, Site
from feedhub.pipeline import build
from feedhub.publish.document import FeedDoc, SourceRef
from feedhub.publish.feeds import render_atom, render_rss

from .test_published_values import ATOM, DATA, NOW, STORIES

CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"


@pytest.fixture
def server_in_kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is UTC+05:30 (no daylight saving) for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    if time.localtime(0).tm_gmtoff != 19800:
        monkeypatch.undo()
        time.tzset()
        pytest.skip("no time zone data: install the Debian package tzdata")
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_kolkata")
def test_dates_are_published_in_utc_whatever_the_servers_time_zone(tmp_path: Path) -> None:
    shutil.copy(DATA / "dated.atom", tmp_path / "dated.atom")
    (tmp_path / "sources.yaml").write_text(
        "site:\n  title: Test hub\n  base_url: https://hub.example.org\n"
        "categories:\n  - slug: news\n    labels: [News]\n"
        "sources:\n  - id: dated\n    kind: feed\n    path: dated.atom\n    category: news\n"
        "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    config = load_config(tmp_path / "sources.yaml")
    assert build(config, now=NOW).ok
    out = config.output_dir

    rss = etree.parse(str(out / "news.rss"))
    assert {i.findtext("title"): i.findtext("pubDate") for i in rss.iter("item")} == {
        title: want.rss_pub_date for title, want in STORIES.items()}
    assert rss.findtext("channel/lastBuildDate").endswith(" +0000")

    atom = etree.parse(str(out / "news.atom"))
    assert atom.findtext(f"{ATOM}updated").endswith("+00:00")
    for entry in atom.iter(f"{ATOM}entry"):
        want = STORIES[entry.findtext(f"{ATOM}title")]
        assert entry.findtext(f"{ATOM}published") == want.atom_published
        assert entry.findtext(f"{ATOM}updated").startswith(want.atom_updated_second)
        assert entry.findtext(f"{ATOM}updated").endswith("+00:00")

    feed = json.loads((out / "news.json").read_text(encoding="utf-8"))
    assert {i["title"]: (i["date_published"], i["date_modified"]) for i in feed["items"]} == {
        title: (want.json_published, want.json_modified) for title, want in STORIES.items()}

    opml = etree.parse(str(out / "feeds.opml"))  # dated by the newest change
    assert opml.findtext("head/dateModified") == "Wed, 11 Nov 2026 11:05:30 GMT"
    assert "2026-11-09T08:00:00Z" in (out / "c" / "news.html").read_text(encoding="utf-8")


STORY = Item(
    id="6cd656c9-6cdd-5a4d-86fd-0c16a4040246", title="Closing tags: why </p> matters",
    link="https://wire.example/stories/3", published=NOW - timedelta(hours=5),
    updated=NOW - timedelta(hours=1), summary="<p>Short.</p>",
    content="<p>Code: <code>a[b[0]]&gt;c</code> ends ]]> here</p>",
    author="Ada Writer", categories=("news",), labels=("Press release",), sources=("wire",),
    image="https://wire.example/img/3.jpg", comments="https://wire.example/stories/3#talk",
    enclosures=(Enclosure("https://wire.example/a.mp3", "audio/mpeg", 1234),
                Enclosure("https://wire.example/b.ogg", "", 0)),
)
DOC = FeedDoc(slug="news", title="News", items=(STORY,),
              site=Site(title="Test hub", base_url="https://hub.example.org"),
              categories={"news": "News"},
              sources={"wire": SourceRef("wire", "The Wire", "https://wire.example/feed.xml",
                                         is_feed=True)})


def test_an_rss_item_carries_everything_readers_use() -> None:
    item = etree.fromstring(render_rss(DOC)).find("channel/item")
    guid = item.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (f"urn:uuid:{STORY.id}", "false")
    assert item.findtext("pubDate") == "Thu, 12 Nov 2026 07:00:00 +0000"
    assert item.findtext(f"{{{CONTENT}}}encoded") == (
        "<p>Code: <code>a[b[0]]&gt;c</code> ends ]]&gt; here</p>")
    assert item.findtext(f"{{{DC}}}creator") == "Ada Writer"
    assert [(c.text, c.get("domain")) for c in item.findall("category")] == [
        ("news", "https://hub.example.org/c/"), ("Press release", None)]
    assert item.findtext("comments") == "https://wire.example/stories/3#talk"
    # RSS allows one enclosure per item: the first.
    assert [e.attrib for e in item.findall("enclosure")] == [
        {"url": "https://wire.example/a.mp3", "length": "1234", "type": "audio/mpeg"}]
    assert item.find(f"{{{MEDIA}}}thumbnail").get("url") == "https://wire.example/img/3.jpg"
    source = item.find("source")
    assert (source.text, source.get("url")) == ("The Wire", "https://wire.example/feed.xml")


def test_an_enclosure_without_type_or_length_is_still_valid_rss() -> None:
    bare = replace(STORY, enclosures=(Enclosure("https://wire.example/b.ogg", "", -1),))
    item = etree.fromstring(render_rss(replace(DOC, items=(bare,)))).find("channel/item")
    assert item.find("enclosure").attrib == {
        "url": "https://wire.example/b.ogg", "length": "0", "type": "application/octet-stream"}


def test_a_title_that_looks_like_html_reaches_atom_readers_as_written() -> None:
    # Said as type="html" (escaped once more), or readers would take "</p>" for markup.
    plain = replace(STORY, id="1a2b3c4d-0000-5000-8000-000000000001", title="Plain news")
    entries = etree.fromstring(render_atom(replace(DOC, items=(STORY, plain)))).findall(
        f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title") for e in entries]
    assert [(t.get("type"), t.text) for t in titles] == [
        ("html", "Closing tags: why &lt;/p&gt; matters"), (None, "Plain news")]


def _entry(doc: FeedDoc) -> etree._Element:
    entry = etree.fromstring(render_atom(doc)).find(f"{ATOM}entry")
    assert entry is not None
    return entry


def test_an_atom_entry_carries_everything_readers_use() -> None:
    entry = _entry(DOC)
    assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{STORY.id}"
    assert entry.findtext(f"{ATOM}published") == "2026-11-12T07:00:00+00:00"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Ada Writer"
    links = [dict(link.attrib) for link in entry.findall(f"{ATOM}link")]
    assert links == [
        {"href": "https://wire.example/stories/3"},  # rel="alternate" is Atom's default
        {"rel": "enclosure", "href": "https://wire.example/a.mp3", "type": "audio/mpeg",
         "length": "1234"},
        {"rel": "enclosure", "href": "https://wire.example/b.ogg"},
        {"rel": "replies", "type": "text/html", "href": "https://wire.example/stories/3#talk"},
    ]
    assert [dict(c.attrib) for c in entry.findall(f"{ATOM}category")] == [
        {"term": "news", "scheme": "https://hub.example.org/c/", "label": "News"},
        {"term": "Press release"}]
    summary, content = entry.find(f"{ATOM}summary"), entry.find(f"{ATOM}content")
    assert (summary.get("type"), summary.text) == ("html", "<p>Short.</p>")
    assert (content.get("type"), content.text) == ("html", STORY.content)


def test_every_atom_entry_has_text_and_none_is_invented() -> None:
    # RFC 4287 4.1.1: no alternate link -> content; 4.1.1.1: no content -> a summary.
    def text(item: Item) -> list[tuple[str, str, str | None]]:
        entry = _entry(replace(DOC, items=(item,)))
        return [(e.tag.removeprefix(ATOM), e.get("type", "text"), e.text) for e in entry
                if e.tag in (f"{ATOM}summary", f"{ATOM}content")]

    bare = replace(STORY, title="Plain news", content="", comments="", enclosures=())
    assert text(bare) == [("summary", "html", "<p>Short.</p>")]
    assert text(replace(bare, summary="")) == [("summary", "text", "Plain news")]
    unlinked = replace(bare, link="")
    assert text(unlinked) == [("content", "html", "<p>Short.</p>"),
                              ("summary", "html", "<p>Short.</p>")]
    assert text(replace(unlinked, summary="")) == [("content", "text", "Plain news")]
    marked = replace(unlinked, summary="", title=STORY.title)
    assert text(marked) == [("content", "html", "Closing tags: why &lt;/p&gt; matters")]
    assert text(replace(bare, summary="", title=STORY.title)) == [
        ("summary", "html", "Closing tags: why &lt;/p&gt; matters")]
