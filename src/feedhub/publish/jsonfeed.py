"""FeedDoc -> JSON Feed 1.1 bytes (https://www.jsonfeed.org/version/1.1/), media type
``application/feed+json``.

Same items, ids and dates as the RSS and Atom files. Paging (RFC 5005's archives) shows as
``next_url``: the subscription document points to the newest archive, each archive to the next
older one. Text is cleaned like XML (no controls or lone surrogates), so the bytes are always
valid UTF-8 JSON.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ..model import Item
from .document import FeedDoc, clean, mime_type, plain, safe_url, title_of
from .feeds import rfc3339

VERSION = "https://jsonfeed.org/version/1.1"


def _item(doc: FeedDoc, item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"urn:uuid:{item.id}"}
    link = safe_url(item.link)
    if link:
        out["url"] = link
    out["title"] = title_of(item)
    out["content_html"] = clean(item.content or item.summary or "")
    if item.summary:
        out["summary"] = plain(item.summary, 500)
    image = safe_url(item.image)
    if image:
        out["image"] = image
    out["date_published"] = rfc3339(item.published)
    out["date_modified"] = rfc3339(item.updated)
    if item.author and clean(item.author).strip():
        out["authors"] = [{"name": clean(item.author)}]
    tags = [doc.category_title(slug) for slug in item.categories]
    tags += [clean(label) for label in item.labels if clean(label).strip()]
    if tags:
        out["tags"] = list(dict.fromkeys(tags))
    attachments = []
    for enclosure in item.enclosures:
        url = safe_url(enclosure.url)
        if url:
            attachment: dict[str, Any] = {
                "url": url, "mime_type": mime_type(enclosure.type, "application/octet-stream")}
            if enclosure.length > 0:
                attachment["size_in_bytes"] = enclosure.length
            attachments.append(attachment)
    if attachments:
        out["attachments"] = attachments
    return out


def render_json(doc: FeedDoc) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": doc.title,
        "home_page_url": doc.page_url,
        "feed_url": doc.url("json"),
    }
    if doc.site.description:
        feed["description"] = clean(doc.site.description)
    if doc.prev_archive:
        feed["next_url"] = doc.archive_url(doc.prev_archive, "json")
    if doc.site.logo or doc.site.icon:
        feed["icon"] = doc.site.logo or doc.site.icon
    if doc.site.icon:
        feed["favicon"] = doc.site.icon
    feed["authors"] = [{"name": doc.author}]
    feed["language"] = clean(doc.site.language)
    if doc.site.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": doc.site.websub_hub}]
    # Each item is encoded once per publish (an item is in two archives) and the items are
    # spliced into the feed's last member, as json.dumps would join them.
    items = [doc.entry("json", item, partial(_encoded_item, doc, item)) for item in doc.items]
    feed["items"] = []
    head = _dumps(feed)
    return (head[:-len("[]}")] + "[" + ",".join(items) + "]}\n").encode("utf-8")


def _dumps(value: Any) -> str:
    # Compact: with ``indent`` Python's json leaves its C encoder (3x slower on archives).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encoded_item(doc: FeedDoc, item: Item) -> str:
    return _dumps(_item(doc, item))
