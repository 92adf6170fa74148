"""`feedhub preview`: fetch one source and show what feedhub would extract from it.

Contract: :func:`preview_source` fetches (through the given fetcher, so the same limits and
checks apply as in a build), extracts, and returns a :class:`Preview`: one row per entry with
what a reader will see (title, date, label, the category it lands in, the summary's first
words, the image) and its warnings (no date, unparsed date, relative link left, empty title);
for a listing page, the language its dates were read in and why, and without selectors, the
selectors automatic detection chose and why. When dates are missing it says what to set
(``locale``, ``date_format``). It stores nothing and writes nothing. :func:`render` and
:func:`to_json` turn a preview into text or JSON data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .categories import CategoryMap
from .errors import ExtractError, SourceError
from .extract import extract
from .extract.auto import AutoReport, detect
from .extract.encoding import decode
from .extract.jsonfeed import looks_like_json
from .extract.language import LocaleChoice, selectors_locale
from .extract.page import PageTooDeep, parse_page
from .fetch import Fetcher, Validators, fetch
from .model import FetchResult, RawEntry, Source, SourceKind
from .normalise import entry_title, plain_text, to_utc
from .sourcefetch import page_fetcher


@dataclass(frozen=True)
class PreviewRow:
    title: str
    date: str
    """ISO 8601 in UTC, or "" when there is no usable date."""
    date_text: str
    label: str
    link: str
    warnings: tuple[str, ...] = ()
    summary: str = ""
    """The summary's first words, as plain text."""
    image: str = ""
    categories: tuple[str, ...] = ()
    """The categories the item lands in (empty when previewed without a config)."""


@dataclass(frozen=True)
class Preview:
    source_id: str
    url: str
    kind: str
    rows: tuple[PreviewRow, ...] = ()
    error: str = ""
    notes: tuple[str, ...] = ()
    """Page-level remarks: a repaired charset, the auto-detection's reasons."""
    strategy: str = ""
    """How items were found: "selectors", "feed", or an auto-detection strategy."""
    selectors: dict[str, str] = field(default_factory=dict)
    """The selectors automatic detection chose (empty when it did not run)."""
    confident: bool = True
    locale: str = ""
    """The language a listing page's dates were read in ("" = English names, numbers)."""
    locale_why: str = ""
    """Why that language: 'fr from <html lang="fr">', 'set in sources.yaml', ..."""
    date_rule: str = ""
    """The date rule used on a listing page (the configured or chosen selector)."""

    @property
    def warning_count(self) -> int:
        return sum(len(r.warnings) for r in self.rows)


def looks_like_feed(body: bytes) -> bool:
    """True for RSS, Atom or JSON Feed bytes (used when previewing a bare URL)."""
    if looks_like_json(body):
        return True
    head = decode(body[:2048]).text.lstrip().lower()
    if head.startswith("<?xml"):
        head = head[head.find("?>") + 2:]
    return any(tag in head[:1500] for tag in ("<rss", "<feed", "<rdf:rdf"))


SUMMARY_WORDS = 12
"""Words of each summary shown."""


def _first_words(html_text: str) -> str:
    words = plain_text(html_text, 400).split()
    return " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")


def row(entry: RawEntry, timezone: str, categories: CategoryMap | None = None,
        default_category: str = "") -> PreviewRow:
    warnings = []
    published = to_utc(entry.published, timezone)
    title = entry_title(entry)  # what the build publishes, not the raw text
    if not title:
        warnings.append("empty title")
    if published is None and entry.date_text:
        warnings.append(f"unparsed date {entry.date_text!r}: set date_format/locale")
    elif published is None:
        warnings.append("no date: it will be dated when first seen")
    if entry.link and urlsplit(entry.link).scheme not in ("http", "https"):
        warnings.append("relative link left: set base_url")
    elif not entry.link:
        warnings.append("no link")
    labels = [" ".join(label.split()) for label in entry.labels]
    slugs = categories.slugs(labels, default_category)[0] if categories is not None else ()
    return PreviewRow(
        title=title, date=published.isoformat() if published else "",
        date_text=entry.date_text, label=", ".join(labels), link=entry.link,
        warnings=tuple(warnings), summary=_first_words(entry.summary), image=entry.image,
        categories=slugs)


def date_advice(rows: tuple[PreviewRow, ...], choice: LocaleChoice | None) -> list[str]:
    """What to set when dates are missing: a preview's last word on dates."""
    unparsed = [r.date_text for r in rows if not r.date and r.date_text]
    undated = sum(1 for r in rows if not r.date)
    if unparsed:
        read = f"read as {choice.locale or 'en'} ({choice.why})" if choice else "read"
        return [f"{len(unparsed)} of {len(rows)} date(s) did not parse, {read}, e.g. "
                f"{unparsed[0]!r}: those items would be dated when first seen; set "
                "`date_format` (a strptime format such as \"%d %B %Y\"), and `locale` if "
                "its month names are in another language"]
    if undated and undated == len(rows):
        return ["no item has a date: every item would be dated when first seen; if the page "
                "shows dates, set a `date` selector (and `date_format`/`locale`)"]
    return []


