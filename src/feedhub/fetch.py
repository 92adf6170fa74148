"""Retrieve a source's bytes: HTTP(S) with limits, retries and conditional GET, or a local file.

Contract: ``fetch(source, root, validators, limits)`` returns a :class:`FetchResult` or raises
:class:`FetchError`, always within ``limits.deadline`` seconds (plus DNS time, see below) and
holding at most ``limits.max_bytes`` (+ one 64 kB piece) of body in memory. It never parses what
it fetched. Every httpx/httpcore/zlib/brotli error is wrapped here; this is the only module that
imports httpx, httpcore or brotli.

What one fetch does:
- only http:// and https:// URLs; redirects are followed up to ``max_redirects`` (a loop is an
  error), and a redirect to any other scheme is refused;
- sends ``User-Agent: feedhub/<version> (+URL)``, ``Accept-Encoding: gzip, deflate, br`` and
  If-None-Match / If-Modified-Since from the last successful fetch; a 304 returns no body;
- decodes gzip/deflate/br itself, in bounded pieces, counting the size *after* decompression,
  so a gzip bomb stops at the cap instead of filling memory;
- retries timeouts, dropped connections, 5xx and 429 with exponential backoff and jitter,
  honouring Retry-After (seconds or HTTP-date), but never past the deadline: a wait that would
  end after it fails at once with a message that says so;
- one deadline covers the whole fetch (connects, redirects, body, retries). It is enforced on
  every socket operation (each read's timeout is cut to the time left), so a server that drips
  one byte a second, or sends headers and then nothing, cannot stretch it.

Server-side request forgery. The address check runs in a custom httpcore network backend, at the
moment a connection is opened: it resolves the host itself, checks every resolved address with
:class:`~feedhub.addresses.AddressPolicy`, and connects to the checked IP (TLS still verifies the
certificate against the host name). Checking a URL before the request and letting the library
resolve it again would leave a window for DNS rebinding (first answer public, second 127.0.0.1);
checking the address the socket is opened to leaves none, and redirect hops open their own
connections, so every hop is checked too. Each fetch has its own client and connection pool, so a
connection opened under one source's policy is never reused by another source. Proxies from the
environment are ignored (trust_env off): through a proxy the check would see only the proxy.

Traps, written down once:
- httpx would decode Content-Encoding in whole network chunks (a 64 kB gzip chunk can inflate to
  64 MB at once), so feedhub reads ``iter_raw()`` and decodes with bounded output itself.
- httpx's read timeout is per socket read; it does not bound a whole body.
- getaddrinfo cannot be interrupted or given a timeout, so it runs in a helper thread that the
  fetch waits for only until the deadline; a hanging DNS server costs that (daemon) thread
  until the resolver's own timeout, never the build.
- httpx.HTTPTransport offers no public hook for the network backend; feedhub swaps the
  transport's ``_pool`` for an httpcore ConnectionPool built with its own backend.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import brotli
import httpcore
import httpx

from . import __version__
from .addresses import AddressPolicy
from .errors import FetchError
from .model import FetchLimits, FetchResult, Source

__all__ = [
    "USER_AGENT",
    "AddressPolicy",
    "FetchLimits",
    "Fetcher",
    "Validators",
    "backoff_delay",
    "fetch",
    "fetch_url",
    "read_file",
    "retry_after_seconds",
]

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
ACCEPT_ENCODING = "gzip, deflate, br"
DEFAULT_LIMITS = FetchLimits()
PUBLIC_ONLY = AddressPolicy()
PIECE = 64 * 1024
"""Largest piece of decoded output produced at once."""


@dataclass(frozen=True)
class Validators:
    """What the server said last time, sent back for a conditional GET."""

    etag: str = ""
    last_modified: str = ""


class Fetcher(Protocol):
    def __call__(self, source: Source, root: Path, validators: Validators) -> FetchResult: ...


def fetch(
    source: Source,
    root: Path,
    validators: Validators = Validators(),
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    """Fetch one source. Local paths are read relative to ``root`` (the config's folder)."""
    if source.is_remote:
        return fetch_url(source.id, source.location, validators, limits,
                         AddressPolicy(allow_private=source.allow_private))
    return read_file(source.id, source.location, root, limits)


def read_file(source_id: str, location: str, root: Path, limits: FetchLimits) -> FetchResult:
    """Read a local file that must lie under ``root`` once symlinks and ``..`` are resolved."""
    path = Path(location)
    if not path.is_absolute():
        path = root / path
    path = path.resolve()
    if not path.is_relative_to(root.resolve()):
        raise FetchError(source_id, f"path {location!r} is outside the config folder {root} "
                                    "(after following links); move the file under it")
    try:
        with path.open("rb") as handle:
            body = handle.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise FetchError(source_id, f"file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise FetchError(source_id, f"{path} is a folder, not a file") from exc
    except OSError as exc:
        raise FetchError(source_id, f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(body) > limits.max_bytes:
        raise FetchError(source_id, f"file {path} is over the {limits.max_bytes}-byte limit")
    return FetchResult(url=path.as_uri(), body=body)


# -- pure helpers ---------------------------------------------------------------------------


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), None if invalid."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, base: float, rand: float) -> float:
    """Wait before retry number ``retry`` (1, 2, ...): ``base * 2**(retry-1)``, jittered into
    its upper half by ``rand`` in [0, 1) so that many clients do not retry in step."""
    full = base * 2.0 ** (retry - 1)
    return full / 2 + full / 2 * rand


# -- the deadline and the guarded network backend -------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def cap(self, timeout: float | None, error: type[Exception]) -> float:
        """``timeout`` cut to the time left; raises ``error`` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise error(f"the {self.seconds:g}s deadline has passed")
        return left if timeout is None else min(timeout, left)


class _Refused(Exception):
    """The policy refused the address a host resolved to."""


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout),
                              self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


Resolver = Callable[[str, int], list[str]]
"""host, port -> the IP addresses to try, in order."""


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo): IP addresses for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _resolve_within(resolve: Resolver, host: str, port: int, deadline: _Deadline) -> list[str]:
    """``resolve`` in a daemon thread, waited for until the deadline at most. An IP address
    is its own answer: the system resolver would return it unchanged, and starting a thread
    costs about as much CPU as the rest of a conditional GET to a nearby server."""
    if resolve is resolve_host:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
    found: list[list[str]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            found.append(resolve(host, port))
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=run, name=f"feedhub-resolve-{host}", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline.remaining()))
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than the deadline")
    if failed:
        raise httpcore.ConnectError(f"cannot resolve {host}: {failed[0]}") from failed[0]
    return found[0]


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks the policy, connects to the checked IP; every socket op is capped."""

    def __init__(self, policy: AddressPolicy, deadline: _Deadline,
                 resolve: Resolver = resolve_host) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy
        self._deadline = deadline
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        allowed: list[str] = []
        refusals: list[str] = []
        for ip in _resolve_within(self._resolve, host, port, self._deadline):
            reason = self._policy.refusal(host, ip)
            if reason is None:
                if ip not in allowed:
                    allowed.append(ip)
            else:
                refusals.append(reason)
        if not allowed:
            raise _Refused(refusals[0] if refusals else f"{host} resolves to no address")
        last: Exception | None = None
        for ip in allowed:
            try:
                stream = self._inner.connect_tcp(
                    ip, port, self._deadline.cap(timeout, httpcore.ConnectTimeout),
                    local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _GuardedStream(stream, self._deadline)
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise _Refused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every fetch: loading the CA bundle costs ~10 ms of CPU, and paying
    it twice per source was most of a build's fetch time (bench/build.py, profiled)."""
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _GuardedBackend) -> None:
        super().__init__(trust_env=False, verify=_ssl_context())
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=4,
            network_backend=backend,
        )


# -- content decoding with bounded output ---------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, wbits: int, raw_fallback: bool = False) -> None:
        self._d = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self._raw_fallback:
                # "deflate" is zlib-wrapped by the RFC but raw deflate in the wild.
                try:
                    zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:64], 1)
                except zlib.error:
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        while data:
            out = self._d.decompress(data, PIECE)
            if out:
                yield out
            data = self._d.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        while True:
            out = self._d.flush(PIECE)
            if not out:
                return
            yield out


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._d.process(data, output_buffer_limit=PIECE)
        if out:
            yield out
        while not self._d.can_accept_more_data():
            out = self._d.process(b"", output_buffer_limit=PIECE)
            if not out:
                return
            yield out

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _decoder(name: str) -> _Decoder:
    if name in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if name == "br":
        return _Brotli()
    raise ValueError(name)


