"""Serving speed: requests/s for a 50-item category feed, Flask vs bare WSGI vs nginx.

    .venv/bin/python bench/serve.py                       # 4 s per run, median of 3 rounds
    .venv/bin/python bench/serve.py --seconds 2 --rounds 1

Needs wrk and nginx from Debian (``apt-get install wrk nginx``); it says so and stops when
either is missing. Everything listens on 127.0.0.1 only; every run is bounded by --seconds.

It builds a generated config whose `news` category holds 60 stories (the feed shows 50), then
starts, each with the same gunicorn settings (--workers 2 --threads 4, gthread):
- Flask: ``wsgi:app`` (feedhub's app, its fast path for published feeds);
- bare WSGI: a function returning the same response from memory: the same body and the same
  headers Flask sends (a 304 when If-None-Match equals the ETag), the ceiling for any Python
  app under these settings;
and nginx (one worker):
- nginx bare: ``root <output>;`` and nothing else, serving news.rss;
- nginx front: deploy/nginx.conf verbatim (paths and ports templated), serving
  /feeds/news.rss with all of feedhub's headers;
- nginx front -> Flask: the same block passing a filtered feed (?limit=50) on to gunicorn.
Each is measured for a 200 and for a 304 (If-None-Match with the server's own ETag). Rounds go
through every row in turn, so a noisy neighbour hurts all rows alike; the median is reported.
Targets (issue 6): Flask >= 70% of bare WSGI on both; nginx front >= 90% of nginx bare.
Not a unit test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.support.nginx import NGINX, Nginx, free_port, server_block, wait_for_port  # noqa: E402

from feedhub.config import load_config  # noqa: E402
from feedhub.pipeline import build  # noqa: E402

GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--log-level", "warning"]

BARE_APP = '''
import json, os
BODY = open(os.environ["BENCH_FILE"], "rb").read()
OK, NOT_MODIFIED = json.loads(os.environ["BENCH_HEADERS"])
OK = [tuple(h) for h in OK]
NOT_MODIFIED = [tuple(h) for h in NOT_MODIFIED]
ETAG = dict(OK)["ETag"]
def app(environ, start_response):
    if environ.get("HTTP_IF_NONE_MATCH") == ETAG:
        start_response("304 Not Modified", list(NOT_MODIFIED))
        return []
    start_response("200 OK", list(OK))
    return [BODY]
'''
"""The ceiling: the same response (body and the headers Flask sends) from memory."""


def write_project(folder: Path, stories: int = 60) -> Path:
    """A sources.yaml with one RSS source of ``stories`` items, all in `news`."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>Story {n}: labour markets and wages in region {n % 7}</title>"
        f"<link>https://news.example.org/stories/{n}</link>"
        f"<pubDate>{format_datetime(start + timedelta(hours=n))}</pubDate>"
        f"<category>News</category>"
        f"<description>&lt;p&gt;Paragraph one of story {n}, about employment, social "
        f"protection and the rights of workers, long enough to look like a real summary."
        f"&lt;/p&gt;</description></item>"
        for n in range(stories))
    (folder / "news.rss").write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench'
        f"</title><link>https://news.example.org/</link><description>d</description>{items}"
        "</channel></rss>", encoding="utf-8")
    config = folder / "sources.yaml"
    config.write_text(
        "site:\n  title: Bench\n  base_url: https://news.example.org\n"
        "categories:\n  - slug: news\n    labels: [News]\n"
        "sources:\n  - id: wire\n    kind: feed\n    path: news.rss\n    category: news\n",
        encoding="utf-8")
    return config


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], chdir: Path) -> Iterator[None]:
    binary = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(binary), *GUNICORN, "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), app],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30)
        yield
    finally:
        process.terminate()
        process.wait(30)


SERVER_HEADERS = {"date", "server", "connection", "transfer-encoding"}


