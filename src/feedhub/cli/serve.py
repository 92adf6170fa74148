"""``feedhub serve`` and ``feedhub worker``: the long-running commands (a development web
server, and a worker that shares a store's sources with the other workers).
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path

import click

from ..config import DURATION_EXAMPLES, parse_duration
from ..errors import FeedhubError
from ..worker import WorkerSettings, run_worker
from .base import EXIT_FAILED, config_option, fail, load, main, say


@main.command("serve")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, show_envvar=True,
              help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, show_envvar=True,
              help="Port to bind.")
@click.option("--refresh", default=None, metavar="DURATION", show_envvar=True,
              help="Rebuild in the background this often (900, 15m, 1h; default: the "
              "config's serve.refresh, else never).")
def serve_command(config_path: Path, host: str, port: int, refresh: str | None) -> None:
    """Serve the feeds with Flask's development server (use gunicorn in production).

    \b
    Example:
      feedhub serve --port 8000 --refresh 15m
    """
    load(config_path)
    settings: dict[str, str] = {"FEEDHUB_CONFIG": str(config_path)}
    if refresh is not None:
        if parse_duration(refresh) is None:
            raise click.BadParameter(f"{refresh!r} is not a duration; use {DURATION_EXAMPLES}",
                                     param_hint="--refresh")
        settings["FEEDHUB_REFRESH"] = refresh
    # Here, not at the top: the web app (Flask, Werkzeug, prometheus_client, ~0.1 s) is this
    # command's alone, and every other command, `feedhub build` among them, imports this
    # module to register it.
    from ..web import create_app

    app = create_app(settings)
    say(f"Serving {config_path} at http://{host}:{port}/")
    app.run(host=host, port=port)


@main.command("worker")
@config_option
@click.option("--every", default=None, type=click.IntRange(1), show_envvar=True,
              help="Seconds between two refreshes of every source (default: each source's "
              "refresh, else fetch.refresh).")
@click.option("--lease", default=300, show_default=True, type=click.IntRange(1),
              show_envvar=True, help="Seconds a claimed source stays this worker's; a dead "
              "worker's sources go to another one after this. Longer than any fetch.")
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.05),
              show_envvar=True, help="Seconds between looks at the store when idle.")
@click.option("--publish-delay", default=60, show_default=True, type=click.IntRange(0),
              show_envvar=True, help="Publish after this many seconds even while other "
              "sources are still being refreshed.")
@click.option("--once", is_flag=True, show_envvar=True,
              help="Refresh what is due, publish, then exit.")
@click.option("--name", default="", show_envvar=True,
              help="This worker's name in the store's leases (default host:pid).")
def worker_command(config_path: Path, every: int | None, lease: int, poll: float,
                   publish_delay: int, once: bool, name: str) -> None:
    """Refresh due sources and publish, sharing the work with every other worker of the store.

    Run one or more per machine against one PostgreSQL store (or one per SQLite store). Each
    due source is refreshed by exactly one worker; SIGINT/SIGTERM stop it cleanly.

    \b
    Example:
      feedhub worker -c sources.yaml --every 600
    """
    config = load(config_path)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    settings = WorkerSettings(owner=name,
                              interval=timedelta(seconds=every) if every else None,
                              lease=timedelta(seconds=lease), poll=poll,
                              publish_delay=timedelta(seconds=publish_delay), once=once)
    try:
        run_worker(config, settings, stop=stop, log=say)
    except FeedhubError as exc:
        fail(str(exc), EXIT_FAILED)
