"""Never lose a story: the merge rules at their edges, each through a real build.

Two sightings are one item when they share a guid key or a canonical link, or, from different
sources, when their normalised titles are equal, specific enough and dated within
``site.merge_window_days`` (docs/items.md, "Merging across sources"). Each test below stands
on one side of one of those edges: stories that must stay apart (a plain guid on two sources,
short or generic titles, a source repeating its own title, dates a window apart) and stories
that must stay one (a changed guid or link, tracking parameters, http vs https, a URI guid).

Sources are small RSS files written by the test; ``now`` is injected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from feedhub.config import load_config
from feedhub.model import Config, Item
from feedhub.normalise import title_key
from feedhub.pipeline import BuildReport, build
from feedhub.store import open_store

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    """One RSS <item> as a source writes it."""

    title: str
    link: str = ""
    guid: str = ""
    published: datetime = DAY
    category: str = ""


def rss(stories: list[Story]) -> str:
    items = []
    for story in stories:
        parts = [f"<title>{escape(story.title)}</title>"]
        if story.link:
            parts.append(f"<link>{escape(story.link)}</link>")
        if story.guid:
            parts.append(f'<guid isPermaLink="false">{escape(story.guid)}</guid>')
        if story.category:
            parts.append(f"<category>{escape(story.category)}</category>")
        parts.append(f"<pubDate>{format_datetime(story.published, usegmt=True)}</pubDate>")
        parts.append(f"<description>{escape(story.title)}, told in full.</description>")
        items.append("<item>" + "".join(parts) + "</item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            "<title>A source</title><link>https://source.example.org/</link>"
            "<description>d</description>" + "".join(items) + "</channel></rss>\n")


def write(folder: Path, name: str, stories: list[Story]) -> None:
    (folder / f"{name}.rss").write_text(rss(stories), encoding="utf-8")


def project(folder: Path, names: list[str], *, site: str = "", categories: str = "") -> Config:
    """A sources.yaml reading ``<name>.rss`` for each name, in this order."""
    sources = "".join(f"  - id: {name}\n    kind: feed\n    path: {name}.rss\n"
                      "    category: news\n" for name in names)
    (folder / "sources.yaml").write_text(
        "site:\n  title: Test hub\n  base_url: https://hub.example.org\n" + site
        + "categories:\n  - slug: news\n    labels: [News]\n" + categories
        + "sources:\n" + sources + "store: sqlite:///feedhub.db\noutput: feeds\n",
        encoding="utf-8")
    return load_config(folder / "sources.yaml")


def run(config: Config, now: datetime = NOW) -> BuildReport:
    report = build(config, now=now)
    assert report.ok, [s.error for s in report.sources]
    return report


def stored(config: Config) -> list[Item]:
    with open_store(config.store, config.root) as store:
        return store.items_for("all", 1000)


def by_title(config: Config) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for item in stored(config):
        out.setdefault(item.title, []).append(item)
    return out


# -- stories that must stay apart ----------------------------------------------------------------


def test_the_same_plain_guid_on_two_sources_is_two_stories(tmp_path: Path) -> None:
    """"123" is a number in each source's own CMS, not a name for one story."""
    write(tmp_path, "a", [Story("Harbour dredging contract awarded",
                                "https://a.example.org/harbour", "123")])
    write(tmp_path, "b", [Story("School term dates set for the spring",
                                "https://b.example.org/term", "123")])
    config = project(tmp_path, ["a", "b"])
    report = run(config)
    assert [s.new for s in report.sources] == [1, 1]
    items = {i.title: i for i in stored(config)}
    assert {t: i.sources for t, i in items.items()} == {
        "Harbour dredging contract awarded": ("a",),
        "School term dates set for the spring": ("b",)}
    assert len({i.id for i in items.values()}) == 2
    # A second build (same bodies, then touched bodies) keeps both.
    for source in ("a", "b"):
        path = tmp_path / f"{source}.rss"
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run(config, NOW + timedelta(hours=1))
    assert {i.title: i.id for i in stored(config)} == {t: i.id for t, i in items.items()}


def test_the_same_uri_guid_on_two_sources_is_one_story(tmp_path: Path) -> None:
    """The other side of the edge: a tag: or urn: guid names one story wherever it is."""
    guid = "tag:ilo.org,2026:press/123"
    write(tmp_path, "a", [Story("Ports reopen after the storm", "https://a.example.org/1", guid)])
    write(tmp_path, "b", [Story("Harbours back in business", "https://b.example.org/9", guid)])
    config = project(tmp_path, ["a", "b"])
    run(config)
    assert [i.sources for i in stored(config)] == [("a", "b")]


