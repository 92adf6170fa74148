"""Raw entries -> Items: one identity per story, UTC dates, mapped categories, safe HTML.

Pure functions: no I/O, no clock (``now`` is an argument). The store decides what was seen
before; this module only says what an entry *is*.

Identity. Every item carries identity keys, and its id is a UUID derived from the first:

- ``guid:...`` when the source's guid is real (not empty, not the page's own URL) and unique
  within the source. A URI guid (``tag:``, ``urn:``) is global; any other guid is scoped to its
  source (``guid:<source>:<guid>``), since "123" from two sources is two stories. An http(s)
  guid is a link, and becomes a ``link:`` key.
- ``link:<canonical link>``: lowercase scheme and host, no default port, fragment or tracking
  parameters, normalised percent-encoding and trailing slash, http == https. A link shared by
  several entries with distinct guids is no identity (a feed linking every item to its home
  page) and is left out; without guids, entries with one link are one story.
- ``title:<normalised title>``: only to find the same story on another source nearby in time;
  none for a title too short or too generic to name a story (:func:`title_key`).

Nothing of the text (title, summary) ever enters the id. Duplicate guids within one source are
told apart (by link, or by their position counted from the oldest entry) and never merged.
A source's ``identity`` setting may force ``guid`` or ``link``.

Content. HTML is cleaned once, here, with one nh3 allowlist; URL fields are http(s) only and
absolute (:mod:`.links`); the published link (and comments link) drops the tracking parameters
identity ignores (:data:`~feedhub.links.TRACKING_PARAMETERS`, unless the source sets
``keep_tracking``), every other parameter kept as written; titles are plain text as
:mod:`.titles` reads them, names plain text; every field is capped and free of characters XML
1.0 forbids (including lone surrogates). An item keeps at most ``MAX_LABELS`` labels and
``MAX_ENCLOSURES`` enclosures (the extractors' caps, see :mod:`feedhub.extract`, applied again
here, where every kind of source passes), also after a merge.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import nh3

from .categories import CategoryMap, key_words
from .dates import MAX_AHEAD, is_story_date
from .extract import MAX_ENCLOSURES, MAX_LABELS
from .links import PLAIN_HTTP_URL, URI_SCHEME, canonical_url, safe_url, without_tracking
from .model import Enclosure, Item, NormaliseReport, RawEntry, Source
from .titles import html_text, one_line, strip_xml_forbidden, title_text

ID_NAMESPACE = "6f1d5a4e-8f0e-4a55-9a38-3c1c1e1b7f00"
"""Namespace of feedhub item UUIDs (version 5). Changing it would change every id: never do.
A string, not a uuid.UUID: the uuid module (with platform) was ~3 ms of every start."""

MAX_TITLE = 500
MAX_NAME = 200
MAX_SUMMARY = 20_000
MAX_CONTENT = 200_000
MAX_GUID = 1_000
DERIVED_SUMMARY = 600
"""Length of the plain-text summary derived from content when a source gives none."""
MAX_FUTURE = MAX_AHEAD
"""A date further ahead of first-seen than this is a source's mistake (see feedhub.dates)."""
MIN_TITLE_KEY_WORDS = 3
"""Titles shorter than this ("Statement", "Weekly update") never merge stories on their own."""
GENERIC_TITLE_WORDS = frozenset({
    # English: small words, then words that name a kind of post
    "a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "this", "to",
    "with", "our", "your", "no", "vol", "part", "announcement", "announcements", "advisory",
    "alert", "briefing", "bulletin", "daily", "digest", "edition", "highlights", "information",
    "info", "issue", "latest", "media", "message", "monthly", "new", "news", "newsletter", "note",
    "notice", "notices", "press", "release", "releases", "reminder", "roundup", "statement",
    "statements", "summary", "today", "update", "updates", "week", "weekly",
    # French
    "communique", "presse", "actualite", "actualites", "nouvelles", "mise", "jour",
    "hebdomadaire", "de", "du", "des", "la", "le", "les", "et",
    # German
    "pressemitteilung", "mitteilung", "aktuelles", "neuigkeiten", "meldung", "der", "die", "das",
    "und",
    # Spanish
    "comunicado", "prensa", "noticias", "actualizacion", "del", "el", "y",
})
"""Words that name a kind of post, not a story: a title made only of these (and numbers), such
as "Latest news and updates" or "Communiqué de presse", never merges stories on its own, however
long. Accent- and case-free, as :func:`~feedhub.categories.key_words` cuts titles."""

UNTITLED = "(untitled)"
"""The title of an item whose source gave it no title and no text to take one from."""

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_CODE = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}
"""Allowed in href/src/cite. No data: at all (not even images: they bloat feeds and hide
content from filters), no javascript:, vbscript: or anything else."""

