"""Dates put right, and config edits applied, by a plain `feedhub build`.

A listing read with the wrong date settings publishes its items dated by first sight (or by a
wrong zone); fixing sources.yaml must correct what was published, in every format, without
--force. Edits to selectors and category labels likewise apply at the next build, and a
re-read is no news of the story: it does not move ``updated``.
"""

from __future__ import annotations

import email.utils
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.model import Item
from feedhub.pipeline import build, remember
from feedhub.schedule import due_at, is_due
from feedhub.store import SourceState, format_date, open_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Actualités</title>
</head><body><ul>
<li class="item"><a href="https://exemple.org/a/1">Première annonce du ministère</a>
  <span class="date">12 mars 2024</span><span class="type">Communiqué</span></li>
<li class="item"><a href="https://exemple.org/a/2">Deuxième annonce du ministère</a>
  <span class="date">3 février 2024</span><span class="type">Communiqué</span></li>
<li class="item"><a href="https://exemple.org/a/3">Troisième annonce du ministère</a>
  <span class="date">28 décembre 2023</span><span class="type">Discours</span></li>
</ul></body></html>
"""
LINKS = [f"https://exemple.org/a/{n}" for n in (1, 2, 3)]
PAGE_DATES = [datetime(2024, 3, 12, tzinfo=UTC), datetime(2024, 2, 3, tzinfo=UTC),
              datetime(2023, 12, 28, tzinfo=UTC)]


def write(folder: Path, *, date_format: str = "%d %B %Y", timezone: str = "UTC",
          labels: str = "[Communiqué, Discours]", summary: str = "", locale: str = "fr") -> Path:
    """A sources.yaml reading page.html (a French listing) with these settings."""
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    path = folder / "sources.yaml"
    path.write_text(f"""\
site: {{title: Ministère, base_url: 'https://hub.example.org'}}
categories:
  - {{slug: annonces, title: Annonces, labels: {labels}}}
  - {{slug: communiques, title: Communiqués}}
sources:
  - id: ministere
    kind: html
    path: page.html
    locale: {locale}
    date_format: '{date_format}'
    timezone: {timezone}
    selectors: {{item: li.item, title: a, link: a@href, date: .date, label: .type{summary}}}
""", encoding="utf-8")
    return path


def plain_build(path: Path) -> str:
    """`feedhub build` as an operator runs it (no --force); returns its output."""
    result = CliRunner().invoke(main, ["build", "-c", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def published_dates(out: Path, slug: str = "all") -> dict[str, dict[str, datetime]]:
    """Format -> link -> the date it shows, read back from every published form of a feed."""
    rss = ET.parse(out / f"{slug}.rss").getroot()
    atom = ET.parse(out / f"{slug}.atom").getroot()
    feed = json.loads((out / f"{slug}.json").read_text(encoding="utf-8"))
    page = (out / "c" / f"{slug}.html").read_text(encoding="utf-8")
    html_dates = re.findall(r'<h2 class="fh-item-title"><a href="([^"]+)">[^<]*</a></h2>\s*'
                            r'<p class="fh-meta"><time datetime="([^"]+)"', page)

    def when(text: str) -> datetime:
        # Atom's updated instants get a sub-second offset to tell entries apart: read to
        # the second.
        value = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        return value.replace(microsecond=0)

    return {
        "rss pubDate": {i.findtext("link", ""): email.utils.parsedate_to_datetime(
            i.findtext("pubDate", "")).astimezone(UTC) for i in rss.iter("item")},
        "atom published": {e.find(f"{ATOM}link").get("href", ""): when(
            e.findtext(f"{ATOM}published", "")) for e in atom.iter(f"{ATOM}entry")},
        "atom updated": {e.find(f"{ATOM}link").get("href", ""): when(
            e.findtext(f"{ATOM}updated", "")) for e in atom.iter(f"{ATOM}entry")},
        "json date_published": {i["url"]: when(i["date_published"]) for i in feed["items"]},
        "html page": {link: when(iso) for link, iso in html_dates},
    }


def test_fixing_the_date_format_corrects_every_published_date(tmp_path: Path) -> None:
    """The issue's case: dates that did not parse were published as the build's time; the
    fixed sources.yaml and a plain build put the page's dates in every format."""
    path = write(tmp_path, date_format="%d/%m/%Y")  # not how the page writes its dates
    first = plain_build(path)
    assert "dates that did not parse" in first
    out = load_config(path).output_dir
    for shown in published_dates(out).values():
        assert set(shown) == set(LINKS)
        assert all(date > datetime(2025, 1, 1, tzinfo=UTC) for date in shown.values())

    write(tmp_path)  # date_format: '%d %B %Y', with locale: fr
    second = plain_build(path)
    assert "not due" not in second
    right = dict(zip(LINKS, PAGE_DATES, strict=True))
    for slug in ("all", "annonces"):
        for form, shown in published_dates(out, slug).items():
            assert shown == {link: right[link] for link in shown}, (slug, form)
            assert len(shown) == 3, (slug, form)
    with open_store(load_config(path).store, tmp_path) as store:
        items = store.items_for("all", 10)
    assert not any(item.undated for item in items)
    assert all(item.first_seen and item.first_seen > item.published for item in items)

    # Put right once: the next plain build (not due yet) changes nothing.
    third = plain_build(path)
    assert "not due" in third
    assert published_dates(out)["atom updated"] == right


