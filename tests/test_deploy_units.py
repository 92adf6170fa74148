"""deploy/*.service, the sample systemd units of docs/deployment.md: they parse, systemd accepts
every line (``systemd-analyze verify``, where installed), they keep the hardening the docs
promise, and the commands they start exist (the gunicorn app spec loads the app)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn.util import import_app

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ["feedhub-worker.service", "feedhub-web.service"]
VENV_BIN = "/srv/feedhub/venv/bin"
"""Where the units expect feedhub's virtualenv; the tests put this one's in its place."""


def parse(name: str) -> configparser.ConfigParser:
    # systemd keys are case-sensitive and may repeat; no "%" interpolation (systemd's own).
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"), source=name)
    return parser


@pytest.mark.parametrize("name", UNITS)
def test_unit_runs_as_its_own_user_restarts_and_is_hardened(name: str) -> None:
    unit = parse(name)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["User"] == service["Group"] == "feedhub"
    assert service["EnvironmentFile"] == "/etc/feedhub/feedhub.env"
    assert service["Restart"] in {"always", "on-failure"}
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert "/srv/feedhub/feeds" in service["ReadWritePaths"].split()
    assert service["ExecStart"].startswith(VENV_BIN + "/")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_worker_unit_starts_a_worker() -> None:
    assert parse("feedhub-worker.service")["Service"]["ExecStart"].split()[1:] == ["worker"]


def test_web_unit_app_spec_loads_the_app(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    command = parse("feedhub-web.service")["Service"]["ExecStart"].split()
    assert Path(command[0]).name == "gunicorn"
    config = tmp_path / "sources.yaml"
    shutil.copy(Path(__file__).resolve().parent.parent / "src" / "feedhub" / "data"
                / "starter.yaml", config)
    monkeypatch.setenv("FEEDHUB_CONFIG", str(config))
    app = import_app(command[-1])  # what gunicorn does with the last argument
    assert app.name == "feedhub.web"


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_every_line(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that ExecStart's program exists: point it at this virtualenv.
    unit = tmp_path / name
    unit.write_text((DEPLOY / name).read_text(encoding="utf-8").replace(
        VENV_BIN, str(Path(sys.executable).parent)), encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          timeout=60)
    # A bad key or value is only a warning ("Unknown key ..., ignoring"), exit code 0.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize("name", UNITS)
def test_docs_show_the_unit_as_shipped(name: str) -> None:
    docs = (DEPLOY.parent / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert (DEPLOY / name).read_text(encoding="utf-8").rstrip() in docs, (
        f"docs/deployment.md's copy of deploy/{name} is out of date")
