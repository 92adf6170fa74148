"""The feed formats every category and archive is published in, and rendering one document."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import PublishError
from .document import FeedDoc
from .feeds import render_atom, render_rss
from .jsonfeed import render_json

Renderer = Callable[[FeedDoc], bytes]

FORMATS: dict[str, Renderer] = {"rss": render_rss, "atom": render_atom, "json": render_json}
"""File extension -> renderer. Every category (and each of its archives) is published in each."""


def render(name: str, doc: FeedDoc) -> bytes:
    """The bytes of ``doc`` in the format of file ``name`` (its extension)."""
    try:
        return FORMATS[name.rsplit(".", 1)[1]](doc)
    except (ValueError, TypeError) as exc:  # lxml raises plain ValueErrors
        raise PublishError(f"cannot render {name}: {exc}") from exc
