"""Durations and sizes as sources.yaml writes them: ``1h30m`` -> seconds, ``10MB`` -> bytes.

Pure text -> number functions, shared by the config walker and the command line (``feedhub
serve --refresh``, the web app's refresh setting), which print DURATION_EXAMPLES when a value is
not a duration. The shipped JSON Schema's duration pattern says the same as DURATION_RE.

Must not: import yaml or know about config keys; report problems (callers do, at their line).
"""

from __future__ import annotations

import re

DURATION_RE = re.compile(r"\s*(?:(\d+)|(?=\d)(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*"
                         r"(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?)\s*")
"""Seconds alone, or numbers with units from the largest down, each once: 90, 90s, 15m,
1h30m, 1d 12h. The shipped JSON Schema's duration pattern says the same."""
DURATION_UNITS = (1, 86400, 3600, 60, 1)
"""Seconds per unit of each group of DURATION_RE: bare, d, h, m, s."""
DURATION_EXAMPLES = "90, 30s, 15m, 2h, 1h30m or 1d"

SIZE_RE = re.compile(r"(\d+) ?(B|kB|MB|GB|KiB|MiB|GiB)")
SIZE_UNITS = {"B": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3,
              "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
"""Bytes per unit of SIZE_RE: SI units in powers of 1000, binary ones (KiB) of 1024."""


def parse_duration(text: str) -> int | None:
    """``90``, ``90s``, ``15m``, ``2h``, ``1h30m``, ``1d 12h`` -> seconds; None when it is not
    a duration (no number, units out of order or twice, a number left without a unit after
    one with a unit: ``1h30`` could mean 30 seconds or 30 minutes)."""
    match = DURATION_RE.fullmatch(text)
    if match is None:
        return None
    return sum(int(n) * unit for n, unit in zip(match.groups(), DURATION_UNITS, strict=True) if n)


def parse_size(value: object) -> int | None:
    """Bytes in ``1048576``, ``"10MB"``, ``"512 KiB"``; None if not a size."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 1 else None
    match = SIZE_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match[1]) == 0:
        return None
    return int(match[1]) * SIZE_UNITS[match[2]]
