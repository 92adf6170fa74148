"""feedhub.redact: credentials and tokens out of URLs and the text that quotes them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedhub.logs import LOGGER, configure
from feedhub.redact import one_line, public_url, redact_text, redact_url, secret_name

CASES = [
    ("https://user:password@host/feed", "https://***@host/feed"),
    ("https://user@host/feed", "https://***@host/feed"),
    ("https://host/feed?token=abc&page=2", "https://host/feed?token=***&page=2"),
    ("https://host/f?X-Api-Key=zz&apiKey=1&API_KEY=2", "https://host/f?X-Api-Key=***&apiKey=***&API_KEY=***"),
    ("https://host/f?sig=1;expires=9", "https://host/f?sig=***;expires=9"),
    ("https://host/f?access_token=q#frag", "https://host/f?access_token=***#frag"),
    ("https://host/cb#access_token=q&state=s", "https://host/cb#access_token=***&state=s"),
    ("https://host/f?passwd=a&session_id=b&client_secret=c&x-auth=d",
     "https://host/f?passwd=***&session_id=***&client_secret=***&x-auth=***"),
    ("https://host/f?api%5Fkey=zz", "https://host/f?api%5Fkey=***"),
    ("postgresql://feedhub:s3cret@db:5432/feedhub", "postgresql://***@db:5432/feedhub"),
    # An unencoded "/" or "@" in the password.
    ("https://user:pa/ss@host/feed", "https://***@host/feed"),
    ("https://user:p@ss@host/feed", "https://***@host/feed"),
    # Left alone: nothing secret, and "@" in a path (Mastodon) is no userinfo.
    ("https://mastodon.social/@user.rss", "https://mastodon.social/@user.rss"),
    ("https://host:8443/news?page=2&author=jane", "https://host:8443/news?page=2&author=jane"),
    ("https://[::1]:8000/feed?q=token", "https://[::1]:8000/feed?q=token"),
    ("https://host/feed?token=", "https://host/feed?token="),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_urls_inside_free_text_are_redacted_and_the_sentence_kept() -> None:
    text = ("cannot fetch 'https://u:pw1@h/x?apikey=K1'; HTTP 500 from https://h/x?token=T1. "
            "(see https://a:pw2@c/d), DSN host=db password=pw3 user=x; "
            "Authorization: Bearer T2 sent")
    redacted = redact_text(text)
    for secret in ("pw1", "K1", "T1", "pw2", "pw3", "T2"):
        assert secret not in redacted
    assert redacted == ("cannot fetch 'https://***@h/x?apikey=***'; HTTP 500 from "
                        "https://h/x?token=***. (see https://***@c/d), DSN host=db "
                        "password=*** user=x; Authorization: Bearer *** sent")


def test_one_line_is_redacted_flat_and_short() -> None:
    line = one_line("boom\n  at https://u:pw@h/\n" + "x" * 500, limit=80)
    assert "\n" not in line and "pw" not in line and len(line) == 80
    assert line.startswith("boom at https://***@h/ x")


def test_secret_names_are_matched_inside_longer_names() -> None:
    assert all(secret_name(n) for n in ("x-api-key", "X-Amz-Signature", "sessionid",
                                        "myToken", "PASS", "oauth_verifier"))
    assert not any(secret_name(n) for n in ("page", "q", "author", "keywords", "lang"))


def test_public_url_drops_credentials_and_refuses_secret_queries() -> None:
    assert public_url("https://user:pw@host/feed?page=2") == "https://host/feed?page=2"
    assert public_url("https://host/feed?token=abc") is None
    assert public_url("https://host/feed") == "https://host/feed"


@given(st.text(), st.sampled_from(["token", "x-api-key", "Password", "sig"]),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=4))
def test_a_secret_parameter_never_survives(prefix: str, name: str, secret: str) -> None:
    secret = "Zq" + secret  # a value no other part of the text can contain by chance
    text = f"{prefix} https://host/feed?a=1&{name}={secret}&b=2 {prefix}"
    assert secret not in redact_text(text)
    assert redact_text(redact_text(text)) == redact_text(text)


@given(st.text())
def test_any_text_is_redacted_without_error(text: str) -> None:
    assert isinstance(redact_text(text), str)
    assert isinstance(redact_url(text), str)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_log_lines_show_no_secret(log_format: str) -> None:
    stream = io.StringIO()
    configure(log_format, logging.INFO, stream)
    try:
        child = logging.getLogger("feedhub.test-redact")
        child.warning("cannot fetch %s", "https://user:pw1@h/feed?token=T1",
                      extra={"fields": {"error": "HTTP 500 from https://h/?key=K1"}})
        try:
            raise RuntimeError("store at postgresql://u:pw2@db/x is down")
        except RuntimeError:
            child.exception("it broke")
    finally:
        configure("text", logging.WARNING)
    out = stream.getvalue()
    assert "***" in out
    for secret in ("pw1", "T1", "K1", "pw2"):
        assert secret not in out, out
    if log_format == "json":
        assert all(json.loads(line) for line in out.splitlines() if line.startswith("{"))


def test_records_are_redacted_before_any_handler_even_not_ours() -> None:
    """Under gunicorn the feedhub loggers propagate to handlers feedhub did not install."""
    from feedhub import web  # noqa: F401  (imported: its logger exists)
    from feedhub.logs import redact_feedhub_loggers

    redact_feedhub_loggers()
    stream = io.StringIO()
    foreign = logging.StreamHandler(stream)
    logger = logging.getLogger("feedhub.web")
    saved = LOGGER.propagate, LOGGER.handlers[:]
    LOGGER.handlers.clear()
    LOGGER.addHandler(foreign)
    try:
        logger.error("refresh failed: cannot fetch https://u:pw@h/?sig=S1")
    finally:
        LOGGER.handlers[:] = saved[1]
        LOGGER.propagate = saved[0]
    assert "pw" not in stream.getvalue() and "S1" not in stream.getvalue()
    assert "https://***@h/?sig=***" in stream.getvalue()


def test_a_logger_made_after_the_app_started_is_redacted_too() -> None:
    """A module imported later gets a logger with no filter of its own: its records are
    redacted as they are made, tracebacks included."""
    from feedhub.logs import redact_feedhub_loggers

    redact_feedhub_loggers()
    stream = io.StringIO()
    foreign = logging.StreamHandler(stream)
    foreign.setFormatter(logging.Formatter("%(message)s"))
    late = logging.getLogger("feedhub.made-later-than-the-filters")
    assert not late.filters
    saved = LOGGER.propagate, LOGGER.handlers[:]
    LOGGER.handlers.clear()
    LOGGER.addHandler(foreign)
    try:
        try:
            raise ValueError("while reading https://user:hunter2@example.org/f?token=T0K3N")
        except ValueError:
            late.exception("refresh of %s failed", "https://user:hunter2@example.org/feed")
    finally:
        LOGGER.handlers[:] = saved[1]
        LOGGER.propagate = saved[0]
    text = stream.getvalue()
    assert "hunter2" not in text and "T0K3N" not in text, text
    assert "refresh of https://***@example.org/feed failed" in text
    assert "ValueError" in text
