"""``python -m feedhub``: the same command as ``feedhub``."""

from feedhub.cli import main

main(prog_name="feedhub")
