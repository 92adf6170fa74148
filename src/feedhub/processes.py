"""Worker processes for CPU-bound stages, so a large build uses every core.

Contract: :func:`process_pool` gives a ``concurrent.futures`` process pool started with the
``forkserver`` method: a build has fetch threads running, and forking a threaded process can
copy a lock held by another thread into the child (Python 3.12 warns about it). Each worker
runs ``initializer(*initargs)`` once (open the store, build lookup tables) and then the jobs it
is sent. Callers keep a serial path: a pool is only worth its start (about half a second to
import feedhub in a fresh interpreter) for enough work, and when a worker dies
(``BrokenProcessPool``) the caller does what is left itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

ENV = "FEEDHUB_PROCESSES"
"""Environment variable: how many worker processes a build may use (1: none)."""

MAX_DEFAULT = 4


def default_processes() -> int:
    """``FEEDHUB_PROCESSES`` when set, else the CPUs this process may run on (at most 4)."""
    value = os.environ.get(ENV, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{ENV} must be a whole number of processes, got {value!r}") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT))


def process_pool(processes: int, initializer: Callable[..., object],
                 initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of ``processes`` fresh interpreters, each set up by ``initializer``."""
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=processes, mp_context=context,
                               initializer=initializer, initargs=initargs)
