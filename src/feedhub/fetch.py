"""Retrieve a source's bytes: HTTP(S) with limits and conditional GET, or a local file.

Contract: ``fetch(source, root, validators)`` returns a :class:`FetchResult` or raises
:class:`FetchError`. It never parses what it fetched. Every httpx error is wrapped here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from . import __version__
from .errors import FetchError
from .model import FetchResult, Source

USER_AGENT = f"feedhub/{__version__} (+https://github.com/feedhub/feedhub)"


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    deadline: float = 30.0
    """Seconds for the whole request, body included; a dripping server cannot stretch it."""
    max_bytes: int = 10 * 1024 * 1024
    """Cap on the decompressed body."""
    max_redirects: int = 5


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
    limits: FetchLimits = FetchLimits(),
    client: httpx.Client | None = None,
) -> FetchResult:
    """Fetch one source. Local paths are read relative to ``root`` (the config's folder)."""
    if source.is_remote:
        return fetch_url(source.id, source.location, validators, limits, client)
    return read_file(source.id, source.location, root, limits)


def read_file(source_id: str, location: str, root: Path, limits: FetchLimits) -> FetchResult:
    path = Path(location)
    if not path.is_absolute():
        path = root / path
    path = path.resolve()
    if not path.is_relative_to(root.resolve()):
        raise FetchError(source_id, f"path {location!r} is outside the config folder {root}; "
                                    "move the file under it")
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise FetchError(source_id, f"file {path} is {size} bytes, over the "
                                        f"{limits.max_bytes}-byte limit")
        body = path.read_bytes()
    except FileNotFoundError as exc:
        raise FetchError(source_id, f"file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise FetchError(source_id, f"{path} is a folder, not a file") from exc
    except OSError as exc:
        raise FetchError(source_id, f"cannot read {path}: {exc.strerror or exc}") from exc
    return FetchResult(url=path.as_uri(), body=body)


def new_client(limits: FetchLimits = FetchLimits()) -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": USER_AGENT,
                 "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                           "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5"},
        timeout=httpx.Timeout(limits.deadline, connect=limits.connect_timeout),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
    )


def fetch_url(
    source_id: str,
    url: str,
    validators: Validators = Validators(),
    limits: FetchLimits = FetchLimits(),
    client: httpx.Client | None = None,
) -> FetchResult:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    own = client is None
    http = client or new_client(limits)
    started = time.monotonic()
    try:
        with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(url=str(response.url), status=304,
                                   headers=dict(response.headers.items()),
                                   etag=validators.etag, last_modified=validators.last_modified)
            if response.status_code >= 400:
                raise FetchError(source_id, f"HTTP {response.status_code} "
                                            f"{response.reason_phrase} from {response.url}")
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limits.max_bytes:
                    raise FetchError(source_id, f"response from {url} is larger than "
                                                f"{limits.max_bytes} bytes (after decompression)")
                if time.monotonic() - started > limits.deadline:
                    raise FetchError(source_id, f"{url} took longer than {limits.deadline:g}s")
                chunks.append(chunk)
            return FetchResult(
                url=str(response.url),
                body=b"".join(chunks),
                headers={k.lower(): v for k, v in response.headers.items()},
                status=response.status_code,
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
    except httpx.TooManyRedirects as exc:
        raise FetchError(source_id, f"more than {limits.max_redirects} redirects from {url}"
                         ) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(source_id, f"timed out fetching {url}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(source_id, f"cannot fetch {url}: {exc}") from exc
    finally:
        if own:
            http.close()
