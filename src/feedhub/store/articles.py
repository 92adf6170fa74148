"""The article cache of ``full_text`` sources: per article URL, the story its page gave (already
sanitised), or why it gave none, with what a conditional GET of the page sends back.

Must not: fetch, extract or decide when an article is fetched again (feedhub.fulltext does);
it keeps what it is handed, and answers by URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .base import Connection
from .core import StoreCore
from .dates import format_date, opt_date

_COLUMNS = ("url, source_id, content, reason, etag, last_modified, page_hash, item_hash, "
            "failures, checked")


@dataclass(frozen=True)
class Article:
    """What one article page gave, the last time it was fetched."""

    url: str
    """The item's link, as published."""
    source_id: str
    """The source whose item links to it (the last one that fetched it)."""
    content: str = ""
    """The story, sanitised HTML with absolute links ("" when ``reason`` says why not)."""
    reason: str = ""
    """Why the item kept its own text ("" when ``content`` is its story): one sentence."""
    etag: str = ""
    last_modified: str = ""
    page_hash: str = ""
    """sha256 of the page's bytes: a page sent again unchanged is not extracted again."""
    item_hash: str = ""
    """Hash of the item's own text when the page was fetched: when it changes, the item
    changed at its source, and its page is asked for again (conditionally)."""
    failures: int = 0
    """Fetches of the page that failed in a row (0 after a page was read)."""
    checked: datetime | None = None
    """When the page was last fetched (or tried)."""


@dataclass(frozen=True)
class ArticleCounts:
    """What the article cache holds for one source (`feedhub status`)."""

    extracted: int = 0
    """Articles whose story is published as the item's content."""
    kept: int = 0
    """Articles whose item kept its own text."""
    reasons: tuple[str, ...] = ()
    """Why, for the most recently checked of those (a few)."""


class ArticleQueries(StoreCore):
    """The articles table."""

    def articles(self, urls: Iterable[str]) -> dict[str, Article]:
        """The cached articles of ``urls``, by URL (those never fetched are absent)."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, Article] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                    f"SELECT {_COLUMNS} FROM articles WHERE url IN ({marks})", chunk):
                found[str(row[0])] = Article(
                    url=str(row[0]), source_id=str(row[1]), content=str(row[2]),
                    reason=str(row[3]), etag=str(row[4]), last_modified=str(row[5]),
                    page_hash=str(row[6]), item_hash=str(row[7]), failures=int(row[8]),
                    checked=opt_date(str(row[9])))
        return found

    def save_articles(self, db: Connection, articles: Iterable[Article], now: datetime) -> None:
        """Store what article pages gave (inside :meth:`transaction`), each replacing what its
        URL held."""
        rows = [(a.url, a.source_id, a.content, a.reason, a.etag, a.last_modified, a.page_hash,
                 a.item_hash, a.failures, format_date(a.checked or now)) for a in articles]
        if rows:
            db.executemany(
                f"INSERT INTO articles ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (url) DO UPDATE SET source_id=excluded.source_id, "
                "content=excluded.content, reason=excluded.reason, etag=excluded.etag, "
                "last_modified=excluded.last_modified, page_hash=excluded.page_hash, "
                "item_hash=excluded.item_hash, failures=excluded.failures, "
                "checked=excluded.checked", rows)

    def prune_articles(self, db: Connection, before: datetime) -> int:
        """Forget the articles checked before ``before`` that no stored item links to any more
        (inside :meth:`transaction`); returns how many went."""
        result = db.execute("DELETE FROM articles WHERE checked < ? AND NOT EXISTS "
                            "(SELECT 1 FROM items WHERE items.link = articles.url)",
                            (format_date(before),))
        return result.rowcount

    def article_counts(self, reasons: int = 3) -> dict[str, ArticleCounts]:
        """Per source id: its articles extracted and kept, and the ``reasons`` of the most
        recently checked kept ones."""
        counts: dict[str, list[int]] = {}
        for source_id, kept, number in self.db.execute(
                "SELECT source_id, reason <> '', COUNT(*) FROM articles "
                "GROUP BY source_id, reason <> ''"):
            counts.setdefault(str(source_id), [0, 0])[1 if kept else 0] += int(number)
        why: dict[str, list[str]] = {}
        for source_id, url, reason in self.db.execute(
                "SELECT source_id, url, reason FROM articles WHERE reason <> '' "
                "ORDER BY checked DESC, url"):
            listed = why.setdefault(str(source_id), [])
            if len(listed) < reasons:
                listed.append(f"{url}: {reason}")
        return {sid: ArticleCounts(n[0], n[1], tuple(why.get(sid, ())))
                for sid, n in counts.items()}
