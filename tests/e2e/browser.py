"""Headless Chromium (Debian's) driven by Playwright, with every request and message recorded.

``Browser.open(url)`` loads a page and keeps what a person would not see: console messages, page
errors, dialogs (dismissed) and every request the page made, so a test can assert that nothing
left 127.0.0.1 and nothing was logged as an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, sync_playwright

from .site import ROOT, require_tool

SCREENSHOTS = ROOT / "test-output"
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


class Browser:
    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.requests: list[str] = []
        """Every request made in this browser (pages, frames, workers), in order."""
        context.on("request", lambda request: self.requests.append(request.url))

    def open(self, url: str, *, settle_ms: int = 500) -> Visit:
        page = self.context.new_page()
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
def chromium(profile: Path) -> Iterator[Browser]:
    """Debian's /usr/bin/chromium with a fresh profile; never a browser Playwright downloads."""
    executable = require_tool("chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS,
            viewport={"width": 1024, "height": 768})
        context.set_default_timeout(60_000)  # a busy CI machine, not a slow page
        try:
            yield Browser(context)
        finally:
            context.close()
