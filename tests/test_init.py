"""`feedhub init` writes a starter that passes `feedhub check`, explains every key, and
builds offline from the examples it writes beside it."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import json_schema, load_config

EXAMPLES = ["newsroom.html", "press-releases.rss"]


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["init", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "feedhub check" in result.output
    config = load_config(path)
    assert {s.kind.value for s in config.sources} == {"feed", "html"}
    assert runner.invoke(main, ["check", "-c", str(path)]).exit_code == 0

    path.write_text("# mine\n")
    result = runner.invoke(main, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert path.read_text() == "# mine\n"
    assert runner.invoke(main, ["init", "-c", str(path), "--force"]).exit_code == 0
    assert path.read_text().startswith("# feedhub sources")
    # No temp file left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples", "sources.yaml"]
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == EXAMPLES


def test_first_build_of_the_starter_works_offline(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`feedhub init && feedhub check && feedhub build`, as its --help says, in an empty
    folder: every source reads the examples init wrote, and their items are published."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in (["init"], ["check"], ["build"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, (command, result.output)
    config = load_config(tmp_path / "sources.yaml")
    assert not any(s.is_remote for s in config.sources)  # nothing on the network
    assert all(s.location.startswith("examples/") for s in config.sources)
    titles = [e.findtext("title") for e in ET.parse(tmp_path / "feeds" / "all.rss").iter("item")]
    assert len(titles) == 9
    assert "The Mill Lane footbridge reopens after repairs" in titles  # the listing page
    assert "New chair of trustees appointed" in titles  # the feed
    news = ET.parse(tmp_path / "feeds" / "news.rss").iter("item")
    assert {e.findtext("pubDate") for e in news} >= {"Thu, 12 Jun 2025 00:00:00 +0000"}
    press = [e.findtext("title") for e in
             ET.parse(tmp_path / "feeds" / "press-releases.rss").iter("item")]
    assert len(press) == 4
    assert "ERROR" not in result.output and "dated when first seen" not in result.output


def test_init_keeps_an_example_the_user_changed(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["init", "-c", str(path)]).exit_code == 0
    # The examples as init wrote them are no obstacle to a fresh starter.
    path.unlink()
    assert runner.invoke(main, ["init", "-c", str(path)]).exit_code == 0
    page = tmp_path / "examples" / "newsroom.html"
    page.write_text("<p>mine</p>")
    path.unlink()
    result = runner.invoke(main, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "newsroom.html exists and differs" in result.output and "--force" in result.output
    assert not path.exists() and page.read_text() == "<p>mine</p>"  # nothing written
    assert runner.invoke(main, ["init", "-c", str(path), "--force"]).exit_code == 0
    assert page.read_text().startswith("<!DOCTYPE html>")


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_init_writes_files_as_the_umask_allows(tmp_path: Path, mask: int, mode: int) -> None:
    """Readable by the web server's user unless the umask says otherwise (as `touch` does)."""
    os.umask(mask)
    path = tmp_path / "sources.yaml"
    assert CliRunner().invoke(main, ["init", "-c", str(path)]).exit_code == 0
    for written in (path, *(tmp_path / "examples").iterdir()):
        assert stat.S_IMODE(written.stat().st_mode) == mode, written
    # A file that exists keeps its mode.
    path.chmod(0o640)
    assert CliRunner().invoke(main, ["init", "-c", str(path), "--force"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_starter_explains_every_key_in_a_comment(tmp_path: Path) -> None:
    """Every schema key appears (optional sections may be commented out) with a comment."""
    path = tmp_path / "sources.yaml"
    CliRunner().invoke(main, ["init", "-c", str(path)])
    lines = path.read_text().splitlines()
    schema = json_schema()
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys |= set(definition.get("properties", {}))
    for key in keys:
        pattern = re.compile(rf"^\s*(#\s*)?(- )?{key}:")
        at = [i for i, line in enumerate(lines) if pattern.match(line)]
        assert at, f"the starter does not show {key!r}"
        # Explained on its line, or on the comment line just above it.
        assert any("#" in lines[i] or lines[i - 1].lstrip().startswith("#") for i in at), key


def test_starter_commented_sections_are_valid_when_uncommented(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    CliRunner().invoke(main, ["init", "-c", str(path)])
    text = re.sub(r"(?m)^( *)# (\s*(- )?[a-z_]+:)(?=\s)", r"\1\2", path.read_text())
    assert "\nserve:\n  refresh: 15m" in text
    assert "\n    url: https://www.example.org/press/feed.xml" in text
    assert "\n  - id: our-news\n    kind: feed\n    url: https://" in text  # the web source
    text = text.replace("    path: examples/press-releases.rss", "")
    text = text.replace("    path: examples/newsroom.html", "")
    path.write_text(text)
    config = load_config(path)
    assert config.serve.refresh == 900
    assert [s.id for s in config.sources] == ["our-press-releases", "our-newsroom", "our-news"]
    assert config.sources[2].location == "https://www.example.org/news/feed.xml"
