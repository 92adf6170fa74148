from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.web import create_app

from .support.httpd import LocalServer

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


@pytest.fixture
def httpd() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with scripted routes (see tests/support/httpd.py)."""
    with LocalServer() as server:
        yield server
