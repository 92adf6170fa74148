"""The `feedhub` command.

Exit codes (also in docs/commands.md and in ``feedhub --help``):
  0 success; 1 the build ran but at least one source failed (its last good items stay
  published); 2 invalid configuration or usage (nothing was built, nothing overwritten); 3 the
  store or the output folder could not be written.

Conventions every command follows (add new commands the same way):
- Its docstring ends with an ``Example:`` block (tests/test_cli_docs.py checks it, and that the
  command is in the command tables of README.md and docs/commands.md).
- Human output goes through :func:`say` (silenced by ``--quiet``); a command with a ``--json``
  flag (:data:`json_option`) prints exactly one JSON document on stdout with :func:`emit` and
  nothing else there. Logs go to stderr (see logs.py).
- Nothing printed shows a secret: errors and URLs go through feedhub.redact (:func:`fail`
  does it for every error), as the logs do (logs.Redact).
- Every option can be set from the environment: ``FEEDHUB_<OPTION>`` for the global options,
  ``FEEDHUB_<COMMAND>_<OPTION>`` for a command's own (click's auto_envvar_prefix), and
  ``FEEDHUB_CONFIG`` for ``--config``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .config import json_schema, load_config
from .errors import ConfigError, FeedhubError
from .health import iso, record_crash
from .logs import FORMATS, configure
from .model import Config
from .pipeline import BuildReport, SourceReport, build
from .redact import redact_text
from .schedule import source_statuses
from .shutdown import finish
from .store import open_store

EXIT_OK = 0
EXIT_SOURCE_FAILED = 1
EXIT_CONFIG = 2
EXIT_FAILED = 3

config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default="sources.yaml", envvar="FEEDHUB_CONFIG", show_default=True, show_envvar=True,
    help="The sources.yaml to read.",
)
json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print the result as one JSON document on stdout (nothing else goes there).",
)


@dataclass
class Ui:
    """The global output settings, kept on the click context for every command."""

    quiet: bool = False
    verbose: int = 0
    log_format: str = "text"


def ui() -> Ui:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Ui) if ctx is not None else None
    return found or Ui()


def say(message: str = "", *, err: bool = False) -> None:
    """Human output; ``--quiet`` silences it (errors use :func:`fail`, which it never silences)."""
    if not ui().quiet:
        click.echo(message, err=err)


def emit(data: Mapping[str, Any]) -> None:
    """The ``--json`` result: one JSON document on stdout."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(message: str, code: int, *, hint: str = "") -> NoReturn:
    click.echo(f"error: {redact_text(message)}", err=True)
    if hint:
        click.echo(hint, err=True)
    sys.exit(code)


def problems_json(exc: ConfigError) -> list[dict[str, Any]]:
    return [{"file": p.file, "line": p.line, "key": p.key, "message": p.message}
            for p in exc.problems]


def load(config_path: Path, *, as_json: bool = False) -> Config:
    """Load the config for a command, or exit 2 with every problem (as JSON with --json)."""
    try:
        return load_config(config_path)
    except ConfigError as exc:
        if as_json:
            emit({"ok": False, "config": str(config_path), "problems": problems_json(exc)})
            sys.exit(EXIT_CONFIG)
        fail(str(exc), EXIT_CONFIG, hint="Nothing was built; the published feeds are unchanged.")


_load = load  # the name other modules' commands used first


@click.group(context_settings={"help_option_names": ["-h", "--help"],
                               "auto_envvar_prefix": "FEEDHUB"},
             epilog="Exit codes: 0 ok, 1 a source failed (its last good items stay published), "
                    "2 invalid configuration or usage, 3 the store or the output folder could "
                    "not be written. Every option reads FEEDHUB_<OPTION> (global) or "
                    "FEEDHUB_<COMMAND>_<OPTION> from the environment.")
@click.version_option(__version__, "-V", "--version", prog_name="feedhub")
@click.option("-q", "--quiet", is_flag=True, show_envvar=True,
              help="Print only errors (and --json results).")
@click.option("-v", "--verbose", count=True, show_envvar=True,
              help="Log more: -v every source's outcome, -vv debug details.")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              show_envvar=True, help="Logs on stderr as readable text or as JSON lines.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: int, log_format: str) -> None:
    """feedhub: turn news pages and feeds into clean per-category RSS and Atom feeds.

    \b
    Example:
      feedhub init && feedhub check && feedhub build && feedhub serve
    """
    ctx.obj = Ui(quiet=quiet, verbose=verbose, log_format=log_format)
    if verbose >= 2:
        level = logging.DEBUG
    elif log_format == "json" or verbose == 1:
        # JSON logs are for machines: they always carry the per-source lines, even with -q.
        level = logging.INFO
    elif quiet:
        level = logging.ERROR
    else:
        level = logging.WARNING
    configure(log_format, level)


