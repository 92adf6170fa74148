"""Retrieve a source's bytes: HTTP(S) with limits, retries and conditional GET, or a local file.

Contract: ``fetch(source, root, validators, limits)`` returns a :class:`FetchResult` or raises
:class:`FetchError`, always within ``limits.deadline`` seconds (plus DNS time) and holding at
most ``limits.max_bytes`` (+ one 64 kB piece) of body in memory. It never parses what it
fetched. Every httpx/httpcore/zlib/brotli error is wrapped inside this package; it is the only
one that imports httpx, httpcore or brotli.

This module is the face: :func:`fetch` and the names other stages use. One concept a module:

- ``http``: one GET (headers, conditional GET, redirects, retries, the attempt);
- ``exchange``: one request as a rendered page makes it (any method, no redirect followed);
- ``urls``: URL parsing and redirect Locations, as httpx.URL does them;
- ``decode``: the body, decoded (gzip, deflate, br) in bounded pieces within the cap;
- ``retry``: backoff and Retry-After;
- ``scope``: which hosts a source may reach at private addresses;
- ``robots``: whether the site's robots.txt lets feedhub fetch a URL;
- ``pacing``: the least time between two requests to one host;
- ``guard``: the network backend that checks every address it connects to (SSRF);
- ``pools``: the kept-alive connection pools shared between fetches;
- ``deadline``: the one deadline of a fetch, obeyed by every socket operation;
- ``files``: ``path:`` sources read from the config's folder.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from ..addresses import AddressPolicy
from ..model import FetchLimits, FetchResult, Source
from .deadline import Deadline
from .decode import TooLarge
from .exchange import AddressRefused, Exchange, exchange
from .files import read_file
from .http import DEFAULT_LIMITS, NO_VALIDATORS, USER_AGENT, Validators, fetch_url
from .pacing import forget_turns
from .pools import close_pools
from .retry import MAX_RETRY_AFTER, backoff_delay, retry_after_seconds
from .robots import forget_robots, robots_check
from .scope import page_source, policy_for

__all__ = [
    "MAX_RETRY_AFTER",
    "USER_AGENT",
    "AddressPolicy",
    "AddressRefused",
    "Deadline",
    "Exchange",
    "FetchLimits",
    "Fetcher",
    "TooLarge",
    "Validators",
    "backoff_delay",
    "close_pools",
    "exchange",
    "fetch",
    "fetch_url",
    "forget_robots",
    "forget_turns",
    "page_source",
    "policy_for",
    "read_file",
    "retry_after_seconds",
]


class Fetcher(Protocol):
    def __call__(self, source: Source, root: Path, validators: Validators) -> FetchResult: ...


def fetch(
    source: Source,
    root: Path,
    validators: Validators = NO_VALIDATORS,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    """Fetch one source. Local paths are read relative to ``root`` (the config's folder); a
    URL only where its site's robots.txt allows it, unless the source ``ignore_robots``."""
    if not source.is_remote:
        return read_file(source.id, source.location, root, limits)
    policy = policy_for(source)
    warnings: tuple[str, ...] = ()
    # One deadline for robots.txt and the source: a fetch still ends within limits.deadline.
    deadline = Deadline(limits.deadline)
    if not source.ignore_robots:
        agent = next((value for name, value in source.headers if name.lower() == "user-agent"),
                     USER_AGENT)
        warnings = robots_check(source.id, source.location, limits, policy, agent)
    got = fetch_url(source.id, source.location, validators, limits, policy,
                    headers=source.headers, deadline=deadline)
    return replace(got, warnings=warnings) if warnings else got
