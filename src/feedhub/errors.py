"""feedhub's one exception tree. Every stage wraps third-party errors into these at its boundary.

    FeedhubError
    ├── ConfigError          sources.yaml is unreadable or invalid (carries file, line, key)
    ├── SourceError          one source failed; the build goes on with the others
    │   ├── FetchError       network, HTTP status, size or time limits, missing file
    │   └── ExtractError     the bytes are not a feed / listing feedhub can read
    ├── StoreError           the database cannot be opened or written
    └── PublishError         a feed could not be rendered or written
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


class FeedhubError(Exception):
    """Base of every error feedhub raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in sources.yaml."""

    file: str
    line: int
    """1-based line number (0 when unknown)."""
    key: str
    """Dotted path of the key, e.g. ``sources[2].kind``."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(FeedhubError):
    """sources.yaml is invalid; nothing was built and nothing was overwritten."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid configuration ({len(problems)} problem(s)):\n{lines}")


class SourceError(FeedhubError):
    """A source could not be read. Its last good items stay published."""

    def __init__(self, source_id: str, message: str) -> None:
        self.source_id = source_id
        self.message = message
        super().__init__(f"source {source_id!r}: {message}")


class FetchError(SourceError):
    """The source's bytes could not be retrieved."""

    def __init__(self, source_id: str, message: str, *,
                 retry_after: timedelta | None = None) -> None:
        super().__init__(source_id, message)
        self.retry_after = retry_after
        """How long the server asked not to be asked again (the Retry-After of its 429 or 5xx,
        capped by fetch.MAX_RETRY_AFTER); None when it did not say. The store keeps the
        source from being fetched before then (``--force`` still fetches it)."""


class ExtractError(SourceError):
    """The bytes were retrieved but hold nothing feedhub can read."""


class StoreError(FeedhubError):
    """The store could not be opened or written."""


class PublishError(FeedhubError):
    """A feed file could not be rendered or written."""
