"""The fast reading of clean feeds gives what feedparser gives, down to the normalised items.

Each document is read both ways (tests/support/fastdiff.py): by the fast path (lxml and
feedhub's own element readers, src/feedhub/extract/fastfeed.py and fastread.py) and by
feedparser, the reference.
Their entries (ids, titles and their type, links, dates, summaries, content, categories,
enclosures, authors, images, comments) and normalised items must be equal, over:

- generated RSS (0.91 to 2.0) and Atom 1.0 documents (Hypothesis): tricky titles, entities,
  CDATA, HTML in descriptions, missing and repeated fields, dates in several formats and none,
  relative links, several categories, subjects, keywords, enclosures and authors, media groups,
  cut by ``max_items``;
- every feed document feedhub ships (tests/data, examples/, the bench corpora);
- the edge cases in tests/data/fastfeed/, written after the kinds of cases in feedparser's own
  test corpus and the shapes of common publishers' feeds (WordPress, YouTube, GitHub, Reddit,
  podcasts): those at the top must be admitted, those in refused/ (feedparser's
  idiosyncrasies, which the fast path does not imitate) must be refused.

Generated and edge-case documents must also be admitted (else the test would compare feedparser
with itself). Documents the guard refuses must be read by feedparser: one case per condition.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from html import escape
from pathlib import Path
from types import ModuleType

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedhub.extract.fastfeed import Unclean, read_clean_feed
from feedhub.extract.feed import prepare_xml
from feedhub.model import FetchResult

from .support.fastdiff import Readings, readings

ROOT = Path(__file__).resolve().parent.parent
EDGE_CASES = sorted((ROOT / "tests" / "data" / "fastfeed").glob("*.xml"))
REFUSED_EDGE_CASES = sorted((ROOT / "tests" / "data" / "fastfeed" / "refused").glob("*.xml"))
SHIPPED = sorted(
    path for folder in (ROOT / "tests" / "data", ROOT / "examples")
    for path in folder.rglob("*")
    if path.suffix in (".xml", ".rss", ".atom", ".rdf") and "fastfeed" not in path.parts)


def assert_same(reading: Readings, admitted: bool = True) -> None:
    assert reading.differences() == []
    assert reading.fast_items == reading.reference_items
    if admitted:
        assert reading.admitted, "the fast path should have read this document"


# -- generated documents ----------------------------------------------------------------------

WORDS = st.sampled_from([
    "labour", "AT&T", "a < b", "Vector<T>", "R&D", "café", "労働", "🎉", "\u201cq\u201d",
    "<b>bold</b>", "&amp;", "&lt;i&gt;", "&#8217;", "&nbsp;", "x]]>y", "  ", "\n", "\t", "",
    "O'Neil", '"quoted"', "http://x.example/a?b=1&c=2", "<script>x()</script>",
    "<p>para</p>", "&bogus;", "é", "\xa0"])


@st.composite
def text(draw: st.DrawFn) -> str:
    """Element content (already XML): escaped text, character references and CDATA sections."""
    parts = []
    for word in draw(st.lists(WORDS, max_size=6)):
        kind = draw(st.sampled_from(["escaped", "escaped", "cdata", "charref"]))
        if kind == "cdata" and "]]>" not in word:
            parts.append(f"<![CDATA[{word}]]>")
        elif kind == "charref" and word:
            parts.append("".join(f"&#{ord(c)};" if c not in "\t\n" else c for c in word))
        else:
            parts.append(escape(word, quote=False))
        parts.append(draw(st.sampled_from([" ", "", "\n  "])))
    return "".join(parts)


URLS = st.sampled_from([
    "https://ex.example/a", "https://ex.example/b?x=1&amp;utm_source=y", "/relative/path",
    "../up", "https://ex.example//double//slashes", "javascript:alert(1)", "",
    "  https://ex.example/ws  ",
    "https://EX.example:443/Caps/", "tag:ex.example,2026:1", "urn:uuid:1234", "mailto:x@ex.example",
    "https://ex.example/a"])
DATES = st.sampled_from([
    "Sun, 31 May 2026 08:30:00 +0200", "31 May 26 08:30 EST", "Mon, 1 Jun 2026 25:00:00 GMT",
    "2026-05-30T12:00:00Z", "2026-05-30", "2026-05-30T12:00:00.5+05:30", "yesterday", "",
    "Fri, 01 Jan 2100 00:00:00 GMT", "1900-01-01T00:00:00Z", "2026-13-45T00:00:00Z"])
EMAILS = st.sampled_from(["c@ex.example", "desk.news+1@ex-ample.example", "a@b"])
NAMES = st.sampled_from(["Ann", "bob@ex.example (Bob)", "Desk &amp; Co", "c@ex.example", "",
                         "Joe &lt;joe@ex.example&gt;", "労働"])
ATOM_NAMES = NAMES.filter(lambda name: "@" not in name)  # an address in a name: refused
PARTS = {"name": ATOM_NAMES, "name+": ATOM_NAMES.filter(bool), "email": EMAILS, "uri": URLS}
"""An Atom author's parts ("name+": a name that is not empty)."""


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    def attr(value: str) -> str:
        return escape(value, quote=True)

    choices = {
        "title": lambda: f"<title>{draw(text())}</title>",
        "link": lambda: f"<link>{draw(URLS)}</link>",
        "guid": lambda: "<guid{}>{}</guid>".format(
            draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"'])),
            draw(URLS | st.sampled_from(["123", "same"]))),
        "description": lambda: f"<description>{draw(text())}</description>",
        "content": lambda: f"<content:encoded>{draw(text())}</content:encoded>",
        "pubDate": lambda: f"<pubDate>{draw(DATES)}</pubDate>",
        "dc:date": lambda: f"<dc:date>{draw(DATES)}</dc:date>",
        "author": lambda: f"<author>{draw(NAMES)}</author>",
        "dc:creator": lambda: f"<dc:creator>{draw(NAMES)}</dc:creator>",
        "category": lambda: "<category{}>{}c</category>".format(
            draw(st.sampled_from(["", ' domain="urn:d"'])), draw(text())),
        "enclosure": lambda: '<enclosure url="{}" length="{}" type="{}"/>'.format(
            attr(draw(URLS)), draw(st.sampled_from(["1", "x", "-3", ""])),
            draw(st.sampled_from(["audio/mpeg", "image/png", "video/mp4", ""]))),
        "thumbnail": lambda: f'<media:thumbnail url="{attr(draw(URLS))}"/>',
        "media": lambda: '<media:content url="{}"{}/>'.format(
            attr(draw(URLS)), draw(st.sampled_from(
                ["", ' medium="audio"', ' medium="image"', ' type="video/mp4"']))),
        "comments": lambda: f"<comments>{draw(URLS)}</comments>",
        "itunes:image": lambda: f'<itunes:image href="{attr(draw(URLS))}"/>',
        "itunes:summary": lambda: f"<itunes:summary>{draw(text())}</itunes:summary>",
        "media:description": lambda: draw(media_description()),
        "unknown": lambda: f"<x:note>{draw(text())}</x:note>",
        "dc:subject": lambda: f"<dc:subject>{draw(text())}</dc:subject>",
        "keywords": lambda: draw(keywords()),
        "group": lambda: draw(media_group()),
    }
    names = draw(fields(RSS_ONCE, RSS_MANY))
    return "<item>" + "".join(choices[name]() for name in names) + "</item>"


