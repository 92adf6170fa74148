"""``/metrics``: what Prometheus scrapes, in its text format (the ``prometheus_client`` library).

Contract:
- Sources and builds are read from the store at scrape time by :class:`StoreCollector`, so
  every gunicorn worker and every web node sharing the store answers the same values (no
  multiprocess bookkeeping needed for them). A store that cannot be read gives
  ``feedhub_store_up 0`` and no other store metric, never a 500.
- Requests answered by Flask are counted per endpoint and status, with their latency, in the
  process that answered them. With several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR``
  (an empty folder, wiped before gunicorn starts; prometheus_client's multiprocess mode) and
  every scrape adds up all workers; without it a scrape shows only the answering worker's.
- Feed requests answered by the fast path (web.fastpath) are not counted here: it stays as
  cheap as it was (nginx's or gunicorn's access log counts them).
- Only operators (web.status.is_operator) get an answer; anyone else gets 403.

Must not: write to the store, or add anything to the fast path of published feeds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from ..model import Config
from ..redact import one_line
from ..store import open_store
from .status import is_operator

log = logging.getLogger("feedhub.web")

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
"""prometheus_client's multiprocess mode, decided as the library decides it: by the
environment when it is first imported (so gunicorn's environment, before it forks)."""

REQUESTS = Counter("feedhub_http_requests", "Requests answered by Flask (not the feed fast "
                   "path), by endpoint and status.", ["endpoint", "status"], registry=None)
LATENCY = Histogram("feedhub_http_request_duration_seconds", "Time Flask took to answer, "
                    "by endpoint.", ["endpoint"], registry=None,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                             2.5, 5.0, 10.0))


class StoreCollector(Collector):
    """Per source and for the last build, read from the store at each scrape."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("feedhub_store_up", "1 when the store could be read for this "
                               "scrape, 0 when not (the server's log says why).")
        try:
            with open_store(self.config.store, self.config.root) as store:
                states = store.source_states()
                undated = store.dated_when_seen()
                history = store.build_history()
                passes = store.last_passes()
        except Exception as exc:  # whatever the store raises: say so, answer the rest
            log.warning("/metrics: the store cannot be read: %s",
                        one_line(f"{type(exc).__name__}: {exc}"))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        labels = ["source"]
        success = GaugeMetricFamily(
            "feedhub_source_last_success_timestamp_seconds",
            "When the source was last fetched successfully (absent: never).", labels=labels)
        failures = GaugeMetricFamily(
            "feedhub_source_consecutive_failures",
            "Failed refreshes of the source in a row (0 after a success).", labels=labels)
        items = GaugeMetricFamily(
            "feedhub_source_items", "Items of the source in the store.", labels=labels)
        dated = GaugeMetricFamily(
            "feedhub_source_items_dated_when_seen", "Items of the source in the store dated "
            "when feedhub first saw them (their page gave no date that parsed).", labels=labels)
        for source in self.config.sources:
            state = states.get(source.id)
            if state is not None and state.last_success is not None:
                success.add_metric([source.id], state.last_success.timestamp())
            failures.add_metric([source.id], state.failures if state else 0)
            items.add_metric([source.id], state.item_count if state else 0)
            dated.add_metric([source.id], undated.get(source.id, 0))
        yield from (success, failures, items, dated)

        last = history.last
        if last is None:
            return
        yield GaugeMetricFamily("feedhub_last_build_finished_timestamp_seconds",
                                "When the last build or worker refresh pass finished.",
                                value=last.finished.timestamp())
        yield GaugeMetricFamily("feedhub_last_build_ok",
                                "1 when every source of the last build succeeded.",
                                value=int(last.ok))
        yield GaugeMetricFamily("feedhub_last_build_crashed", "1 when the last build stopped "
                                "before publishing (the served files are older).",
                                value=int(last.crashed))
        if passes:  # the most recent row first: the same build as history.last
            yield GaugeMetricFamily("feedhub_last_build_duration_seconds",
                                    "How long the last build or refresh pass took.",
                                    value=(passes[0].finished - passes[0].started)
                                    .total_seconds())
        if history.last_published is not None:
            yield GaugeMetricFamily("feedhub_last_published_build_timestamp_seconds",
                                    "When the last build that published (did not crash) "
                                    "finished.", value=history.last_published.timestamp())


def exposition(config: Config) -> bytes:
    """One scrape: the store's metrics and the request metrics (every worker's in
    multiprocess mode, this process's otherwise), in the text format."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(config))
    if MULTIPROCESS:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    return generate_latest(registry)


def install_metrics(app: Flask, config: Config, status_token: str) -> None:
    """Add the ``/metrics`` route and count the requests Flask answers."""

    # The label children, looked up once per (endpoint, status): labels() takes a lock.
    counters: dict[tuple[str, str], Any] = {}
    timers: dict[str, Any] = {}

    def started() -> None:
        g.feedhub_started = time.perf_counter()

    # First, so a before_request that answers (a CORS preflight) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, started)

    @app.after_request
    def counted(response: Response) -> Response:
        now = time.perf_counter()
        elapsed = now - g.get("feedhub_started", now)
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else "unmatched"
        key = (endpoint, str(response.status_code))
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = REQUESTS.labels(*key)
        counter.inc()
        timer = timers.get(endpoint)
        if timer is None:
            timer = timers[endpoint] = LATENCY.labels(endpoint)
        timer.observe(elapsed)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        if not is_operator(status_token):
            raise Forbidden("/metrics is for operators: send Authorization: Bearer "
                            "$FEEDHUB_STATUS_TOKEN, or ask from this machine")
        response = Response(exposition(config), content_type=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Authorization"
        return response
