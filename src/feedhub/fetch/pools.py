"""Kept-alive connections shared between fetches: one httpcore pool per (policy, resolver,
limits), opened through the guarded backend.

Contract: :func:`pool_for` lends the pool of a fetch's policy, resolver and limits for the
length of the fetch; :func:`close_pools` closes them all. Fetches share connections
(organisations publish many feeds on one host, and a new connection costs a TCP and TLS
handshake), but a connection is only reused by a fetch whose policy and resolver would have
allowed the very address it was opened to: one opened to a private host a source trusts
(``allow_private``, ``allow_hosts``) never serves a source that does not trust it. Each fetch
still has its own deadline on a reused connection (see :mod:`feedhub.fetch.deadline`).

Bounds: ``MAX_CONNECTIONS`` per pool, ``MAX_IDLE`` idle per pool and ``MAX_IDLE_PER_HOST`` idle
per host; an idle connection lives ``KEEPALIVE_EXPIRY`` seconds (a daemon thread closes unused
pools; everything closes at exit, and a forked child starts with none).

Trap: feedhub bounds idle connections per host by overriding the httpcore pool's private
``_assign_requests_to_connections`` (httpcore 1.x; tests/test_fetch_pool.py fails if that hook
changes).

This module sends no requests and checks no addresses (that is the backend's job).
"""

from __future__ import annotations

import atexit
import functools
import os
import ssl
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import certifi
import httpcore

from ..addresses import AddressPolicy
from ..model import FetchLimits
from .guard import GuardedBackend, Resolver

__all__ = [
    "KEEPALIVE_EXPIRY",
    "MAX_CONNECTIONS",
    "MAX_IDLE",
    "MAX_IDLE_PER_HOST",
    "MAX_IDLE_POOLS",
    "Pool",
    "close_pools",
    "pool_for",
]

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


class Pool(httpcore.ConnectionPool):
    """httpcore's pool, also keeping at most ``MAX_IDLE_PER_HOST`` idle connections per host
    (httpcore bounds idle connections only in total)."""

    def __init__(self, backend: GuardedBackend, expiry: float) -> None:
        # The TLS context is made by the first https connection: a build whose sources are all
        # plain http never loads the CA bundle (tests/test_fetch_tls.py).
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
    pool: Pool
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
    def use(self, key: _Key) -> Iterator[Pool]:
        closing: list[_Shared] = []
        with self._lock:
            shared = self._by_key.get(key)
            if shared is None:
                shared = self._by_key[key] = _Shared(
                    Pool(GuardedBackend(key[0], key[1]), KEEPALIVE_EXPIRY), KEEPALIVE_EXPIRY)
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


def pool_for(policy: AddressPolicy, resolve: Resolver,
             limits: FetchLimits) -> AbstractContextManager[Pool]:
    """The shared pool of fetches under ``policy``, ``resolve`` and ``limits``, lent for the
    length of one fetch (``with pool_for(...) as pool:``)."""
    return _pools.use((policy, resolve, limits))


def close_pools() -> None:
    """Close every kept-alive connection (a fetch under way keeps its own until it ends).
    Nothing needs to call it: idle connections close after ``KEEPALIVE_EXPIRY`` seconds and
    at exit. Tests and benchmarks use it to start from no connections."""
    _pools.close()
