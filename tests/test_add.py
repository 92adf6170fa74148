"""`feedhub add URL` against a real local HTTP server: advertised feeds are offered, a page
without feeds gets drafted selectors, the entry is appended keeping the file's comments and
order, and nothing is written on refusal, on a page with no items, or on an invalid result."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedhub.add import advertised_feeds, matching_category, suggest_id
from feedhub.cli import main
from feedhub.config import append_source, load_config
from feedhub.errors import ConfigError
from feedhub.model import Category
from feedhub.preview import Preview, PreviewRow

from .support.httpd import LocalServer

ROOT = Path(__file__).resolve().parent.parent
RSS = (ROOT / "examples" / "press-releases.rss").read_bytes()
ATOM = (ROOT / "examples" / "features.atom").read_bytes()
LISTING = (ROOT / "examples" / "newsroom.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}

PAGE_WITH_FEEDS = b"""<!doctype html><html><head><title>Press room</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="Press releases" href="/press.rss">
<link rel="alternate" type="application/atom+xml" title="Features" href="features.atom">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><p>Hello</p></body></html>"""


@pytest.fixture
def site(httpd: LocalServer) -> LocalServer:
    httpd.route("/press/", PAGE_WITH_FEEDS, headers=HTML)
    httpd.route("/press.rss", RSS, headers={"Content-Type": "application/rss+xml"})
    httpd.route("/press/features.atom", ATOM, headers={"Content-Type": "application/atom+xml"})
    httpd.route("/news", LISTING, headers=HTML)
    httpd.route("/empty", b"<html><head><title>Nothing</title></head><body><p>hi</p></body>"
                b"</html>", headers=HTML)
    return httpd


def without_added(text: str) -> str:
    """The text with the entry `feedhub add` inserted taken out again."""
    start = text.index("\n\n  # Added by")
    end = text.index("\n", text.index("allow_private: true", start))
    return text[:start] + text[end:]


def add(project: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["add", "-c", str(project), "--allow-private", *args],
                              input=input)


def test_advertised_feed_is_offered_and_appended(site: LocalServer, project: Path) -> None:
    before = project.read_text()
    result = add(project, site.url("/press/"), "--yes", "--category", "press-releases")
    assert result.exit_code == 0, result.output
    assert "advertises 2 feed(s)" in result.output
    assert f"1) Press releases [RSS] {site.url('/press.rss')}" in result.output
    assert f"2) Features [Atom] {site.url('/press/features.atom')}" in result.output
    assert "3 item(s) via feed" in result.output
    after = project.read_text()
    # Every original line is kept, in order; only the new entry is added, after the last source.
    assert without_added(after) == before  # every other byte is as it was
    added = after[len(before.rstrip()):].strip("\n").splitlines()
    assert added[0].startswith("  # Added by `feedhub add ")
    assert added[1:] == ["  - id: 127-0-0-1-press", "    kind: feed",
                         f"    url: {site.url('/press.rss')}", "    title: Press releases",
                         "    category: press-releases",
                         "    allow_private: true   # the address is private (an intranet, or"
                         " local)"]
    assert after.startswith(before.rstrip("\n"))
    config = load_config(project)
    assert config.sources[-1].id == "127-0-0-1-press"
    assert config.sources[-1].default_category == "press-releases"


def test_choosing_the_second_feed_interactively(site: LocalServer, project: Path) -> None:
    result = add(project, site.url("/press/"), input="2\ny\n")
    assert result.exit_code == 0, result.output
    assert "Use which? [1]: 2" in result.output
    source = load_config(project).sources[-1]
    assert source.location == site.url("/press/features.atom")
    assert source.title == "Features"


def test_declining_writes_nothing(site: LocalServer, project: Path) -> None:
    before = project.read_bytes()
    result = add(project, site.url("/press/"), input="1\nn\n")
    assert result.exit_code == 0
    assert "Nothing was written." in result.output
    assert project.read_bytes() == before


def test_page_without_feeds_gets_drafted_selectors_that_build(site: LocalServer,
                                                              project: Path) -> None:
    result = add(project, site.url("/news"), "--yes", "--id", "newsroom-live")
    assert result.exit_code == 0, result.output
    assert "advertises no feed" in result.output
    assert "10 item(s) via blocks" in result.output
    source = load_config(project).source("newsroom-live")
    assert source is not None and source.selectors is not None
    assert source.selectors.item and source.title.startswith("News and events")
    # The drafted source really reads the page in a build.
    build = CliRunner().invoke(main, ["-q", "build", "-c", str(project)])
    assert build.exit_code == 0, build.output
    all_rss = (project.parent / "feeds" / "all.rss").read_text()
    assert all_rss.count("<item>") >= 10


def test_a_url_that_is_a_feed_is_added_as_a_feed(site: LocalServer, project: Path) -> None:
    result = add(project, site.url("/press.rss"), "--yes")
    assert result.exit_code == 0, result.output
    source = load_config(project).sources[-1]
    assert source.kind.value == "feed" and source.location == site.url("/press.rss")


def test_page_with_no_items_writes_nothing(site: LocalServer, project: Path) -> None:
    before = project.read_bytes()
    result = add(project, site.url("/empty"), "--yes")
    assert result.exit_code == 1
    assert "no items found" in result.stderr and "Nothing was added" in result.stderr
    assert project.read_bytes() == before


def test_unreachable_and_private_addresses(site: LocalServer, project: Path) -> None:
    before = project.read_bytes()
    result = add(project, site.url("/missing"), "--yes")
    assert result.exit_code == 1 and "cannot read" in result.stderr
    # Without --allow-private a loopback address is refused, like in a build.
    result = CliRunner().invoke(main, ["add", "-c", str(project), "--yes", site.url("/news")])
    assert result.exit_code == 1, result.output
    assert project.read_bytes() == before


def test_invalid_result_writes_nothing(site: LocalServer, project: Path) -> None:
    before = project.read_bytes()
    result = add(project, site.url("/press.rss"), "--yes", "--category", "nope")
    assert result.exit_code == 2
    assert "would make" in result.stderr and "no category 'nope'" in result.stderr
    assert project.read_bytes() == before
    result = add(project, site.url("/press.rss"), "--yes", "--id", "ilo-press")
    assert result.exit_code == 2 and "exists already" in result.stderr


def test_appending_to_the_starter_keeps_later_sections(site: LocalServer,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    assert CliRunner().invoke(main, ["init", "-c", str(path)]).exit_code == 0
    before = path.read_text()
    result = add(path, site.url("/press.rss"), "--yes")
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert after.index("- id: 127-0-0-1-press") < after.index("\nstore:")
    assert without_added(after) == before
    assert [s.id for s in load_config(path).sources][-1] == "127-0-0-1-press"


def test_append_source_text_cases() -> None:
    entry = ["- id: x", "  kind: feed", "  url: https://x.example/f"]
    # Indentation follows the list's; a block scalar as last value is stepped over.
    text = ("site: {title: T, base_url: 'https://a.example'}\nsources:\n"
            "- id: a\n  kind: feed\n  url: https://a.example/f\n  title: |\n    Long\n\n"
            "# the store\nstore: sqlite:///x.db\n")
    out = append_source(text, entry)
    assert "title: |\n    Long\n\n- id: x\n  kind: feed" in out
    # Commented-out keys of the last item stay with it; a comment at the list's level does not.
    text = ("sources:\n  - id: a\n    url: u\n    # path: p\n      # more\n  # next\n"
            "store: s\n")
    assert append_source(text, ["- id: x"]) == (
        "sources:\n  - id: a\n    url: u\n    # path: p\n      # more\n\n  - id: x\n"
        "  # next\nstore: s\n")
    assert out.endswith("\n# the store\nstore: sqlite:///x.db\n")
    # No sources key yet: a list is started at the end.
    out = append_source("site: {title: T}\n", entry)
    assert out.endswith("sources:\n- id: x\n  kind: feed\n  url: https://x.example/f\n")
    with pytest.raises(ConfigError):
        append_source("sources: [{id: a}]\n", entry)


def test_advertised_feeds_and_ids() -> None:
    found = advertised_feeds(PAGE_WITH_FEEDS, {}, "https://www.example.org/press/")
    assert [(f.url, f.type) for f in found] == [
        ("https://www.example.org/press.rss", "RSS"),
        ("https://www.example.org/press/features.atom", "Atom")]
    assert suggest_id("https://www.ilo.org/global/news/index.htm", []) == "ilo-news"
    assert suggest_id("https://www.ilo.org/global/news/index.htm", ["ilo-news"]) == "ilo-news-2"


def test_the_same_url_twice_is_not_added_again(site: LocalServer, project: Path) -> None:
    assert add(project, site.url("/press.rss"), "--yes").exit_code == 0
    before = project.read_bytes()
    again = add(project, site.url("/press.rss"), "--yes")
    assert again.exit_code == 0, again.output
    assert "already in the config as source '127-0-0-1-press'" in again.output
    assert project.read_bytes() == before
    # The page that advertises it: the feed chosen is the one already there.
    page = add(project, site.url("/press/"), "--yes")
    assert page.exit_code == 0 and "as source '127-0-0-1-press'" in page.output
    assert project.read_bytes() == before
    # --id says a second source is wanted.
    second = add(project, site.url("/press.rss"), "--yes", "--id", "press-again")
    assert second.exit_code == 0, second.output
    assert [s.id for s in load_config(project).sources][-2:] == ["127-0-0-1-press",
                                                                 "press-again"]


def test_yes_writes_the_category_the_items_labels_match(site: LocalServer,
                                                        project: Path) -> None:
    result = add(project, site.url("/press.rss"), "--yes")
    assert result.exit_code == 0, result.output
    assert "\n    category: press-releases\n" in project.read_text()
    assert load_config(project).sources[-1].default_category == "press-releases"


def test_yes_picks_the_first_category_its_items_land_in_else_the_first() -> None:
    categories = [Category("a", "A"), Category("b", "B"), Category("c", "C")]

    def preview(*landed: tuple[str, ...]) -> Preview:
        return Preview("x", "https://x.example/", "feed", rows=tuple(
            PreviewRow(title="t", date="", date_text="", label="", link="", categories=slugs)
            for slugs in landed))

    assert matching_category(preview(("c",), ("b", "c")), categories) == "b"
    assert matching_category(preview((), ()), categories) == "a"
    assert matching_category(preview(()), []) == ""


def test_a_feed_url_gets_the_feeds_title(site: LocalServer, project: Path) -> None:
    result = add(project, site.url("/press.rss"), "--yes")
    assert result.exit_code == 0, result.output
    assert "    title: ILO press releases (example)\n" in project.read_text()
    assert load_config(project).sources[-1].title == "ILO press releases (example)"


def test_a_private_address_names_the_flag(site: LocalServer, project: Path) -> None:
    result = CliRunner().invoke(main, ["add", "-c", str(project), "--yes", site.url("/news")])
    assert result.exit_code == 1, result.output
    assert "allow_private: true" in result.stderr and "--allow-private" in result.stderr
