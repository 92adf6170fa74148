"""Logging setup: human-readable lines by default, JSON lines with ``--log-format json``.

Every module logs to a child of the ``feedhub`` logger with plain ``logger.info(msg, extra=
{"fields": {...}})``; this module only decides how lines look and where they go (stderr, so
stdout stays for a command's result and ``--json`` output). The build logs one line per source
(:func:`log_source`) with its outcome and timing.

Must not: print anything itself, or configure loggers other than ``feedhub``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

LOGGER = logging.getLogger("feedhub")
FORMATS = ("text", "json")


class _SourceOutcome(Protocol):
    source_id: str
    found: int
    new: int
    updated: int
    error: str
    seconds: float
    unchanged_body: bool
    next_due: datetime | None
    failures: int
    warnings: list[str]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message key=value ...``: one line a record, easy to grep."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        # Fields the message already says (the source id, the error) are not repeated.
        extra = " ".join(f"{k}={_text_value(v)}" for k, v in _fields(record).items()
                         if not (isinstance(v, str) and v in message))
        line = f"{record.levelname:<7} {record.name}: {message}"
        if extra:
            line += f"  {extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text_value(value: Any) -> str:
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or " " in text or '"' in text) \
        else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_fields(record))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure(log_format: str = "text", level: int = logging.WARNING,
              stream: TextIO | None = None) -> None:
    """Send the ``feedhub`` logger's records at ``level`` and above to ``stream`` (stderr)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}, got {log_format!r}")
    for handler in list(LOGGER.handlers):
        if getattr(handler, "_feedhub", False):
            LOGGER.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._feedhub = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    LOGGER.propagate = False


_BUILD_LOGGER = LOGGER.getChild("build")


def log_source(outcome: _SourceOutcome) -> None:
    """The one line per source per build: its outcome and timing. A failure is a warning, and
    so is a success that ignored part of its body (``warnings``). Nothing is built for a line
    no handler would get (most builds log at WARNING)."""
    level = logging.WARNING if outcome.error or outcome.warnings else logging.INFO
    if not _BUILD_LOGGER.isEnabledFor(level):
        return
    status = "error" if outcome.error else ("unchanged" if outcome.unchanged_body else "ok")
    if outcome.next_due is not None:
        status = "not-due"
    fields: dict[str, Any] = {
        "source": outcome.source_id, "outcome": status, "found": outcome.found,
        "new": outcome.new, "updated": outcome.updated, "seconds": round(outcome.seconds, 3),
    }
    if outcome.error:
        fields["error"] = outcome.error
    if outcome.warnings:
        fields["warnings"] = outcome.warnings
    if outcome.next_due is not None:
        fields["next_due"] = outcome.next_due.isoformat()
        if outcome.failures:
            fields["failures"] = outcome.failures
    message = outcome.error or "; ".join([status, *outcome.warnings])
    _BUILD_LOGGER.log(level, "source %s: %s", outcome.source_id, message,
                      extra={"fields": fields})
