"""The JSON Schema (data/sources.schema.json) and feedhub.config's walker agree.

Sample configs under tests/data/config/: valid/ both accept, invalid/ both reject, walker_only/
holds what a JSON Schema cannot express (uniqueness, cross-references, the zone list), which
the schema accepts and the walker rejects. Adding a case adds a file.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import json_schema, parse_config
from feedhub.config import schema as config_module
from feedhub.errors import ConfigError
from feedhub.model import Config, Selectors, Site, SourceKind

DATA = Path(__file__).parent / "data" / "config"
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def schema_ok(data: Any) -> bool:
    return VALIDATOR.is_valid(data)


def walker_problems(text: str, name: str = "sources.yaml") -> list[str]:
    try:
        parse_config(text, Path(name))
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


def cases(folder: str) -> list[Path]:
    found = sorted((DATA / folder).glob("*.yaml"))
    assert found, folder
    return found


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", cases("valid"), ids=lambda p: p.name)
def test_valid_samples_pass_both(path: Path) -> None:
    text = path.read_text()
    assert walker_problems(text) == []
    assert schema_ok(yaml.safe_load(text)), list(VALIDATOR.iter_errors(yaml.safe_load(text)))


@pytest.mark.parametrize("path", cases("invalid"), ids=lambda p: p.name)
def test_invalid_samples_fail_both(path: Path) -> None:
    text = path.read_text()
    assert walker_problems(text), "the walker accepted it"
    assert not schema_ok(yaml.safe_load(text)), "the schema accepted it"


@pytest.mark.parametrize("path", cases("walker_only"), ids=lambda p: p.name)
def test_walker_only_rules(path: Path) -> None:
    text = path.read_text()
    assert walker_problems(text), "the walker accepted it"
    assert schema_ok(yaml.safe_load(text)), "the schema rejects it: move it to invalid/"


def _definitions() -> dict[str, dict[str, Any]]:
    schema = json_schema()
    return {"": schema, **{k: v for k, v in schema["$defs"].items() if "properties" in v}}


TIED = {("source", "url"), ("source", "path"), ("source", "full_text")}
"""Optional keys whose absence is still an error in the full sample (url-or-path, a
content_selector without full_text)."""


def _objects_at(data: dict[str, Any], definition: str) -> list[dict[str, Any]]:
    """Every mapping in a loaded config that the given $defs entry ("" = top) describes, found
    by walking the data along the schema, so a new section needs no change here."""
    schema = json_schema()
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(node: dict[str, Any], value: Any, name: str) -> None:
        if "$ref" in node:
            ref = node["$ref"].rsplit("/", 1)[1]
            walk(schema["$defs"][ref], value, ref)
            return
        if isinstance(value, dict) and "properties" in node:
            found.setdefault(name, []).append(value)
            for key, sub in node["properties"].items():
                if key in value:
                    walk(sub, value[key], "")
        elif isinstance(value, list) and "items" in node:
            for element in value:
                walk(node["items"], element, "")

    walk(schema, data, "")
    return found.get(definition, [])


def test_full_sample_uses_every_key_of_the_schema() -> None:
    full = yaml.safe_load((DATA / "valid" / "full.yaml").read_text())
    for definition, node in _definitions().items():
        used = set().union(*(o.keys() for o in _objects_at(full, definition)))
        assert set(node["properties"]) <= used, (definition, set(node["properties"]) - used)


def test_walker_allows_exactly_the_schema_keys() -> None:
    assert set(json_schema()["properties"]) == config_module.TOP_KEYS
    for name, keys in [("site", config_module.SITE_KEYS),
                       ("category", config_module.CATEGORY_KEYS),
                       ("source", config_module.SOURCE_KEYS),
                       ("selectors", config_module.SELECTOR_KEYS),
                       ("serve", config_module.SERVE_KEYS)]:
        assert keys == set(json_schema()["$defs"][name]["properties"]), name
    # Every key the walker allows is one it reads: a config using all of them yields a model
    # whose every field differs from its default somewhere.
    assert json_schema()["$defs"]["source"]["properties"]["kind"]["enum"] == \
        [k.value for k in SourceKind]


@pytest.mark.parametrize("definition", [d for d in _definitions() if d])
def test_required_keys_agree(definition: str) -> None:
    """Dropping a required key fails both, naming the key; dropping an optional one fails
    neither (except where a rule ties keys together, checked by the samples)."""
    full = yaml.safe_load((DATA / "valid" / "full.yaml").read_text())
    node = _definitions()[definition]
    required = set(node.get("required", []))
    for key in node["properties"]:
        data = copy.deepcopy(full)
        target = next(o for o in _objects_at(data, definition) if key in o)
        del target[key]
        found = walker_problems(yaml.safe_dump(data, sort_keys=False))
        if key in required:
            assert not schema_ok(data), key
            assert any(f".{key}: is required" in p or f" {key}: is required" in p
                       for p in found), (key, found)
        elif (definition, key) in TIED:
            assert not schema_ok(data) and found, key
        else:
            assert schema_ok(data), key
            assert found == [], (key, found)


def test_missing_required_key_names_the_line_of_its_mapping() -> None:
    text = "site:\n  title: T\nsources:\n  - id: a\n    url: https://x.example/f\n"
    assert "sources.yaml:2: site.base_url: is required" in walker_problems(text)
    assert "sources.yaml:4: sources[a].kind: is required" in walker_problems(text)


def test_schema_defaults_are_the_model_defaults() -> None:
    defs = json_schema()["$defs"]
    for record, definition in [(Site, "site"), (Selectors, "selectors")]:
        for f in dataclasses.fields(record):
            schema_default = defs[definition]["properties"][f.name].get("default")
            if f.default is not dataclasses.MISSING:
                assert schema_default == f.default, (definition, f.name)
    for name in ("store", "output"):
        model_default = next(f.default for f in dataclasses.fields(Config) if f.name == name)
        assert json_schema()["properties"][name]["default"] == model_default


def test_schema_command_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    import json

    assert json.loads(result.output) == json_schema()
