"""The checking walker: YAML nodes -> plain values, each problem recorded with its file, line
and dotted key (``sources[3].url``) instead of raised, so that one run reports them all.

The section readers (:mod:`.sections`, :mod:`.sources`) ask it for a mapping with the keys the
schema allows, a list, a text, a number in a range, a boolean or a duration; whatever is wrong
becomes a :class:`~feedhub.errors.ConfigProblem` and the caller gets a default to go on with.

Must not: know which keys sources.yaml has (callers pass them), or raise for a bad value (only
for a document too big to walk, see :data:`.document.MAX_NODES`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import yaml

from ..errors import ConfigError, ConfigProblem
from .document import MAX_NODES, line_of
from .units import DURATION_EXAMPLES, parse_duration

STR_TAG = "tag:yaml.org,2002:str"


class Fields(dict[str, yaml.Node]):
    """The key -> value nodes of one YAML mapping, remembering the mapping's own node, so that a
    missing key is reported at the line of the mapping that lacks it."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


class Walker:
    """Turns YAML nodes into plain values while recording problems with their marks."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ConfigProblem] = []
        self.nodes = 0
        self._constructor = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node | None, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, line_of(node), key, message))

    def sorted_problems(self) -> list[ConfigProblem]:
        """The problems in the order of the file (by line, then key), as an editor walks it,
        not in the order the sections are read."""
        return sorted(self.problems, key=lambda p: (p.line, p.key))

    def count(self, node: yaml.Node) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                [ConfigProblem(self.file, node.start_mark.line + 1, "",
                               f"more than {MAX_NODES} values after expanding aliases; "
                               "is this an alias bomb?")]
            )

    def mapping(
        self, node: yaml.Node, key: str, allowed: frozenset[str]
    ) -> Fields | None:
        self.count(node)
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, key, f"must be a mapping of keys ({', '.join(sorted(allowed))})")
            return None
        out = Fields(node)
        first_at: dict[str, int] = {}
        for knode, vnode in node.value:
            self.count(knode)
            name = str(knode.value)
            path = f"{key}.{name}" if key else name
            if name in first_at:
                self.problem(knode, path, f"duplicate key: `{name}` is already given on "
                             f"line {first_at[name]}; keep one of them")
                continue
            first_at[name] = line_of(knode)
            if name not in allowed:
                hint = difflib.get_close_matches(name, sorted(allowed), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else (
                    f"; allowed keys: {', '.join(sorted(allowed))}"
                )
                self.problem(knode, path, f"unknown key{extra}")
                continue
            out[name] = vnode
        return out

    def sequence(self, node: yaml.Node, key: str) -> list[yaml.Node]:
        self.count(node)
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, key, "must be a list")
            return []
        return list(node.value)

    def scalar(self, node: yaml.Node, key: str, tag: str = "str") -> Any:
        self.count(node)
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, key, f"must be a single value ({tag}), not a list or mapping")
            return None
        # A plain string (most values) is its node's text: what SafeConstructor would return.
        value = node.value if node.tag == STR_TAG else self._constructor.construct_object(node)
        if tag == "str":
            if value is None:
                self.problem(node, key, "has no value; give one or remove the key")
                return None
            if not isinstance(value, str):
                # YAML reads yes/no, 2024 and 2024-01-01 as booleans, numbers and dates.
                self.problem(node, key, f"must be text, got {node.value!r} (a "
                             f"{type(value).__name__}); put it in quotes: \"{node.value}\"")
                return None
            return value
        if tag == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                self.problem(node, key, f"must be a whole number, got {value!r}")
                return None
            return value
        if tag == "bool":
            if not isinstance(value, bool):
                self.problem(node, key, f"must be true or false, got {node.value!r}")
                return None
            return value
        raise AssertionError(tag)

    def number(self, fields: Fields, name: str, key: str, default: int, low: int,
               high: int) -> int:
        node = fields.get(name)
        if node is None:
            return default
        path = f"{key}.{name}"
        value = self.scalar(node, path, "int")
        if value is None:
            return default
        if not low <= value <= high:
            self.problem(node, path, f"must be between {low} and {high}, got {value}")
            return default
        return int(value)

    def duration(self, fields: Fields, name: str, key: str, minimum: int = 0
                 ) -> timedelta | None:
        """A duration (see :func:`parse_duration`); None when absent or invalid."""
        node = fields.get(name)
        if node is None:
            return None
        path = f"{key}.{name}"
        self.count(node)
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        seconds = parse_duration(str(text)) if text is not None else None
        if seconds is None or seconds < minimum:
            least = f" of at least {minimum}s" if minimum else ""
            self.problem(node, path, f"must be a duration{least} such as "
                                     f"{DURATION_EXAMPLES}, got {text!r}")
            return None
        return timedelta(seconds=seconds)

    def text(
        self,
        fields: Fields,
        name: str,
        key: str,
        *,
        required: bool = False,
        default: str = "",
        check: Callable[[str], str | None] | None = None,
    ) -> str:
        node = fields.get(name)
        path = f"{key}.{name}" if key else name
        if node is None:
            if required:
                self.problem(fields.node, path, "is required")
            return default
        value = self.scalar(node, path)
        if value is None:
            return default
        if required and not value.strip():
            self.problem(node, path, "must not be empty")
            return default
        if check is not None and (err := check(value)) is not None:
            self.problem(node, path, err)
            return default
        return str(value)

    def flag(self, fields: Fields, name: str, key: str) -> bool:
        """A true/false key; False when absent (or not a boolean, which is reported)."""
        if name not in fields:
            return False
        return bool(self.scalar(fields[name], f"{key}.{name}", "bool"))

    def bounded_int(self, fields: Fields, name: str, key: str, default: int,
                    low: int, high: int) -> int:
        """Like :meth:`number`, with a message that does not repeat the value."""
        if name not in fields:
            return default
        value = self.scalar(fields[name], f"{key}.{name}", "int")
        if value is not None and not low <= value <= high:
            self.problem(fields[name], f"{key}.{name}", f"must be between {low} and {high}")
            return default
        return default if value is None else int(value)

    def texts(self, fields: Fields, name: str, key: str) -> tuple[str, ...]:
        """A list of texts; empty and invalid entries are left out (invalid ones reported)."""
        found: list[str] = []
        if name in fields:
            for j, node in enumerate(self.sequence(fields[name], f"{key}.{name}")):
                value = self.scalar(node, f"{key}.{name}[{j}]")
                if value:
                    found.append(value)
        return tuple(found)
