from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..support.httpd import LocalServer
from .browser import Browser, chromium
from .site import Site, Wire

WIRE_TITLES = [
    "Minimum wages rise in 40 countries",
    "Care work: the “invisible” economy & its workers",
    "Heat stress <on the rise> for outdoor workers",
]
WIRE_PICTURES: list[tuple[int, int] | None] = [(480, 270), (300, 400), None]
"""Each story's picture (width, height): wide, tall (pages must crop it, never stretch it), none."""


@pytest.fixture
def wire() -> Iterator[Wire]:
    """The local HTTP source, with three stories dated in the last days (two with pictures)."""
    with LocalServer() as server:
        wire = Wire(server)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
        for n, (title, picture) in enumerate(zip(WIRE_TITLES, WIRE_PICTURES, strict=True)):
            wire.add(title, published=start + timedelta(hours=n), image=picture)
        yield wire


@pytest.fixture
def site(tmp_path: Path, wire: Wire) -> Iterator[Site]:
    """Bundled sources + the wire, built once, served by gunicorn on 127.0.0.1."""
    site = Site(tmp_path / "project", wire)
    with site.served():
        yield site


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium with its own profile, for one test."""
    with chromium(tmp_path / "chromium-profile") as browser:
        yield browser


@pytest.fixture
def partner() -> Iterator[LocalServer]:
    """Another origin: a partner's site on its own port."""
    with LocalServer() as server:
        yield server
