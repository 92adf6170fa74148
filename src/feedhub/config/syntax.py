"""A YAML syntax error in sources.yaml -> one problem in plain words, at the line to fix, with
that line quoted and a caret under the column.

PyYAML names parser states ("expected <block end>, but found '<block mapping start>'") and often
the line after the mistake: the first key of a block indented unlike the keys below it is
noticed at the next key. This module reads the error's problem and context marks and the lines
around them, and names the common mistakes: a key indented less or more than its neighbours, a
tab, a missing space after ``key:`` or ``-``, a quote or bracket never closed, ``: `` inside an
unquoted value. Anything else keeps YAML's own words, at its line, quoted the same way.

Must not: compose YAML (:mod:`.document` does) or know which keys sources.yaml has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..errors import ConfigProblem

KEY_RE = re.compile(r"^(\s*)(-\s+)?([A-Za-z_][\w.-]*)\s*:(?=\s|$)")
"""A line holding ``key:`` (after an optional ``- ``); groups: indent, dash, key."""
NO_SPACE_AFTER_COLON_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.-]*):(?=[^\s:/])")
NO_SPACE_AFTER_DASH_RE = re.compile(r"^\s*-(?=[A-Za-z_\"'\[{])")
KEY_WRITTEN_RE = re.compile(r"^\s*(?:-\s*)?([A-Za-z_][\w.-]*)\s*:")
"""The key written on a line, space after its colon or not: the KEY of the problem's line."""
CLOSERS = {"[": "]", "{": "}"}


@dataclass(frozen=True)
class QuotedProblem(ConfigProblem):
    """A problem shown with the line of the file it is on, and a caret under its column.

    ``str()`` is the ``FILE:LINE: KEY: MESSAGE`` line followed by the excerpt, indented to sit
    under it in :class:`~feedhub.errors.ConfigError`'s list; ``message`` stays one line."""

    excerpt: str = ""
    """Two lines: ``58 | <the line as written>`` and a caret under the column."""

    def __str__(self) -> str:
        return super().__str__() + "".join(f"\n    {row}" for row in self.excerpt.splitlines())


def syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> ConfigProblem:
    """``exc`` (raised composing ``text``, the content of ``file``) as one problem in plain
    words at the line to fix, quoting that line."""
    lines = text.splitlines()
    at, column, message = _explain(lines, exc)
    if at < 0:
        return ConfigProblem(file, 0, "", f"not valid YAML: {message}")
    written = lines[at] if at < len(lines) else ""
    key = found.group(1) if (found := KEY_WRITTEN_RE.match(written)) else ""
    return QuotedProblem(file, at + 1, key, f"not valid YAML: {message}",
                         excerpt=_excerpt(at + 1, written, column))


def _excerpt(number: int, written: str, column: int) -> str:
    gutter = f"{number} | "
    # Tabs copied into the caret's padding keep the caret under its character however wide
    # the terminal draws a tab.
    pad = "".join("\t" if c == "\t" else " " for c in written[:column])
    return f"{gutter}{written}\n{' ' * (len(gutter) - 2)}| {pad}^"


