"""Plain-text titles keep their characters; markup titles lose their tags; neither runs."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape as xml_escape

import feedparser
import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedhub.categories import CategoryMap
from feedhub.extract import extract
from feedhub.model import FetchResult, RawEntry, Source, SourceKind
from feedhub.normalise import entry_title, normalise_entries
from feedhub.preview import row as preview_row
from feedhub.titles import rss_title, title_text

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>tag:x.org,2026:f</id>
<updated>2026-11-10T09:00:00Z</updated>
<entry><id>tag:x.org,2026:1</id><updated>2026-11-10T09:00:00Z</updated>
 <link href="https://x.org/1"/>
 <title type="text">Heat stress &lt;on the rise&gt; &amp; more</title></entry>
<entry><id>tag:x.org,2026:2</id><updated>2026-11-10T09:00:00Z</updated>
 <link href="https://x.org/2"/><title type="html">A &lt;b&gt;bold&lt;/b&gt; move</title></entry>
<entry><id>tag:x.org,2026:3</id><updated>2026-11-10T09:00:00Z</updated>
 <link href="https://x.org/3"/>
 <title type="html">&lt;script&gt;alert(1)&lt;/script&gt;Safe</title></entry>
</feed>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.org/</link>
<description>d</description>
<item><title>Wages: 3 &lt; 5 and x &gt; y</title><link>https://x.org/r1</link></item>
<item><title>Care work &lt;em&gt;matters&lt;/em&gt;</title><link>https://x.org/r2</link></item>
</channel></rss>"""


def titles(body: bytes) -> list[str]:
    source = Source(id="s", kind=SourceKind.FEED, location="https://x.org/feed")
    entries = extract(source, FetchResult(url="https://x.org/feed", body=body))
    items = normalise_entries(entries, source, CategoryMap.from_categories(()),
                              "https://x.org/feed", datetime(2026, 11, 12, tzinfo=UTC))
    return [item.title for item in items]


def test_atom_text_titles_keep_angle_brackets_and_html_titles_lose_tags() -> None:
    assert titles(ATOM) == ["Heat stress <on the rise> & more", "A bold move", "Safe"]


def test_rss_titles_keep_lone_angle_brackets_and_lose_tags() -> None:
    assert titles(RSS) == ["Wages: 3 < 5 and x > y", "Care work matters"]


# -- the reading rule, one case per line (tests/test_tricky_titles.py builds the table) ------

UNSAID = [  # (title as RSS, JSON Feed or listing text gives it, after XML/JSON/HTML parsing)
    ("Vector<T> vs List<T> in C#", "Vector<T> vs List<T> in C#"),
    ("if a < b and c > d", "if a < b and c > d"),
    ("Using the <details> element", "Using the <details> element"),
    ("Optional<S> and <i> alone", "Optional<S> and <i> alone"),  # known names, unpaired
    ("<b>Bold</b> news", "Bold news"),
    ("<B>Bold</b> news", "Bold news"),
    ('Budget <b onmouseover="alert(1)">news</b> &amp; more', "Budget news & more"),
    ("<script>alert('x')</script>Safe", "Safe"),
    ("Safe<script src=x>alert('x')", "Safe"),  # unclosed script hides the rest, as in a browser
    ('<a href="https://x.org/">Link</a> text', "Link text"),
    ('<a href="https://x.org/">Unclosed link', "Unclosed link"),
    ("Line<br/>break", "Line break"),
    ("Why <br> is not a paragraph", "Why <br> is not a paragraph"),
    ("<em>Headline</em><br>subhead", "Headline subhead"),
    ('<img src="x.png">Photo story', "Photo story"),
    ("AT&amp;T &#8217; &#x2014; &hellip;", "AT&T \u2019 \u2014 \u2026"),
    ("Ben&notes and AT&T", "Ben&notes and AT&T"),  # no ";": no reference
    ("x &lt; y", "x < y"),  # decoded once...
    ("x &amp;lt; y", "x &lt; y"),  # ...never twice
    ("&lt;b&gt;escaped&lt;/b&gt;", "<b>escaped</b>"),  # escaped markup is text
    ("&unknown; stays", "&unknown; stays"),
]


@pytest.mark.parametrize(("raw", "expected"), UNSAID)
def test_a_title_nobody_types_loses_only_real_markup(raw: str, expected: str) -> None:
    assert title_text(raw, None) == expected
    # The one reading: the build and `feedhub preview` show the same title.
    entry = RawEntry(title=raw, link="https://x.org/1")
    assert entry_title(entry) == expected == preview_row(entry, "UTC").title


@pytest.mark.parametrize(("raw", "is_html", "expected"), [
    ("Using the <details> element", False, "Using the <details> element"),
    ("x &lt; y &amp; <b>z</b>", False, "x &lt; y &amp; <b>z</b>"),
    ("A &lt;b&gt;bold&lt;/b&gt;", False, "A &lt;b&gt;bold&lt;/b&gt;"),
    ("a < b and c > d", True, "a < b and c > d"),
    ("Vector&lt;T&gt; &amp; <b>more</b>", True, "Vector<T> & more"),
    ("x &amp;lt; y", True, "x &lt; y"),
    ("<style>p{}</style><p>Para</p>graph", True, "Para graph"),
])
def test_a_title_that_says_what_it_is_is_read_as_it_says(
        raw: str, is_html: bool, expected: str) -> None:
    assert title_text(raw, is_html) == expected


title_chars = st.text(alphabet="<>&;/#abiTx1 \u05d0", max_size=30).map(
    lambda s: " ".join(s.split()))


@given(title_chars)
def test_an_rss_title_reads_back_as_written(title: str) -> None:
    """What the RSS publisher writes, read the way feedhub reads RSS, is the title again."""
    assert title_text(rss_title(title), None) == title


@pytest.mark.parametrize("title", [
    "AT&T", "Vector<T>", "a < b", "Tom &amp; Jerry", "</div> explained", "<b>Bold</b> as text",
    "Line<br/>break", "\u05e9\u05dc\u05d5\u05dd &lt;",
])
def test_feedparser_reads_an_rss_title_back_as_written(title: str) -> None:
    written = xml_escape(rss_title(title))
    body = (f'<rss version="2.0"><channel><title>t</title><item><title>{written}'
            "</title></item></channel></rss>").encode()
    entry = feedparser.parse(body).entries[0]
    shown = entry.title if entry.title_detail.type == "text/plain" else " ".join(
        lxml.html.fragment_fromstring(entry.title, create_parent="div").text_content().split())
    assert shown == title
