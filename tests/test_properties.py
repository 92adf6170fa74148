"""Properties of the pure core, checked with Hypothesis (issue 4, item 7; issue 7, item 6).

- normalising twice changes nothing;
- merging does not depend on the order of the sightings;
- every stored date is timezone-aware UTC;
- URL variants of one story (tracking parameters, http/https, case, port, fragment, slash,
  percent-encoding) keep one id;
- arbitrary text in any field still yields well-formed RSS, Atom and JSON Feed.

Example counts are kept modest so the suite stays fast.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import tempfile
import unicodedata
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import lxml.etree as etree
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from feedhub import categories, links, normalise
from feedhub.categories import CategoryMap
from feedhub.model import Category, Config, Enclosure, Item, RawEntry, Site, Source, SourceKind
from feedhub.normalise import merge, merge_all, normalise_entries
from feedhub.publish.document import make_doc
from feedhub.publish.feeds import render_atom, render_rss
from feedhub.publish.jsonfeed import render_json
from feedhub.store import open_store

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
SOURCE = Source(id="src", kind=SourceKind.FEED, location="feed.xml", default_category="news",
                timezone="Europe/Zurich", base_url="https://base.example.org/section/")
CATEGORIES = (Category(slug="news", title="News", labels=("News", "Actualités")),
              Category(slug="jobs", title="Jobs", keywords=("vacancy",), exclude=("closed",)))
CATMAP = CategoryMap.from_categories(CATEGORIES)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Any code point, lone surrogates and controls included: what a broken source can hand over.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
htmlish = st.lists(st.sampled_from([
    "<p>", "</p>", "<b>", "</b>", "<a href=\"", "\">", "</a>", "<img src=\"", "\" onerror=x>",
    "<script>", "</script>", "&amp;", "&lt;", "&#x9;", "&#0;", "javascript:", "/rel", "\x00",
    "\ud800", "<![CDATA[", "]]>", " ", "text", "é", "<svg onload=1>", "https://x.example/",
]) | any_text, max_size=12).map("".join)
field_text = st.one_of(any_text, htmlish)
naive_or_aware = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.none() | st.just(UTC) | st.builds(
        lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60)),
)
any_date = st.datetimes(timezones=st.none() | st.just(UTC) | st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60)))
"""Any date Python holds, year 1 to 9999: a source's placeholders and typos too."""
urlish = st.one_of(
    st.just(""), any_text,
    st.builds(lambda p: f"https://news.example.org/{p}", st.text("abc/-_%?=&#é", max_size=20)),
)


@st.composite
def raw_entries(draw: st.DrawFn) -> RawEntry:
    return RawEntry(
        title=draw(field_text), link=draw(urlish),
        guid=draw(st.one_of(st.just(""), any_text, urlish)),
        summary=draw(field_text), content=draw(field_text),
        published=draw(st.none() | naive_or_aware | any_date),
        updated=draw(st.none() | naive_or_aware | any_date),
        date_text=draw(st.just("") | any_text),
        labels=tuple(draw(st.lists(field_text | st.sampled_from(["news", " NEWS ",
                                                                  "Actualites"]),
                                   max_size=3))),
        image=draw(urlish), author=draw(field_text),
        enclosures=tuple(draw(st.lists(st.builds(
            Enclosure, url=urlish, type=field_text, length=st.integers(-5, 10**9)),
            max_size=2))),
        comments=draw(urlish),
    )


def normalise_one(entry: RawEntry) -> list[Item]:
    return normalise_entries([entry], SOURCE, CATMAP, "https://base.example.org/feed.xml", NOW)


def as_raw(item: Item, guid: str) -> RawEntry:
    # A published title is plain text, and says so (as an Atom type="text" title would).
    return RawEntry(title=item.title, title_html=False, link=item.link, guid=guid,
                    summary=item.summary,
                    content=item.content,
                    # An undated item's date is when it was first seen, not the source's.
                    published=None if item.undated else item.published, updated=item.updated,
                    labels=item.labels, image=item.image, author=item.author,
                    enclosures=item.enclosures, comments=item.comments)


@FAST
@given(raw_entries())
# Found by Hypothesis: a carriage return in plain text came back as LF through nh3.
@example(RawEntry(title="", link="0", content="0\r>"))
@example(RawEntry(title="", link="0", summary="a\r\nb"))
def test_normalising_twice_changes_nothing(entry: RawEntry) -> None:
    once = normalise_one(entry)
    for item in once:
        again = normalise_one(as_raw(item, entry.guid))
        assert again == [item]


