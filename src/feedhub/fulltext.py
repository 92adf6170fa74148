"""Full text of stories (a source's ``full_text``): each new or changed item's article page
fetched, its story found, sanitised and published as the item's content.

Contract: :func:`fill` takes a source's freshly normalised items and hands back the same items,
those whose article gave a story carrying it as their ``content`` (the summary stays the
summary), with the article pages it fetched to cache and what it has to report. It never makes
an item worse: when a page cannot be fetched, holds no story, or gives no more text than the
item already has, the item keeps what it had, and the reason is recorded (in the cache, the
source's report and `feedhub status`).

Which pages are fetched, per item, by its link:

- never fetched before (a new item, or one left over from an earlier build): fetched;
- the item changed at its source (its own title, summary or content differ from when its page
  was fetched): fetched again, conditionally (ETag, Last-Modified); a page sent again unchanged
  (304, or the same bytes) is not extracted again;
- its last fetch failed (timeout, HTTP error, refused address...): tried again at the next
  builds, :data:`MAX_FAILURES` times in all;
- otherwise the cached story (or reason) is used: a rebuild fetches nothing.

Pages are fetched as the source's further pages are (``fetch.page_source``): the source's
limits, robots.txt, per-host pacing and address rules, its ``allow_private`` trusting only the
host of its own URL. A build fetches at most :data:`ARTICLES_PER_BUILD` pages per source, and
starts none after :data:`ARTICLE_SECONDS` of fetching them; the others are ``left`` for the
next builds.

Must not: store anything itself (sourcetrip hands the cache rows over with the source's
outcome), nor decide an item's identity or dates.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from .errors import FetchError, SourceError
from .extract import main_content
from .fetch import Validators
from .logs import LOGGER
from .model import FetchResult, Item, Source
from .normalise import MAX_CONTENT, plain_text, sanitise_html
from .redact import redact_text
from .store import Article

__all__ = ["ARTICLES_PER_BUILD", "ARTICLE_SECONDS", "MAX_FAILURES", "ArticleFetcher", "FullText",
           "fill", "own_hash"]

ARTICLES_PER_BUILD = 20
"""Article pages one source fetches in one build, at most: a source with 500 new items does
not hold up the build; the rest are fetched at the next builds."""
ARTICLE_SECONDS = 60.0
"""Seconds of article fetching after which a source starts no further one in a build."""
MAX_FAILURES = 3
"""Failed fetches of one page (in as many builds) after which it is not asked for again until
its item changes."""

ArticleFetcher = Callable[[str, Validators], FetchResult]
"""Fetches an article URL as the source's own pages are fetched, sending ``validators``."""


@dataclass
class FullText:
    """What :func:`fill` did for one source's items."""

    items: list[Item]
    """The items, those whose article gave a story with it as their content."""
    articles: list[Article] = field(default_factory=list)
    """Article pages fetched (or tried) this time, to cache."""
    fetched: int = 0
    """Pages asked for (304s included)."""
    extracted: int = 0
    """Items whose story was taken from a page read this time."""
    kept: list[str] = field(default_factory=list)
    """``URL: reason`` of the items that kept their own text after a fetch this time."""
    left: int = 0
    """Items whose page waits for a later build (the build's bound, or a failure to retry)."""


def own_hash(item: Item) -> str:
    """Hash of the text an item has of its own (title, summary, content as its source gave
    them): when it changes, the story changed and its page is asked for again."""
    text = json.dumps([item.title, item.summary, item.content], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def fill(
    source: Source,
    items: Sequence[Item],
    cached: Mapping[str, Article],
    fetch_article: ArticleFetcher,
    now: datetime,
    *,
    per_build: int = ARTICLES_PER_BUILD,
    seconds: float = ARTICLE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> FullText:
    """The items of ``source`` with their stories (see the module docstring). ``cached`` is
    the article cache for their links, ``fetch_article`` fetches one page."""
    out = FullText(items=[])
    started = clock()
    done: dict[str, Article] = {}
    for item in items:
        url = item.link
        if not url.startswith(("http://", "https://")):
            out.items.append(item)
            continue
        mine = own_hash(item)
        article = done.get(url) or cached.get(url)
        if url not in done and _wanted(article, mine):
            if out.fetched >= per_build or clock() - started >= seconds:
                out.left += 1
            else:
                out.fetched += 1
                article = _fetch(source, item, mine, article, fetch_article, now)
                done[url] = article
                out.articles.append(article)
                if article.reason:
                    out.kept.append(f"{url}: {article.reason}")
                    if 0 < article.failures < MAX_FAILURES:
                        out.left += 1
                else:
                    out.extracted += 1
        if article is not None and article.content and not article.reason:
            item = replace(item, content=article.content)
        out.items.append(item)
    return out


def _wanted(article: Article | None, mine: str) -> bool:
    """Whether an item's page is to be fetched (see the module docstring)."""
    return (article is None or article.item_hash != mine
            or 0 < article.failures < MAX_FAILURES)


def _fetch(source: Source, item: Item, mine: str, before: Article | None,
           fetch_article: ArticleFetcher, now: datetime) -> Article:
    """Fetch and read one article page: the Article to cache, with its story or why not."""
    url = item.link
    base = Article(url=url, source_id=source.id, item_hash=mine, checked=now)
    read_before = before is not None and bool(before.page_hash)
    validators = (Validators(before.etag, before.last_modified)
                  if before is not None and read_before else Validators())
    try:
        page = fetch_article(url, validators)
        page_hash = "" if page.not_modified else hashlib.sha256(page.body).hexdigest()
        if before is not None and read_before and (page.not_modified
                                                   or page_hash == before.page_hash):
            # The page as it was: its story (or why it had none) stands, judged again
            # against the item's own text, which changed.
            kept = replace(base, etag=page.etag or before.etag,
                           last_modified=page.last_modified or before.last_modified,
                           page_hash=before.page_hash)
            if not before.content:
                return replace(kept, reason=before.reason)
            return _judged(replace(kept, content=before.content), item)
        story = main_content(source.id, page, source.content_selector)
        content = sanitise_html(story, page.url, MAX_CONTENT)
        return _judged(replace(base, content=content, etag=page.etag,
                               last_modified=page.last_modified, page_hash=page_hash), item)
    except FetchError as exc:
        failures = (before.failures if before is not None else 0) + 1
        return replace(base, reason=redact_text(exc.message), failures=failures)
    except SourceError as exc:
        return replace(base, reason=redact_text(exc.message))
    except Exception as exc:  # a page that trips the extraction library: this item's problem
        reason = f"the story could not be extracted ({type(exc).__name__}: {exc})"
        LOGGER.getChild("build").error("source %s: %s: %s", source.id, url, reason,
                                       exc_info=exc)
        return replace(base, reason=redact_text(reason))


def _judged(article: Article, item: Item) -> Article:
    """``article`` with a reason when its story has no more text than the item has."""
    story = len(plain_text(article.content, MAX_CONTENT))
    own = max(len(plain_text(item.summary, MAX_CONTENT)),
              len(plain_text(item.content, MAX_CONTENT)))
    if not story:
        return replace(article, reason="the page has no story text")
    if story <= own:
        return replace(article, reason=f"the page's story has {story} characters of text, "
                                       f"no more than the item's own {own}")
    return replace(article, reason="")

