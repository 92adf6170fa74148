"""The documentation site builds strictly: no broken link, anchor or page left out of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mkdocs_build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(root / "mkdocs.yml"), "--site-dir", str(site)],
        capture_output=True, text=True, timeout=120)


def test_the_docs_build_strictly(tmp_path: Path) -> None:
    result = mkdocs_build(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "security" / "index.html").is_file()


def test_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    (copy / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    for page in (ROOT / "docs").glob("*.md"):
        shutil.copy(page, copy / "docs" / page.name)
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [nowhere](security.md#no-such-part).\n")
    result = mkdocs_build(copy, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-part" in result.stderr


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f" {page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"
