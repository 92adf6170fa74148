"""Run Debian's nginx in the foreground with deploy/nginx.conf's server block, on 127.0.0.1.

The block is used verbatim except for its paths and ports (the output folder, the listen
port, the upstream gunicorn address); a temporary prefix holds the pid, logs and temp files.
Used by tests/test_nginx.py and bench/serve.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
SERVER_BLOCK = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")


_GIVEN: set[int] = set()


def free_port() -> int:
    """A free loopback port, never one this process was given before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds}s"
                                   ) from None
            time.sleep(0.05)


def server_block(output: Path, port: int, upstream: str) -> str:
    """deploy/nginx.conf with only its paths and ports replaced."""
    text = SERVER_BLOCK.read_text(encoding="utf-8")
    for old, new in (("/srv/feedhub/feeds", str(output)),
                     ("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"),
                     ("http://127.0.0.1:8000", f"http://{upstream}")):
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return text


class Nginx:
    """``with Nginx(prefix, block) as n:`` runs nginx on ``n.port`` until the block ends."""

    def __init__(self, prefix: Path, block: str, port: int, workers: int = 1) -> None:
        self.prefix = prefix
        self.port = port
        prefix.mkdir(parents=True, exist_ok=True)
        temp = prefix / "temp"
        temp.mkdir(exist_ok=True)
        self.conf = prefix / "nginx.conf"
        # As root the workers must stay root: the temp folders are private to this user.
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(f"""
{user}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    keepalive_requests 100000;
{block}
}}
""", encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Nginx:
        check = subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-e",
                                str(self.prefix / "error.log"), "-c", str(self.conf)],
                               capture_output=True, timeout=30)
        if check.returncode:
            raise RuntimeError(f"nginx rejects the config: {check.stderr.decode()}")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
             "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"nginx exited at start: {err}")
        except (TimeoutError, RuntimeError):
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None