@pytest.mark.parametrize("title", [
    "Statement", "Update", "News", "Budget",  # one word, generic or not
    "Press release", "Weekly update", "Obituaries today",  # two words
    "Latest news and updates", "Press release: statement", "Weekly update No. 12",
    "Communiqué de presse",  # three or more words, every one generic (or a number)
])
def test_short_or_generic_titles_never_merge_two_sources(tmp_path: Path, title: str) -> None:
    """Two unrelated stories, the same day, titled alike by two sources: two items."""
    write(tmp_path, "a", [Story(title, "https://a.example.org/s/1", "a-1")])
    write(tmp_path, "b", [Story(title, "https://b.example.org/s/2", "b-2",
                                DAY + timedelta(hours=2))])
    config = project(tmp_path, ["a", "b"])
    run(config)
    items = stored(config)
    assert sorted(i.sources for i in items) == [("a",), ("b",)], title
    assert sorted(i.link for i in items) == ["https://a.example.org/s/1",
                                             "https://b.example.org/s/2"]


@pytest.mark.parametrize("listing", ["only the new one", "both, newest first"])
def test_a_source_repeating_its_title_next_day_makes_a_second_story(
        tmp_path: Path, listing: str) -> None:
    """A weekly or daily bulletin reuses its title: each issue is a story of its own."""
    title = "Weekly labour market update"
    old = Story(title, "https://stats.example.org/wlmu/45", "wlmu-45")
    write(tmp_path, "stats", [old])
    config = project(tmp_path, ["stats"])
    run(config)
    new = Story(title, "https://stats.example.org/wlmu/46", "wlmu-46", DAY + timedelta(days=1))
    write(tmp_path, "stats", [new] if listing == "only the new one" else [new, old])
    report = run(config, NOW + timedelta(days=1))
    assert report.sources[0].new == 1
    issues = by_title(config)[title]
    assert sorted(i.link for i in issues) == [old.link, new.link]
    assert sorted(i.published for i in issues) == [old.published, new.published]


@pytest.mark.parametrize(("apart", "merged"), [
    (timedelta(hours=5), True),
    (timedelta(days=2), True),  # the window's edge is inside it
    (timedelta(days=2, minutes=1), False),
    (timedelta(days=9), False),
])
def test_near_identical_titles_merge_inside_the_window_only(
        tmp_path: Path, apart: timedelta, merged: bool) -> None:
    """Case, accents and punctuation aside the titles are equal; only the dates differ."""
    write(tmp_path, "a", [Story("Café owners protest the new licence rules",
                                "https://a.example.org/cafes", "a-1")])
    write(tmp_path, "b", [Story("CAFE OWNERS PROTEST THE NEW LICENCE RULES!",
                                "https://b.example.org/cafes", "b-1", DAY + apart)])
    config = project(tmp_path, ["a", "b"], site="  merge_window_days: 2\n")
    run(config, DAY + apart + timedelta(hours=1))
    sources = sorted(i.sources for i in stored(config))
    assert sources == ([("a", "b")] if merged else [("a",), ("b",)])


def test_merge_window_zero_keeps_equal_titles_apart(tmp_path: Path) -> None:
    write(tmp_path, "a", [Story("Talks on the wage agreement resume", "https://a.example.org/t")])
    write(tmp_path, "b", [Story("Talks on the wage agreement resume", "https://b.example.org/t")])
    config = project(tmp_path, ["a", "b"], site="  merge_window_days: 0\n")
    run(config)
    assert sorted(i.sources for i in stored(config)) == [("a",), ("b",)]


@pytest.mark.parametrize(("title", "key"), [
    ("Weekly labour market update", "weekly labour market update"),
    ("Café owners protest, again!", "cafe owners protest again"),
    ("Statement", ""),
    ("Two words", ""),
    ("Latest news and updates", ""),
    ("Weekly update No. 12", ""),
    ("Mise à jour hebdomadaire", ""),
    ("Mise à jour du budget 2027", "mise a jour du budget 2027"),  # "budget" is its own
])
def test_title_key_leaves_out_short_and_generic_titles(title: str, key: str) -> None:
    assert title_key(title) == key


# -- stories that must stay one ------------------------------------------------------------------


