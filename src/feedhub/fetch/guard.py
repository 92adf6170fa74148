"""The guarded network backend: every connection a fetch opens is checked against server-side
request forgery, and every socket operation is cut to the fetch's deadline.

Contract: :class:`GuardedBackend` is the httpcore network backend of every pool. When a
connection is opened it resolves the host itself, checks every resolved address with
:class:`~feedhub.addresses.AddressPolicy`, and connects to a checked IP (TLS still verifies the
certificate against the host name); it raises :class:`Refused` when no address is allowed.
Checking a URL before the request and letting the library resolve it again would leave a
window for DNS rebinding (first answer public, second 127.0.0.1); checking the address the
socket is opened to leaves none, and redirect hops open their own connections, so every hop is
checked too. Proxies are never used (the environment's are ignored): through a proxy the check
would see only the proxy. Which hosts a source trusts is :mod:`feedhub.fetch.scope`'s business.

Trap: getaddrinfo cannot be interrupted or given a timeout, so it runs in a helper thread that
the fetch waits for only until the deadline; a hanging DNS server costs that (daemon) thread
until the resolver's own timeout, never the build.

Connections are opened only inside a fetch (an :class:`~feedhub.fetch.deadline.Attempt` under
way on the thread); this module keeps no pools and sends no requests.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpcore

from ..addresses import AddressPolicy
from .deadline import Attempt, Deadline, current_attempt

__all__ = ["GuardedBackend", "Refused", "Resolver", "resolve_host"]

Resolver = Callable[[str, int], list[str]]
"""host, port -> the IP addresses to try, in order."""


class Refused(Exception):
    """The policy refused the address a host resolved to."""


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo): IP addresses for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _resolve_within(resolve: Resolver, host: str, port: int, deadline: Deadline) -> list[str]:
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


class _GuardedStream(httpcore.NetworkStream):
    """A socket whose every operation is cut to the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, opened_by: Attempt | None) -> None:
        self._inner = inner
        self._opened_by = opened_by

    def _cap(self, timeout: float | None, error: type[Exception]) -> float | None:
        attempt = current_attempt()
        if attempt is None:  # not inside fetch_url: only closing happens there
            return timeout
        return attempt.deadline.cap(timeout, error)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        attempt = current_attempt()
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


class GuardedBackend(httpcore.NetworkBackend):
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
        attempt = current_attempt()
        if attempt is None:
            raise Refused("connections are opened only inside fetch_url")
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
            raise Refused(refusals[0] if refusals else f"{host} resolves to no address")
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
        raise Refused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
