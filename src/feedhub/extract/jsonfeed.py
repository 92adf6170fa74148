"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) -> raw entries. Pure; stdlib only.

Recognised under ``kind: feed`` by a body whose first non-blank character is ``{``. Both
versions are read the same way: 1.1's ``authors`` list is preferred over 1.0's ``author``;
``content_html`` is the content and ``summary`` the summary (``content_text`` is escaped into a
summary when there is no HTML); ``attachments`` are enclosures; ``external_url`` is the link when
``url`` is missing. Anything that is not a JSON object with an ``items`` list is an error that
says what was found. Only the first ``max_items`` items become entries (the JSON is parsed
whole: C-fast, it is the entries that cost), each with at most MAX_LABELS tags,
MAX_ENCLOSURES attachments and MAX_AUTHORS authors (see :mod:`feedhub.extract`).
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

from ..errors import ExtractError
from ..model import Enclosure, FetchResult, RawEntry
from .base import MAX_AUTHORS, MAX_ENCLOSURES, MAX_LABELS, ExtractReport
from .encoding import decode

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(body: bytes) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _author(item: dict[str, Any], feed: dict[str, Any]) -> str:
    for holder in (item, feed):
        authors = holder.get("authors")
        if isinstance(authors, list):
            names = [_text(a.get("name")) for a in authors[:MAX_AUTHORS] if isinstance(a, dict)]
            if any(names):
                return ", ".join(n for n in names if n)
        author = holder.get("author")
        if isinstance(author, dict) and _text(author.get("name")):
            return _text(author.get("name"))
    return ""


def _enclosures(item: dict[str, Any]) -> tuple[Enclosure, ...]:
    out: list[Enclosure] = []
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if len(out) == MAX_ENCLOSURES:
            break
        if isinstance(attachment, dict) and _text(attachment.get("url")):
            size = attachment.get("size_in_bytes")
            length = size if isinstance(size, int) and not isinstance(size, bool) else 0
            out.append(Enclosure(url=_text(attachment["url"]),
                                 type=_text(attachment.get("mime_type")),
                                 length=max(length, 0)))
    return tuple(out)


def _entry(item: dict[str, Any], feed: dict[str, Any]) -> RawEntry:
    summary = _text(item.get("summary"))
    content = _text(item.get("content_html"))
    if not content and _text(item.get("content_text")):
        text = html.escape(_text(item.get("content_text")), quote=False)
        content = "<p>" + text.replace("\n\n", "</p><p>") + "</p>"
    if content == summary:
        content = ""
    published = _date(item.get("date_published"))
    updated = _date(item.get("date_modified"))
    tags = item.get("tags")
    return RawEntry(
        title=_text(item.get("title")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        guid=str(item.get("id")).strip() if item.get("id") is not None else "",
        summary=summary,
        content=content,
        published=published or updated,
        updated=updated,
        date_text=_text(item.get("date_published")) or _text(item.get("date_modified")),
        labels=tuple(dict.fromkeys(t.strip() for t in tags if isinstance(t, str) and t.strip())
                     )[:MAX_LABELS] if isinstance(tags, list) else (),
        image=_text(item.get("image")) or _text(item.get("banner_image")),
        author=_author(item, feed),
        enclosures=_enclosures(item),
    )


def extract_json_feed(source_id: str, result: FetchResult, max_items: int | None = None,
                      report: ExtractReport | None = None) -> list[RawEntry]:
    """The entries of a JSON Feed: the first ``max_items`` items (all when None); ``report``
    counts the items past them."""
    text = decode(result.body, result.headers).text
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ExtractError(source_id, f"not valid JSON ({exc}); a body starting with '{{' is "
                                      "read as a JSON Feed") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ExtractError(source_id, "JSON without an 'items' list: not a JSON Feed "
                                      "(https://jsonfeed.org/version/1.1)")
    version = _text(document.get("version"))
    if version and not version.startswith(VERSION_PREFIX):
        raise ExtractError(source_id, f"unknown JSON Feed version {version!r}")
    items = [item for item in document["items"] if isinstance(item, dict)]
    if max_items is not None and len(items) > max_items:
        if report is not None:
            report.over_cap += len(items) - max_items
        del items[max_items:]
    return [_entry(item, document) for item in items]