def run() -> None:
    """The ``feedhub`` console script (and ``python -m feedhub``): :func:`main`, then the
    process ends without Python's teardown (:func:`feedhub.shutdown.finish`: 40-60 ms after a
    warm build of 1,000 sources went to its last garbage collection alone). Exceptions other
    than SystemExit end it the usual way, with their traceback."""
    try:
        main(prog_name="feedhub")
    except SystemExit as exc:
        finish(exc.code)
    finish(0)


@main.command("build")
@config_option
@click.option("--force", is_flag=True,
              help="Fetch every source now, even those fetched less than `refresh` ago.")
def build_command(config_path: Path, force: bool) -> None:
    """Fetch the sources that are due, store new items and write the feeds.

    A source is due when its `refresh` interval (default fetch.refresh, 15m) has passed since
    it was last fetched, or when its settings in sources.yaml changed since; --force fetches
    every source. On a terminal a progress bar shows
    the sources as they finish; otherwise one line per source goes to stderr.

    \b
    Example:
      feedhub build -c sources.yaml
      feedhub build --force
    """
    config = load(config_path)
    progress = Progress()
    started = datetime.now(UTC)
    try:
        report = build(config, due_only=not force, progress=progress)
    except (FeedhubError, OSError) as exc:
        # A store or publish failure (an unwritable output folder is an OSError before the
        # first file): recorded as a crashed build, so /healthz and `feedhub status` know.
        fail(record_crash(config, started, exc), EXIT_FAILED,
             hint="The published feeds are unchanged.")
    except Exception as exc:
        record_crash(config, started, exc)
        raise  # a bug: its traceback is for the report
    finally:
        progress.close()
    print_report(report, config)
    if not report.ok:
        sys.exit(EXIT_SOURCE_FAILED)


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
                   v.isoformat() if isinstance(v, datetime) else v
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


@main.command("check")
@config_option
@json_option
def check_command(config_path: Path, as_json: bool) -> None:
    """Validate sources.yaml without fetching anything.

    Each problem is printed as FILE:LINE: KEY: MESSAGE; the exit code is 2 if there is any.

    \b
    Example:
      feedhub check -c sources.yaml --json
    """
    config = load(config_path, as_json=as_json)
    if as_json:
        emit({"ok": True, "config": str(config_path), "problems": [],
              "sources": [s.id for s in config.sources],
              "categories": [c.slug for c in config.categories]})
        return
    say(f"{config_path}: ok ({len(config.sources)} sources, "
        f"{len(config.categories)} categories)")


@main.command("init")
@config_option
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(config_path: Path, force: bool) -> None:
    """Write a starter sources.yaml that explains every key in comments.

    It refuses to overwrite an existing file unless --force is given.

    \b
    Example:
      feedhub init && feedhub check
    """
    if config_path.exists() and not force:
        fail(f"{config_path} exists; edit it, or pass --force to replace it with the starter",
             EXIT_CONFIG)
    text = resources.files("feedhub").joinpath("data/starter.yaml").read_text("utf-8")
    try:
        write_atomically(config_path, text)
    except OSError as exc:
        fail(f"cannot write {config_path}: {exc}", EXIT_FAILED)
    say(f"Wrote {config_path}. Next: edit it, then `feedhub check` and `feedhub build`.")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.", suffix=".tmp") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if path.exists():
            os.chmod(handle.name, path.stat().st_mode & 0o7777)
        os.replace(handle.name, path)
    except OSError:
        os.unlink(handle.name)
        raise


@main.command("add")
@config_option
@click.argument("url")
@click.option("--id", "source_id", default="", help="The new source's id (default: from the URL).")
@click.option("--category", default="", help="Category slug for items whose label maps to none.")
@click.option("--feed", "feed_choice", type=click.IntRange(0), default=None,
              help="Which advertised feed to use (1 = first; 0 = read the page itself).")
@click.option("-y", "--yes", is_flag=True, help="Append without asking (first feed, if any).")
@click.option("--allow-private", is_flag=True,
              help="Let the source reach a private address (an intranet page); it is written "
                   "into the entry.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1),
              help="Preview rows to print.")
