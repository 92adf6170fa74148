"""One HTTP(S) GET of a source: headers, conditional GET, redirects and retries, within one
deadline, on a shared kept-alive connection.

Contract: :func:`fetch_url` returns a :class:`FetchResult` or raises :class:`FetchError`, always
within ``limits.deadline`` seconds (plus DNS time, see :mod:`feedhub.fetch.guard`). Every
httpcore error is wrapped here (httpx, zlib and brotli ones where they are met: urls, decode).
What one fetch does:

- only http:// and https:// URLs; redirects are followed up to ``max_redirects`` (a loop is an
  error), and a redirect to any other scheme is refused;
- sends ``User-Agent: feedhub/<version> (+URL)``, ``Accept-Encoding: gzip, deflate, br`` and
  If-None-Match / If-Modified-Since from the last successful fetch; a 304 returns no body (a
  304 to a request that sent neither is an error: nothing was asked to be unchanged);
- sends the source's own ``headers`` (replacing feedhub's of the same name) to the host of
  the URL it starts from, on redirect hops too, unless a hop leaves that host or goes from
  https to http: those get feedhub's headers only, so that a token meant for one site is
  never handed to another, nor sent in clear;
- waits its turn for each request's host (``per_host_interval``, :mod:`feedhub.fetch.pacing`);
- reads the body decoded and bounded (:mod:`feedhub.fetch.decode`);
- retries timeouts, dropped connections, 5xx and 429 (:mod:`feedhub.fetch.retry`), but never
  past the deadline: a wait that would end after it fails at once with a message that says so,
  and the FetchError carries the server's Retry-After (``retry_after``) for the store;
- a request that went out on a kept-alive connection the server had just closed, and got no
  answer, is sent again at once on another connection without counting as a retry.

Requests go straight to the httpcore pool (:mod:`feedhub.fetch.pools`); feedhub follows
redirects itself, as httpx does (relative Locations joined, the fragment kept, cookies carried
between hops), and uses httpx only for URLs and cookies: on a kept-alive connection
httpx.Client's request machinery was half of a conditional GET's CPU (bench/fetch.py). Cookies
stay within one fetch (its redirects).

Trap: a response that is not read to its end closes its connection instead of returning it to
the pool: a 304 and a redirect are read (a redirect's body up to 64 kB) so that their
connections are kept.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpcore
import httpx

from .. import __version__
from ..addresses import AddressPolicy
from ..errors import FetchError
from ..model import FetchLimits, FetchResult
from . import pools
from .deadline import Attempt, Deadline, current_attempt, set_current_attempt
from .decode import PIECE, read_body
from .guard import Refused, Resolver, resolve_host
from .pacing import TooLate, wait_turn
from .retry import asked_to_wait, backoff_delay, retry_after_seconds
from .scope import PUBLIC_ONLY
from .urls import Url, parse_url, redirect_target

__all__ = ["DEFAULT_LIMITS", "NO_VALIDATORS", "USER_AGENT", "Validators", "fetch_url",
           "request_headers"]

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
ACCEPT_ENCODING = "gzip, deflate, br"
STATIC_HEADERS = ((b"User-Agent", USER_AGENT.encode()), (b"Accept", ACCEPT.encode()),
                  (b"Accept-Encoding", ACCEPT_ENCODING.encode()))
"""Sent with every request, after Host; the validators are added per request."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_LIMITS = FetchLimits()


@dataclass(frozen=True)
class Validators:
    """What the server said last time, sent back for a conditional GET."""

    etag: str = ""
    last_modified: str = ""


NO_VALIDATORS = Validators()
"""A first fetch: nothing the server said before to send back."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Stale(_Retryable):
    """The request went out on a kept-alive connection the server had closed (no answer)."""


def fetch_url(
    source_id: str,
    url: str,
    validators: Validators = NO_VALIDATORS,
    limits: FetchLimits = DEFAULT_LIMITS,
    policy: AddressPolicy = PUBLIC_ONLY,
    *,
    headers: Sequence[tuple[str, str]] = (),
    answer_4xx: bool = False,
    deadline: Deadline | None = None,
    rand: Callable[[], float] = random.random,
    resolve: Resolver = resolve_host,
) -> FetchResult:
    """GET ``url`` within ``limits`` and ``policy``; see the module docstring. ``headers`` are
    the source's own (sent to its own host); with ``answer_4xx`` a 4xx answer other than 429
    is returned (its status, no body) instead of raised (robots.txt needs it); ``deadline``
    is one already running (a fetch that read robots.txt first), by default
    ``limits.deadline`` from now. ``rand`` draws
    the retry jitter and ``resolve`` turns host names into addresses (both replaceable for
    tests)."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(source_id, f"only http:// and https:// URLs are fetched, not {url!r}")
    start = parse_url(source_id, url)
    deadline = deadline or Deadline(limits.deadline)
    conditional = []
    if validators.etag:
        conditional.append((b"If-None-Match", validators.etag.encode("latin-1", "replace")))
    if validators.last_modified:
        conditional.append((b"If-Modified-Since",
                            validators.last_modified.encode("latin-1", "replace")))
    sent = _Headers(own=[*request_headers(headers), *conditional],
                    plain=[*STATIC_HEADERS, *conditional])
    outer = current_attempt()
    try:
        with pools.pool_for(policy, resolve, limits) as pool:
            attempt = 1
            stale = 0
            while True:
                set_current_attempt(Attempt(deadline))
                try:
                    return _attempt(pool, source_id, start, sent, validators, limits,
                                    deadline, answer_4xx)
                except _Stale as exc:
                    # The server closed a kept-alive connection as the request went out: that
                    # is no fault of the source, so try again at once on another connection.
                    stale += 1
                    if stale > pools.MAX_IDLE_PER_HOST:
                        raise FetchError(source_id, f"{exc.reason} (on {stale} kept-alive "
                                                    "connections in a row)") from exc
                except _Retryable as exc:
                    asked = asked_to_wait(exc.retry_after)
                    if attempt > limits.retries:
                        raise FetchError(source_id, f"{exc.reason} (gave up after {attempt} "
                                                    "attempts)", retry_after=asked) from exc
                    wait = (exc.retry_after if exc.retry_after is not None
                            else backoff_delay(attempt, limits.backoff, rand()))
                    left = deadline.remaining()
                    if wait >= left:
                        raise FetchError(source_id, _gave_up(exc, wait, attempt, limits),
                                         retry_after=asked) from exc
                    time.sleep(wait)
                    attempt += 1
    finally:
        set_current_attempt(outer)


