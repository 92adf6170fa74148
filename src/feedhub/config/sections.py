"""The site, categories, serve and fetch sections of sources.yaml -> their model objects.

Each reader takes the walker and the top-level fields, reads its section's keys (as the shipped
schema lists them, see :mod:`.schema`) and returns the model object, its defaults filling what
is absent or invalid; the walker has recorded every problem by then. The sources list has its
own module, :mod:`.sources`.

Must not: raise for a bad value (record it on the walker), or read files or the network.
"""

from __future__ import annotations

import yaml

from ..model import Category, FetchLimits, FetchSettings, ServeSettings, Site
from .checks import ORIGIN_RE, check_slug, check_url
from .document import line_of
from .schema import CATEGORY_KEYS, FETCH_KEYS, SERVE_KEYS, SITE_KEYS
from .units import parse_size
from .walker import Fields, Walker


def parse_site(walker: Walker, top: Fields) -> Site | None:
    node = top.get("site")
    if node is None:
        walker.problem(top.node, "site", "is required: the feeds' title and public base_url")
        return None
    fields = walker.mapping(node, "site", SITE_KEYS)
    if fields is None:
        return None
    title = walker.text(fields, "title", "site", required=True)
    base_url = walker.text(fields, "base_url", "site", required=True, check=check_url)
    feed_size = walker.bounded_int(fields, "feed_size", "site", 50, 1, 1000)
    return Site(
        title=title,
        base_url=base_url.rstrip("/"),
        language=walker.text(fields, "language", "site", default="en"),
        description=walker.text(fields, "description", "site"),
        author=walker.text(fields, "author", "site"),
        feed_size=feed_size,
        icon=walker.text(fields, "icon", "site", check=check_url),
        logo=walker.text(fields, "logo", "site", check=check_url),
        websub_hub=walker.text(fields, "websub_hub", "site", check=check_url),
        merge_window_days=walker.bounded_int(fields, "merge_window_days", "site", 2, 0, 365),
        max_age_days=walker.bounded_int(fields, "max_age_days", "site", 0, 0, 1_000_000),
    )


def parse_categories(walker: Walker, top: Fields) -> list[Category]:
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
        slug = walker.text(fields, "slug", key, required=True, check=check_slug)
        title = walker.text(fields, "title", key, default=slug.replace("-", " ").capitalize())
        labels = walker.texts(fields, "labels", key)
        keywords = walker.texts(fields, "keywords", key)
        exclude = walker.texts(fields, "exclude", key)
        feed_size = walker.bounded_int(fields, "feed_size", key, 0, 1, 1000)
        if slug:
            if slug in seen:
                walker.problem(fields["slug"], f"{key}.slug",
                               f"duplicate slug {slug!r} (first at line {seen[slug]})")
                continue
            seen[slug] = line_of(fields["slug"])
            categories.append(Category(slug=slug, title=title, labels=labels,
                                       keywords=keywords, exclude=exclude,
                                       feed_size=feed_size))
    return categories


def parse_serve(walker: Walker, top: Fields) -> ServeSettings:
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
            if origin != "*" and not ORIGIN_RE.match(origin):
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


def parse_fetch(walker: Walker, top: Fields) -> FetchSettings:
    default = FetchSettings()
    node = top.get("fetch")
    fields = walker.mapping(node, "fetch", FETCH_KEYS) if node is not None else None
    if fields is None:
        return default
    limits = default.limits
    refresh = walker.duration(fields, "refresh", "fetch")
    deadline = walker.duration(fields, "deadline", "fetch", minimum=1)
    connect = walker.duration(fields, "connect_timeout", "fetch", minimum=1)
    interval = walker.duration(fields, "per_host_interval", "fetch")
    stale_after = walker.duration(fields, "stale_after", "fetch")
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
            per_host_interval=(interval.total_seconds() if interval is not None
                               else limits.per_host_interval),
        ),
        refresh=default.refresh if refresh is None else refresh,
        concurrency=walker.number(fields, "concurrency", "fetch", default.concurrency, 1, 64),
        per_host=walker.number(fields, "per_host", "fetch", default.per_host, 1, 16),
        max_items=walker.number(fields, "max_items", "fetch", default.max_items, 1, 100_000),
        stale_after=default.stale_after if stale_after is None else stale_after,
    )
