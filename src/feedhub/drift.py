"""Drift: a listing page redesigned under its selectors, noticed at the build that reads it.

A source read with CSS selectors (``kind: html`` with ``selectors:``) fails silently when its
site changes its markup: the selectors match nothing, or a part, and its feed stops. So every
read of such a source is held to its norm, the last good read (:class:`~feedhub.store.Yield`:
items, items with a date, entries matched). A read is **drift** (:func:`drift_reason`) when,
against a norm that had items, it

- finds no item (the source fails, as before, and keeps its stored items), or
- finds fewer than half the norm's items, or
- dates none of its items where the norm dated some, or
- keeps (with a link) under half the entries it matched where the norm kept at least half.

A read after the source's own settings changed starts a new norm instead: the user changed
it. On drift, automatic detection (:func:`feedhub.extract.auto.detect`) runs on the same
page and the selectors it chooses are recorded with the items they give
(:class:`~feedhub.store.Drift`), for the build summary, ``feedhub status`` and
``feedhub fix``. A good read is the new norm and ends the drift.

Must not: write sources.yaml (``feedhub fix`` does, through feedhub.config) or fail a source
(sourcetrip does; drift only reports).
"""

from __future__ import annotations

from datetime import datetime

from .errors import SourceError
from .extract.auto import detect
from .extract.page import PageTooDeep, parse_page
from .model import FetchResult, Item, Source, SourceKind
from .store import Drift, Store, Yield


def watched(source: Source) -> bool:
    """Whether a source's reads are held to a norm: a listing page read with selectors."""
    return source.kind is SourceKind.HTML and source.selectors is not None


def read_yield(items: tuple[Item, ...] | list[Item], entries: int) -> Yield:
    """What a read gave: its items, those dated from the page, and the entries matched."""
    return Yield(items=len(items), dated=sum(1 for i in items if not i.undated),
                 entries=entries)


def drift_reason(norm: Yield, read: Yield) -> str:
    """Why ``read`` is drift against ``norm`` (the last good read), or "" when it is not.
    The thresholds are the module docstring's."""
    if not norm.items:
        return ""
    if not read.items:
        return f"no items, where the last good read had {norm.items}"
    if read.items * 2 < norm.items:
        return f"{read.items} items, under half of the last good read's {norm.items}"
    if norm.dated and not read.dated:
        return (f"no item has a date, where the last good read dated {norm.dated} of "
                f"{norm.items}")
    if (norm.entries and norm.items * 2 >= norm.entries and read.entries
            and read.items * 2 < read.entries):
        return (f"only {read.items} of the {read.entries} entries matched have a link, "
                f"where the last good read had {norm.items} of {norm.entries}")
    return ""


def propose(source: Source, fetched: FetchResult, reason: str, norm: Yield,
            read: Yield) -> Drift:
    """The drift of ``read``, with the selectors automatic detection chooses on the same page
    (none when it finds no repeated blocks, or only structured data)."""
    proposal = Drift(reason=reason, found=read, norm=norm)
    if not fetched.body.strip():
        return proposal
    try:
        page = parse_page(fetched)
        entries, report = detect(page, source.base_url or fetched.url, source.locale,
                                 source.date_format, fetched.headers)
    except (PageTooDeep, SourceError):
        return proposal  # the page's own failure is the source's error already
    if report.selectors is None:
        return proposal
    return Drift(reason=reason, found=read, norm=norm, proposed=report.selectors,
                 proposed_items=len(entries),
                 proposed_dated=sum(1 for e in entries if e.published is not None))


def check_read(store: Store, source: Source, fetched: FetchResult, read: Yield,
               now: datetime, *, settings_changed: bool = False) -> Drift | None:
    """Hold a read of a watched source to its norm: record it as the new norm when it is good
    (or the source's settings changed), else record and return its drift."""
    norm, recorded = store.source_yield(source.id)
    reason = "" if settings_changed else drift_reason(norm, read)
    if not reason:
        if read.items and (read != norm or recorded is not None):
            store.record_yield(source.id, read)
        return None
    drift = propose(source, fetched, reason, norm, read)
    store.record_drift(source.id, drift, now)
    return drift


def summary(source_id: str, drift: Drift) -> str:
    """One line for the build summary and `feedhub status`."""
    if drift.proposed is None:
        return (f"drift: {drift.reason}; automatic detection found no listing on the page "
                f"(`feedhub preview {source_id}` shows it)")
    return (f"drift: {drift.reason}; detection proposes selectors giving "
            f"{drift.proposed_items} items ({drift.proposed_dated} dated): "
            f"`feedhub fix {source_id}` shows them and writes them")
