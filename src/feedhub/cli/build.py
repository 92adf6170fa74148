"""``feedhub build`` and ``feedhub status``: run a build and report it, show every source's
health. The build's report table and its progress on stderr are drawn here.

The report says every source's error and warnings, so the build's log lines that repeat them
(feedhub.logs.log_source) are kept back in the default text output (:class:`SaidInTheReport`);
``-v`` and ``--log-format json`` send them as well.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..drift import summary as drift_summary
from ..errors import FeedhubError
from ..health import iso, record_crash
from ..logs import LOGGER, full_text_summary
from ..model import Config
from ..pipeline import BuildReport, SourceReport, build
from ..redact import redact_text
from ..schedule import source_statuses
from ..store import Drift, open_store
from .base import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_SOURCE_FAILED,
    config_option,
    emit,
    fail,
    json_option,
    load,
    main,
    say,
    ui,
)


@main.command("build")
@config_option
@json_option
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID]...")
@click.option("--force", is_flag=True,
              help="Fetch every source now, even those fetched less than `refresh` ago.")
def build_command(config_path: Path, as_json: bool, source_ids: tuple[str, ...],
                  force: bool) -> None:
    """Fetch the sources that are due, store new items and write the feeds.

    A source is due when its `refresh` interval (default fetch.refresh, 15m) has passed since
    it was last fetched, or when its settings in sources.yaml changed since; --force fetches
    every source. Given SOURCE_IDs, only those sources are fetched (when due, or with
    --force); the feeds are written as always. On a terminal a progress bar shows
    the sources as they finish; otherwise one line per source goes to stderr. With --json the
    result is one JSON document: per source id ok, found, new, updated, seconds and error,
    then the totals; the exit code is the same.

    \b
    Example:
      feedhub build -c sources.yaml
      feedhub build --force ilo-press
      feedhub build --json
    """
    config = load(config_path, as_json=as_json)
    known = [s.id for s in config.sources]
    unknown = [sid for sid in source_ids if sid not in known]
    if unknown:
        message = (f"no source {', '.join(map(repr, unknown))} in {config_path}; "
                   "its sources: " + ", ".join(known))
        if as_json:
            emit({"ok": False, "config": str(config_path), "error": message, "sources": known})
            sys.exit(EXIT_CONFIG)
        fail(message, EXIT_CONFIG, hint="Nothing was built; the published feeds are unchanged.")
    progress = Progress()
    started = datetime.now(UTC)
    try:
        with said_in_the_report():
            report = build(config, due_only=not force, progress=progress,
                           only=set(source_ids) or None)
    except (FeedhubError, OSError) as exc:
        # A store or publish failure (an unwritable output folder is an OSError before the
        # first file): recorded as a crashed build, so /healthz and `feedhub status` know.
        message = record_crash(config, started, exc)
        if as_json:
            emit({"ok": False, "config": str(config_path), "error": redact_text(message)})
            sys.exit(EXIT_FAILED)
        fail(message, EXIT_FAILED, hint="The published feeds are unchanged.")
    except Exception as exc:
        record_crash(config, started, exc)
        raise  # a bug: its traceback is for the report
    finally:
        progress.close()
    if as_json:
        emit(report_json(report))
    else:
        print_report(report, config)
    if not report.ok:
        sys.exit(EXIT_SOURCE_FAILED)


def report_json(report: BuildReport) -> dict[str, Any]:
    """``feedhub build --json``: each source's outcome by id, then the totals."""
    sources = {s.source_id: {
        "ok": s.ok, "found": s.found, "new": s.new, "updated": s.updated,
        "seconds": round(s.seconds, 3), "error": redact_text(s.error),
        "not_due_until": s.next_due.isoformat() if s.next_due else None,
        "drift": drift_json(s.drift),
        "full_text": {"stories": s.articles, "left": s.articles_left,
                      "kept": [redact_text(k) for k in s.articles_kept]}
        if s.articles or s.articles_kept or s.articles_left else None,
    } for s in report.sources}
    pub = report.published
    return {
        "ok": report.ok,
        "sources": sources,
        "totals": {
            "sources": len(report.sources), "failed": len(report.failed),
            "fetched": sum(1 for s in report.sources if s.next_due is None),
            "found": sum(s.found for s in report.sources),
            "new": sum(s.new for s in report.sources),
            "updated": sum(s.updated for s in report.sources),
            "seconds": round(report.seconds, 3), "pruned": report.pruned,
            "files_written": len(pub.written), "files_unchanged": len(pub.unchanged),
        },
        "warnings": [redact_text(p) for p in
                     report.worker_errors + pub.hub_errors + pub.worker_errors],
    }


