"""Editing a sources.yaml text in place: adding a source (``feedhub add``; the new entry goes
at the end of the ``sources:`` list) and replacing a source's selectors (``feedhub fix``).
Every other byte, comment and key order stays as the user wrote it.

Must not: validate the result (the caller parses it again before writing) or write files.
"""

from __future__ import annotations

import json

import yaml

from ..errors import ConfigError, ConfigProblem
from .document import line_of


def yaml_scalar(value: str) -> str:
    """``value`` written as a YAML scalar: plain when YAML reads it back unchanged, else
    double-quoted (JSON's string syntax is valid YAML)."""
    plain = value == value.strip() and "\n" not in value and " #" not in value
    if plain and value:
        try:
            plain = yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
    return value if plain and value else json.dumps(value, ensure_ascii=False)


def append_source(text: str, entry: list[str]) -> str:
    """Insert a source entry (lines written at indent 0, starting with "- ") at the end of the
    ``sources:`` list of a sources.yaml text, keeping every other byte, comment and key order
    as it was. The caller re-validates the result before writing it.

    The entry goes right after the last value of the last source (so comments that introduce
    the next top-level key stay in front of it), indented like the list's first item.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    sources = None
    if isinstance(root, yaml.MappingNode):
        for knode, vnode in root.value:
            if knode.value == "sources":
                sources = vnode
    if sources is None:
        body = "\n".join(entry)
        return text + ("" if text.endswith("\n") or not text else "\n") + f"sources:\n{body}\n"
    if not isinstance(sources, yaml.SequenceNode) or sources.flow_style or not sources.value:
        raise ConfigError([ConfigProblem("", line_of(sources), "sources",
                                         "is not a block list (`- id: ...` lines): add the "
                                         "source by hand")])
    first = sources.value[0].start_mark
    line_start = text.rfind("\n", 0, first.index) + 1
    dash = text.index("-", line_start, first.index) - line_start
    last: yaml.Node = sources.value[-1]
    while isinstance(last, yaml.SequenceNode | yaml.MappingNode) and last.value:
        tail = last.value[-1]
        last = tail[1] if isinstance(tail, tuple) else tail
    # A block scalar (| or >) ends after its trailing newlines: step back to its last text.
    end = last.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    end = text.find("\n", end)
    end = len(text) if end < 0 else end
    # Commented-out keys indented under the last item belong to it: keep them with it.
    while end < len(text):
        following = text[end + 1:].split("\n", 1)[0]
        if not following.lstrip().startswith("#") or len(following) - len(
                following.lstrip()) <= dash:
            break
        end += 1 + len(following)
    indented = "\n".join((" " * dash + line) if line else "" for line in entry)
    return f"{text[:end]}\n\n{indented}{text[end:] or chr(10)}"


def _source_node(root: yaml.Node, source_id: str) -> yaml.MappingNode | None:
    """The mapping of the source whose ``id`` is ``source_id`` in a composed sources.yaml."""
    if not isinstance(root, yaml.MappingNode):
        return None
    for knode, vnode in root.value:
        if knode.value == "sources" and isinstance(vnode, yaml.SequenceNode):
            for entry in vnode.value:
                if isinstance(entry, yaml.MappingNode) and any(
                        k.value == "id" and isinstance(v, yaml.ScalarNode)
                        and v.value == source_id for k, v in entry.value):
                    return entry
    return None


def replace_selectors(text: str, source_id: str, rules: dict[str, str]) -> str:
    """Replace the ``selectors:`` block of source ``source_id`` in a sources.yaml text with
    ``rules`` (name -> rule, in order), keeping every other byte as it was: the text from the
    first rule to the end of the last one is rewritten, comments after the block stay. The
    caller re-validates the result before writing it."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    entry = _source_node(root, source_id) if root is not None else None
    if entry is None:
        raise ConfigError([ConfigProblem("", 0, "sources",
                                         f"no source {source_id!r} in block style: edit its "
                                         "selectors by hand")])
    found = [(k, v) for k, v in entry.value if k.value == "selectors"]
    if not found or entry.flow_style:
        raise ConfigError([ConfigProblem("", line_of(entry), source_id,
                                         "has no selectors: block to replace: add the "
                                         "selectors by hand")])
    key, value = found[0]
    block = isinstance(value, yaml.MappingNode) and not value.flow_style and value.value
    indent: int = value.start_mark.column if block else key.start_mark.column + 2
    lines = [f"{name}: {yaml_scalar(rule)}" for name, rule in rules.items()]
    start: int
    end: int
    if block:
        start, end = value.start_mark.index, value.value[-1][1].end_mark.index
        # A block scalar (| or >) ends after its trailing newlines: step back to its text.
        while end > start and text[end - 1] in " \t\r\n":
            end -= 1
        new = ("\n" + " " * indent).join(lines)
    else:
        # A flow mapping ({item: ...}) or an empty value: the block goes on the lines below.
        start, end = key.end_mark.index + 1, value.end_mark.index
        new = "".join(f"\n{' ' * indent}{line}" for line in lines)
    return text[:start] + new + text[end:]
