"""What readers are told about each story, checked by value in every format.

tests/data/published/dated.atom holds three stories each published at one time and edited at
another (given in three time zones), with a URI id, a plain CMS number and an http(s) URL for
id. After one real build, every published file must say, exactly: RSS ``pubDate`` = published
(RFC 822, never the edit time), ``guid`` = the item's urn:uuid with ``isPermaLink="false"``;
Atom ``id``, ``published`` and ``updated``; JSON Feed ``id``, ``date_published`` and
``date_modified``. The ids are written out: they are what readers remember a story by, and
must never change.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.normalise import item_id
from feedhub.pipeline import build

DATA = Path(__file__).parent / "data" / "published"
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    """What every format must say about one story of dated.atom."""

    key: str
    """The identity key its id comes from (docs/items.md, "Identity")."""
    id: str
    """``item_id(key)``, written out."""
    rss_pub_date: str
    atom_published: str
    atom_updated_second: str
    """Atom ``updated`` up to the second: feedhub adds a sub-second offset within it, so that
    no two entries of a document share one (publish.document.atom_updated)."""
    json_published: str
    json_modified: str


STORIES = {
    "Harbour authority names a new director": Expected(
        key="guid:tag:dated.example.org,2026:story/1",
        id="ab2c53ec-1457-57b7-96f1-80daa29d19ae",
        rss_pub_date="Mon, 09 Nov 2026 08:00:00 +0000",
        atom_published="2026-11-09T08:00:00+00:00",
        atom_updated_second="2026-11-10T14:30:00",
        json_published="2026-11-09T08:00:00Z",
        json_modified="2026-11-10T14:30:00Z"),
    "Night ferry timetable extended into winter": Expected(
        key="guid:dated:42",  # a plain guid is scoped to its source
        id="9eb5cd4b-4933-574c-b633-d50f4790db69",
        rss_pub_date="Sun, 08 Nov 2026 21:15:00 +0000",
        atom_published="2026-11-08T21:15:00+00:00",
        atom_updated_second="2026-11-11T11:05:30",
        json_published="2026-11-08T21:15:00Z",
        json_modified="2026-11-11T11:05:30Z"),
    "Dredging of the east basin begins": Expected(
        key="link:https://dated.example.org/stories/3",  # an http(s) guid is a link
        id="6cd656c9-6cdd-5a4d-86fd-0c16a4040246",
        rss_pub_date="Sat, 07 Nov 2026 10:00:00 +0000",
        atom_published="2026-11-07T10:00:00+00:00",
        atom_updated_second="2026-11-07T10:00:00",
        json_published="2026-11-07T10:00:00Z",
        json_modified="2026-11-07T10:00:00Z"),
}
FEEDS = ["all", "news"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Config:
    folder = tmp_path_factory.mktemp("published")
    shutil.copy(DATA / "dated.atom", folder / "dated.atom")
    (folder / "sources.yaml").write_text(
        "site:\n  title: Test hub\n  base_url: https://hub.example.org\n"
        "categories:\n  - slug: news\n    labels: [News]\n"
        "sources:\n  - id: dated\n    kind: feed\n    path: dated.atom\n    category: news\n"
        "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    config = load_config(folder / "sources.yaml")
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    return config


def test_ids_are_derived_from_the_identity_keys() -> None:
    assert {e.key: item_id(e.key) for e in STORIES.values()} == {
        e.key: e.id for e in STORIES.values()}


@pytest.mark.parametrize("slug", FEEDS)
def test_rss_pub_date_is_the_published_time_and_guid_the_uuid(built: Config, slug: str) -> None:
    channel = etree.parse(str(built.output_dir / f"{slug}.rss")).getroot().find("channel")
    assert channel is not None
    seen = {}
    for item in channel.iterfind("item"):
        guid = item.find("guid")
        assert guid is not None
        seen[item.findtext("title")] = (
            item.findtext("pubDate"), guid.text, guid.get("isPermaLink"))
    assert seen == {title: (e.rss_pub_date, f"urn:uuid:{e.id}", "false")
                    for title, e in STORIES.items()}


@pytest.mark.parametrize("slug", FEEDS)
def test_atom_id_published_and_updated(built: Config, slug: str) -> None:
    feed = etree.parse(str(built.output_dir / f"{slug}.atom")).getroot()
    seen = {}
    for entry in feed.iterfind(f"{ATOM}entry"):
        updated = entry.findtext(f"{ATOM}updated", "")
        second, _, fraction = updated.partition(".")
        assert len(fraction) == len("123456+00:00") and fraction.endswith("+00:00"), updated
        seen[entry.findtext(f"{ATOM}title")] = (
            entry.findtext(f"{ATOM}id"), entry.findtext(f"{ATOM}published"), second)
    assert seen == {title: (f"urn:uuid:{e.id}", e.atom_published, e.atom_updated_second)
                    for title, e in STORIES.items()}


@pytest.mark.parametrize("slug", FEEDS)
def test_json_feed_id_date_published_and_date_modified(built: Config, slug: str) -> None:
    items = json.loads((built.output_dir / f"{slug}.json").read_bytes())["items"]
    seen = {i["title"]: (i["id"], i["date_published"], i["date_modified"]) for i in items}
    assert seen == {title: (f"urn:uuid:{e.id}", e.json_published, e.json_modified)
                    for title, e in STORIES.items()}
