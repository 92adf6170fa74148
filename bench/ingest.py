"""Ingest speed: items per second for feed parsing and listing extraction, beside bare feedparser.

    .venv/bin/python bench/ingest.py              # 300 items per document, median of 7 runs
    .venv/bin/python bench/ingest.py --items 100 --runs 3

Inputs are generated here (seeded): an RSS 2.0 feed and an Atom 1.0 feed whose entries carry
content:encoded/content, categories, a dc:creator, media:thumbnail and a few HTML paragraphs
(in CDATA; ``rss-esc`` is the same RSS with the HTML entity-escaped instead); a
listing page of the same number of cards; a table of five times as many rows (automatic
detection must stay linear in the page). Every measurement runs on the same bytes in the same
process, and each row is the median of several runs, so ratios between rows are meaningful even
on a busy machine.

Rows:
- feedparser bare: ``feedparser.parse(io.BytesIO(body), sanitize_html=False,
  resolve_relative_uris=False)`` (a stream: bytes that name a file would be read as one)
- feedparser defaults: its sanitiser and relative-URI resolver on (what feedhub does *not* pay:
  it sanitises once with nh3 in normalise);
- feedhub, feedparser: ``extract_feed(fast=False)`` = decode + hostile-XML guard + cut at
  ``max_items`` + feedparser bare + mapping (what every document cost before the fast path);
- feedhub, fast: ``extract_feed`` as the build runs it: the same, with lxml and feedhub's own
  element readers (src/feedhub/extract/fastfeed.py, fastread.py) in place of feedparser for a
  clean document (all three here are);
- guard only: decode + :func:`guard_xml`, the cost of the XML defences;
- listing, selectors / listing, automatic: ``extract_listing`` with and without selectors.
Not a unit test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import feedparser  # noqa: E402
import feedparser.api  # noqa: E402

STOCK_DRIVERS = list(feedparser.api.PREFERRED_XML_PARSERS)
"""feedparser's own SAX driver list, read before feedhub replaces it."""

from feedhub.extract.encoding import decode  # noqa: E402
from feedhub.extract.feed import extract_feed  # noqa: E402
from feedhub.extract.html import extract_listing  # noqa: E402
from feedhub.extract.xmlguard import guard_xml  # noqa: E402
from feedhub.model import FetchResult, Selectors, Source, SourceKind  # noqa: E402

