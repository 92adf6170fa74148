"""A running feedhub as a user runs it: a project folder, `feedhub build`, and gunicorn.

The project is the bundled sources.yaml and examples/ plus one "wire" source: an RSS feed served
by tests/support/httpd.py on 127.0.0.1, whose stories a test can add to. The production server is
`gunicorn wsgi:app` on a free 127.0.0.1 port, with an access log that records, per request, the
status and the conditional headers the client sent, so a test can see who got a 304.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import httpx
import pytest
import yaml

from ..support.httpd import LocalServer, Reply, Request

ROOT = Path(__file__).resolve().parents[2]
ATOM = "{http://www.w3.org/2005/Atom}"
CHECKER_AGENT = "feedhub-e2e-check"
"""User-Agent of the tests' own requests, so they can be told apart from the readers'."""

# gunicorn access log: one tab-separated line per request.
LOG_FORMAT = "\t".join([
    "%(s)s", "%(m)s", "%(U)s", "%({if-none-match}i)s", "%({if-modified-since}i)s", "%(a)s",
])

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)
"""A 1x1 PNG, so that images in test stories load (a 404 would be a console error)."""


def picture(width: int, height: int, seed: int) -> bytes:
    """A ``width`` x ``height`` PNG with a gradient made from ``seed``: a story's photo that
    looks like one in screenshots, in any aspect ratio, served from 127.0.0.1."""
    rows = []
    for y in range(height):
        red, green = 60 + y * 150 // height, 70 + seed * 50 % 150
        rows.append(b"\0" + b"".join(bytes((red, green, 230 - x * 120 // width))
                                      for x in range(width)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def require_tool(name: str) -> str:
    """The path of a Debian tool; skip when it is missing and cannot be installed here.

    test.sh installs every tool in scripts/apt-packages.txt when it runs as root, so as root a
    missing tool is a broken setup and fails instead of skipping.
    """
    path = shutil.which(name)
    if path:
        return path
    message = (f"{name} is not installed; install the Debian packages in "
               f"scripts/apt-packages.txt (as root: scripts/system-deps.sh)")
    if os.geteuid() == 0:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Story:
    title: str
    link: str
    summary: str
    published: datetime
    label: str = "News"
    image: str = ""
    """Absolute URL of the story's picture (media:thumbnail), "" for none."""


@dataclass
class Wire:
    """A news source served over HTTP with ETag and Last-Modified, that a test can grow."""

    server: LocalServer
    stories: list[Story] = field(default_factory=list)
    changed: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __post_init__(self) -> None:
        self.server.route("/wire.rss", handler=self._feed)
        self.server.route("/pixel.png", PIXEL, headers={"Content-Type": "image/png"})

    @property
    def url(self) -> str:
        return self.server.url("/wire.rss")

    def story_url(self, n: int) -> str:
        return self.server.url(f"/stories/{n}.html")

    def add(self, title: str, summary: str = "", *, published: datetime | None = None,
            image: tuple[int, int] | None = None) -> Story:
        """A new story; ``image``: (width, height) of a picture to serve and announce."""
        n = len(self.stories) + 1
        when = published or datetime.now(UTC).replace(microsecond=0)
        picture_url = ""
        if image is not None:
            picture_url = self.server.url(f"/pictures/{n}.png")
            self.server.route(f"/pictures/{n}.png", picture(*image, seed=n),
                              headers={"Content-Type": "image/png"})
        story = Story(title, self.story_url(n), summary or f"<p>Story {n} in brief.</p>", when,
                      image=picture_url)
        self.stories.append(story)
        page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>story</title>"
                f"<link rel=icon href=data:,></head><body><h1>{escape(title)}</h1></body></html>")
        self.server.route(f"/stories/{n}.html", page.encode(),
                          headers={"Content-Type": "text/html; charset=utf-8"})
        self.changed = max(self.changed + timedelta(seconds=1), when)
        return story

    def body(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
            f"<guid>{escape(s.link)}</guid><category>{escape(s.label)}</category>"
            f"<pubDate>{format_datetime(s.published)}</pubDate>"
            + (f"<media:thumbnail url=\"{escape(s.image)}\"/>" if s.image else "")
            + f"<description>{escape(s.summary)}</description></item>"
            for s in reversed(self.stories))
        return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
                "xmlns:media='http://search.yahoo.com/mrss/'><channel>"
                f"<title>Wire</title><link>{self.server.url('/')}</link>"
                f"<description>Test wire</description>{items}</channel></rss>").encode()

    def _feed(self, request: Request) -> Reply:
        body = self.body()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(self.changed, usegmt=True),
                   "Content-Type": "application/rss+xml; charset=utf-8"}
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", headers)
        return Reply(200, body, headers)


