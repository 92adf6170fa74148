"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 via feedparser. The only module that imports feedparser.

Traps, written down once:
- feedparser does I/O when handed a URL string: hand it bytes and the response headers only.
- Its sanitiser and relative-URI resolver cost ~60% of parse time, and feedhub sanitises with nh3
  in normalise anyway: both are switched off here, so HTML is never cleaned twice.
- ``entry.updated`` silently falls back to ``published`` and vice versa: read the *_parsed
  fields and keep which one the feed really gave.
- ``bozo`` is set for recoverable problems too (e.g. a wrong declared charset); only a document
  with no feed and no entries is an error.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser

from ..errors import ExtractError
from ..model import Enclosure, FetchResult, RawEntry


def _datetime(struct: Any) -> datetime | None:
    if not struct:
        return None
    return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)


def _content(entry: Any) -> str:
    for block in entry.get("content") or ():
        if block.get("value"):
            return str(block["value"])
    return ""


def _image(entry: Any) -> str:
    for key in ("media_thumbnail", "media_content"):
        for media in entry.get(key) or ():
            url = media.get("url")
            medium = media.get("medium", "image")
            if url and (key == "media_thumbnail" or medium == "image"
                        or str(media.get("type", "")).startswith("image/")):
                return str(url)
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href", ""))
    image = entry.get("image")
    if isinstance(image, dict) and image.get("href"):
        return str(image["href"])
    return ""


def _enclosures(entry: Any) -> tuple[Enclosure, ...]:
    out = []
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and link.get("href"):
            try:
                length = int(link.get("length") or 0)
            except ValueError:
                length = 0
            out.append(Enclosure(url=str(link["href"]), type=str(link.get("type", "")),
                                 length=max(length, 0)))
    return tuple(out)


def extract_feed(source_id: str, result: FetchResult) -> list[RawEntry]:
    if not result.body.strip():
        raise ExtractError(source_id, "the response body is empty")
    headers = dict(result.headers)
    headers.setdefault("content-location", result.url)
    parsed = feedparser.parse(
        result.body,
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise ExtractError(source_id, f"not an RSS or Atom feed ({reason})")
    entries = []
    for entry in parsed.entries:
        summary = str(entry.get("summary") or "")
        content = _content(entry)
        if content == summary:
            content = ""
        # dict.get skips FeedParserDict's updated<->published fallback (and its warning).
        date_text = str(dict.get(entry, "published") or dict.get(entry, "updated") or "")
        published = _datetime(dict.get(entry, "published_parsed"))
        updated = _datetime(dict.get(entry, "updated_parsed"))
        entries.append(RawEntry(
            title=str(entry.get("title") or ""),
            link=str(entry.get("link") or ""),
            guid=str(entry.get("id") or ""),
            summary=summary,
            content=content,
            published=published or updated,
            updated=updated,
            date_text=date_text,
            labels=tuple(str(t.get("term") or t.get("label") or "")
                         for t in entry.get("tags") or () if t.get("term") or t.get("label")),
            image=_image(entry),
            author=str(entry.get("author") or ""),
            enclosures=_enclosures(entry),
        ))
    return entries
