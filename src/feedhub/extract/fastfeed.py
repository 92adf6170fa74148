"""The fast path for clean RSS and Atom 1.0 documents: a guard, lxml, and :mod:`.fastread`.

feedparser spends most of a feed's parse in its generic per-element code (a SAX callback per
element and per text run, attribute and namespace bookkeeping, state for every oddity of every
feed format since 0.90). Most real feeds need none of it. For a document this module admits,
:func:`read_clean_feed` parses the bytes with lxml (in C) and reads the fields feedhub keeps
from the tree with :mod:`.fastread`'s tables, into the same fields ``feed.py`` reads from
feedparser's result; ``feed.py`` converts both with the same code. feedparser stays the
reference: tests/test_fastfeed_differential.py reads documents both ways and compares the
normalised items, and whatever the guard refuses is read by feedparser.

Admitted (anything else raises :class:`~.fastbase.Unclean`, and ``feed.py`` hands the document
to feedparser):

- the bytes ``feed.py`` would hand feedparser (decoded, guarded by :mod:`.xmlguard`, cut by
  :mod:`.xmltrim`, re-encoded as UTF-8): this module sees nothing feedparser would not, and is
  never the only defence;
- well-formed XML 1.0 for lxml's strict parser (no recovery, no network, no entity expansion),
  with no DOCTYPE;
- the root ``<rss>`` (no namespace) of version 2.0, or 0.91 to 0.94 (whose items feedparser
  reads as RSS 2.0's), holding one ``<channel>``, or Atom 1.0's ``<feed>``;
- no ``xml:base`` or ``base`` attribute (feedparser resolves links against them) and no C1
  control characters (feedparser reads them as Windows-1252);
- namespaces declared plainly: each prefix bound once, none of the feed formats or extensions
  feedparser reads itself (RSS 1.0, Atom 0.3, Dublin Core terms, GeoRSS ...) unless
  :mod:`.fastread` reads it, and no namespace the document adds for itself under a prefix
  feedparser has a meaning for, or as the default namespace;
- and whatever :mod:`.fastread` and :mod:`.fastext` refuse while reading (see their
  docstrings).

Must not: import feedparser, read anything but the bytes it is given, or resolve entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import fastread
from .fastbase import ATOM, CONTENT, DC, ITUNES, MEDIA, DateParser, Fields, Reading, Unclean

_DECLARATION = re.compile(rb"""\sxmlns(?::([^\s=]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_BASE = re.compile(rb"[\s:]base\s*=", re.IGNORECASE)
_C1 = re.compile(rb"\xc2[\x80-\x9f]|&#(?:0*1(?:2[89]|[3-5][0-9])|[xX]0*[89][0-9a-fA-F]);")

READ_NAMESPACES = {
    "": frozenset({"", ATOM}), "atom": frozenset({ATOM}), "content": frozenset({CONTENT}),
    "dc": frozenset({DC}), "media": frozenset({MEDIA}), "itunes": frozenset({ITUNES})}
"""The namespaces :mod:`.fastread` reads, by the prefixes they may be declared with (the
usual ones, which are also the names feedparser gives them)."""

SPELLINGS = {
    "http://www.itunes.com/DTDs/Podcast-1.0.dtd": ITUNES,  # Apple's own spelling
    "http://search.yahoo.com/mrss": MEDIA,
}
"""Other spellings of namespaces :mod:`.fastread` reads, which feedparser reads as the same."""

IGNORED_NAMESPACES = {
    "http://wellformedweb.org/CommentAPI/": "wfw",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
}
"""Common extensions whose elements say nothing feedhub keeps (comment feeds and counts,
update periods, a feed proxy's original link), by their usual prefix."""

FEEDPARSER_PREFIXES = frozenset({
    "admin", "ag", "annotate", "atom", "audio", "blogchannel", "cc", "co", "content",
    "creativecommons", "cp", "dc", "dcterms", "email", "ev", "feedburner", "fm", "foaf", "geo",
    "georss", "gml", "icbm", "image", "itunes", "l", "media", "pingback", "prism", "psc", "rdf",
    "rdfs", "ref", "reqv", "rss", "search", "slash", "soap", "ss", "str", "sub", "sy", "szf",
    "taxo", "thr", "ti", "trackback", "wfw", "wiki", "xhtml", "xlink", "xml"})
"""Prefixes feedparser gives a meaning to (its names for the namespaces it knows; an element
under one of them may have a reading there). A namespace the document adds for itself must
use another prefix, or feedparser could read its elements as something else."""


@dataclass(frozen=True)
class CleanFeed:
    """The fields feedhub keeps of the feed and of each entry, as ``feed.py`` reads them."""

    version: str
    """feedparser's name for the format: "atom10", "rss20", "rss092" ..."""
    feed: Fields
    entries: list[Fields]


def read_clean_feed(data: bytes, parse_date: DateParser) -> CleanFeed:
    """The document's feed and entries, or raise :class:`~.fastread.Unclean` (see the module
    docstring). ``parse_date`` is the date parser, handed in by ``feed.py``."""
    data, own = _check_text(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, collect_ids=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unclean(f"lxml's strict parser refuses the document ({exc})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype:
        raise Unclean("the document has a DOCTYPE")
    if docinfo.xml_version != "1.0":
        raise Unclean(f"XML version {docinfo.xml_version}")

    def ignored(uri: str) -> bool:
        return uri in IGNORED_NAMESPACES or uri in own

    version = _rss_version(root) if root.tag == "rss" else None
    if version is not None:
        channels = [node for node in root if isinstance(node.tag, str)]
        if len(channels) != 1 or channels[0].tag != "channel":
            raise Unclean("an RSS root holding anything but one <channel>")
        entries, channel = [], Reading(parse_date)
        for node in channels[0]:
            if node.tag == "item":
                fields = fastread.read(node, fastread.RSS_ITEM, Reading(parse_date), ignored)
                entries.append(fastread.finish_rss_item(fields))
            elif isinstance(node.tag, str):
                fastread.read_child(node, fastread.RSS_CHANNEL, channel, ignored)
        return CleanFeed(version, {}, entries)
    if root.tag == f"{{{ATOM}}}feed":
        entries, feed = [], Reading(parse_date)
        for node in root:
            if node.tag == f"{{{ATOM}}}entry":
                fields = fastread.read(node, fastread.ATOM_ENTRY, Reading(parse_date), ignored)
                entries.append(fastread.finish_atom_entry(fields))
            elif isinstance(node.tag, str):
                fastread.read_child(node, fastread.ATOM_FEED, feed, ignored)
        return CleanFeed("atom10", feed.fields, entries)
    raise Unclean(f"the root <{root.tag!s}> is no RSS 0.91 to 2.0 or Atom 1.0 feed")


RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
"""RSS versions before 2.0 by feedparser's names for them (0.91 without Netscape's DOCTYPE is
UserLand's). feedparser reads their items as RSS 2.0's: the version is only named."""


def _rss_version(root: Any) -> str | None:
    """feedparser's name for the RSS version the root declares (any 2.x is RSS 2.0; none at
    all is plain "rss", read as 2.0 is); None for another (0.90 is RDF's, 1.0 is RDF)."""
    declared = root.get("version")
    if declared is None:
        return "rss"
    return RSS_VERSIONS.get(declared) or ("rss20" if declared.startswith("2.") else None)


def _check_text(data: bytes) -> tuple[bytes, frozenset[str]]:
    """Refuse what shows in the bytes before parsing. Returns the bytes with each namespace
    :mod:`.fastread` reads declared in its usual spelling (:data:`SPELLINGS`), and the
    namespaces the document adds for itself (neither read nor ignorable), which its elements
    may use."""
    if _DOCTYPE.search(data):
        raise Unclean("the document has a DOCTYPE")  # refused before lxml could load its DTD
    if _BASE.search(data):
        raise Unclean("an xml:base or base attribute (feedparser resolves links with it)")
    if _C1.search(data):
        raise Unclean("C1 control characters (feedparser reads them as Windows-1252)")
    bound: dict[str, str] = {}
    own = set()
    respelled: list[tuple[int, int, bytes]] = []
    for match in _DECLARATION.finditer(data):
        prefix = (match.group(1) or b"").decode("utf-8", "replace")
        uri = (match.group(2) if match.group(2) is not None else match.group(3) or b"").decode(
            "utf-8", "replace")
        if bound.setdefault(prefix, uri) != uri:
            raise Unclean(f"the prefix {prefix!r} bound to two namespaces")
        if "&" in uri:
            raise Unclean("a namespace written with references")
        usual = SPELLINGS.get(uri)
        if usual is not None and prefix.lower() in READ_NAMESPACES:
            group = 2 if match.group(2) is not None else 3
            respelled.append((match.start(group), match.end(group), usual.encode()))
            uri = usual
        if uri in READ_NAMESPACES.get(prefix.lower(), ()) or (
                IGNORED_NAMESPACES.get(uri) == prefix.lower()):
            continue
        if prefix == "" or prefix.lower() in FEEDPARSER_PREFIXES or _known_elsewhere(uri):
            raise Unclean(f"the namespace {uri!r} declared as {prefix or 'the default'!r}")
        own.add(uri)
    for start, end, usual_bytes in reversed(respelled):
        data = data[:start] + usual_bytes + data[end:]
    return data, frozenset(own)


def _known_elsewhere(uri: str) -> bool:
    """Whether a namespace is one of the formats and extensions feedparser reads itself: read
    here it could mean what feedparser makes of it."""
    lower = uri.lower()
    return any(part in lower for part in (
        "purl.org/rss/", "purl.org/atom/", "purl.org/dc/", "w3.org/", "backend.userland.com",
        "my.netscape.com", "georss", "opengis.net", "podlove.org", "creativecommons",
        "web.resource.org", "webns.net", "itunes.com", "yahoo.com/mrss", "search.yahoo.com",
        "rssnamespace.org", "wellformedweb.org", "madskills.com", "purl.org/syndication",
        "xmlns.com/foaf", "prismstandard.org"))


__all__ = ["CleanFeed", "Unclean", "read_clean_feed"]
