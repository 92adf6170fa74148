"""The public surface of the CLI: every command has help with an example and is in the README;
global options, environment variables, `python -m feedhub`, logging formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from feedhub import __version__
from feedhub.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
COMMANDS_DOC = (ROOT / "docs" / "commands.md").read_text()
COMMANDS = sorted(main.commands)


def test_there_are_commands() -> None:
    assert {"build", "check", "serve", "init", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`feedhub {name} --help` shows no example"
    example = result.output.split("Example:", 1)[1]
    assert f"feedhub {name}" in example, f"the example of {name} does not run it"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"| `feedhub {name}" in README, f"`feedhub {name}` is not in README's command table"
    assert f"| `feedhub {name}" in COMMANDS_DOC, f"`feedhub {name}` is not in docs/commands.md"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_its_help(name: str) -> None:
    command = main.commands[name]
    text = CliRunner().invoke(main, [name, "--help"]).output
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.opts[-1] in text, (name, param.opts)


def test_exit_codes_and_env_vars_are_documented() -> None:
    for needle in ("Exit codes", "`0`", "`1`", "`2`", "`3`", "FEEDHUB_CONFIG",
                   "FEEDHUB_SERVE_PORT", "_FEEDHUB_COMPLETE", "--log-format json"):
        assert needle in COMMANDS_DOC, needle
    assert "Exit codes" in README and "docs/commands.md" in README
    text = CliRunner().invoke(main, ["--help"]).output
    assert "Exit codes" in text and "FEEDHUB_" in text


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"feedhub, version {__version__}"


def test_python_dash_m_feedhub_works() -> None:
    result = subprocess.run([sys.executable, "-m", "feedhub", "--help"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: feedhub ")


def test_unknown_command_is_a_usage_error() -> None:
    assert CliRunner().invoke(main, ["bulid"]).exit_code == 2


def test_check_json(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(project)])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["ok"] is True and data["problems"] == []
    assert data["sources"] == ["ilo-newsroom", "ilo-press", "ilo-features"]

    project.write_text(project.read_text().replace("kind: feed", "kind: fed", 1))
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(project)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    [problem] = data["problems"]
    assert problem["key"] == "sources[ilo-press].kind" and problem["line"] > 0
    assert problem["file"] == str(project)


def test_settings_come_from_feedhub_env_vars(project: Path) -> None:
    env = {"FEEDHUB_CONFIG": str(project), "FEEDHUB_QUIET": "1"}
    result = CliRunner().invoke(main, ["check"], env=env)
    assert result.exit_code == 0 and result.output == ""
    result = CliRunner().invoke(main, ["check"], env={"FEEDHUB_CONFIG": str(project)})
    assert "ok (3 sources" in result.output


def test_build_logs_one_json_line_per_source(project: Path) -> None:
    result = CliRunner().invoke(main, ["--log-format", "json", "-q", "build", "-c", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [x["source"] for x in lines] == ["ilo-newsroom", "ilo-press", "ilo-features"]
    for line in lines:
        assert line["outcome"] == "ok" and line["level"] == "info"
        assert line["logger"] == "feedhub.build"
        assert isinstance(line["seconds"], float) and line["seconds"] >= 0
        assert line["time"].endswith("+00:00")
    assert lines[0]["found"] == 10


def test_worker_logs_the_same_json_line_per_source_as_build(project: Path) -> None:
    result = CliRunner().invoke(main, ["--log-format", "json", "-q", "worker", "--once",
                                       "-c", str(project)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert sorted(x["source"] for x in lines) == ["ilo-features", "ilo-newsroom", "ilo-press"]
    for line in lines:
        assert line["logger"] == "feedhub.build" and line["outcome"] == "ok"
        assert line["found"] > 0 and isinstance(line["seconds"], float)


def test_build_says_a_failure_once_by_default_and_logs_every_source_with_v(
        project: Path) -> None:
    """By default the report's table says the error; -v adds a log line per source."""
    text = project.read_text().replace("examples/features.atom", "examples/missing.atom")
    project.write_text(text)
    result = CliRunner().invoke(main, ["build", "-c", str(project)])
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.output.count("missing.atom") == 1
    [row] = [line for line in result.stdout.splitlines() if line.startswith("ilo-features")]
    assert "ERROR: " in row and "missing.atom" in row
    assert "ilo-newsroom" in result.stdout  # the table
    result = CliRunner().invoke(main, ["-v", "build", "-c", str(project), "--force"])
    log = result.stderr.splitlines()
    assert len(log) == 3
    assert log[2].startswith("WARNING feedhub.build: source ilo-features:")
    assert "outcome=error" in log[2] and "seconds=" in log[2]


JSON_RUNS = {"build": [], "check": [], "status": [], "preview": ["ilo-press"]}
"""Arguments that make each --json command succeed on the bundled project."""


def test_json_commands_are_the_expected_ones() -> None:
    with_json = {name for name, command in main.commands.items()
                 if any(getattr(p, "name", "") == "as_json" for p in command.params)}
    assert with_json == set(JSON_RUNS), "add the new --json command to JSON_RUNS"


@pytest.mark.parametrize("name", sorted(JSON_RUNS))
def test_json_output_is_one_document_on_stdout(name: str, project: Path) -> None:
    result = CliRunner().invoke(main, [name, "-c", str(project), "--json", *JSON_RUNS[name]])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing else on stdout
    assert isinstance(data, dict) and data


def test_a_command_option_reads_its_feedhub_command_option_variable(project: Path) -> None:
    args = ["preview", "-c", str(project), "ilo-newsroom"]
    assert "more (--limit)" not in CliRunner().invoke(main, args).output
    result = CliRunner().invoke(main, args, env={"FEEDHUB_PREVIEW_LIMIT": "2"})
    assert result.exit_code == 0, result.output
    assert "... and 8 more (--limit)" in result.output
