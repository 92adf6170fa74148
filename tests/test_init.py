"""`feedhub init` writes a starter that passes `feedhub check` and explains every key."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import json_schema, load_config


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
    assert [p.name for p in tmp_path.iterdir()] == ["sources.yaml"]  # no temp file left


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
    text = re.sub(r"(?m)^( *)# (\s*[a-z_]+:)(?=\s)", r"\1\2", path.read_text())
    assert "\nserve:\n  refresh: 15m" in text and "\n    path: press.xml" in text
    text = text.replace("    url: https://www.example.org/press/feed.xml", "")
    path.write_text(text)
    assert load_config(path).serve.refresh == 900
