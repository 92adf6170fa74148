"""``python -m feedhub``: the same command as ``feedhub``."""

from feedhub.cli import run

run()
