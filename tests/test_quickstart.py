"""The first ten minutes, as a newcomer meets them: the README's quick start (./run.sh with
PORT set) serves a page whose links all answer; a failing source's report says how long it
took and says its error once; a `kind: feed` source that is a web page says what to do.
Every server here is real and on 127.0.0.1 (tests/support/httpd.py, `feedhub serve`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main

from .support.httpd import Handler, LocalServer, Reply, Request
from .support.nginx import free_port, wait_for_port
from .support.sources import rss

ROOT = Path(__file__).resolve().parent.parent


class Links(HTMLParser):
    """The stylesheet and feed links of a page (<link rel=stylesheet|alternate>, <a href>)."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.feeds: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        href = found.get("href", "")
        if tag == "link" and found.get("rel") == "stylesheet":
            self.stylesheets.append(href)
        elif (tag == "link" and found.get("rel") == "alternate") or (
                tag == "a" and href.endswith((".rss", ".atom", ".json", ".opml"))):
            self.feeds.append(href)


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_run_sh_with_port_serves_a_page_whose_links_answer(tmp_path: Path) -> None:
    """./run.sh itself, in a copy of the project, with a virtualenv already there whose pip
    does nothing (offline) and whose `feedhub` is this tree's: check, build, then serve on
    $PORT. The page links its stylesheet and feeds by path, so they answer on any port."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("run.sh", "sources.yaml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "examples", project / "examples")
    bin_dir = project / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "-m pip" ]; then exit 0; fi\nexec {sys.executable} "$@"\n')
    (bin_dir / "feedhub").write_text(f'#!/bin/sh\nexec {sys.executable} -m feedhub "$@"\n')
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONPATH": str(ROOT / "src")}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        server = subprocess.Popen(["bash", str(project / "run.sh")], cwd=tmp_path, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, 60)
        except TimeoutError:
            pytest.fail(f"run.sh serves nothing on {port}:\n{log.read_text()}")
        status, page = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        links = Links()
        links.feed(page.decode("utf-8"))
        assert links.stylesheets and len(links.feeds) >= 4, page[:2000]
        for href in [*links.stylesheets, *links.feeds]:
            assert href.startswith("/"), href  # by path: the page is right on any port
            status, body = get(f"http://127.0.0.1:{port}{href}")
            assert status == 200 and body, href
    finally:
        server.terminate()  # run.sh execs `feedhub serve`: this is the server's pid
        server.wait(timeout=30)
    output = log.read_text()
    assert "sources.yaml: ok (3 sources" in output  # the check ran
    assert "ERROR" not in output
    assert f"at http://127.0.0.1:{port}/" in output


def slow(reply: Reply, seconds: float) -> Handler:
    """A handler that answers ``reply`` after ``seconds``."""

    def answer(request: Request) -> Reply:
        time.sleep(seconds)
        return reply

    return answer


def write_config(folder: Path, sources: dict[str, tuple[str, str]]) -> Path:
    """A sources.yaml with one source per id: (kind, url), all on 127.0.0.1."""
    lines = ["site:", "  title: Test hub", "  base_url: https://hub.example.org", "",
             "sources:"]
    for source_id, (kind, url) in sources.items():
        lines += [f"  - id: {source_id}", f"    kind: {kind}", f"    url: {url}",
                  "    allow_private: true  # the test server is on 127.0.0.1"]
    lines += ["", "fetch:", "  retries: 0", ""]
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def table_row(output: str, source_id: str) -> list[str]:
    [row] = [line for line in output.splitlines() if line.startswith(f"{source_id} ")]
    return row.split()


def test_a_source_reports_the_seconds_its_fetch_took_and_its_error_once(
        tmp_path: Path, httpd: LocalServer) -> None:
    """Fetches run in threads while the build stores: a source's seconds count its fetch
    (failed or not), and the table alone says a failure in the default output."""
    httpd.route("/gone.rss", handler=slow(Reply(404, b"gone"), 0.6))
    httpd.route("/slow.rss", handler=slow(
        Reply(200, rss("slow", 2), {"Content-Type": "application/rss+xml"}), 0.6))
    config = write_config(tmp_path, {"gone": ("feed", httpd.url("/gone.rss")),
                                     "slow": ("feed", httpd.url("/slow.rss"))})
    result = CliRunner().invoke(main, ["build", "-c", str(config)])
    assert result.exit_code == 1, result.output
    gone, ok = table_row(result.stdout, "gone"), table_row(result.stdout, "slow")
    assert gone[5] == "ERROR:" and float(gone[4]) >= 0.6, gone
    assert ok[5] == "ok" and float(ok[4]) >= 0.6, ok
    assert result.output.count("/gone.rss") == 1  # not once more as a log line
    assert result.stderr == ""
    # With -v (or JSON logs) the log line goes out as well, with the same seconds.
    result = CliRunner().invoke(main, ["-v", "build", "--force", "-c", str(config)])
    [line] = [x for x in result.stderr.splitlines() if x.startswith("WARNING")]
    assert "source gone:" in line and "/gone.rss" in line
    assert float(line.split("seconds=")[1].split()[0]) >= 0.6


PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>News</title></head>
<body><ul><li><a href="/news/1">First story</a> <time>12 June 2025</time></li>
<li><a href="/news/2">Second story</a> <time>3 June 2025</time></li></ul></body></html>"""


def test_a_feed_source_that_is_a_web_page_says_what_to_do(tmp_path: Path,
                                                          httpd: LocalServer) -> None:
    httpd.route("/news", PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    # Served as XML, the page still starts as one.
    httpd.route("/news.xml", PAGE, headers={"Content-Type": "application/xml"})
    httpd.route("/bare", PAGE.split(b"\n", 1)[1],
                headers={"Content-Type": "application/octet-stream"})
    # A real feed wrongly served as text/html is read as the feed it is.
    httpd.route("/feed", rss("feed", 2), headers={"Content-Type": "text/html"})
    config = write_config(tmp_path, {
        "page": ("feed", httpd.url("/news")), "xml": ("feed", httpd.url("/news.xml")),
        "bare": ("feed", httpd.url("/bare")), "feed": ("feed", httpd.url("/feed"))})
    result = CliRunner().invoke(main, ["build", "-c", str(config)])
    assert result.exit_code == 1
    for source_id, path in (("page", "/news"), ("xml", "/news.xml"), ("bare", "/bare")):
        row = " ".join(table_row(result.stdout, source_id))
        assert "this looks like an HTML page, not an RSS, Atom or JSON feed: use `kind: html` "\
               "(with selectors, or none for automatic detection), or run `feedhub add "\
               f"{httpd.url(path)}` to find the page's feeds" in row, row
    assert table_row(result.stdout, "feed")[1:3] == ["2", "2"]
