"""What the public may see: no secret or local path in logs, /status.json, /healthz, `feedhub
status` or the published files; no redirect built from a forged Host; a crashed build is
recorded and turns /healthz 503 until a good build. Real servers on 127.0.0.1 throughout."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.health import record_crash
from feedhub.logs import configure
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.refresh import Refresher
from feedhub.store import format_date, open_store
from feedhub.web import create_app, relative_location

from .support.httpd import LocalServer, Reply
from .support.nginx import NGINX, ROOT, Nginx, free_port, server_block, wait_for_port

PASSWORD = "hunter2pw"
TOKEN = "tok3nvalue"
STATUS_TOKEN = "operator-secret-0123456789"
SECRETS = (PASSWORD, TOKEN)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


def get(port: int, path: str, *, raw_host: str | None = None, **headers: str) -> Answer:
    """A GET on 127.0.0.1:``port``; ``raw_host`` sends that Host header instead of ours."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if raw_host is not None:
            conn.putrequest("GET", path, skip_host=True)
            conn.putheader("Host", raw_host)
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders()
        else:
            conn.request("GET", path, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, {k.title(): v for k, v in response.getheaders()},
                      response.read())
    finally:
        conn.close()


class AppServer:
    """The Flask app on a real threaded werkzeug server on 127.0.0.1."""

    def __init__(self, config: Config, **settings: str) -> None:
        self.app = create_app({"FEEDHUB_CONFIG": str(config.path), **settings})
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(10)


def through_proxy(**headers: str) -> dict[str, str]:
    """What a request relayed by nginx (deploy/nginx.conf) carries."""
    return {"X_Forwarded_For": "203.0.113.7", **headers}


def add_secret_source(project: Path, httpd: LocalServer) -> Config:
    """The bundled sources plus ``members``, whose URL carries a password and a token."""
    url = f"http://reader:{PASSWORD}@127.0.0.1:{httpd.port}/private/feed?token={TOKEN}&x=1"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("sources:\n", f"""sources:
  - id: members
    kind: feed
    url: {url}
    allow_private: true
    category: news

""", 1), encoding="utf-8")
    config = load_config(project)
    assert config.source("members") is not None
    return config


@pytest.fixture
def secret_source(project: Path, httpd: LocalServer) -> Config:
    """``members`` answers 403."""
    httpd.route("/private/feed", handler=lambda _: Reply(403, b"forbidden"))
    return add_secret_source(project, httpd)


