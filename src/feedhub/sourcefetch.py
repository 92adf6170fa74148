"""How a build fetches one source: the validators of its conditional GET, a fetcher whose
unexpected errors become the source's, a body fetched in a thread handed back, and further
listing pages fetched the way the source itself is.

Must not: parse or store what it fetched (sourcetrip.py does).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .categories import CategoryMap
from .errors import FetchError, SourceError
from .extract import PageFetcher
from .fetch import Fetcher, Validators, fetch, page_source
from .logs import LOGGER
from .model import FetchResult, Source
from .parsing import unexpected
from .schedule import settings_hash, stored_body
from .store import SourceState


def guarded(fetcher: Fetcher) -> Fetcher:
    """``fetcher``, with any exception that is not a SourceError (a bug, a response that
    trips a library) turned into the source's FetchError: one line in its status, the
    traceback in the log, and the build goes on (fetch threads hand errors over as values)."""

    def fetch_guarded(source: Source, root: Path, validators: Validators) -> FetchResult:
        try:
            return fetcher(source, root, validators)
        except SourceError:
            raise
        except Exception as exc:
            reason = unexpected(exc, "fetching")
            LOGGER.getChild("build").error("source %s: %s", source.id, reason, exc_info=exc)
            raise FetchError(source.id, reason) from exc

    return fetch_guarded


def validators_for(
    source: Source, state: SourceState, categories: CategoryMap, settings: str = ""
) -> Validators:
    """What to send for a conditional GET: the last good fetch's ETag and Last-Modified, unless
    the source's settings changed since (then the unchanged body must be read again).
    ``settings`` is the source's :func:`settings_hash` when the caller has it already."""
    if stored_body(state, settings or settings_hash(source, categories)):
        return Validators(state.etag, state.last_modified)
    return Validators()


def prefetched(own: Source, outcome: FetchResult | SourceError, fetcher: Fetcher) -> Fetcher:
    """A fetcher that answers the source's own location with what was already fetched (or
    raises its error), and fetches anything else (further listing pages) with ``fetcher``."""

    def fetch_again(source: Source, root: Path, validators: Validators) -> FetchResult:
        if source.location == own.location:
            if isinstance(outcome, SourceError):
                raise outcome
            return outcome
        return fetcher(source, root, validators)

    return fetch_again


def page_fetcher(source: Source, root: Path, fetcher: Fetcher = fetch) -> PageFetcher:
    """Fetches a listing's further pages the way the source itself is fetched (same limits and
    checks); a file:// next-page link of a local source stays a path under the config folder."""

    def fetch_page(url: str) -> FetchResult:
        location = url
        if url.startswith("file:"):
            location = url2pathname(urlsplit(url).path)
        return fetcher(page_source(source, location), root, Validators())

    return fetch_page
