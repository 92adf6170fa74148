"""Raw entries -> Items: one identity per story, UTC dates, mapped categories, safe HTML.

Pure functions: no I/O, no clock (``now`` is an argument). The store decides what was seen
before; this module only says what an entry *is*.

Identity: an item's id is a UUID derived from an identity key that never depends on the story's
text. The key is the canonical link, or the source's guid when the guid is a URI that is unique
within the source and there is no link. http/https, tracking parameters, fragments, default
ports and trailing slashes do not change the canonical link.
"""

from __future__ import annotations

import html
import re
import unicodedata
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

import nh3

from .model import Category, Enclosure, Item, RawEntry, Source

ID_NAMESPACE = uuid.UUID("6f1d5a4e-8f0e-4a55-9a38-3c1c1e1b7f00")
"""Namespace of feedhub item UUIDs. Changing it would change every id: never do."""

MAX_TITLE = 500
MAX_SUMMARY = 20_000
MAX_CONTENT = 200_000
MAX_FUTURE = timedelta(days=1)
"""A date further ahead of first-seen than this is a source's mistake and is clamped."""

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|_hsenc|_hsmi|"
    r"igshid|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wt\.mc_id|ref_src|__s)$",
    re.IGNORECASE,
)

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height", "loading", "referrerpolicy"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
}


def strip_xml_forbidden(text: str) -> str:
    """Remove characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/FFFF)."""
    return _XML_FORBIDDEN.sub("", text)


def plain_text(text: str, limit: int = MAX_TITLE) -> str:
    """Markup and entities gone, whitespace collapsed, capped: for titles and labels."""
    text = html.unescape(_TAG.sub(" ", text)) if "<" in text or "&" in text else text
    text = _SPACE.sub(" ", strip_xml_forbidden(text)).strip()
    return text[:limit].rstrip() if len(text) > limit else text


def canonical_url(url: str) -> str:
    """The form of a URL used for identity. Not for display: scheme is always https."""
    url = strip_xml_forbidden(url).strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~%")
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if not TRACKING_PARAMS.match(k))
    )
    return urlunsplit(("https", netloc, path, query, ""))


def safe_url(url: str, base: str = "") -> str:
    """An absolute http(s) URL, or "" for anything else (javascript:, data:, ...)."""
    url = strip_xml_forbidden(html.unescape(url)).strip()
    url = re.sub(r"[\t\n\r]", "", url)
    if not url:
        return ""
    absolute = urljoin(base, url) if base else url
    scheme = urlsplit(absolute).scheme.lower()
    if scheme in {"http", "https"}:
        return absolute
    return ""


def sanitise_html(fragment: str, base: str = "", limit: int = MAX_SUMMARY) -> str:
    """Allowlist-clean HTML: no script/style/iframe/form/handlers, only http(s) links."""
    if not fragment:
        return ""
    fragment = strip_xml_forbidden(fragment)
    if "<" not in fragment and "&" not in fragment:
        text = html.escape(_SPACE.sub(" ", fragment).strip(), quote=False)
        return text[:limit]
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"loading": "lazy", "referrerpolicy": "no-referrer"}},
        strip_comments=True,
    )
    if base:
        cleaned = _absolutise(cleaned, base)
    cleaned = cleaned.strip()
    if len(cleaned) > limit:
        cleaned = nh3.clean(cleaned[:limit], tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES)
    return cleaned


_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def _absolutise(cleaned: str, base: str) -> str:
    def fix(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2))
        absolute = urljoin(base, value)
        return f"{match.group(1)}{html.escape(absolute, quote=True)}{match.group(3)}"

    return _URL_ATTR.sub(fix, cleaned)


