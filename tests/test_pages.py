"""The pages for people, as the publisher renders them: item images on category pages, and on
the index each feed's size, last update and address to copy, and the note on subscribing.

The browser side (layout at 390 px, copy buttons, JavaScript off, axe) is in
tests/e2e/test_pages.py; these read the markup itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from feedhub.config import load_config
from feedhub.model import Config, Enclosure, Item
from feedhub.publish.document import make_doc
from feedhub.publish.pages import THUMB_SIZE, render_pages

WHEN = datetime(2025, 11, 24, 9, 30, tzinfo=UTC)


def item(n: int, **fields: object) -> Item:
    when = WHEN.replace(day=WHEN.day - n)
    values: dict[str, object] = {
        "id": f"00000000-0000-4000-8000-{n:012d}", "title": f"Story {n}",
        "link": f"https://news.example.org/{n}", "published": when, "updated": when,
        "categories": ("news",), **fields}
    return Item(**values)  # type: ignore[arg-type]


def pages(config: Config, items: dict[str, list[Item]]) -> dict[str, etree._Element]:
    """Every HTML file render_pages makes, parsed (they are well-formed XML)."""
    docs = [make_doc(config, slug, found) for slug, found in items.items()]
    out = {}
    for name, data, _ in render_pages(config, docs):
        if name.endswith(".html"):
            out[name] = etree.fromstring(data)
    return out


def files(config: Config, items: dict[str, list[Item]]) -> dict[str, bytes]:
    docs = [make_doc(config, slug, found) for slug, found in items.items()]
    return {name: data for name, data, _ in render_pages(config, docs)}


@pytest.fixture
def site(project: Path) -> Config:
    return load_config(project)


# -- category pages: images --------------------------------------------------------------------

def test_an_items_image_is_shown_lazy_sized_and_decorative(site: Config) -> None:
    stories = [
        item(1, image="https://img.example.org/1.jpg"),
        # No image of its own: its first image enclosure (audio is not a picture).
        item(2, enclosures=(Enclosure("https://cdn.example.org/a.mp3", "audio/mpeg"),
                            Enclosure("https://cdn.example.org/2.png", "image/png"))),
        item(3),
        # Never a non-http(s) address, whatever reached the item.
        item(4, image="javascript:alert(1)",
             enclosures=(Enclosure("data:image/png;base64,AAAA", "image/png"),)),
    ]
    page = pages(site, {"news": stories})["c/news.html"]
    rows = page.findall(".//ol[@class]/li")
    assert len(rows) == 4
    images = [row.find("img") for row in rows]
    assert [i.get("src") if i is not None else None for i in images] == [
        "https://img.example.org/1.jpg", "https://cdn.example.org/2.png", None, None]
    for row, image in zip(rows[:2], images[:2], strict=True):
        assert image is not None
        # alt="": the title link beside it names the story (see category.html).
        assert image.get("alt") == ""
        assert (image.get("width"), image.get("height")) == tuple(map(str, THUMB_SIZE))
        assert image.get("loading") == "lazy"
        assert image.get("referrerpolicy") == "no-referrer"
        assert "fh-with-image" in (row.get("class") or "")
    assert "fh-with-image" not in (rows[2].get("class") or "")


# -- the index -----------------------------------------------------------------------------------

def test_the_index_shows_each_feeds_size_last_update_and_address(site: Config) -> None:
    news = [item(1), item(2), item(3)]
    page = pages(site, {"all": news, "news": news[:1], "features": []})["index.html"]
    cards = {card.find("h3/a").text: card for card in page.iter("li")
             if card.get("class") == "fh-feed"}
    assert list(cards) == ["All news", "News", "Features and stories"]
    meta = {name: "".join(card.find("p[@class='fh-meta']").itertext())
            for name, card in cards.items()}
    # Dates are Babel's long date in the site's language ("en": CLDR's en_US), as in the embeds.
    assert meta == {"All news": "3 items · updated November 23, 2025",
                    "News": "1 item · updated November 23, 2025",
                    "Features and stories": "No items yet"}
    assert cards["News"].find(".//time").get("datetime") == "2025-11-23T09:30:00Z"
    assert cards["Features and stories"].find(".//time") is None

    for slug, name in (("all", "All news"), ("news", "News")):
        field = cards[name].find(".//code[@class='fh-url']")
        # Without JavaScript: the absolute address, whole, as text to select.
        assert "".join(field.itertext()) == f"http://127.0.0.1:8000/feeds/{slug}.rss"
        label = "".join(cards[name].find(".//p[@class='fh-address-label']").itertext())
        assert label == f"Feed address of {name}"
        # The copy button stays hidden until feedhub.js finds it can copy.
        button = cards[name].find(".//button")
        assert button.get("hidden") is not None and button.get("type") == "button"
        assert button.get("data-copy") == field.get("id")
        assert "".join(button.itertext()) == f"Copy the address of {name}"
        status = cards[name].find(".//*[@role='status']")
        assert status is not None
    ids = [e.get("id") for e in page.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), ids


def test_the_index_tells_newcomers_how_to_subscribe(site: Config) -> None:
    page = pages(site, {"all": [item(1)]})["index.html"]
    howto = page.find(".//section[@aria-labelledby='howto']")
    assert howto is not None
    text = " ".join("".join(howto.itertext()).split())
    assert howto.find("h2").text == "How to subscribe"
    assert "A feed reader" in text and "paste it" in text
    assert [a.get("href") for a in howto.iter("a")] == ["/feeds.opml"]
    # The category pages point there.
    category = pages(site, {"news": [item(1)]})["c/news.html"]
    assert "/#howto" in [a.get("href") for a in category.iter("a")]


def test_pages_load_the_copy_script_from_this_site_and_it_is_published(site: Config) -> None:
    made = files(site, {"news": [item(1)]})
    for name in ("index.html", "c/news.html"):
        page = etree.fromstring(made[name])
        scripts = [s.get("src") for s in page.iter("script")]
        assert scripts == ["/static/feedhub.js"], name
        assert all(not (s.text or "").strip() for s in page.iter("script"))  # nothing inline
    script = made["static/feedhub.js"].decode("utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "document.write"):
        assert risky not in script, risky
    assert "navigator.clipboard" in script and "textContent" in script
    assert "static/feed.xsl" not in made
