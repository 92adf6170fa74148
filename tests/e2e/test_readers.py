"""Real readers (newsboat, sfeed, rss2email) subscribe to category feeds in RSS and Atom.

They must hold exactly the items feedhub published, titles included; after a source gains one
story and feedhub rebuilds, exactly one new item each (no duplicate, no old item again); and a
repeat poll when nothing changed must be answered 304 to their conditional request.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .readers import READERS, Reader, clean
from .site import Site

SUBSCRIPTIONS = {
    "rss": ["/feeds/news.rss", "/feeds/press-releases.rss"],
    "atom": ["/feeds/news.atom", "/feeds/features.atom"],
}
"""Per format, a category feed that the new story goes to and one that it does not. One reader
subscribes to one format: readers rightly keep one copy of an id seen in two feeds."""
GROWS = {"/feeds/news.rss", "/feeds/news.atom"}
CASES = [(name, fmt) for name in sorted(READERS) for fmt in SUBSCRIPTIONS]


def subscribe(name: str, site: Site, tmp_path: Path, feeds: list[str]) -> Reader:
    return READERS[name](tmp_path / "readers", [site.url(p) for p in feeds])


def published_titles(site: Site, path: str) -> list[str]:
    return [clean(e.title) for e in site.entries(path)]


def polite(site: Site, feeds: list[str]) -> bool:
    """Has every feed had at least one conditional repeat poll yet?"""
    log = site.log()
    return all(any(line.conditional for line in [x for x in log if x.path == path][1:])
               for path in feeds)


def assert_polite(name: str, site: Site, feeds: list[str]) -> None:
    """Every repeat poll of an unchanged feed was conditional and answered 304."""
    for path in feeds:
        lines = [line for line in site.log() if line.path == path]
        assert lines, f"{name} never requested {path}"
        assert lines[0].status == 200
        conditional = [line for line in lines[1:] if line.conditional]
        assert conditional, f"{name} sent no If-None-Match/If-Modified-Since for {path}"
        assert [line.status for line in conditional] == [304] * len(conditional), (
            f"{name}: conditional polls of unchanged {path} got {conditional}")


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_reader_holds_the_published_items_polls_with_304_then_gets_one_new_item(
    name: str, fmt: str, site: Site, tmp_path: Path
) -> None:
    feeds = SUBSCRIPTIONS[fmt]
    served = site.get(feeds[0]).headers
    assert served.get("ETag") and served.get("Last-Modified"), dict(served)
    reader = subscribe(name, site, tmp_path, feeds)

    # 1. Subscribed: exactly the published items, with the published titles.
    first = reader.poll()
    for path in feeds:
        titles = published_titles(site, path)
        assert titles, f"{path} published no items"
        assert Counter(first[site.url(path)]) == Counter(titles), path
    assert "Minimum wages rise in 40 countries" in first[site.url(feeds[0])]

    # 2. Nothing changed: repeat polls are conditional and answered 304, and add nothing.
    # newsboat 2.21 keeps the validators only from its second fetch of a feed on, and on a
    # busy machine now and then from its third: it gets up to four repeat polls to be polite.
    for attempt in range(4 if name == "newsboat" else 1):
        assert reader.poll() == first, f"{name} saw new items although nothing changed"
        if name == "newsboat" and attempt < 3 and not polite(site, feeds):
            continue
        break
    assert_polite(name, site, feeds)

    # 3. A source gains one story and feedhub rebuilds: exactly one new item where it belongs.
    new_title = "Youth unemployment falls to a 15-year low"
    site.wire.add(new_title)
    site.build()
    seen = len(site.log())
    second = reader.poll()
    for path in feeds:
        url = site.url(path)
        gained = Counter(second[url]) - Counter(first[url])
        assert not Counter(first[url]) - Counter(second[url]), f"{name} lost items of {path}"
        if path in GROWS:
            assert gained == Counter([new_title]), f"{name} on {path}: {gained}"
            assert new_title in published_titles(site, path)
        else:
            assert not gained, f"{name} got {gained} again from the unchanged {path}"
    # The feed that did not change kept its validators through the rebuild.
    unchanged = [p for p in feeds if p not in GROWS]
    assert [line.status for line in site.log()[seen:] if line.path in unchanged] == [304]
