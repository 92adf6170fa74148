"""How a `feedhub` process ends: an ordinary exit, with the documented exit code, its output
on a pipe complete, and no process or semaphore left behind. Each case runs ``python -m
feedhub`` (or a short script) in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Buffered, as stdout on a pipe is by default (this sandbox sets PYTHONUNBUFFERED).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def feedhub(*args: str, stdout: int | None = subprocess.PIPE,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "feedhub", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120, env=ENV, cwd=cwd)


def test_each_outcome_has_its_exit_code(project: Path) -> None:
    built = feedhub("build", "-c", str(project))
    assert built.returncode == 0, built.stderr
    assert "feed file(s) written" in built.stdout.splitlines()[-1]
    assert feedhub("check", "-c", str(project.parent / "missing.yaml")).returncode == 2
    assert feedhub("no-such-command").returncode == 2
    text = project.read_text("utf-8").replace("examples/features.atom", "examples/gone.atom")
    project.write_text(text, "utf-8")
    failed = feedhub("build", "-c", str(project), "--force")
    assert failed.returncode == 1
    assert "ilo-features" in failed.stdout


def test_a_json_result_on_a_pipe_is_complete(project: Path) -> None:
    """The whole document reaches a pipe (block-buffered) before the process ends."""
    done = feedhub("schema")
    assert done.returncode == 0
    assert json.loads(done.stdout)["$schema"]
    done = feedhub("check", "-c", str(project), "--json")
    assert (done.returncode, json.loads(done.stdout)["ok"]) == (0, True)


def test_a_closed_stdout_ends_quietly_with_status_1() -> None:
    """The reader went away (``feedhub schema | true``): click's broken-pipe handling ends the
    command with status 1 and no traceback, whether the output was short or long."""
    for args in (["--version"], ["schema"]):
        read, write = os.pipe()
        os.close(read)
        try:
            done = feedhub(*args, stdout=write)
        finally:
            os.close(write)
        assert (done.returncode, done.stderr) == (1, ""), args


def test_worker_processes_are_cleaned_up_without_warnings() -> None:
    """multiprocessing's exit handler runs: no leaked-semaphore warning from the resource
    tracker, and the pool's forkserver does not outlive the process."""
    script = textwrap.dedent("""
        from feedhub.processes import process_pool
        with process_pool(2, print) as pool:
            assert sum(pool.map(abs, range(-50, 0))) == 1275
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=ENV)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr and "Warning" not in done.stderr, done.stderr
