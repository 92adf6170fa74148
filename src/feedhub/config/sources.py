"""The ``sources:`` list of sources.yaml -> :class:`~feedhub.model.Source` objects: each
source's id, kind, location (url or path), category, selectors, time zone, locale, fetching
permissions (allow_private, allow_hosts, ignore_robots), request headers, the age at
which it is stale (stale_after), how a page is read (render) and the full text of its stories
(full_text, content_selector). Problems name a source by its id when it has one
(``sources[ilo-press].kind``), see :func:`source_key`.

Must not: raise for a bad value (record it on the walker), or read files or the network (a
source's url is checked for its shape only).
"""

from __future__ import annotations

import yaml

from ..addresses import normal_host
from ..model import RENDER_MODES, Selectors, Source, SourceKind
from .checks import (
    check_header_name,
    check_header_value,
    check_host,
    check_kind,
    check_locale,
    check_source_id,
    check_timezone,
    check_url,
    identity_check,
)
from .document import line_of
from .schema import SELECTOR_KEYS, SOURCE_KEYS
from .walker import STR_TAG, Fields, Walker


def parse_sources(
    walker: Walker, top: Fields, slugs: set[str]
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
        key = source_key(i, snode)
        fields = walker.mapping(snode, key, SOURCE_KEYS)
        if fields is None:
            continue
        sid = walker.text(fields, "id", key, required=True, check=check_source_id)
        if sid in seen:
            walker.problem(fields["id"], f"{key}.id",
                           f"duplicate source id {sid!r} (first at line {seen[sid]})")
        elif sid:
            seen[sid] = line_of(fields.get("id"))
        kind_text = walker.text(fields, "kind", key, required=True, check=check_kind)
        location = ""
        if "url" in fields and "path" in fields:
            walker.problem(fields["path"], f"{key}.path", "give either url or path, not both")
        elif "url" in fields:
            location = walker.text(fields, "url", key, required=True, check=check_url)
        elif "path" in fields:
            location = walker.text(fields, "path", key, required=True)
        else:
            walker.problem(snode, key, "needs a url (http/https) or a path (local file)")
        category = walker.text(
            fields, "category", key,
            check=lambda v: None if v in slugs else
            f"no category {v!r}; defined: {', '.join(sorted(slugs)) or 'none'}",
        )
        timezone = walker.text(fields, "timezone", key, default="UTC", check=check_timezone)
        selectors = None
        if "selectors" in fields:
            selectors = _parse_selectors(walker, fields["selectors"], f"{key}.selectors")
        if kind_text == SourceKind.FEED and "selectors" in fields:
            walker.problem(fields["selectors"], f"{key}.selectors",
                           "selectors apply only to kind: html")
        base_url = walker.text(fields, "base_url", key, check=check_url)
        refresh = walker.duration(fields, "refresh", key)
        allow_private = walker.flag(fields, "allow_private", key)
        allow_hosts = _allow_hosts(walker, fields, key)
        keep_tracking = walker.flag(fields, "keep_tracking", key)
        ignore_robots = walker.flag(fields, "ignore_robots", key)
        headers = _headers(walker, fields, key)
        full_text = walker.flag(fields, "full_text", key)
        content_selector = walker.text(fields, "content_selector", key)
        if content_selector and not full_text:
            walker.problem(fields["content_selector"], f"{key}.content_selector",
                           "applies only with full_text: true (it finds the story on the "
                           "article pages full_text fetches)")
        if "path" in fields and (headers or ignore_robots):
            name = "headers" if headers else "ignore_robots"
            walker.problem(fields[name], f"{key}.{name}",
                           "applies only to url: sources (a path is read from disk)")
        render = walker.text(fields, "render", key, default="static", check=_check_render)
        if render == "browser" and kind_text == SourceKind.FEED:
            walker.problem(fields["render"], f"{key}.render",
                           "applies only to kind: html (a feed is read as served)")
        elif render == "browser" and "path" in fields:
            walker.problem(fields["render"], f"{key}.render",
                           "applies only to url: sources (a browser never opens local files)")
        if kind_text and sid and location:
            sources.append(Source(
                id=sid, kind=SourceKind(kind_text), location=location,
                default_category=category, title=walker.text(fields, "title", key),
                selectors=selectors, date_format=walker.text(fields, "date_format", key),
                timezone=timezone, base_url=base_url,
                locale=walker.text(fields, "locale", key, check=check_locale),
                max_pages=walker.bounded_int(fields, "max_pages", key, 1, 1, 50),
                refresh=refresh,
                stale_after=walker.duration(fields, "stale_after", key),
                allow_private=allow_private,
                allow_hosts=allow_hosts,
                keep_tracking=keep_tracking,
                headers=headers,
                ignore_robots=ignore_robots,
                full_text=full_text,
                content_selector=content_selector,
                render=render,
                identity=walker.text(fields, "identity", key, default="auto",
                                     check=identity_check(kind_text)),
            ))
    return sources


def source_key(index: int, node: yaml.Node) -> str:
    """How problems name the source at ``index`` of the list: by its id (``sources[ilo-press]``),
    which the reader can search for, when the entry writes a valid one; else by its position
    (``sources[3]``, counted from 0). An id of digits alone is named by position too, so that
    ``sources[3]`` always means the fourth entry."""
    if isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            if getattr(knode, "value", None) != "id":
                continue
            sid = vnode.value if isinstance(vnode, yaml.ScalarNode) else None
            if (isinstance(sid, str) and vnode.tag == STR_TAG and check_source_id(sid) is None
                    and not sid.isdigit()):
                return f"sources[{sid}]"
            break  # the first id is the one read; a second is reported as a duplicate key
    return f"sources[{index}]"


def _check_render(value: str) -> str | None:
    if value not in RENDER_MODES:
        return (f"must be one of {', '.join(RENDER_MODES)}, got {value!r} (browser: run the "
                "page's scripts in headless Chromium before reading it)")
    return None


def _allow_hosts(walker: Walker, fields: Fields, key: str) -> tuple[str, ...]:
    """The hosts a source's redirects and next pages may reach at private addresses."""
    hosts: list[str] = []
    if "allow_hosts" not in fields:
        return ()
    for j, node in enumerate(walker.sequence(fields["allow_hosts"], f"{key}.allow_hosts")):
        path = f"{key}.allow_hosts[{j}]"
        value = walker.scalar(node, path)
        if value is None:
            continue
        if (err := check_host(value)) is not None:
            walker.problem(node, path, err)
        elif normal_host(value) not in hosts:
            hosts.append(normal_host(value))
    return tuple(hosts)


def _headers(walker: Walker, fields: Fields, key: str) -> tuple[tuple[str, str], ...]:
    """The request headers of a source, as written; invalid and reserved ones reported."""
    node = fields.get("headers")
    if node is None:
        return ()
    walker.count(node)
    if not isinstance(node, yaml.MappingNode):
        walker.problem(node, f"{key}.headers", "must be a mapping of header names to values, "
                       "such as {User-Agent: ..., Accept-Language: fr}")
        return ()
    found: list[tuple[str, str]] = []
    first_at: dict[str, int] = {}
    for knode, vnode in node.value:
        walker.count(knode)
        name = str(knode.value)
        path = f"{key}.headers.{name}"
        if (err := check_header_name(name)) is not None:
            walker.problem(knode, path, err)
            continue
        if name.lower() in first_at:
            walker.problem(knode, path, f"duplicate header: {name} is already given on line "
                           f"{first_at[name.lower()]} (names ignore case); keep one of them")
            continue
        first_at[name.lower()] = line_of(knode)
        value = walker.scalar(vnode, path)
        if value is None:
            continue
        if (err := check_header_value(value)) is not None:
            walker.problem(vnode, path, err)
            continue
        found.append((name, value))
    return tuple(found)


def _parse_selectors(walker: Walker, node: yaml.Node, key: str) -> Selectors | None:
    fields = walker.mapping(node, key, SELECTOR_KEYS)
    if fields is None:
        return None
    values = {name: walker.text(fields, name, key) for name in fields if name != "item"}
    item = walker.text(fields, "item", key, required=True)
    if not item:
        return None
    return Selectors(item=item, **values)
