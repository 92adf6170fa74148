"""Embed URL queries: ``/embed/<slug>.html`` and ``.js`` with ``limit``, ``theme``, ``images``,
``summary`` and ``lang`` (docs/embedding.md).

Contract:
- The query follows the feed URLs' rule (web.filters): only :data:`EMBED_KEYS` (exact names)
  are options; tracking parameters and cache busters are ignored; an empty option is as if it
  were not there; anything else (an unknown name, an option given twice, a value that is not
  allowed) is BadRequest, one line naming what was wrong and listing what an embed URL takes.
- The iframe (``.html``) honours its options here, on the server: options equal to the
  published file's (publish.embeds.frame_defaults) answer that file; others are rendered from
  the store with the publisher's renderer and kept ready until the next build, like filtered
  feeds, so ETags, 304s, CORS and the embed CSP are the same as a published file's.
- The script (``.js``) reads its options in the partner's browser: its query is only checked
  here, and a good one answers the published file (one cached script for every query).

Must not: answer the request (web.conditional does) or write any file.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qsl

from werkzeug.exceptions import BadRequest

from ..model import Config
from ..publish.document import make_doc
from ..publish.embeds import (
    INHERIT,
    SCRIPT_THEME,
    THEMES,
    EmbedOptions,
    carried,
    frame_defaults,
    render_frame,
)
from ..publish.humandate import language_tag
from ..store import open_store
from .filters import CACHE_BUSTERS, is_ignored
from .headers import HTML_TYPE
from .published import Ready, make_ready

EMBED_KEYS = ("limit", "theme", "images", "summary", "lang")
"""Query parameters of both embeds (names compared exactly)."""
TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no")
FRAME_CACHE_SIZE = 256
_DIGITS = re.compile("[0-9]{1,9}")


def supported(ext: str, most: int) -> str:
    """What an embed URL accepts, for the end of every 400 about its query."""
    themes = ("light, dark or auto; default light" if ext == "html"
              else f"light, dark, auto or {INHERIT}; default {SCRIPT_THEME}")
    return (f"an embed URL takes limit (a whole number from 1 to {most}), theme ({themes}), "
            f"images and summary (1 or 0) and lang (a language tag such as en, en-GB or fr); "
            f"tracking parameters (utm_*, fbclid, ...) and cache busters "
            f"({', '.join(CACHE_BUSTERS[:5])}, ...) are ignored")


def _flag(name: str, text: str, where: str) -> bool:
    value = text.lower()
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise BadRequest(f"{name} must be 1 or 0, got {text[:40]!r}; {where}")


def parse_embed_query(query_string: str, ext: str, config: Config, slug: str) -> EmbedOptions:
    """An embed URL's query (``QUERY_STRING`` as given) as options over the iframe's defaults.
    Raises BadRequest for an unknown parameter, an option given twice or a value not allowed."""
    most = carried(config, slug)
    where = supported(ext, most)
    values: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in EMBED_KEYS:
            if not value:
                continue
            if key in values:
                raise BadRequest(f"{key} is given more than once; give it once. {where}")
            values[key] = value
        elif not is_ignored(key):
            unknown.append(key)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise BadRequest(f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; {where}")
    options = frame_defaults(config, slug)
    if "limit" in values:
        text = values["limit"]
        if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= most:
            raise BadRequest(f"limit must be a whole number from 1 to {most}, got "
                             f"{text[:40]!r}; {where}")
        options = replace(options, limit=int(text))
    if "theme" in values:
        allowed = THEMES if ext == "html" else (*THEMES, INHERIT)
        if values["theme"] not in allowed:
            raise BadRequest(f"theme must be {', '.join(allowed[:-1])} or {allowed[-1]}, got "
                             f"{values['theme'][:40]!r}; {where}")
        options = replace(options, theme=values["theme"])
    if "images" in values:
        options = replace(options, images=_flag("images", values["images"], where))
    if "summary" in values:
        options = replace(options, summary=_flag("summary", values["summary"], where))
    if "lang" in values:
        tag = language_tag(values["lang"])
        if not tag:
            raise BadRequest(f"lang must be a language tag such as en, en-GB or fr, got "
                             f"{values['lang'][:40]!r}; {where}")
        options = replace(options, lang=tag)
    return options


class Frames:
    """Iframe embeds rendered with a request's options, each kept ready until the next build
    (``last_build``: web.filters.Filtered.last_build, which asks the store at most once a
    second)."""

    def __init__(self, config: Config, last_build: Callable[[], object]) -> None:
        self.config = config
        self.last_build = last_build
        self._cache: OrderedDict[tuple[object, ...], Ready] = OrderedDict()

    def get(self, slug: str, options: EmbedOptions) -> Ready:
        config = self.config
        key = (slug, options, self.last_build())
        ready = self._cache.get(key)
        if ready is not None:
            return ready
        with open_store(config.store, config.root) as store:
            items = store.items_for(slug, carried(config, slug))
        doc = make_doc(config, slug, items)
        ready = make_ready(config.serve, f"embed/{slug}.html", HTML_TYPE,
                           render_frame(doc, options), None, int(doc.updated.timestamp()))
        self._cache[key] = ready
        while len(self._cache) > FRAME_CACHE_SIZE:
            self._cache.popitem(last=False)
        return ready
