"""``render: browser``: listing pages whose items a script inserts, read in headless Chromium
(Debian's), through real builds against servers on 127.0.0.1 (and 127.0.0.2, a second host
the page must not reach). Skipped only where Chromium is not installed (CI installs it)."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub import render
from feedhub.cli import main
from feedhub.config import load_config
from feedhub.fetch.guard import resolve_host
from feedhub.model import Config
from feedhub.pipeline import build

from .support.httpd import LocalServer
from .support.scripted import SHELL, STORIES, serve_scripted
from .support.sources import rss, serve_sources

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (scripts/apt-packages.txt; scripts/system-deps.sh)")

SELECTORS = """    selectors:
      item: li.story
      title: h2 a
      link: h2 a@href
      date: time
      label: .label
"""


@pytest.fixture
def other() -> Iterator[LocalServer]:
    """A second machine: a server on 127.0.0.2."""
    with LocalServer(host="127.0.0.2") as server:
        yield server


def write(tmp_path: Path, server: LocalServer, listing: str, *, deadline: int = 20) -> Config:
    """A config with the listing source(s) given and a plain feed beside them."""
    serve_sources(server, ["wire"])
    text = f"""site: {{title: Hub, base_url: "https://hub.example.org"}}
categories:
  - {{slug: news, labels: [News]}}
sources:
{listing}
  - id: wire
    kind: feed
    url: {server.url("/wire.rss")}
    allow_private: true
fetch: {{deadline: {deadline}s, retries: 0}}
store: sqlite:///feedhub.db
output: feeds
"""
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def listing(server: LocalServer, *, render_line: str = "    render: browser\n",
            selectors: str = SELECTORS, path: str = "/news", sid: str = "newsroom",
            extra: str = "") -> str:
    return (f"  - id: {sid}\n    kind: html\n    url: {server.url(path)}\n"
            f"    allow_private: true\n{render_line}{extra}{selectors}")


def published(config: Config) -> dict[str, object]:
    data: dict[str, object] = json.loads((config.output_dir / "all.json").read_text())
    return data


def test_a_scripted_listing_is_read_in_the_browser_and_published(
        httpd: LocalServer, tmp_path: Path) -> None:
    serve_scripted(httpd)
    config = write(tmp_path, httpd, listing(httpd))
    report = build(config)
    by_id = {r.source_id: r for r in report.sources}
    assert by_id["newsroom"].ok, by_id["newsroom"].error
    assert by_id["newsroom"].found == len(STORIES)
    items = {item["title"]: item for item in published(config)["items"]}  # type: ignore[attr-defined]
    for story in STORIES:
        item = items[story["title"]]
        assert item["url"] == httpd.url(story["path"])
        assert item["date_published"] == story["date"]
    assert "wire story 1 v1" in items
    # The document went through feedhub's fetch (robots.txt first), the data through the page.
    paths = [r.path for r in httpd.requests]
    assert paths.index("/robots.txt") < paths.index("/news") < paths.index("/api/stories.json")


def test_automatic_detection_reads_the_rendered_page(httpd: LocalServer, tmp_path: Path) -> None:
    serve_scripted(httpd)
    config = write(tmp_path, httpd, listing(httpd, selectors=""))
    report = build(config)
    newsroom = next(r for r in report.sources if r.source_id == "newsroom")
    assert newsroom.ok, newsroom.error
    assert newsroom.found == len(STORIES)


@pytest.mark.parametrize("selectors", [SELECTORS, ""], ids=["selectors", "automatic"])
def test_without_render_the_page_has_no_items_and_the_error_says_to_render_it(
        httpd: LocalServer, tmp_path: Path, selectors: str) -> None:
    serve_scripted(httpd)
    config = write(tmp_path, httpd, listing(httpd, render_line="", selectors=selectors))
    report = build(config)
    by_id = {r.source_id: r for r in report.sources}
    assert not by_id["newsroom"].ok
    assert "try `render: browser`" in by_id["newsroom"].error
    assert by_id["wire"].ok
    assert "/api/stories.json" not in [r.path for r in httpd.requests]


def test_a_page_that_never_settles_fails_within_the_limit_and_the_build_goes_on(
        httpd: LocalServer, tmp_path: Path) -> None:
    serve_scripted(httpd, extra_script=b"setInterval(function () { fetch('/poll'); }, 150);")
    httpd.route("/poll", b"{}", headers={"Content-Type": "application/json"})
    config = write(tmp_path, httpd, listing(httpd, selectors=""), deadline=3)
    report = build(config)
    by_id = {r.source_id: r for r in report.sources}
    error = by_id["newsroom"].error
    assert "did not settle within 3 s" in error and "selectors" in error
    assert by_id["newsroom"].seconds < 3 + render.GRACE
    assert by_id["wire"].ok and (config.output_dir / "all.rss").exists()
    # The selectors make the build wait for the items instead: the same page is read.
    config = write(tmp_path, httpd, listing(httpd), deadline=3)
    assert next(r for r in build(config).sources if r.source_id == "newsroom").ok


def test_the_page_cannot_reach_another_private_host(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    """allow_private trusts the source's own host only: the page's requests to a second
    private host, directly, through a redirect from its own host, or to the cloud metadata
    address, are refused, and the second server sees none of them."""
    other.route("/secret", b"{}", headers={"Content-Type": "application/json",
                                           "Access-Control-Allow-Origin": "*"})
    httpd.route("/hop", status=302, headers={"Location": other.url("/secret")})
    probe = (f"fetch('{other.url('/secret')}').catch(function () {{}});"
             f"fetch('/hop').catch(function () {{}});"
             "fetch('http://169.254.169.254/latest/meta-data/').catch(function () {});"
             f"var f = document.createElement('iframe'); f.src = '{other.url('/secret')}';"
             "document.body.appendChild(f);").encode()
    serve_scripted(httpd, extra_script=probe)
    config = write(tmp_path, httpd, listing(httpd))
    report = build(config)
    newsroom = next(r for r in report.sources if r.source_id == "newsroom")
    assert newsroom.ok and newsroom.found == len(STORIES)  # its own host was reached
    assert other.requests == []
    warning = " ".join(newsroom.warnings)
    assert other.url("/secret") in warning and "169.254.169.254" in warning
    assert "allow_private" in warning
    # A host the source lists in allow_hosts is reached: the refusal above is the policy's.
    config = write(tmp_path, httpd, listing(httpd, extra="    allow_hosts: [127.0.0.2]\n"))
    build(config)
    assert "/secret" in [r.path for r in other.requests]


def test_a_host_that_resolves_elsewhere_to_connect_is_refused_at_the_connection(
        httpd: LocalServer, other: LocalServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the page's request to a host whose first answer is a public address
    and whose next is a private one is refused when the connection is opened (the check's
    answer is not the one connected to), and the private server accepts no connection."""
    from feedhub.render import gate

    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        if host != other.host:
            return resolve_host(host, port)
        asked.append(host)
        return ["93.184.216.34"] if len(asked) == 1 else [other.host]

    monkeypatch.setattr(gate, "Gate", functools.partial(gate.Gate, resolve=rebinding))
    other.route("/secret", b"{}", headers={"Content-Type": "application/json",
                                           "Access-Control-Allow-Origin": "*"})
    serve_scripted(httpd, extra_script=(f"fetch('{other.url('/secret')}')"
                                        ".catch(function () {});").encode())
    config = write(tmp_path, httpd, listing(httpd))
    newsroom = next(r for r in build(config).sources if r.source_id == "newsroom")
    assert newsroom.ok and newsroom.found == len(STORIES)  # its own host was reached
    assert other.accepted == 0 and other.requests == []
    assert len(asked) >= 2  # checked as public, then resolved again to connect
    warning = " ".join(newsroom.warnings)
    assert other.url("/secret") in warning and "refused to connect" in warning
    assert f"resolves to {other.host}" in warning


