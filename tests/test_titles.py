"""Plain-text titles keep their characters; markup titles lose their tags; neither runs."""

from __future__ import annotations

from datetime import UTC, datetime

from feedhub.categories import CategoryMap
from feedhub.extract import extract
from feedhub.model import FetchResult, Source, SourceKind
from feedhub.normalise import normalise_entries

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
