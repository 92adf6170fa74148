"""Headless Chromium (Debian's) driven by Playwright, with every request and message recorded.

``Browser.open(url)`` loads a page and keeps what a person would not see: console messages, page
errors, dialogs (dismissed) and every request the page made, so a test can assert that nothing
left 127.0.0.1 and nothing was logged as an error. ``open`` takes a window width and a colour
scheme (a phone, dark mode); ``chromium(..., javascript=False)`` is a browser with JavaScript
off. ``Visit.axe()`` runs axe-core (tests/e2e/axe, installed by test.sh with ``npm ci``) in the
page and returns its violations.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, sync_playwright

from .site import ROOT, require_tool

SCREENSHOTS = ROOT / "test-output"
"""Where screenshots go (git-ignored)."""
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
"""The rules axe runs: WCAG 2.2 A and AA, and axe's best practices."""
PHONE = 390
DESKTOP = 1280
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Visit:
    page: Page
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    """Every request of the browser, this page's included."""

    @property
    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.errors

    @property
    def remote_requests(self) -> list[str]:
        """Requests to anywhere but 127.0.0.1 (data: and about: URLs stay in the page)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.hostname != "127.0.0.1":
                out.append(url)
        return out

    def links(self) -> list[tuple[str, str]]:
        """(text, absolute href) of every link, in every frame and open shadow root."""
        found = []
        for frame in self.page.frames:
            for link in frame.locator("a[href]").all():
                text = re.sub(r"\s+", " ", link.inner_text()).strip()
                found.append((text, str(link.evaluate("a => a.href"))))
        return found

    def text(self) -> str:
        return "\n".join(frame.locator("body").inner_text() for frame in self.page.frames
                         if frame.locator("body").count())

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[Violation]:
        """axe-core's violations on this page (every frame axe can reach), worst first.

        axe is evaluated over the DevTools protocol, which the page's Content-Security-Policy
        does not govern: the CSP under test stays as strict as it is served.
        """
        source = axe_source()
        for frame in self.page.frames:  # axe in the page asks axe in each frame
            frame.evaluate(source)
        results = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})", AXE_TAGS)
        found = [Violation(v["id"], v["impact"] or "", v["help"],
                           [" ".join(map(str, node["target"])) for node in v["nodes"]])
                 for v in results["violations"]]
        return sorted(found, key=lambda v: IMPACTS.index(v.impact) if v.impact in IMPACTS else 9)

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than its window (0: no sideways scrolling)."""
        return int(self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"))


IMPACTS = ["critical", "serious", "moderate", "minor"]


@dataclass(frozen=True)
class Violation:
    """One axe rule a page breaks, where (CSS selectors of the elements), and how badly."""

    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.impact}: {self.rule} ({self.help}) at {', '.join(self.targets[:5])}"


def axe_source() -> str:
    """axe.min.js as installed by ``npm ci`` in tests/e2e/axe (test.sh does it when npm is
    there); skips without it, and fails as root, where test.sh installs npm."""
    if not AXE.is_file():
        message = ("axe-core is not installed: run `npm ci` in tests/e2e/axe "
                   "(test.sh does when npm is installed; scripts/apt-packages.txt lists it)")
        if os.geteuid() == 0:
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def report(violations: list[Violation]) -> str:
    return json.dumps([str(v) for v in violations], indent=1, ensure_ascii=False)


class Browser:
    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.requests: list[str] = []
        """Every request made in this browser (pages, frames, workers), in order."""
        context.on("request", lambda request: self.requests.append(request.url))

    def open(self, url: str, *, settle_ms: int = 500, width: int = 1024,
             scheme: Literal["light", "dark"] = "light") -> Visit:
        """``url`` in a new tab ``width`` CSS pixels wide, the system in ``scheme`` mode."""
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": 800 if width > PHONE else 844})
        page.emulate_media(color_scheme=scheme)
        visit = Visit(page, requests=self.requests)

        def on_console(message: ConsoleMessage) -> None:
            visit.console.append((message.type, message.text))

        def on_dialog(dialog: Dialog) -> None:
            visit.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda exc: visit.errors.append(str(exc)))
        page.on("dialog", on_dialog)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(settle_ms)
        return visit


@contextmanager
def chromium(profile: Path, *, javascript: bool = True) -> Iterator[Browser]:
    """Debian's /usr/bin/chromium with a fresh profile; never a browser Playwright downloads.
    ``javascript=False``: as a visitor who turned JavaScript off (or whose script failed)."""
    executable = require_tool("chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS,
            viewport={"width": 1024, "height": 768}, java_script_enabled=javascript)
        context.set_default_timeout(60_000)  # a busy CI machine, not a slow page
        try:
            yield Browser(context)
        finally:
            context.close()
