"""The global options work before and after the command, and `feedhub build`'s own options:
``--json`` (one document) and the source ids that limit a build. Real config, real builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main

IDS = ["ilo-newsroom", "ilo-press", "ilo-features"]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_config_before_or_after_the_command(project: Path) -> None:
    for args in (["-c", str(project), "check"], ["check", "-c", str(project)],
                 ["--config", str(project), "check", "--json"]):
        code, out, err = run(*args)
        assert code == 0, (args, out, err)
        assert str(project) in out
    # The command's own -c wins over the group's.
    code, _, err = run("-c", str(project.parent / "missing.yaml"), "check", "-c", str(project))
    assert code == 0, err


def test_config_from_the_environment_still_works(project: Path, tmp_path: Path) -> None:
    code, out, _ = run("check", env={"FEEDHUB_CONFIG": str(project)})
    assert code == 0 and f"{project}: ok" in out
    code, out, _ = run("-q", "check", env={"FEEDHUB_CONFIG": str(project)})
    assert code == 0 and out == ""
    code, out, _ = run("check", env={"FEEDHUB_CONFIG": str(project), "FEEDHUB_QUIET": "1"})
    assert code == 0 and out == ""
    code, _, err = run("check", env={"FEEDHUB_CONFIG": str(tmp_path / "none.yaml")})
    assert code == 2 and "none.yaml" in err


@pytest.mark.parametrize("args", [["-q", "build"], ["build", "-q"]])
def test_quiet_before_or_after_the_command(project: Path, args: list[str]) -> None:
    code, out, err = run(*args, "-c", str(project))
    assert code == 0, err
    assert out == "" and err == ""


@pytest.mark.parametrize("args", [["-v", "build"], ["build", "-v"]])
def test_verbose_before_or_after_the_command(project: Path, args: list[str]) -> None:
    code, _, err = run(*args, "-c", str(project))
    assert code == 0, err
    assert sorted(line.split()[3].rstrip(":") for line in err.splitlines()) == sorted(IDS)


def test_log_format_after_the_command(project: Path) -> None:
    code, _, err = run("build", "--log-format", "json", "-c", str(project))
    assert code == 0, err
    assert sorted(json.loads(line)["source"] for line in err.splitlines()) == sorted(IDS)


def test_build_json_is_one_document_with_every_source_and_totals(project: Path) -> None:
    code, out, _ = run("build", "--json", "-c", str(project))
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and list(data["sources"]) == IDS
    for outcome in data["sources"].values():
        assert set(outcome) >= {"ok", "found", "new", "updated", "seconds", "error"}
        assert outcome["ok"] and outcome["found"] > 0 and outcome["error"] == ""
    totals = data["totals"]
    assert totals["sources"] == 3 and totals["failed"] == 0
    assert totals["found"] == sum(s["found"] for s in data["sources"].values())
    assert totals["new"] == sum(s["new"] for s in data["sources"].values())


def test_build_json_keeps_the_exit_code_of_a_failed_source(project: Path) -> None:
    project.write_text(project.read_text().replace("examples/features.atom",
                                                   "examples/missing.atom"))
    code, out, _ = run("build", "--json", "-c", str(project))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["totals"]["failed"] == 1
    assert not data["sources"]["ilo-features"]["ok"]
    assert "missing.atom" in data["sources"]["ilo-features"]["error"]


def test_build_only_the_sources_named(project: Path) -> None:
    code, out, err = run("build", "--json", "-c", str(project), "ilo-press")
    assert code == 0, err
    assert list(json.loads(out)["sources"]) == ["ilo-press"]
    code, out, err = run("build", "--json", "-c", str(project), "ilo-features", "ilo-newsroom")
    assert code == 0, err
    assert list(json.loads(out)["sources"]) == ["ilo-newsroom", "ilo-features"]


def test_build_an_unknown_source_id_is_a_usage_error(project: Path) -> None:
    before = sorted(p.name for p in project.parent.iterdir())
    code, out, err = run("build", "-c", str(project), "ilo-press", "nope")
    assert code == 2 and out == ""
    assert "no source 'nope'" in err and all(sid in err for sid in IDS)
    assert sorted(p.name for p in project.parent.iterdir()) == before  # nothing built
    code, out, _ = run("build", "--json", "-c", str(project), "nope")
    assert code == 2 and json.loads(out)["sources"] == IDS
