"""The `feedhub` command.

Exit codes (also in docs/commands.md and in ``feedhub --help``):
  0 success; 1 the build ran but at least one source failed (its last good items stay
  published); 2 invalid configuration or usage (nothing was built, nothing overwritten); 3 the
  store or the output folder could not be written.

The group, its global options and the conventions every command follows are in :mod:`.base`;
the commands, one module per family: :mod:`.build` (build, status), :mod:`.sources` (init,
check, schema, preview), :mod:`.edit` (add, fix), :mod:`.serve` (serve, worker). Importing
this package registers them all on :func:`main`.
"""

from __future__ import annotations

from . import build, edit, serve, sources
from .base import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    emit,
    fail,
    load,
    main,
    say,
)
from .build import Progress, print_report


def run() -> None:
    """The ``feedhub`` console script (and ``python -m feedhub``): :func:`main`, which ends
    the process with the command's exit code."""
    main(prog_name="feedhub")


__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "EXIT_SOURCE_FAILED", "Progress", "build",
           "edit", "emit", "fail", "load", "main", "print_report", "run", "say", "serve",
           "sources"]