def request_headers(custom: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """feedhub's own headers, those named in ``custom`` replaced by its values (in feedhub's
    place), and the other ``custom`` ones after them."""
    if not custom:
        return list(STATIC_HEADERS)
    given = {name.lower(): (name.encode("ascii"), value.encode("ascii"))
             for name, value in custom}
    out = [given.pop(name.decode().lower(), (name, value)) for name, value in STATIC_HEADERS]
    return out + list(given.values())


@dataclass(frozen=True)
class _Headers:
    """What a request sends after Host: ``own`` to the host of the URL a fetch starts from
    (the source's headers), ``plain`` elsewhere (feedhub's only)."""

    own: list[tuple[bytes, bytes]]
    plain: list[tuple[bytes, bytes]]

    def to(self, start: Url, target: Url) -> list[tuple[bytes, bytes]]:
        """The headers of a request to ``target`` in a fetch of ``start``."""
        if target.host == start.host and not (start.scheme == b"https"
                                              and target.scheme == b"http"):
            return self.own
        return self.plain


def _gave_up(exc: _Retryable, wait: float, attempt: int, limits: FetchLimits) -> str:
    """Why a fetch stops retrying: its next try would come after the deadline."""
    if exc.retry_after is None:
        return (f"{exc.reason}; the next retry is due in {wait:g}s, past the "
                f"{limits.deadline:g}s deadline (attempt {attempt}); the next build tries again")
    return (f"{exc.reason}; the server asked to wait {wait:g}s, past the {limits.deadline:g}s "
            f"deadline (attempt {attempt}); it is not asked again before then (a day at most)")


def _attempt(
    pool: pools.Pool,
    source_id: str,
    start: Url,
    headers: _Headers,
    validators: Validators,
    limits: FetchLimits,
    deadline: Deadline,
    answer_4xx: bool = False,
) -> FetchResult:
    """One GET of ``start``, following redirects, on the shared pool (not through
    httpx.Client, see the module docstring)."""
    url = start.text
    answered = False
    try:
        target = start
        cookies: httpx.Cookies | None = None
        hops = 0
        while True:
            answered = False
            response = _send(pool, target, headers.to(start, target), cookies, limits,
                             deadline)
            answered = True
            try:
                status = response.status
                found = header_text(response.headers)
                here = target.text
                if status in REDIRECTS and "location" in found:
                    hops += 1
                    if hops > limits.max_redirects:
                        raise FetchError(source_id, f"more than {limits.max_redirects} "
                                                    f"redirects from {url} (a redirect loop?)")
                    if "set-cookie" in found:
                        # Cookies live for one fetch: a hop may set one the next hop needs.
                        cookies = _keep_cookies(cookies, response, target)
                    target = redirect_target(source_id, url, target, found["location"])
                    _drain(response)
                    continue
                reason = response.extensions.get("reason_phrase", b"").decode("latin-1")
                if status == 304:
                    _drain(response)
                    if not (validators.etag or validators.last_modified):
                        # Nothing was asked to be unchanged: taking it as "unchanged" would
                        # publish nothing new (or, for a first fetch, nothing at all).
                        raise FetchError(source_id, f"{here} answered 304 Not Modified to a "
                                                    "request without validators; a cache "
                                                    "in front of it may be misconfigured")
                    return FetchResult(url=here, status=304,
                                       headers={k.lower(): v for k, v in found.items()},
                                       etag=found.get("etag", validators.etag),
                                       last_modified=found.get(
                                           "last-modified", validators.last_modified))
                if status == 429 or status >= 500:
                    after = found.get("retry-after")
                    raise _Retryable(
                        f"HTTP {status} {reason} from {here}",
                        retry_after_seconds(after, datetime.now(UTC)) if after else None)
                if status >= 400 and answer_4xx:
                    _drain(response)
                    return FetchResult(url=here, status=status,
                                       headers={k.lower(): v for k, v in found.items()})
                if status >= 400:
                    raise FetchError(source_id, f"HTTP {status} {reason} from {here}; check "
                                                "the source's URL")
                if status != 200:
                    raise FetchError(source_id, f"unexpected HTTP {status} from {here}")
                body = read_body(response, found, here, source_id, limits, deadline)
                return FetchResult(
                    url=here,
                    body=body,
                    headers={k.lower(): v for k, v in found.items()},
                    status=status,
                    etag=found.get("etag", ""),
                    last_modified=found.get("last-modified", ""),
                )
            finally:
                response.close()
    except Refused as exc:
        raise FetchError(source_id, f"refused to connect: {exc}") from exc
    except TooLate as exc:
        raise FetchError(source_id, f"the next request to {target.host.decode()} may go out "
                                    f"only in {exc.wait:.1f}s (fetch.per_host_interval), past "
                                    f"the {limits.deadline:g}s deadline; fewer sources on that "
                                    "host, or a shorter interval, let every fetch finish"
                         ) from exc
    except httpcore.TimeoutException as exc:
        if deadline.remaining() <= 0:
            raise FetchError(source_id, f"{url} did not finish within the "
                                        f"{limits.deadline:g}s deadline") from exc
        raise _Retryable(f"timed out fetching {url} ({type(exc).__name__})") from exc
    except (httpcore.NetworkError, httpcore.RemoteProtocolError) as exc:
        attempt = current_attempt()
        if not answered and attempt is not None and attempt.reused:
            raise _Stale(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
        raise _Retryable(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
    except (httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise FetchError(source_id, f"cannot fetch {url}: {exc}") from exc


def _keep_cookies(cookies: httpx.Cookies | None, response: httpcore.Response,
                  target: Url) -> httpx.Cookies:
    """``cookies`` with those ``response`` (to a GET of ``target``) sets."""
    cookies = cookies or httpx.Cookies()
    cookies.extract_cookies(httpx.Response(response.status, headers=response.headers,
                                           request=httpx.Request("GET", target.text)))
    return cookies


def header_text(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """A response's headers as ``httpx.Headers(raw).items()`` gives them: names lower-cased,
    the values of a repeated header joined with ", ", everything decoded as ASCII, else UTF-8,
    else ISO-8859-1 (one encoding for all, chosen as httpx chooses it). Built directly, as
    a plain dict: with an httpx.Headers per response (and its lookups, a missing name raising
    KeyError inside) a 304 cost 6% more CPU (callgrind, bench corpus)."""
    for encoding in ("ascii", "utf-8"):
        try:
            return _merged_headers(raw, encoding)
        except UnicodeDecodeError:
            continue
    return _merged_headers(raw, "iso-8859-1")


def _merged_headers(raw: Sequence[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in raw:
        name = key.lower().decode(encoding)
        text = value.decode(encoding)
        merged[name] = f"{merged[name]}, {text}" if name in merged else text
    return merged


def _drain(response: httpcore.Response) -> None:
    """Read a body nobody needs to its end, so that its connection can be kept: a response not
    read to its end closes its connection. A 304 has none (h11 reads none, whatever the headers
    say); a redirect's is read up to ``PIECE`` bytes, past which the connection is dropped."""
    seen = 0
    for chunk in response.iter_stream():
        seen += len(chunk)
        if seen > PIECE:
            return


def _send(
    pool: pools.Pool,
    target: Url,
    headers: list[tuple[bytes, bytes]],
    cookies: httpx.Cookies | None,
    limits: FetchLimits,
    deadline: Deadline,
) -> httpcore.Response:
    """Send one GET, in its host's turn; the response's headers are in, its body is still
    to be read."""
    wait_turn(target.host.decode("ascii"), limits.per_host_interval, deadline)
    sent = [(b"Host", target.netloc), *headers]
    if cookies:
        probe = httpx.Request("GET", target.text)
        cookies.set_cookie_header(probe)
        if "cookie" in probe.headers:
            sent.append((b"Cookie", probe.headers["cookie"].encode("latin-1")))
    return pool.handle_request(timed_request(b"GET", target, sent, limits, deadline))


def timed_request(method: bytes, target: Url, headers: list[tuple[bytes, bytes]],
                  limits: FetchLimits, deadline: Deadline, content: bytes = b""
                  ) -> httpcore.Request:
    """One request to ``target`` with ``headers`` (Host included) and the timeouts of a fetch:
    each socket operation is also cut to the deadline; the pool wait is the one wait no socket
    operation caps, so it gets the time left."""
    return httpcore.Request(
        method,
        httpcore.URL(scheme=target.scheme, host=target.host, port=target.port,
                     target=target.target),
        headers=headers, content=content,
        extensions={"timeout": {"connect": limits.connect_timeout, "read": limits.deadline,
                                "write": limits.deadline,
                                "pool": max(0.0, deadline.remaining())}},
    )
