"""A story's comments link (RSS <comments>, Atom rel="replies", RFC 4685), from the feeds
feedhub reads to the store and the feeds it publishes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config, Item
from feedhub.normalise import merge
from feedhub.pipeline import build
from feedhub.store import open_store

DATA = Path(__file__).parent / "data" / "normalise"
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"

CRANES = "https://forum.example.org/stories/cranes/comments?sort=new&page=1"
TRAINS = "https://talk.example.net/t/night-trains"
LIBRARY = "https://forum.example.org/features/library/replies"


def _project(folder: Path, feed_size: int = 50) -> Config:
    """The comments fixtures as two sources whose relative links resolve against the forum."""
    shutil.copy(DATA / "comments.rss", folder / "comments.rss")
    shutil.copy(DATA / "comments.atom", folder / "comments.atom")
    (folder / "sources.yaml").write_text(
        "site:\n  title: Comments hub\n  base_url: https://hub.example.org\n"
        f"  feed_size: {feed_size}\n"
        "categories:\n  - slug: news\n    labels: [News]\n"
        "sources:\n"
        "  - id: forum\n    kind: feed\n    path: comments.rss\n"
        "    base_url: https://forum.example.org/\n    category: news\n"
        "  - id: forum-features\n    kind: feed\n    path: comments.atom\n"
        "    base_url: https://forum.example.org/\n    category: news\n"
        "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    return load_config(folder / "sources.yaml")


def _build(config: Config, now: datetime = NOW) -> None:
    report = build(config, now=now)
    assert report.ok, [s.error for s in report.sources]


def _rss_comments(path: Path) -> dict[str, str]:
    """Title -> comments link of every item, as a reader (feedparser) sees them."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.title: e.get("comments", "") for e in parsed.entries}


def _atom_replies(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Title -> (type, href) of every rel="replies" link of each entry."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.title: [(link.get("type", ""), link["href"]) for link in e.links
                      if link.get("rel") == "replies"] for e in parsed.entries}


def test_comments_links_reach_rss_and_atom_absolute_and_only_http(tmp_path: Path) -> None:
    config = _project(tmp_path)
    _build(config)
    out = config.output_dir
    expected = {
        "Harbour cranes return to service": CRANES,  # relative in the source: resolved
        "Night trains run again from Monday": TRAINS,
        "A reader's question about the ferry": "",  # javascript: is dropped
        "Market hall opening hours change": "",
        "Inside the new library": LIBRARY,  # an Atom replies link becomes RSS <comments>
    }
    assert _rss_comments(out / "all.rss") == expected
    assert _atom_replies(out / "all.atom") == {
        title: [("text/html", link)] if link else [] for title, link in expected.items()}
    for name in ("all.rss", "all.atom", "all.json"):
        assert b"javascript" not in (out / name).read_bytes()
    with open_store(config.store, config.root) as store:
        assert {i.title: i.comments for i in store.items_for("all", 100)} == expected


def test_archives_carry_comments_links_too(tmp_path: Path) -> None:
    config = _project(tmp_path, feed_size=2)
    _build(config)
    archives = config.output_dir / "archive" / "all"
    # Five items in pages of two: archive 1 holds the two oldest, the library story first.
    assert _rss_comments(archives / "1.rss")["Inside the new library"] == LIBRARY
    assert _atom_replies(archives / "1.atom")["Inside the new library"] == [
        ("text/html", LIBRARY)]
    assert _rss_comments(archives / "2.rss")["Night trains run again from Monday"] == TRAINS


def test_a_comments_link_added_later_is_stored_and_published_without_an_update(
        tmp_path: Path) -> None:
    config = _project(tmp_path, feed_size=2)
    feed = tmp_path / "comments.rss"
    with_links = feed.read_text(encoding="utf-8")
    without = "".join(line for line in with_links.splitlines(keepends=True)
                      if not line.startswith("<comments>"))
    feed.write_text(without, encoding="utf-8")
    _build(config)
    with open_store(config.store, config.root) as store:
        before = {i.title: i for i in store.items_for("all", 100)}
    assert before["Night trains run again from Monday"].comments == ""
    feed.write_text(with_links, encoding="utf-8")
    later = datetime(2026, 11, 13, 12, 0, tzinfo=UTC)
    report = build(config, now=later)
    assert report.ok
    with open_store(config.store, config.root) as store:
        after = {i.title: i for i in store.items_for("all", 100)}
    trains = after["Night trains run again from Monday"]
    assert trains.comments == TRAINS
    # The story did not change: its date stays, so readers do not see it as updated.
    assert trains.updated == before[trains.title].updated
    assert all(after[t].updated == before[t].updated for t in before)
    assert _rss_comments(config.output_dir / "all.rss")[trains.title] == TRAINS
    # The archive that holds it is rendered again (its fingerprint covers the link) ...
    assert "archive/all/2.rss" in report.published.written
    assert _rss_comments(config.output_dir / "archive" / "all" / "2.rss")[trains.title] == \
        TRAINS
    # ... and the one whose stories have no link (Atom source unchanged) is not.
    assert "archive/all/1.rss" in report.published.skipped


def test_merging_a_story_keeps_a_comments_link_whichever_copy_has_it() -> None:
    one = Item(id="00000000-0000-0000-0000-000000000001", title="Ports reopen",
               link="https://a.example.org/ports", published=NOW, updated=NOW,
               sources=("wire-a",))
    two = replace(one, id="00000000-0000-0000-0000-000000000002",
                  link="https://b.example.org/ports", sources=("wire-b",),
                  comments="https://b.example.org/ports#comments")
    assert merge(one, two).comments == merge(two, one).comments == two.comments
    # Both have one: the leading copy's (the earliest, as for the link and the image).
    three = replace(one, comments="https://a.example.org/ports/comments")
    assert merge(three, two).comments == merge(two, three).comments == three.comments


def test_rss_comments_element_is_where_rss_puts_it(tmp_path: Path) -> None:
    config = _project(tmp_path)
    _build(config)
    channel = etree.parse(str(config.output_dir / "news.rss")).getroot().find("channel")
    assert channel is not None
    links = [item.findtext("comments") for item in channel.iterfind("item")]
    assert links.count(CRANES) == 1 and links.count(None) == 2
    atom = etree.parse(str(config.output_dir / "news.atom")).getroot()
    replies = atom.findall(f"{ATOM}entry/{ATOM}link[@rel='replies']")
    assert sorted(r.get("href") for r in replies) == sorted([CRANES, TRAINS, LIBRARY])
    assert {r.get("type") for r in replies} == {"text/html"}
