"""One request as a browser page makes it (any method, the page's headers and body), sent
through the guarded connection pool, its answer returned whatever its status.

Contract: :func:`exchange` sends one request and returns an :class:`Exchange` (status,
headers, body decoded), or raises :class:`~feedhub.errors.FetchError`: :class:`AddressRefused`
when the policy refuses every address the host resolves to *when the connection is opened*
(:mod:`feedhub.fetch.guard`, so a second DNS answer cannot slip past a check made earlier),
:class:`~feedhub.fetch.decode.TooLarge` when the decoded body would pass ``limits.max_bytes``,
and a plain FetchError when the network failed or ``deadline`` passed. It is how
``render: browser`` pages reach the network (:mod:`feedhub.render.gate`): the browser itself
is given no way to connect.

What it does not do, unlike :func:`~feedhub.fetch.http.fetch_url`: follow redirects (the
caller checks each hop), retry (a browser does not retry a failed request; the page's script
decides), add feedhub's User-Agent or Accept (the page's own are sent), read robots.txt or wait
for the host's turn (the caller decides, see the render gate's docstring). Like it: the
address guard, the shared kept-alive pools (a request that went out on a kept-alive connection
the server had just closed, and got no answer, goes again on another), one deadline for every
socket operation, ``Accept-Encoding: gzip, deflate, br`` and a body decoded within the cap.
Hop-by-hop headers of the page's request are not sent, and the answer's headers that describe
the body as it travelled (Content-Encoding, Content-Length, Transfer-Encoding) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpcore

from ..addresses import AddressPolicy
from ..errors import FetchError
from ..model import FetchLimits
from . import pools
from .deadline import Attempt, Deadline, current_attempt, set_current_attempt
from .decode import read_body
from .guard import Refused, Resolver, resolve_host
from .http import ACCEPT_ENCODING, DEFAULT_LIMITS, header_text, timed_request
from .scope import PUBLIC_ONLY
from .urls import parse_url

__all__ = ["AddressRefused", "Exchange", "exchange"]

_NOT_SENT = frozenset({"host", "connection", "keep-alive", "proxy-authorization",
                       "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                       "content-length", "accept-encoding"})
"""Request headers the connection decides, not the page (Host and the body's length are
set here; Accept-Encoding names what feedhub can decode)."""
_WIRE_ONLY = frozenset({"content-encoding", "content-length", "transfer-encoding",
                        "connection", "keep-alive"})
"""Answer headers that describe the body as it travelled, not as it is returned."""
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class AddressRefused(FetchError):
    """The policy refused every address the request's host resolved to when connecting."""


@dataclass(frozen=True)
class Exchange:
    """A server's answer to one request."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    """As sent, in order, names lower-cased (a repeated one repeated), without those that
    describe the body in transit."""
    body: bytes
    """Decoded (no Content-Encoding left)."""


def exchange(
    source_id: str,
    method: str,
    url: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
    policy: AddressPolicy = PUBLIC_ONLY,
    deadline: Deadline | None = None,
    resolve: Resolver = resolve_host,
) -> Exchange:
    """Send ``method`` ``url`` with ``headers`` and ``body``; see the module docstring.
    ``deadline`` (by default ``limits.deadline`` from now) bounds it all."""
    target = parse_url(source_id, url)
    if target.scheme not in (b"http", b"https"):
        raise FetchError(source_id, f"only http:// and https:// URLs are fetched, not {url!r}")
    deadline = deadline or Deadline(limits.deadline)
    sent = [(b"Host", target.netloc),
            *((_octets(name), _octets(value)) for name, value in headers
              if name.lower() not in _NOT_SENT and not name.startswith(":")),
            (b"Accept-Encoding", ACCEPT_ENCODING.encode())]
    if body or method.upper() in _WITH_BODY:
        sent.append((b"Content-Length", str(len(body or b"")).encode()))
    request = timed_request(method.upper().encode("ascii"), target, sent, limits, deadline,
                            body or b"")
    outer = current_attempt()
    try:
        with pools.pool_for(policy, resolve, limits) as pool:
            for _ in range(pools.MAX_IDLE_PER_HOST):
                attempt = Attempt(deadline)
                set_current_attempt(attempt)
                try:
                    response = pool.handle_request(request)
                except (httpcore.NetworkError, httpcore.RemoteProtocolError):
                    if attempt.reused:  # a kept-alive connection the server had closed
                        continue
                    raise
                try:
                    found = [(name.decode("latin-1").lower(), value.decode("latin-1"))
                             for name, value in response.headers]
                    data = read_body(response, header_text(response.headers), target.text,
                                     source_id, limits, deadline)
                finally:
                    response.close()
                return Exchange(url=target.text, status=response.status, body=data,
                                headers=tuple(pair for pair in found
                                              if pair[0] not in _WIRE_ONLY))
            raise FetchError(source_id, f"cannot fetch {target.text}: the server closed "
                                        f"{pools.MAX_IDLE_PER_HOST} kept-alive connections "
                                        "in a row")
    except Refused as exc:
        raise AddressRefused(source_id, f"refused to connect: {exc}") from exc
    except httpcore.TimeoutException as exc:
        raise FetchError(source_id, f"{target.text} timed out ({type(exc).__name__}, "
                                    f"within the {deadline.seconds:g}s deadline)") from exc
    except httpcore.UnsupportedProtocol as exc:
        raise FetchError(source_id, f"cannot fetch {target.text}: {exc}") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise FetchError(source_id, f"cannot fetch {target.text}: "
                                    f"{exc or type(exc).__name__}") from exc
    finally:
        set_current_attempt(outer)


def _octets(text: str) -> bytes:
    """A header name or value as it goes on the wire (a browser's are ISO-8859-1 already)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
