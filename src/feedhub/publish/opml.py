"""Every category feed -> one OPML 2.0 subscription list (http://opml.org/spec2.opml).

A reader that imports ``/feeds.opml`` subscribes to every category (and `all`) in one step.
Its dateModified is the newest item change, so the bytes change only when a feed does.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .document import FeedDoc, clean
from .feeds import rfc822


def render_opml(docs: Sequence[FeedDoc], title: str, owner: str) -> bytes:
    opml = etree.Element("opml", {"version": "2.0"})
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = clean(f"{title}: feeds")
    newest = max((doc.updated for doc in docs), default=None)
    if newest is not None:
        etree.SubElement(head, "dateModified").text = rfc822(newest)
    etree.SubElement(head, "ownerName").text = clean(owner)
    if docs:
        etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(opml, "body")
    for doc in docs:
        etree.SubElement(body, "outline", {
            "type": "rss",
            "text": doc.title,
            "title": doc.title,
            "xmlUrl": doc.url("rss"),
            "htmlUrl": doc.page_url,
            "language": clean(doc.site.language),
        })
    data: bytes = etree.tostring(opml, xml_declaration=True, encoding="UTF-8",
                                 pretty_print=True)
    return data