_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)
"""The one allowlist, built once: everything else (script, style, iframe, form, svg, object,
event handlers, style attributes and so CSS expressions) is dropped."""

# nh3's set_tag_attribute_values writes the attributes it adds in a per-process random order,
# which would change a story's bytes (and content hash) from one build to the next: feedhub
# adds them itself, in one order, to every <img> nh3 let through (quoted values may hold ">").
_IMG_TAG = re.compile(r'<img((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>')
_IMG_ATTRS = ' loading="lazy" referrerpolicy="no-referrer"'


def _lazy_images(cleaned: str) -> str:
    return _IMG_TAG.sub(lambda m: f"<img{m.group(1)}{_IMG_ATTRS}>", cleaned)


def plain_text(text: str, limit: int = MAX_TITLE, *, markup: bool = True) -> str:
    """Markup and entities gone, whitespace collapsed, capped: for titles, names and labels.

    Entities are decoded until none is left (feeds double-escape titles often enough), so
    applying this twice changes nothing. With ``markup=False`` the text is known to be plain
    (an Atom type="text" title, a JSON Feed title): "a <b> c" keeps its "<b>" as characters.
    """
    text = strip_xml_forbidden(text[: limit * 8])
    while "<" in text or "&" in text:
        stripped = _TAG.sub(" ", _CODE.sub(" ", text)) if markup else text
        decoded = strip_xml_forbidden(html.unescape(stripped))
        if decoded == text:
            break
        text = decoded
    text = _SPACE.sub(" ", text).strip()
    return text[:limit].rstrip() if len(text) > limit else text


@functools.lru_cache(maxsize=4096)
def _name_text(raw: str, limit: int) -> str:
    """:func:`plain_text` of a short field that repeats from entry to entry (a label, an
    author, an enclosure's type): cached, since a source names the same few again and again."""
    return plain_text(raw, limit)


def entry_title(entry: RawEntry) -> str:
    """The plain-text title of an entry, read as its source says (see :mod:`.titles`): the
    one reading of a title, shared by the build and ``feedhub preview``."""
    return title_text(strip_xml_forbidden(entry.title), entry.title_html, MAX_TITLE)


def sanitise_html(fragment: str, base: str = "", limit: int = MAX_SUMMARY) -> str:
    """Allowlist-clean HTML with absolute http(s) links; plain text comes back escaped."""
    fragment = strip_xml_forbidden(fragment)
    if not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        # Whitespace kept as is, like the HTML branch keeps it: cleaning a result again
        # (which then takes this branch) must change nothing. A no-break space is written
        # as nh3's HTML serialiser writes it, and line breaks are LF as an HTML parser makes
        # them (CR LF and lone CR), since "&gt;" sends the result through nh3.
        text = fragment.strip()[:limit].replace("\r\n", "\n").replace("\r", "\n")
        return html.escape(text, quote=False).replace("\xa0", "&nbsp;")
    # nh3 decodes character references, so "&#1;" becomes a control character: strip again.
    cleaned = strip_xml_forbidden(
        _lazy_images(_IMG_WITHOUT_SRC.sub("", _absolutise(_CLEANER.clean(fragment), base)))
    ).strip()
    cut = limit
    while len(cleaned) > limit and cut > 0:
        # Cutting may split a tag; cleaning again closes what the cut left open.
        cleaned = strip_xml_forbidden(_lazy_images(_CLEANER.clean(cleaned[:cut]))).strip()
        cut -= max(len(cleaned) - limit, 16)
    return cleaned


_URL_ATTR = re.compile(r'(\s(?:href|src|cite)=")([^"]*)(")')
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _absolutise(cleaned: str, base: str) -> str:
    def fix(match: re.Match[str]) -> str:
        raw = match.group(2)
        if "&" not in raw and "'" not in raw and PLAIN_HTTP_URL.match(raw):
            return match.group(0)  # unescaped, made safe and escaped again, it is itself
        value = html.unescape(raw)
        if value.lower().startswith("mailto:"):
            return match.group(0)
        absolute = safe_url(value, base)
        if not absolute:
            return ""  # a relative URL with no base, or one that is not http(s): drop it
        return f"{match.group(1)}{html.escape(absolute, quote=True)}{match.group(3)}"

    return _URL_ATTR.sub(fix, cleaned)


def title_key(title: str) -> str:
    """A title reduced to its words (case, accents, punctuation gone); "" when it cannot
    identify a story: fewer than :data:`MIN_TITLE_KEY_WORDS` words, or only
    :data:`GENERIC_TITLE_WORDS` and numbers (two sources' "Press release: statement" are
    rarely one story, and a source's own repeats never merge by title at all)."""
    words = key_words(title)
    if len(words) < MIN_TITLE_KEY_WORDS or all(
            word in GENERIC_TITLE_WORDS or word.isdigit() for word in words):
        return ""
    return " ".join(words)


