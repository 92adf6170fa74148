"""Which hosts a source's fetches may reach at private addresses: its policy, and the source
as its further pages are fetched.

Contract: :func:`policy_for` gives the :class:`~feedhub.addresses.AddressPolicy` a remote
source is fetched under: public addresses only, unless the source trusts hosts. A source's
``allow_private`` trusts the host of its own URL only; ``allow_hosts`` names further ones. A
redirect hop or a next page (:func:`page_source`) to another private host is refused unless
``allow_hosts`` names it, so an intranet source cannot be bounced to 169.254.169.254 or to
another machine on the intranet.

Pure: it decides, it does not resolve or connect (the check itself runs in
:mod:`feedhub.fetch.guard`, when a connection is opened).
"""

from __future__ import annotations

import functools
from dataclasses import replace

from ..addresses import AddressPolicy, source_policy
from ..model import Source
from .urls import parse_url

__all__ = ["PUBLIC_ONLY", "page_source", "policy_for"]

PUBLIC_ONLY = AddressPolicy()
"""The policy of a source that trusts no host: public addresses only."""


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
    own = parse_url(source_id, url).host.decode("ascii") if allow_private else ""
    return source_policy(own, allow_private, allow_hosts)


def page_source(source: Source, url: str) -> Source:
    """The source as its further page at ``url`` is fetched: same limits and checks, and the
    private hosts of the source itself. ``allow_private`` trusts the host of the source's own
    URL, not whatever host a next-page link names, so it is handed on as that host in
    ``allow_hosts``. The source's own ``headers`` go only to its own host, as on redirects."""
    page = replace(source, location=url)
    if source.headers and source.is_remote and not _same_site(source, url):
        page = replace(page, headers=())
    if not source.allow_private:
        return page
    if not source.is_remote:
        # A path has no host to trust: an http(s) page it links to (an article of a
        # full_text source) is public unless allow_hosts names its host.
        return replace(page, allow_private=False)
    own = parse_url(source.id, source.location).host.decode("ascii")
    return replace(page, allow_private=False, allow_hosts=(*source.allow_hosts, own))


def _same_site(source: Source, url: str) -> bool:
    """Whether ``url`` is on the host of the source's own URL, and not http after https."""
    if not url.lower().startswith(("http://", "https://")):
        return False
    own, other = parse_url(source.id, source.location), parse_url(source.id, url)
    return own.host == other.host and not (own.scheme == b"https" and other.scheme == b"http")
