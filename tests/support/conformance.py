"""Judges of published feeds that feedhub did not write: RFC 4287's RELAX NG schema (trang +
jing from Debian), feedparser, and a JSON Schema of JSON Feed 1.1 (tests/data/jsonfeed).

    problems = atom_schema_problems([path, ...])   # [] when every file is valid
    ids = parsed_ids(path)                          # asserts feedparser's bozo is false
    json_feed_problems(path)
    findings = w3c_findings([path, ...])            # W3C Feed Validator's errors and warnings

The W3C Feed Validation Service runs offline from the feed harness (its README): set
FEEDHUB_HARNESS to the harness folder after its setup.sh; tests that need it skip otherwise.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import feedparser
import jsonschema
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
ATOM_RNC = DATA / "atom" / "rfc4287.rnc"
JSONFEED_SCHEMA = DATA / "jsonfeed" / "jsonfeed-1.1.schema.json"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (scripts/system-deps.sh installs it as root)")
    return path


@functools.cache
def atom_rng() -> Path:
    """RFC 4287 Appendix B converted to RELAX NG XML once per test session."""
    out = Path(tempfile.mkdtemp(prefix="feedhub-rng-")) / "atom.rng"
    subprocess.run([require("trang"), str(ATOM_RNC), str(out)], check=True, timeout=120,
                   capture_output=True)
    return out


def atom_schema_problems(paths: Sequence[Path]) -> list[str]:
    """jing's complaints about ``paths`` (one JVM for all of them)."""
    if not paths:
        return ["no Atom files to check"]
    result = subprocess.run([require("jing"), str(atom_rng()), *map(str, paths)],
                            capture_output=True, text=True, timeout=300)
    lines = (result.stdout + result.stderr).splitlines()
    if result.returncode != 0 and not lines:
        return [f"jing exited {result.returncode}"]
    return lines


def parsed_ids(path: Path) -> list[str]:
    """Entry ids as feedparser reads them; fails when feedparser finds the file ill-formed."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return [entry.id for entry in parsed.entries]


@functools.cache
def _json_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(JSONFEED_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def json_feed_problems(data: bytes) -> list[str]:
    feed = json.loads(data.decode("utf-8"))
    problems = [f"{'/'.join(map(str, e.path))}: {e.message}"
                for e in _json_validator().iter_errors(feed)]
    ids = [item["id"] for item in feed.get("items", [])]
    if len(ids) != len(set(ids)):
        problems.append("duplicate item ids")
    return problems


def w3c_findings(paths: Sequence[Path]) -> list[str]:
    """The W3C Feed Validator's errors and warnings on ``paths`` ([] when there are none), run
    by the feed harness's validate_w3c (FEEDHUB_HARNESS names its folder)."""
    script = Path(os.environ.get("FEEDHUB_HARNESS", "/nonexistent")) / "validate_w3c"
    if not script.is_file():
        pytest.skip("set FEEDHUB_HARNESS to the feed harness folder (after its setup.sh)")
    result = subprocess.run([str(script), *map(str, paths)], capture_output=True, text=True,
                            timeout=300)
    if result.returncode == 2:
        pytest.skip(f"the feed harness is not set up: {result.stderr.strip()[-300:]}")
    lines = result.stdout.splitlines()
    findings = [line.strip() for line in lines if line.strip().startswith(("error:", "warning:"))]
    if not lines or not lines[-1].startswith(f"{len(paths)} feeds:"):
        findings.append(f"validate_w3c said: {(result.stdout + result.stderr)[-500:]}")
    return findings