RSS_ONCE = ("title", "link", "guid", "description|itunes:summary|media:description", "content",
            "pubDate", "dc:date", "author|dc:creator", "comments", "itunes:image")
"""Single-valued: at most one each (a second one is refused: feedparser's reading of it is
its own), and one of each pair."""
RSS_MANY = ("category", "enclosure", "thumbnail", "media", "unknown", "dc:subject", "keywords",
            "group")


@st.composite
def keywords(draw: st.DrawFn, names: tuple[str, ...] = ("itunes", "media")) -> str:
    """An itunes:keywords or media:keywords list: words, empty parts, spaces around commas."""
    words = draw(st.lists(WORDS, max_size=5))
    separators = st.sampled_from([",", ", ", " ,", ",,", " , "])
    joined = "".join(escape(word, quote=False) + draw(separators) for word in words)
    name = draw(st.sampled_from(names)) + ":keywords"
    return f"<{name}>{joined}</{name}>"


@st.composite
def media_description(draw: st.DrawFn) -> str:
    """A media:description, in the item or inside a media:group."""
    kind = draw(st.sampled_from(["", ' type="plain"', ' type="html"']))
    element = f"<media:description{kind}>{draw(text())}</media:description>"
    return draw(st.sampled_from([element, f"<media:group>{element}</media:group>"]))


