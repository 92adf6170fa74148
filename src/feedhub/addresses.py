"""Which network addresses a source may reach: the server-side request forgery (SSRF) policy.

Contract: :meth:`AddressPolicy.refusal` is a pure function of a host name and one resolved IP
address; it returns why the pair is refused, or ``None`` when it may be connected to. fetch
calls it for the resolved address of every connection it opens, redirects included.

By default only public unicast addresses are allowed. Refused: loopback (127/8, ::1), private
(10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 where cloud metadata lives,
fe80::/10), carrier-grade NAT (100.64/10), multicast, unspecified, broadcast, documentation and
benchmark ranges, reserved (240/4), and IPv6 forms that embed one of those (IPv4-mapped
``::ffff:a.b.c.d``, 6to4, Teredo, NAT64).

A source opens that door for named hosts only (:func:`source_policy`): ``allow_private: true``
for the host its own URL names, ``allow_hosts`` for further ones. Those hosts may resolve to any
address; a redirect or a next-page link to any other host is checked as above, so an intranet
source cannot be bounced to 169.254.169.254 or to another machine on the intranet.

Standard library only; no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_EXTRA_V4_REFUSED = (
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _why_not_public(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address, or None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _why_not_public(embedded)
            return f"{inner} (embedded in IPv6 {ip})" if inner else None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in n for n in _EXTRA_V4_REFUSED):
        return "a shared or protocol address (not public)"
    if ip.is_private:
        return "a private-network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a public address"
    return None


def normal_host(host: str) -> str:
    """``host`` as the policy compares it: lower case, no IPv6 brackets, no trailing dot."""
    return host.removeprefix("[").removesuffix("]").lower().rstrip(".")


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses a fetch may connect to."""

    allow_private: bool = False
    """Allow every address. No source setting gives this (a source's ``allow_private`` trusts
    its own host only, see :func:`source_policy`); tests and benchmarks on 127.0.0.1 use it."""
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)
    """Hosts (as :func:`normal_host` writes them) allowed whatever they resolve to; every other
    host is checked."""

    def refusal(self, host: str, ip: str) -> str | None:
        """Why connecting to ``ip`` (resolved from ``host``) is refused, or None if allowed."""
        if self.allow_private or normal_host(host) in self.trusted_hosts:
            return None
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return f"{ip!r} is not an IP address"
        reason = _why_not_public(address)
        if reason is None:
            return None
        return (f"{host} resolves to {address}, {reason}; feedhub refuses it unless the source "
                f"sets allow_private: true (for the host of its own url) or lists {host} in its "
                "allow_hosts")


def source_policy(own_host: str, allow_private: bool, allow_hosts: Iterable[str]
                  ) -> AddressPolicy:
    """The policy of a source whose URL names ``own_host``: that host may be private when
    ``allow_private``, and so may every host in ``allow_hosts``; any other host must resolve
    to public addresses only."""
    trusted = {normal_host(h) for h in allow_hosts}
    if allow_private:
        trusted.add(normal_host(own_host))
    return AddressPolicy(trusted_hosts=frozenset(trusted))