def test_fixing_a_wrong_locale_corrects_every_published_date(tmp_path: Path) -> None:
    """The French page read as German: no month name parses, every item is dated by first
    sight; `locale: fr` and a plain `feedhub build` put the page's dates in every format."""
    path = write(tmp_path, locale="de")
    first = plain_build(path)
    assert "dates that did not parse" in first
    out = load_config(path).output_dir
    assert all(date > datetime(2025, 1, 1, tzinfo=UTC)
               for shown in published_dates(out).values() for date in shown.values())
    write(tmp_path, locale="fr")
    second = plain_build(path)
    assert "not due" not in second
    right = dict(zip(LINKS, PAGE_DATES, strict=True))
    for form, shown in published_dates(out).items():
        assert shown == right, form


def test_fixing_the_timezone_moves_dates_even_later(tmp_path: Path) -> None:
    """A parsed date normally never moves later; one read in the wrong zone does, once the
    zone is fixed (the source's date settings changed)."""
    path = write(tmp_path)
    assert build(load_config(path), now=NOW, due_only=True).ok
    write(tmp_path, timezone="America/New_York")
    report = build(load_config(path), now=NOW + timedelta(minutes=1), due_only=True)
    assert report.sources[0].updated == 3 and report.sources[0].next_due is None
    # Midnight in New York: EDT (UTC-4) from 10 March 2024, EST (UTC-5) before.
    expected = {LINKS[0]: datetime(2024, 3, 12, 4, tzinfo=UTC),
                LINKS[1]: datetime(2024, 2, 3, 5, tzinfo=UTC),
                LINKS[2]: datetime(2023, 12, 28, 5, tzinfo=UTC)}
    for form, shown in published_dates(load_config(path).output_dir).items():
        assert shown == expected, form


def test_a_date_the_source_gives_later_replaces_first_sight(tmp_path: Path) -> None:
    """No settings change: the page had no dates, then shows them; the first-seen
    placeholders yield to them at the next refresh (the body changed)."""
    path = write(tmp_path)
    config = load_config(path)
    undated = re.sub(r'<span class="date">[^<]*</span>', "", PAGE)
    (tmp_path / "page.html").write_text(undated, encoding="utf-8")
    assert build(config, now=NOW, due_only=True).ok
    with open_store(config.store, tmp_path) as store:
        assert all(i.undated and i.published == NOW for i in store.items_for("all", 10))
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    later = NOW + timedelta(hours=1)
    assert build(config, now=later, due_only=True).sources[0].updated == 3
    with open_store(config.store, tmp_path) as store:
        items = {i.link: i for i in store.items_for("all", 10)}
    assert {link: i.published for link, i in items.items()} == dict(
        zip(LINKS, PAGE_DATES, strict=True))
    assert all(not i.undated and i.first_seen == NOW for i in items.values())


