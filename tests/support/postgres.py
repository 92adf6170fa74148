"""A throwaway PostgreSQL cluster for tests, from the Debian binaries (package postgresql).

    cluster = PostgresCluster.start()       # initdb in a temp dir, pg_ctl start on 127.0.0.1
    url = cluster.create_database()         # a fresh empty database per test
    cluster.stop()                          # pg_ctl stop, temp dir removed

As root (PostgreSQL refuses to run as root) the cluster belongs to the ``postgres`` user and
its commands run through ``runuser``. Durability is switched off: the data is thrown away.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first; None when not installed."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0, reverse=True)
    return Path(candidates[0]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    port: int
    run_as: str | None
    user: str = "feedhub"
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    @classmethod
    def start(cls, bindir: Path) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="feedhub-pg-"))
        run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root needs a 'postgres' user to own the "
                                   "test cluster (the Debian package creates it)") from exc
            run_as = "postgres"
        cluster = cls(bindir=bindir, root=root, port=free_port(), run_as=run_as)
        cluster.socket_dir.mkdir()
        if run_as:
            for path in (root, cluster.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        try:
            cluster._run("initdb", "-D", str(cluster.data), "-U", cluster.user, "-A", "trust",
                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            options = (f"-p {cluster.port} -c listen_addresses=127.0.0.1 "
                       f"-k {cluster.socket_dir} -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=100")
            cluster._run("pg_ctl", "-D", str(cluster.data), "-o", options, "-l",
                         str(root / "server.log"), "-w", "-t", "60", "start")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cluster

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