def test_the_browser_opens_no_connection_of_its_own(
        httpd: LocalServer, other: LocalServer, tmp_path: Path) -> None:
    """Preconnects, DNS prefetches and the connection Chromium opens to a frame's host before
    the frame's request is routed go nowhere: the second host accepts no connection at all,
    and every connection to the page's own host carried a request (feedhub's)."""
    elsewhere = other.url("/")
    hints = (f'<link rel="preconnect" href="{elsewhere}">'
             f'<link rel="preconnect" href="{elsewhere}" crossorigin>'
             f'<link rel="dns-prefetch" href="{elsewhere}">'
             f'<link rel="prefetch" href="{other.url("/next")}">').encode()
    frame = (f"var f = document.createElement('iframe'); f.src = '{other.url('/frame')}';"
             "document.body.appendChild(f);").encode()
    serve_scripted(httpd, extra_script=frame)
    httpd.route("/news", SHELL.replace(b"<title>", hints + b"<title>"),
                headers={"Content-Type": "text/html; charset=utf-8"})
    config = write(tmp_path, httpd, listing(httpd))
    newsroom = next(r for r in build(config).sources if r.source_id == "newsroom")
    assert newsroom.ok and newsroom.found == len(STORIES)
    assert other.accepted == 0, "Chromium connected to a host the gate refused"
    assert other.url("/frame") in " ".join(newsroom.warnings)
    talked = {request.handler.client_address for request in httpd.requests}
    assert httpd.accepted == len(talked), "a connection to the page's host carried no request"


