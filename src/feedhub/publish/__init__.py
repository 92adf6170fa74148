"""Items -> files in the output folder, for every category and `all`.

Contract: every file is rendered in full, then atomically replaces the old one (temp file in the
same folder, fsync, rename), so a reader never sees half a file. A file whose bytes did not
change is not rewritten, so its mtime (and the server's Last-Modified/ETag) stays put.
Every published file goes through :func:`publish_file` (a ``.gz`` beside it, its mtime the
newest item change): web.py and deploy/nginx.conf read both.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import PublishError
from ..model import ALL_SLUG, Config, Item
from ..store import Store
from .feeds import FeedInfo, feed_info, newest_change, render_atom, render_rss

Renderer = Callable[[FeedInfo, Sequence[Item]], bytes]

FORMATS: dict[str, Renderer] = {"rss": render_rss, "atom": render_atom}
"""File extension -> renderer. Every category is published in each."""


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def write_atomic(path: Path, data: bytes, mtime: int | None = None) -> bool:
    """Replace ``path`` with ``data`` atomically; False (and no write) when already equal.

    ``mtime`` (seconds since the epoch) is set on the new file before it is renamed into
    place, so no reader ever sees the new bytes with another mtime.
    """
    try:
        if path.read_bytes() == data:
            if mtime is not None and int(path.stat().st_mtime) != mtime:
                os.utime(path, (mtime, mtime))
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
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def gz_path(path: Path) -> Path:
    """Where the precompressed copy of a published file lives (nginx's gzip_static name)."""
    return path.with_name(path.name + ".gz")


def publish_file(path: Path, data: bytes, modified: datetime) -> bool:
    """Write one published file so that every server answers it cheaply and the same way.

    The contract with web.py and deploy/nginx.conf:
    - written atomically and not rewritten when unchanged, so its validators stay put;
    - a precompressed ``<name>.gz`` beside it (deterministic: no name, gzip mtime 0), written
      first, for Flask and for nginx's gzip_static;
    - the mtime of both is ``modified`` (the newest item change, whole seconds): the servers
      send it as Last-Modified. When the bytes changed but ``modified`` is not newer than the
      old mtime (an item dropped out, a title edited), the mtime moves one second past the old
      one, so Last-Modified never goes back and If-Modified-Since never hides a change.

    Returns True when the file's bytes changed.
    """
    zipped = gz_path(path)
    try:
        old_mtime: int | None = int(path.stat().st_mtime)
        unchanged = path.read_bytes() == data
    except FileNotFoundError:
        old_mtime, unchanged = None, False
    if unchanged and old_mtime is not None:
        # Same bytes: keep the mtime; only (re)write a missing or stale .gz to match it.
        write_atomic(zipped, gzip.compress(data, 9, mtime=0), mtime=old_mtime)
        return False
    stamp = int(modified.timestamp())
    if old_mtime is not None:
        stamp = max(stamp, old_mtime + 1)
    write_atomic(zipped, gzip.compress(data, 9, mtime=0), mtime=stamp)
    write_atomic(path, data, mtime=stamp)
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
                changed = publish_file(out / name, data, newest_change(items))
            except OSError as exc:
                raise PublishError(f"cannot write {out / name}: {exc}") from exc
            except Exception as exc:  # feedgen/lxml raise plain ValueErrors
                raise PublishError(f"cannot render {name}: {exc}") from exc
            (report.written if changed else report.unchanged).append(name)
    return report
