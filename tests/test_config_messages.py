"""What a newcomer reads when sources.yaml is wrong: YAML mistakes in plain words at the line to
fix with that line quoted, a time zone suggested from the real zone list, and problems named by
source id and listed in the order of the file.

Each case is a small sources.yaml text and the lines feedhub must print for it.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import parse_config
from feedhub.config.checks import TIMEZONE_EXAMPLE
from feedhub.errors import ConfigError

HEAD = """\
site:
  title: T
  base_url: https://x.example
sources:
"""
FIRST_LINE_RE = re.compile(r"^[^:]+:\d+: (?:[\w.\[\]-]+: )?\S")
"""The FILE:LINE: KEY: MESSAGE shape that tools parse."""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("s.yaml"))
    return [str(p) for p in info.value.problems]


def only_problem(text: str) -> list[str]:
    """The one problem of ``text``, as its printed lines."""
    [problem] = problems(text)
    lines = problem.splitlines()
    assert FIRST_LINE_RE.match(lines[0]), lines[0]
    return lines


# Each: the text, the first printed line, the quoted line and the caret line.
SYNTAX_CASES = {
    "a key indented less than the key above it": (
        HEAD + "  - id: a\n    kind: feed\n   title: x\n    url: https://x.example/f\n",
        "s.yaml:7: title: not valid YAML: this line is indented less than the keys around it: "
        "align `title:` with `kind:` above it (line 6)",
        "    7 |    title: x",
        "      |    ^"),
    "a key indented more than the key above it": (
        HEAD + "  - id: a\n      kind: feed\n    url: https://x.example/f\n",
        "s.yaml:6: kind: not valid YAML: this line is indented more than the keys around it: "
        "align `kind:` with `id:` above it (line 5)",
        "    6 |       kind: feed",
        "      |       ^"),
    # YAML notices the odd first key of a block only at the second key, on the next line.
    "the first key of a block indented less than the keys below it": (
        HEAD + "  - id: a\n    kind: html\n    path: a.html\n    selectors:\n     item: li\n"
        "      title: h2\n      link: a@href\n",
        "s.yaml:9: item: not valid YAML: this line is indented less than the keys around it: "
        "align `item:` with `title:` below it (line 10)",
        "    9 |      item: li",
        "      |      ^"),
    "a tab": (
        HEAD + "  - id: a\n\tkind: feed\n",
        "s.yaml:6: kind: not valid YAML: a tab character: YAML indents with spaces only; "
        "replace the tab with spaces",
        "    6 | \tkind: feed",
        "      | ^"),
    "no space after the colon": (
        HEAD + "  - id: a\n    kind:feed\n    url: https://x.example/f\n",
        "s.yaml:6: kind: not valid YAML: missing space after `kind:`: write `kind: feed`",
        "    6 |     kind:feed",
        "      |          ^"),
    "no space after the dash": (
        HEAD + "  -id: a\n    kind: feed\n",
        "s.yaml:5: id: not valid YAML: missing space after `-`: write `- id: a`",
        "    5 |   -id: a",
        "      |    ^"),
    "an unclosed quote": (
        HEAD + '  - id: a\n    title: "Press\n    kind: feed\n',
        's.yaml:6: title: not valid YAML: the quote `"` opened here is never closed: end the '
        'value with `"`',
        '    6 |     title: "Press',
        "      |            ^"),
    "an unclosed bracket": (
        HEAD + "  - id: a\n    kind: feed\n    labels: [News, Press\n    url: u\n",
        "s.yaml:7: labels: not valid YAML: the `[` opened here is never closed: end it with "
        "`]` on the same line, or write one item per line instead",
        "    7 |     labels: [News, Press",
        "      |             ^"),
    "a colon inside a value": (
        HEAD + "  - id: a\n    title: Note: this\n",
        's.yaml:6: title: not valid YAML: a value holding `: ` must be in quotes: write '
        '`title: "Note: this"`',
        "    6 |     title: Note: this",
        "      |                ^"),
}


@pytest.mark.parametrize("case", SYNTAX_CASES, ids=lambda c: c.replace(" ", "-"))
def test_yaml_mistake_in_plain_words_at_its_line(case: str) -> None:
    text, *expected = SYNTAX_CASES[case]
    assert only_problem(text) == expected


def test_duplicate_key_names_the_first_line() -> None:
    text = HEAD + "  - id: a\n    kind: feed\n    url: https://x.example/f\n" \
                  "    url: https://x.example/g\n"
    assert only_problem(text) == [
        "s.yaml:8: sources[a].url: duplicate key: `url` is already given on line 7; keep one "
        "of them"]


def test_json_keeps_one_line_message_per_syntax_problem(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(HEAD + "  - id: a\n    kind: feed\n   title: x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--json", "-c", str(config)])
    assert result.exit_code == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["line"] == 7 and problem["key"] == "title"
    assert problem["message"].startswith("not valid YAML: this line is indented less")
    assert "\n" not in problem["message"]
    text = CliRunner().invoke(main, ["check", "-c", str(config)])
    assert "\n    7 |    title: x\n      |    ^" in text.stderr


def test_unknown_time_zone_suggests_the_closest_real_one() -> None:
    text = HEAD + "  - {id: a, kind: feed, url: 'https://x.example/f', timezone: Europe/Zurch}\n"
    assert only_problem(text) == [
        "s.yaml:5: sources[a].timezone: unknown time zone 'Europe/Zurch'; "
        "did you mean 'Europe/Zurich'?"]
    city = HEAD + "  - {id: a, kind: feed, url: 'https://x.example/f', timezone: New York}\n"
    assert "did you mean 'America/New_York'?" in only_problem(city)[0]


def test_time_zone_example_is_a_real_zone() -> None:
    text = HEAD + "  - {id: a, kind: feed, url: 'https://x.example/f', timezone: Mars/Olympus}\n"
    [line] = only_problem(text)
    example = re.findall(r"such as '([^']+)'", line)
    assert example == [TIMEZONE_EXAMPLE]
    zoneinfo.ZoneInfo(example[0])


def test_problems_name_the_source_by_its_id() -> None:
    text = HEAD + (
        "  - id: ilo-press\n    kind: feed\n    url: https://x.example/f\n"
        "  - id: ilo-news\n    kind: html\n    url: https://x.example/n\n"
        "    selectors:\n      item: li\n      dat: .date\n"
        "  - kind: feed\n    url: https://x.example/g\n"
        "  - id: 2024\n    kind: feed\n    url: https://x.example/h\n"
    )
    assert problems(text) == [
        "s.yaml:13: sources[ilo-news].selectors.dat: unknown key; did you mean 'date'?",
        "s.yaml:14: sources[2].id: is required",
        # YAML reads 2024 as a number: no id to name the source by.
        "s.yaml:16: sources[3].id: must be text, got '2024' (a int); put it in quotes: "
        '"2024"',
    ]


def test_problems_are_listed_in_the_order_of_the_file() -> None:
    text = (
        "site:\n  title: T\n  base_url: ftp://x.example\n"
        "categories:\n  - slug: Press\n"
        "sources:\n  - {id: a, kind: fed, url: 'https://x.example/f'}\n"
        "fetch:\n  retries: 99\n"
        "serve:\n  refresh: soon\n"
        "store: mysql://x\n"
    )
    lines = [int(p.split(":")[1]) for p in problems(text)]
    assert lines == [3, 5, 7, 9, 11, 12]
