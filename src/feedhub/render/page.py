"""One page rendered: its document loaded in a fresh browser context, its scripts run until the
network settles or the item selector appears, and its DOM taken.

Contract: :func:`render_page` returns the page's DOM (``page.content()``) as a FetchResult in
UTF-8, or raises :class:`~feedhub.errors.FetchError`: the page did not settle within
``seconds`` (with what it was still loading), its DOM is over ``max_bytes``, or the browser
failed. Each page has a context of its own (no cookies or storage shared between sources),
with no downloads, no permissions, no service workers; popups are closed, dialogs dismissed
and WebSockets refused. Every request goes through a :class:`~.gate.Gate`.

Waiting: with an item selector, until one item is in the DOM, then until the network settles
(no request for :data:`QUIET` s, as the rest of the list may still be coming) or
:data:`AFTER_ITEMS` s passed; without one, until the network settles once the page loaded. A
page that does not get there within ``seconds`` fails.

Must not: launch or share the browser (:mod:`feedhub.render` does).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

from ..errors import FetchError
from ..model import FetchResult, Source
from .gate import Gate

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Request, WebSocketRoute

__all__ = ["AFTER_ITEMS", "render_page"]

AFTER_ITEMS = 2.0
"""Seconds given to the network to settle once the first item is in the DOM."""
QUIET = 1.0
"""Seconds without a request that make the network settled (scripts often wait a moment
after the page loaded before they ask for its data)."""
POLL = 0.1


async def render_page(browser: Browser, source: Source, gate: Gate, seconds: float,
                      max_bytes: int) -> FetchResult:
    """The DOM of ``gate.document`` once its scripts ran (see the module docstring)."""
    document = gate.document
    context = await browser.new_context(
        accept_downloads=False, service_workers="block", permissions=[],
        java_script_enabled=True, viewport={"width": 1280, "height": 1024})
    traffic = Traffic()
    try:
        page = await context.new_page()
        page.set_default_timeout(seconds * 1000)
        page.on("popup", _close)
        page.on("request", traffic.started)
        page.on("requestfinished", traffic.ended)
        page.on("requestfailed", traffic.ended)
        page.on("load", lambda _: setattr(traffic, "loaded", True))
        await page.route("**/*", gate.handle)
        await page.route_web_socket("**/*", _refuse_socket)
        started = time.monotonic()
        try:
            await page.goto(document.url, wait_until="domcontentloaded")
            left = seconds - (time.monotonic() - started)
            settled = await _settle(page, source, traffic, left)
        except PlaywrightError as exc:
            raise FetchError(source.id, f"the browser could not load the page: "
                                        f"{_first_line(exc)}") from exc
        if not settled:
            raise FetchError(source.id, _unsettled(seconds, traffic.in_flight, source))
        size = await page.evaluate("() => document.documentElement.outerHTML.length")
        if int(size) > max_bytes:
            raise FetchError(source.id, f"the rendered page is over {max_bytes} bytes "
                                        "(fetch.max_bytes); it was not read")
        html = await page.content()
        url = page.url if page.url.startswith(("http://", "https://")) else document.url
    finally:
        await context.close()
    body = html.encode("utf-8")
    if len(body) > max_bytes:
        raise FetchError(source.id, f"the rendered page is over {max_bytes} bytes "
                                    "(fetch.max_bytes); it was not read")
    headers = {name: value for name, value in document.headers.items()
               if name == "content-language"}
    headers["content-type"] = "text/html; charset=utf-8"
    return FetchResult(url=url, body=body, headers=headers, warnings=document.warnings)


class Traffic:
    """The page's requests under way, and when the network was last busy."""

    def __init__(self) -> None:
        self.in_flight: dict[Request, float] = {}
        self.busy_at = time.monotonic()
        self.loaded = False

    def started(self, request: Request) -> None:
        self.in_flight[request] = self.busy_at = time.monotonic()

    def ended(self, request: Request) -> None:
        self.in_flight.pop(request, None)
        self.busy_at = time.monotonic()

    def quiet(self) -> bool:
        """Loaded, nothing under way, and nothing started or ended for :data:`QUIET` s."""
        return (self.loaded and not self.in_flight
                and time.monotonic() - self.busy_at >= QUIET)


async def _settle(page: Page, source: Source, traffic: Traffic, seconds: float) -> bool:
    """Wait for the items (with selectors) or a quiet network (without); False when that did
    not come within ``seconds``."""
    ended = time.monotonic() + seconds
    items_at: float | None = None
    while time.monotonic() < ended:
        if source.selectors is None or items_at is not None:
            if traffic.quiet() or (items_at is not None
                                   and time.monotonic() - items_at >= AFTER_ITEMS):
                return True
        elif await page.query_selector(source.selectors.item) is not None:
            items_at = time.monotonic()
            continue
        await asyncio.sleep(POLL)
    return items_at is not None  # the items came; only the wait for the rest ran out


def _unsettled(seconds: float, in_flight: dict[Request, float], source: Source) -> str:
    waiting = sorted(in_flight.items(), key=lambda pair: pair[1])
    what = (f"; still loading {len(waiting)} request(s), such as {waiting[0][0].url[:120]}"
            if waiting else "; it kept starting requests")
    advice = ("its items never appeared: check selectors.item" if source.selectors is not None
              else "a page that never stops loading (live updates, polling) needs selectors: "
                   "the build then waits for selectors.item instead")
    return (f"the page did not settle within {seconds:g} s in the browser (fetch.deadline)"
            f"{what}; {advice}")


async def _close(popup: Page) -> None:
    await popup.close()


async def _refuse_socket(socket: WebSocketRoute) -> None:
    await socket.close(code=1008, reason="feedhub does not open WebSockets")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