def test_a_category_label_change_moves_stored_items_on_a_plain_build(tmp_path: Path) -> None:
    """The body is the same; the new label mapping re-sorts its items into their new feed,
    the one it no longer lists too, and the re-sort is not an update of the stories
    (``updated`` stays) nor a sighting of the unlisted one (``last_seen`` stays)."""
    path = write(tmp_path)
    config = load_config(path)
    assert build(config, now=NOW, due_only=True).ok
    first = re.search(r'<li class="item">.*?</li>\n', PAGE, re.DOTALL)
    assert first is not None
    (tmp_path / "page.html").write_text(PAGE.replace(first.group(0), ""), encoding="utf-8")
    assert build(config, now=NOW + timedelta(minutes=20), due_only=True).ok
    with open_store(config.store, tmp_path) as store:
        before = {i.link: i for i in store.items_for("all", 10)}
    assert len(before) == 3
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  - {slug: communiques, title: Communiqués}",
        "  - {slug: communiques, title: Communiqués, labels: [Communiqué]}").replace(
        "labels: [Communiqué, Discours]", "labels: [Discours]"), encoding="utf-8")
    config = load_config(path)
    report = build(config, now=NOW + timedelta(minutes=21), due_only=True)
    assert report.sources[0].next_due is None and report.sources[0].updated == 1
    out = config.output_dir
    assert set(published_dates(out, "communiques")["json date_published"]) == set(LINKS[:2])
    assert set(published_dates(out, "annonces")["json date_published"]) == {LINKS[2]}
    with open_store(config.store, tmp_path) as store:
        after = {i.link: i for i in store.items_for("all", 10)}
        last_seen = dict(store.db.execute("SELECT link, last_seen FROM items").fetchall())
    assert last_seen == {LINKS[0]: format_date(NOW),
                         **dict.fromkeys(LINKS[1:], format_date(NOW + timedelta(minutes=21)))}
    assert {link: i.updated for link, i in after.items()} == {
        link: i.updated for link, i in before.items()}


def test_an_edited_selector_applies_at_the_next_build_even_while_failing(
        tmp_path: Path) -> None:
    """A source broken by a wrong selector is backed off; fixing the selector makes it due at
    once. Failing again under the new settings, it is backed off again (not due every
    build)."""
    path = write(tmp_path)
    config = load_config(path)
    assert build(config, now=NOW, due_only=True).ok
    path.write_text(path.read_text(encoding="utf-8").replace("item: li.item", "item: li.gone"),
                    encoding="utf-8")
    minute = timedelta(minutes=1)
    broken = build(load_config(path), now=NOW + minute, due_only=True)
    assert "no item matched" in broken.sources[0].error
    # Failing with the same (edited) settings: its refresh and back-off apply again.
    again = build(load_config(path), now=NOW + 2 * minute, due_only=True)
    assert again.sources[0].next_due == NOW + minute + timedelta(minutes=15)
    write(tmp_path, summary=", summary: .type")
    fixed = build(load_config(path), now=NOW + 3 * minute, due_only=True)
    assert fixed.ok and fixed.sources[0].next_due is None
    with open_store(config.store, tmp_path) as store:
        assert sorted(i.summary for i in store.items_for("all", 10)) == [
            "Communiqué", "Communiqué", "Discours"]


def test_a_source_is_due_at_once_when_its_settings_changed() -> None:
    read = SourceState(id="a", last_attempt=NOW, body_hash="s1:d1:abc")
    refresh = timedelta(minutes=15)
    assert due_at(read, refresh, "s1") == NOW + refresh
    assert not is_due(read, refresh, NOW, "s1")
    assert due_at(read, refresh, "s2") is None and is_due(read, refresh, NOW, "s2")
    # Failed since its settings changed: back off as usual.
    tried = replace(read, body_hash="s2:d1:", failures=2)
    assert due_at(tried, refresh, "s2") == NOW + 2 * refresh
    # Without settings (or never read), only the clock decides.
    assert due_at(read, refresh) == NOW + refresh
    assert due_at(replace(read, body_hash=""), refresh, "s2") == NOW + refresh


