"""Writing published files: atomically, durably, with a ``.gz`` where one pays, only when changed.

Contract: every file is checked well-formed (XML and HTML parsed back with lxml, JSON with
json; archive documents excepted, see :class:`Writer`), then atomically replaces the old one
(temp file in the same folder, made durable, renamed), so a reader never sees half a file. A
file whose bytes did not change is not rewritten, so its mtime (and the server's
Last-Modified/ETag) stays put.

Durability, and why it is batched: the rename alone protects readers and a killed process (a
SIGKILL leaves the old file or the new one, never half of either); flushing the temp file to
disk before the rename is what protects against a power cut (else the new name can point at
blocks that were never written). A publish keeps that guarantee at the cost of one flush per
publish instead of one per file: it writes every changed file to its temp file first (a
:class:`Batch`), calls ``os.sync()`` once, then renames them all, ``.gz`` before its file, in
the order written. A cold build writes thousands of files (archives in three formats and their
``.gz``), and one fsync each was most of its publish time. A crash before the renames leaves
only temp files (``.<name>.<random>.tmp``), which the next publish removes; a crash during them
leaves each file old or new, whole. Called on its own (no batch), :func:`publish_file` still
fsyncs and renames each file at once. Worker processes stage files with a batch of their own
and hand them over (:class:`Staged`): the publishing process flushes and renames them all.
Every published file goes through :func:`publish_file` (its mtime the newest item change, and
a ``.gz`` beside it unless it is an archive document, see :func:`gzip_level_for`): web.py and
deploy/nginx.conf read both, and compress as they send a file that has none.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import PublishError


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    """Files (relative to the output folder) whose bytes changed."""
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Unchanged archive files that were not even rendered (their inputs had not changed)."""
    hub_notified: list[str] = field(default_factory=list)
    """Feed URLs the WebSub hub accepted a publish notification for."""
    hub_errors: list[str] = field(default_factory=list)
    """What went wrong telling the hub (the feeds are published regardless)."""
    worker_errors: list[str] = field(default_factory=list)
    """Why worker processes failed (their share was rendered by the publishing process)."""


GZIP_LEVEL = 6
"""zlib's default: 2% larger than level 9 on the benchmark's documents, a quarter less time."""
ARCHIVE_PREFIX = "archive/"
"""Where archive documents (and their fingerprint index) go: files without a ``.gz``."""


def gzip_level_for(name: str) -> int | None:
    """The level of the ``.gz`` written beside published file ``name`` (relative to the
    output folder), or None where a ``.gz`` does not pay: archive documents and their index.

    A ``.gz`` pays for a file that is fetched again and again (the subscription documents,
    pages, OPML, embeds, stylesheets: every reader's poll). Archive documents are most of a
    cold build's files (at 1000 sources, 3,870 of 3,900) and each is fetched about once, by a
    reader catching up on a feed's history: compressing and writing a second file for each
    was about a tenth of the publish, for bytes seldom sent. The servers compress those as
    they send them (web.py's cache, nginx's ``gzip``)."""
    return None if name.startswith(ARCHIVE_PREFIX) else GZIP_LEVEL

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


