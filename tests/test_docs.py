"""docs/configuration.md's sources.yaml reference is the schema's: generated, checked here."""

from __future__ import annotations

import re
from pathlib import Path

from feedhub.config import json_schema
from feedhub.docs import END, START, main, reference, render_readme

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