def _explain(lines: list[str], exc: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """(0-based line, column, message) of the mistake; line -1 when YAML gave no mark."""
    problem, context = exc.problem or "", exc.context or ""
    mark, start = exc.problem_mark, exc.context_mark
    if mark is None and start is None:
        return -1, 0, problem or str(exc)
    if "'\\t'" in problem and mark is not None:
        return mark.line, mark.column, ("a tab character: YAML indents with spaces only; "
                                        "replace the tab with spaces")
    if context == "while scanning a quoted scalar" and start is not None:
        quote = _char(lines, start.line, start.column) or '"'
        return start.line, start.column, (f"the quote `{quote}` opened here is never closed: "
                                          f"end the value with `{quote}`")
    if "unknown escape character" in problem and mark is not None:
        return mark.line, mark.column, (f"{problem}: in double quotes a backslash starts an "
                                        "escape; write \\\\ for a backslash, or use single "
                                        "quotes")
    if context.startswith("while parsing a flow") and start is not None:
        opener = _char(lines, start.line, start.column) or "["
        closer = CLOSERS.get(opener, "]")
        return start.line, start.column, (f"the `{opener}` opened here is never closed: end it "
                                          f"with `{closer}` on the same line, or write one item "
                                          "per line instead")
    if mark is None:
        assert start is not None
        return start.line, start.column, problem or str(exc)
    if problem == "could not find expected ':'" and start is not None:
        return _line_without_key(lines, start.line)
    if problem == "mapping values are not allowed here" or problem.startswith(
            "expected <block end>"):
        found = _same_line_mistake(lines, mark.line, mark.column, problem)
        if found is not None:
            return found
        return _indentation(lines, mark.line, mark.column)
    if problem.startswith("sequence entries are not allowed"):
        return mark.line, mark.column, ("a list cannot start on the line of its key: put each "
                                        "`- item` on a line of its own below the key, indented, "
                                        "or write the list as [a, b]")
    return mark.line, mark.column, problem or str(exc)


def _char(lines: list[str], line: int, column: int) -> str:
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


def _content(lines: list[str], at: int, step: int) -> int:
    """The nearest line from ``at`` (excluded) in direction ``step`` holding more than
    spaces or a comment; -1 when there is none."""
    at += step
    while 0 <= at < len(lines):
        if lines[at].strip() and not lines[at].lstrip().startswith("#"):
            return at
        at += step
    return -1


def _key_column(written: str) -> int:
    """The column of the line's key (after its ``- ``), else of its first character."""
    found = KEY_RE.match(written)
    if found is None:
        return len(written) - len(written.lstrip())
    return len(found.group(1)) + len(found.group(2) or "")


def _key_name(written: str) -> str:
    found = KEY_RE.match(written)
    return f"`{found.group(3)}:`" if found else ""


def _missing_space(lines: list[str], at: int) -> tuple[int, int, str] | None:
    """A ``key:value`` or ``-key`` on line ``at``, which YAML reads as one word."""
    written = lines[at] if 0 <= at < len(lines) else ""
    if (found := NO_SPACE_AFTER_COLON_RE.match(written)) is not None:
        value = written[found.end():].strip()
        return at, found.end(), (f"missing space after `{found.group(1)}:`: write "
                                 f"`{found.group(1)}: {value}`")
    if (found := NO_SPACE_AFTER_DASH_RE.match(written)) is not None:
        return at, found.end(), (f"missing space after `-`: write "
                                 f"`- {written[found.end():].strip()}`")
    return None


def _line_without_key(lines: list[str], at: int) -> tuple[int, int, str]:
    """YAML found a line of text where a ``key:`` belongs."""
    found = _missing_space(lines, at)
    if found is not None:
        return found
    written = lines[at] if at < len(lines) else ""
    return at, len(written) - len(written.lstrip()), (
        "this line has no `key: value`: write it as `key: value`, or indent it under the key "
        "whose value it continues")


def _same_line_mistake(lines: list[str], at: int, column: int, problem: str
                       ) -> tuple[int, int, str] | None:
    """A mistake YAML noticed in the middle of a line (not at its first character), or in a
    ``key:value`` just above."""
    written = lines[at] if at < len(lines) else ""
    before = written[:column]
    if before.strip():
        if problem == "mapping values are not allowed here" and re.search(r":\s", before):
            found = KEY_RE.match(written)
            value = written[found.end():].strip() if found else written.strip()
            name = found.group(3) if found else "key"
            quoted = value.replace('"', '\\"')
            return at, column, (f"a value holding `: ` must be in quotes: write "
                                f"`{name}: \"{quoted}\"`")
        if before.rstrip().endswith(("\"", "'")):
            return at, column, ("text after the closing quote: put the whole value inside "
                                "the quotes")
    above = _content(lines, at, -1)
    return _missing_space(lines, above) if above >= 0 else None


def _indentation(lines: list[str], at: int, column: int) -> tuple[int, int, str]:
    """YAML noticed a line whose indentation does not fit the lines above it. The mistake is
    on that line, unless the line before it is the odd one out: the line after agrees with
    this one (the first key of a block indented unlike the keys below it is noticed at the
    second key)."""
    above, below = _content(lines, at, -1), _content(lines, at, 1)
    here = lines[at] if at < len(lines) else ""
    if above < 0:
        return at, column, "this line is indented unlike the lines around it"
    if (below >= 0 and _key_column(lines[below]) == _key_column(here)
            and _key_column(lines[above]) != _key_column(here) and KEY_RE.match(lines[above])):
        culprit, reference, where = above, at, "below"
    else:
        culprit, reference, where = at, above, "above"
    written, other = lines[culprit], lines[reference]
    mine, theirs = _key_column(written), _key_column(other)
    caret = len(written) - len(written.lstrip())
    if not KEY_RE.match(written) and culprit > reference and other.rstrip().endswith(":"):
        return culprit, caret, (f"a value on the line after its key must be indented more "
                                f"than {_key_name(other)} (line {reference + 1}), or put it on "
                                "the same line as its key")
    if mine == theirs:
        return culprit, caret, "this line is indented unlike the lines around it"
    direction = "less" if mine < theirs else "more"
    name, their_name = _key_name(written), _key_name(other)
    if name and their_name:
        advice = f"align {name} with {their_name} {where} it (line {reference + 1})"
    else:
        advice = f"indent it as line {reference + 1} {where} it is"
    return culprit, caret, f"this line is indented {direction} than the keys around it: {advice}"
