"""Issue 7 item 7: a broken sources.yaml is rejected with file, line and key, and the feeds that
were published before stay byte for byte as they were.

Each case is data: data/config/<case>.yaml is the broken config (paths relative to the bundled
project) and <case>.expected holds the lines the error must contain, ``{file}`` standing for
the config's path. Adding a case adds two files.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import EXIT_CONFIG, main

DATA = Path(__file__).resolve().parent / "data" / "config"
CASES = sorted(DATA.glob("*.yaml"))
ROOT = Path(__file__).resolve().parents[2]


def test_every_case_has_its_expectation() -> None:
    assert len(CASES) >= 7
    for case in CASES:
        assert case.with_suffix(".expected").is_file(), case.name


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled project, built once: a folder with sources.yaml, examples/ and feeds/."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "examples", root / "examples")
    shutil.copy(ROOT / "sources.yaml", root / "sources.yaml")
    result = CliRunner().invoke(main, ["-q", "build", "-c", str(root / "sources.yaml")])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_broken_config_is_rejected_and_feeds_are_untouched(
    case: Path, published: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(published, project)
    config = project / "sources.yaml"
    shutil.copy(case, config)
    before = snapshot(project / "feeds")
    assert any(name.endswith(".rss") for name in before)

    started = time.monotonic()
    result = CliRunner().invoke(main, ["build", "-c", str(config)])
    assert time.monotonic() - started < 30  # a bound against hangs, not a speed target

    assert result.exit_code == EXIT_CONFIG, result.output
    assert "Nothing was built; the published feeds are unchanged." in result.stderr
    for expected in case.with_suffix(".expected").read_text().splitlines():
        assert expected.replace("{file}", str(config)) in result.stderr, result.stderr
    assert snapshot(project / "feeds") == before

    # `feedhub check --json` reports the same problem as data, with file, line and key.
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(config)])
    assert result.exit_code == EXIT_CONFIG
    assert '"file": "' + str(config) + '"' in result.stdout
