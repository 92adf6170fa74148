"""Items -> files in the output folder, for every category and `all`.

Contract: every file is rendered in full, checked well-formed (XML and HTML parsed back with
lxml, JSON with json), then atomically replaces the old one (temp file in the same folder,
made durable, renamed), so a reader never sees half a file. A file whose bytes did not change
is not rewritten, so its mtime (and the server's Last-Modified/ETag) stays put.

Durability, and why it is batched: the rename alone protects readers and a killed process (a
SIGKILL leaves the old file or the new one, never half of either); flushing the temp file to
disk before the rename is what protects against a power cut (else the new name can point at
blocks that were never written). :func:`publish_all` keeps that guarantee at the cost of one
flush per publish instead of one per file: it writes every changed file to its temp file
first (a :class:`Batch`), calls ``os.sync()`` once, then renames them all, ``.gz`` before its
file, in the order written. A cold build writes thousands of files (archives in three formats
and their ``.gz``), and one fsync each was most of its publish time. A crash before the renames
leaves only temp files (``.<name>.<random>.tmp``), which the next publish removes; a crash
during them leaves each file old or new, whole. Called on its own (no batch),
:func:`publish_file` still fsyncs and renames each file at once.
Every published file goes through :func:`publish_file` (a ``.gz`` beside it, its mtime the
newest item change): web.py and deploy/nginx.conf read both.

What is written (the URL contract with web.py, see PROTOCOL/README):
    <slug>.rss|.atom|.json            the newest ``feed_size`` items of a category (or `all`)
    archive/<slug>/<n>.rss|.atom|.json RFC 5005 archive n (1 = oldest), ``feed_size`` items each
    index.html, c/<slug>.html         pages for people; feeds.opml: every feed in one list
    embed/<slug>.js|.html             the partner embed (script and iframe)
    static/feed.xsl, static/feedhub.css
After writing, a configured WebSub hub is told which subscription feeds changed; a hub
failure is reported in :class:`PublishReport`, it never fails the build.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from .. import __version__
from ..errors import PublishError
from ..model import Config
from ..store import Store
from . import pages, websub
from .document import EPOCH, Catalogue, FeedDoc, catalogue, make_doc
from .feeds import render_atom, render_rss
from .jsonfeed import render_json
from .opml import render_opml

Renderer = Callable[[FeedDoc], bytes]

FORMATS: dict[str, Renderer] = {"rss": render_rss, "atom": render_atom, "json": render_json}
"""File extension -> renderer. Every category (and each of its archives) is published in each."""


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    """Files (relative to the output folder) whose bytes changed."""
    unchanged: list[str] = field(default_factory=list)
    hub_notified: list[str] = field(default_factory=list)
    """Feed URLs the WebSub hub accepted a publish notification for."""
    hub_errors: list[str] = field(default_factory=list)
    """What went wrong telling the hub (the feeds are published regardless)."""


GZIP_LEVEL = 6
"""zlib's default. On the benchmark's archives: 2% larger than level 9, a quarter less time
(a cold build gzips thousands of files)."""

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


class Batch:
    """Temp files written but not yet in place: :meth:`commit` flushes them all to disk with
    one ``os.sync()`` and then renames each over its target, in the order they were added."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path]] = []

    def add(self, tmp: str, path: Path) -> None:
        self._pending.append((tmp, path))

    def __len__(self) -> int:
        return len(self._pending)

    def commit(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        os.sync()
        for done, (tmp, path) in enumerate(pending):
            try:
                os.replace(tmp, path)
            except BaseException:
                self._pending = pending[done:]
                self.abort()
                raise

    def abort(self) -> None:
        """Remove the temp files not renamed yet (the targets keep their old bytes)."""
        pending, self._pending = self._pending, []
        for tmp, _path in pending:
            Path(tmp).unlink(missing_ok=True)


def remove_stale_temps(out: Path) -> int:
    """Delete temp files a killed publish left under ``out``; returns how many. Only call it
    while no other publisher writes there (sync.publish holds the store's publish lock)."""
    removed = 0
    if not out.is_dir():
        return 0
    for tmp in out.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def write_atomic(path: Path, data: bytes, mtime: int | None = None,
                 batch: Batch | None = None) -> bool:
    """Replace ``path`` with ``data`` atomically; False (and no write) when already equal.

    ``mtime`` (seconds since the epoch) is set on the new file before it is renamed into
    place, so no reader ever sees the new bytes with another mtime. With a ``batch`` the temp
    file is written but neither flushed nor renamed: ``batch.commit()`` does both.
    """
    try:
        if path.read_bytes() == data:
            if mtime is not None and int(path.stat().st_mtime) != mtime:
                os.utime(path, (mtime, mtime))
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX,
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if batch is None:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        if batch is None:
            os.replace(tmp, path)
        else:
            batch.add(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def gz_path(path: Path) -> Path:
    """Where the precompressed copy of a published file lives (nginx's gzip_static name)."""
    return path.with_name(path.name + ".gz")


def publish_file(path: Path, data: bytes, modified: datetime,
                 batch: Batch | None = None) -> bool:
    """Write one published file so that every server answers it cheaply and the same way.

    The contract with web.py and deploy/nginx.conf:
    - written atomically and not rewritten when unchanged, so its validators stay put;
    - a precompressed ``<name>.gz`` beside it (deterministic: no name, gzip mtime 0), written
      first, for Flask and for nginx's gzip_static;
    - the mtime of both is ``modified`` (the newest item change, whole seconds): the servers
      send it as Last-Modified. When the bytes changed but ``modified`` is not newer than the
      old mtime (an item dropped out, a title edited), the mtime moves one second past the old
      one, so Last-Modified never goes back and If-Modified-Since never hides a change.

    With a ``batch``, both are only staged: ``batch.commit()`` puts them in place. Returns
    True when the file's bytes changed.
    """
    zipped = gz_path(path)
    try:
        old_mtime: int | None = int(path.stat().st_mtime)
        unchanged = path.read_bytes() == data
    except FileNotFoundError:
        old_mtime, unchanged = None, False
    if unchanged and old_mtime is not None:
        # Same bytes: keep the mtime; only (re)write a missing or stale .gz to match it.
        write_atomic(zipped, gzip.compress(data, GZIP_LEVEL, mtime=0), mtime=old_mtime,
                     batch=batch)
        return False
    stamp = int(modified.timestamp())
    if old_mtime is not None:
        stamp = max(stamp, old_mtime + 1)
    write_atomic(zipped, gzip.compress(data, GZIP_LEVEL, mtime=0), mtime=stamp, batch=batch)
    write_atomic(path, data, mtime=stamp, batch=batch)
    return True


def check_well_formed(name: str, data: bytes) -> None:
    """Parse ``data`` back the way a reader would; raise PublishError when it is not sound."""
    try:
        if name.endswith(".json"):
            json.loads(data.decode("utf-8"))
        elif name.endswith((".rss", ".atom", ".opml", ".xsl", ".html")):
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            etree.fromstring(data, parser)
    except (ValueError, etree.XMLSyntaxError) as exc:
        raise PublishError(f"{name} came out malformed ({exc}); nothing was replaced. "
                           "Please report this as a feedhub bug.") from exc


class _Writer:
    def __init__(self, out: Path, report: PublishReport, batch: Batch) -> None:
        self.out = out
        self.report = report
        self.batch = batch

    def __call__(self, name: str, data: bytes, modified: datetime) -> bool:
        check_well_formed(name, data)
        try:
            changed = publish_file(self.out / name, data, modified, self.batch)
        except OSError as exc:
            raise PublishError(f"cannot write {self.out / name}: {exc}; check that the "
                               "output folder exists and is writable") from exc
        (self.report.written if changed else self.report.unchanged).append(name)
        return changed


def _render(name: str, render: Renderer, doc: FeedDoc) -> bytes:
    try:
        return render(doc)
    except (ValueError, TypeError) as exc:  # lxml raises plain ValueErrors
        raise PublishError(f"cannot render {name}: {exc}") from exc


ARCHIVE_INDEX = "archive/{slug}/index.json"
"""Fingerprints of the archive documents last written: unchanged archives are not rendered."""


def _context(doc: FeedDoc) -> str:
    """What every document of a feed is rendered from besides its items and paging."""
    return repr((__version__, sorted(FORMATS), doc.slug, doc.title, doc.site,
                 sorted(doc.categories.items()), sorted(doc.sources.items())))


def _fingerprint(context: str, number: int, archives: int, rows: Sequence[tuple[str, str]]
                 ) -> str:
    """Everything archive ``number`` is rendered from: the feed's context, its paging links and
    each of its items (from :meth:`Store.archive_rows`, so no item is loaded to compute it)."""
    digest = hashlib.sha256(f"{context}\n{number}/{archives}\n".encode("utf-8", "replace"))
    for item_id, parts in rows:
        digest.update(f"{item_id} {parts}\n".encode("utf-8", "replace"))
    return digest.hexdigest()


def _publish_archives(config: Config, store: Store, write: _Writer, head: FeedDoc,
                      rows: Sequence[tuple[str, str]], shared: Catalogue) -> None:
    """Write archive documents 1..n of ``head.slug`` (``rows``: its items, oldest first),
    skipping those whose inputs did not change since the last build. Archives are most of the
    files of a long-lived feed: only the items of one archive are in memory at a time."""
    slug, size, archives = head.slug, config.feed_size(head.slug), head.prev_archive
    index_name = ARCHIVE_INDEX.format(slug=slug)
    try:
        known = json.loads((write.out / index_name).read_bytes())
    except (OSError, ValueError):
        known = {}
    context = _context(head)
    fingerprints: dict[str, str] = {}
    for number in range(1, archives + 1):
        # Archive n holds the items at chronological positions [(n-1)*size, n*size).
        chunk = rows[(number - 1) * size:number * size]
        fingerprint = fingerprints[str(number)] = _fingerprint(context, number, archives, chunk)
        names = [f"archive/{slug}/{number}.{ext}" for ext in FORMATS]
        if known.get(str(number)) == fingerprint and all(
                (write.out / name).is_file() for name in names):
            write.report.unchanged.extend(names)
            continue
        found = store.get_items(item_id for item_id, _ in chunk)
        # Newest first; an item deleted since the rows were read (pruned by another worker)
        # is left out, and the next publish sees the changed rows.
        items = [found[item_id] for item_id, _ in reversed(chunk) if item_id in found]
        doc = make_doc(config, slug, items, shared=shared, archive=number,
                       prev_archive=number - 1,
                       next_archive=number + 1 if number < archives else 0)
        for name, render in zip(names, FORMATS.values(), strict=True):
            write(name, _render(name, render, doc), doc.updated)
    if archives or known:
        data = json.dumps(fingerprints, indent=0, sort_keys=True).encode("ascii")
        write(index_name, data, EPOCH)


def publish_all(
    config: Config,
    store: Store,
    *,
    notify: websub.Notifier = websub.notify,
) -> PublishReport:
    """Render every category (and `all`) in every format, with archives, pages and embeds."""
    out = config.output_dir
    remove_stale_temps(out)
    batch = Batch()
    try:
        report = _publish_all(config, store, _Writer(out, PublishReport(), batch), notify)
    except BaseException:
        batch.abort()
        raise
    return report


def _publish_all(config: Config, store: Store, write: _Writer,
                 notify: websub.Notifier) -> PublishReport:
    report = write.report
    subscriptions: list[FeedDoc] = []
    changed_urls: list[str] = []
    shared = catalogue(config)
    for slug in config.feed_slugs:
        size = config.feed_size(slug)
        # Complete archive pages only, counted from the oldest item, so an archive's items
        # stay put as news arrives; the subscription document links the newest of them.
        rows = store.archive_rows(slug) if store.count_items(slug) > size else []
        archives = len(rows) // size if len(rows) > size else 0
        doc = make_doc(config, slug, store.items_for(slug, size), shared=shared,
                       prev_archive=archives)
        subscriptions.append(doc)
        for ext, render in FORMATS.items():
            name = f"{slug}.{ext}"
            if write(name, _render(name, render, doc), doc.updated):
                changed_urls.append(doc.url(ext))
        _publish_archives(config, store, write, doc, rows, shared)
        del rows
    newest = max((doc.updated for doc in subscriptions), default=EPOCH)
    write("feeds.opml", render_opml(subscriptions, config.site.title,
                                    config.site.author or config.site.title), newest)
    for name, data, modified in pages.render_pages(config, subscriptions):
        write(name, data, modified)
    try:
        write.batch.commit()
    except OSError as exc:
        raise PublishError(f"cannot write into {write.out}: {exc}; check that the output "
                           "folder is writable and the disk is not full") from exc
    if config.site.websub_hub and changed_urls:
        outcome = notify(config.site.websub_hub, changed_urls)
        report.hub_notified.extend(outcome.notified)
        report.hub_errors.extend(outcome.errors)
    return report