@st.composite
def sightings(draw: st.DrawFn) -> list[Item]:
    """Two to four sightings of one story, from different sources, as normalise makes them."""
    count = draw(st.integers(2, 4))
    items = []
    for n in range(count):
        entry = draw(raw_entries())
        source = replace(SOURCE, id=f"s{n}")
        found = normalise_entries([replace(entry, link="https://one.example.org/story")],
                                  source, CATMAP, "https://one.example.org/", NOW)
        items.append(replace(found[0], first_seen=NOW + timedelta(minutes=draw(
            st.integers(0, 3)))))
    return items


@FAST
@given(sightings())
def test_merge_does_not_depend_on_the_order_of_sources(items: list[Item]) -> None:
    results = {merge_all(order) for order in itertools.permutations(items)}
    assert len(results) == 1
    a, b = items[0], items[1]
    assert merge(a, b) == merge(b, a)
    merged = results.pop()
    assert merged.published == min(i.published for i in items)
    assert set(merged.sources) == {s for i in items for s in i.sources}
    assert set(merged.categories) == {c for i in items for c in i.categories}
    assert len(merged.summary) == max(len(i.summary) for i in items)
    assert bool(merged.comments) == any(i.comments for i in items)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_entries(), min_size=1, max_size=5))
def test_every_stored_date_is_utc(entries: list[RawEntry]) -> None:
    items = normalise_entries(entries, SOURCE, CATMAP, "https://base.example.org/", NOW)
    with tempfile.TemporaryDirectory() as folder, \
            open_store("sqlite:///feedhub.db", Path(folder)) as store:
        with store.transaction() as db:
            store.save_items(db, [replace(i, first_seen=NOW) for i in items], NOW)
        for item in store.items_for("all", 100):
            for when in (item.published, item.updated, item.first_seen):
                assert when is not None and when.tzinfo is not None
                assert when.utcoffset() == timedelta(0)
            assert item.updated >= item.published
            assert item.published <= NOW + timedelta(days=1)
            assert item.published.year >= 1000  # no placeholder such as 0001-01-01


segment = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=8)


@st.composite
def url_variants(draw: st.DrawFn) -> tuple[str, str]:
    """One story's URL and a variant of it that must keep its id."""
    host = draw(st.sampled_from(["news.example.org", "www.example.com", "xn--bcher-kva.ch"]))
    path = "/".join(draw(st.lists(segment, min_size=1, max_size=3)))
    params = draw(st.lists(st.tuples(segment, segment), max_size=2, unique_by=lambda p: p[0]))
    query = "&".join(f"q{k}={v}" for k, v in params)
    base = f"https://{host}/{path}" + (f"?{query}" if query else "")
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    shown_host = draw(st.sampled_from([host, host.upper()]))
    port = draw(st.sampled_from(["", ":443" if scheme.lower() == "https" else ":80"]))
    shown_path = "/".join(
        quote(s, safe="") if draw(st.booleans()) else
        "".join(f"%{ord(c):02X}" if c.isalnum() and draw(st.booleans()) else c for c in s)
        for s in path.split("/"))
    slash = draw(st.sampled_from(["", "/"]))
    tracking = draw(st.lists(st.sampled_from([
        "utm_source=rss", "utm_medium=feed", "UTM_Campaign=x", "fbclid=IwAR", "gclid=1",
        "mc_cid=2", "mc_eid=3"]), max_size=3, unique=True))
    shown_params = [f"q{k}={v}" for k, v in params] + tracking
    shown_params = draw(st.permutations(shown_params))
    shown_query = "&".join(shown_params)
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    variant = (f"{scheme}://{shown_host}{port}/{shown_path}{slash}"
               + (f"?{shown_query}" if shown_query else "") + fragment)
    return base, variant


