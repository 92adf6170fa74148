"""How a feedhub command's process ends: at once, once its work is flushed.

Python's own ending clears every module and frees every object one at a time: after a warm
build of 250 sources that took 10-25 ms on the 2-core machine of bench/build.py, about a
twentieth of the build, for memory the kernel takes back whole anyway. :func:`finish` does
what that ending does that anyone could notice (atexit handlers: logging, multiprocessing's
clean-up of its semaphores and helper processes; flushing stdout and stderr) and then ends
the process without the rest.

Commands close their store and files themselves; nothing of feedhub's depends on a
destructor running at exit. When a thread Python would wait for (not a daemon) is still
running, or :func:`finish` is not called from the main thread, the process ends the usual way.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn

FLUSH_FAILED = 120
"""Python's exit status when flushing stdout or stderr at exit fails (a closed pipe)."""


def exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` ends a process with; a message is written to stderr as
    Python would."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def finish(code: object = 0) -> NoReturn:
    """End the process as ``sys.exit(code)`` would, without Python's teardown."""
    status = exit_status(code)
    waits = threading.current_thread() is not threading.main_thread() or any(
        not thread.daemon and thread is not threading.current_thread()
        for thread in threading.enumerate())
    if waits:
        sys.exit(status)
    gc.freeze()  # a collection between here and the end would walk every object for nothing
    atexit._run_exitfuncs()  # the handlers Python runs at exit, in the same order
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            status = status or FLUSH_FAILED
    os._exit(status)
