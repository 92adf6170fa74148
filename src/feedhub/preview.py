"""`feedhub preview`: fetch one source and show what feedhub would extract from it.

Contract: :func:`preview_source` fetches (through the given fetcher, so the same limits and
checks apply as in a build), extracts, and returns a :class:`Preview`: one row per entry with
its warnings (no date, unparsed date, relative link left, empty title), and, for a listing page
without selectors, the selectors automatic detection chose and why. It stores nothing and
writes nothing. :func:`render` and :func:`to_json` turn a preview into text or JSON data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ExtractError, SourceError
from .extract import extract
from .extract.auto import AutoReport, detect
from .extract.encoding import decode
from .extract.html import PageTooDeep, parse_page
from .extract.jsonfeed import looks_like_json
from .fetch import Fetcher, Validators, fetch
from .model import FetchResult, RawEntry, Source, SourceKind
from .normalise import to_utc
from .pipeline import page_fetcher


@dataclass(frozen=True)
class PreviewRow:
    title: str
    date: str
    """ISO 8601 in UTC, or "" when there is no usable date."""
    date_text: str
    label: str
    link: str
    warnings: tuple[str, ...] = ()


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


def row(entry: RawEntry, timezone: str) -> PreviewRow:
    warnings = []
    published = to_utc(entry.published, timezone)
    if not entry.title.strip():
        warnings.append("empty title")
    if published is None and entry.date_text:
        warnings.append(f"unparsed date {entry.date_text!r}: set date_format/locale")
    elif published is None:
        warnings.append("no date: it will be dated when first seen")
    if entry.link and urlsplit(entry.link).scheme not in ("http", "https"):
        warnings.append("relative link left: set base_url")
    elif not entry.link:
        warnings.append("no link")
    return PreviewRow(
        title=" ".join(entry.title.split()), date=published.isoformat() if published else "",
        date_text=entry.date_text, label=", ".join(entry.labels), link=entry.link,
        warnings=tuple(warnings))


def adhoc_source(probe: Source, fetched: FetchResult) -> Source:
    kind = SourceKind.FEED if looks_like_feed(fetched.body) else SourceKind.HTML
    return replace(probe, kind=kind)


def preview_source(target: Source | str, root: Path, fetcher: Fetcher = fetch,
                   allow_private: bool = False) -> Preview:
    """Preview a configured source, or a bare URL (its kind is sniffed from the bytes; it may
    reach private addresses only with ``allow_private``, like a source that says so)."""
    url = target if isinstance(target, str) else target.location
    source = target if isinstance(target, Source) else Source(
        id="preview", kind=SourceKind.HTML, location=url, allow_private=allow_private)
    report: AutoReport | None = None
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
                                     source.date_format)
            notes.extend(report.reasons)
            if report.runner_up:
                notes.append(f"runner-up: {report.runner_up}")
        else:
            entries = extract(source, fetched, page_fetcher(source, root, fetcher))
    except SourceError as exc:
        return Preview(source.id, url, source.kind.value, error=exc.message)
    rows = tuple(row(e, source.timezone) for e in entries)
    if report is not None:
        chosen = asdict(report.selectors) if report.selectors else {}
        return Preview(source.id, fetched.url, source.kind.value, rows, notes=tuple(notes),
                       strategy=report.strategy, confident=report.confident,
                       selectors={k: v for k, v in chosen.items() if v})
    strategy = "feed" if source.kind is SourceKind.FEED else "selectors"
    return Preview(source.id, fetched.url, source.kind.value, rows, notes=tuple(notes),
                   strategy=strategy)


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
    lines.append(f"{'#':>3}  {'date (UTC)':<16}  {'label':<18}  {'title':<48}  link")
    for number, item in enumerate(preview.rows[:limit], 1):
        day = item.date[:16].replace("T", " ")
        lines.append(f"{number:>3}  {day:<16}  {_cut(item.label, 18):<18}  "
                     f"{_cut(item.title, 48):<48}  {item.link}")
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
