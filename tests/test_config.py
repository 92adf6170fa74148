from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config, parse_config, parse_duration
from feedhub.errors import ConfigError

VALID_HEAD = """\
site:
  title: Test
  base_url: https://news.example.org
categories:
  - slug: press
    labels: [Press release]
sources:
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/tmp/sources.yaml"))
    return [str(p) for p in info.value.problems]


def test_bundled_config_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent / "sources.yaml")
    assert [s.id for s in config.sources] == ["ilo-newsroom", "ilo-press", "ilo-features"]
    assert config.category("features") is not None
    features = config.category("features")
    assert features is not None and "Our impact, their voices" in features.labels


def test_wrong_kind_names_line_and_key() -> None:
    text = VALID_HEAD + "  - id: a\n    kind: rss\n    url: https://x.example/feed\n"
    assert problems(text) == [
        "/tmp/sources.yaml:9: sources[a].kind: must be one of feed, html, got 'rss'"
    ]


def test_unknown_key_suggests() -> None:
    text = VALID_HEAD + "  - id: a\n    kind: feed\n    ulr: https://x.example/feed\n"
    found = problems(text)
    assert "/tmp/sources.yaml:10: sources[a].ulr: unknown key; did you mean 'url'?" in found


def test_yaml_syntax_error_has_line() -> None:
    found = problems(VALID_HEAD + "  - id: [unclosed\n")
    # Reported where the unclosed list starts, not at the end of the file where YAML noticed.
    assert found[0].startswith("/tmp/sources.yaml:8: id: not valid YAML:")


def test_undefined_category_and_duplicate_id() -> None:
    text = VALID_HEAD + (
        "  - id: a\n    kind: feed\n    url: https://x.example/a\n    category: nope\n"
        "  - id: a\n    kind: feed\n    path: b.xml\n"
    )
    found = problems(text)
    assert any(":11: sources[a].category: no category 'nope'" in p for p in found)
    assert any(":12: sources[a].id: duplicate source id 'a'" in p for p in found)


def test_alias_bomb_is_refused() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(ConfigError) as info:
        parse_config("x: 1\n" + "\n".join(lines).replace("a8:", "site:"), Path("s.yaml"))
    assert "s.yaml:7: a5: more than 1000000 values once aliases are expanded" in \
        str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_config("site: &s\n  title: [*s]\n", Path("s.yaml"))
    assert "s.yaml:1: site.title[0]: an alias refers to itself" in str(info.value)


def test_stars_that_are_not_aliases_and_harmless_aliases_are_read() -> None:
    """Only a text with a * can hold an alias; a * in a value is no alias, and an alias that
    expands to little is fine."""
    text = VALID_HEAD + (
        "  - id: a\n    kind: html\n    url: https://x.example/*\n    category: press\n"
        "    selectors: &sel {item: 'ul > *', title: a, link: a@href}\n"
        "  - id: b\n    kind: html\n    url: https://x.example/b\n    category: press\n"
        "    selectors: *sel\n"
    )
    config = parse_config(text, Path("s.yaml"))
    assert config.sources[0].location == "https://x.example/*"
    assert config.sources[1].selectors == config.sources[0].selectors
    assert config.sources[1].selectors is not None
    assert config.sources[1].selectors.item == "ul > *"


def test_check_command_reports_line_and_builds_nothing(project: Path) -> None:
    text = project.read_text()
    project.write_text(text.replace("kind: feed", "kind: fed", 1))
    result = CliRunner().invoke(main, ["check", "-c", str(project)])
    assert result.exit_code == 2
    line = text.splitlines().index("    kind: feed") + 1
    assert f"{project}:{line}: sources[ilo-press].kind: must be one of feed, html, got 'fed'" in \
        result.output
    result = CliRunner().invoke(main, ["build", "-c", str(project)])
    assert result.exit_code == 2
    assert not (project.parent / "feeds").exists()


def test_serve_section_durations_and_origins(tmp_path: Path) -> None:
    base = (Path(__file__).resolve().parent.parent / "sources.yaml").read_text(encoding="utf-8")
    path = tmp_path / "sources.yaml"
    config = parse_config(base + "\nserve:\n  refresh: 15m\n  cors_origins: [https://a.example]\n",
                          path)
    assert config.serve.refresh == 900 and config.serve.max_age == 900
    assert config.serve.stale_after == 2700
    assert config.serve.cors_origins == ("https://a.example",)
    assert parse_config(base, path).serve.max_age == 900
    assert parse_config(base, path).serve.refresh == 0
    with pytest.raises(ConfigError) as info:
        parse_config(base + "\nserve:\n  max_age: soon\n  cors_origins: [a.example/x]\n", path)
    text = str(info.value)
    assert "serve.max_age" in text and "15m" in text and "serve.cors_origins[0]" in text


VALID = sorted((Path(__file__).parent / "data" / "config" / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", [*VALID, Path("sources.yaml")], ids=lambda p: p.name)
def test_libyaml_reads_every_config_as_the_python_loader_does(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feedhub.config import document

    assert document._FAST_LOADER is not None, "PyYAML was installed without LibYAML"
    path = path if path.is_absolute() else Path(__file__).parent.parent / path
    text = path.read_text(encoding="utf-8")
    fast = parse_config(text, path)
    monkeypatch.setattr(document, "_FAST_LOADER", None)
    assert parse_config(text, path) == fast


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90), (" 90 ", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400),
    ("1h30m", 5400), ("1h 30m", 5400), ("1d12h", 129600), ("2h0m15s", 7215), ("0", 0),
    ("", None), ("h", None), ("soon", None), ("1.5h", None), ("-5m", None),
    ("1h30", None),  # a number after a unit needs its own unit
    ("30m1h", None), ("1h1h", None), ("15 minutes", None), ("1w", None),
])
def test_durations(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


def test_compound_durations_in_a_config_and_the_error_for_a_bare_number(tmp_path: Path) -> None:
    base = (Path(__file__).resolve().parent.parent / "sources.yaml").read_text(encoding="utf-8")
    path = tmp_path / "sources.yaml"
    config = parse_config(base + "\nserve:\n  refresh: 1h30m\n", path)
    assert config.serve.refresh == 5400
    with pytest.raises(ConfigError) as info:
        parse_config(base + "\nserve:\n  refresh: 1h30\n", path)
    line = len(base.splitlines()) + 3
    assert f"{path}:{line}: serve.refresh: must be a duration such as 90, 30s, 15m, 2h, 1h30m " \
           "or 1d, got '1h30'" in str(info.value)
