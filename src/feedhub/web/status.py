"""``/healthz``, ``/status.json`` and the operators' ``/ops/incidents.atom``: who is an
operator, and what each of them is told.

Contract:
- Anyone gets counts, times and health, never a URL, a local path or error text.
- Operators (:func:`is_operator`: a request from loopback that no proxy forwarded, or
  ``Authorization: Bearer $FEEDHUB_STATUS_TOKEN``) also get the errors, redacted
  (feedhub.redact); the app makes those answers unreadable cross-origin.
- ``/ops/incidents.atom`` (:func:`incidents_feed`, feedhub.incidents) is for operators only:
  the app answers anyone else 403.
- ``/healthz`` fails (``"status": "failing"`` with its reasons) when a feed file is missing,
  the store cannot be read, or feedhub.health finds a problem with the builds.

Must not: build, fetch or write anything, or make the response (the app does).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import request

from ..categories import CategoryMap
from ..health import build_problems, iso
from ..incidents import is_stale
from ..model import Config
from ..publish.feeds import render_incidents
from ..redact import one_line, redact_text
from ..schedule import next_due
from ..store import open_store
from .published import Published

log = logging.getLogger("feedhub.web")  # the app's logger: the name its lines always carried

FORWARDED_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")
"""A request carrying any of these came through a proxy: its loopback peer says nothing."""
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def _host_name(host: str) -> str:
    """The name or address of a Host header, without its port or IPv6 brackets."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(value: str) -> bool:
    if value.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


def is_operator(token: str) -> bool:
    """Whether the current request may see error details: it carries ``Authorization: Bearer
    <token>`` (``token`` non-empty, compared in constant time), or it comes from this machine
    straight (a loopback peer, no proxy's forwarding header, a loopback Host: a page a browser
    here opened under another name, DNS rebinding, gets the public answer)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return bool(token) and hmac.compare_digest(given.strip().encode("utf-8"),
                                                   token.encode("utf-8"))
    if any(name in request.headers for name in FORWARDED_HEADERS):
        return False
    return is_loopback(request.remote_addr or "") and is_loopback(_host_name(request.host))


def health_body(config: Config, published: Published, feed_files: Iterable[str],
                operator: bool) -> dict[str, Any]:
    """The /healthz answer: ``status`` is ``"failing"`` when it gives any ``reasons``."""
    reasons: list[str] = []
    # Asked of what this node serves from: on a web node without a build of its own,
    # the store's published files.
    missing = [rel for rel in feed_files if not published.has(rel)]
    if missing:
        # Relative paths only: they are the public feed URLs, the folder is not.
        reasons.append(f"{len(missing)} feed file(s) missing ({', '.join(missing[:3])}); "
                       "run `feedhub build`")
    body: dict[str, Any] = {}
    try:
        with open_store(config.store, config.root) as store:
            history = store.build_history()
    except Exception as exc:  # whatever the store raises, it cannot be read: not "ok"
        reason = "the store cannot be read"
        reasons.append(f"{reason}: {one_line(str(exc))}" if operator
                       else f"{reason}; the server's log or an operator's /healthz says why")
        log.warning("/healthz: %s: %s", reason, one_line(f"{type(exc).__name__}: {exc}"))
    else:
        for problem in build_problems(history, config.serve.stale_after, datetime.now(UTC)):
            shown = problem.public
            if operator and problem.detail:
                shown += f": {problem.detail}"
            reasons.append(shown)
        last = history.last
        body = {"last_build": iso(last.finished) if last else None,
                "last_build_ok": last.ok if last else None,
                "last_build_crashed": last.crashed if last else None,
                "last_successful_build": iso(history.last_published)}
    return {"status": "failing" if reasons else "ok", "reasons": reasons, **body}


def status_body(config: Config, operator: bool) -> dict[str, Any]:
    """The /status.json answer: the last builds and every source's health."""
    now = datetime.now(UTC)
    categories = CategoryMap.from_categories(config.categories)
    with open_store(config.store, config.root) as store:
        states = store.source_states()
        newest = store.newest_item_dates()
        history = store.build_history()
        sources = []
        for source in config.sources:
            state = states.get(source.id)
            due = next_due(config, source, state, categories) if state else None
            health = "not fetched yet"
            if state and state.last_attempt:
                health = "failing" if state.failures else "ok"
            entry: dict[str, Any] = {
                "id": source.id,
                "status": health,
                "last_success": iso(state.last_success) if state else None,
                "last_error_at": iso(state.last_error_at) if state else None,
                "consecutive_failures": state.failures if state else 0,
                "item_count": state.item_count if state else 0,
                "stale": is_stale(config, source, newest.get(source.id), now),
                "next_due": iso(max(due, now)) if due else iso(now),
            }
            if operator:
                # Redacted again when shown: rows stored by older versions were not.
                entry["last_error"] = redact_text(state.last_error) if state else ""
            sources.append(entry)
    last = history.last
    body: dict[str, Any] = {
        "generated": iso(now),
        "view": "operator" if operator else "public",
        "last_build": iso(last.finished) if last else None,
        "last_build_ok": last.ok if last else None,
        "last_build_crashed": last.crashed if last else None,
        "last_successful_build": iso(history.last_published),
    }
    if operator:
        body["last_build_summary"] = one_line(last.summary) if last else ""
    body["sources"] = sources
    return body


INCIDENTS_PATH = "/ops/incidents.atom"
"""Where operators read the incidents feed (feedhub.incidents); never a published file."""
INCIDENTS_SHOWN = 50
"""Incidents in the feed, newest first."""


def incidents_feed(config: Config) -> bytes:
    """The operators' Atom feed of incidents, from the store (rendered per request: it is
    never written to the output folder, so no static server can hand it out)."""
    with open_store(config.store, config.root) as store:
        incidents = store.incidents(INCIDENTS_SHOWN)
    return render_incidents(incidents, config.site.title,
                            f"{config.site.base_url}{INCIDENTS_PATH}")
