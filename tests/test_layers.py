"""The layer contract of src/feedhub, read from the source with ``ast`` (docs/architecture.md).

Every import of a feedhub module counts, at the top of a module or inside a function; only
those under ``if TYPE_CHECKING:`` do not (they never run). Two rules:

- no import circles between modules (a circle means a concept is missing between the two:
  move the shared part down a floor);
- a module imports only its own floor or the floors below it, by the table below.

The table names top-level modules and packages (``fetch`` covers fetch.py or fetch/ and all
its modules). A new top-level module fails the test until it is added to a floor.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "feedhub"

FLOORS: list[tuple[str, frozenset[str]]] = [
    # ground: records, errors, process plumbing; stdlib and nothing of feedhub's above them
    ("ground", frozenset({"feedhub", "model", "errors", "processes"})),
    # helpers: small pure vocabularies every stage may use
    ("helpers", frozenset({"dates", "categories", "addresses", "redact", "titles", "links",
                           "logs"})),
    # stages, in the pipeline's order: a stage may use the types and constants of the stages
    # before it (normalise reads extract's caps, publish reads the store), never one after it
    ("stage: config", frozenset({"config"})),
    ("stage: fetch", frozenset({"fetch", "render"})),
    ("stage: extract", frozenset({"extract"})),
    ("stage: normalise", frozenset({"normalise"})),
    ("stage: store", frozenset({"store"})),
    ("stage: publish", frozenset({"publish"})),
    # orchestration: wires the stages into builds, workers, previews and health
    ("orchestration", frozenset({"parsing", "sync", "schedule", "pipeline", "worker",
                                 "refresh", "health", "preview", "add", "reports",
                                 "sourcefetch", "sourcetrip", "merge", "published_with",
                                 "drift", "incidents", "fulltext"})),
    # commands: what a person or a web server runs
    ("commands", frozenset({"cli", "web", "docs", "__main__"})),
]


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int

    def where(self) -> str:
        return f"{self.importer} -> {self.imported} (line {self.line})"


def module_name(path: Path) -> str:
    parts = ["feedhub", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all but those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def edges(known: dict[str, Path]) -> list[Edge]:
    """feedhub -> feedhub imports: ``from .x import y`` names ``x.y`` when that is a module."""
    found: list[Edge] = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in runtime_imports(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    stem = ".".join([*base, node.module] if node.module else base)
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem
                           for alias in node.names]
            for target in targets:
                while target and target not in known:  # import feedhub.x.y names feedhub.x.y
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.append(Edge(name, target, node.lineno))
    return found


def unit(module: str) -> str:
    """The table's name for a module: its top-level module or package under feedhub."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def floor_of(module: str) -> int | None:
    return next((i for i, (_, names) in enumerate(FLOORS) if unit(module) in names), None)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per group of modules that import each other, as a path from the group's
    first module back to it."""
    return [path_through(graph, group) for group in circles(graph)]


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other (Tarjan's strongly connected
    components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A circle inside ``group``: from its first module back to itself (breadth first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, set()) & group):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return sorted(group)  # pragma: no cover - a strongly connected group has a circle


def test_every_module_is_on_a_floor() -> None:
    missing = sorted({unit(m) for m in modules() if floor_of(m) is None})
    assert not missing, (f"new top-level module(s) {missing} are on no floor: add it to a "
                         "layer in FLOORS (tests/test_layers.py) and to docs/architecture.md")


def test_no_import_circles() -> None:
    known = modules()
    graph: dict[str, set[str]] = {}
    for edge in edges(known):
        graph.setdefault(edge.importer, set()).add(edge.imported)
    found = []
    for group in circles(graph):
        path = path_through(graph, group)
        others = sorted(group - set(path))
        found.append(" -> ".join(path) + (f" (also on circles: {', '.join(others)})"
                                          if others else ""))
    assert not found, ("import circles (move the shared part down a floor):\n"
                       + "\n".join(found))


def test_no_import_reaches_up_a_floor() -> None:
    upward = []
    for edge in edges(modules()):
        low, high = floor_of(edge.importer), floor_of(edge.imported)
        if low is not None and high is not None and high > low:
            upward.append(f"{edge.where()}: {FLOORS[low][0]} imports {FLOORS[high][0]}")
    assert not upward, "imports that reach up a floor:\n" + "\n".join(upward)


def test_the_reader_sees_type_checking_and_function_imports() -> None:
    """The contract reads what it claims to read: a function's import counts, a
    TYPE_CHECKING one does not, and ``from . import x`` names the module x."""
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n"
                     "else:\n    import b\ndef f():\n    import c\n")
    assert [ast.unparse(n) for n in runtime_imports(tree)] == [
        "from typing import TYPE_CHECKING", "import b", "import c"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
