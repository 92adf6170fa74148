"""Logging setup: human-readable lines by default, JSON lines with ``--log-format json``.

Every module logs to a child of the ``feedhub`` logger with plain ``logger.info(msg, extra=
{"fields": {...}})``; this module only decides how lines look and where they go (stderr, so
stdout stays for a command's result and ``--json`` output). The build logs one line per source
(:func:`log_source`) with its outcome and timing.

No line shows a secret: :class:`Redact` passes every record's message, fields and traceback
through :func:`feedhub.redact.redact_text` (fetch and store errors quote URLs, which may carry
credentials). It sits on the handler :func:`configure` installs and, for processes that log
through someone else's handlers (gunicorn, Flask's), on every ``feedhub`` logger
(:func:`redact_feedhub_loggers`, which ``configure`` and ``create_app`` call).

Must not: print anything itself, or configure loggers other than ``feedhub``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from .redact import redact_text

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
    articles: int
    articles_kept: list[str]
    articles_left: int


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _redact_message(record: logging.LogRecord) -> None:
    """The record's message rendered and redacted (``args`` dropped), and its traceback
    rendered into ``exc_text``, redacted, which every :class:`logging.Formatter` then prints
    instead of rendering its own. Done once per record."""
    if getattr(record, "_feedhub_message_redacted", False):
        return
    record.msg = redact_text(record.getMessage())
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    record._feedhub_message_redacted = True


class Redact(logging.Filter):
    """Masks secrets in a record before any handler formats it (see the module docstring).

    The record is changed in place, once: its message and traceback
    (:func:`_redact_message`, unless the record factory did it already) and its string
    fields.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_feedhub_redacted", False):
            return True
        _redact_message(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {key: redact_text(value) if isinstance(value, str) else value
                             for key, value in fields.items()}
        record._feedhub_redacted = True
        return True


_REDACT = Redact()


def redact_feedhub_loggers() -> None:
    """Put :class:`Redact` on the ``feedhub`` logger and every ``feedhub.*`` logger that exists
    now (a logger's filters see only its own records, not its children's), and redact every
    record of a feedhub logger made from now on as it is made, so a logger created later (a
    module imported after this call) leaks nothing either."""
    for name, logger in [("feedhub", LOGGER), *logging.root.manager.loggerDict.items()]:
        if (name == "feedhub" or name.startswith("feedhub.")) \
                and isinstance(logger, logging.Logger) and _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
    make = logging.getLogRecordFactory()
    if getattr(make, "feedhub_redacts", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.name == "feedhub" or record.name.startswith("feedhub."):
            # The message and traceback now; ``extra`` fields are set on the record after
            # this factory returns, and the loggers' filter (above) redacts those.
            _redact_message(record)
        return record

    redacting_factory.feedhub_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else ""


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
        trace = _exception_text(self, record)
        if trace:
            line += "\n" + trace
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
        trace = _exception_text(self, record)
        if trace:
            data["exception"] = trace
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
    handler.addFilter(_REDACT)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    LOGGER.propagate = False
    redact_feedhub_loggers()


_BUILD_LOGGER = LOGGER.getChild("build")


def full_text_summary(stories: int, kept: int, left: int) -> str:
    """One phrase for what a build's article fetches of a full_text source did."""
    parts = [f"{stories} stories from their pages"]
    if kept:
        parts.append(f"{kept} kept their own text")
    if left:
        parts.append(f"{left} left for the next build")
    return "full text: " + ", ".join(parts)


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
    said = [status, *outcome.warnings]
    if outcome.articles or outcome.articles_kept or outcome.articles_left:
        fields["full_text"] = {"stories": outcome.articles, "kept": outcome.articles_kept,
                               "left": outcome.articles_left}
        said.append(full_text_summary(outcome.articles, len(outcome.articles_kept),
                                      outcome.articles_left))
    message = outcome.error or "; ".join(said)
    _BUILD_LOGGER.log(level, "source %s: %s", outcome.source_id, message,
                      extra={"fields": fields})
