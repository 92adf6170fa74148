"""Server answers feedhub must not take at face value, over real HTTP on 127.0.0.1.

- A 304 Not Modified to a request that sent no validators is an error, not "unchanged".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedhub.addresses import AddressPolicy
from feedhub.config import load_config
from feedhub.errors import FetchError
from feedhub.fetch import Validators, fetch_url
from feedhub.model import Config, FetchLimits
from feedhub.pipeline import build

from .support.httpd import LocalServer

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
