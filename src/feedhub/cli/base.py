"""The ``feedhub`` group and what every command shares: exit codes, the global options, the
output helpers and the config loader.

Conventions every command follows (add new commands the same way, in the module of their
family, and import that module in ``feedhub/cli/__init__.py``):
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

Must not: hold a command; this module is the floor under the command modules.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from .. import __version__
from ..config import load_config
from ..errors import ConfigError
from ..logs import FORMATS, configure
from ..model import Config
from ..redact import redact_text

EXIT_OK = 0
EXIT_SOURCE_FAILED = 1
EXIT_CONFIG = 2
EXIT_FAILED = 3

DEFAULT_CONFIG = Path("sources.yaml")


def _config_from_group(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A command's ``-c``: its own when given (or from FEEDHUB_CONFIG), else the group's
    (``feedhub -c x.yaml check``), which defaults to sources.yaml too."""
    if ctx.get_parameter_source(param.name or "") is ParameterSource.DEFAULT:
        return ui().config_path
    return value


config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG, envvar="FEEDHUB_CONFIG", show_default=True, show_envvar=True,
    callback=_config_from_group,
    help="The sources.yaml to read (also before the command).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print the result as one JSON document on stdout (nothing else goes there).",
)


@dataclass
class Ui:
    """The global settings, kept on the click context for every command: set by the group's
    options, then by the same options given after the command (see :class:`FeedhubGroup`)."""

    quiet: bool = False
    verbose: int = 0
    log_format: str = "text"
    config_path: Path = DEFAULT_CONFIG
    """The group's ``-c`` (or FEEDHUB_CONFIG): what a command's own ``-c`` falls back to."""

    def configure_logs(self) -> None:
        if self.verbose >= 2:
            level = logging.DEBUG
        elif self.log_format == "json" or self.verbose == 1:
            # JSON logs are for machines: they always carry the per-source lines, even with -q.
            level = logging.INFO
        elif self.quiet:
            level = logging.ERROR
        else:
            level = logging.WARNING
        configure(self.log_format, level)


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


def _on_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the command (``feedhub check -q``): it updates the
    group's settings, then the logging they decide. Not given there, it changes nothing."""
    if ctx.get_parameter_source(param.name or "") is not ParameterSource.COMMANDLINE:
        return
    settings = ui()
    if param.name == "verbose":
        settings.verbose += value
    else:
        setattr(settings, param.name or "", value)
    settings.configure_logs()


def command_options() -> list[click.Option]:
    """The group's -q, -v and --log-format, as every command takes them too. No
    environment variable of their own: FEEDHUB_QUIET and the rest are read by the group."""
    shared = partial(click.Option, callback=_on_command, expose_value=False,
                     allow_from_autoenv=False)
    return [
        shared(["-q", "--quiet"], is_flag=True, help="Print only errors (and --json "
               "results); also before the command."),
        shared(["-v", "--verbose"], count=True, help="Log more: -v every source's outcome, "
               "-vv debug details; also before the command."),
        shared(["--log-format"], type=click.Choice(FORMATS), default="text",
               help="Logs on stderr as readable text or as JSON lines; also before the "
               "command."),
    ]


class FeedhubGroup(click.Group):
    """The ``feedhub`` group: every command it is given takes the global options too, so
    they work before the command or after it (``feedhub -q check``, ``feedhub check -q``)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        taken = {opt for param in cmd.params for opt in param.opts}
        cmd.params.extend(o for o in command_options() if not taken & set(o.opts))
        super().add_command(cmd, name)


@click.group(cls=FeedhubGroup,
             context_settings={"help_option_names": ["-h", "--help"],
                               "auto_envvar_prefix": "FEEDHUB"},
             epilog="Exit codes: 0 ok, 1 a source failed (its last good items stay published), "
                    "2 invalid configuration or usage, 3 the store or the output folder could "
                    "not be written. Global options work before or after the command. Every "
                    "option reads FEEDHUB_<OPTION> (global) or FEEDHUB_<COMMAND>_<OPTION> from "
                    "the environment.")
@click.version_option(__version__, "-V", "--version", prog_name="feedhub")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CONFIG, envvar="FEEDHUB_CONFIG", show_default=True,
              show_envvar=True, help="The sources.yaml the command reads.")
@click.option("-q", "--quiet", is_flag=True, show_envvar=True,
              help="Print only errors (and --json results).")
@click.option("-v", "--verbose", count=True, show_envvar=True,
              help="Log more: -v every source's outcome, -vv debug details.")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              show_envvar=True, help="Logs on stderr as readable text or as JSON lines.")
@click.pass_context
def main(ctx: click.Context, config_path: Path, quiet: bool, verbose: int,
         log_format: str) -> None:
    """feedhub: turn news pages and feeds into clean per-category RSS and Atom feeds.

    \b
    Example:
      feedhub init && feedhub check && feedhub build && feedhub serve
    """
    ctx.obj = Ui(quiet=quiet, verbose=verbose, log_format=log_format, config_path=config_path)
    ctx.obj.configure_logs()
