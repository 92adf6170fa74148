"""Identity rules the mutation run (scripts/mutation.sh identity) found unchecked: reused guids
numbered from the oldest entry, guids that are links or the page itself, the guid length
limit, and tracking parameters dropped from published links without touching anything else."""

from __future__ import annotations

import pytest

from feedhub.model import RawEntry, Source, SourceKind
from feedhub.normalise import (
    MAX_GUID,
    MIN_TITLE_KEY_WORDS,
    identity_keys,
    item_id,
    title_key,
    without_tracking,
)

SOURCE = Source(id="wire", kind=SourceKind.FEED, location="wire.xml")


def keys(guids_and_links: list[tuple[str, str]], page_url: str = "",
         source: Source = SOURCE) -> list[tuple[str, ...]]:
    """identity_keys of entries (newest first, as documents list them)."""
    entries = [RawEntry(guid=guid, link=link) for guid, link in guids_and_links]
    return identity_keys(entries, source, [link for _, link in guids_and_links], page_url)


def test_a_guid_reused_without_links_is_numbered_from_the_oldest_entry() -> None:
    older = keys([("123", ""), ("123", ""), ("123", "")])
    assert older == [("guid:wire:123#3",), ("guid:wire:123#2",), ("guid:wire:123",)]
    # A new entry on top of the document takes the next number; the others keep theirs.
    newer = keys([("123", ""), ("123", ""), ("123", ""), ("123", "")])
    assert newer[1:] == older
    assert newer[0] == ("guid:wire:123#4",)


def test_a_guid_reused_with_links_is_told_apart_by_the_links() -> None:
    assert keys([("123", "https://example.com/b"), ("123", "https://example.com/a")]) == [
        ("link:https://example.com/b",), ("link:https://example.com/a",)]


def test_a_link_shared_by_distinct_guids_is_no_identity() -> None:
    # A feed linking every item to its home page: the guids tell the stories apart.
    assert keys([("a1", "https://example.com/"), ("a2", "https://example.com/"),
                 ("a3", "https://example.com/c")]) == [
        ("guid:wire:a1",), ("guid:wire:a2",), ("guid:wire:a3", "link:https://example.com/c")]


def test_an_entry_without_a_guid_does_not_stop_the_others_keeping_theirs() -> None:
    assert keys([("a1", ""), ("", "https://example.com/x"), ("a2", "")]) == [
        ("guid:wire:a1",), ("link:https://example.com/x",), ("guid:wire:a2",)]


@pytest.mark.parametrize("guid", ["http://example.com/story/1", "HTTP://Example.com/story/1",
                                  "https://example.com/story/1#top"])
def test_a_guid_that_is_a_link_is_a_link_key(guid: str) -> None:
    # Feeds switch their guids from http to https: the story keeps its id.
    (only,) = keys([(guid, "")])
    assert only == ("link:https://example.com/story/1",)
    assert item_id(only[0]) == item_id("link:https://example.com/story/1")


def test_a_guid_naming_the_page_itself_is_no_identity() -> None:
    page = "https://example.com/news/"
    assert keys([("https://example.com/news", "https://example.com/news/a")], page) == [
        ("link:https://example.com/news/a",)]
    # Without a page URL, the same guid is the story's own address.
    assert keys([("https://example.com/news", "https://example.com/news/a")]) == [
        ("link:https://example.com/news", "link:https://example.com/news/a")]


def test_guids_up_to_the_length_limit_are_kept() -> None:
    longest, too_long = "g" * MAX_GUID, "g" * (MAX_GUID + 1)
    assert keys([(longest, "https://example.com/a")])[0][0] == f"guid:wire:{longest}"
    assert keys([(too_long, "https://example.com/a")]) == [("link:https://example.com/a",)]


@pytest.mark.parametrize(("url", "published"), [
    ("https://example.com/a?id=7&utm_source=rss&page=2",
     "https://example.com/a?id=7&page=2"),
    ("https://example.com/search?q=why?&utm_medium=feed", "https://example.com/search?q=why?"),
    ("https://example.com/a?id=7&utm_content=dGVzdA==", "https://example.com/a?id=7"),
    ("https://example.com/a?utm_campaign&id=7#comments", "https://example.com/a?id=7#comments"),
    ("https://example.com/a?fbclid=abc", "https://example.com/a"),
    ("https://example.com/a?id=7&ref=rss", "https://example.com/a?id=7&ref=rss"),
])
def test_published_links_lose_only_their_tracking_parameters(url: str, published: str) -> None:
    assert without_tracking(url) == published


def test_a_title_of_the_fewest_words_still_names_a_story() -> None:
    assert MIN_TITLE_KEY_WORDS == 3
    assert title_key("Harbour bridge reopens") == "harbour bridge reopens"
    assert title_key("Bridge reopens") == ""