def test_missing_chromium_fails_the_source_with_how_to_install_it(
        httpd: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(render.ENV, str(tmp_path / "no-such-chromium"))
    serve_scripted(httpd)
    config = write(tmp_path, httpd, listing(httpd) + listing(httpd, sid="again"))
    report = build(config)
    by_id = {r.source_id: r for r in report.sources}
    for sid in ("newsroom", "again"):
        error = by_id[sid].error
        assert "pip install 'feedhub[browser]'" in error, error
        assert "apt-get install chromium" in error and "no-such-chromium" in error
        assert "\n" not in error
    assert by_id["wire"].ok
    assert json.loads((config.output_dir / "all.json").read_text())["items"]


def test_missing_playwright_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from feedhub.render import chromium

    monkeypatch.setitem(sys.modules, "playwright.async_api", None)  # import fails: not installed
    with pytest.raises(chromium.Unavailable) as caught:
        asyncio.run(chromium.launch(1))
    assert "Playwright is not installed" in str(caught.value)
    assert "pip install 'feedhub[browser]'" in str(caught.value)


def test_without_playwright_installed_feedhub_builds_and_a_render_source_says_why(
    httpd: LocalServer, tmp_path: Path,
) -> None:
    # Playwright is an optional extra: a Python that cannot import it (None in sys.modules
    # makes every import of it fail) must still run every command, and fail only the
    # render: browser source, with how to install what it needs.
    runner = Path(tmp_path / "run.py")
    runner.write_text(
        "import sys\nsys.modules['playwright'] = None\n"
        "from feedhub.cli import run\nrun()\n", encoding="utf-8")
    httpd.route("/news", body=b"<html><body><ul id='news'></ul></body></html>",
                headers={"Content-Type": "text/html; charset=utf-8"})
    config = tmp_path / "sources.yaml"
    feedhub = [sys.executable, str(runner)]
    assert subprocess.run([*feedhub, "init", "-c", str(config)], check=False).returncode == 0
    config.write_text(config.read_text(encoding="utf-8").replace("\nsources:\n", (
        f"\nsources:\n  - id: scripted\n    kind: html\n    url: {httpd.url('/news')}\n"
        "    render: browser\n    allow_private: true\n"), 1), encoding="utf-8")
    built = subprocess.run([*feedhub, "build", "-c", str(config)], capture_output=True,
                           text=True, check=False)
    assert built.returncode == 1, built.stderr  # one source failed, the others published
    assert "pip install 'feedhub[browser]'" in built.stdout + built.stderr
    assert (tmp_path / "feeds" / "news.rss").is_file()


def test_one_browser_serves_every_page_of_a_build(
        httpd: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[int] = []
    real = render.launch

    async def counting(pages: int):  # type: ignore[no-untyped-def]
        launched.append(pages)
        return await real(pages)

    monkeypatch.setattr(render, "launch", counting)
    serve_scripted(httpd)
    three = "".join(listing(httpd, sid=f"page-{n}", path=f"/news?{n}") for n in range(3))
    report = build(write(tmp_path, httpd, three))
    assert all(r.ok for r in report.sources), [r.error for r in report.sources]
    assert launched == [render.PAGES]
    # A build without such sources starts none.
    launched.clear()
    build(write(tmp_path, httpd, listing(httpd, render_line="", sid="static",
                                         path="/wire.rss").replace("kind: html",
                                                                   "kind: feed")
                .replace(SELECTORS, "")))
    assert launched == []


def test_preview_and_add_take_render_browser(httpd: LocalServer, tmp_path: Path) -> None:
    serve_scripted(httpd)
    runner = CliRunner()
    config = write(tmp_path, httpd, "")
    url = httpd.url("/news")
    shown = runner.invoke(main, ["-c", str(config.path), "preview", url, "--allow-private",
                                 "--render", "browser"])
    assert shown.exit_code == 0, shown.output
    assert "Scripted story 1" in shown.output
    # add: the page as served lists nothing; its rendered DOM does, and add says so.
    added = runner.invoke(main, ["-c", str(config.path), "add", url, "--allow-private",
                                 "--yes"])
    assert added.exit_code == 1
    assert f"rendered in a browser it lists {len(STORIES)}" in added.output
    assert "--render browser" in added.output
    added = runner.invoke(main, ["-c", str(config.path), "add", url, "--allow-private",
                                 "--yes", "--render", "browser", "--id", "rendered"])
    assert added.exit_code == 0, added.output
    assert "render: browser" in config.path.read_text()
    assert load_config(config.path).source("rendered").render == "browser"  # type: ignore[union-attr]


def test_a_page_rendered_as_served_still_works(httpd: LocalServer, tmp_path: Path) -> None:
    """A page whose list is in its HTML reads the same with render: browser."""
    items = "".join(f'<li class="story"><h2><a href="/s/{n}">Plain {n}</a></h2>'
                    f'<time datetime="2024-06-0{n}">June {n}</time></li>' for n in range(1, 4))
    httpd.route("/plain", f"<html><body><ul>{items}</ul></body></html>".encode(),
                headers={"Content-Type": "text/html; charset=iso-8859-1"})
    httpd.route("/feed.rss", rss("x", 1))
    config = write(tmp_path, httpd, listing(httpd, path="/plain"))
    newsroom = next(r for r in build(config).sources if r.source_id == "newsroom")
    assert newsroom.ok and newsroom.found == 3
