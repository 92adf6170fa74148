"""Entries serialised once and spliced into each document give the bytes feedgen writes whole.

publish/feeds.py serialises each entry once per publish and splices the entries into the
document feedgen writes around a placeholder entry; jsonfeed.py joins items encoded once. These
tests hold the spliced bytes to the whole rendering (``splice=False``, feedgen building every
entry into the document) for the bundled sources and for arbitrary text in every field, and
check that the fallback is the whole rendering when feedgen's output is not what the splice
expects.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedhub.model import ALL_SLUG, Config, Enclosure, Item
from feedhub.pipeline import build
from feedhub.publish import feeds
from feedhub.publish.document import EntryCache, FeedDoc, catalogue, make_doc
from feedhub.publish.feeds import render_atom, render_rss
from feedhub.publish.jsonfeed import render_json
from feedhub.store import open_store

from .adversarial.test_output_validity import configs, items, unique_ids

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _shared_docs(config: Config, found: list[Item], archive: int) -> list[FeedDoc]:
    """Two documents of one publish holding the same items (as an item's category archive
    and its `all` archive do), so the second one is made of entries the first one made."""
    shared = catalogue(config)
    return [make_doc(config, slug, found, shared=shared, archive=archive,
                     prev_archive=max(archive - 1, 0), next_archive=archive + 1 if archive else 0)
            for slug in ("news", ALL_SLUG)]


def _assert_spliced_as_whole(doc: FeedDoc) -> None:
    assert render_rss(doc) == render_rss(doc, splice=False)
    assert render_atom(doc) == render_atom(doc, splice=False)


def test_bundled_documents_spliced_are_the_documents_feedgen_writes(config: Config) -> None:
    assert build(config, now=NOW).ok
    with open_store(config.store, config.root) as store:
        shared = catalogue(config)
        docs = [make_doc(config, slug, store.items_for(slug, 50), shared=shared, archive=number,
                         prev_archive=max(number - 1, 0))
                for slug in config.feed_slugs for number in (0, 2)]
    assert sum(len(doc.items) for doc in docs) > 20
    assert shared.entries is not None
    for doc in docs + docs:  # the second round is all made of entries kept from the first
        _assert_spliced_as_whole(doc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), found=st.lists(items(), max_size=5).map(unique_ids),
       archive=st.integers(0, 2))
def test_any_text_spliced_is_what_feedgen_writes_whole(config: Config, found: list[Item],
                                                       archive: int) -> None:
    for doc in _shared_docs(config, found, archive):
        _assert_spliced_as_whole(doc)
        data = render_json(doc)
        # Joined items are what encoding the whole feed at once gives, byte for byte.
        assert data == (json.dumps(json.loads(data), ensure_ascii=False,
                                   separators=(",", ":")) + "\n").encode()


def test_markup_that_looks_like_entry_tags_stays_inside_its_entry(config: Config) -> None:
    tricky = "<item>x</item> </entry><entry> ]]> <![CDATA[ </channel>"
    found = [Item(id=f"{n:08x}-0000-4000-8000-000000000000", title=tricky, link="https://e.org/",
                  published=NOW - timedelta(hours=n), updated=NOW, summary=tricky,
                  content=tricky, categories=("news",), author=tricky,
                  enclosures=(Enclosure("https://e.org/a.mp3", "audio/mpeg", 5),))
             for n in range(3)]
    for doc in _shared_docs(config, found, 1):
        _assert_spliced_as_whole(doc)


def test_a_feedgen_that_writes_otherwise_gets_whole_documents(
        config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    found = [Item(id="0000000a-0000-4000-8000-000000000000", title="One story",
                  link="https://e.org/1", published=NOW, updated=NOW, summary="<p>Hi</p>",
                  categories=("news",))]
    doc = make_doc(config, "news", found)
    whole = render_atom(doc, splice=False), render_rss(doc, splice=False)
    real = feeds._placeholder

    def not_where_expected(kind: str) -> tuple[object, bytes]:
        entry, _marker = real(kind)
        return entry, b"<entry>bytes this feedgen never writes</entry>"

    monkeypatch.setattr(feeds, "_placeholder", not_where_expected)
    feeds._spliced_wrong.cache_clear()
    with caplog.at_level(logging.WARNING, logger=feeds.__name__):
        assert (render_atom(doc), render_rss(doc)) == whole
        assert (render_atom(doc), render_rss(doc)) == whole
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and all("rendered whole" in w for w in warnings), warnings
    feeds._spliced_wrong.cache_clear()


def test_an_entry_is_serialised_once_per_format_per_publish(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    found = [Item(id=f"{n:08x}-0000-4000-8000-000000000000", title=f"Story {n}",
                  link=f"https://e.org/{n}", published=NOW - timedelta(hours=n), updated=NOW,
                  categories=("news",)) for n in range(4)]
    made: list[str] = []
    real = feeds._serialised

    def counting(kind: str, make: feeds.Make) -> bytes:
        made.append(kind)
        return real(kind, make)

    monkeypatch.setattr(feeds, "_serialised", counting)
    docs = _shared_docs(config, found, 0)
    assert all(doc.entries is docs[0].entries and isinstance(doc.entries, EntryCache)
               for doc in docs)
    for doc in docs:
        render_atom(doc)
        render_rss(doc)
    assert sorted(made) == ["atom"] * 4 + ["rss"] * 4
