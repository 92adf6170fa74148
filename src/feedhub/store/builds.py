"""The builds table: every `feedhub build` and worker refresh pass, as /healthz, `feedhub
status` and the workers read them back.

Must not: decide what a build does (feedhub.pipeline and feedhub.worker do); it keeps their
records, and forgets those older than :data:`BUILD_HISTORY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .base import Row
from .core import StoreCore
from .dates import format_date, opt_date, parse_stored_date


@dataclass(frozen=True)
class RefreshPass:
    """One finished `feedhub build` or worker refresh pass, as the builds table keeps it."""

    started: datetime
    finished: datetime
    ok: bool
    """No source failed."""
    summary: str = ""
    """One line for people: what was refreshed, failed and published."""
    owner: str = ""
    """The worker's name (its ``--name``, default host:pid); '' for `feedhub build`."""
    refreshed: int = 0
    """Sources this worker refreshed in the pass (failures included)."""
    failed: int = 0
    """Of those, how many failed."""
    published: datetime | None = None
    """When this worker's last publish in the pass finished; None if another one published."""


BUILD_HISTORY = timedelta(days=30)
"""Builds and passes are kept this long: with several workers each recording every pass, the
table would otherwise grow by thousands of rows a day."""

_PASS_COLUMNS = "started, finished, ok, summary, owner, refreshed, failed, published"


def _refresh_pass(row: Row) -> RefreshPass:
    started, finished, ok, summary, owner, refreshed, failed, published = row
    return RefreshPass(started=parse_stored_date(started), finished=parse_stored_date(finished),
                       ok=bool(ok), summary=str(summary), owner=str(owner),
                       refreshed=int(refreshed), failed=int(failed),
                       published=opt_date(str(published)))


CRASHED = "crashed: "
"""How the summary of a crashed build starts in the builds table (no column of its own, so no
migration: a crashed build is recorded with ``ok`` false and this before its reason)."""


@dataclass(frozen=True)
class BuildRecord:
    """One row of the builds table."""

    finished: datetime
    ok: bool
    """Every source succeeded."""
    crashed: bool = False
    """The build stopped before publishing (the served files are the previous ones)."""
    summary: str = ""
    """``N of M sources failed``, or for a crashed build the reason."""


@dataclass(frozen=True)
class BuildHistory:
    """What /healthz needs to know about the builds."""

    last: BuildRecord | None = None
    last_published: datetime | None = None
    """When the last build that did not crash finished (None: none yet)."""


class BuildQueries(StoreCore):
    """The builds and refresh passes of a store."""

    def record_build(self, started: datetime, finished: datetime, ok: bool, summary: str, *,
                     crashed: bool = False, owner: str = "", refreshed: int = 0,
                     failed: int = 0, published: datetime | None = None) -> None:
        """Record a build, or a worker's refresh pass (``owner`` and its counts: see
        :class:`RefreshPass`). ``ok``: every source succeeded. ``crashed``: it stopped before
        publishing (a store or publish failure); its ``summary`` is the reason, stored after
        :data:`CRASHED`. Rows that finished more than :data:`BUILD_HISTORY` before this one
        are deleted, except each owner's last, so a stopped worker's last pass stays."""
        if crashed:
            ok, summary = False, CRASHED + summary
        with self.transaction() as db:
            db.execute(f"INSERT INTO builds ({_PASS_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                       (format_date(started), format_date(finished), int(ok), summary, owner,
                        refreshed, failed, format_date(published) if published else ""))
            # Correlated, so only the old rows (found by index) look up their owner's last.
            db.execute("DELETE FROM builds WHERE finished < ? AND id < "
                       "(SELECT MAX(b.id) FROM builds b WHERE b.owner = builds.owner)",
                       (format_date(finished - BUILD_HISTORY),))

    def last_build(self) -> tuple[datetime, bool] | None:
        """(finished, ok) of the last build or pass recorded, by any process."""
        row = self.db.execute(
            "SELECT finished, ok FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        return (parse_stored_date(row[0]), bool(row[1])) if row else None

    def build_history(self) -> BuildHistory:
        """The last build and when the last build that published finished (/healthz)."""
        row = self.db.execute(
            "SELECT finished, ok, summary FROM builds ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return BuildHistory()
        summary = str(row[2])
        crashed = summary.startswith(CRASHED)
        last = BuildRecord(finished=parse_stored_date(row[0]), ok=bool(row[1]),
                           crashed=crashed, summary=summary.removeprefix(CRASHED))
        if not crashed:
            return BuildHistory(last=last, last_published=last.finished)
        published = self.db.execute(
            "SELECT finished FROM builds WHERE summary NOT LIKE ? ORDER BY id DESC LIMIT 1",
            (CRASHED + "%",)).fetchone()
        return BuildHistory(last=last,
                            last_published=parse_stored_date(published[0]) if published else None)

    def last_passes(self) -> list[RefreshPass]:
        """The last build or pass of each owner (each worker, and '' for `feedhub build`),
        the most recent first."""
        return [_refresh_pass(row) for row in self.db.execute(
            f"SELECT {_PASS_COLUMNS} FROM builds WHERE id IN "
            "(SELECT MAX(id) FROM builds GROUP BY owner) ORDER BY id DESC")]