WORDS = [
    "labour", "employment", "social", "protection", "wages", "youth", "women", "skills",
    "migration", "safety", "inspection", "dialogue", "standards", "report", "programme",
    "partners", "workers", "employers", "government", "rights", "decent", "work", "climate",
    "transition", "economy", "informal",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def paragraphs(rng: random.Random) -> str:
    return "".join(f"<p>{sentence(rng, 25)} <a href=\"/more/{rng.randrange(999)}\">more</a> "
                   f"<em>{sentence(rng, 6)}</em></p>" for _ in range(4))


def rss(items: int, rng: random.Random, escaped: bool = False) -> bytes:
    """``escaped``: the HTML is entity-escaped text, as most real feeds (and bench/build.py's
    corpus) write it, instead of a CDATA section."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Bench</title>'
           '<link>https://bench.example/</link><description>d</description>']
    for i in range(items):
        out.append(
            f"<item><title>{sentence(rng, 9)}</title>"
            f"<link>https://bench.example/news/{i}</link><guid>https://bench.example/news/{i}</guid>"
            f"<pubDate>{format_datetime(start + timedelta(hours=i))}</pubDate>"
            f"<dc:creator>Desk {i % 7}</dc:creator><category>Press release</category>"
            f"<category>Topic {i % 5}</category>"
            f"<description>{sentence(rng, 30)}</description>"
            + (f"<content:encoded>{escape(paragraphs(rng))}</content:encoded>" if escaped else
               f"<content:encoded><![CDATA[{paragraphs(rng)}]]></content:encoded>")
            + f'<media:thumbnail url="https://bench.example/img/{i}.jpg"/></item>')
    out.append("</channel></rss>")
    return "".join(out).encode()


def atom(items: int, rng: random.Random) -> bytes:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = ['<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           '<title>Bench</title><id>urn:bench</id><updated>2024-01-01T00:00:00Z</updated>'
           '<author><name>Desk</name></author>']
    for i in range(items):
        when = (start + timedelta(hours=i)).isoformat()
        out.append(
            f"<entry><title>{sentence(rng, 9)}</title><id>urn:bench:{i}</id>"
            f'<link href="https://bench.example/features/{i}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f'<category term="Features"/><summary>{sentence(rng, 30)}</summary>'
            f'<content type="html"><![CDATA[{paragraphs(rng)}]]></content></entry>')
    out.append("</feed>")
    return "".join(out).encode()


def listing(items: int, rng: random.Random) -> bytes:
    start = datetime(2024, 1, 1)
    cards = "".join(
        f'<li class="item"><p class="item-type">{rng.choice(["News", "Press release"])}</p>'
        f'<h3 class="item-title"><a href="/news/{i}">{sentence(rng, 9)}</a></h3>'
        f'<p class="item-date">{(start + timedelta(days=i)).strftime("%d %B %Y")}</p>'
        f'<p class="item-summary">{sentence(rng, 30)}</p>'
        f'<figure><img src="/img/{i}.jpg" alt=""></figure></li>' for i in range(items))
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head>'
            f'<body><header><nav><ul>{nav}</ul></nav></header><main><h1>News</h1>'
            f'<ol class="list-results">{cards}</ol></main><footer>f</footer></body></html>'
            ).encode()


def table(items: int) -> bytes:
    rows = "".join(
        f"<tr><td>2024-{1 + i % 12:02d}-{1 + i % 28:02d}</td><td><a href=\"/d/{i}\">Document {i} "
        f"on labour statistics and wages</a></td><td>Report</td><td>EN</td><td>PDF</td></tr>"
        for i in range(items))
    return f"<html><body><table><tbody>{rows}</tbody></table></body></html>".encode()


def medians(jobs: list[Callable[[], Any]], runs: int) -> list[float]:
    """Median seconds of each job; runs are interleaved (job 1, 2, ..., 1, 2, ...) so that a
    burst of load from other processes hits every row alike."""
    for job in jobs:
        job()  # warm-up: imports, caches
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for job, spent in zip(jobs, times, strict=True):
            gc.collect()  # the previous job's garbage must not be collected on this one's time
            clock = time.perf_counter()
            job()
            spent.append(time.perf_counter() - clock)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=300, help="items per document")
    parser.add_argument("--runs", type=int, default=7, help="runs per row (median)")
    args = parser.parse_args()
    rng = random.Random(7)
    n = args.items
    docs = {"rss": rss(n, rng), "rss-esc": rss(n, random.Random(7), escaped=True),
            "atom": atom(n, rng), "page": listing(n, rng), "table": table(n * 5)}
    url = "https://bench.example/"
    selectors = Selectors(item="li.item", title=".item-title a", link=".item-title a@href",
                          date=".item-date", label=".item-type", summary=".item-summary",
                          image="img@src")
    with_sel = Source(id="sel", kind=SourceKind.HTML, location=url, selectors=selectors)
    auto = Source(id="auto", kind=SourceKind.HTML, location=url)

    def stock(call: Callable[[], Any]) -> Callable[[], Any]:
        # Importing feedhub.extract.feed made it feedparser's SAX driver in this process: the
        # feedparser rows run with feedparser's own driver list, as a user's script would.
        def run() -> Any:
            saved = feedparser.api.PREFERRED_XML_PARSERS[:]
            feedparser.api.PREFERRED_XML_PARSERS[:] = STOCK_DRIVERS
            try:
                return call()
            finally:
                feedparser.api.PREFERRED_XML_PARSERS[:] = saved
        return run

    def bare(body: bytes) -> Callable[[], Any]:
        return stock(lambda: feedparser.parse(io.BytesIO(body), sanitize_html=False,
                                              resolve_relative_uris=False))

    def defaults(body: bytes) -> Callable[[], Any]:
        return stock(lambda: feedparser.parse(io.BytesIO(body)))

    def ours(body: bytes) -> Callable[[], Any]:
        return lambda: extract_feed("bench", FetchResult(url=url, body=body), fast=False)

    def fast(body: bytes) -> Callable[[], Any]:
        return lambda: extract_feed("bench", FetchResult(url=url, body=body))

    def guard(body: bytes) -> Callable[[], Any]:
        return lambda: guard_xml(decode(body).text)

    for kind in ("rss", "rss-esc", "atom"):
        assert len(ours(docs[kind])()) == n, kind
        assert fast(docs[kind])() == ours(docs[kind])(), kind
    page = FetchResult(url=url, body=docs["page"])
    assert len(extract_listing(with_sel, page)) == n
    assert len(extract_listing(auto, page)) == n
    rows_page = FetchResult(url=url, body=docs["table"])
    assert len(extract_listing(auto, rows_page)) == n * 5

    plan: list[tuple[str, str, int, Callable[[], Any]]] = []
    for kind in ("rss", "rss-esc", "atom"):
        body = docs[kind]
        for name, make in (("feedparser bare", bare), ("feedparser defaults", defaults),
                           ("feedhub, feedparser", ours), ("feedhub, fast", fast),
                           ("guard only", guard)):
            plan.append((kind, name, len(body), make(body)))
    for name, source in (("listing, selectors", with_sel), ("listing, automatic", auto)):
        plan.append(("html", name, len(docs["page"]),
                     lambda s=source: extract_listing(s, page)))  # type: ignore[misc]
    plan.append(("table", "listing, automatic", len(docs["table"]),
                 lambda: extract_listing(auto, rows_page)))
    seconds = medians([job for *_, job in plan], args.runs)
    rows = [(kind, name, size, secs)
            for (kind, name, size, _), secs in zip(plan, seconds, strict=True)]

    base = {kind: secs for kind, name, _, secs in rows if name == "feedparser bare"}
    print(f"ingest benchmark: {n} items per document, median of {args.runs} runs, "
          f"Python {sys.version.split()[0]}, feedparser {feedparser.__version__}")
    print(f"| {'input':<7} | {'what':<20} | {'KiB':>5} | {'ms':>8} | {'items/s':>9} | "
          f"{'x bare feedparser':>17} |")
    print(f"|{'-' * 9}|{'-' * 22}|{'-' * 7}|{'-' * 10}|{'-' * 11}|{'-' * 19}|")
    for kind, name, size, secs in rows:
        ratio = f"{secs / base[kind]:.2f}" if kind in base else "-"
        count = n * 5 if kind == "table" else n
        print(f"| {kind:<7} | {name:<20} | {size / 1024:>5.0f} | {secs * 1000:>8.1f} | "
              f"{count / secs:>9.0f} | {ratio:>17} |")


if __name__ == "__main__":
    main()
