"""sources.yaml text -> its YAML node tree, every node with its line.

The walker checks nodes, not a loaded dict, so that each problem can name its line. This module
composes the tree (LibYAML when PyYAML has it), hands a syntax error to :mod:`.syntax` to be
explained, and refuses an alias bomb (or an alias inside itself) before anything walks the
tree.

Must not: read files (:mod:`.load` does), know which keys sources.yaml has, or construct values.
"""

from __future__ import annotations

import yaml

from ..errors import ConfigError, ConfigProblem
from .syntax import syntax_problem

MAX_NODES = 1_000_000
"""More nodes than this (after alias expansion) is refused: it stops YAML alias bombs (a bomb
grows exponentially) yet reads real configs: 4 000 sources are about 100 000 nodes."""

_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""LibYAML's loader when PyYAML has it (its wheels do): about 15x faster on a config of 1,000
sources, with the same nodes and line marks. Its error messages are terser: a document it
refuses is read again with the Python loader, whose message is the one reported."""


def line_of(node: yaml.Node | None) -> int:
    """The 1-based line where ``node`` starts; 0 when there is no node to point at."""
    return node.start_mark.line + 1 if node is not None else 0


def read_document(text: str, file: str) -> yaml.Node:
    """The node tree of ``text`` (the content of ``file``), or ConfigError with the syntax
    problem, an empty document or an alias bomb."""
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([syntax_problem(file, text, exc)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file, 0, "", f"not valid YAML: {exc}")]) from exc
    except RecursionError as exc:
        raise ConfigError([ConfigProblem(file, 0, "", "not valid YAML: nested too deeply")]
                          ) from exc
    if root is None:
        raise ConfigError([ConfigProblem(file, 0, "", "the file is empty")])
    if "*" in text:
        # Only an alias (written *name) expands: a text without one is at most as many values
        # as it has characters, and the walk counts them. Sizing 250 sources' nodes was
        # a fifth of reading their config.
        _check_expanded_size(root, file)
    return root


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # explained by the Python loader below (or refused there too)
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _expanded_size_ok(root: yaml.Node) -> bool:
    """Whether the document has at most MAX_NODES values once its aliases are expanded and no
    alias inside itself: :func:`_check_expanded_size` without the paths it names in its
    errors (building a path for every node was a third of reading 1,000 sources)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in active:
            raise RecursionError
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
                if total > MAX_NODES:
                    raise RecursionError
        elif isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                total += size(knode) + size(vnode)
                if total > MAX_NODES:
                    raise RecursionError
        active.discard(key)
        sizes[key] = total
        return total

    try:
        size(root)
    except RecursionError:  # a problem (or nesting too deep to tell): explained by the check
        return False
    return True


def _check_expanded_size(root: yaml.Node, file: str) -> None:
    """Refuse a document that has more than MAX_NODES values once its aliases are expanded (a
    YAML alias bomb) or an alias inside itself, before anything walks it. Each distinct node is
    sized once, so this costs the size of the text, not of the expansion."""
    if _expanded_size_ok(root):
        return
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, path: str) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError([ConfigProblem(file, line_of(node), path,
                                             "an alias refers to itself (recursive YAML)")])
        active.add(key)
        children: list[tuple[yaml.Node, str]] = []
        if isinstance(node, yaml.SequenceNode):
            children = [(child, f"{path}[{i}]") for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                name = f"{path}.{knode.value}" if path else str(knode.value)
                children += [(knode, name), (vnode, name)]
        total = 1
        for child, child_path in children:
            total += size(child, child_path)
            if total > MAX_NODES:
                raise ConfigError([ConfigProblem(
                    file, line_of(node), path,
                    f"more than {MAX_NODES} values once aliases are expanded; is this an "
                    "alias bomb? Write the values out instead of nesting aliases")])
        active.discard(key)
        sizes[key] = total
        return total

    size(root, "")
