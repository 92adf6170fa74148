"""Packaging (issue 11 item 6). SLOW, about 30-60 s: builds a wheel, installs it into a fresh
virtualenv, and checks the installed command works and carries its data files (starter sample,
JSON Schema, templates, static files); then installs the source tree itself (`pip install .`)
into the same virtualenv and checks again. Run alone with `pytest -m packaging`; skip with
`-m "not packaging"`. Needs the package index (or pip's cache) for the dependencies.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from feedhub import __version__

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = ["feedhub/data/sources.schema.json", "feedhub/data/starter.yaml",
              "feedhub/data/examples/newsroom.html", "feedhub/data/examples/press-releases.rss",
              "feedhub/py.typed", "feedhub/templates/index.html", "feedhub/static/feedhub.js",
              "feedhub/locale/feedhub.pot", *(f"feedhub/locale/{language}/LC_MESSAGES/feedhub.po"
                                              for language in ("fr", "de", "es"))]

pytestmark = pytest.mark.packaging


def run(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def source_tree(tmp_path: Path) -> Path:
    """A copy of what `pip install .` reads, so building leaves the work tree clean."""
    tree = tmp_path / "src-tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "CHANGES.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return tree


def check_installed(venv: Path, work: Path) -> None:
    feedhub = venv / "bin" / "feedhub"
    assert run(feedhub, "--version").strip() == f"feedhub, version {__version__}"
    assert run(venv / "bin" / "python", "-m", "feedhub", "--version").strip().endswith(
        __version__)
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    run(feedhub, "init", "-c", project / "sources.yaml")
    assert "ok (2 sources" in run(feedhub, "check", "-c", project / "sources.yaml")
    # The starter builds offline, from the examples init wrote beside it.
    run(feedhub, "-q", "build", "-c", project / "sources.yaml")
    assert (project / "feeds" / "press-releases.rss").read_text().count("<item>") == 4
    shutil.rmtree(project)
    project.mkdir()
    assert '"$schema"' in run(feedhub, "schema")
    # The bundled sample project builds with the installed templates, static files and
    # catalogs (here the French one: the site speaks French).
    shutil.copytree(ROOT / "examples", project / "examples")
    sources = (ROOT / "sources.yaml").read_text("utf-8")
    (project / "sources.yaml").write_text(sources.replace("language: en", "language: fr", 1))
    run(feedhub, "-q", "build", "-c", project / "sources.yaml")
    assert (project / "feeds" / "all.rss").is_file()
    index = (project / "feeds" / "index.html").read_text("utf-8")
    assert '<html lang="fr">' in index and "Comment s’abonner" in index
    assert (project / "feeds" / "static" / "feedhub.js").is_file()
    # Imported from the virtualenv, not from this work tree.
    where = run(venv / "bin" / "python", "-c", "import feedhub; print(feedhub.__file__)")
    assert str(venv) in where


def test_wheel_and_source_install_into_a_clean_virtualenv(tmp_path: Path) -> None:
    tree = source_tree(tmp_path)
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, tree)
    [wheel] = wheels.glob("feedhub-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA_FILES) <= names, set(DATA_FILES) - names
    assert not any(name.startswith("tests/") for name in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    check_installed(venv, tmp_path / "wheel-run")

    # `pip install .` from the source tree (dependencies are already there).
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
        "--force-reinstall", ".", cwd=tree)
    check_installed(venv, tmp_path / "source-run")