def _item(published: datetime, *, undated: bool = False, source: str = "a") -> Item:
    return Item(id="1", title="Une annonce", link="https://exemple.org/1", published=published,
                updated=published, sources=(source,), first_seen=NOW, undated=undated,
                keys=("link:https://exemple.org/1",))


def test_remember_lets_a_parsed_date_replace_a_placeholder_only() -> None:
    later = NOW + timedelta(days=1)
    earlier = NOW - timedelta(days=30)
    placeholder = _item(NOW, undated=True)
    # A placeholder yields to a parsed date, earlier or later, from any source.
    for date in (earlier, later):
        for source in ("a", "b"):
            kept = remember(placeholder, _item(date, source=source), later).item
            assert (kept.published, kept.undated) == (date, False)
            assert kept.updated >= kept.published
    # Still undated: the first sight stands.
    assert remember(placeholder, _item(later, undated=True), later).item.published == NOW
    # A parsed date moves only earlier, unless the date settings changed.
    dated = _item(NOW)
    assert remember(dated, _item(later), later).item.published == NOW
    assert remember(dated, _item(earlier), later).item.published == earlier
    moved = remember(dated, _item(later), later, reread=True, redate=True)
    assert (moved.item.published, moved.item.updated, moved.changed) == (later, later, False)
    # ... and not when another source tells the story too (its date may be the one kept).
    assert remember(replace(dated, sources=("a", "b")), _item(later), later,
                    redate=True).item.published == NOW
    # A parsed date is never replaced by a placeholder.
    assert remember(dated, _item(later, undated=True), later).item.published == NOW


def test_stored_undated_rows_are_inferred_on_upgrade(store_url: str, tmp_path: Path) -> None:
    """Rows stored before the flag: a published date equal to first seen came from the
    clock."""
    with open_store(store_url, tmp_path) as store, store.transaction() as db:
        store.save_items(db, [replace(_item(NOW), id="same"),
                              replace(_item(NOW - timedelta(days=1)), id="dated",
                                      link="https://exemple.org/2", keys=())], NOW)
        store.record_failure("src", NOW, "boom")
        store.record_failure("src", NOW, "boom", "s2:d1:")
        store.record_failure("src", NOW, "boom")
        assert store.source_state("src").body_hash == "s2:d1:"
        # Back to schema 5: undo migration 6 and every later one (a store upgrades from its
        # highest version, so a later migration left in place would stop 6 from running).
        db.execute("ALTER TABLE items DROP COLUMN undated")  # 6
        for index in ("builds_owner", "builds_finished"):  # 7
            db.execute(f"DROP INDEX {index}")
        for column in ("owner", "refreshed", "failed", "published"):
            db.execute(f"ALTER TABLE builds DROP COLUMN {column}")
        db.execute("ALTER TABLE sources DROP COLUMN retry_after")  # 8
        db.execute("DROP TABLE source_yields")  # 10
        db.execute("DROP TABLE incidents")  # 11
        db.execute("DROP TABLE articles")  # 12 (its index goes with it)
        for table, column, key in (("item_categories", "slug", "item_id, slug"),  # 13
                                   ("item_sources", "source_id", "item_id, source_id"),
                                   ("item_keys", "key", "key, item_id")):
            db.execute(f"CREATE TABLE {table}_12 (item_id TEXT NOT NULL, {column} TEXT NOT NULL, "
                       f"PRIMARY KEY ({key}))")
            db.execute(f"INSERT INTO {table}_12 SELECT i.id, t.{column} FROM {table} t "
                       "JOIN items i ON i.n = t.item")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE {table}_12 RENAME TO {table}")
        db.execute("DELETE FROM schema_version WHERE version >= 6")
    with open_store(store_url, tmp_path) as store:
        found = store.get_items(["same", "dated"])
    assert (found["same"].undated, found["dated"].undated) == (True, False)
