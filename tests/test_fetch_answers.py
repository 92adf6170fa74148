"""Server answers feedhub must not take at face value, over real HTTP on 127.0.0.1.

- A 304 Not Modified to a request that sent no validators is an error, not "unchanged".
- A 429/503 whose Retry-After ends after the fetch's deadline: the FetchError carries it, the
  store records it, and neither `feedhub build` nor a worker asks the source again before it
  ends (at most a day, ``fetch.MAX_RETRY_AFTER``); ``--force`` still fetches it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from feedhub.addresses import AddressPolicy
from feedhub.cli import print_report
from feedhub.config import load_config
from feedhub.errors import FetchError
from feedhub.fetch import MAX_RETRY_AFTER, Validators, fetch_url
from feedhub.model import Config, FetchLimits
from feedhub.pipeline import build
from feedhub.store import open_store

from .support.httpd import LocalServer, Reply, Request
from .support.sources import rss

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUICK = FetchLimits(deadline=5, connect_timeout=2, backoff=0.01)
LOCAL = AddressPolicy(allow_private=True)


def config_for(httpd: LocalServer, folder: Path, store: str = "") -> Config:
    (folder / "sources.yaml").write_text(
        "site: {title: T, base_url: 'https://hub.example.org'}\nsources:\n"
        f"  - {{id: busy, kind: feed, url: '{httpd.url('/busy.rss')}', allow_private: true}}\n"
        + (f"store: '{store}'\n" if store else "")
        + "fetch: {deadline: 5s, retries: 2}\n")
    return load_config(folder / "sources.yaml")


# -- 304 without validators -------------------------------------------------------------------


def test_a_304_nobody_asked_for_is_an_error(httpd: LocalServer) -> None:
    httpd.route("/cached.rss", status=304, headers={"ETag": '"v1"'})
    with pytest.raises(FetchError, match=r"answered 304 Not Modified to a request without "
                                         r"validators"):
        fetch_url("cached", httpd.url("/cached.rss"), limits=QUICK, policy=LOCAL)
    # With validators, a 304 is what was asked for.
    asked = fetch_url("cached", httpd.url("/cached.rss"), Validators(etag='"v1"'),
                      limits=QUICK, policy=LOCAL)
    assert asked.not_modified


def test_a_first_build_answered_304_reports_the_source_as_failed(
        httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/busy.rss", status=304)
    report = build(config_for(httpd, tmp_path), now=NOW)
    (source,) = report.sources
    assert not source.unchanged_body
    assert "answered 304 Not Modified to a request without validators" in source.error


# -- Retry-After --------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [
    ("3600", timedelta(hours=1)),
    ("604800", MAX_RETRY_AFTER),  # a week: asked again after a day
])
def test_the_fetch_error_carries_the_retry_after(
        httpd: LocalServer, header: str, expected: timedelta) -> None:
    httpd.route("/busy.rss", status=429, headers={"Retry-After": header})
    with pytest.raises(FetchError, match="asked to wait") as caught:
        fetch_url("busy", httpd.url("/busy.rss"), limits=QUICK, policy=LOCAL)
    assert caught.value.retry_after == expected
    assert len(httpd.requests) == 1  # the wait is past the deadline: no retry


def test_an_http_date_retry_after_is_carried_too(httpd: LocalServer) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    httpd.route("/busy.rss", status=503, headers={"Retry-After": format_datetime(when, True)})
    with pytest.raises(FetchError) as caught:
        fetch_url("busy", httpd.url("/busy.rss"), limits=QUICK, policy=LOCAL)
    waited = caught.value.retry_after
    assert waited is not None and timedelta(hours=1) < waited <= timedelta(hours=2)


def test_a_failure_without_retry_after_carries_none(httpd: LocalServer) -> None:
    httpd.route("/busy.rss", status=503)
    with pytest.raises(FetchError, match="gave up after") as caught:
        fetch_url("busy", httpd.url("/busy.rss"), limits=QUICK, policy=LOCAL)
    assert caught.value.retry_after is None


def test_builds_do_not_ask_again_before_the_retry_after(
        httpd: LocalServer, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    answers = {"status": 429}

    def answer(request: Request) -> Reply:
        if answers["status"] == 200:
            return Reply(200, rss("busy", 1), {"Content-Type": "application/rss+xml"})
        return Reply(429, b"slow down", {"Retry-After": "3600"})

    httpd.route("/busy.rss", handler=answer)
    config = config_for(httpd, tmp_path, store_url)
    first = build(config, now=NOW, due_only=True)
    assert "HTTP 429" in first.sources[0].error and len(asked(httpd)) == 1

    # 15 minutes later the source's interval is over, but the server asked for an hour.
    later = build(config, now=NOW + timedelta(minutes=15), due_only=True)
    assert len(asked(httpd)) == 1
    (skipped,) = later.sources
    assert skipped.next_due == NOW + timedelta(hours=1) and skipped.retry_after
    print_report(later, config)
    assert "not due until 2026-11-25 13:00 UTC (Retry-After)" in capsys.readouterr().out

    # --force still fetches it; after the hour, a build does too.
    answers["status"] = 200
    forced = build(config, now=NOW + timedelta(minutes=20))
    assert forced.sources[0].ok and len(asked(httpd)) == 2
    with open_store(config.store, config.root) as store:
        assert store.source_state("busy").failures == 0


def test_the_retry_after_ends(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/busy.rss", status=429, headers={"Retry-After": "3600"})
    config = config_for(httpd, tmp_path)
    build(config, now=NOW, due_only=True)
    build(config, now=NOW + timedelta(minutes=59), due_only=True)
    assert len(asked(httpd)) == 1
    build(config, now=NOW + timedelta(hours=1), due_only=True)
    assert len(asked(httpd)) == 2


def test_the_store_keeps_a_worker_off_until_the_retry_after(store_url: str,
                                                            tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        store.schedule_sources({"busy": 900})
        store.record_failure("busy", NOW, "HTTP 429", retry_after=timedelta(hours=1))
        assert store.next_due(["busy"]) == NOW + timedelta(hours=1)
        assert store.source_state("busy").retry_after == NOW + timedelta(hours=1)
        assert store.claim_source(["busy"], "w1", NOW + timedelta(minutes=15),
                                  timedelta(minutes=5)) is None
        assert store.claim_source(["busy"], "w1", NOW + timedelta(hours=1),
                                  timedelta(minutes=5)) == "busy"
        # A later failure without one is due after the (backed-off) interval again.
        store.record_failure("busy", NOW + timedelta(hours=1), "HTTP 500")
        state = store.source_state("busy")
        assert state.retry_after is None and state.failures == 2
        assert store.next_due(["busy"]) == NOW + timedelta(hours=1, minutes=30)


def asked(server: LocalServer) -> list[Request]:
    """The requests for the source (robots.txt, read once per site and process, aside)."""
    return [r for r in server.requests if r.path != "/robots.txt"]
