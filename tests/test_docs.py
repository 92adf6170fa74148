"""The generated docs, checked here: docs/configuration.md's sources.yaml reference is the
schema's, and docs/commands.md's help section is the CLI's."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from feedhub.cli import main as cli
from feedhub.config import json_schema
from feedhub.docs import (
    COMMANDS_END,
    COMMANDS_START,
    END,
    START,
    command_help,
    main,
    reference,
    render_commands,
    render_readme,
)

README = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def schema_keys() -> set[str]:
    schema = json_schema()
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys |= set(definition.get("properties", {}))
    return keys


def test_readme_reference_is_generated_from_the_schema() -> None:
    text = README.read_text()
    assert render_readme(text) == text, (
        "docs/configuration.md is out of date: run `python -m feedhub.docs`")
    assert main([str(README), "--check"]) == 0


def test_reference_lists_every_key_with_its_meaning() -> None:
    table = reference()
    for key in schema_keys():
        rows = [line for line in table.splitlines() if line.startswith(f"| `{key}` |")]
        assert rows, key
        assert all(not row.endswith("|  |") for row in rows), f"{key} has no description"


def test_a_schema_change_makes_the_check_fail(tmp_path: Path) -> None:
    schema = json_schema()
    changed = {**schema, "properties": {**schema["properties"],
                                        "extra": {"type": "string", "description": "New."}}}
    text = README.read_text()
    assert "| `extra` |" in render_readme(text, changed)
    stale = tmp_path / "README.md"
    stale.write_text(text.replace(START, START + "\nhand edit", 1))
    assert main([str(stale), "--check"]) == 1
    assert main([str(stale)]) == 0
    assert stale.read_text() == text


def test_readme_example_shows_every_key() -> None:
    text = README.read_text()
    section = text[text.index(END):]
    start = section.index("```yaml")
    example = section[start:section.index("```", start + 7)]
    shown = set(re.findall(r"(?m)^\s*(?:- )?([a-z_]+):", example))
    assert schema_keys() <= shown, sorted(schema_keys() - shown)


COMMANDS = Path(__file__).resolve().parent.parent / "docs" / "commands.md"


def test_commands_doc_holds_every_commands_current_help() -> None:
    text = COMMANDS.read_text()
    assert render_commands(text) == text, (
        "docs/commands.md is out of date: run `python -m feedhub.docs`")
    assert main([str(COMMANDS), "--check"]) == 0
    section = text[text.index(COMMANDS_START):text.index(COMMANDS_END)]
    assert "### `feedhub --help`" in section
    for name in cli.commands:
        assert f"### `feedhub {name} --help`" in section, name
        assert f"Usage: feedhub {name} [OPTIONS]" in section, name


def test_a_help_change_makes_the_commands_check_fail(tmp_path: Path) -> None:
    text = COMMANDS.read_text()

    @click.group()
    def other() -> None:
        """Another CLI."""

    assert "Another CLI." in render_commands(text, other)
    stale = tmp_path / "commands.md"
    stale.write_text(text.replace("Validate sources.yaml", "Check sources.yaml", 1))
    assert main([str(stale), "--check"]) == 1
    assert main([str(stale)]) == 0
    assert stale.read_text() == text


def test_the_help_in_the_docs_does_not_depend_on_the_terminal_or_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    expected = command_help()
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("FEEDHUB_CONFIG", "elsewhere.yaml")
    monkeypatch.setenv("FEEDHUB_SERVE_PORT", "9999")
    assert command_help() == expected
