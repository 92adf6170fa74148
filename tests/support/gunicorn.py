"""`gunicorn wsgi:app`, the production command, on a free 127.0.0.1 port for a test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .nginx import ROOT, free_port, wait_for_port


@contextmanager
def gunicorn(config: Path, workers: int = 2, threads: int = 2) -> Iterator[tuple[int, list[str]]]:
    """Yields (port, log): ``log`` holds gunicorn's stderr once the server has stopped."""
    port = free_port()
    binary = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(binary), "--workers", str(workers), "--threads", str(threads), "--worker-class",
         "gthread", "--graceful-timeout", "5", "--bind", f"127.0.0.1:{port}", "--chdir",
         str(ROOT), "wsgi:app"],
        env={**os.environ, "FEEDHUB_CONFIG": str(config)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log: list[str] = []
    try:
        wait_for_port(port, 30)
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # a busy machine: never leave it running
            process.kill()
            process.wait(30)
        assert process.stderr is not None
        log.append(process.stderr.read().decode())
        process.stderr.close()
