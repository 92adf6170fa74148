"""Published links: tracking parameters dropped (the list identity ignores), every other
parameter kept in its order, ``keep_tracking: true`` keeps them; relative links with nothing
to resolve them against fail with a message that names ``base_url``. Real builds of file
sources, read back from the store and from every feed format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedhub.config import load_config
from feedhub.errors import ConfigError
from feedhub.links import TRACKING_PARAMETERS, canonical_url, without_tracking
from feedhub.model import Config
from feedhub.pipeline import BuildReport, build
from feedhub.store import open_store

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)

# (link as the source gives it, link as published)
LINKS = [
    ("https://news.example.org/a?utm_source=rss&utm_medium=feed&id=7&page=2",
     "https://news.example.org/a?id=7&page=2"),
    ("https://news.example.org/b?z=1&fbclid=IwAR0&a=2&UTM_Campaign=q#frag",
     "https://news.example.org/b?z=1&a=2#frag"),
    ("https://news.example.org/c?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5&_ga=6&igshid=7"
     "&yclid=8", "https://news.example.org/c"),
    ("https://news.example.org/d?utm=kept&source=rss&ref=home",
     "https://news.example.org/d?utm=kept&source=rss&ref=home"),
    ("https://news.example.org/e?q=a%20b&utm_source=x&empty=&b=%C3%A9",
     "https://news.example.org/e?q=a%20b&empty=&b=%C3%A9"),
]


def rss() -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link.replace('&', '&amp;')}</link>"
        f"<comments>{link.replace('?', '?utm_content=c&').replace('&', '&amp;')}</comments>"
        f"<description>About {n}.</description>"
        f"<pubDate>Tue, 10 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
        for n, (link, _) in enumerate(LINKS))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
            f"</title><link>https://news.example.org/</link><description>d</description>"
            f"{items}</channel></rss>")


def project(folder: Path, extra: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wire.rss").write_text(rss(), encoding="utf-8")
    (folder / "sources.yaml").write_text(
        "site:\n  title: Links\n  base_url: https://hub.example.org\n"
        "sources:\n  - id: wire\n    kind: feed\n    path: wire.rss\n" + extra
        + "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    return load_config(folder / "sources.yaml")


def run(config: Config) -> BuildReport:
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    return report


def published(config: Config) -> dict[str, dict[str, str]]:
    """Format -> title -> link, read back from the published files."""
    out = config.output_dir
    found: dict[str, dict[str, str]] = {}
    for ext in ("rss", "atom"):
        parsed = feedparser.parse((out / f"all.{ext}").read_bytes())
        assert not parsed.bozo
        found[ext] = {e.title: e.link for e in parsed.entries}
    found["json"] = {i["title"]: i["url"]
                     for i in json.loads((out / "all.json").read_bytes())["items"]}
    return found


def stored(config: Config) -> dict[str, tuple[str, str, str]]:
    with open_store(config.store, config.root) as store:
        return {i.title: (i.link, i.comments, i.id) for i in store.items_for("all", 100)}


def test_published_links_drop_tracking_parameters_and_keep_the_rest(tmp_path: Path) -> None:
    config = project(tmp_path)
    run(config)
    expected = {f"Story {n}": clean for n, (_, clean) in enumerate(LINKS)}
    for links in published(config).values():
        assert links == expected
    for title, (link, comments, _) in stored(config).items():
        assert link == expected[title]
        assert comments == expected[title]  # its utm_content went too


def test_keep_tracking_publishes_links_as_given_with_the_same_ids(tmp_path: Path) -> None:
    stripped = project(tmp_path / "stripped")
    run(stripped)
    kept = project(tmp_path / "kept", "    keep_tracking: true\n")
    assert kept.sources[0].keep_tracking
    run(kept)
    as_given = {f"Story {n}": link for n, (link, _) in enumerate(LINKS)}
    for links in published(kept).values():
        assert links == as_given
    # Identity ignores the same parameters: the switch changes links, never ids.
    assert {t: i for t, (_, _, i) in stored(kept).items()} == \
        {t: i for t, (_, _, i) in stored(stripped).items()}


def test_identity_and_published_links_share_one_list() -> None:
    for name in TRACKING_PARAMETERS:
        param = name.replace("*", "source")
        url = f"https://x.org/p?keep=1&{param}=v"
        assert without_tracking(url) == "https://x.org/p?keep=1"
        assert canonical_url(url) == "https://x.org/p?keep=1"


def test_keep_tracking_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example'}\nsources:\n"
                    "  - id: a\n    kind: feed\n    url: https://x.example/f\n"
                    "    keep_tracking: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:6: sources[a].keep_tracking: must be true or false, got 'sometimes'" in \
        str(caught.value)


LISTING = """<!doctype html><html><head><meta charset="utf-8"><title>l</title></head><body><ul>
<li class="item"><h2><a href="/news/one.html">One</a></h2></li>
<li class="item"><h2><a href="news/two.html">Two</a></h2></li>
</ul></body></html>"""

RELATIVE_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<link>/</link><description>d</description>
<item><title>One</title><link>/news/one.html</link></item></channel></rss>"""