class Batch:
    """Temp files written but not yet in place: :meth:`commit` flushes them all to disk with
    one ``os.sync()`` and then renames each over its target, in the order they were added."""

    def __init__(self, pending: list[tuple[str, Path]] | None = None) -> None:
        self._pending: list[tuple[str, Path]] = pending or []

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

    def last(self) -> str:
        """The temp file added last."""
        return self._pending[-1][0]

    def take(self) -> list[tuple[str, Path]]:
        """Hand over the pending temp files (this batch forgets them)."""
        pending, self._pending = self._pending, []
        return pending

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
                 batch: Batch | None = None, gzip_level: int | None = GZIP_LEVEL) -> bool:
    """Write one published file so that every server answers it cheaply and the same way.

    The contract with web.py and deploy/nginx.conf:
    - written atomically and not rewritten when unchanged, so its validators stay put;
    - a precompressed ``<name>.gz`` beside it (deterministic: no name, gzip mtime 0), written
      first, for Flask and for nginx's gzip_static; with ``gzip_level`` None, none, and one
      left by an earlier publish is removed (nginx would serve it however old);
    - the mtime of both is ``modified`` (the newest item change, whole seconds): the servers
      send it as Last-Modified. When the bytes changed but ``modified`` is not newer than the
      old mtime (an item dropped out, a title edited), the mtime moves one second past the old
      one, so Last-Modified never goes back and If-Modified-Since never hides a change.

    With a ``batch``, both are only staged: ``batch.commit()`` puts them in place. Returns
    True when the file's bytes changed. ``gzip_level``: see :func:`gzip_level_for`.
    """
    zipped = gz_path(path)
    try:
        old_mtime: int | None = int(path.stat().st_mtime)
        unchanged = path.read_bytes() == data
    except FileNotFoundError:
        old_mtime, unchanged = None, False
    if gzip_level is None:
        # Before the file changes: a reader meanwhile gets the old file, whole, uncompressed.
        zipped.unlink(missing_ok=True)
    if unchanged and old_mtime is not None:
        # Same bytes: keep the mtime; only (re)write a missing or stale .gz to match it.
        if gzip_level is not None:
            write_atomic(zipped, gzip.compress(data, gzip_level, mtime=0), mtime=old_mtime,
                         batch=batch)
        return False
    stamp = int(modified.timestamp())
    if old_mtime is not None:
        stamp = max(stamp, old_mtime + 1)
    if gzip_level is not None:
        write_atomic(zipped, gzip.compress(data, gzip_level, mtime=0), mtime=stamp,
                     batch=batch)
    write_atomic(path, data, mtime=stamp, batch=batch)
    return True


def check_well_formed(name: str, data: bytes) -> None:
    """Parse ``data`` back the way a reader would; raise PublishError when it is not sound."""
    from lxml import etree  # here: a warm build (nothing to publish) never needs it

    try:
        if name.endswith(".json"):
            json.loads(data.decode("utf-8"))
        elif name.endswith((".rss", ".atom", ".opml", ".html")):
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            etree.fromstring(data, parser)
    except (ValueError, etree.XMLSyntaxError) as exc:
        raise PublishError(f"{name} came out malformed ({exc}); nothing was replaced. "
                           "Please report this as a feedhub bug.") from exc


OnStaged = Callable[[str, Path], None]
"""Told of each changed file once it is staged: its name and its temp file (whole, with its
final mtime, not yet renamed into place)."""


class Writer:
    """Checks, stages (into ``batch``) and reports each published file; ``on_staged`` (when
    given) is told of each changed one, its own and those adopted from workers.

    ``check=False`` skips the parse-back, for archive documents only: they are rendered by the
    same code as the subscription documents, which are always checked (so a renderer that
    went wrong fails the publish at its first document), and parsing back thousands of
    archive files was a tenth of a cold build's publish time. Each file gets the ``.gz`` that
    :func:`gzip_level_for` gives its name."""

    def __init__(self, out: Path, report: PublishReport, batch: Batch,
                 on_staged: OnStaged | None = None) -> None:
        self.out = out
        self.report = report
        self.batch = batch
        self.on_staged = on_staged

    def __call__(self, name: str, data: bytes, modified: datetime, *, check: bool = True
                 ) -> bool:
        if check:
            check_well_formed(name, data)
        try:
            changed = publish_file(self.out / name, data, modified, self.batch,
                                   gzip_level_for(name))
        except OSError as exc:
            raise PublishError(f"cannot write {self.out / name}: {exc}; check that the "
                               "output folder exists and is writable") from exc
        (self.report.written if changed else self.report.unchanged).append(name)
        if changed and self.on_staged is not None:
            self.on_staged(name, Path(self.batch.last()))  # the file itself, after its .gz
        return changed

    def staged(self) -> Staged:
        """What this writer staged and reported, to hand to another process's writer."""
        return Staged(self.batch.take(), list(self.report.written), list(self.report.unchanged))

    def adopt(self, staged: Staged) -> None:
        """Take over files another process's writer staged in the same output folder."""
        for tmp, path in staged.pending:
            self.batch.add(tmp, path)
        self.report.written.extend(staged.written)
        self.report.unchanged.extend(staged.unchanged)
        if self.on_staged is not None:
            temps = {path: tmp for tmp, path in staged.pending}
            for name in staged.written:
                self.on_staged(name, Path(temps[self.out / name]))


@dataclass(frozen=True)
class Staged:
    """Temp files written and not yet renamed, with the report of the files they stand for."""

    pending: list[tuple[str, Path]]
    written: list[str]
    unchanged: list[str]
