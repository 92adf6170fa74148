"""Identity, merging, dates, categories and retention, on the data files in tests/data/normalise/.

Each test builds real sources.yaml projects (file sources) through the whole pipeline, with
``now`` injected, and reads the store and the published feeds back.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from feedhub.config import load_config
from feedhub.model import Config, Item
from feedhub.normalise import canonical_url
from feedhub.pipeline import BuildReport, build
from feedhub.store import open_store

DATA = Path(__file__).parent / "data" / "normalise"
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def project(tmp_path: Path, sources: str, *, site: str = "", categories: str = "") -> Config:
    """A sources.yaml in tmp_path; ``sources`` is its sources: block (YAML, 2-space indent)."""
    text = (
        "site:\n  title: Test hub\n  base_url: https://hub.example.org\n" + site
        + "categories:\n  - slug: news\n    labels: [News]\n" + categories
        + "sources:\n" + sources + "store: sqlite:///feedhub.db\noutput: feeds\n"
    )
    (tmp_path / "sources.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "sources.yaml")


def feed_source(source_id: str, path: str, extra: str = "") -> str:
    return f"  - id: {source_id}\n    kind: feed\n    path: {path}\n    category: news\n" + extra


def put(tmp_path: Path, data_file: str, as_name: str) -> None:
    shutil.copy(DATA / data_file, tmp_path / as_name)


def stored(config: Config) -> list[Item]:
    with open_store(config.store, config.root) as store:
        return store.items_for("all", 1000)


def run(config: Config, now: datetime = NOW) -> BuildReport:
    report = build(config, now=now)
    assert report.ok, [s.error for s in report.sources]
    return report


def feed_ids(config: Config, slug: str = "all") -> list[str]:
    parsed = feedparser.parse((config.output_dir / f"{slug}.atom").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.id for entry in parsed.entries]


# -- identity ----------------------------------------------------------------------------------


def test_changed_tracking_parameters_and_http_to_https_keep_every_id(tmp_path: Path) -> None:
    """The second fetch changes every link's spelling and every title: the ids stay, in the
    store and in the feeds, and a store built afresh from the second fetch alone gives the
    same ids (they come from the canonical link, never from the text)."""
    put(tmp_path, "tracking-v1.rss", "wire.rss")
    config = project(tmp_path, feed_source("wire", "wire.rss"))
    run(config)
    first = {canonical_url(i.link): i.id for i in stored(config)}
    assert len(first) == 2
    ids_before = feed_ids(config)
    retitled = (DATA / "tracking-v2.rss").read_text(encoding="utf-8").replace(
        "Ministers agree on a new apprenticeship fund", "Apprenticeship fund agreed").replace(
        "Record turnout at the regional jobs fair", "Jobs fair: a record turnout")
    (tmp_path / "wire.rss").write_text(retitled, encoding="utf-8")
    report = run(config, NOW + timedelta(hours=1))
    assert (report.sources[0].new, report.sources[0].found) == (0, 2)
    after = stored(config)
    assert sorted(i.title for i in after) == ["Apprenticeship fund agreed",
                                              "Jobs fair: a record turnout"]
    assert {canonical_url(i.link): i.id for i in after} == first
    assert feed_ids(config) == ids_before
    # The link shown is the source's own (https now), not the identity form, without its
    # tracking parameters (tests/test_links.py).
    links = {i.title: i.link for i in after}
    assert links["Jobs fair: a record turnout"] == "https://news.example.org/stories/jobs-fair/"
    assert links["Apprenticeship fund agreed"] == \
        "https://news.example.org/stories/apprenticeships?id=7#comments"
    # Met for the first time in its second form, each story gets the same id.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "wire.rss").write_text(retitled, encoding="utf-8")
    fresh_config = project(fresh, feed_source("wire", "wire.rss"))
    run(fresh_config, NOW + timedelta(hours=1))
    assert {canonical_url(i.link): i.id for i in stored(fresh_config)} == first


def test_a_guid_reused_for_two_stories_keeps_them_apart(tmp_path: Path) -> None:
    put(tmp_path, "guid-reused.rss", "cms.rss")
    config = project(tmp_path, feed_source("cms", "cms.rss"))
    report = run(config)
    items = {i.title: i for i in stored(config)}
    assert len(items) == 3 and report.sources[0].found == 3
    assert len({i.id for i in items.values()}) == 3
    # Rebuilt from scratch, the same ids come back: they depend on nothing but the source.
    shutil.rmtree(tmp_path / "feeds")
    (tmp_path / "feedhub.db").unlink()
    run(config, NOW + timedelta(days=3))
    assert {i.title: i.id for i in stored(config)} == {t: i.id for t, i in items.items()}


def test_unique_guids_tell_apart_stories_that_share_a_link(tmp_path: Path) -> None:
    put(tmp_path, "home-links.rss", "bulletin.rss")
    config = project(tmp_path, feed_source("bulletin", "bulletin.rss"))
    run(config)
    assert sorted(i.title for i in stored(config)) == [
        "Canteen menu for next week", "Office closed on Friday"]


def test_identity_link_policy_merges_what_guids_kept_apart(tmp_path: Path) -> None:
    put(tmp_path, "home-links.rss", "bulletin.rss")
    config = project(tmp_path, feed_source("bulletin", "bulletin.rss", "    identity: link\n"))
    run(config)
    assert len(stored(config)) == 1


def test_edited_story_keeps_its_id_and_published_date(tmp_path: Path) -> None:
    put(tmp_path, "guid-reused.rss", "cms.rss")
    config = project(tmp_path, feed_source("cms", "cms.rss"))
    run(config)
    before = {i.link: i for i in stored(config)}
    text = (tmp_path / "cms.rss").read_text()
    (tmp_path / "cms.rss").write_text(text.replace("Annual report published",
                                                   "Annual report published (corrected)"))
    later = NOW + timedelta(hours=5)
    report = run(config, later)
    assert (report.sources[0].new, report.sources[0].updated) == (0, 1)
    after = {i.link: i for i in stored(config)}
    edited = after["https://cms.example.org/annual-report"]
    old = before["https://cms.example.org/annual-report"]
    assert (edited.id, edited.published, edited.first_seen) == (
        old.id, old.published, old.first_seen)
    assert edited.title.endswith("(corrected)") and edited.updated == later


# -- merging across sources -------------------------------------------------------------------


def test_same_guid_same_title_nearby_merge_and_far_apart_do_not(tmp_path: Path) -> None:
    put(tmp_path, "wire-a.rss", "a.rss")
    put(tmp_path, "wire-b.rss", "b.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss") + feed_source("wire-b", "b.rss"),
                     categories="  - slug: transport\n    labels: [Transport]\n")
    run(config)
    items = stored(config)
    titles = sorted(i.title for i in items)
    assert len(items) == 4, titles
    ports = next(i for i in items if i.title == "Ports reopen after the storm")
    assert ports.sources == ("wire-a", "wire-b")
    assert ports.published == datetime(2026, 11, 10, 8, 0, tzinfo=UTC)  # the earliest
    assert "much longer account" in ports.summary  # the richest
    assert set(ports.categories) == {"news", "transport"}
    assert set(ports.labels) == {"Transport", "Weather"}
    talks = [i for i in items if "wage agreement" in i.title.lower()]
    assert len(talks) == 1 and talks[0].sources == ("wire-a", "wire-b")
    figures = [i for i in items if i.title == "Quarterly figures released today"]
    assert len(figures) == 2  # same title six weeks apart: two stories


def test_merge_window_zero_turns_title_merging_off(tmp_path: Path) -> None:
    put(tmp_path, "wire-a.rss", "a.rss")
    put(tmp_path, "wire-b.rss", "b.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss") + feed_source("wire-b", "b.rss"),
                     site="  merge_window_days: 0\n")
    run(config)
    assert len([i for i in stored(config) if "wage agreement" in i.title.lower()]) == 2


def test_merged_ids_do_not_depend_on_source_order(tmp_path: Path) -> None:
    outcomes = []
    for order in (("a", "b"), ("b", "a")):
        folder = tmp_path / "".join(order)
        folder.mkdir()
        put(folder, "wire-a.rss", "a.rss")
        put(folder, "wire-b.rss", "b.rss")
        config = project(folder, "".join(feed_source(f"wire-{x}", f"{x}.rss") for x in order))
        run(config)
        outcomes.append(sorted((i.title, i.published, i.sources, i.summary)
                               for i in stored(config)))
    assert outcomes[0] == outcomes[1]


# -- dates -------------------------------------------------------------------------------------


def test_undated_item_keeps_its_first_seen_date_over_three_builds(tmp_path: Path) -> None:
    put(tmp_path, "dates.rss", "dates.rss")
    config = project(tmp_path, feed_source("dates", "dates.rss"))
    reports = [run(config, NOW + timedelta(days=n)) for n in range(3)]
    # Make the body differ each time, so the source is really re-read and re-normalised.
    for n in (1, 2):
        (tmp_path / "dates.rss").write_text(
            (DATA / "dates.rss").read_text().replace("<description>d", f"<description>d{n}"))
        reports.append(run(config, NOW + timedelta(days=3 + n)))
    items = {i.title: i for i in stored(config)}
    undated = items["A story without a date"]
    assert undated.published == NOW and undated.first_seen == NOW
    assert [r.sources[0].new for r in reports] == [3, 0, 0, 0, 0]
    published = feedparser.parse((config.output_dir / "all.atom").read_bytes()).entries
    assert any(e.title == "A story without a date" and e.published.startswith("2026-11-12")
               for e in published)


def test_future_date_is_clamped_to_first_seen_and_bad_date_reported(tmp_path: Path) -> None:
    put(tmp_path, "dates.rss", "dates.rss")
    config = project(tmp_path, feed_source("dates", "dates.rss"))
    report = run(config)
    items = {i.title: i for i in stored(config)}
    assert items["A story from the future"].published == NOW
    assert report.sources[0].future_dates
    assert report.sources[0].unparsed_dates == ["the day after tomorrow, probably"]
    assert items["A story with a broken date"].published == NOW


def test_naive_dates_take_the_source_timezone_and_are_stored_in_utc(tmp_path: Path) -> None:
    shutil.copy(DATA / "naive.html", tmp_path / "desk.html")
    config = project(tmp_path, (
        "  - id: desk\n    kind: html\n    path: desk.html\n    timezone: Europe/Zurich\n"
        "    base_url: https://desk.example.org/\n"
        "    selectors:\n      item: li.item\n      title: a\n      link: a@href\n"
        "      date: .d\n"))
    run(config)
    items = {i.title: i for i in stored(config)}
    assert items["Summer hours at the Geneva office"].published == datetime(
        2026, 7, 1, 8, 0, tzinfo=UTC)  # CEST, UTC+2
    assert items["Winter hours at the Geneva office"].published == datetime(
        2026, 1, 15, 9, 0, tzinfo=UTC)  # CET, UTC+1
    assert all(i.published.utcoffset() == timedelta(0) for i in items.values())


# -- categories --------------------------------------------------------------------------------


def test_keyword_rules_and_unmatched_labels(tmp_path: Path) -> None:
    put(tmp_path, "wire-a.rss", "a.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss"), categories=(
        "  - slug: weather\n    keywords: [storm, flood]\n    exclude: [ports]\n"
        "  - slug: labour\n    labels: [LABOUR ]\n    keywords: [Wage]\n"))
    report = run(config)
    items = {i.title: i for i in stored(config)}
    assert items["Ports reopen after the storm"].categories == ("news",)  # excluded: default
    assert items["Talks on the wage agreement resume"].categories == ("labour",)
    assert report.sources[0].unmatched_labels == ["Transport"]
    with open_store(config.store, config.root) as store:
        assert store.source_state("wire-a").unmatched_labels == ("Transport",)


def test_a_keyword_with_an_underscore_matches_the_words_it_joins(tmp_path: Path) -> None:
    # Item text is split into words at "_" as at spaces and punctuation ("_" is a \w
    # character), so a keyword phrase must be split the same way to ever match.
    stories = [("Report on the future_of_work published", "report"),
               ("The future of work, in figures", "figures"),
               ("Press review: the future_of_work", "review"),
               ("Work for a better future", "better"),
               ("Futures and options at work", "futures")]
    (tmp_path / "desk.rss").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Desk</title>'
        "<link>https://desk.example.org/</link><description>d</description>"
        + "".join(f"<item><title>{title}</title><link>https://desk.example.org/{path}</link>"
                  "<pubDate>Tue, 10 Nov 2026 09:00:00 GMT</pubDate></item>"
                  for title, path in stories)
        + "</channel></rss>", encoding="utf-8")
    config = project(tmp_path, feed_source("desk", "desk.rss"), categories=(
        "  - slug: work\n    keywords: [future_of_work]\n    exclude: [press_review]\n"))
    run(config)
    categories = {i.title: i.categories for i in stored(config)}
    assert categories == {
        "Report on the future_of_work published": ("work",),
        "The future of work, in figures": ("work",),
        "Press review: the future_of_work": ("news",),  # excluded: the source's default
        "Work for a better future": ("news",),
        "Futures and options at work": ("news",),
    }


# -- retention ---------------------------------------------------------------------------------


def test_category_feed_size_and_max_age_pruning(tmp_path: Path) -> None:
    put(tmp_path, "wire-a.rss", "a.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss"),
                     site="  max_age_days: 30\n",
                     categories="  - slug: short\n    labels: [Transport, Labour]\n"
                                "    feed_size: 1\n")
    report = run(config)
    assert report.sources[0].too_old == 1  # the October story is already older than 30 days
    assert len(feed_ids(config, "short")) == 1
    assert len(feed_ids(config)) == 2
    # The source stops listing its stories; 40 days on, they are older than max_age: pruned.
    (tmp_path / "a.rss").write_text((DATA / "tracking-v1.rss").read_text())
    report = run(config, NOW + timedelta(days=40))
    assert report.pruned == 2
    assert sorted(i.title for i in stored(config)) == []
    # Still-listed old stories stay; and a new item older than max_age is not stored at all.
    (tmp_path / "a.rss").write_text((DATA / "wire-a.rss").read_text())
    report = run(config, NOW + timedelta(days=41))
    assert report.sources[0].too_old == 3 and report.sources[0].new == 0


@pytest.mark.parametrize("policy", ["guid", "auto"])
def test_html_identity_rule_reads_the_guid_from_the_page(tmp_path: Path, policy: str) -> None:
    (tmp_path / "page.html").write_text(
        '<ul><li class="i" data-id="n1"><a href="/same">One</a></li>'
        '<li class="i" data-id="n2"><a href="/same">Two</a></li></ul>')
    rule = "\"@data-id\"" if policy == "guid" else "auto"
    config = project(tmp_path, (
        "  - id: page\n    kind: html\n    path: page.html\n"
        f"    base_url: https://p.example.org/\n    identity: {rule}\n"
        "    selectors:\n      item: li.i\n"))
    run(config)
    assert len(stored(config)) == (2 if policy == "guid" else 1)


def test_status_lists_unmatched_labels(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from feedhub.cli import main

    put(tmp_path, "wire-a.rss", "a.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss"))
    run(config)
    table = CliRunner().invoke(main, ["status", "-c", str(config.path)])
    assert table.exit_code == 0, table.output
    assert "labels with no category (sent to the default): 'Labour', 'Transport'" in \
        table.output
    result = CliRunner().invoke(main, ["status", "--json", "-c", str(config.path)])
    import json

    assert json.loads(result.output)["sources"][0]["unmatched_labels"] == ["Labour", "Transport"]


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTP://News.Example.ORG:80/a/b/?utm_source=x&b=2&a=1#frag",
     "https://news.example.org/a/b?a=1&b=2"),
    ("https://news.example.org:443/a%2db%7e?fbclid=1&gclid=2&mc_cid=3&mc_eid=4",
     "https://news.example.org/a-b~"),
    ("https://user:pw@news.example.org:8443/x/", "https://news.example.org:8443/x"),
    ("https://news.example.org", "https://news.example.org/"),
    ("https://news.example.org/caf%c3%a9", "https://news.example.org/caf%C3%A9"),
    ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
    ("http://[::1]:80/a", "https://[::1]/a"),
    ("https://news.example.org:99999/a", "https://news.example.org:99999/a"),  # bad port: kept
    ("tag:example.org,2026:1", "tag:example.org,2026:1"),
    # Stored keys hold these forms: each must stay exactly as it is (found by mutation runs).
    ("https://News.Example.org./a", "https://news.example.org/a"),  # the root's dot
    ("https://news.example.org/a,b(c)!;x=1:y@z", "https://news.example.org/a,b(c)!;x=1:y@z"),
    ("https://news.example.org?b=2&a=1", "https://news.example.org/?a=1&b=2"),
    ("https://news.example.org/a?b=1&a=", "https://news.example.org/a?a=&b=1"),
    ("https://NEWS.example.org//", "https://news.example.org/"),
    ("https://NEWS.example.org/TAX/", "https://news.example.org/TAX"),
    (" https://news.example.org/a\tb\n?x=1", "https://news.example.org/ab?x=1"),
    ("https://" + "é" * 70 + ".example/a", "https://" + "é" * 70 + ".example/a"),  # no IDN
])
def test_canonical_url_rules(url: str, canonical: str) -> None:
    from feedhub.normalise import canonical_url

    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


def test_stories_a_source_still_lists_unchanged_are_never_pruned(tmp_path: Path) -> None:
    """An unchanged body skips parsing, yet its stories are still listed: pruning keeps them."""
    put(tmp_path, "wire-a.rss", "a.rss")
    config = project(tmp_path, feed_source("wire-a", "a.rss"), site="  max_age_days: 30\n")
    run(config)
    assert len(stored(config)) == 2
    for days in (20, 40, 70):
        report = run(config, NOW + timedelta(days=days))
        assert report.sources[0].unchanged_body
        assert report.pruned == 0
    assert len(stored(config)) == 2
    # Once the source stops listing them, they go after max_age.
    (tmp_path / "a.rss").write_text((DATA / "tracking-v1.rss").read_text())
    run(config, NOW + timedelta(days=71))
    assert run(config, NOW + timedelta(days=102)).pruned == 2
