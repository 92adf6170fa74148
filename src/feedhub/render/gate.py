"""What a rendered page may request, and the requests themselves, hop by hop.

Contract: every request of a page (scripts, XHR and fetch, frames, navigations, their redirect
hops) goes through :meth:`Gate.handle`, set with Playwright's ``page.route``. The page's own
document is answered with what feedhub's fetch already fetched (robots.txt, pacing, the
address guard, size and time caps applied there). Anything else is:

- refused when it is not http(s), when it is an image, font or media file (the DOM does not
  need them; they cost most of a page's bytes), past :data:`MAX_REQUESTS`, or when its host
  resolves to an address the source's policy refuses (:func:`feedhub.fetch.policy_for`: public
  addresses only, and with ``allow_private`` the host of the source's own url, as a fetch);
- else fetched by Playwright with redirects off; a redirect is checked again before its next
  hop is fetched (Chromium would follow a redirect without asking the route again), and a
  body over ``max_bytes`` is refused.

The source's own ``headers`` go to its own host only, as in a fetch. What was refused is kept
in :attr:`Gate.refused` for the source's report. Residual risk, written down: the check
resolves the host, then Playwright's driver resolves it again to connect; a DNS server that
answers a public address first and a private one a moment later could slip between the two.
The document itself has no such window (the fetch guard checks the address it connects to).

Must not: start browsers or read the DOM (:mod:`.page`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError

from ..addresses import AddressPolicy
from ..fetch.guard import Resolver, resolve_host
from ..model import FetchResult, Source

if TYPE_CHECKING:
    from playwright.async_api import Request, Route

__all__ = ["MAX_REQUESTS", "SKIPPED_TYPES", "Gate"]

MAX_REQUESTS = 300
"""Requests one page may make; past them, the rest are refused."""
SKIPPED_TYPES = frozenset({"image", "media", "font"})
"""Resource types never fetched: the DOM holds their URLs without them."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RESOLVE_TIMEOUT = 10.0
_CROSS_HOST_DROPPED = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass
class Gate:
    """The requests of one page of ``source``, whose document is ``document``."""

    source: Source
    policy: AddressPolicy
    document: FetchResult
    max_bytes: int
    max_redirects: int = 5
    resolve: Resolver = resolve_host
    refused: list[str] = field(default_factory=list)
    """Each refused request: its URL and why (for the source's report)."""
    requests: int = 0
    served_document: bool = False

    async def handle(self, route: Route, request: Request) -> None:
        """Answer one request of the page (the ``page.route`` handler)."""
        with contextlib.suppress(PlaywrightError):  # the page closed while it was under way
            await self._handle(route, request)

    async def _handle(self, route: Route, request: Request) -> None:
        if (not self.served_document and request.is_navigation_request()
                and request.url.split("#")[0] == self.document.url.split("#")[0]):
            self.served_document = True
            await route.fulfill(status=self.document.status, headers=_document_headers(
                self.document), body=self.document.body)
            return
        self.requests += 1
        if request.resource_type in SKIPPED_TYPES:
            await route.abort("blockedbyclient")
            return
        if self.requests > MAX_REQUESTS:
            await self._refuse(route, request.url, f"more than {MAX_REQUESTS} requests")
            return
        url, method, body = request.url, request.method, request.post_data_buffer
        headers = dict(request.headers)
        for _ in range(self.max_redirects + 1):
            reason = await self.refusal(url)
            if reason is not None:
                await self._refuse(route, url, reason)
                return
            try:
                response = await route.fetch(url=url, method=method, post_data=body,
                                             headers=self._headers_for(url, headers),
                                             max_redirects=0, max_retries=0)
            except PlaywrightError:  # refused connection, reset, timeout: as a browser would
                await route.abort("failed")
                return
            location = response.headers.get("location", "")
            if response.status in REDIRECTS and location:
                await response.dispose()
                url = urljoin(url, location)
                if response.status == 303 or (response.status in (301, 302)
                                               and method == "POST"):
                    method, body = "GET", None
                continue
            size = int(response.headers.get("content-length", "0") or 0)
            if size > self.max_bytes or len(await response.body()) > self.max_bytes:
                await response.dispose()
                await self._refuse(route, url, f"its body is over {self.max_bytes} bytes")
                return
            await route.fulfill(response=response)
            return
        await self._refuse(route, url, f"more than {self.max_redirects} redirects")

    async def refusal(self, url: str) -> str | None:
        """Why the page may not request ``url``, or None: its scheme, and every address its
        host resolves to, under the source's policy."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{parts.scheme}: URLs are not fetched"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "its port is not a number"
        host = parts.hostname
        try:
            addresses = await asyncio.wait_for(
                asyncio.to_thread(self.resolve, host, port), RESOLVE_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            return f"{host} does not resolve ({type(exc).__name__})"
        for ip in addresses:
            reason = self.policy.refusal(host, ip)
            if reason is not None:
                return reason
        return None if addresses else f"{host} resolves to no address"

    def _headers_for(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """The request's headers; with the source's own on its own host, and no credentials
        on another."""
        own = urlsplit(self.source.location).hostname
        if urlsplit(url).hostname != own:
            return {k: v for k, v in headers.items() if k.lower() not in _CROSS_HOST_DROPPED}
        out = {k: v for k, v in headers.items()
               if k.lower() not in {name.lower() for name, _ in self.source.headers}}
        out.update(dict(self.source.headers))
        return out

    async def _refuse(self, route: Route, url: str, reason: str) -> None:
        self.refused.append(f"{url[:200]} ({reason})")
        await route.abort("blockedbyclient")


def _document_headers(document: FetchResult) -> dict[str, str]:
    """What the browser is told about the document: its type and language (the body is
    already decoded, so no content-encoding or length)."""
    keep = ("content-type", "content-language")
    return {name: value for name, value in document.headers.items() if name in keep}
