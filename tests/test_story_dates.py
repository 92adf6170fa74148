"""Dates no story carries (year 1, year 9999) are dated when first seen; old real ones stay.

A source that dates a story ``0001-01-01`` (a CMS default) once made the store write a text it
could not read back, and every later build and filtered feed failed. The data files in
tests/data/dates/ hold the same stories as RSS, Atom, JSON Feed and a listing page.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from feedhub.categories import CategoryMap
from feedhub.config import load_config
from feedhub.dates import MIN_YEAR, is_story_date
from feedhub.model import Category, Config, Item, NormaliseReport, RawEntry, Source, SourceKind
from feedhub.normalise import normalise_entries
from feedhub.pipeline import BuildReport, build
from feedhub.store import format_date, open_store
from feedhub.store.base import Connection
from feedhub.store.migrations import MIGRATIONS
from feedhub.web import create_app

from .support.httpd import LocalServer
from .support.postgres import PostgresCluster

DATA = Path(__file__).parent / "data" / "dates"
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
VERSAILLES = datetime(1919, 6, 28, 10, 45, tzinfo=UTC)
HASTINGS = datetime(1066, 10, 14, 9, 0, tzinfo=UTC)
PLACEHOLDER = "A placeholder dated year one"
TYPO = "A typo from the far future"
UPDATE = "A real story with a placeholder update"
PUBLISHED = {PLACEHOLDER: NOW, "The treaty signed at Versailles": VERSAILLES,
             "The battle near Hastings": HASTINGS, TYPO: NOW,
             UPDATE: datetime(2026, 11, 10, 9, 0, tzinfo=UTC)}
"""What each story of tests/data/dates/ is published as, built at NOW (the last one is in
the Atom and JSON Feed files only: RSS and the listing have no updated date)."""
SELECTORS = ("    selectors:\n      item: li.story\n      title: a\n      link: a@href\n"
             "      date: time\n")


def write_config(folder: Path, source: str, store: str = "sqlite:///feedhub.db") -> Path:
    path = folder / "sources.yaml"
    path.write_text(
        "site:\n  title: Test hub\n  base_url: https://hub.example.org\n"
        "categories:\n  - slug: news\n    labels: [News]\n"
        f"sources:\n  - id: history\n{source}    category: news\n"
        f"store: {store}\noutput: feeds\n", encoding="utf-8")
    return path


def built(config: Config, now: datetime) -> BuildReport:
    report = build(config, now=now)
    assert report.ok, [s.error for s in report.sources]
    return report


def stored(config: Config) -> dict[str, Item]:
    with open_store(config.store, config.root) as store:
        return {item.title: item for item in store.items_for("all", 100)}


def test_year_one_is_dated_when_first_seen_and_every_later_read_works(
        tmp_path: Path, httpd: LocalServer, store_url: str) -> None:
    body = (DATA / "dates.rss").read_bytes()
    httpd.route("/dates.rss", body=body, headers={"Content-Type": "application/rss+xml"})
    path = write_config(tmp_path, f"    kind: feed\n    url: {httpd.url('/dates.rss')}\n"
                                  "    allow_private: true\n", store_url)
    report = built(load_config(path), NOW).sources[0]
    assert report.ancient_dates == ["0001-01-01T00:00:00+00:00"]
    assert report.future_dates == ["9999-12-31T23:59:59+00:00"]
    # The source edits the placeholder story: the second build reads it back from the store.
    httpd.route("/dates.rss", body=body.replace(b"A CMS default", b"Still a CMS default"),
                headers={"Content-Type": "application/rss+xml"})
    later = NOW + timedelta(hours=1)
    assert built(load_config(path), later).sources[0].updated == 1
    items = stored(load_config(path))
    assert items[PLACEHOLDER].published == items[PLACEHOLDER].first_seen == NOW
    assert items[PLACEHOLDER].updated == later
    atom = feedparser.parse((tmp_path / "feeds" / "all.atom").read_bytes())
    dates = {e.title: e.published_parsed[:5] for e in atom.entries}
    assert dates[PLACEHOLDER] == (2026, 11, 12, 12, 0)

    client = create_app({"FEEDHUB_CONFIG": str(path), "TESTING": True}).test_client()
    for query in ("q=placeholder", "limit=2", "q=treaty&limit=1"):
        answer = client.get(f"/feeds/all.atom?{query}")
        assert answer.status_code == 200, (query, answer.data[:300])
    assert PLACEHOLDER.encode() in client.get("/feeds/all.atom?q=placeholder").data


@pytest.mark.parametrize("name", ["dates.rss", "dates.atom", "dates.json", "dates.html"])
def test_old_real_dates_survive_to_every_output_and_absurd_ones_are_first_seen(
        tmp_path: Path, name: str, warnings: pytest.LogCaptureFixture) -> None:
    (tmp_path / name).write_bytes((DATA / name).read_bytes())
    source = f"    kind: {'html' if name.endswith('.html') else 'feed'}\n    path: {name}\n"
    if name.endswith(".html"):
        source += "    base_url: https://history.example.org/\n" + SELECTORS
    config = load_config(write_config(tmp_path, source))
    report = built(config, NOW).sources[0]
    assert report.ancient_dates[0].startswith("0001-01-01T00:00:00")
    assert report.future_dates[0].startswith("9999-12-31T")
    items = stored(config)
    assert not warnings.records  # nothing the store had to repair
    expected = {t: d for t, d in PUBLISHED.items() if t != UPDATE or t in items}
    assert {t: i.published for t, i in items.items()} == expected
    assert all(i.updated == i.published for i in items.values())

    out = config.output_dir
    for feed in ("all.rss", "all.atom"):
        parsed = feedparser.parse((out / feed).read_bytes())
        dates = {e.title: e.published_parsed[:5] for e in parsed.entries}
        assert dates["The treaty signed at Versailles"] == (1919, 6, 28, 10, 45), feed
        assert dates["The battle near Hastings"] == (1066, 10, 14, 9, 0), feed
        assert dates[PLACEHOLDER] == dates[TYPO] == (2026, 11, 12, 12, 0), feed
    jsonfeed = {i["title"]: i for i in json.loads((out / "all.json").read_text())["items"]}
    assert jsonfeed["The treaty signed at Versailles"]["date_published"] == \
        "1919-06-28T10:45:00Z"
    assert jsonfeed["The battle near Hastings"]["date_published"] == "1066-10-14T09:00:00Z"
    assert jsonfeed[PLACEHOLDER]["date_published"] == "2026-11-12T12:00:00Z"


SOURCE = Source(id="history", kind=SourceKind.FEED, location="dates.rss",
                default_category="news", timezone="Europe/Paris")
CATMAP = CategoryMap.from_categories((Category(slug="news", title="News"),))


def entry(published: datetime | None, updated: datetime | None = None) -> RawEntry:
    return RawEntry(title="A story", link="https://history.example.org/a",
                    published=published, updated=updated)


@pytest.mark.parametrize(("published", "updated", "expected", "noted"), [
    # The bound is in UTC: half past midnight on 1 January 1000 at UTC+1 is year 999 there.
    (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), None, (NOW, NOW),
     ["0999-12-31T23:59:59+00:00"]),
    (datetime(1000, 1, 1, tzinfo=UTC), None, (datetime(1000, 1, 1, tzinfo=UTC),) * 2, []),
    (datetime(1000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), None, (NOW, NOW),
     ["0999-12-31T23:30:00+00:00"]),
    # An updated date that repeats the published one is noted once.
    (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC), (NOW, NOW),
     ["0001-01-01T00:00:00+00:00"]),
    (VERSAILLES, datetime(1, 1, 1, tzinfo=UTC), (VERSAILLES, VERSAILLES),
     ["0001-01-01T00:00:00+00:00"]),
    (VERSAILLES, NOW + timedelta(days=2), (VERSAILLES, VERSAILLES), []),
    (NOW + timedelta(hours=23), None, (NOW + timedelta(hours=23),) * 2, []),
], ids=["year-999", "year-1000", "year-999-in-utc", "year-1-twice", "update-year-1",
        "update-in-2-days", "in-23-hours"])
def test_only_dates_a_story_can_carry_are_kept(
        published: datetime, updated: datetime | None, expected: tuple[datetime, datetime],
        noted: list[str]) -> None:
    report = NormaliseReport()
    [item] = normalise_entries([entry(published, updated)], SOURCE, CATMAP,
                               "https://history.example.org/", NOW, report)
    assert (item.published, item.updated) == expected
    assert report.ancient_dates == noted
    assert is_story_date(item.published, NOW) and item.published.year >= MIN_YEAR


def test_a_future_updated_date_is_noted_as_the_future_one() -> None:
    report = NormaliseReport()
    normalise_entries([entry(VERSAILLES, NOW + timedelta(days=2))], SOURCE,
                      CATMAP, "https://history.example.org/", NOW, report)
    assert report.future_dates == [(NOW + timedelta(days=2)).isoformat()]


# -- stores that already hold such rows ---------------------------------------------------------

ROW = ("INSERT INTO items (id, title, link, summary, content, published, updated, first_seen, "
       "last_seen, image, author, labels, enclosures, content_hash) "
       "VALUES (?, ?, '', '', '', ?, ?, ?, ?, '', '', '[]', '[]', 'x')")
SEEN = format_date(NOW)


def insert(db: Connection, item_id: str, published: str, updated: str, first_seen: str = SEEN
           ) -> None:
    """An item row alone (the caller files it under a category, as its schema says)."""
    db.execute(ROW, (item_id, f"Story {item_id}", published, updated, first_seen, SEEN))


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
             ) -> pytest.LogCaptureFixture:
    # feedhub.logs.setup (a CLI test earlier in the session) stops feedhub's records there.
    monkeypatch.setattr(logging.getLogger("feedhub"), "propagate", True)
    caplog.set_level(logging.WARNING, logger="feedhub.store")
    return caplog


def test_a_store_holding_year_one_reads_and_the_migration_repairs_it(
        store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        warnings: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> None:
    import feedhub.store

    # Not repaired yet, and read all the same: one bad row does not stop a build (in a store
    # of today's schema holding the text feedhub wrote for year 1 before migration 9).
    with open_store(another_store(store_url, tmp_path, request), tmp_path) as store:
        with store.transaction() as db:
            insert_year_one_rows(db)
            db.execute("INSERT INTO item_categories (item, slug) SELECT n, 'news' FROM items")
        items = {i.id: i for i in store.items_for("all", 10)}
        assert {i: (x.published, x.updated) for i, x in items.items()} == {
            "year-one": (NOW, NOW), "padded": (NOW, NOW),
            "late-update": (NOW, NOW + timedelta(hours=3)), "versailles": (VERSAILLES,) * 2}
        assert store.get_items(["year-one"])["year-one"].published == NOW
        logged = " ".join(r.getMessage() for r in warnings.records)
        assert "item year-one: its stored published '1-01-01T00:00:00.000000Z'" in logged
        assert "item padded: its stored updated 'not a date'" in logged
        assert "versailles" not in logged
        assert store.dirty_since() is None

    # A store as feedhub wrote it before migration 9, with the same rows.
    monkeypatch.setattr(feedhub.store, "MIGRATIONS", MIGRATIONS[:8])
    with open_store(store_url, tmp_path) as store, store.transaction() as db:
        insert_year_one_rows(db)
        db.execute("INSERT INTO item_categories (item_id, slug) SELECT id, 'news' FROM items")
    monkeypatch.undo()

    warnings.clear()
    with open_store(store_url, tmp_path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        rows = dict((str(i), (str(p), str(u))) for i, p, u in store.db.execute(
            "SELECT id, published, updated FROM items"))
        assert rows == {"year-one": (SEEN, SEEN), "padded": (SEEN, SEEN),
                        "late-update": (SEEN, format_date(NOW + timedelta(hours=3))),
                        "versailles": (format_date(VERSAILLES),) * 2}
        assert store.dirty_since() is not None  # the feeds are published again
        assert [i.published for i in store.items_for("all", 10)] == [NOW] * 3 + [VERSAILLES]
    assert not warnings.records


def another_store(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second fresh store on the backend of ``store_url``."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'another.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


def insert_year_one_rows(db: Connection) -> None:
    insert(db, "year-one", "1-01-01T00:00:00.000000Z", "1-01-01T00:00:00.000000Z")
    insert(db, "padded", "0999-12-31T23:59:59.000000Z", "not a date")
    insert(db, "late-update", "1-01-01T00:00:00.000000Z", format_date(NOW + timedelta(hours=3)))
    insert(db, "versailles", format_date(VERSAILLES), format_date(VERSAILLES))


def test_a_row_no_migration_foresaw_is_read_as_its_first_seen_date(
        store_url: str, tmp_path: Path, warnings: pytest.LogCaptureFixture) -> None:
    with open_store(store_url, tmp_path) as store:
        with store.transaction() as db:
            insert(db, "month-13", "2026-13-45T00:00:00.000000Z", "2026-13-45T00:00:00.000000Z")
            insert(db, "ahead", format_date(NOW + timedelta(days=400)), "")
            insert(db, "lost", "", "", first_seen="garbage")
            db.execute("INSERT INTO item_categories (item, slug) SELECT n, 'news' FROM items")
        items = {i.id: i for i in store.items_for("all", 10)}
    assert (items["month-13"].published, items["month-13"].updated) == (NOW, NOW)
    assert (items["ahead"].published, items["ahead"].updated) == (NOW, NOW)
    # No readable first_seen: the row's last_seen stands in.
    assert items["lost"].published == items["lost"].first_seen == NOW
    logged = [r.getMessage() for r in warnings.records]
    assert any(m.startswith("item month-13: its stored published") for m in logged)
    assert any(m.startswith("item lost: its stored first_seen 'garbage'") for m in logged)