MEMBERS_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Members</title>
<link>/</link><item><title>A story for members</title><link>/story/1</link><guid>s1</guid>
<description>See &lt;a href="more"&gt;more&lt;/a&gt; &lt;img src="/i.png"&gt;</description>
<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item></channel></rss>"""


def test_published_files_carry_no_credentials(project: Path, httpd: LocalServer) -> None:
    """Relative links resolve against the source's URL, and feeds name each item's source."""
    httpd.route("/private/feed", body=MEMBERS_RSS,
                headers={"Content-Type": "application/rss+xml"})
    config = add_secret_source(project, httpd)
    report = build(config)
    assert report.ok, [s.error for s in report.sources]
    news = (config.output_dir / "news.rss").read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{httpd.port}/story/1" in news
    for path in config.output_dir.rglob("*"):
        if path.is_file() and path.suffix != ".gz":
            assert_no_secret(path.read_text(encoding="utf-8", errors="replace"), str(path))


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}: {text[:2000]}"


def test_a_source_with_credentials_leaks_nowhere(secret_source: Config) -> None:
    config = secret_source
    logs = io.StringIO()
    configure("json", logging.INFO, logs)
    try:
        report = build(config)
    finally:
        configure("text", logging.WARNING)
    failed = [s for s in report.sources if not s.ok]
    assert [s.source_id for s in failed] == ["members"], [s.error for s in failed]
    assert "403" in failed[0].error
    assert_no_secret(logs.getvalue(), "the build's log")
    assert '"source": "members"' in logs.getvalue()

    # What is stored is redacted too (the stored text is shown by older readers).
    with open_store(config.store, config.root) as store:
        stored = store.source_states()["members"].last_error
    assert_no_secret(stored, "the stored last_error")
    assert "***" in stored

    # The published files (feeds name each item's source) hold neither.
    for path in config.output_dir.rglob("*"):
        if path.is_file() and path.suffix != ".gz":
            assert_no_secret(path.read_text(encoding="utf-8", errors="replace"), str(path))

    with AppServer(config, FEEDHUB_STATUS_TOKEN=STATUS_TOKEN) as server:
        public = get(server.port, "/status.json", **through_proxy())
        assert public.status == 200
        assert_no_secret(public.body.decode(), "public /status.json")
        body = public.json()
        assert body["view"] == "public"
        members = next(s for s in body["sources"] if s["id"] == "members")  # type: ignore[union-attr, index]
        assert members["status"] == "failing" and members["consecutive_failures"] == 1
        assert "last_error" not in members
        text = public.body.decode()
        assert "127.0.0.1" not in text and str(config.root) not in text and "http" not in text
        assert public.headers["Access-Control-Allow-Origin"] == "*"

        # Operators: from this machine straight, or with the bearer token through a proxy.
        for answer in (get(server.port, "/status.json"),
                       get(server.port, "/status.json", **through_proxy(
                           Authorization=f"Bearer {STATUS_TOKEN}"))):
            assert answer.status == 200
            assert_no_secret(answer.body.decode(), "the operator's /status.json")
            detail = answer.json()
            assert detail["view"] == "operator"
            error = next(s for s in detail["sources"] if s["id"] == "members")["last_error"]  # type: ignore[union-attr, index]
            assert "403" in error and "***" in error and "127.0.0.1" in error
            # No page of another origin may read the operator's answer.
            assert "Access-Control-Allow-Origin" not in answer.headers

        # A wrong token, a token with no FEEDHUB_STATUS_TOKEN set, a forged Host on loopback
        # (DNS rebinding): the public answer.
        wrong = get(server.port, "/status.json", Authorization="Bearer nope")
        assert wrong.json()["view"] == "public"
        rebound = get(server.port, "/status.json", raw_host="attacker.example")
        assert rebound.json()["view"] == "public"
    with AppServer(config) as server:
        unset = get(server.port, "/status.json", **through_proxy(Authorization="Bearer "))
        assert unset.json()["view"] == "public"

    runner = CliRunner()
    for args in (["status"], ["status", "--json"], ["build", "--force"],
                 ["-q", "build", "--force"], ["-v", "--log-format", "json", "build", "--force"]):
        result = runner.invoke(main, [*args, "-c", str(config.path)])
        assert result.exit_code in (0, 1), result.output
        assert_no_secret(result.output, f"`feedhub {' '.join(args)}`")
        assert "members" in result.output
    status = runner.invoke(main, ["status", "--json", "-c", str(config.path)])
    members = next(s for s in json.loads(status.output)["sources"] if s["id"] == "members")
    assert "403" in members["last_error"] and "***" in members["last_error"]


def test_status_json_through_nginx_is_the_public_view(secret_source: Config,
                                                      tmp_path: Path) -> None:
    if not NGINX:
        pytest.skip("nginx is not installed (Debian package `nginx`)")
    build(secret_source)
    with AppServer(secret_source) as server:
        port = free_port()
        block = server_block(secret_source.output_dir, port, f"127.0.0.1:{server.port}")
        with Nginx(tmp_path / "nginx", block, port):
            # nginx runs on this machine, so the app's peer is loopback: the forwarding header
            # nginx adds is what keeps its requests public.
            answer = get(port, "/status.json")
            assert answer.status == 200 and answer.json()["view"] == "public"
            assert_no_secret(answer.body.decode(), "/status.json through nginx")
            assert b"last_error\"" not in answer.body
            health = get(port, "/healthz")
            assert str(secret_source.root).encode() not in health.body


# -- redirects never follow the Host header -------------------------------------------------


def test_merged_slashes_are_not_redirected_to_a_forged_host(built: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(built.path)}).test_client()
    for path in ("/static//feedhub.css", "//static/feedhub.css", "/feeds//all.rss",
                 "/c//news"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 404, (path, response.status_code)
        assert "Location" not in response.headers
        assert b"evil.example" not in response.data


def test_a_location_is_never_absolute() -> None:
    assert relative_location("http://evil.example/static/feedhub.css?x=1") == \
        "/static/feedhub.css?x=1"
    assert relative_location("http://evil.example//other.example/x") == "/other.example/x"
    assert relative_location("/c/news") == "/c/news"


def test_gunicorn_does_not_redirect_to_a_forged_host(built: Config) -> None:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "wsgi:app"],
        env={**os.environ, "FEEDHUB_CONFIG": str(built.path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30)
        for path in ("/static//feedhub.css", "/feeds//all.rss"):
            answer = get(port, path, raw_host="evil.example")
            assert answer.status == 404, (path, answer.status, answer.headers)
            assert "evil.example" not in answer.headers.get("Location", "")
        assert get(port, "/static/feedhub.css", raw_host="evil.example").status == 200
        # gunicorn's peer is loopback too, but the Host names another machine.
        assert get(port, "/status.json", raw_host="evil.example").json()["view"] == "public"
    finally:
        process.terminate()
        process.wait(30)


# -- a crashed build is recorded; /healthz follows -----------------------------------------


def break_publishing(config: Config) -> Path:
    """A file where the publisher needs a folder: every page write fails (even as root)."""
    pages = config.output_dir / "c"
    shutil.rmtree(pages, ignore_errors=True)
    pages.write_text("not a folder", encoding="utf-8")
    return pages


def test_a_crashed_build_turns_healthz_503_until_a_good_build(built: Config) -> None:
    runner = CliRunner()
    # A settings change makes the next build publish everything again (and so crash).
    built.path.write_text(built.path.read_text(encoding="utf-8").replace(
        "title: ILO newsroom", "title: ILO newsroom (edited)"), encoding="utf-8")
    blocker = break_publishing(built)
    with AppServer(built, FEEDHUB_STATUS_TOKEN=STATUS_TOKEN) as server:
        assert get(server.port, "/healthz").status == 200
        crashed = runner.invoke(main, ["build", "-c", str(built.path)])
        assert crashed.exit_code == 3, crashed.output
        assert "Traceback" not in crashed.output

        with open_store(built.store, built.root) as store:
            history = store.build_history()
        assert history.last is not None and history.last.crashed and not history.last.ok
        assert "\n" not in history.last.summary and history.last.summary

        public = get(server.port, "/healthz", **through_proxy())
        assert public.status == 503
        reasons = " ".join(public.json()["reasons"])  # type: ignore[arg-type]
        assert "the last build crashed" in reasons
        assert str(built.root) not in public.body.decode()
        assert public.json()["last_build_crashed"] is True
        operator = get(server.port, "/healthz", **through_proxy(
            Authorization=f"Bearer {STATUS_TOKEN}"))
        assert operator.status == 503
        assert history.last.summary in " ".join(operator.json()["reasons"])  # type: ignore[arg-type]
        status = runner.invoke(main, ["status", "-c", str(built.path)])
        assert "last build crashed" in status.output

        blocker.unlink()
        good = runner.invoke(main, ["build", "-c", str(built.path)])
        assert good.exit_code == 0, good.output
        healthy = get(server.port, "/healthz", **through_proxy())
        assert healthy.status == 200, healthy.body
        assert healthy.json()["last_build_crashed"] is False


def test_the_server_refresh_records_its_crash(built: Config) -> None:
    built.path.write_text(built.path.read_text(encoding="utf-8").replace(
        "title: ILO newsroom", "title: ILO newsroom (edited)"), encoding="utf-8")
    config = load_config(built.path)
    break_publishing(config)
    later = Refresher(config, 60, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    outcome = later.run_once()
    assert outcome.startswith("failed: ")
    with open_store(config.store, config.root) as store:
        history = store.build_history()
    assert history.last is not None and history.last.crashed
    assert history.last_published is not None and history.last_published < history.last.finished
    client = create_app({"FEEDHUB_CONFIG": str(config.path)}).test_client()
    assert client.get("/healthz").status_code == 503


def test_stale_after_counts_from_the_last_successful_build(built: Config) -> None:
    with open_store(built.store, built.root) as store, store.transaction() as db:
        db.execute("UPDATE builds SET finished = ?",
                   (format_date(datetime.now(UTC) - timedelta(days=2)),))
    # A crash just now is a finished build, but not a successful one.
    record_crash(built, datetime.now(UTC), OSError("disk full"))
    client = create_app({"FEEDHUB_CONFIG": str(built.path)}).test_client()
    body = client.get("/healthz").json
    assert body is not None
    assert any("the last successful build finished" in r and "serve.stale_after" in r
               for r in body["reasons"]), body


def test_healthz_is_not_ok_when_the_store_cannot_be_read(built: Config) -> None:
    (built.root / "feedhub.db").write_bytes(b"this is not a database" * 100)
    client = create_app({"FEEDHUB_CONFIG": str(built.path)}).test_client()
    public = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert public.status_code == 503
    assert public.json is not None and public.json["status"] == "failing"
    assert any("the store cannot be read" in r for r in public.json["reasons"])
    assert str(built.root) not in public.get_data(as_text=True)


def test_healthz_names_no_local_path(config: Config) -> None:
    client = create_app({"FEEDHUB_CONFIG": str(config.path)}).test_client()
    unbuilt = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert unbuilt.status_code == 503
    text = unbuilt.get_data(as_text=True)
    assert str(config.root) not in text and str(config.output_dir) not in text
    assert "feed file(s) missing" in text


def test_a_worker_that_stops_on_an_error_records_the_crash(built: Config) -> None:
    from feedhub.errors import FeedhubError
    from feedhub.worker import WorkerSettings, run_worker

    built.path.write_text(built.path.read_text(encoding="utf-8").replace(
        "title: ILO newsroom", "title: ILO newsroom (edited)"), encoding="utf-8")
    config = load_config(built.path)
    break_publishing(config)  # the worker publishes at once: the settings changed
    with pytest.raises((FeedhubError, OSError)):
        run_worker(config, WorkerSettings(once=True, poll=0.05), log=lambda _: None)
    with open_store(config.store, config.root) as store:
        history = store.build_history()
    assert history.last is not None and history.last.crashed


def test_build_history_tells_a_crash_from_a_build_that_published(store_url: str,
                                                                  tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with open_store(store_url, tmp_path) as store:
        assert store.build_history().last is None
        store.record_build(start, start + timedelta(minutes=1), False, "1 of 3 sources failed")
        store.record_build(start, start + timedelta(minutes=2), True, "PublishError: x",
                           crashed=True)
        history = store.build_history()
        assert history.last is not None
        assert (history.last.crashed, history.last.ok, history.last.summary) == \
            (True, False, "PublishError: x")
        assert history.last_published == start + timedelta(minutes=1)
        store.record_build(start, start + timedelta(minutes=3), False, "1 of 3 sources failed")
        history = store.build_history()
        assert history.last is not None and not history.last.crashed
        assert history.last_published == start + timedelta(minutes=3)
        assert store.last_build() == (start + timedelta(minutes=3), False)