def drift_json(drift: Drift | None) -> dict[str, Any] | None:
    """A source's drift (feedhub.drift) for --json: why, and the proposed selectors."""
    if drift is None:
        return None
    data = asdict(drift)
    data["at"] = iso(drift.at)
    data["proposed"] = None if drift.proposed is None else {
        k: v for k, v in data["proposed"].items() if v}
    return data


class SaidInTheReport(logging.Filter):
    """Keeps back the build's warnings, which :func:`print_report` prints itself: a source's
    failure or the parts of its body it ignored (its line in the table), a parse worker that
    stopped (a ``warning:`` line). Errors (a bug's traceback) still go out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != logging.WARNING


@contextmanager
def said_in_the_report() -> Iterator[None]:
    """Each error once in the default text output: the report's, not a log line as well."""
    settings = ui()
    if settings.verbose or settings.log_format != "text":
        yield
        return
    logger, keep_back = LOGGER.getChild("build"), SaidInTheReport()
    logger.addFilter(keep_back)
    try:
        yield
    finally:
        logger.removeFilter(keep_back)


class Progress:
    """Build progress on stderr, nothing with --quiet. On a terminal, a bar; otherwise (cron,
    CI, docker logs) a plain line once a build has run ``every`` seconds, then at most one per
    ``every`` seconds and one at the end, so short builds add nothing to the log lines."""

    def __init__(self, *, terminal: bool | None = None, every: float = 5.0) -> None:
        self.bar: Any = None
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.every = every
        self.started = self.last = time.monotonic()
        self.printed = False
        self.failed = 0

    def __call__(self, report: SourceReport, done: int, total: int) -> None:
        if ui().quiet:
            return
        self.failed += not report.ok
        if self.terminal:
            if self.bar is None:
                self.bar = click.progressbar(length=total, label="Fetching", file=sys.stderr,
                                             show_pos=True, item_show_func=lambda x: x)
                self.bar.__enter__()
            self.bar.update(1, report.source_id)
            return
        now = time.monotonic()
        if now - self.last >= self.every or (done == total and self.printed):
            self.last = now
            self.printed = True
            click.echo(f"[{done}/{total}] sources done, {self.failed} failed, "
                       f"{now - self.started:.0f}s; last: {report.source_id}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def when(moment: datetime | None, missing: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else missing


def print_report(report: BuildReport, config: Config) -> None:
    if ui().quiet:
        for s in report.failed:
            click.echo(f"error: source {s.source_id}: {redact_text(s.error)}", err=True)
        return
    width = max((len(s.source_id) for s in report.sources), default=6)
    # One write for the whole table: click.echo flushes after every call, and a line at a
    # time was a write system call per source.
    lines: list[str] = []
    echo = lines.append
    echo(f"{'source':<{width}}  {'found':>5}  {'new':>4}  {'upd':>4}  {'secs':>5}  outcome")
    for s in report.sources:
        outcome = "ok" if s.ok else click.style(f"ERROR: {redact_text(s.error)}", fg="red")
        if s.ok and s.unchanged_body:
            outcome = "ok (unchanged)"
        if s.next_due is not None:
            why = f", after {s.failures} failures in a row" if s.failures > 1 else ""
            if s.retry_after:
                why = " (Retry-After)"
            outcome = f"not due until {when(s.next_due)}{why} (--force fetches it)"
        echo(f"{s.source_id:<{width}}  {s.found:>5}  {s.new:>4}  {s.updated:>4}  "
             f"{s.seconds:>5.2f}  {outcome}")
        if s.unmatched_labels:
            echo(f"{'':<{width}}  labels with no category (sent to the default): "
                 + ", ".join(repr(x) for x in s.unmatched_labels))
        if s.over_cap:
            echo(f"{'':<{width}}  {s.over_cap} entries past fetch.max_items ignored")
        for warning in s.warnings:
            echo(f"{'':<{width}}  warning: {warning}")
        if s.unparsed_dates:
            echo(f"{'':<{width}}  dates that did not parse (first seen used): "
                 + ", ".join(repr(x) for x in s.unparsed_dates[:5]))
        if s.undated:
            echo(f"{'':<{width}}  " + click.style(
                f"{s.undated} item(s) dated when first seen: "
                + ("set date_format or locale" if s.unparsed_dates else "no date found")
                + f" (`feedhub preview {s.source_id}` shows why)", fg="yellow"))
        if s.future_dates:
            echo(f"{'':<{width}}  dates in the future (first seen used): "
                 + ", ".join(s.future_dates[:5]))
        if s.ancient_dates:
            echo(f"{'':<{width}}  dates before year 1000 (first seen used): "
                 + ", ".join(s.ancient_dates[:5]))
        if s.too_old:
            echo(f"{'':<{width}}  {s.too_old} new item(s) older than site.max_age_days "
                 "not stored")
        if s.articles or s.articles_kept or s.articles_left:
            echo(f"{'':<{width}}  " + full_text_summary(s.articles, len(s.articles_kept),
                                                        s.articles_left))
            for kept in s.articles_kept[:10]:
                echo(f"{'':<{width}}    kept its own text: {redact_text(kept)}")
            if len(s.articles_kept) > 10:
                echo(f"{'':<{width}}    and {len(s.articles_kept) - 10} more (--json lists all)")
        if s.drift is not None:
            echo(f"{'':<{width}}  " + click.style(drift_summary(s.source_id, s.drift),
                                                  fg="yellow"))
    if report.pruned:
        echo(f"{report.pruned} item(s) older than site.max_age_days pruned from the store")
    pub = report.published
    echo(f"{len(pub.written)} feed file(s) written, {len(pub.unchanged)} unchanged "
         f"in {config.output_dir} ({report.seconds:.2f}s)")
    if pub.hub_notified:
        echo(f"WebSub hub notified of {len(pub.hub_notified)} changed feed(s)")
    click.echo("\n".join(lines))
    for problem in report.worker_errors + pub.hub_errors + pub.worker_errors:
        click.echo(click.style(f"warning: {redact_text(problem)}", fg="yellow"), err=True)


@main.command("status")
@config_option
@json_option
def status_command(config_path: Path, as_json: bool) -> None:
    """Show every source's health: last success, last error, consecutive failures, items in
    the store and when `feedhub build` fetches it next. Nothing is fetched.

    \b
    Example:
      feedhub status
      feedhub status --json
    """
    config = load(config_path, as_json=as_json)
    try:
        with open_store(config.store, config.root) as store:
            statuses = source_statuses(config, store)
            history = store.build_history()
    except FeedhubError as exc:
        fail(str(exc), EXIT_FAILED)
    now = datetime.now(UTC)
    last = history.last
    if as_json:
        emit({"now": now.isoformat(),
              "last_build": None if last is None else {
                  "finished": iso(last.finished), "ok": last.ok, "crashed": last.crashed,
                  "summary": redact_text(last.summary)},
              "last_successful_build": iso(history.last_published),
              "sources": [
                  {k: redact_text(v) if k == "last_error" else
                   v.isoformat() if isinstance(v, datetime) else
                   drift_json(status.drift) if k == "drift" else v
                   for k, v in asdict(status).items()} for status in statuses]})
        return
    if last is not None and last.crashed:
        say(click.style(f"last build crashed at {when(last.finished)}: "
                        f"{redact_text(last.summary)}", fg="red"))
        say(f"last successful build: {when(history.last_published)}\n")
    width = max((len(s.id) for s in statuses), default=6)
    say(f"{'source':<{width}}  {'items':>5}  {'fails':>5}  {'last success':<20}  "
        f"{'next due':<20}  last error")
    for s in statuses:
        due = "now" if s.next_due is None or s.next_due <= now else when(s.next_due)
        error = ""
        if s.last_error:
            error = f"{when(s.last_error_at)}: {redact_text(s.last_error)}"
            if s.failures:
                error = click.style(error, fg="red")
        say(f"{s.id:<{width}}  {s.items:>5}  {s.failures:>5}  {when(s.last_success):<20}  "
            f"{due:<20}  {error}")
        if s.unmatched_labels:
            say(f"{'':<{width}}  labels with no category (sent to the default): "
                + ", ".join(repr(x) for x in s.unmatched_labels))
        if s.dated_when_seen:
            say(f"{'':<{width}}  {s.dated_when_seen} item(s) dated when first seen "
                f"(`feedhub preview {s.id}` shows why)")
        if s.drift is not None:
            say(f"{'':<{width}}  " + click.style(
                f"since {when(s.drift.at)}: {drift_summary(s.id, s.drift)}", fg="yellow"))
        if s.full_text is not None:
            say(f"{'':<{width}}  full text: {s.full_text.extracted} stories from their pages"
                + (f", {s.full_text.kept} items kept their own text" if s.full_text.kept
                   else ""))
            for reason in s.full_text.reasons:
                say(f"{'':<{width}}    kept its own text: {redact_text(reason)}")
        if s.stale:
            say(click.style(f"{'':<{width}}  stale: newest item from {when(s.newest_item)}, "
                            "older than its stale_after; is the site still publishing? "
                            f"(`feedhub preview {s.id}`)", fg="yellow"))