def adhoc_source(probe: Source, fetched: FetchResult) -> Source:
    kind = SourceKind.FEED if looks_like_feed(fetched.body) else SourceKind.HTML
    return replace(probe, kind=kind)


def preview_source(target: Source | str, root: Path, fetcher: Fetcher = fetch,
                   allow_private: bool = False, categories: CategoryMap | None = None,
                   render: str = "static") -> Preview:
    """Preview a configured source, or a bare URL (its kind is sniffed from the bytes; it may
    reach private addresses only with ``allow_private``, like a source that says so, and is
    read as ``render`` says, with a ``fetcher`` that renders). With ``categories`` each row
    says which categories its item lands in."""
    url = target if isinstance(target, str) else target.location
    source = target if isinstance(target, Source) else Source(
        id="preview", kind=SourceKind.HTML, location=url, allow_private=allow_private,
        render=render)
    report: AutoReport | None = None
    choice: LocaleChoice | None = None
    notes: list[str] = []
    try:
        fetched = fetcher(source, root, Validators())
        if isinstance(target, str):
            source = adhoc_source(source, fetched)
        note = decode(fetched.body[:65536], fetched.headers).note
        if note:
            notes.append(f"charset: {note}")
        if source.kind is SourceKind.HTML and source.selectors is None:
            try:
                page = parse_page(fetched)
            except PageTooDeep as exc:
                raise ExtractError(source.id, str(exc)) from exc
            entries, report = detect(page, source.base_url or fetched.url, source.locale,
                                     source.date_format, fetched.headers)
            choice = report.locale
            notes.extend(report.reasons)
            if report.runner_up:
                notes.append(f"runner-up: {report.runner_up}")
        else:
            entries = extract(source, fetched, page_fetcher(source, root, fetcher))
            if source.kind is SourceKind.HTML:
                choice = selectors_locale(source.locale, parse_page(fetched), fetched.headers,
                                          [e.date_text for e in entries], source.date_format)
    except SourceError as exc:
        return Preview(source.id, url, source.kind.value, error=exc.message)
    rows = tuple(row(e, source.timezone, categories, source.default_category)
                 for e in entries)
    notes.extend(date_advice(rows, choice))
    locale, why = (choice.locale, choice.why) if choice is not None else ("", "")
    if report is not None:
        chosen = asdict(report.selectors) if report.selectors else {}
        return Preview(source.id, fetched.url, source.kind.value, rows, notes=tuple(notes),
                       strategy=report.strategy, confident=report.confident,
                       selectors={k: v for k, v in chosen.items() if v},
                       locale=locale, locale_why=why, date_rule=chosen.get("date", ""))
    strategy = "feed" if source.kind is SourceKind.FEED else "selectors"
    rule = source.selectors.date if source.selectors is not None else ""
    return Preview(source.id, fetched.url, source.kind.value, rows, notes=tuple(notes),
                   strategy=strategy, locale=locale, locale_why=why, date_rule=rule)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def render(preview: Preview, limit: int = 20) -> str:
    """A plain-text table with warnings under each row, then what was chosen and why."""
    lines = [f"{preview.source_id} ({preview.kind}) {preview.url}"]
    if preview.error:
        lines.append(f"error: {preview.error}")
        return "\n".join(lines)
    lines.append(f"{len(preview.rows)} item(s) via {preview.strategy}"
                 + ("" if preview.confident else " (not sure: read the notes below)"))
    if preview.kind == SourceKind.HTML.value and not preview.error:
        rule = f", date rule {preview.date_rule!r}" if preview.date_rule else ", no date rule"
        lines.append(f"dates read as {preview.locale or 'en'}: {preview.locale_why}{rule}")
    lines.append(f"{'#':>3}  {'date (UTC)':<16}  {'label':<18}  {'title':<48}  link")
    for number, item in enumerate(preview.rows[:limit], 1):
        day = item.date[:16].replace("T", " ")
        lines.append(f"{number:>3}  {day:<16}  {_cut(item.label, 18):<18}  "
                     f"{_cut(item.title, 48):<48}  {item.link}")
        if item.categories:
            lines.append(f"{'':>5}  -> {', '.join(item.categories)}")
        if item.summary:
            lines.append(f"{'':>5}  {_cut(item.summary, 96)}")
        if item.image:
            lines.append(f"{'':>5}  image: {item.image}")
        lines.extend(f"{'':>5}! {w}" for w in item.warnings)
    if len(preview.rows) > limit:
        lines.append(f"... and {len(preview.rows) - limit} more (--limit)")
    if preview.selectors:
        lines.append("selectors chosen (paste under the source in sources.yaml to pin them):")
        lines.append("  selectors:")
        lines.extend(f"    {name}: {value}" for name, value in preview.selectors.items())
    lines.extend(f"note: {note}" for note in preview.notes)
    return "\n".join(lines)


def to_json(preview: Preview) -> dict[str, Any]:
    data = asdict(preview)
    data["ok"] = not preview.error
    data["warnings"] = preview.warning_count
    return data


__all__ = ["Preview", "PreviewRow", "preview_source", "render", "to_json"]