_ID_NAMESPACE_BYTES = bytes.fromhex(ID_NAMESPACE.replace("-", ""))


def item_id(key: str) -> str:
    """``str(uuid.uuid5(ID_NAMESPACE, key))``, without building the UUID object (a tenth of
    normalise's time went to it)."""
    digest = bytearray(hashlib.sha1(_ID_NAMESPACE_BYTES + key.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def to_utc(value: datetime | None, timezone: str) -> datetime | None:
    """Aware UTC; a naive value is read in ``timezone``. None when it cannot be represented."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _guid_key(guid: str, source_id: str, canonical: str) -> str:
    """The key of a real guid; ``canonical`` is its :func:`canonical_url`."""
    if guid.lower().startswith(("http://", "https://")):
        return "link:" + canonical
    if URI_SCHEME.match(guid):
        return "guid:" + guid
    return f"guid:{source_id}:{guid}"


def identity_keys(
    entries: Sequence[RawEntry], source: Source, links: Sequence[str], page_url: str
) -> list[tuple[str, ...]]:
    """The identity keys of each entry (first = the one its id comes from; () = none).

    ``links`` are the entries' safe absolute links, in the same order.
    """
    # A field rule (html sources) fills the guid: it is then trusted like `guid`.
    policy = source.identity if source.identity in ("auto", "link") else "guid"
    page = canonical_url(page_url) if page_url else ""
    guids = [strip_xml_forbidden(e.guid).strip() for e in entries]
    counts: dict[str, int] = {}
    for guid in guids:
        if guid:
            counts[guid] = counts.get(guid, 0) + 1

    # Each guid's canonical form, computed once: whether it is real, then its key, use it.
    guid_canon = [canonical_url(g) if g and len(g) <= MAX_GUID else None for g in guids]

    canon = [canonical_url(link) if link else "" for link in links]
    guid_keys = [""] * len(entries)
    repeats: dict[str, int] = {}
    # Reused guids without a link are numbered from the oldest (last) entry, so new entries
    # on top of the document do not shift the ids of older ones.
    for index in range(len(entries) - 1, -1, -1):
        guid, canonical = guids[index], guid_canon[index]
        if policy == "link" or canonical is None or canonical == page:
            continue  # no real guid: none, too long, or the page's own URL
        if counts[guid] == 1:
            guid_keys[index] = _guid_key(guid, source.id, canonical)
        elif not canon[index]:
            n = repeats[guid] = repeats.get(guid, 0) + 1
            guid_keys[index] = _guid_key(guid, source.id, canonical) + (f"#{n}" if n > 1 else "")
        # else: a reused guid with a link is told apart by its link
    link_guids: dict[str, set[str]] = {}
    for gkey, link in zip(guid_keys, canon, strict=True):
        if link:
            link_guids.setdefault(link, set()).add(gkey)
    out: list[tuple[str, ...]] = []
    for gkey, link in zip(guid_keys, canon, strict=True):
        keys = [gkey] if gkey else []
        lkey = "link:" + link if link else ""
        shared = len(link_guids.get(link, ())) > 1
        if lkey and (not gkey or (lkey != gkey and policy == "auto" and not shared)):
            keys.append(lkey)
        out.append(tuple(keys))
    return out


def _unresolved(link: str) -> bool:
    """A relative link, or one resolved against a local file (``file:``): no web address."""
    try:
        return bool(link.strip()) and urlsplit(link.strip()).scheme.lower() in ("", "file")
    except ValueError:  # a malformed URL is no relative one
        return False


def normalise_entries(
    entries: Sequence[RawEntry],
    source: Source,
    categories: CategoryMap,
    page_url: str,
    now: datetime,
    report: NormaliseReport | None = None,
) -> list[Item]:
    """Normalise every entry of one source; entries with the same identity are merged."""
    report = report if report is not None else NormaliseReport()
    base = source.base_url or page_url
    links = [
        safe_url(e.link, base) or (safe_url(e.guid) if source.identity != "link" else "")
        for e in entries
    ]
    if not source.keep_tracking:
        links = [without_tracking(link) for link in links]
    report.unresolved_links.extend(
        e.link for e, link in zip(entries, links, strict=True)
        if not link and _unresolved(e.link))
    all_keys = identity_keys(entries, source, links, page_url)
    items: dict[str, Item] = {}
    for entry, link, keys in zip(entries, links, all_keys, strict=True):
        if not keys:
            title = entry_title(entry)
            report.dropped.append(title or UNTITLED)
            continue
        item = normalise_entry(entry, source, categories, base, link, keys, now, report)
        items[item.id] = merge(items[item.id], item) if item.id in items else item
    return list(items.values())


def normalise_entry(
    entry: RawEntry,
    source: Source,
    categories: CategoryMap,
    base: str,
    link: str,
    keys: tuple[str, ...],
    now: datetime,
    report: NormaliseReport,
) -> Item:
    """One entry with known identity keys -> an Item seen first at ``now``."""
    title = entry_title(entry)
    published = to_utc(entry.published, source.timezone)
    if published is None and (entry.date_text or entry.published is not None):
        report.unparsed_dates.append(plain_text(entry.date_text or str(entry.published), 100))
    updated = to_utc(entry.updated, source.timezone)
    # An updated date that repeats the published one (feedparser's fallback) is noted once.
    updated = _story_date(updated, now, None if updated == published else report)
    published = _story_date(published, now, report)
    # No usable date: first seen stands in for it (the store lets a parsed date replace it).
    undated = published is None
    published = published or now
    updated = max(updated or published, published)
    labels = tuple(dict.fromkeys(
        lbl for raw in entry.labels[:MAX_LABELS] if (lbl := _name_text(raw, MAX_NAME))))
    summary = sanitise_html(entry.summary, base)
    content = sanitise_html(entry.content, base, MAX_CONTENT)
    if not summary and content:
        summary = html.escape(plain_text(content, DERIVED_SUMMARY), quote=False)
    title = title or one_line(html_text(summary), 80) or UNTITLED
    # Only keyword rules read the text: no need to strip every summary's tags without them.
    text = f"{title} {plain_text(summary, MAX_SUMMARY)}" if categories.keywords else ""
    slugs, unmatched = categories.slugs(labels, source.default_category, text)
    report.unmatched_labels.update(unmatched)
    tkey = title_key(title)
    return Item(
        id=item_id(keys[0]),
        title=title,
        link=link,
        published=published,
        updated=updated,
        summary=summary,
        content=content,
        categories=slugs,
        labels=labels,
        sources=(source.id,),
        image=safe_url(entry.image, base),
        author=_name_text(entry.author, MAX_NAME),
        enclosures=tuple(dict.fromkeys(
            Enclosure(url=u, type=_name_text(e.type, 100), length=max(e.length, 0))
            for e in entry.enclosures[:MAX_ENCLOSURES] if (u := safe_url(e.url, base))
        )),
        comments=(safe_url(entry.comments, base) if source.keep_tracking
                  else without_tracking(safe_url(entry.comments, base))),
        keys=(*keys, "title:" + tkey) if tkey else keys,
        undated=undated,
    )


def _story_date(value: datetime | None, now: datetime, report: NormaliseReport | None
                ) -> datetime | None:
    """``value`` when a story can carry it (:func:`feedhub.dates.is_story_date`), else None
    (the story is then dated when first seen), noted in ``report`` as a future or an ancient
    date."""
    if value is None or is_story_date(value, now):
        return value
    if report is not None:
        (report.future_dates if value > now else report.ancient_dates).append(
            value.isoformat())
    return None


def _rank(item: Item) -> tuple[datetime, str, str]:
    """A total order on items: the earliest published (then smallest id) leads a merge."""
    return (item.published, item.id, repr(item))


def merge(a: Item, b: Item) -> Item:
    """One story seen twice: earliest date, richest text, union of categories and sources.

    Symmetric: ``merge(a, b) == merge(b, a)``.
    """
    first, second = (a, b) if _rank(a) <= _rank(b) else (b, a)

    def richest(x: str, y: str) -> str:
        return max(x, y, key=lambda s: (len(s), s))

    seen = [s for s in (a.first_seen, b.first_seen) if s is not None]
    return replace(
        first,
        # The placeholder of a story told with no title and no text gives way to a real title.
        title=second.title if first.title in ("", UNTITLED) and second.title else first.title,
        link=first.link or second.link,
        updated=max(a.updated, b.updated),
        summary=richest(a.summary, b.summary),
        content=richest(a.content, b.content),
        categories=tuple(sorted(set(a.categories) | set(b.categories))),
        labels=tuple(sorted(set(a.labels) | set(b.labels)))[:MAX_LABELS],
        sources=tuple(sorted(set(a.sources) | set(b.sources))),
        image=first.image or second.image,
        author=first.author or second.author,
        enclosures=first.enclosures or second.enclosures,
        comments=first.comments or second.comments,
        first_seen=min(seen) if seen else None,
        keys=tuple(sorted(set(a.keys) | set(b.keys))),
    )


def merge_all(items: Iterable[Item]) -> Item:
    """Merge any number of sightings of one story; the order they come in does not matter."""
    ordered = sorted(items, key=_rank)
    if not ordered:
        raise ValueError("merge_all needs at least one item")
    result = ordered[0]
    for item in ordered[1:]:
        result = merge(result, item)
    return result
