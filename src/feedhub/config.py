"""sources.yaml -> a validated :class:`~feedhub.model.Config`. The only module that imports yaml.

Validation walks the YAML node tree (not the loaded dict) so every problem names the file, the
line and the dotted key. All problems are collected and raised together as one
:class:`~feedhub.errors.ConfigError`; a config with any problem builds nothing.

The JSON Schema shipped in ``feedhub/data/sources.schema.json`` is the one list of keys: the
walker's allowed keys come from it, so adding a key means adding it to the schema (with its
type, default and description, which also become docs/configuration.md) and reading it below.
tests/test_schema.py checks that the schema and the walker give the same verdicts.

Must not: touch the network, the store or the output folder.
"""

from __future__ import annotations

import ipaddress
import json
import pkgutil
import re
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .addresses import normal_host
from .dates import SUPPORTED_LOCALES
from .errors import ConfigError, ConfigProblem
from .model import (
    ALL_SLUG,
    ID_POLICIES,
    Category,
    Config,
    FetchLimits,
    FetchSettings,
    Selectors,
    ServeSettings,
    Site,
    Source,
    SourceKind,
)

STR_TAG = "tag:yaml.org,2002:str"
MAX_NODES = 1_000_000
"""More nodes than this (after alias expansion) is refused: it stops YAML alias bombs (a bomb
grows exponentially) yet reads real configs: 4 000 sources are about 100 000 nodes."""

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_ON_LINE_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.-]*)\s*:")
SOURCE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
HOST_NAME_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                          r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
"""A DNS name as allow_hosts takes it (after :func:`~feedhub.addresses.normal_host`)."""



@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema of sources.yaml, as shipped in the package (``feedhub schema`` prints it)."""
    # pkgutil, not importlib.resources: both read through the package's loader (so a zipped
    # install works), but resources.files() imports importlib's readers and zipfile.
    data = pkgutil.get_data("feedhub", "data/sources.schema.json")
    if data is None:
        raise RuntimeError("feedhub's data/sources.schema.json is missing: reinstall feedhub")
    schema: dict[str, Any] = json.loads(data)
    return schema


def schema_keys(definition: str = "") -> frozenset[str]:
    """The keys allowed in one mapping of sources.yaml: the top level ("") or a ``$defs`` entry."""
    node = json_schema() if not definition else json_schema()["$defs"][definition]
    return frozenset(node["properties"])


# To add a key, add it to data/sources.schema.json (these follow), read it below, show it in
# data/starter.yaml and the full sample, and run `python -m feedhub.docs` for docs/configuration.md.
TOP_KEYS = schema_keys()
SITE_KEYS = schema_keys("site")
CATEGORY_KEYS = schema_keys("category")
SOURCE_KEYS = schema_keys("source")
SELECTOR_KEYS = schema_keys("selectors")
SERVE_KEYS = schema_keys("serve")
DURATION_RE = re.compile(r"\s*(?:(\d+)|(?=\d)(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*"
                         r"(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?)\s*")
"""Seconds alone, or numbers with units from the largest down, each once: 90, 90s, 15m,
1h30m, 1d 12h. The shipped JSON Schema's duration pattern says the same."""
DURATION_UNITS = (1, 86400, 3600, 60, 1)
"""Seconds per unit of each group of DURATION_RE: bare, d, h, m, s."""
DURATION_EXAMPLES = "90, 30s, 15m, 2h, 1h30m or 1d"
FETCH_KEYS = schema_keys("fetch")
KIND_NAMES = ", ".join(k.value for k in SourceKind)


class Fields(dict[str, yaml.Node]):
    """The key -> value nodes of one YAML mapping, remembering the mapping's own node, so that a
    missing key is reported at the line of the mapping that lacks it."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__()
        self.node = node


class _Walker:
    """Turns YAML nodes into plain values while recording problems with their marks."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ConfigProblem] = []
        self.nodes = 0
        self._constructor = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node | None, key: str, message: str) -> None:
        line = _line(node)
        self.problems.append(ConfigProblem(self.file, line, key, message))

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
        for knode, vnode in node.value:
            self.count(knode)
            name = str(knode.value)
            path = f"{key}.{name}" if key else name
            if name in out:
                self.problem(knode, path, "duplicate key; YAML keeps only one of them")
                continue
            if name not in allowed:
                import difflib  # only for a mistake: its import is 6 ms of every start

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