@st.composite
def media_group(draw: st.DrawFn) -> str:
    """A media:group of renditions, thumbnails, keywords, categories and ratings."""
    children = {
        "content": lambda: '<media:content url="{}"{}/>'.format(
            escape(draw(URLS), quote=True), draw(st.sampled_from(
                ["", ' medium="video" fileSize="3"', ' medium="image"', ' type="audio/mpeg"']))),
        "thumbnail": lambda: f'<media:thumbnail url="{escape(draw(URLS), quote=True)}"/>',
        "keywords": lambda: draw(keywords(("media",))),
        "category": lambda: f"<media:category>{draw(text())}</media:category>",
        "community": lambda: '<media:community><media:starRating count="2" average="4.5"/>'
                             '<media:statistics views="9"/></media:community>',
        "rating": lambda: '<media:rating scheme="urn:simple">nonadult</media:rating>',
    }
    names = draw(st.lists(st.sampled_from(sorted(children)), max_size=6))
    return "<media:group>" + "".join(children[name]() for name in names) + "</media:group>"


def fields(once: tuple[str, ...], many: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """Element names for one item or entry, in any order: single-valued ones at most once."""
    singles = st.lists(st.sampled_from(once), unique=True, max_size=len(once)).flatmap(
        lambda names: st.tuples(*(st.sampled_from(name.split("|")) for name in names)))
    return st.tuples(singles, st.lists(st.sampled_from(many), max_size=5)).flatmap(
        lambda parts: st.permutations([*parts[0], *parts[1]]))


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    def attr(value: str) -> str:
        return escape(value, quote=True)

    kind = st.sampled_from(["", ' type="text"', ' type="html"', ' type="text/html"'])
    choices = {
        "title": lambda: f"<title{draw(kind)}>{draw(text())}</title>",
        "id": lambda: f"<id>{draw(URLS)}</id>",
        "link": lambda: '<link{}{} href="{}"/>'.format(
            draw(st.sampled_from(["", ' rel="alternate"'])),
            draw(st.sampled_from(["", ' type="text/html"'])), attr(draw(URLS))),
        "other link": lambda: '<link{}{} href="{}"/>'.format(
            draw(st.sampled_from([' rel="enclosure"', ' rel="replies"', ' rel="related"',
                                  ' rel="self"'])),
            draw(st.sampled_from([' type="audio/mpeg"', ' type="image/jpeg"', ""])),
            attr(draw(URLS))),
        "published": lambda: f"<published>{draw(DATES)}</published>",
        "updated": lambda: f"<updated>{draw(DATES)}</updated>",
        "summary": lambda: f"<summary{draw(kind)}>{draw(text())}</summary>",
        "content": lambda: f"<content{draw(kind)}>{draw(text())}</content>",
        "authors": lambda: "".join(  # one with any parts, or several with names only
            "<author>" + "".join(f"<{part.rstrip('+')}>{draw(PARTS[part])}</{part.rstrip('+')}>"
                                 for part in parts) + "</author>"
            for parts in draw(st.sampled_from([
                [["name"]], [["email"]], [["name", "email"]], [["email", "uri", "name"]],
                [["name+"], ["name+"]], [["uri", "name+"], ["name+"], ["name+"]]]))),
        "contributor": lambda: f"<contributor><name>{draw(NAMES)}</name></contributor>",
        "category": lambda: '<category term="{}"{}/>'.format(
            attr(draw(WORDS)), draw(st.sampled_from(["", ' label="L"', ' scheme="urn:s"']))),
        "thumbnail": lambda: f'<media:thumbnail url="{attr(draw(URLS))}"/>',
        "media:description": lambda: draw(media_description()),
        "group": lambda: draw(media_group()),
    }
    names = draw(fields(ATOM_ONCE, ATOM_MANY))
    if "id" in names and "link" not in names:
        names.append("link")  # else its id would be its link: refused
    return "<entry>" + "".join(choices[name]() for name in names) + "</entry>"


ATOM_ONCE = ("title", "id", "link", "published", "updated", "summary|media:description", "content",
             "authors")
ATOM_MANY = ("other link", "contributor", "category", "thumbnail", "group")


NAMESPACES = ('xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:media="http://search.yahoo.com/mrss/" '
              'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:x="urn:x"')


@st.composite
def rss_document(draw: st.DrawFn) -> bytes:
    channel = draw(st.sampled_from(["", "<description>d</description>",
                                    '<itunes:image href="https://ex.example/i.png"/>']))
    items = "".join(draw(st.lists(rss_item(), max_size=6)))
    version = draw(st.sampled_from(["2.0", "0.91", "0.92", "0.94", "2.0.1"]))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="{version}" {NAMESPACES}><channel>'
            f"<title>{draw(text())}</title><link>https://ex.example/</link>{channel}{items}"
            "</channel></rss>").encode()


