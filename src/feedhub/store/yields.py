"""What a listing source's selectors yield: the last good read's counts (the norm a read is
held to, see feedhub.drift) and the drift recorded when a read fell short of it, with the
selectors automatic detection proposed instead.

Must not: decide what counts as drift or propose selectors (feedhub.drift does); it keeps
what it is handed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from ..model import Selectors
from .core import StoreCore
from .dates import format_date, opt_date


@dataclass(frozen=True)
class Yield:
    """What one read of a listing page gave."""

    items: int = 0
    """Items stored (entries with a link or id)."""
    dated: int = 0
    """Items with a date from the page."""
    entries: int = 0
    """Entries the selectors matched, with a link or not."""


@dataclass(frozen=True)
class Drift:
    """A read that fell short of the source's norm, and what detection proposes instead."""

    reason: str
    """Why it is drift, one sentence ("no items, where the last good read had 12")."""
    found: Yield = Yield()
    """What the configured selectors gave on this read."""
    norm: Yield = Yield()
    """The last good read it fell short of."""
    proposed: Selectors | None = None
    """The selectors automatic detection chose on the same page (None: it found none)."""
    proposed_items: int = 0
    """Items those selectors give on that page."""
    proposed_dated: int = 0
    """Of those, items with a date."""
    at: datetime | None = None


def _drift_json(drift: Drift) -> str:
    data = asdict(drift)
    data.pop("at")
    return json.dumps(data, sort_keys=True)


def _drift_from(text: str, at: str) -> Drift | None:
    if not text:
        return None
    data = json.loads(text)
    proposed = data.get("proposed")
    return Drift(reason=str(data["reason"]), found=Yield(**data.get("found", {})),
                 norm=Yield(**data.get("norm", {})),
                 proposed=Selectors(**proposed) if proposed else None,
                 proposed_items=int(data.get("proposed_items", 0)),
                 proposed_dated=int(data.get("proposed_dated", 0)), at=opt_date(at))


class YieldQueries(StoreCore):
    """The source_yields table."""

    def source_yield(self, source_id: str) -> tuple[Yield, Drift | None]:
        """The source's norm (its last good read; zeros when none) and its recorded drift."""
        row = self.db.execute("SELECT items, dated, entries, drift, drift_at FROM source_yields "
                              "WHERE source_id = ?", (source_id,)).fetchone()
        if row is None:
            return Yield(), None
        return Yield(int(row[0]), int(row[1]), int(row[2])), _drift_from(row[3], row[4])

    def drifts(self) -> dict[str, Drift]:
        """Every source's recorded drift, by source id."""
        out = {}
        for sid, text, at in self.db.execute(
                "SELECT source_id, drift, drift_at FROM source_yields WHERE drift <> '' "
                "ORDER BY source_id"):
            drift = _drift_from(text, at)
            if drift is not None:
                out[str(sid)] = drift
        return out

    def record_yield(self, source_id: str, good: Yield) -> None:
        """A good read: it is the new norm, and any recorded drift is over."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO source_yields (source_id, items, dated, entries, drift, drift_at) "
                "VALUES (?,?,?,?,'','') ON CONFLICT (source_id) DO UPDATE SET "
                "items=excluded.items, dated=excluded.dated, entries=excluded.entries, "
                "drift='', drift_at=''",
                (source_id, good.items, good.dated, good.entries))

    def record_drift(self, source_id: str, drift: Drift, now: datetime) -> None:
        """A read that fell short: the drift is recorded, the norm kept."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO source_yields (source_id, drift, drift_at) VALUES (?,?,?) "
                "ON CONFLICT (source_id) DO UPDATE SET drift=excluded.drift, "
                "drift_at=excluded.drift_at",
                (source_id, _drift_json(drift), format_date(now)))
