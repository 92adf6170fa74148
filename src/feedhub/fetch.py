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
  If-None-Match / If-Modified-Since from the last successful fetch; a 304 returns no body (a
  304 to a request that sent neither is an error: nothing was asked to be unchanged);
- decodes gzip/deflate/br itself, in bounded pieces, counting the size *after* decompression,
  so a gzip bomb stops at the cap instead of filling memory;
- retries timeouts, dropped connections, 5xx and 429 with exponential backoff and jitter,
  honouring Retry-After (seconds or HTTP-date), but never past the deadline: a wait that would
  end after it fails at once with a message that says so, and the FetchError carries the
  Retry-After (``retry_after``, at most ``MAX_RETRY_AFTER``) for the store, which keeps the
  source from being asked again before it;
- one deadline covers the whole fetch (connects, redirects, body, retries). It is enforced on
  every socket operation (each read's timeout is cut to the time left), so a server that drips
  one byte a second, or sends headers and then nothing, cannot stretch it.

Server-side request forgery. The address check runs in a custom httpcore network backend, at the
moment a connection is opened: it resolves the host itself, checks every resolved address with
:class:`~feedhub.addresses.AddressPolicy`, and connects to the checked IP (TLS still verifies the
certificate against the host name). Checking a URL before the request and letting the library
resolve it again would leave a window for DNS rebinding (first answer public, second 127.0.0.1);
checking the address the socket is opened to leaves none, and redirect hops open their own
connections, so every hop is checked too. Proxies are never used (the environment's are
ignored): through a proxy the check would see only the proxy. A source's ``allow_private``
trusts the host of its own URL only (:func:`policy_for`); a hop or a next page
(:func:`page_source`) to another private host is refused unless ``allow_hosts`` names it.

Kept-alive connections. Fetches share connections (organisations publish many feeds on one host,
and a new connection costs a TCP and TLS handshake): one httpcore pool per (policy, resolver,
limits), so a connection is only reused by a fetch whose policy and resolver would have allowed
the very address it was opened to; one opened to a private host a source trusts
(``allow_private``, ``allow_hosts``) never serves a source that does not trust it. Each fetch
still has its own deadline on a reused connection: the socket reads the deadline of the fetch
running on the current thread (a fetch runs on one thread from start to end). Bounds:
``MAX_CONNECTIONS`` per pool, ``MAX_IDLE`` idle per pool and ``MAX_IDLE_PER_HOST`` idle per
host; an idle connection lives ``KEEPALIVE_EXPIRY`` seconds (a daemon thread closes unused
pools, and everything closes at exit). A request that went out on a
kept-alive connection the server had just closed, and got no answer, is sent again at once on
another connection without counting as a retry. Cookies stay within one fetch (its redirects).

Requests go straight to the httpcore pool; feedhub follows redirects itself (as httpx does:
relative Locations joined, the fragment kept, cookies carried between hops) and uses httpx only
for URLs and cookies. On a kept-alive connection httpx.Client's request machinery was half of a
conditional GET's CPU (bench/fetch.py). httpx is imported only when a fetch needs it: for a
URL not already in the form httpx would give it (see :func:`_plain_url`), a redirect or a
cookie. Importing it (with the http.cookiejar, urllib.request, email and click modules it
brings) was ~28 ms of a build process's start, a tenth of a warm 250-source build.

Traps, written down once:
- httpx would decode Content-Encoding in whole network chunks (a 64 kB gzip chunk can inflate to
  64 MB at once); feedhub reads httpcore's raw stream and decodes with bounded output itself.
- httpcore's read timeout is per socket read; it does not bound a whole body.
- getaddrinfo cannot be interrupted or given a timeout, so it runs in a helper thread that the
  fetch waits for only until the deadline; a hanging DNS server costs that (daemon) thread
  until the resolver's own timeout, never the build.
- feedhub bounds idle connections per host by overriding the httpcore pool's private
  ``_assign_requests_to_connections`` (httpcore 1.x; tests/test_fetch_pool.py fails if that
  hook changes).
- A response that is not read to its end closes its connection instead of returning it to the
  pool: a 304 and a redirect are read (a redirect's body up to 64 kB) so that their
  connections are kept.
"""

from __future__ import annotations

import atexit
import functools
import ipaddress
import os
import random
import re
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import brotli
import certifi
import httpcore

from . import __version__
from .addresses import AddressPolicy, source_policy
from .errors import FetchError
from .model import FetchLimits, FetchResult, Source

if TYPE_CHECKING:
    import httpx

__all__ = [
    "USER_AGENT",
    "AddressPolicy",
    "FetchLimits",
    "Fetcher",
    "Validators",
    "backoff_delay",
    "close_pools",
    "fetch",
    "fetch_url",
    "page_source",
    "policy_for",
    "read_file",
    "retry_after_seconds",
]

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
ACCEPT_ENCODING = "gzip, deflate, br"
STATIC_HEADERS = ((b"User-Agent", USER_AGENT.encode()), (b"Accept", ACCEPT.encode()),
                  (b"Accept-Encoding", ACCEPT_ENCODING.encode()))
"""Sent with every request, after Host; the validators are added per request."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_LIMITS = FetchLimits()
PUBLIC_ONLY = AddressPolicy()
PIECE = 64 * 1024
"""Largest piece of decoded output produced at once."""
MAX_RETRY_AFTER = timedelta(days=1)
"""The longest Retry-After kept between builds: a server asking for more (a week, a date next
year) is asked again after a day, so that a wrong header cannot switch a source off."""


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
        return fetch_url(source.id, source.location, validators, limits, policy_for(source))
    return read_file(source.id, source.location, root, limits)


def policy_for(source: Source) -> AddressPolicy:
    """The addresses a remote source may reach: public ones, and any address of the host its
    URL names (with ``allow_private``) or of a host in its ``allow_hosts``."""
    if not source.allow_private and not source.allow_hosts:
        return PUBLIC_ONLY
    return _source_policy(source.id, source.location, source.allow_private, source.allow_hosts)


@functools.lru_cache(maxsize=1024)
def _source_policy(source_id: str, url: str, allow_private: bool,
                   allow_hosts: tuple[str, ...]) -> AddressPolicy:
    # The host as the connection will name it (parsed as the request's URL is), so that
    # "Intranet.Example", "[::1]" or an IDNA name compare equal to what the check is given.
    own = _parse_url(source_id, url).host.decode("ascii") if allow_private else ""
    return source_policy(own, allow_private, allow_hosts)


def page_source(source: Source, url: str) -> Source:
    """The source as its further page at ``url`` is fetched: same limits and checks, and the
    private hosts of the source itself. ``allow_private`` trusts the host of the source's own
    URL, not whatever host a next-page link names, so it is handed on as that host in
    ``allow_hosts``."""
    page = replace(source, location=url)
    if not (source.allow_private and source.is_remote):
        return page
    own = _parse_url(source.id, source.location).host.decode("ascii")
    return replace(page, allow_private=False, allow_hosts=(*source.allow_hosts, own))


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
    import email.utils  # here: ~7 ms of every start, for a rare answer

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


class _Attempt:
    """One attempt of the fetch running on this thread: its deadline (the whole fetch's), and
    whether the request it sent last went out on a connection an earlier attempt opened."""

    __slots__ = ("deadline", "reused")

    def __init__(self, deadline: _Deadline) -> None:
        self.deadline = deadline
        self.reused = False


_current = threading.local()
"""``attempt``: the :class:`_Attempt` under way on this thread. A fetch runs on one thread from
start to end (schedule.fetch_all gives each its own worker), so a pooled connection reads the
deadline of whichever fetch is using it now, never that of the fetch that opened it."""


def _current_attempt() -> _Attempt | None:
    attempt: _Attempt | None = getattr(_current, "attempt", None)
    return attempt


class _Refused(Exception):
    """The policy refused the address a host resolved to."""


class _GuardedStream(httpcore.NetworkStream):
    """A socket whose every operation is cut to the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, opened_by: _Attempt | None) -> None:
        self._inner = inner
        self._opened_by = opened_by

    def _cap(self, timeout: float | None, error: type[Exception]) -> float | None:
        attempt = _current_attempt()
        if attempt is None:  # not inside fetch_url: only closing happens there
            return timeout
        return attempt.deadline.cap(timeout, error)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        attempt = _current_attempt()
        if attempt is not None:
            # A request starts with a write: remember whether it went out on a kept-alive
            # connection, which the server may have closed while it sat idle.
            attempt.reused = self._opened_by is not attempt
        self._inner.write(buffer, self._cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._cap(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout),
                              self._opened_by)

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
    """Resolves, checks the policy, connects to the checked IP; every socket op is capped by
    the deadline of the fetch running on the calling thread."""

    def __init__(self, policy: AddressPolicy, resolve: Resolver = resolve_host) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        attempt = _current_attempt()
        if attempt is None:
            raise _Refused("connections are opened only inside fetch_url")
        deadline = attempt.deadline
        allowed: list[str] = []
        refusals: list[str] = []
        for ip in _resolve_within(self._resolve, host, port, deadline):
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
                    ip, port, deadline.cap(timeout, httpcore.ConnectTimeout),
                    local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _GuardedStream(stream, attempt)
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
    it twice per source was most of a build's fetch time (bench/build.py, profiled). The
    context httpx makes by default: the CA file or folder named by SSL_CERT_FILE or
    SSL_CERT_DIR, else certifi's bundle."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


# -- shared connections -----------------------------------------------------------------

KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept for the next fetch from its host."""
MAX_CONNECTIONS = 64
"""Connections (busy and idle) in one pool, fetch.concurrency's maximum; a fetch past it waits
for one, within its deadline."""
MAX_IDLE = 16
"""Idle connections kept in one pool, all hosts together."""
MAX_IDLE_PER_HOST = 8
"""Idle connections kept to one host (scheme, host, port) in one pool."""
MAX_IDLE_POOLS = 8
"""Unused pools (one per policy, resolver and limits) kept before the oldest is closed."""


class _Pool(httpcore.ConnectionPool):
    """httpcore's pool, also keeping at most ``MAX_IDLE_PER_HOST`` idle connections per host
    (httpcore bounds idle connections only in total)."""

    def __init__(self, backend: _GuardedBackend, expiry: float) -> None:
        # No TLS context yet: the first https connection makes it (loading the CA bundle is
        # ~20 ms, a tenth of a warm build's start when every source is plain http).
        super().__init__(ssl_context=None, max_connections=MAX_CONNECTIONS,
                         max_keepalive_connections=MAX_IDLE, keepalive_expiry=expiry,
                         network_backend=backend)
        self._origins: weakref.WeakKeyDictionary[Any, tuple[bytes, bytes, int]] = (
            weakref.WeakKeyDictionary())

    def create_connection(self, origin: httpcore.Origin) -> Any:
        if origin.scheme == b"https" and self._ssl_context is None:
            self._ssl_context = _ssl_context()
        connection = super().create_connection(origin)
        self._origins[connection] = (origin.scheme, origin.host, origin.port)
        return connection

    def _assign_requests_to_connections(self) -> list[Any]:
        # Runs under the pool's lock whenever a request arrives or a response is closed:
        # surplus idle connections go first, before requests are given connections. With no
        # more connections than one host may keep idle, no host has a surplus (twice a fetch).
        if len(self._connections) <= MAX_IDLE_PER_HOST:
            assigned: list[Any] = super()._assign_requests_to_connections()
            return assigned
        closing: list[Any] = []
        idle: Counter[tuple[bytes, bytes, int] | None] = Counter()
        for connection in list(self._connections):
            if connection.is_idle() and not connection.is_closed():
                origin = self._origins.get(connection)
                idle[origin] += 1
                if idle[origin] > MAX_IDLE_PER_HOST:
                    self._connections.remove(connection)
                    closing.append(connection)
        closed: list[Any] = super()._assign_requests_to_connections()
        return closing + closed


@dataclass(eq=False)
class _Shared:
    pool: _Pool
    expiry: float
    users: int = 0
    last_used: float = 0.0
    retired: bool = False
    """Out of the registry (close_pools, eviction): closed when its last user is done."""


_Key = tuple[AddressPolicy, Resolver, FetchLimits]


class _Pools:
    """The shared connection pools, one per (policy, resolver, limits): a connection is only
    ever reused by a fetch under the policy and resolver that checked its address when it was
    opened. Thread-safe. A daemon thread closes pools nobody used for ``KEEPALIVE_EXPIRY``
    seconds (with their connections), so idle sockets do not outlive a build by more than
    that."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._by_key: dict[_Key, _Shared] = {}
        self._reaper: threading.Thread | None = None

    @contextmanager
    def use(self, key: _Key) -> Iterator[_Pool]:
        closing: list[_Shared] = []
        with self._lock:
            shared = self._by_key.get(key)
            if shared is None:
                shared = self._by_key[key] = _Shared(
                    _Pool(_GuardedBackend(key[0], key[1]), KEEPALIVE_EXPIRY), KEEPALIVE_EXPIRY)
                shared.users += 1  # not evicted as the oldest unused one
                closing = self._evict()
                shared.users -= 1
                if self._reaper is None:
                    self._reaper = threading.Thread(target=self._reap, daemon=True,
                                                    name="feedhub-fetch-reaper")
                    self._reaper.start()
                else:
                    self._wake.notify()  # its expiry may be shorter than the reaper's wait
            shared.users += 1
        for old in closing:
            old.pool.close()
        try:
            yield shared.pool
        finally:
            with self._lock:
                shared.users -= 1
                shared.last_used = time.monotonic()
                done = shared.retired and shared.users == 0
                # The reaper is not woken: it sleeps at most KEEPALIVE_EXPIRY at a time, so it
                # sees this pool before it is due (waking it per fetch cost a thread switch).
            if done:
                shared.pool.close()

    def _evict(self) -> list[_Shared]:
        """Unused pools past ``MAX_IDLE_POOLS``, oldest first, out of the registry."""
        unused = sorted(((s.last_used, k) for k, s in self._by_key.items() if s.users == 0),
                        key=lambda pair: pair[0])
        out = []
        for _, key in unused[:max(0, len(unused) - MAX_IDLE_POOLS)]:
            out.append(self._by_key.pop(key))
        return out

    def _reap(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                expired = [k for k, s in self._by_key.items()
                           if s.users == 0 and now - s.last_used >= s.expiry]
                closing = [self._by_key.pop(k) for k in expired]
                if not self._by_key and not closing:
                    self._reaper = None
                    return
                dues = [s.last_used + s.expiry - now for s in self._by_key.values()
                        if s.users == 0]
                wait = min(dues, default=KEEPALIVE_EXPIRY)
                if not closing:
                    self._wake.wait(max(0.01, wait))
            for shared in closing:
                shared.pool.close()

    def close(self) -> None:
        """Close every pool now; one in use is closed when its last fetch ends."""
        with self._lock:
            everything = list(self._by_key.values())
            self._by_key.clear()
            idle = [s for s in everything if s.users == 0]
            for shared in everything:
                shared.retired = True
            self._wake.notify()
        for shared in idle:
            shared.pool.close()

    def forget(self) -> None:
        """In a forked child: start afresh without touching the parent's sockets or locks."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._by_key = {}
        self._reaper = None


_pools = _Pools()
atexit.register(_pools.close)
os.register_at_fork(after_in_child=_pools.forget)


def close_pools() -> None:
    """Close every kept-alive connection (a fetch under way keeps its own until it ends).
    Nothing needs to call it: idle connections close after ``KEEPALIVE_EXPIRY`` seconds and
    at exit. Tests and benchmarks use it to start from no connections."""
    _pools.close()


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


class _Url(NamedTuple):
    """A URL as a request needs it, each part as httpx.URL normalises it."""

    text: str
    """``str(httpx.URL(...))``: what FetchResult.url and messages show."""
    scheme: bytes
    host: bytes
    """Lower-cased and IDNA-encoded; an IPv6 address without its brackets."""
    port: int | None
    """None for the scheme's default port."""
    target: bytes
    """Path and query, as sent in the request line."""
    netloc: bytes
    """The Host header: host, and port unless it is the default."""


_PLAIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)(?P<query>\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 65536
"""httpx's limit: a longer URL is invalid."""


def _plain_url(url: str) -> _Url | None:
    """``url`` parsed without httpx when httpx would leave it exactly as it is (the common
    case: lower-case scheme and host, a path, no dot segments, no fragment, no character it
    would escape, no default port); None for any other URL, which httpx parses.
    tests/test_fetch_urls.py checks every URL this accepts against httpx.URL."""
    found = _PLAIN.fullmatch(url)
    if found is None or len(url) > MAX_URL_LENGTH or _DOT_SEGMENT.search(found["path"]):
        return None
    scheme, host, port = found["scheme"], found["host"], found["port"]
    if _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    number = int(port) if port else None
    if number == _DEFAULT_PORTS[scheme]:
        return None
    netloc = f"{host}:{port}" if port else host
    return _Url(url, scheme.encode(), host.encode(), number,
                (found["path"] + (found["query"] or "")).encode(), netloc.encode())


def _from_httpx(url: httpx.URL) -> _Url:
    return _Url(str(url), url.raw_scheme, url.raw_host, url.port, url.raw_path, url.netloc)


def _parse_url(source_id: str, url: str) -> _Url:
    plain = _plain_url(url)
    if plain is not None:
        return plain
    import httpx  # see the module docstring: most URLs never need it

    try:
        return _from_httpx(httpx.URL(url))
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{url!r} is not a valid URL: {exc}") from exc


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
    start = _parse_url(source_id, url)
    deadline = _Deadline(limits.deadline)
    headers = list(STATIC_HEADERS)
    if validators.etag:
        headers.append((b"If-None-Match", validators.etag.encode("latin-1", "replace")))
    if validators.last_modified:
        headers.append((b"If-Modified-Since",
                        validators.last_modified.encode("latin-1", "replace")))
    outer = _current_attempt()
    try:
        with _pools.use((policy, resolve, limits)) as pool:
            attempt = 1
            stale = 0
            while True:
                _current.attempt = _Attempt(deadline)
                try:
                    return _attempt(pool, source_id, start, headers, validators, limits,
                                    deadline)
                except _Stale as exc:
                    # The server closed a kept-alive connection as the request went out: that
                    # is no fault of the source, so try again at once on another connection.
                    stale += 1
                    if stale > MAX_IDLE_PER_HOST:
                        raise FetchError(source_id, f"{exc.reason} (on {stale} kept-alive "
                                                    "connections in a row)") from exc
                except _Retryable as exc:
                    asked = _asked_to_wait(exc.retry_after)
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
        _current.attempt = outer


def _asked_to_wait(seconds: float | None) -> timedelta | None:
    """A server's Retry-After as the wait the store keeps (at most ``MAX_RETRY_AFTER``)."""
    if seconds is None:
        return None
    return min(timedelta(seconds=seconds), MAX_RETRY_AFTER)


def _gave_up(exc: _Retryable, wait: float, attempt: int, limits: FetchLimits) -> str:
    """Why a fetch stops retrying: its next try would come after the deadline."""
    if exc.retry_after is None:
        return (f"{exc.reason}; the next retry is due in {wait:g}s, past the "
                f"{limits.deadline:g}s deadline (attempt {attempt}); the next build tries again")
    return (f"{exc.reason}; the server asked to wait {wait:g}s, past the {limits.deadline:g}s "
            f"deadline (attempt {attempt}); it is not asked again before then (a day at most)")


def _attempt(
    pool: _Pool,
    source_id: str,
    start: _Url,
    headers: list[tuple[bytes, bytes]],
    validators: Validators,
    limits: FetchLimits,
    deadline: _Deadline,
) -> FetchResult:
    """One GET of ``start``, following redirects, on the shared pool. httpx's Client is not
    used for the request: on a kept-alive connection its request and cookie handling were half
    of a conditional GET's CPU. httpx.URL still joins URLs as before."""
    url = start.text
    answered = False
    try:
        target = start
        cookies: httpx.Cookies | None = None
        hops = 0
        while True:
            answered = False
            response = _send(pool, target, headers, cookies, limits, deadline)
            answered = True
            try:
                status = response.status
                found = _header_text(response.headers)
                here = target.text
                if status in REDIRECTS and "location" in found:
                    hops += 1
                    if hops > limits.max_redirects:
                        raise FetchError(source_id, f"more than {limits.max_redirects} "
                                                    f"redirects from {url} (a redirect loop?)")
                    if "set-cookie" in found:
                        # Cookies live for one fetch: a hop may set one the next hop needs.
                        cookies = _keep_cookies(cookies, response, target)
                    target = _redirect_target(source_id, url, target, found["location"])
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
                if status >= 400:
                    raise FetchError(source_id, f"HTTP {status} {reason} from {here}; check "
                                                "the source's URL")
                if status != 200:
                    raise FetchError(source_id, f"unexpected HTTP {status} from {here}")
                body = _read_body(response, found, here, source_id, limits, deadline)
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
    except _Refused as exc:
        raise FetchError(source_id, f"refused to connect: {exc}") from exc
    except httpcore.TimeoutException as exc:
        if deadline.remaining() <= 0:
            raise FetchError(source_id, f"{url} did not finish within the "
                                        f"{limits.deadline:g}s deadline") from exc
        raise _Retryable(f"timed out fetching {url} ({type(exc).__name__})") from exc
    except (httpcore.NetworkError, httpcore.RemoteProtocolError) as exc:
        attempt = _current_attempt()
        if not answered and attempt is not None and attempt.reused:
            raise _Stale(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
        raise _Retryable(f"cannot fetch {url}: {exc or type(exc).__name__}") from exc
    except (httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise FetchError(source_id, f"cannot fetch {url}: {exc}") from exc


def _keep_cookies(cookies: httpx.Cookies | None, response: httpcore.Response,
                  target: _Url) -> httpx.Cookies:
    """``cookies`` with those ``response`` (to a GET of ``target``) sets."""
    import httpx

    cookies = cookies or httpx.Cookies()
    cookies.extract_cookies(httpx.Response(response.status, headers=response.headers,
                                           request=httpx.Request("GET", target.text)))
    return cookies


def _header_text(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
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
    pool: _Pool,
    target: _Url,
    headers: list[tuple[bytes, bytes]],
    cookies: httpx.Cookies | None,
    limits: FetchLimits,
    deadline: _Deadline,
) -> httpcore.Response:
    """Send one GET; the response's headers are in, its body is still to be read."""
    sent = [(b"Host", target.netloc), *headers]
    if cookies:
        import httpx

        probe = httpx.Request("GET", target.text)
        cookies.set_cookie_header(probe)
        if "cookie" in probe.headers:
            sent.append((b"Cookie", probe.headers["cookie"].encode("latin-1")))
    request = httpcore.Request(
        b"GET",
        httpcore.URL(scheme=target.scheme, host=target.host, port=target.port,
                     target=target.target),
        headers=sent,
        # Each socket operation is also cut to the deadline; the pool wait is the one wait
        # no socket operation caps, so it gets the time left.
        extensions={"timeout": {"connect": limits.connect_timeout, "read": limits.deadline,
                                "write": limits.deadline,
                                "pool": max(0.0, deadline.remaining())}},
    )
    return pool.handle_request(request)


def _redirect_target(source_id: str, url: str, came_from: _Url, location: str) -> _Url:
    """Where a redirect from ``came_from`` goes, resolved as browsers (and httpx) do."""
    import httpx

    here = httpx.URL(came_from.text)
    try:
        there = httpx.URL(location)
        if there.scheme and not there.host:  # "http:/path": absolute form, no host
            there = there.copy_with(host=here.host)
        if there.is_relative_url:
            there = here.join(there)
    except httpx.InvalidURL as exc:
        raise FetchError(source_id, f"{here} redirected to an invalid URL {location!r}: "
                                    f"{exc}") from exc
    if here.fragment and not there.fragment:
        there = there.copy_with(fragment=here.fragment)
    if there.scheme not in ("http", "https"):
        raise FetchError(source_id, f"redirected from {url} to a URL that is not http(s): "
                                    f"{str(there)!r}")
    return _from_httpx(there)


def _read_body(
    response: httpcore.Response, found: Mapping[str, str], here: str, source_id: str,
    limits: FetchLimits, deadline: _Deadline,
) -> bytes:
    names = [n.strip().lower() for n in found.get("content-encoding", "").split(",")]
    names = [n for n in names if n and n != "identity"]
    try:
        decoders = [_decoder(n) for n in reversed(names)]
    except ValueError as exc:
        raise FetchError(source_id, f"{here} sent Content-Encoding {exc}, which "
                                    "feedhub cannot decode") from exc
    too_large = FetchError(source_id, f"the response from {here} is larger than "
                                      f"{limits.max_bytes} bytes (after decompression); raise "
                                      "fetch.max_bytes if it is expected")
    length = found.get("content-length", "")
    if not decoders and length.isdigit() and int(length) > limits.max_bytes:
        raise too_large
    body = bytearray()
    try:
        for raw in response.iter_stream():
            for piece in _decode_chain(decoders, raw):
                body += piece
                if len(body) > limits.max_bytes:
                    raise too_large
            if deadline.remaining() <= 0:
                raise FetchError(source_id, f"{here} did not finish within the "
                                            f"{limits.deadline:g}s deadline")
        for piece in _decode_chain(decoders, None):
            body += piece
            if len(body) > limits.max_bytes:
                raise too_large
    except (zlib.error, brotli.error) as exc:
        raise FetchError(source_id, f"the {', '.join(names)} body from {here} is "
                                    f"corrupt: {exc}") from exc
    return bytes(body)