def _check_url(value: str) -> str | None:
    if not re.match(r"^https?://[^/\s]+", value):
        return f"must be an http:// or https:// URL, got {value!r}"
    return None


def _check_timezone(value: str) -> str | None:
    import zoneinfo  # here: ~4 ms of every start, for the sources that set a time zone

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}; use an IANA name such as 'Europe/Geneva'"
    return None


def _check_slug(value: str) -> str | None:
    if not SLUG_RE.match(value):
        return f"must be lowercase letters, digits and single dashes (URL-safe), got {value!r}"
    if value == ALL_SLUG:
        return f"{ALL_SLUG!r} is reserved: every item is published in it already"
    return None


_SIZES = {"B": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3,
          "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_size(value: object) -> int | None:
    """Bytes in ``1048576``, ``"10MB"``, ``"512 KiB"``; None if not a size."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 1 else None
    match = re.fullmatch(r"(\d+) ?(B|kB|MB|GB|KiB|MiB|GiB)", value) if isinstance(
        value, str) else None
    if not match or int(match[1]) == 0:
        return None
    return int(match[1]) * _SIZES[match[2]]


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> ConfigProblem:
    """A YAML syntax error at its line, with the key written on that line when there is one,
    and where the unfinished construct began."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    lines = text.splitlines()
    key = ""
    for at in (exc.problem_mark, exc.context_mark):
        written = lines[at.line] if at is not None and at.line < len(lines) else ""
        if at is not None and (found := KEY_ON_LINE_RE.match(written)):
            key, line = found.group(1), at.line + 1
            break
    message = f"not valid YAML: {exc.problem or exc}"
    if exc.context and exc.context_mark and exc.context_mark is not exc.problem_mark:
        message += (f" ({exc.context} at line {exc.context_mark.line + 1}, "
                    f"column {exc.context_mark.column + 1})")
    return ConfigProblem(file, line, key, message)


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
            raise ConfigError([ConfigProblem(file, _line(node), path,
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
                    file, _line(node), path,
                    f"more than {MAX_NODES} values once aliases are expanded; is this an "
                    "alias bomb? Write the values out instead of nesting aliases")])
        active.discard(key)
        sizes[key] = total
        return total

    size(root, "")


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""LibYAML's loader when PyYAML has it (its wheels do): about 15x faster on a config of 1,000
sources, with the same nodes and line marks. Its error messages are terser: a document it
refuses is read again with the Python loader, whose message is the one reported."""


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # explained by the Python loader below (or refused there too)
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_config(text: str, path: Path) -> Config:
    """Validate ``text`` (the content of ``path``) and return the config, or raise ConfigError."""
    file = str(path)
    walker = _Walker(file)
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(file, text, exc)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file, 0, "", f"not valid YAML: {exc}")]) from exc
    except RecursionError as exc:
        raise ConfigError([ConfigProblem(file, 0, "", "not valid YAML: nested too deeply")]
                          ) from exc
    if root is None:
        raise ConfigError([ConfigProblem(file, 0, "", "the file is empty")])
    if "*" in text:
        # Only an alias (written *name) expands: a text without one is at most as many values
        # as it has characters, and the walk below counts them. Sizing 250 sources' nodes was
        # a fifth of reading their config.
        _check_expanded_size(root, file)

    top = walker.mapping(root, "", TOP_KEYS)
    if top is None:
        raise ConfigError(walker.problems)

    site = _parse_site(walker, top)
    categories = _parse_categories(walker, top)
    slugs = {c.slug for c in categories}
    sources = _parse_sources(walker, top, slugs)
    store = walker.text(top, "store", "", default="sqlite:///feedhub.db")
    if store and not re.match(r"^(sqlite|postgres(ql)?)://", store):
        walker.problem(top.get("store"), "store",
                       "must be a database URL: sqlite:///path or postgresql://...")
    output = walker.text(top, "output", "", default="feeds")
    serve = _parse_serve(walker, top)
    fetch = _parse_fetch(walker, top)

    if walker.problems:
        raise ConfigError(walker.problems)
    assert site is not None
    return Config(path=path.resolve(), site=site, categories=tuple(categories),
                  sources=tuple(sources), store=store, output=output, serve=serve,
                  fetch=fetch)


def _parse_fetch(walker: _Walker, top: Fields) -> FetchSettings:
    default = FetchSettings()
    node = top.get("fetch")
    fields = walker.mapping(node, "fetch", FETCH_KEYS) if node is not None else None
    if fields is None:
        return default
    limits = default.limits
    refresh = walker.duration(fields, "refresh", "fetch")
    deadline = walker.duration(fields, "deadline", "fetch", minimum=1)
    connect = walker.duration(fields, "connect_timeout", "fetch", minimum=1)
    max_bytes = limits.max_bytes
    if "max_bytes" in fields:
        size_node = fields["max_bytes"]
        walker.count(size_node)
        value = (yaml.constructor.SafeConstructor().construct_object(size_node)
                 if isinstance(size_node, yaml.ScalarNode) else None)
        size = parse_size(value)
        if size is None:
            walker.problem(size_node, "fetch.max_bytes",
                           "must be a size such as 10485760, \"10MB\" or \"10MiB\"")
        else:
            max_bytes = size
    return FetchSettings(
        limits=FetchLimits(
            connect_timeout=connect.total_seconds() if connect else limits.connect_timeout,
            deadline=deadline.total_seconds() if deadline else limits.deadline,
            max_bytes=max_bytes,
            max_redirects=walker.number(fields, "max_redirects", "fetch",
                                        limits.max_redirects, 0, 20),
            retries=walker.number(fields, "retries", "fetch", limits.retries, 0, 10),
            backoff=limits.backoff,
        ),
        refresh=default.refresh if refresh is None else refresh,
        concurrency=walker.number(fields, "concurrency", "fetch", default.concurrency, 1, 64),
        per_host=walker.number(fields, "per_host", "fetch", default.per_host, 1, 16),
        max_items=walker.number(fields, "max_items", "fetch", default.max_items, 1, 100_000),
    )


def _parse_site(walker: _Walker, top: Fields) -> Site | None:
    node = top.get("site")
    if node is None:
        walker.problem(top.node, "site", "is required: the feeds' title and public base_url")
        return None
    fields = walker.mapping(node, "site", SITE_KEYS)
    if fields is None:
        return None
    title = walker.text(fields, "title", "site", required=True)
    base_url = walker.text(fields, "base_url", "site", required=True, check=_check_url)
    feed_size = _bounded_int(walker, fields, "feed_size", "site", 50, 1, 1000)
    return Site(
        title=title,
        base_url=base_url.rstrip("/"),
        language=walker.text(fields, "language", "site", default="en"),
        description=walker.text(fields, "description", "site"),
        author=walker.text(fields, "author", "site"),
        feed_size=feed_size,
        icon=walker.text(fields, "icon", "site", check=_check_url),
        logo=walker.text(fields, "logo", "site", check=_check_url),
        websub_hub=walker.text(fields, "websub_hub", "site", check=_check_url),
        merge_window_days=_bounded_int(walker, fields, "merge_window_days", "site", 2, 0, 365),
        max_age_days=_bounded_int(walker, fields, "max_age_days", "site", 0, 0, 1_000_000),
    )


def parse_duration(text: str) -> int | None:
    """``90``, ``90s``, ``15m``, ``2h``, ``1h30m``, ``1d 12h`` -> seconds; None when it is not
    a duration (no number, units out of order or twice, a number left without a unit after
    one with a unit: ``1h30`` could mean 30 seconds or 30 minutes)."""
    match = DURATION_RE.fullmatch(text)
    if match is None:
        return None
    return sum(int(n) * unit for n, unit in zip(match.groups(), DURATION_UNITS, strict=True) if n)


def _parse_serve(walker: _Walker, top: Fields) -> ServeSettings:
    node = top.get("serve")
    if node is None:
        return ServeSettings()
    fields = walker.mapping(node, "serve", SERVE_KEYS)
    if fields is None:
        return ServeSettings()
    seconds: dict[str, int] = {}
    for name in ("refresh", "max_age", "stale_after"):
        value = walker.duration(fields, name, "serve")
        if value is not None:
            seconds[name] = int(value.total_seconds())
    origins: tuple[str, ...] = ("*",)
    if "cors_origins" in fields:
        found = []
        for j, onode in enumerate(walker.sequence(fields["cors_origins"], "serve.cors_origins")):
            origin = walker.scalar(onode, f"serve.cors_origins[{j}]")
            if origin is None:
                continue
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                walker.problem(onode, f"serve.cors_origins[{j}]",
                               f"must be * or an origin such as https://partner.example "
                               f"(scheme and host, no path), got {origin!r}")
                continue
            found.append(origin.rstrip("/"))
        origins = tuple(found)
    refresh = seconds.get("refresh", 0)
    return ServeSettings(
        refresh=refresh,
        max_age=seconds.get("max_age", refresh or 900),
        cors_origins=origins,
        stale_after=seconds.get("stale_after", 3 * refresh if refresh else 86400),
    )


def _bounded_int(walker: _Walker, fields: Fields, name: str, key: str, default: int,
                 low: int, high: int) -> int:
    if name not in fields:
        return default
    value = walker.scalar(fields[name], f"{key}.{name}", "int")
    if value is not None and not low <= value <= high:
        walker.problem(fields[name], f"{key}.{name}", f"must be between {low} and {high}")
        return default
    return default if value is None else int(value)


def _texts(walker: _Walker, fields: Fields, name: str, key: str) -> tuple[str, ...]:
    found: list[str] = []
    if name in fields:
        for j, node in enumerate(walker.sequence(fields[name], f"{key}.{name}")):
            value = walker.scalar(node, f"{key}.{name}[{j}]")
            if value:
                found.append(value)
    return tuple(found)


def _parse_categories(walker: _Walker, top: Fields) -> list[Category]:
    node = top.get("categories")
    if node is None:
        return []
    categories: list[Category] = []
    seen: dict[str, int] = {}
    for i, cnode in enumerate(walker.sequence(node, "categories")):
        key = f"categories[{i}]"
        fields = walker.mapping(cnode, key, CATEGORY_KEYS)
        if fields is None:
            continue
        slug = walker.text(fields, "slug", key, required=True, check=_check_slug)
        title = walker.text(fields, "title", key, default=slug.replace("-", " ").capitalize())
        labels = _texts(walker, fields, "labels", key)
        keywords = _texts(walker, fields, "keywords", key)
        exclude = _texts(walker, fields, "exclude", key)
        feed_size = _bounded_int(walker, fields, "feed_size", key, 0, 1, 1000)
        if slug:
            if slug in seen:
                walker.problem(fields["slug"], f"{key}.slug",
                               f"duplicate slug {slug!r} (first at line {seen[slug]})")
                continue
            seen[slug] = _line(fields["slug"])
            categories.append(Category(slug=slug, title=title, labels=labels,
                                       keywords=keywords, exclude=exclude,
                                       feed_size=feed_size))
    return categories


def _parse_sources(
    walker: _Walker, top: Fields, slugs: set[str]
) -> list[Source]:
    node = top.get("sources")
    if node is None:
        walker.problem(top.node, "sources", "is required: list at least one source")
        return []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    source_nodes = walker.sequence(node, "sources")
    if isinstance(node, yaml.SequenceNode) and not source_nodes:
        walker.problem(node, "sources", "is empty: list at least one source")
    for i, snode in enumerate(source_nodes):
        key = f"sources[{i}]"
        fields = walker.mapping(snode, key, SOURCE_KEYS)
        if fields is None:
            continue
        sid = walker.text(
            fields, "id", key, required=True,
            check=lambda v: None if SOURCE_ID_RE.match(v) else
            f"must be letters, digits, '.', '_' or '-', got {v!r}",
        )
        if sid in seen:
            walker.problem(fields["id"], f"{key}.id",
                           f"duplicate source id {sid!r} (first at line {seen[sid]})")
        elif sid:
            seen[sid] = _line(fields.get("id"))
        kind_text = walker.text(
            fields, "kind", key, required=True,
            check=lambda v: None if v in {k.value for k in SourceKind} else
            f"must be one of {KIND_NAMES}, got {v!r}",
        )
        location = ""
        if "url" in fields and "path" in fields:
            walker.problem(fields["path"], f"{key}.path", "give either url or path, not both")
        elif "url" in fields:
            location = walker.text(fields, "url", key, required=True, check=_check_url)
        elif "path" in fields:
            location = walker.text(fields, "path", key, required=True)
        else:
            walker.problem(snode, key, "needs a url (http/https) or a path (local file)")
        category = walker.text(
            fields, "category", key,
            check=lambda v: None if v in slugs else
            f"no category {v!r}; defined: {', '.join(sorted(slugs)) or 'none'}",
        )
        timezone = walker.text(fields, "timezone", key, default="UTC", check=_check_timezone)
        selectors = None
        if "selectors" in fields:
            selectors = _parse_selectors(walker, fields["selectors"], f"{key}.selectors")
        if kind_text == SourceKind.FEED and "selectors" in fields:
            walker.problem(fields["selectors"], f"{key}.selectors",
                           "selectors apply only to kind: html")
        base_url = walker.text(fields, "base_url", key, check=_check_url)
        refresh = walker.duration(fields, "refresh", key)
        allow_private = False
        if "allow_private" in fields:
            allow_private = bool(walker.scalar(fields["allow_private"], f"{key}.allow_private",
                                               "bool"))
        allow_hosts = _allow_hosts(walker, fields, key)
        keep_tracking = False
        if "keep_tracking" in fields:
            keep_tracking = bool(walker.scalar(fields["keep_tracking"], f"{key}.keep_tracking",
                                               "bool"))
        if kind_text and sid and location:
            sources.append(Source(
                id=sid, kind=SourceKind(kind_text), location=location,
                default_category=category, title=walker.text(fields, "title", key),
                selectors=selectors, date_format=walker.text(fields, "date_format", key),
                timezone=timezone, base_url=base_url,
                locale=walker.text(fields, "locale", key, check=_check_locale),
                max_pages=_max_pages(walker, fields, key),
                refresh=refresh,
                allow_private=allow_private,
                allow_hosts=allow_hosts,
                keep_tracking=keep_tracking,
                identity=walker.text(fields, "identity", key, default="auto",
                                     check=_identity_check(kind_text)),
            ))
    return sources


def _allow_hosts(walker: _Walker, fields: Fields, key: str) -> tuple[str, ...]:
    """The hosts a source's redirects and next pages may reach at private addresses."""
    hosts: list[str] = []
    if "allow_hosts" not in fields:
        return ()
    for j, node in enumerate(walker.sequence(fields["allow_hosts"], f"{key}.allow_hosts")):
        path = f"{key}.allow_hosts[{j}]"
        value = walker.scalar(node, path)
        if value is None:
            continue
        if (err := _check_host(value)) is not None:
            walker.problem(node, path, err)
        elif normal_host(value) not in hosts:
            hosts.append(normal_host(value))
    return tuple(hosts)


def _check_host(value: str) -> str | None:
    host = normal_host(value)
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not host.isascii():
        return f"write an international name in its ASCII form (xn--...), got {value!r}"
    if HOST_NAME_RE.match(host):
        return None
    return ("must be a host name or an IP address (no scheme, port or path), such as "
            f"intranet.example.org or 10.0.0.5, got {value!r}")


def _check_locale(value: str) -> str | None:
    if value and value not in SUPPORTED_LOCALES:
        return f"unsupported locale {value!r}; use one of {', '.join(SUPPORTED_LOCALES)}"
    return None


def _max_pages(walker: _Walker, fields: dict[str, yaml.Node], key: str) -> int:
    if "max_pages" not in fields:
        return 1
    value = walker.scalar(fields["max_pages"], f"{key}.max_pages", "int")
    if value is not None and not 1 <= value <= 50:
        walker.problem(fields["max_pages"], f"{key}.max_pages", "must be between 1 and 50")
        return 1
    return int(value) if value is not None else 1


def _identity_check(kind: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value in ID_POLICIES or kind == SourceKind.HTML:
            return None
        return (f"must be one of {', '.join(ID_POLICIES)} (a field rule such as '@data-id' "
                f"needs kind: html), got {value!r}")

    return check


def _parse_selectors(walker: _Walker, node: yaml.Node, key: str) -> Selectors | None:
    fields = walker.mapping(node, key, SELECTOR_KEYS)
    if fields is None:
        return None
    values = {name: walker.text(fields, name, key) for name in fields if name != "item"}
    item = walker.text(fields, "item", key, required=True)
    if not item:
        return None
    return Selectors(item=item, **values)


def load_config(path: str | Path) -> Config:
    """Read and validate a sources.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, "",
                                         "file not found; run `feedhub init` to write one")]
                          ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), 0, "", f"cannot read: {exc}")]) from exc
    return parse_config(text, path)


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
        raise ConfigError([ConfigProblem("", _line(sources), "sources",
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
