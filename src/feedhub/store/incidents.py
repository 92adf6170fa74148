"""The incidents table: what feedhub.incidents found wrong with a source, and when it
recovered, kept so the operator feed's entries keep their ids and dates.

Must not: decide what an incident is (feedhub.incidents does) or render anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .base import Row
from .core import StoreCore
from .dates import format_date, parse_stored_date


@dataclass(frozen=True)
class Incident:
    """One entry of the operator feed: a problem of a source began, or ended."""

    id: int
    source_id: str
    problem: str
    """What kind of problem: ``failing`` or ``stale`` (see feedhub.incidents)."""
    since: str
    """What anchors this spell of the problem (a stored date, or "" for never)."""
    opened: bool
    """True: the problem began; False: the source recovered from it."""
    at: datetime
    """When feedhub noticed."""
    detail: str = ""
    """What broke and what to do, redacted."""


_COLUMNS = "id, source_id, problem, since, opened, at, detail"


class IncidentQueries(StoreCore):
    """The incidents table, and the one item query that finds stale sources."""

    def newest_item_dates(self) -> dict[str, datetime]:
        """Per source, the date of its newest stored item (sources with none are absent)."""
        rows = self.db.execute(
            "SELECT s.source_id, MAX(i.published) FROM items i "
            "JOIN item_sources s ON s.item = i.n GROUP BY s.source_id").fetchall()
        return {str(source): parse_stored_date(str(newest)) for source, newest in rows
                if newest}

    def open_incidents(self) -> dict[tuple[str, str], Incident]:
        """The problems not recovered from, by (source id, problem)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM incidents i WHERE opened = 1 AND id = (SELECT MAX(id) "
            "FROM incidents j WHERE j.source_id = i.source_id AND j.problem = i.problem)"
        ).fetchall()
        return {(str(row[1]), str(row[2])): _incident(row) for row in rows}

    def add_incident(self, source_id: str, problem: str, since: str, opened: bool,
                     at: datetime, detail: str) -> None:
        """Record that a spell of a problem began (``opened``) or ended; once: a second
        record of the same spell (another worker noticed it too) is ignored."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO incidents (source_id, problem, since, opened, at, detail) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, problem, since, opened) "
                "DO NOTHING", (source_id, problem, since, int(opened), format_date(at), detail))

    def incidents(self, limit: int = 50) -> list[Incident]:
        """The newest ``limit`` incidents, newest first."""
        return [_incident(row) for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM incidents ORDER BY id DESC LIMIT ?", (limit,))]


def _incident(row: Row) -> Incident:
    return Incident(id=int(row[0]), source_id=str(row[1]), problem=str(row[2]),
                    since=str(row[3]), opened=bool(row[4]), at=parse_stored_date(str(row[5])),
                    detail=str(row[6]))
