"""Incidents for the operator feed: which sources are failing or stale, from the store's
source states, recorded when a build publishes (:func:`record_incidents`, called by
feedhub.sync) so each spell of a problem gives one entry when it begins and one when it ends.

- ``failing``: the source failed :data:`FAILING_AFTER` fetches in a row (one failure is
  usually passing: a timeout, a restart). Its spell is anchored by its last success.
- ``stale``: its newest stored item is older than its ``stale_after`` (a source's own, else
  ``fetch.stale_after``; zero: never). Its spell is anchored by that item's date. A source
  with no items yet is not stale: nothing says how old its news is.

Entry text says what broke and what to do; errors pass through feedhub.redact, and no source
URL is quoted (the error text may name one, redacted).

Must not: fetch, decide who may read the feed (feedhub.web.status.is_operator does) or
render it (feedhub.publish.feeds.render_incidents does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Config, Source
from .redact import one_line, redact_text
from .store import Store, format_date
from .store.sources import SourceState

FAILING_AFTER = 3
"""Fetches failed in a row after which a source is failing, in the operator feed."""

PROBLEMS = ("failing", "stale")


@dataclass(frozen=True)
class Finding:
    """A problem a source has now."""

    source_id: str
    problem: str
    since: str
    """What anchors this spell: the last success (failing) or the newest item (stale)."""
    detail: str


def is_stale(config: Config, source: Source, newest: datetime | None, now: datetime) -> bool:
    """Whether ``source``, whose newest stored item is dated ``newest``, is stale at ``now``."""
    limit = config.stale_after_of(source)
    return bool(limit) and newest is not None and now - newest > limit


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "never"


def _span(limit: timedelta) -> str:
    days = limit.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{int(limit.total_seconds())}s"


def findings(config: Config, states: Mapping[str, SourceState],
             newest: Mapping[str, datetime], now: datetime) -> list[Finding]:
    """Every configured source's problems at ``now`` (pure)."""
    found = []
    for source in config.sources:
        state = states.get(source.id)
        if state is not None and state.failures >= FAILING_AFTER:
            error = one_line(redact_text(state.last_error))
            found.append(Finding(
                source.id, "failing", format_date(state.last_success)
                if state.last_success else "",
                f"Source {source.id} failed its last {state.failures} fetches (last success: "
                f"{_day(state.last_success)}). Last error, at {_day(state.last_error_at)}: "
                f"{error or 'none recorded'}. What to do: run `feedhub preview {source.id}` "
                "to see what it answers now; if the site moved or changed its layout, update "
                "the source in sources.yaml; if the host is down, nothing: feedhub keeps "
                "its items and tries again, less often."))
        date = newest.get(source.id)
        if date is not None and is_stale(config, source, date, now):
            limit = config.stale_after_of(source)
            found.append(Finding(
                source.id, "stale", format_date(date),
                f"Source {source.id} is stale: its newest stored item is from {_day(date)}, "
                f"more than {_span(limit)} ago (stale_after). What to do: check that the "
                f"site still publishes; run `feedhub preview {source.id}` to see whether its "
                "newest stories are found (a changed layout can leave only old ones); if it "
                "publishes rarely, give the source a longer stale_after (0: never)."))
    return found


def _recovery(incident_problem: str, source_id: str, configured: bool) -> str:
    if not configured:
        return (f"Source {source_id} is no longer in sources.yaml: its {incident_problem} "
                "incident is closed. Nothing to do.")
    if incident_problem == "failing":
        return (f"Source {source_id} recovered: its last fetch succeeded. Nothing to do; "
                "`feedhub status` shows its items.")
    return (f"Source {source_id} is no longer stale: it has a recent item (or a longer "
            "stale_after). Nothing to do.")


def record_incidents(config: Config, store: Store, now: datetime) -> None:
    """Record the problems that began and ended since the last call. A spell is recorded
    once (the store ignores a second record of it), so concurrent workers may both call."""
    found = {(f.source_id, f.problem): f
             for f in findings(config, store.source_states(), store.newest_item_dates(), now)}
    opened = store.open_incidents()
    configured = {source.id for source in config.sources}
    for (source_id, problem), incident in sorted(opened.items()):
        current = found.get((source_id, problem))
        if current is None or current.since != incident.since:
            store.add_incident(source_id, problem, incident.since, False, now,
                               _recovery(problem, source_id, source_id in configured))
    for key, finding in found.items():
        known = opened.get(key)
        if known is None or known.since != finding.since:
            store.add_incident(finding.source_id, finding.problem, finding.since, True, now,
                               finding.detail)
