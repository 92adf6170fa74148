"""Issue 7 item 6: no text in any field can make a published file malformed.

Hypothesis pushes arbitrary text (control characters, lone surrogates, U+FFFE/U+FFFF, markup,
CDATA ends, entity-like text, huge code points) through every field of items and of the site,
and every format must stay well-formed and parseable: RSS and Atom by lxml and by feedparser
(bozo false, the same ids as the JSON Feed), JSON Feed by json, OPML and pages by lxml, the embed
script's data by json. A sample of fuzzed Atom feeds also passes RFC 4287's RELAX NG schema.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedhub.model import Category, Config, Enclosure, Item, Site, Source, SourceKind
from feedhub.publish import check_well_formed
from feedhub.publish.document import make_doc
from feedhub.publish.feeds import render_atom, render_rss
from feedhub.publish.jsonfeed import render_json
from feedhub.publish.opml import render_opml
from feedhub.publish.pages import render_pages

from ..support.conformance import atom_schema_problems, json_feed_problems

NASTY = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800",
         "\udfff", "\ud83d", "\ufffe", "\uffff", "\U0010ffff", "]]>", "<![CDATA[", "</script>",
         "<script>alert(1)</script>", "&amp;", "&nbsp;", "&#0;", "&#xD800;", "<", ">", "\"",
         "'", "\r\n", "\t", "\u2028", "\u2029", "\u202e", "\ufeff", "😀", "javascript:"]

nasty_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=5)), max_size=8).map("".join),
)
maybe_url = st.one_of(nasty_text, nasty_text.map(lambda t: "https://example.org/" + t))
when = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC))

SLUGS = ("news", "press")


@st.composite
def items(draw: st.DrawFn) -> Item:
    published = draw(when)
    return Item(
        id=draw(st.uuids()).hex[:8] + "-0000-4000-8000-000000000000",
        title=draw(nasty_text),
        link=draw(maybe_url),
        published=published,
        updated=published + timedelta(seconds=draw(st.integers(0, 10**6))),
        summary=draw(nasty_text),
        content=draw(nasty_text),
        categories=tuple(draw(st.lists(st.sampled_from(SLUGS), unique=True))),
        labels=tuple(draw(st.lists(nasty_text, max_size=3))),
        sources=tuple(draw(st.lists(st.sampled_from(["feed-a", "page-b"]), unique=True))),
        image=draw(maybe_url),
        author=draw(nasty_text),
        enclosures=tuple(draw(st.lists(st.builds(
            Enclosure, url=maybe_url, type=nasty_text, length=st.integers(-5, 10**9)),
            max_size=2))),
    )


def unique_ids(found: list[Item]) -> list[Item]:
    seen: dict[str, Item] = {}
    for item in found:
        seen.setdefault(item.id, item)
    return list(seen.values())


@st.composite
def configs(draw: st.DrawFn) -> Config:
    site = Site(
        title=draw(nasty_text), base_url="https://hub.example.org",
        language=draw(st.sampled_from(["en", "fr-CH", "pt-BR"])),
        description=draw(nasty_text), author=draw(nasty_text),
        icon=draw(st.sampled_from(["", "https://hub.example.org/i.png"])),
        logo=draw(st.sampled_from(["", "https://hub.example.org/l.png"])),
        websub_hub=draw(st.sampled_from(["", "https://pubsub.example.org/"])),
    )
    return Config(
        path=Path("/nonexistent/sources.yaml"), site=site,
        categories=(Category("news", draw(nasty_text)), Category("press", draw(nasty_text))),
        sources=(Source("feed-a", SourceKind.FEED, "https://example.org/a.rss",
                        title=draw(nasty_text)),
                 Source("page-b", SourceKind.HTML, "pages/b.html",
                        base_url="https://example.org/b/", title=draw(nasty_text))),
    )


def _ids_from_xml(data: bytes) -> list[str]:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.id for entry in parsed.entries]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), found=st.lists(items(), max_size=6).map(unique_ids),
       archive=st.integers(0, 2))
def test_any_text_in_any_field_yields_well_formed_parseable_files(
        config: Config, found: list[Item], archive: int) -> None:
    doc = make_doc(config, "news", found, archive=archive, prev_archive=max(archive - 1, 0),
                   next_archive=archive + 1 if archive else 0)
    ids = [f"urn:uuid:{item.id}" for item in found]
    rss, atom, feed = render_rss(doc), render_atom(doc), render_json(doc)
    for name, data in (("x.rss", rss), ("x.atom", atom), ("x.json", feed)):
        check_well_formed(name, data)
    assert _ids_from_xml(rss) == ids
    assert _ids_from_xml(atom) == ids
    assert [i["id"] for i in json.loads(feed)["items"]] == ids
    assert json_feed_problems(feed) == []
    for entry in feedparser.parse(atom).entries:
        assert entry.title.strip()
    check_well_formed("feeds.opml", render_opml([doc], config.site.title, config.site.author))
    for name, data, _when in render_pages(config, [doc]):
        if name.startswith("static/"):
            continue  # feedhub's own files, the same whatever the items
        if name.endswith(".js"):
            match = re.search(rb"var feed = (\{.*?\});\n", data)
            assert match is not None and data.isascii()
            assert len(json.loads(match.group(1))["items"]) == len(found)
        else:
            check_well_formed(name, data)
            if name.endswith(".html"):
                root = etree.fromstring(data)
                # No inline script; the only script is the site's own file.
                assert all(e.get("src", "").endswith("/static/feedhub.js") and not e.text
                           for e in root.iter("script"))
                assert not [e for e in root.iter() if isinstance(e.tag, str)
                            and any(a.startswith("on") for a in e.attrib)]


def test_fuzzed_atom_feeds_pass_the_rfc4287_schema(tmp_path: Path) -> None:
    """Seeded random nasty items (no Hypothesis: jing runs once over all the files)."""
    rng = random.Random(20261125)

    def text() -> str:
        return "".join(rng.choice(NASTY) if rng.random() < 0.3 else
                       chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(0, 12)))

    base = datetime(2021, 1, 1, tzinfo=UTC)
    paths = []
    for n in range(20):
        found = [Item(id=f"{n:08x}-{k:04x}-4000-8000-000000000000", title=text(),
                      link=rng.choice(["", "https://example.org/" + text(), text()]),
                      published=base + timedelta(hours=k), updated=base + timedelta(hours=k),
                      summary=text(), content=rng.choice(["", text()]), author=text(),
                      labels=(text(),), categories=("news",), sources=("feed-a",),
                      image=rng.choice(["", "https://example.org/i.png", text()]),
                      enclosures=(Enclosure("https://example.org/a.mp3", text(), k),))
                 for k in range(5)]
        config = Config(path=Path("/nonexistent/sources.yaml"),
                        site=Site(title=text(), base_url="https://hub.example.org",
                                  description=text(), author=text()),
                        categories=(Category("news", text()),),
                        sources=(Source("feed-a", SourceKind.FEED, "https://example.org/a.rss",
                                        title=text()),))
        doc = make_doc(config, "news", found, archive=n % 3)
        path = tmp_path / f"fuzz-{n}.atom"
        path.write_bytes(render_atom(doc))
        paths.append(path)
    assert atom_schema_problems(paths) == []