@st.composite
def atom_document(draw: st.DrawFn) -> bytes:
    author = draw(st.sampled_from(["", "<author><name>Feed Desk</name></author>",
                                   "<author><email>f@ex.example</email></author>"]))
    entries = "".join(draw(st.lists(atom_entry(), max_size=6)))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:media="http://search.yahoo.com/mrss/"><title>{draw(text())}</title>'
            f"<id>urn:f</id>{author}{entries}</feed>").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rss_document() | atom_document(), st.none() | st.integers(0, 4))
def test_generated_feeds_read_the_same_both_ways(body: bytes, max_items: int | None) -> None:
    assert_same(readings(body, max_items=max_items))


# -- documents feedhub ships ------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_documents_read_the_same_both_ways(path: Path) -> None:
    assert_same(readings(path.read_bytes()), admitted=False)


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bench_corpora_are_read_fast_and_the_same() -> None:
    build, ingest = _bench("build"), _bench("ingest")
    corpus = build.make_corpus(8)
    bodies = [source.body for source in corpus.feeds]
    bodies += [ingest.rss(20, random.Random(1)), ingest.rss(20, random.Random(1), escaped=True),
               ingest.atom(20, random.Random(1))]
    assert len(bodies) == 7
    for body in bodies:
        assert_same(readings(body))


@pytest.mark.parametrize("path", EDGE_CASES, ids=lambda p: p.name)
def test_edge_cases_read_the_same_both_ways(path: Path) -> None:
    assert_same(readings(path.read_bytes()))


@pytest.mark.parametrize("path", REFUSED_EDGE_CASES, ids=lambda p: p.name)
def test_refused_edge_cases_go_to_feedparser(path: Path) -> None:
    reading = readings(path.read_bytes())
    assert not reading.admitted, "feedparser should have read this document"
    assert_same(reading, admitted=False)


# -- what the guard refuses goes to feedparser ------------------------------------------------

RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{ns}><channel><title>T</title>'
       "<item><title>Story</title><link>https://ex.example/1</link>{item}</item></channel></rss>")
ATOM = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{ns}>'
        "<title>T</title><id>urn:t</id><entry><title>Story</title><id>urn:t:1</id>"
        '<link href="https://ex.example/1"/>{item}</entry></feed>')
MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'
REFUSED = {
    "not well-formed": (RSS.format(ns="", item="<description>a</descr>"), "strict parser"),
    "an undefined entity": (RSS.format(ns="", item="<description>&nbsp;</description>"),
                            "strict parser"),
    "a DOCTYPE": ('<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                  '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
                  + RSS.format(ns="", item="").split("?>", 1)[1], "DOCTYPE"),
    "RSS with an empty version": (RSS.format(ns="", item="").replace('"2.0"', '""'),
                                  "no RSS 0.91 to 2.0"),
    "RSS 0.90's version on an RSS root": (RSS.format(ns="", item="").replace('"2.0"', '"0.90"'),
                                          "no RSS 0.91 to 2.0"),
    "RSS 1.0": ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel>'
                "<item><title>Story</title><link>https://ex.example/1</link></item></rdf:RDF>",
                "declared as"),
    "Atom 0.3": (ATOM.format(ns="", item="").replace("http://www.w3.org/2005/Atom",
                                                     "http://purl.org/atom/ns#"), "declared as"),
    "Atom with RSS 1.0 declared": (ATOM.format(ns="", item="").replace(
        "<feed ", '<feed xmlns:r="http://purl.org/rss/1.0/" '), "declared as 'r'"),
    "an item outside the channel": (RSS.format(ns="", item="").replace(
        "</channel>", "</channel><item><title>x</title></item>"), "one <channel>"),
    "xml:base": (ATOM.format(ns="", item='<link xml:base="/b/" href="c"/>'), "base"),
    "a base attribute": (RSS.format(ns="", item='<category base="x">c</category>'), "base"),
    "C1 controls": (RSS.format(ns="", item="<description>&#x93;q&#x94;</description>"),
                    "C1 control"),
    "a prefix bound twice": (RSS.format(ns=' xmlns:a="urn:a"', item='<a:x xmlns:a="urn:b"/>'),
                             "bound to two namespaces"),
    "an own namespace under a prefix feedparser reads": (
        RSS.format(ns=' xmlns:dc="urn:not-dublin-core"', item="<dc:creator>x</dc:creator>"),
        "declared as 'dc'"),
    "an own namespace as the default": (
        RSS.format(ns="", item='<x xmlns="urn:x"><title>t</title></x>'), "the default"),
    "a namespace feedparser reads (dcterms)": (RSS.format(
        ns=' xmlns:dcterms="http://purl.org/dc/terms/"',
        item="<dcterms:modified>2026-01-01</dcterms:modified>"), "declared as 'dcterms'"),
    "a namespace feedparser reads (georss)": (RSS.format(
        ns=' xmlns:geo="http://www.georss.org/georss"', item="<geo:point>45 -70</geo:point>"),
        "declared as 'geo'"),
    "XLink": (RSS.format(ns=' xmlns:xl="http://www.w3.org/1999/xlink"', item=""), "xlink"),
    "markup inside a description": (RSS.format(ns="", item="<description>a <b>b</b></description>"),
                                    "markup inside <description>"),
    "a comment inside a title": (RSS.format(ns="", item="").replace(
        "<title>Story</title>", "<title>Story <!-- c --> x</title>"), "markup inside <title>"),
    "markup inside an Atom title": (ATOM.format(ns="", item="").replace(
        "<title>Story</title>", "<title>Story <em>x</em></title>"), "markup inside"),
    "XHTML content": (ATOM.format(ns="", item='<content type="xhtml"><div '
                                  'xmlns="http://www.w3.org/1999/xhtml">x</div></content>'),
                      "bound to two namespaces"),
    "XHTML content, no namespace": (ATOM.format(ns="", item='<content type="xhtml"><div>x</div>'
                                                '</content>'), "of type 'xhtml'"),
    "base64 content": (ATOM.format(ns="", item='<content type="image/png">AAAA</content>'),
                       "image/png"),
    "base64 mode": (ATOM.format(ns="", item='<summary mode="base64">QUJD</summary>'),
                    "base64"),
    "content by reference": (ATOM.format(ns="", item='<content src="https://ex.example/c"/>'),
                             "src"),
    "a second title": (RSS.format(ns="", item="<title>again</title>"), "a second title"),
    "a description and an itunes:summary": (RSS.format(
        ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
        item="<description>d</description><itunes:summary>s</itunes:summary>"),
        "a second summary"),
    "two Atom summaries": (ATOM.format(ns="", item="<summary>a</summary><summary>b</summary>"),
                           "a second summary"),
    "two authors in RSS": (RSS.format(
        ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"',
        item="<author>a@ex.example (A)</author><dc:creator>B</dc:creator>"), "a second author"),
    "a second Atom alternate link": (ATOM.format(ns="", item='<link href="https://ex.example/2"/>'),
                                     "a second alternate link"),
    "a channel summary": (RSS.format(
        ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"', item="").replace(
        "<title>T</title>", "<title>T</title><itunes:summary>s</itunes:summary>"),
        "itunes.com"),
    "an RSS element the reader does not read": (RSS.format(ns="", item="<subtitle>s</subtitle>"),
                                                "<subtitle>"),
    "an RSS source": (RSS.format(ns="", item='<source url="https://o.example/">O</source>'),
                      "<source>"),
    "an Atom source": (ATOM.format(ns="", item="<source><title>S</title></source>"),
                       "source>"),
    "element names in other case": (ATOM.format(ns="", item="<Updated>2026-01-01</Updated>"),
                                    "Updated>"),
    "an Atom entry whose id would be its link": (ATOM.format(ns="", item="").replace(
        '<link href="https://ex.example/1"/>', ""), "no alternate link"),
    "an Atom author with no name after another": (ATOM.format(
        ns="", item="<author><name>A</name></author><author><email>b@ex.example</email></author>"),
        "one without a name"),
    "an address in an Atom author's name": (ATOM.format(
        ns="", item="<author><name>a@ex.example (A)</name></author>"), "holding an address"),
    "an Atom author's email that is no plain address": (ATOM.format(
        ns="", item="<author><name>A</name><email>a@ex.example (A)</email></author>"),
        "not a plain address"),
    "text that reads as UTF-8 read as Latin-1": (
        RSS.format(ns="", item="<description>caf\u00c3\u00a9</description>"), "Latin-1"),
    "isPermaLink in other case": (RSS.format(ns="", item='<guid isPermaLink="True">g</guid>'),
                                  "isPermaLink"),
    "an address feedparser repairs (slashes)": (RSS.format(ns="", item="").replace(
        "https://ex.example/1", "https:///ex.example/1"), "repair"),
    "an address feedparser repairs (references)": (RSS.format(ns="", item="").replace(
        "https://ex.example/1", "https://ex.example/1?a&amp;amp;b"), "repair"),
    "a thumbnail given as text": (RSS.format(
        ns=' xmlns:media="http://search.yahoo.com/mrss/"',
        item="<media:thumbnail>https://ex.example/t.jpg</media:thumbnail>"), "url attribute"),
    "a media:content with elements inside (Mastodon's alt text)": (RSS.format(
        ns=MEDIA, item='<media:content url="https://ex.example/a.png" medium="image">'
        "<media:description>alt</media:description></media:content>"), "or with children"),
    "a media:group inside a media:group": (RSS.format(
        ns=MEDIA, item="<media:group><media:group/></media:group>"), "inside a media:group"),
    "an element of the item inside a media:group": (RSS.format(
        ns=MEDIA, item="<media:group><description>d</description></media:group>"),
        "<description> inside a media:group"),
    "an unknown element inside a media:community": (RSS.format(
        ns=MEDIA, item="<media:group><media:community><media:x/></media:community></media:group>"),
        "inside a media:community"),
    "a description and a media:description": (RSS.format(
        ns=MEDIA, item="<description>d</description><media:group><media:description>m"
        "</media:description></media:group>"), "a second summary"),
    "a media:description of type XHTML": (RSS.format(
        ns=MEDIA, item='<media:description type="xhtml">m</media:description>'), "'xhtml'"),
    "a media:title in an item without a title": (RSS.format(
        ns=MEDIA, item="<media:group><media:title>m</media:title></media:group>").replace(
        "<title>Story</title>", ""), "without a title of its own"),
    "a media:title beside an empty title": (RSS.format(
        ns=MEDIA, item="<media:title>m</media:title>").replace(
        "<title>Story</title>", "<title> </title>"), "without a title of its own"),
    "a thumbnail with elements inside": (RSS.format(
        ns=MEDIA, item='<media:thumbnail url="https://ex.example/t.jpg"><title>t</title>'
        "</media:thumbnail>"), "elements inside <thumbnail>"),
    "keywords with attributes (feedparser drops them)": (RSS.format(
        ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
        item='<itunes:keywords xml:lang="en">a, b</itunes:keywords>'), "with attributes"),
    "elements inside a skipped iTunes element": (RSS.format(
        ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
        item="<itunes:duration><category>c</category></itunes:duration>"),
        "elements inside <duration>"),
    "an element of the item inside an own namespace's element": (RSS.format(
        ns=' xmlns:x="urn:x"', item="<x:note><description>d</description></x:note>"),
        "<description> inside <{urn:x}note>"),
    "a category with a term attribute": (RSS.format(ns="", item='<category term="a">b</category>'),
                                         "a term attribute"),
    "an empty category with attributes": (RSS.format(
        ns="", item='<category domain="urn:d"/><category>b</category>'), "empty with attributes"),
    "an empty dc:subject with attributes": (RSS.format(
        ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"', item='<dc:subject label="L"/>'),
        "empty with attributes"),
    "a description of a type feedparser decodes as base64": (RSS.format(
        ns="", item='<description type="application/octet-stream">QUJD</description>'),
        "application/octet-stream"),
    "an RSS title in base64 mode": (RSS.format(ns="", item="").replace(
        "<title>Story</title>", '<title mode="base64">U3Rvcnk=</title>'), "base64"),
    "XML 1.1": (RSS.format(ns="", item="").replace('version="1.0"', 'version="1.1"'),
                "XML version"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_guard_refuses_and_feedparser_reads(case: str) -> None:
    body, reason = REFUSED[case]
    data = prepare_xml("t", FetchResult(url="https://ex.example/feed", body=body.encode()))
    with pytest.raises(Unclean, match=re.escape(reason)):
        read_clean_feed(data, _parse_date)
    reading = readings(body.encode())
    assert not reading.admitted
    assert_same(reading, admitted=False)


def test_the_guard_admits_the_refused_cases_once_clean() -> None:
    """Each refusal above is the condition, not the document: without it, it is admitted."""
    for body in (RSS.format(ns="", item="<description>a &lt;b&gt;b&lt;/b&gt;</description>"),
                 ATOM.format(ns="", item='<content type="html">&lt;p&gt;x&lt;/p&gt;</content>'),
                 RSS.format(ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"',
                            item="<dc:creator>x</dc:creator>"),
                 RSS.format(ns=' xmlns:x="urn:x"', item='<x:note a="b">n</x:note>'),
                 ATOM.format(ns="", item="<summary>a</summary><content>b</content>"),
                 RSS.format(ns="", item='<guid isPermaLink="true">https://ex.example/g</guid>'
                            '<category>c</category>'),
                 RSS.format(ns="", item="").replace('"2.0"', '"0.92"'),
                 RSS.format(ns="", item='<category/><category domain="urn:d">b</category>'),
                 RSS.format(ns=MEDIA, item='<media:group><media:content url="https://ex.example/'
                            'v.mp4"/><media:title>m</media:title><media:description type="plain">'
                            "d</media:description></media:group>"),
                 RSS.format(ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
                            item="<itunes:keywords>a, b</itunes:keywords>"
                            "<itunes:duration>1:00</itunes:duration>"),
                 RSS.format(ns=' xmlns:x="urn:x"', item="<x:note><x:title>t</x:title></x:note>"),
                 RSS.format(ns="", item='<description type="html">d</description>')):
        assert_same(readings(body.encode()))
