"""Whether the service is healthy, from what the builds say: one crash must leave a trace.

- :func:`record_crash`: a build (``feedhub build``, the server's refresh, a worker) that stops
  before publishing is recorded in the store's builds table as crashed, with a one-line
  redacted reason, so /healthz and ``feedhub status`` see it.
- :func:`build_problems`: the reasons /healthz fails for, from the builds (pure; takes ``now``).
  It fails when the last build crashed, or when no build has published for longer than
  ``serve.stale_after`` (a build whose sources all failed still published: one dead source
  must not take the whole service down).

Each reason has a public text (no paths, URLs or error text: /healthz is public) and a detail
for operators (the redacted reason a build crashed with).
Must not: decide who is an operator (web.py does), or fetch or build anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import FeedhubError
from .model import Config
from .redact import one_line
from .store import BuildHistory, open_store

log = logging.getLogger(__name__)


def crash_reason(exc: BaseException) -> str:
    """One redacted line saying why a build stopped: feedhub's own errors speak for themselves,
    anything else is named by its type (``PermissionError: [Errno 13] ...``)."""
    text = str(exc) if isinstance(exc, FeedhubError) else f"{type(exc).__name__}: {exc}"
    return one_line(text)


def record_crash(config: Config, started: datetime, exc: BaseException) -> str:
    """Record in the store that a build begun at ``started`` crashed with ``exc``; returns
    the reason recorded. A store that cannot be written is logged, never raised: the crash
    being reported matters more, and /healthz reports an unreadable store anyway."""
    reason = crash_reason(exc)
    try:
        with open_store(config.store, config.root) as store:
            store.record_build(started, datetime.now(UTC), False, reason, crashed=True)
    except Exception as error:  # the original crash is what the caller reports
        log.warning("the crashed build could not be recorded in the store: %s", one_line(
            f"{type(error).__name__}: {error}"))
    return reason


@dataclass(frozen=True)
class Problem:
    """One reason /healthz fails."""

    public: str
    """Said to anyone: no paths, URLs or error text."""
    detail: str = ""
    """Added for operators: the redacted error."""


def build_problems(history: BuildHistory, stale_after: int, now: datetime) -> list[Problem]:
    """Why the builds make the service unhealthy (empty: they do not)."""
    last = history.last
    if last is None:
        return [Problem("no build has finished yet; run `feedhub build`")]
    problems: list[Problem] = []
    if last.crashed:
        problems.append(Problem(
            f"the last build crashed at {iso(last.finished)}; its log, `feedhub status` or an "
            "operator's /healthz says why", detail=last.summary))
    published = history.last_published
    if published is None:
        problems.append(Problem("no build has published the feeds yet"))
    else:
        age = int((now - published).total_seconds())
        if age > stale_after:
            problems.append(Problem(
                f"the last successful build finished {age}s ago, more than serve.stale_after "
                f"({stale_after}s); is the refresh running (serve.refresh, cron `feedhub build` "
                "or `feedhub worker`)?"))
    return problems


def iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None