@FAST
@given(url_variants())
def test_url_variants_of_one_story_keep_one_id(pair: tuple[str, str]) -> None:
    base, variant = pair
    one = normalise_one(RawEntry(title="A story", link=base))
    two = normalise_one(RawEntry(title="A story, edited", link=variant))
    assert one[0].id == two[0].id, pair


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_entries(), min_size=1, max_size=4), field_text, field_text)
def test_arbitrary_text_in_any_field_yields_well_formed_feeds(
        entries: list[RawEntry], site_title: str, category_title: str) -> None:
    items = normalise_entries(entries, SOURCE, CATMAP, "https://base.example.org/", NOW)
    items = [replace(i, first_seen=NOW) for i in items]
    config = Config(
        path=Path("/nonexistent/sources.yaml"),
        site=Site(title=site_title or "t", base_url="https://hub.example.org",
                  description=site_title, author=category_title),
        categories=(Category(slug="news", title=category_title or "News"),),
        sources=(SOURCE,),
    )
    for slug in ("all", "news"):
        doc = make_doc(config, slug, items)
        for render in (render_rss, render_atom):
            data = render(doc)
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
            assert root is not None
        parsed = json.loads(render_json(doc).decode("utf-8"))
        assert len(parsed["items"]) == len(items)


# -- fast paths of normalise must give what the general code gives ----------------------------

BASES = ("", "https://base.example.org/section/", "http://base.example.org/a/b?q#f",
         "HTTPS://Base.Example.org", "ftp://files.example.org/", "/relative/base", "news.html")


@settings(max_examples=300, deadline=None)
@given(st.from_regex(links.PLAIN_HTTP_URL, fullmatch=True), st.sampled_from(BASES))
# Near misses the full check changes (urljoin drops an empty path parameter, query or
# fragment; a port out of range or an upper-case scheme): the fast path must not take them.
@example("https://h.example/a;", BASES[1])
@example("https://h.example/a?", BASES[1])
@example("https://h.example/a#", BASES[1])
@example("https://h.example:99999/", "")
@example("HTTPS://h.example/", "")
@example("https://h.example/a&b", BASES[1])
def test_a_plain_absolute_url_is_what_the_full_check_makes_of_it(url: str, base: str) -> None:
    # Whatever the fast path lets through, the full check returns unchanged, for any base.
    assume(len(url) <= links.MAX_URL)
    if links.PLAIN_HTTP_URL.match(url):
        assert links._checked_url(url, base) == url
        assert links.safe_url(url, base) == url


url_pieces = st.lists(st.sampled_from([
    "http://", "https://", "HTTP://", "h.example", ":8080", ":99999", ":", "/", "//", "?", "#",
    ";", "&amp;", "&", "'", "%20", " ", "\t", "a", "é", "[::1]", "@", "..", "\\", "javascript:",
    "mailto:x@y", "\x00",
]), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(url_pieces | any_text, st.sampled_from(BASES))
def test_safe_url_is_the_full_check_for_any_text(url: str, base: str) -> None:
    assert links.safe_url(url, base) == links._checked_url(url, base)


linked_html = st.lists(st.tuples(
    st.sampled_from(['<a href="{}">x</a>', '<img src="{}">', "<q cite='{}'>q</q>", "text "]),
    st.from_regex(links.PLAIN_HTTP_URL, fullmatch=True) | url_pieces,
), max_size=4).map(lambda parts: "".join(t.format(u) for t, u in parts))


@settings(max_examples=300, deadline=None)
@given(htmlish | linked_html, st.sampled_from(BASES))
def test_absolutise_keeps_plain_urls_as_the_full_rewrite_would(fragment: str, base: str) -> None:
    cleaned = normalise._CLEANER.clean(normalise.strip_xml_forbidden(fragment))

    def full(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2))
        if value.lower().startswith("mailto:"):
            return match.group(0)
        absolute = links._checked_url(value, base)
        return f"{match.group(1)}{html.escape(absolute, quote=True)}{match.group(3)}" \
            if absolute else ""

    assert normalise._absolutise(cleaned, base) == normalise._URL_ATTR.sub(full, cleaned)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_item_id_is_the_uuid5_of_the_key(key: str) -> None:
    assert normalise.item_id(key) == str(uuid.uuid5(uuid.UUID(normalise.ID_NAMESPACE), key))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(links._SIMPLE_URL, fullmatch=True) | url_pieces | any_text)
@example("https://h.example/a/")
@example("http://h.example")
@example("https://H.example/a")
@example("https://h.example./a")
@example("https://h.example:443/a")
@example("https://h.example/a%41")
def test_canonical_url_of_a_simple_url_is_what_the_full_code_makes(url: str) -> None:
    assert links.canonical_url(url) == links._canonical_url(url)


def _label_key_in_full(label: str) -> str:
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return categories._SPACE.sub(" ", stripped).strip().casefold()


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=40) | any_text)
def test_label_key_of_ascii_text_is_the_accent_free_form(label: str) -> None:
    categories.label_key.cache_clear()
    assert categories.label_key(label) == _label_key_in_full(label)