def add_command(config_path: Path, url: str, source_id: str, category: str,
                feed_choice: int | None, yes: bool, allow_private: bool, limit: int) -> None:
    """Add a source from a URL: use the feeds it advertises, or draft selectors for the page.

    Fetches the page. If it advertises feeds (<link rel="alternate">), offers them; otherwise
    finds the listing's items and drafts selectors. Shows a preview of the items, then appends
    a commented entry to the end of the sources list, keeping the file's comments and order.
    Nothing is written if the config would not pass `feedhub check`. Exit code 1 if the URL
    cannot be read or holds no items.

    \b
    Example:
      feedhub add https://www.example.org/news
      feedhub add https://www.example.org/news --yes --category news
    """
    from datetime import UTC, datetime

    from .add import draft, inspect_url, preview_target, suggest_id
    from .config import append_source, parse_config
    from .errors import SourceError
    from .model import SourceKind
    from .preview import render

    if not url.startswith(("http://", "https://")):
        fail(f"{url!r} is not an http(s) URL", EXIT_CONFIG)
    if not config_path.exists():
        fail(f"{config_path} does not exist", EXIT_CONFIG,
             hint="Run `feedhub init` first, then `feedhub add` again.")
    config = load(config_path)
    root = config.root
    try:
        found = inspect_url(url, root, allow_private=allow_private)
    except SourceError as exc:
        fail(f"cannot read {url}: {exc.message}", EXIT_SOURCE_FAILED)
    target, kind = found.url, SourceKind.FEED if found.is_feed else SourceKind.HTML
    title = found.page_title
    if found.feeds:
        say(f"{found.url} advertises {len(found.feeds)} feed(s):")
        for number, feed in enumerate(found.feeds, 1):
            say(f"  {number}) {feed.title or '(untitled)'} [{feed.type}] {feed.url}")
        say("  0) none: read the page itself with selectors")
        choice = feed_choice
        if choice is None:
            choice = 1 if yes else click.prompt("Use which?", default=1,
                                                type=click.IntRange(0, len(found.feeds)))
        if choice > len(found.feeds):
            fail(f"--feed {choice}: the page advertises {len(found.feeds)} feed(s)", EXIT_CONFIG)
        if choice:
            target, kind = found.feeds[choice - 1].url, SourceKind.FEED
            title = found.feeds[choice - 1].title or found.page_title
    elif not found.is_feed:
        say(f"{found.url} advertises no feed: looking for its list of items.")
    taken = [s.id for s in config.sources]
    if source_id and source_id in taken:
        fail(f"a source {source_id!r} exists already; choose another --id", EXIT_CONFIG)
    sid = source_id or suggest_id(target if kind is SourceKind.FEED else found.url, taken)
    preview = preview_target(target, kind, root, source_id=sid, allow_private=allow_private,
                             categories=config.categories, category=category)
    say(render(preview, limit))
    if preview.error or not preview.rows:
        fail(f"no items found at {target}", EXIT_SOURCE_FAILED,
             hint="Nothing was added. Try another page (the news listing itself), or write "
                  "the source's selectors by hand.")
    entry = draft(sid, target, kind, preview, page_url=url, title=title, category=category,
                  categories=[c.slug for c in config.categories], allow_private=allow_private,
                  now=datetime.now(UTC))
    text = config_path.read_text(encoding="utf-8")
    try:
        new_text = append_source(text, entry)
        parse_config(new_text, config_path)
    except ConfigError as exc:
        fail(f"the new entry would make {config_path} invalid: {exc}", EXIT_CONFIG,
             hint="Nothing was written.")
    say("\nThe new source:\n" + "\n".join(f"  {line}" for line in entry))
    if not yes and not click.confirm(f"Append it to {config_path}?", default=True):
        say("Nothing was written.")
        return
    try:
        write_atomically(config_path, new_text)
    except OSError as exc:
        fail(f"cannot write {config_path}: {exc}", EXIT_FAILED)
    say(f"Added source {sid!r} to {config_path}. Next: `feedhub preview {sid}`, "
        "then `feedhub build`.")


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of sources.yaml, for editors to validate and complete it.

    \b
    Example:
      feedhub schema > sources.schema.json
      # then, first line of sources.yaml (YAML language server):
      # yaml-language-server: $schema=sources.schema.json
    """
    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command("preview")
@config_option
@json_option
@click.argument("target")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1),
              help="Rows to print (--json prints all).")
@click.option("--allow-private", is_flag=True,
              help="Let a URL preview reach private addresses (an intranet page).")
def preview_command(config_path: Path, as_json: bool, target: str, limit: int,
                    allow_private: bool) -> None:
    """Fetch one source (a source id, or any URL) and show what would be extracted.

    Prints each item's date, label, title and link with warnings (no date, unparsed date,
    relative link, empty title) and, for a page without selectors, the selectors it chose.
    Nothing is stored. Exit code 1 if the source cannot be read.

    \b
    Example:
      feedhub preview ilo-newsroom
      feedhub preview https://www.example.org/news --json
    """
    from .preview import preview_source, render, to_json

    if target.startswith(("http://", "https://")):
        root = config_path.resolve().parent if config_path.exists() else Path.cwd()
        result = preview_source(target, root, allow_private=allow_private)
    else:
        config = load(config_path, as_json=as_json)
        source = config.source(target)
        if source is None:
            fail(f"no source {target!r} in {config_path}", EXIT_CONFIG,
                 hint="Sources: " + ", ".join(s.id for s in config.sources))
        from .categories import CategoryMap

        result = preview_source(source, config.root,
                                categories=CategoryMap.from_categories(config.categories))
    if as_json:
        emit(to_json(result))
    else:
        click.echo(render(result, limit))
    if result.error:
        sys.exit(EXIT_SOURCE_FAILED)


@main.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, show_envvar=True,
              help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, show_envvar=True,
              help="Port to bind.")
@click.option("--refresh", default=None, metavar="DURATION", show_envvar=True,
              help="Rebuild in the background this often (900, 15m, 1h; default: the "
              "config's serve.refresh, else never).")
def serve_command(config_path: Path, host: str, port: int, refresh: str | None) -> None:
    """Serve the feeds with Flask's development server (use gunicorn in production).

    \b
    Example:
      feedhub serve --port 8000 --refresh 15m
    """
    from .config import DURATION_EXAMPLES, parse_duration
    from .web import create_app

    load(config_path)
    settings: dict[str, str] = {"FEEDHUB_CONFIG": str(config_path)}
    if refresh is not None:
        if parse_duration(refresh) is None:
            raise click.BadParameter(f"{refresh!r} is not a duration; use {DURATION_EXAMPLES}",
                                     param_hint="--refresh")
        settings["FEEDHUB_REFRESH"] = refresh
    app = create_app(settings)
    say(f"Serving {config_path} at http://{host}:{port}/")
    app.run(host=host, port=port)


@main.command("worker")
@config_option
@click.option("--every", default=None, type=click.IntRange(1), show_envvar=True,
              help="Seconds between two refreshes of every source (default: each source's "
              "refresh, else fetch.refresh).")
@click.option("--lease", default=300, show_default=True, type=click.IntRange(1),
              show_envvar=True, help="Seconds a claimed source stays this worker's; a dead "
              "worker's sources go to another one after this. Longer than any fetch.")
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.05),
              show_envvar=True, help="Seconds between looks at the store when idle.")
@click.option("--publish-delay", default=60, show_default=True, type=click.IntRange(0),
              show_envvar=True, help="Publish after this many seconds even while other "
              "sources are still being refreshed.")
@click.option("--once", is_flag=True, show_envvar=True,
              help="Refresh what is due, publish, then exit.")
@click.option("--name", default="", show_envvar=True,
              help="This worker's name in the store's leases (default host:pid).")
def worker_command(config_path: Path, every: int | None, lease: int, poll: float,
                   publish_delay: int, once: bool, name: str) -> None:
    """Refresh due sources and publish, sharing the work with every other worker of the store.

    Run one or more per machine against one PostgreSQL store (or one per SQLite store). Each
    due source is refreshed by exactly one worker; SIGINT/SIGTERM stop it cleanly.

    \b
    Example:
      feedhub worker -c sources.yaml --every 600
    """
    import signal
    import threading
    from datetime import timedelta

    from .worker import WorkerSettings, run_worker

    config = load(config_path)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    settings = WorkerSettings(owner=name,
                              interval=timedelta(seconds=every) if every else None,
                              lease=timedelta(seconds=lease), poll=poll,
                              publish_delay=timedelta(seconds=publish_delay), once=once)
    try:
        run_worker(config, settings, stop=stop, log=say)
    except FeedhubError as exc:
        fail(str(exc), EXIT_FAILED)