@dataclass(frozen=True)
class LogLine:
    status: int
    method: str
    path: str
    if_none_match: str
    if_modified_since: str
    agent: str

    @property
    def conditional(self) -> bool:
        """A validator was sent (curl sends an empty ``""`` ETag before it has one)."""
        return bool(self.if_none_match.strip('\\"') or self.if_modified_since)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str


class Site:
    """The project folder, its builds and its gunicorn; ``url(path)`` is on 127.0.0.1."""

    def __init__(self, folder: Path, wire: Wire) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.wire = wire
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "gunicorn.log"
        shutil.copytree(ROOT / "examples", folder / "examples")
        config = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
        config["site"]["base_url"] = self.base_url
        for source in config["sources"]:
            # The bundled newsroom page's pictures are on www.ilo.org: a browser test must not
            # reach the internet (the wire's stories bring pictures served on 127.0.0.1).
            source.get("selectors", {}).pop("image", None)
        self.config = config
        self.config_path = folder / "sources.yaml"
        self.add_source({"id": "wire", "kind": "feed", "url": wire.url, "category": "news",
                         "title": "Wire"})
        self.process: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False),
                                    encoding="utf-8")

    def add_source(self, source: dict[str, object]) -> None:
        """Add a source on 127.0.0.1 to sources.yaml (the next build reads it)."""
        # Private addresses are refused unless a source allows them (issue 7, SSRF).
        self.config["sources"].append({**source, "allow_private": True})
        self.write_config()

    def url(self, path: str) -> str:
        return self.base_url + path

    def build(self) -> str:
        """`feedhub build`, as a user runs it; fails the test unless every source built."""
        done = subprocess.run(
            # --force: tests build again at once, well within any refresh interval.
            [sys.executable, "-m", "feedhub", "build", "--force", "-c", str(self.config_path)],
            cwd=self.folder, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"feedhub build failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        # HOME: gunicorn keeps a control socket there; one per server, not one per machine.
        env = dict(os.environ, FEEDHUB_CONFIG=str(self.config_path), HOME=str(self.folder))
        with open(self.error_log, "wb") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "2", "--chdir", str(ROOT),
                 "--access-logfile", str(self.access_log), "--access-logformat", LOG_FORMAT,
                 "wsgi:app"],
                env=env, stdout=errors, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + self.error_log.read_text())
            try:
                httpx.get(self.url("/"), headers={"User-Agent": CHECKER_AGENT}, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not answer in 60 s:\n" + self.error_log.read_text())

    @contextlib.contextmanager
    def served(self) -> Iterator[Site]:
        """This site built and served by gunicorn until the block ends (a fixture's life)."""
        self.build()
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> list[LogLine]:
        """Every request gunicorn answered so far, except the tests' own."""
        lines = []
        if not self.access_log.exists():
            return []
        for raw in self.access_log.read_text(encoding="utf-8").splitlines():
            parts = raw.split("\t")
            if len(parts) != 6:
                continue
            fields = [("" if p == "-" else p) for p in parts]
            line = LogLine(int(fields[0]), *fields[1:])
            if line.agent != CHECKER_AGENT:
                lines.append(line)
        return lines

    def get(self, path: str) -> httpx.Response:
        response = httpx.get(self.url(path), headers={"User-Agent": CHECKER_AGENT},
                             timeout=60)
        response.raise_for_status()
        return response

    def entries(self, path: str) -> list[Entry]:
        """The items of a served feed, as published (ids, titles, links), in document order."""
        root = ET.fromstring(self.get(path).content)
        if root.tag == "rss":
            return [Entry(i.findtext("guid", ""), i.findtext("title", ""), i.findtext("link", ""))
                    for i in root.iter("item")]
        out = []
        for e in root.iter(f"{ATOM}entry"):
            link = e.find(f"{ATOM}link[@rel='alternate']")
            if link is None:
                link = e.find(f"{ATOM}link")
            out.append(Entry(e.findtext(f"{ATOM}id", ""), e.findtext(f"{ATOM}title", ""),
                             "" if link is None else link.get("href", "")))
        return out