def headers_of(port: int, path: str, etag: str = "") -> list[tuple[str, str]]:
    """The headers an app sends for ``path`` (a 200, or a 304 given ``etag``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != (304 if etag else 200):
        raise RuntimeError(f"GET {path} on port {port} answered {response.status}")
    return [(k, v) for k, v in response.getheaders() if k.lower() not in SERVER_HEADERS]


def etag_of(port: int, path: str) -> str:
    return dict(headers_of(port, path))["ETag"]


def wrk(url: str, seconds: int, connections: int, etag: str = "") -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if etag:
        command[1:1] = ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match is None or non2xx:
        raise RuntimeError(f"wrk failed on {url}:\n{out}")
    return float(match.group(1))


def in_process(config_path: Path, ok: list[tuple[str, str]],
               not_modified: list[tuple[str, str]], body: bytes, rounds: int
               ) -> dict[tuple[str, str], float]:
    """Microseconds per request with no server and no socket: the app's own cost."""
    import io
    import time

    from feedhub.web import create_app

    app = create_app({"FEEDHUB_CONFIG": str(config_path)})
    etag = dict(ok)["ETag"]

    def bare(environ: dict[str, object], start_response: Any) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", list(not_modified))
            return []
        start_response("200 OK", list(ok))
        return [body]

    def environ(conditional: bool) -> dict[str, object]:
        env: dict[str, object] = {
            "REQUEST_METHOD": "GET", "PATH_INFO": "/feeds/news.rss", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr}
        if conditional:
            env["HTTP_IF_NONE_MATCH"] = etag
        return env

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        pass

    results: dict[tuple[str, str], list[float]] = {}
    n = 20000
    for _ in range(rounds):
        for name, target in (("Flask app", app), ("bare WSGI", bare)):
            for status, conditional in (("200", False), ("304", True)):
                env = environ(conditional)
                clock = time.perf_counter()
                for _ in range(n):
                    b"".join(target(dict(env), start_response))
                elapsed = time.perf_counter() - clock
                results.setdefault((name, status), []).append(elapsed / n * 1e6)
    return {key: statistics.median(values) for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=4, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per row (median)")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    missing = [tool for tool, path in (("wrk", shutil.which("wrk")), ("nginx", NGINX))
               if not path]
    if missing:
        sys.exit(f"bench/serve.py needs {' and '.join(missing)}: "
                 f"sudo apt-get install {' '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="feedhub-bench-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        config = load_config(write_project(folder))
        report = build(config)
        assert report.ok, [s.error for s in report.sources]
        feed = config.output_dir / "news.rss"
        flask_port, bare_port, nginx_port, front_port = (free_port() for _ in range(4))
        stack.enter_context(gunicorn("wsgi:app", flask_port,
                                     {"FEEDHUB_CONFIG": str(config.path)}, ROOT))
        size = feed.stat().st_size
        ok = headers_of(flask_port, "/feeds/news.rss")
        not_modified = headers_of(flask_port, "/feeds/news.rss", dict(ok)["ETag"])
        (folder / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        stack.enter_context(gunicorn("bare_app:app", bare_port, {
            "BENCH_FILE": str(feed), "BENCH_HEADERS": json.dumps([ok, not_modified])},
            folder))
        bare_block = (f"server {{ listen 127.0.0.1:{nginx_port}; root {config.output_dir}; "
                      "types { application/rss+xml rss; } }")
        stack.enter_context(Nginx(folder / "nginx-bare", bare_block, nginx_port))
        front = server_block(config.output_dir, front_port, f"127.0.0.1:{flask_port}")
        stack.enter_context(Nginx(folder / "nginx-front", front, front_port))

        rows = {
            "Flask (gunicorn)": (flask_port, "/feeds/news.rss"),
            "bare WSGI (gunicorn)": (bare_port, "/"),
            "nginx bare": (nginx_port, "/news.rss"),
            "nginx front": (front_port, "/feeds/news.rss"),
            "nginx front -> Flask": (front_port, "/feeds/news.rss?limit=50"),
        }
        etags = {name: etag_of(port, path) for name, (port, path) in rows.items()}
        runs: dict[tuple[str, str], list[float]] = {}
        for number in range(args.rounds):
            # Each round goes through every row, 200 then 304 back to back, in an order that
            # alternates between rounds; ratios are then taken within a round (paired), so a
            # neighbour's burst of load hurts both sides of a ratio alike.
            order = list(rows.items()) if number % 2 == 0 else list(rows.items())[::-1]
            for name, (port, path) in order:
                url = f"http://127.0.0.1:{port}{path}"
                runs.setdefault((name, "200"), []).append(
                    wrk(url, args.seconds, args.connections))
                runs.setdefault((name, "304"), []).append(
                    wrk(url, args.seconds, args.connections, etags[name]))
        rps = {key: statistics.median(values) for key, values in runs.items()}
        micro = in_process(config.path, ok, not_modified, feed.read_bytes(), args.rounds)

    print(f"feed: 50 items, {size} bytes; "
          f"wrk -t2 -c{args.connections} -d{args.seconds}s, median of {args.rounds}; "
          f"gunicorn {' '.join(GUNICORN[:6])}; nginx 1 worker; {os.cpu_count()} CPUs")
    print(f"{'server':<24} {'200 req/s':>10} {'304 req/s':>10}")
    for name in rows:
        print(f"{name:<24} {rps[(name, '200')]:>10.0f} {rps[(name, '304')]:>10.0f}")
    print()
    for label, top, base, target in (
        ("Flask / bare WSGI", "Flask (gunicorn)", "bare WSGI (gunicorn)", 0.70),
        ("nginx front / nginx bare", "nginx front", "nginx bare", 0.90),
    ):
        ratios = [statistics.median(t / b for t, b in zip(runs[(top, s)], runs[(base, s)],
                                                          strict=True))
                  for s in ("200", "304")]
        verdict = "meets" if min(ratios) >= target else "MISSES"
        print(f"{label:<26} 200: {ratios[0]:5.0%}   304: {ratios[1]:5.0%}   "
              f"({verdict} the {target:.0%} target; median of per-round ratios)")
    print()
    print("in process, no server or socket (microseconds per request, median):")
    for name in ("Flask app", "bare WSGI"):
        print(f"  {name:<22} 200: {micro[(name, '200')]:6.1f}   304: {micro[(name, '304')]:6.1f}")


if __name__ == "__main__":
    main()
