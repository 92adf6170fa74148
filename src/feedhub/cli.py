"""The `feedhub` command.

Exit codes: 0 success; 1 the build ran but at least one source failed; 2 invalid configuration
or usage (nothing was built); 3 the store or the output folder could not be written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .config import load_config
from .errors import ConfigError, FeedhubError
from .model import Config
from .pipeline import BuildReport, build

EXIT_SOURCE_FAILED = 1
EXIT_CONFIG = 2
EXIT_FAILED = 3

config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default="sources.yaml", envvar="FEEDHUB_CONFIG", show_default=True,
    help="The sources.yaml to read (env FEEDHUB_CONFIG).",
)


def _load(config_path: Path) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("Nothing was built; the published feeds are unchanged.", err=True)
        sys.exit(EXIT_CONFIG)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedhub")
def main() -> None:
    """feedhub: turn news pages and feeds into clean per-category RSS and Atom feeds.

    \b
    Example:
      feedhub check && feedhub build && feedhub serve
    """


@main.command("build")
@config_option
def build_command(config_path: Path) -> None:
    """Fetch every source, store new items and write the feeds.

    \b
    Example:
      feedhub build -c sources.yaml
    """
    config = _load(config_path)
    try:
        report = build(config)
    except FeedhubError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    print_report(report, config)
    if not report.ok:
        sys.exit(EXIT_SOURCE_FAILED)


def print_report(report: BuildReport, config: Config) -> None:
    width = max((len(s.source_id) for s in report.sources), default=6)
    click.echo(f"{'source':<{width}}  {'found':>5}  {'new':>4}  {'upd':>4}  outcome")
    for s in report.sources:
        outcome = "ok" if s.ok else click.style(f"ERROR: {s.error}", fg="red")
        if s.ok and s.unchanged_body:
            outcome = "ok (unchanged)"
        click.echo(f"{s.source_id:<{width}}  {s.found:>5}  {s.new:>4}  {s.updated:>4}  {outcome}")
        if s.unmatched_labels:
            click.echo(f"{'':<{width}}  labels with no category (sent to the default): "
                       + ", ".join(repr(x) for x in s.unmatched_labels))
        if s.unparsed_dates:
            click.echo(f"{'':<{width}}  dates that did not parse (first seen used): "
                       + ", ".join(repr(x) for x in s.unparsed_dates[:5]))
    pub = report.published
    click.echo(f"{len(pub.written)} feed file(s) written, {len(pub.unchanged)} unchanged "
               f"in {config.output_dir} ({report.seconds:.2f}s)")


@main.command("check")
@config_option
def check_command(config_path: Path) -> None:
    """Validate sources.yaml without fetching anything.

    Each problem is printed as FILE:LINE: KEY: MESSAGE.

    \b
    Example:
      feedhub check -c sources.yaml
    """
    config = _load(config_path)
    click.echo(f"{config_path}: ok ({len(config.sources)} sources, "
               f"{len(config.categories)} categories)")


@main.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
def serve_command(config_path: Path, host: str, port: int) -> None:
    """Serve the feeds with Flask's development server (use gunicorn in production).

    \b
    Example:
      feedhub serve --port 8000
    """
    from .web import create_app

    _load(config_path)
    app = create_app({"FEEDHUB_CONFIG": str(config_path)})
    click.echo(f"Serving {config_path} at http://{host}:{port}/")
    app.run(host=host, port=port)
