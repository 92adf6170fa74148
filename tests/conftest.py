from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from feedhub.config import load_config
from feedhub.fetch import forget_robots, forget_turns
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.web import create_app

from .support.httpd import LocalServer
from .support.postgres import PostgresCluster, find_bindir

# CI explores a fixed set of examples, so a green commit stays green on re-run; local runs
# keep drawing new ones (and Hypothesis's database replays any failure they find).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled sources.yaml and examples/ in a temp folder; returns sources.yaml."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copy(ROOT / "sources.yaml", tmp_path / "sources.yaml")
    return tmp_path / "sources.yaml"


@pytest.fixture
def config(project: Path) -> Config:
    return load_config(project)


@pytest.fixture
def built(config: Config) -> Config:
    """The bundled sources, built once."""
    report = build(config)
    assert report.ok, [s.error for s in report.sources]
    return config


@pytest.fixture
def app(built: Config) -> Iterator[Flask]:
    app = create_app({"FEEDHUB_CONFIG": str(built.path), "TESTING": True})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(autouse=True)
def forget_sites() -> None:
    """Each test starts with no site's robots.txt known and no host's request turn booked: a
    test server's port may be another test's, and the process keeps robots.txt for a day."""
    forget_robots()
    forget_turns()


@pytest.fixture
def httpd() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with scripted routes (see tests/support/httpd.py)."""
    with LocalServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole session (tests/support)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql, listed in "
                    "scripts/apt-packages.txt; ./test.sh installs it when run as root)")
    pytest.importorskip("psycopg", reason="pip install 'feedhub[postgres]' (psycopg 3)")
    cluster = PostgresCluster.start(bindir)
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store's URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedhub.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()
