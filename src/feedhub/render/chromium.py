"""Headless Chromium: where it is, the flags that bound it, and starting it through Playwright.

Contract: :func:`executable` finds the browser (``FEEDHUB_CHROMIUM``, else ``chromium`` on the
PATH) and :func:`launch` starts it headless with :data:`FLAGS`; both raise
:class:`Unavailable` with a one-line message that says how to install what is missing
(Playwright is the optional ``feedhub[browser]`` extra, Chromium a system package).
Playwright is imported when :func:`launch` runs, and gate.py and page.py, which import it at
their top, only once it started: without it feedhub imports and runs, and only a ``render:
browser`` source fails.

The browser reaches no network by itself: ``--host-resolver-rules=MAP * ~NOTFOUND`` makes
every host name and IP address it would connect to unresolvable, so the connections Chromium
opens outside ``page.route`` (to a frame's or a navigation's host before its request is
routed, ``<link rel=preconnect>``, DNS prefetches, a favicon) go nowhere, and every request
the page makes is answered by :mod:`.gate` through feedhub's fetch. Routed requests still
work: they are intercepted before any host is resolved. (A closed proxy port would do less:
Chromium never sends loopback addresses through a proxy.)

Memory is bounded by the flags: each page's JavaScript heap (``--max-old-space-size``), and the
renderer processes (one per page at once). Chromium's sandbox stays on, except as root, where
Chromium refuses to start with it (run builds as a user to keep it).

Must not: open pages or decide what a page may request (:mod:`.page`, :mod:`.gate`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

__all__ = ["ENV", "FLAGS", "INSTALL", "JS_HEAP_MB", "Unavailable", "executable", "launch",
           "stop"]

ENV = "FEEDHUB_CHROMIUM"
"""Names the Chromium executable (default: ``chromium`` or ``chromium-browser`` on the PATH)."""
INSTALL = ("install them with `pip install 'feedhub[browser]'` and `apt-get install chromium` "
           f"(or set {ENV} to a Chromium executable)")
JS_HEAP_MB = 256
"""Each page's JavaScript heap: a page that builds more than this dies, not the machine."""
FLAGS = (
    "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--disable-quic",
    f"--js-flags=--max-old-space-size={JS_HEAP_MB}",
    # No host resolves, not even an IP address: the browser connects to nothing itself (see
    # the module docstring); the gate fetches what the page asks for.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # WebRTC reaches addresses without a request the gate could see.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)


class Unavailable(Exception):
    """The browser cannot be started; the message says what to install."""


def executable() -> str:
    """The Chromium to start: ``$FEEDHUB_CHROMIUM``, else the first on the PATH."""
    named = os.environ.get(ENV, "")
    if named:
        if not (Path(named).is_file() and os.access(named, os.X_OK)):
            raise Unavailable(f"render: browser needs Chromium, and {ENV}={named} is not an "
                              f"executable file; {INSTALL}")
        return named
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise Unavailable(f"render: browser needs Chromium, which is not installed (no "
                          f"chromium on the PATH); {INSTALL}")
    return found


async def launch(pages: int) -> tuple[Playwright, Browser]:
    """Playwright and a headless Chromium whose renderer processes are bounded to ``pages``."""
    try:
        # Here, not at the top: Playwright (~70 ms to import) is the optional browser extra,
        # needed once a page is to be rendered; without it feedhub imports and runs.
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError as exc:  # the optional extra is not installed
        raise Unavailable(f"render: browser needs Playwright and Chromium: Playwright is not "
                          f"installed ({exc}); {INSTALL}") from exc
    path = executable()
    args = [*FLAGS, f"--renderer-process-limit={max(1, pages)}"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium will not start as root with its sandbox
    playwright = await async_playwright().start()
    try:
        browser = await playwright.chromium.launch(executable_path=path, headless=True,
                                                   args=args, timeout=30_000)
    except PlaywrightError as exc:
        await playwright.stop()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unavailable(f"render: browser could not start Chromium at {path} ({first}); "
                          f"{INSTALL}") from exc
    return playwright, browser


async def stop(playwright: Playwright, browser: Browser) -> None:
    """Close the browser (its processes end) and Playwright's driver."""
    try:
        await browser.close()
    finally:
        await playwright.stop()
