"""Adding a source to a sources.yaml text (``feedhub add``): the new entry goes at the end of
the ``sources:`` list, and every other byte, comment and key order stays as the user wrote it.

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