@pytest.mark.parametrize(("kind", "name", "body", "example"), [
    ("html", "list.html", LISTING, "/news/one.html"),
    ("feed", "wire.rss", RELATIVE_RSS, "/news/one.html"),
])
def test_relative_links_without_base_url_say_so(
        tmp_path: Path, kind: str, name: str, body: str, example: str) -> None:
    (tmp_path / name).write_text(body, encoding="utf-8")
    selectors = ("    selectors:\n      item: li.item\n      title: h2 a\n"
                 "      link: h2 a@href\n") if kind == "html" else ""
    source = f"  - id: local\n    kind: {kind}\n    path: {name}\n" + selectors
    (tmp_path / "sources.yaml").write_text(
        "site:\n  title: T\n  base_url: https://hub.example.org\nsources:\n" + source
        + "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    report = build(load_config(tmp_path / "sources.yaml"), now=NOW)
    error = report.sources[0].error
    assert "links are relative" in error and "base_url:" in error, error
    assert example in error or example.lstrip("/") in error, error
    # With base_url the same file builds.
    (tmp_path / "sources.yaml").write_text(
        (tmp_path / "sources.yaml").read_text().replace(
            f"path: {name}\n", f"path: {name}\n    base_url: https://site.example.org/\n"))
    report = build(load_config(tmp_path / "sources.yaml"), now=NOW)
    assert report.ok, [s.error for s in report.sources]


NO_IDENTITY_RSS = """<rss version="2.0"><channel><title>Wire</title><link>https://wire.example.org/</link>
<description>d</description>
<item><title>A story with no link</title><description>Text.</description></item>
<item><title>Another, with a source but no link</title><source url="https://other.example.org/rss">Other</source></item>
</channel></rss>"""


def test_entries_without_link_or_guid_fail_saying_what_to_ask_for(tmp_path: Path) -> None:
    (tmp_path / "wire.rss").write_text(NO_IDENTITY_RSS, encoding="utf-8")
    (tmp_path / "good.rss").write_text(RELATIVE_RSS.replace(
        "<link>/news/one.html</link>", "<link>https://site.example.org/one.html</link>"),
        encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        "site:\n  title: T\n  base_url: https://hub.example.org\nsources:\n"
        "  - {id: wire, kind: feed, path: wire.rss}\n"
        "  - {id: good, kind: feed, path: good.rss}\n"
        "store: sqlite:///feedhub.db\noutput: feeds\n", encoding="utf-8")
    report = build(load_config(tmp_path / "sources.yaml"), now=NOW)
    outcome = {s.source_id: s for s in report.sources}
    error = outcome["wire"].error
    assert error.startswith("2 entries were found but none had a usable link or id"), error
    assert "ask the publisher to give each item a <link> or <guid>" in error
    # The refused source breaks nothing else.
    assert outcome["good"].error == "" and outcome["good"].found >= 1
