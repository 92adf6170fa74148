"""What a rendered page may request, and the requests themselves, hop by hop, made by feedhub.

Contract: every request of a page (scripts, XHR and fetch, frames, navigations, their redirect
hops) goes through :meth:`Gate.handle`, set with Playwright's ``page.route``, and the browser
itself reaches nothing: it is started unable to resolve any host (:mod:`.chromium`), so what
it would open outside ``page.route`` (preconnects, DNS prefetches, the connection it opens to a
frame's host before the frame's request is routed) goes nowhere. The page's own document is
answered with what feedhub's fetch already fetched (robots.txt, pacing, the address guard, size
and time caps applied there). Anything else is:

- refused when it is not http(s), when it is an image, font or media file (the DOM does not
  need them; they cost most of a page's bytes), past :data:`MAX_REQUESTS`, or when its host
  resolves to an address the source's policy refuses (:func:`feedhub.fetch.policy_for`: public
  addresses only, and with ``allow_private`` the host of the source's own url, as a fetch);
  that early check gives the clearest reason;
- else sent by feedhub (:func:`feedhub.fetch.exchange`, in a worker thread) and answered with
  ``route.fulfill``: the address guard checks the address each connection is opened to, so a
  DNS server that answers a public address to the check and a private one to the connect
  (rebinding) is refused there, and the connection pools, ``max_bytes`` (a larger body is
  refused), the connect timeout and the page's deadline are a fetch's. Redirects are not
  followed by the request: each hop is checked again before it is sent.

The source's own ``headers`` go to its own host only, as in a fetch (not from https to http),
and cookies and credentials go to no other host. A subresource does not read robots.txt nor
wait for ``fetch.per_host_interval``: the site's robots.txt allowed the page, and what the page
loads is what it has every visitor's browser load, in one visit (a robots.txt per CDN or API
host would cost each page a request per host, within its deadline); a page's requests are
bounded by :data:`MAX_REQUESTS` and by the browser's own few at a time per host instead. What
was refused is kept in :attr:`Gate.refused` for the source's report. Cookies a redirect hop
sets are not kept (the page sees the last answer only).

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
from ..errors import FetchError
from ..fetch import AddressRefused, Deadline, TooLarge, exchange
from ..fetch.guard import Resolver, resolve_host
from ..model import FetchLimits, FetchResult, Source

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
    """The requests of one page of ``source``, whose document is ``document``, each within
    ``limits`` and all of them within ``limits.deadline`` from the gate's making."""

    source: Source
    policy: AddressPolicy
    document: FetchResult
    limits: FetchLimits
    resolve: Resolver = resolve_host
    """Turns host names into addresses, for the early check and for the connection (tests
    replace it)."""
    refused: list[str] = field(default_factory=list)
    """Each refused request: its URL and why (for the source's report)."""
    requests: int = 0
    served_document: bool = False
    deadline: Deadline = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = Deadline(self.limits.deadline)

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
        headers = request.headers  # with the cookies the browser holds for the URL
        for _ in range(self.limits.max_redirects + 1):
            reason = await self.refusal(url)
            if reason is not None:
                await self._refuse(route, url, reason)
                return
            try:
                answer = await asyncio.to_thread(
                    exchange, self.source.id, method, url, headers=list(self._headers_for(
                        url, headers).items()), body=body, limits=self.limits,
                    policy=self.policy, deadline=self.deadline, resolve=self.resolve)
            except AddressRefused as exc:  # the host resolved elsewhere to connect
                await self._refuse(route, url, exc.message)
                return
            except TooLarge:
                await self._refuse(route, url, f"its body is over {self.limits.max_bytes} "
                                               "bytes")
                return
            except FetchError:  # refused connection, reset, timeout: as a browser would
                await route.abort("failed")
                return
            location = next((value for name, value in answer.headers if name == "location"),
                            "")
            if answer.status in REDIRECTS and location:
                url = urljoin(url, location)
                if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                continue
            await route.fulfill(status=answer.status, headers=_joined(answer.headers),
                                body=answer.body)
            return
        await self._refuse(route, url, f"more than {self.limits.max_redirects} redirects")

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
        on another (nor from https to http)."""
        own, there = urlsplit(self.source.location), urlsplit(url)
        if there.hostname != own.hostname or (own.scheme == "https"
                                              and there.scheme == "http"):
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


def _joined(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """An answer's headers as ``route.fulfill`` takes them: a repeated header's values joined
    with ", ", and Set-Cookie's with newlines (each stays one cookie)."""
    out: dict[str, str] = {}
    for name, value in headers:
        if name in out:
            out[name] = f"{out[name]}{chr(10) if name == 'set-cookie' else ', '}{value}"
        else:
            out[name] = value
    return out
