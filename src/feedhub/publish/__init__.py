"""Items -> files in the output folder, for every category and `all`.

Contract: every file is rendered in full, then atomically replaces the old one (temp file in the
same folder, fsync, rename), so a reader never sees half a file. A file whose bytes did not
change is not rewritten, so its mtime (and the server's Last-Modified/ETag) stays put.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PublishError
from ..model import ALL_SLUG, Config, Item
from ..store import Store
from .feeds import FeedInfo, feed_info, render_atom, render_rss

Renderer = Callable[[FeedInfo, Sequence[Item]], bytes]

FORMATS: dict[str, Renderer] = {"rss": render_rss, "atom": render_atom}
"""File extension -> renderer. Every category is published in each."""


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` atomically; False (and no write) when already equal."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def publish_all(config: Config, store: Store) -> PublishReport:
    """Render every category (and `all`) in every format into the output folder."""
    out = config.output_dir
    report = PublishReport()
    for slug in config.feed_slugs:
        category = config.category(slug) if slug != ALL_SLUG else None
        info = feed_info(config.site, slug, category)
        items = store.items_for(slug, config.site.feed_size)
        for ext, render in FORMATS.items():
            name = f"{slug}.{ext}"
            try:
                data = render(info, items)
                changed = write_atomic(out / name, data)
            except OSError as exc:
                raise PublishError(f"cannot write {out / name}: {exc}") from exc
            except Exception as exc:  # feedgen/lxml raise plain ValueErrors
                raise PublishError(f"cannot render {name}: {exc}") from exc
            (report.written if changed else report.unchanged).append(name)
    return report
