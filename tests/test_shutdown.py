"""feedhub.shutdown.finish: a process ends as sys.exit would have ended it, minus Python's
teardown. Each case runs in a process of its own, as the feedhub command does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


def run(body: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    script = "from feedhub.shutdown import finish\n" + textwrap.dedent(body)
    # Buffered, as stdout on a pipe is by default (this sandbox sets PYTHONUNBUFFERED).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", script], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=60, env=env)


@pytest.mark.parametrize(("code", "status", "stderr"), [
    ("0", 0, ""), ("None", 0, ""), ("3", 3, ""), ("'no config'", 1, "no config\n"),
])
def test_the_status_is_what_sys_exit_gives(code: str, status: int, stderr: str) -> None:
    done = run(f"finish({code})")
    assert (done.returncode, done.stderr) == (status, stderr)
    plain = subprocess.run([sys.executable, "-c", f"import sys; sys.exit({code})"],
                           capture_output=True, text=True, timeout=60)
    assert (plain.returncode, plain.stderr) == (status, stderr)


def test_buffered_output_and_atexit_handlers_are_not_lost() -> None:
    done = run("""
        import atexit, logging, sys
        logging.basicConfig(stream=sys.stderr, format="%(message)s")
        atexit.register(lambda: print("atexit ran"))
        sys.stdout.write("x" * 100)  # a pipe is block-buffered: still in the buffer
        logging.getLogger("t").warning("logged")
        finish(0)
        print("never")
    """)
    assert done.returncode == 0
    assert done.stdout == "x" * 100 + "atexit ran\n"
    assert done.stderr == "logged\n"


def test_a_thread_python_would_wait_for_is_waited_for() -> None:
    done = run("""
        import threading, time
        def late():
            time.sleep(0.3)
            print("thread done", flush=True)
        threading.Thread(target=late).start()
        finish(4)
    """)
    assert (done.returncode, done.stdout) == (4, "thread done\n")


def test_a_closed_stdout_gives_python_s_status() -> None:
    """The reader went away (``feedhub ... | head``): the flush fails, as it does for Python."""
    for body in ('sys.stdout.write("y" * 10)\nfinish(0)', 'sys.stdout.write("y" * 10)'):
        read, write = os.pipe()
        os.close(read)
        try:
            done = run("import sys\n" + body, stdout=write)
        finally:
            os.close(write)
        assert done.returncode == 120, (body, done.stderr)


def test_worker_processes_are_cleaned_up_without_warnings() -> None:
    """multiprocessing's atexit handler still runs: no leaked-semaphore warning from the
    resource tracker, and the pool's forkserver does not outlive the process."""
    done = run("""
        import os
        from feedhub.processes import process_pool
        with process_pool(2, print) as pool:
            assert sum(pool.map(abs, range(-50, 0))) == 1275
        print(os.getpid())
        finish(0)
    """)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr and "Warning" not in done.stderr, done.stderr