def label_key(label: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a label."""
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped).strip().casefold()


@dataclass(frozen=True)
class CategoryMap:
    """Raw label -> category slug, built once per config."""

    by_label: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_categories(cls, categories: Iterable[Category]) -> CategoryMap:
        by_label: dict[str, str] = {}
        for category in categories:
            by_label.setdefault(label_key(category.slug), category.slug)
            by_label.setdefault(label_key(category.title), category.slug)
            for label in category.labels:
                by_label[label_key(label)] = category.slug
        return cls(by_label)

    def slugs(self, labels: Sequence[str], default: str) -> tuple[tuple[str, ...], list[str]]:
        """Categories for these labels, and the labels that matched nothing."""
        found: list[str] = []
        unmatched: list[str] = []
        for label in labels:
            slug = self.by_label.get(label_key(label))
            if slug is None:
                unmatched.append(label)
            elif slug not in found:
                found.append(slug)
        if not found and default:
            found.append(default)
        return tuple(found), unmatched


def identity_key(entry: RawEntry, link: str, guid_unique: bool) -> str:
    """What makes a story the same story: its canonical link, else its guid."""
    if link:
        return "link:" + canonical_url(link)
    guid = entry.guid.strip()
    if guid and guid_unique:
        if guid.startswith(("http://", "https://")):
            return "link:" + canonical_url(guid)
        return "guid:" + guid
    return ""


def item_id(key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, key))


def to_utc(value: datetime | None, timezone: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    return value.astimezone(UTC)


@dataclass
class NormaliseReport:
    """What normalising one source noticed, for the build summary."""

    unmatched_labels: set[str] = field(default_factory=set)
    unparsed_dates: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    """Entries with neither a usable link nor a guid (no stable identity)."""


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
    guid_counts: dict[str, int] = {}
    for entry in entries:
        if entry.guid:
            guid_counts[entry.guid] = guid_counts.get(entry.guid, 0) + 1
    items: dict[str, Item] = {}
    for entry in entries:
        link = safe_url(entry.link, base) or (
            safe_url(entry.guid) if entry.guid.startswith(("http://", "https://")) else ""
        )
        key = identity_key(entry, link, guid_counts.get(entry.guid, 0) == 1)
        title = plain_text(entry.title)
        if not key:
            report.dropped.append(title or "(untitled)")
            continue
        published = to_utc(entry.published, source.timezone)
        if published is None and entry.date_text:
            report.unparsed_dates.append(entry.date_text)
        updated = to_utc(entry.updated, source.timezone)
        if published is not None and published > now + MAX_FUTURE:
            published = now
        if updated is not None and updated > now + MAX_FUTURE:
            updated = now
        published = published or now
        updated = max(updated or published, published)
        labels = tuple(dict.fromkeys(plain_text(lbl, 200) for lbl in entry.labels if lbl.strip()))
        slugs, unmatched = categories.slugs(labels, source.default_category)
        report.unmatched_labels.update(unmatched)
        summary = sanitise_html(entry.summary, base)
        content = sanitise_html(entry.content, base, MAX_CONTENT)
        if not summary and content:
            summary = html.escape(plain_text(content, 600), quote=False)
        item = Item(
            id=item_id(key),
            title=title or plain_text(summary, 80) or "(untitled)",
            link=link,
            published=published,
            updated=updated,
            summary=summary,
            content=content,
            categories=slugs,
            labels=labels,
            sources=(source.id,),
            image=safe_url(entry.image, base),
            author=plain_text(entry.author, 200),
            enclosures=tuple(
                Enclosure(url=u, type=plain_text(e.type, 100), length=e.length)
                for e in entry.enclosures if (u := safe_url(e.url, base))
            ),
        )
        items[item.id] = merge(items[item.id], item) if item.id in items else item
    return list(items.values())


def merge(a: Item, b: Item) -> Item:
    """One story seen twice: earliest date, richest text, union of categories and sources."""
    first, second = (a, b) if (a.published, a.id) <= (b.published, b.id) else (b, a)
    return replace(
        first,
        title=first.title or second.title,
        link=first.link or second.link,
        updated=max(a.updated, b.updated),
        summary=max(a.summary, b.summary, key=len),
        content=max(a.content, b.content, key=len),
        categories=tuple(dict.fromkeys(a.categories + b.categories)),
        labels=tuple(dict.fromkeys(a.labels + b.labels)),
        sources=tuple(sorted(set(a.sources + b.sources))),
        image=first.image or second.image,
        author=first.author or second.author,
        enclosures=first.enclosures or second.enclosures,
    )
