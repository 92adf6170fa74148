"""/metrics: the store's per-source and build metrics as Prometheus reads them, for operators
only, the same whichever gunicorn worker answers."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.store import open_store
from feedhub.web import create_app

from .support.gunicorn import gunicorn
from .support.httpd import LocalServer, Reply

TOKEN = "scrape-secret-0123456789"

GOOD_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<link>http://127.0.0.1/</link><description>d</description>
<item><title>Dated story</title><link>http://127.0.0.1/1</link><guid>s1</guid>
<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
<item><title>Undated story</title><link>http://127.0.0.1/2</link><guid>s2</guid></item>
</channel></rss>"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def of(scrape: Samples, name: str, **labels: str) -> float:
    return scrape[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def two_sources(tmp_path: Path, httpd: LocalServer) -> Config:
    """``good`` (two stories, one undated) and ``broken`` (500), built once."""
    httpd.route("/good.rss", body=GOOD_RSS, headers={"Content-Type": "application/rss+xml"})
    httpd.route("/broken.rss", handler=lambda _: Reply(500, b"down"))
    base = f"http://127.0.0.1:{httpd.port}"
    path = tmp_path / "sources.yaml"
    path.write_text(f"""site:
  title: Metrics
  base_url: https://news.example.org
categories:
  - slug: news
sources:
  - id: good
    kind: feed
    url: {base}/good.rss
    allow_private: true
    category: news
  - id: broken
    kind: feed
    url: {base}/broken.rss
    allow_private: true
    category: news
""", encoding="utf-8")
    config = load_config(path)
    report = build(config)
    assert [s.source_id for s in report.sources if s.error] == ["broken"]
    return config


def test_metrics_match_the_store_after_a_build(two_sources: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(two_sources.path), "TESTING": True}).test_client()
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    scrape = samples(answer.get_data(as_text=True))
    with open_store(two_sources.store, two_sources.root) as store:
        states = store.source_states()
        history = store.build_history()
        last_pass = store.last_passes()[0]
    good, broken = states["good"], states["broken"]
    assert good.last_success is not None and good.item_count == 2 and good.failures == 0
    assert broken.last_success is None and broken.failures == 1

    assert of(scrape, "feedhub_store_up") == 1
    assert of(scrape, "feedhub_source_last_success_timestamp_seconds", source="good") == \
        pytest.approx(good.last_success.timestamp())
    assert ("feedhub_source_last_success_timestamp_seconds", (("source", "broken"),)) \
        not in scrape  # never succeeded: absent, not 1970
    assert of(scrape, "feedhub_source_consecutive_failures", source="good") == 0
    assert of(scrape, "feedhub_source_consecutive_failures", source="broken") == 1
    assert of(scrape, "feedhub_source_items", source="good") == 2
    assert of(scrape, "feedhub_source_items", source="broken") == 0
    assert of(scrape, "feedhub_source_items_dated_when_seen", source="good") == 1
    assert of(scrape, "feedhub_source_items_dated_when_seen", source="broken") == 0

    assert history.last is not None and history.last_published is not None
    assert of(scrape, "feedhub_last_build_finished_timestamp_seconds") == \
        pytest.approx(history.last.finished.timestamp())
    assert of(scrape, "feedhub_last_build_ok") == 0  # one source failed
    assert of(scrape, "feedhub_last_build_crashed") == 0
    assert of(scrape, "feedhub_last_build_duration_seconds") == pytest.approx(
        (last_pass.finished - last_pass.started).total_seconds())
    assert of(scrape, "feedhub_last_published_build_timestamp_seconds") == \
        pytest.approx(history.last_published.timestamp())

    # A second failure in a row shows at the next scrape: read at scrape time, not cached.
    build(two_sources)  # every source, due or not
    again = samples(client.get("/metrics").get_data(as_text=True))
    assert of(again, "feedhub_source_consecutive_failures", source="broken") == 2


def test_requests_flask_answers_are_counted(two_sources: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(two_sources.path), "TESTING": True}).test_client()
    before = samples(client.get("/metrics").get_data(as_text=True))
    assert client.get("/c/news").status_code == 200
    assert client.get("/c/nowhere").status_code == 404
    after = samples(client.get("/metrics").get_data(as_text=True))

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("feedhub_http_requests_total", endpoint="category_page", status="200") == 1
    assert delta("feedhub_http_requests_total", endpoint="category_page", status="404") == 1
    assert delta("feedhub_http_requests_total", endpoint="metrics", status="200") == 1
    assert delta("feedhub_http_request_duration_seconds_count", endpoint="category_page") == 2


def test_metrics_are_for_operators_only(two_sources: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(two_sources.path), "TESTING": True,
                         "FEEDHUB_STATUS_TOKEN": TOKEN}).test_client()
    through_proxy = {"X-Forwarded-For": "203.0.113.7"}
    public = client.get("/metrics", headers=through_proxy)
    assert public.status_code == 403
    assert b"feedhub_source" not in public.data
    assert b"Bearer" in public.data  # says how to get in
    wrong = client.get("/metrics", headers={**through_proxy, "Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert remote.status_code == 403
    scraper = client.get("/metrics", headers={**through_proxy,
                                              "Authorization": f"Bearer {TOKEN}"})
    assert scraper.status_code == 200
    assert of(samples(scraper.get_data(as_text=True)), "feedhub_store_up") == 1


def scrape(port: int) -> Samples:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        assert response.status == 200
        return samples(response.read().decode())
    finally:
        conn.close()


def test_two_gunicorn_workers_answer_the_same(two_sources: Config, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    # Each worker is replaced after 3 requests, so the scrapes are answered by several
    # processes for certain (the kernel may hand every connection to one of two workers).
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--max-requests 3")
    with gunicorn(two_sources.path, workers=2) as (port, log):
        scrapes = [scrape(port) for _ in range(12)]
    assert "Traceback" not in log[0]
    assert len(list(folder.glob("counter_*.db"))) >= 4  # one file per process that counted
    store_metrics = [{key: value for key, value in s.items()
                      if key[0].startswith(("feedhub_source_", "feedhub_last_build_"))}
                     for s in scrapes]
    assert store_metrics[0]
    assert all(s == store_metrics[0] for s in store_metrics)
    # Counted across processes (multiprocess mode): each scrape sees every one before it.
    counted = [s.get(("feedhub_http_requests_total",
                      (("endpoint", "metrics"), ("status", "200"))), 0) for s in scrapes]
    assert counted == list(range(len(scrapes)))