def _decode_chain(decoders: list[_Decoder], data: bytes | None) -> Iterator[bytes]:
    """Run ``data`` through decoders (outermost encoding first); None flushes them all."""
    if not decoders:
        if data:
            yield data
        return
    first, rest = decoders[0], decoders[1:]
    pieces = first.flush() if data is None else first.feed(data)
    for piece in pieces:
        yield from _decode_chain(rest, piece)
    if data is None and rest:
        yield from _decode_chain(rest, None)


# -- HTTP ----------------------------------------------------------------------------------


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def fetch_url(
    source_id: str,
    url: str,
    validators: Validators = Validators(),
    limits: FetchLimits = DEFAULT_LIMITS,
    policy: AddressPolicy = PUBLIC_ONLY,
    *,
    rand: Callable[[], float] = random.random,
    resolve: Resolver = resolve_host,
) -> FetchResult:
    """GET ``url`` within ``limits`` and ``policy``; see the module docstring. ``rand`` draws
    the retry jitter and ``resolve`` turns host names into addresses (both replaceable for
    tests)."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(source_id, f"only http:// and https:// URLs are fetched, not {url!r}")
    deadline = _Deadline(limits.deadline)
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    transport = _GuardedTransport(_GuardedBackend(policy, deadline, resolve))
    with httpx.Client(
        transport=transport,
        headers=headers,
        timeout=httpx.Timeout(limits.deadline, connect=limits.connect_timeout),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        trust_env=False,
    ) as client:
        attempt = 1
        while True:
            try:
                return _attempt(client, source_id, url, validators, limits, deadline)
            except _Retryable as exc:
                if attempt > limits.retries:
                    raise FetchError(source_id, f"{exc.reason} (gave up after {attempt} "
                                                "attempts)") from exc
                wait = (exc.retry_after if exc.retry_after is not None
                        else backoff_delay(attempt, limits.backoff, rand()))
                left = deadline.remaining()
                if wait >= left:
                    asked = "the server asked to wait" if exc.retry_after is not None else (
                        "the next retry is due in")
                    raise FetchError(source_id, f"{exc.reason}; {asked} {wait:g}s, past the "
                                                f"{limits.deadline:g}s deadline (attempt "
                                                f"{attempt}); the next build tries again"
                                     ) from exc
                time.sleep(wait)
                attempt += 1


def _attempt(
    client: httpx.Client,
    source_id: str,
    url: str,
    validators: Validators,
    limits: FetchLimits,
    deadline: _Deadline,
) -> FetchResult:
    try:
        with client.stream("GET", url) as response:
            status = response.status_code
            if status == 304:
                return FetchResult(url=str(response.url), status=304,
                                   headers={k.lower(): v for k, v in response.headers.items()},
                                   etag=response.headers.get("etag", validators.etag),
                                   last_modified=response.headers.get(
                                       "last-modified", validators.last_modified))
            if status == 429 or status >= 500:
                after = response.headers.get("retry-after")
                raise _Retryable(
                    f"HTTP {status} {response.reason_phrase} from {response.url}",
                    retry_after_seconds(after, datetime.now(UTC)) if after else None)
            if status >= 400:
                raise FetchError(source_id, f"HTTP {status} {response.reason_phrase} from "
                                            f"{response.url}; check the source's URL")
            if status != 200:
                raise FetchError(source_id, f"unexpected HTTP {status} from {response.url}")
            body = _read_body(response, source_id, limits, deadline)
            return FetchResult(
                url=str(response.url),
                body=body,
                headers={k.lower(): v for k, v in response.headers.items()},
                status=status,
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
    except _Refused as exc:
        raise FetchError(source_id, f"refused to connect: {exc}") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(source_id, f"more than {limits.max_redirects} redirects from {url} "
                                    "(a redirect loop?)") from exc
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(source_id, f"redirected from {url} to a URL that is not http(s): "
                                    f"{exc}") from exc
    except httpx.TimeoutException as exc:
        if deadline.remaining() <= 0:
            raise FetchError(source_id, f"{url} did not finish within the "
                                        f"{limits.deadline:g}s deadline") from exc
        raise _Retryable(f"timed out fetching {url} ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise _Retryable(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(source_id, f"cannot fetch {url}: {exc}") from exc


def _read_body(
    response: httpx.Response, source_id: str, limits: FetchLimits, deadline: _Deadline
) -> bytes:
    names = [n.strip().lower() for n in response.headers.get("content-encoding", "").split(",")]
    names = [n for n in names if n and n != "identity"]
    try:
        decoders = [_decoder(n) for n in reversed(names)]
    except ValueError as exc:
        raise FetchError(source_id, f"{response.url} sent Content-Encoding {exc}, which "
                                    "feedhub cannot decode") from exc
    too_large = FetchError(source_id, f"the response from {response.url} is larger than "
                                      f"{limits.max_bytes} bytes (after decompression); raise "
                                      "fetch.max_bytes if it is expected")
    length = response.headers.get("content-length", "")
    if not decoders and length.isdigit() and int(length) > limits.max_bytes:
        raise too_large
    body = bytearray()
    try:
        for raw in response.iter_raw():
            for piece in _decode_chain(decoders, raw):
                body += piece
                if len(body) > limits.max_bytes:
                    raise too_large
            if deadline.remaining() <= 0:
                raise FetchError(source_id, f"{response.url} did not finish within the "
                                            f"{limits.deadline:g}s deadline")
        for piece in _decode_chain(decoders, None):
            body += piece
            if len(body) > limits.max_bytes:
                raise too_large
    except (zlib.error, brotli.error) as exc:
        raise FetchError(source_id, f"the {', '.join(names)} body from {response.url} is "
                                    f"corrupt: {exc}") from exc
    return bytes(body)
