"""End to end through the pipeline on the bundled sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.store import open_store


def _ids(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.id for entry in parsed.entries]


def test_every_feed_parses_back_with_same_ids(built: Config) -> None:
    out = built.output_dir
    for slug in built.feed_slugs:
        rss, atom = _ids(out / f"{slug}.rss"), _ids(out / f"{slug}.atom")
        assert rss == atom
        assert len(rss) == len(set(rss)) > 0
    # 10 listing items + 3 RSS + 3 Atom, two of which are the same stories as listing items.
    assert len(_ids(out / "all.rss")) == 14


def test_same_story_from_two_sources_is_one_item(built: Config) -> None:
    parsed = feedparser.parse((built.output_dir / "all.atom").read_bytes())
    titles = [e.title for e in parsed.entries]
    assert titles.count("ILO teams with J.P Morgan to support women entrepreneurs") == 1
    with open_store(built.store, built.root) as store:
        items = {i.title: i for i in store.items_for("all", 100)}
    jpm = items["ILO teams with J.P Morgan to support women entrepreneurs"]
    assert jpm.sources == ("ilo-newsroom", "ilo-press")
    assert jpm.link == "https://www.ilo.org/global/about-the-ilo/newsroom/news/WCMS_793628/lang--en/index.htm"
    assert jpm.published == datetime(2021, 5, 18, tzinfo=UTC)
    assert "<strong>International Labour Organization (ILO)</strong>" in jpm.content
    mou = next(i for t, i in items.items() if t.startswith("MoU signed"))
    assert mou.sources == ("ilo-features", "ilo-newsroom")


def test_items_land_in_their_category_feeds(built: Config) -> None:
    def titles(slug: str) -> set[str]:
        return {e.title for e in feedparser.parse(
            (built.output_dir / f"{slug}.atom").read_bytes()).entries}

    press = titles("press-releases")
    assert "ILO teams with J.P Morgan to support women entrepreneurs" in press
    assert "Global employment outlook revised as recovery stalls" in press
    assert len(press) == 5
    assert "Climate Action for Jobs initiative launches in Africa" in titles("news")
    assert "A second chance at school for young workers in Ghana" in titles("features")


def test_removed_source_keeps_its_items_and_reports_error(built: Config) -> None:
    before = (built.output_dir / "press-releases.rss").read_bytes()
    (built.root / "examples" / "press-releases.rss").unlink()
    report = build(load_config(built.path), now=datetime.now(UTC) + timedelta(hours=1))
    failed = {s.source_id: s.error for s in report.failed}
    assert list(failed) == ["ilo-press"]
    assert "file not found" in failed["ilo-press"]
    assert (built.output_dir / "press-releases.rss").read_bytes() == before
    with open_store(built.store, built.root) as store:
        state = store.source_state("ilo-press")
        assert state.failures == 1 and "file not found" in state.last_error
        assert store.count_items("press-releases") == 5


def test_item_dropped_from_page_stays_in_feed(built: Config) -> None:
    page = built.root / "examples" / "newsroom.html"
    html = page.read_text(encoding="utf-8")
    start = html.index('<li class="item">')
    end = html.index("</li>", start) + len("</li>")
    page.write_text(html[:start] + html[end:], encoding="utf-8")
    report = build(load_config(built.path))
    assert report.ok
    assert report.sources[0].found == 9
    titles = [e.title for e in feedparser.parse(
        (built.output_dir / "features.atom").read_bytes()).entries]
    assert "Partnership for improving prospects for forcibly displaced persons and host " \
           "communities" in titles


def test_second_build_changes_nothing(built: Config) -> None:
    stamps = {p.name: p.stat().st_mtime_ns for p in built.output_dir.glob("*.*")}
    report = build(load_config(built.path), now=datetime.now(UTC) + timedelta(days=1))
    assert report.ok
    assert all(s.new == 0 and s.updated == 0 for s in report.sources)
    assert report.published.written == []
    assert {p.name: p.stat().st_mtime_ns for p in built.output_dir.glob("*.*")} == stamps


def test_ids_do_not_depend_on_which_source_answers_first(project: Path, tmp_path: Path) -> None:
    """Two sources carry the same stories; whichever server is slower, the ids are the same."""
    import shutil
    import time
    from functools import partial

    from feedhub.fetch import fetch

    def ids_when_slow(slow: str, folder: Path) -> dict[str, str]:
        shutil.copytree(project.parent, folder)
        config = load_config(folder / "sources.yaml")

        def fetcher(source, root, validators):  # type: ignore[no-untyped-def]
            if source.id == slow:
                time.sleep(0.3)
            return partial(fetch, limits=config.fetch.limits)(source, root, validators)

        assert build(config, fetcher=fetcher).ok
        with open_store(config.store, config.root) as store:
            return {item.title: item.id for item in store.items_for("all", 100)}

    newsroom_slow = ids_when_slow("ilo-newsroom", tmp_path / "a")
    feeds_slow = ids_when_slow("ilo-press", tmp_path / "b")
    assert newsroom_slow == feeds_slow
    assert len(newsroom_slow) == 14


def test_first_build_dates_merged_stories_by_their_sources_not_the_build(built: Config) -> None:
    with open_store(built.store, built.root) as store:
        items = {i.title: i for i in store.items_for("all", 100)}
    jpm = items["ILO teams with J.P Morgan to support women entrepreneurs"]
    assert len(jpm.sources) == 2
    # The RSS copy says 09:00 +0200 on the 18th; the listing says the 18th. Never build time.
    assert jpm.updated == datetime(2021, 5, 18, 7, 0, tzinfo=UTC)
    assert max(i.updated for i in items.values()) < datetime(2022, 1, 1, tzinfo=UTC)