@pytest.mark.parametrize("change", ["guid", "link", "guid, link and title, one at a time"])
def test_a_story_whose_guid_or_link_changes_stays_one_item(tmp_path: Path, change: str) -> None:
    """Either key carries the story over to the next build, and its id with it."""
    first = Story("Ministry publishes the annual report", "https://cms.example.org/report",
                  "cms-1")
    write(tmp_path, "cms", [first])
    config = project(tmp_path, ["cms"])
    run(config)
    [before] = stored(config)
    steps = {
        "guid": [Story(first.title, first.link, "cms-1-rev2")],
        "link": [Story(first.title, "https://cms.example.org/2026/annual-report", first.guid)],
        "guid, link and title, one at a time": [
            Story(first.title, first.link, "node/77"),
            Story(first.title, "https://cms.example.org/node/77", "node/77"),
            Story("Annual report 2026 (corrected)", "https://cms.example.org/node/77",
                  "node/77")],
    }[change]
    for n, story in enumerate(steps, 1):
        write(tmp_path, "cms", [story])
        report = run(config, NOW + timedelta(hours=n))
        assert report.sources[0].new == 0, (change, n)
        [after] = stored(config)
        assert (after.id, after.published, after.first_seen) == (
            before.id, before.published, before.first_seen)
        assert (after.title, after.link) == (story.title, story.link)


def test_one_story_on_two_sources_by_its_link_despite_tracking_and_scheme(
        tmp_path: Path) -> None:
    """Different guids, different titles: the canonical link alone makes them one."""
    write(tmp_path, "a", [Story(
        "Ports reopen", "http://News.Example.org/2026/ports-reopen/?utm_source=rss&fbclid=x",
        "a-77")])
    write(tmp_path, "b", [Story(
        "Harbour traffic resumes after the storm", "https://news.example.org/2026/ports-reopen",
        "b-1234", DAY + timedelta(days=6))])  # far outside the window: not by title
    config = project(tmp_path, ["a", "b"])
    run(config)
    [item] = stored(config)
    assert item.sources == ("a", "b")
    assert item.published == DAY


def test_one_story_on_two_sources_by_its_title_inside_the_window(tmp_path: Path) -> None:
    write(tmp_path, "a", [Story("Talks on the wage agreement resume",
                                "https://a.example.org/talks", "a-1")])
    write(tmp_path, "b", [Story("Talks on the wage agreement resume",
                                "https://b.example.org/2026/11/talks", "b-9",
                                DAY + timedelta(hours=6))])
    write(tmp_path, "c", [Story("Weekly labour market update", "https://c.example.org/w",
                                "c-1")])
    write(tmp_path, "d", [Story("Weekly labour market update", "https://d.example.org/w",
                                "d-1")])
    config = project(tmp_path, ["a", "b", "c", "d"])
    run(config)
    assert sorted(i.sources for i in stored(config)) == [("a", "b"), ("c", "d")]


# -- a story's feed follows its labels ----------------------------------------------------------


def test_a_label_change_moves_items_without_the_source_changing(tmp_path: Path) -> None:
    """The body is byte for byte the same; only sources.yaml's category labels changed."""
    write(tmp_path, "a", [Story("Council approves the harbour budget",
                                "https://a.example.org/budget", "a-1", category="Finance")])
    config = project(tmp_path, ["a"], categories="  - slug: money\n    labels: [Treasury]\n")
    run(config)
    assert [i.categories for i in stored(config)] == [("news",)]
    config = project(tmp_path, ["a"],
                     categories="  - slug: money\n    labels: [Treasury, Finance]\n")
    report = run(config, NOW + timedelta(minutes=5))
    assert not report.sources[0].unchanged_body
    assert [i.categories for i in stored(config)] == [("money",)]
    assert "Council approves" in (config.output_dir / "money.rss").read_text(encoding="utf-8")


@pytest.mark.parametrize("untitled_first", [True, False])
def test_a_story_told_without_a_title_takes_the_title_another_source_gives(
        tmp_path: Path, untitled_first: bool) -> None:
    """A source whose item has a link but no title and no text publishes "(untitled)"; the same
    story from a source with a title is one item with that title, whichever was dated first."""
    early, late = DAY, DAY + timedelta(hours=3)
    (tmp_path / "bare.rss").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Bare</title><link>https://bare.example.org/</link><description>d</description>"
        "<item><link>https://news.example.org/tram-line</link><pubDate>"
        + format_datetime(early if untitled_first else late, usegmt=True)
        + "</pubDate></item></channel></rss>\n", encoding="utf-8")
    write(tmp_path, "titled", [Story("Tram line extension opens in May",
                                     "https://news.example.org/tram-line",
                                     published=late if untitled_first else early)])
    config = project(tmp_path, ["bare", "titled"])
    run(config)
    assert [(i.title, i.sources) for i in stored(config)] == [
        ("Tram line extension opens in May", ("bare", "titled"))]
