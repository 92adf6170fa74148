"""Listing pages that JavaScript builds: ``render: browser`` sources read in headless Chromium.

Contract: a :class:`Renderer` is one browser for one build (or one command). Its
:meth:`~Renderer.fetcher` wraps the build's fetcher: a ``render: browser`` source's document is
fetched by it as any source's is (robots.txt, per-host pacing, the address guard, size and
time caps; never conditionally, as an unchanged page says nothing about the data its scripts
fetch), then rendered (:mod:`.page`) and its DOM handed on as the source's body, for extract
to read as any page. Other sources pass through untouched.

The browser starts on the first page to render (a build without such sources starts
nothing), serves every page after it (:data:`PAGES` at once, each within ``fetch.deadline``
seconds of its document's arrival, a hard limit), and closes when the renderer is closed.
Playwright's API is used from one thread that runs its event loop; fetch threads hand pages
to it and wait. The requests a page makes are sent by feedhub's fetch from a pool of
:data:`REQUESTS_AT_ONCE` threads per page (see :mod:`.gate`). When Playwright or Chromium is
missing, or the browser cannot start, each ``render: browser`` source fails with the one-line
reason (how to install them) and the rest of the build goes on.

The package, floor by floor: chromium.py (finding and starting the browser; it imports
Playwright only to start it), gate.py (what a page may request), page.py (one page rendered).
Every build makes a Renderer; gate.py and page.py, which import Playwright (~70 ms), are
imported only once the browser started, so that a build without ``render: browser`` sources
never imports Playwright, and feedhub runs without it (the optional ``browser`` extra).
Must not: parse what it rendered (extract does).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import FetchError
from ..fetch import Fetcher, Validators, policy_for
from ..model import FetchLimits, FetchResult, Source
from .chromium import ENV, INSTALL, Unavailable, launch, stop

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

__all__ = ["ENV", "INSTALL", "PAGES", "Renderer", "rendering"]

PAGES = 2
"""Pages rendered at once (each a renderer process of up to a few hundred MB)."""
REQUESTS_AT_ONCE = 8
"""Requests of one page sent at once (each waits for its answer in a thread of the browser's
loop; a browser sends at most six at once to one host)."""
GRACE = 15.0
"""Seconds past a page's limit before its caller stops waiting for the browser at all."""


def rendering(source: Source) -> bool:
    """Whether ``source`` is read in the browser."""
    return source.render == "browser"


class Renderer:
    """One headless Chromium, started when first needed; use it as a context manager."""

    def __init__(self, limits: FetchLimits, pages: int = PAGES) -> None:
        self.limits = limits
        self.pages = max(1, pages)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._slots: asyncio.Semaphore | None = None
        self._starting: asyncio.Lock | None = None
        self._unavailable = ""
        self.rendered = 0
        """Pages rendered (for tests and reports)."""

    def fetcher(self, base: Fetcher) -> Fetcher:
        """``base``, with ``render: browser`` sources rendered after ``base`` fetched them."""

        def fetch_rendered(source: Source, root: Path, validators: Validators) -> FetchResult:
            if not rendering(source):
                return base(source, root, validators)
            return self.render(source, base(source, root, Validators()))

        return fetch_rendered

    def render(self, source: Source, document: FetchResult) -> FetchResult:
        """The DOM of ``document`` (``source``'s page as fetched) once its scripts ran; raises
        FetchError. Called from any thread."""
        loop = self._started(source)
        job = asyncio.run_coroutine_threadsafe(self._render(source, document), loop)
        try:
            return job.result(timeout=self.limits.deadline + GRACE)
        except FutureTimeout as exc:
            job.cancel()
            raise FetchError(source.id, f"the browser did not answer within "
                                        f"{self.limits.deadline + GRACE:g} s") from exc

    def _started(self, source: Source) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None and not self._unavailable:
                loop = asyncio.new_event_loop()
                # The page's requests are sent by feedhub's fetch, which blocks: a thread each.
                loop.set_default_executor(ThreadPoolExecutor(
                    self.pages * REQUESTS_AT_ONCE, thread_name_prefix="feedhub-page"))
                thread = threading.Thread(target=loop.run_forever, name="feedhub-browser",
                                          daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._slots = asyncio.Semaphore(self.pages)
                self._starting = asyncio.Lock()
            if self._unavailable or self._loop is None:
                raise FetchError(source.id, self._unavailable)
            return self._loop

    async def _browser_now(self) -> Browser:
        """The browser, started on first use and again if it died (a crash, out of memory);
        pages waiting for it wait for the one start."""
        assert self._starting is not None
        async with self._starting:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = self._browser = None
            self._playwright, self._browser = await launch(self.pages)
            return self._browser

    async def _render(self, source: Source, document: FetchResult) -> FetchResult:
        assert self._slots is not None
        async with self._slots:
            if self._unavailable:
                raise FetchError(source.id, self._unavailable)
            try:
                browser = await self._browser_now()
            except Unavailable as exc:
                self._unavailable = str(exc)
                raise FetchError(source.id, self._unavailable) from exc
            # Here, now that Playwright is known to be installed (see the module docstring).
            from .gate import Gate
            from .page import render_page

            gate = Gate(source, policy_for(source), document, self.limits)
            seconds = self.limits.deadline
            try:
                rendered = await asyncio.wait_for(
                    render_page(browser, source, gate, seconds, self.limits.max_bytes),
                    seconds + GRACE / 3)
            except TimeoutError as exc:
                raise FetchError(source.id, f"the browser did not finish the page within "
                                            f"{seconds:g} s (fetch.deadline)") from exc
            self.rendered += 1
        if gate.refused:
            refused = "; ".join(gate.refused[:3])
            more = f" and {len(gate.refused) - 3} more" if len(gate.refused) > 3 else ""
            warning = f"the page's requests were refused: {refused}{more}"
            rendered = replace(rendered, warnings=(*rendered.warnings, warning))
        return rendered

    def close(self) -> None:
        """Close the browser and stop its thread (nothing to do when it never started)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            self._unavailable = self._unavailable or "the browser was closed"
        if loop is None or thread is None:
            return
        if self._playwright is not None and self._browser is not None:
            closing: Future[None] = asyncio.run_coroutine_threadsafe(
                stop(self._playwright, self._browser), loop)
            # A browser that fails or hangs on close: its processes end with ours.
            with contextlib.suppress(Exception):
                closing.result(timeout=30)
        self._playwright = self._browser = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        if not thread.is_alive():
            loop.close()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
