"""Publishing through the store: the output folder and the store's copy stay the same.

:func:`publish` runs the file publisher (publish.publish_all) under the store's publish lock,
first bringing the local output folder up to the store's copy (bytes and mtimes), then keeping
every file the publisher changed in the store. So every worker, on any machine, publishes from
the same previous state, and a web node can answer from the store exactly what the file
publisher wrote: the same bytes, hence the same ETag, and the same mtime as Last-Modified.

That is for a shared store (PostgreSQL). A SQLite store is one machine's file, and its web
nodes read the output folder: the store records each published file's name and mtime (what
``pipeline.published_with`` checks), not its bytes. Copying every file's bytes was a second
copy of the whole output for nothing (54 MB at 250 bench/build.py sources, 710 MB at 4,000,
~2% of a cold 250-source build). A build into an empty output folder renders it again.

Must not: decide what a feed contains (publish does) or when to publish (worker and pipeline),
or what an incident is (feedhub.incidents).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from .errors import PublishError
from .incidents import record_incidents
from .model import Config
from .publish import PublishReport, publish_all
from .publish.files import gz_path, gzip_level_for
from .store import Store


def publish(config: Config, store: Store, *, force: bool = False,
            now: datetime | None = None) -> PublishReport | None:
    """Publish when items changed since the last publish (always with ``force``). Returns
    None when there was nothing to do or another worker is publishing right now. First, in
    any case, the operator feed's incidents are brought up to date (feedhub.incidents: a
    failing source changes no item) as of ``now`` (default: the clock)."""
    record_incidents(config, store, now or datetime.now(UTC))
    with store.publishing(force=force) as due:
        if not due:
            return None
        shared = store.dialect.shared
        if shared:
            restore_output(store, config.output_dir, remember=False)

        def keep(name: str, staged: Path) -> None:
            # The staged temp file: its bytes and mtime are the published file's. Kept as each
            # is staged, so most of the copying happens while worker processes render; the
            # files are put in place at the end of the publish, in this same transaction.
            try:
                store.save_published(store.db, name, staged.read_bytes() if shared else None,
                                     int(staged.stat().st_mtime))
            except OSError as exc:
                raise PublishError(f"cannot read back {staged}: {exc}") from exc

        report = publish_all(config, store, on_staged=keep)
    if shared:
        remember_generation(store, config.output_dir)
    return report


RESTORED_MARK = ".store-generation"
"""In a worker's output folder: the store's publish generation its files were last brought up
to (by a restore or by this worker's own publish)."""


def restore_output(store: Store, out: Path, *, remember: bool = True) -> int:
    """Make the files under ``out`` what the store holds (bytes and mtime, and a ``.gz``
    beside each where the publisher writes one); returns how many were written. Files the
    store does not know are left alone.

    Only what changed since the folder was last brought up to date is read from the store
    (its generation is kept in :data:`RESTORED_MARK`), plus any file missing here: a worker
    that published last, or restored before, reads nothing. With ``remember`` False the mark
    is removed instead of written: the caller is about to change the folder, and writes the
    mark once the store has what it wrote (:func:`remember_generation`)."""
    known = _restored_generation(out)
    if known > store.published_generation():
        known = -1  # a folder ahead of its store (a publish that did not commit): redo it
    written = 0
    for name, generation in sorted(store.published_versions().items()):
        path = out / name
        level = gzip_level_for(name)
        if generation <= known and os.path.exists(path) and (
                level is None or os.path.exists(gz_path(path))):
            continue
        found = store.published_file(name)
        if found is None:
            continue
        body, modified, _generation = found
        try:
            same = path.read_bytes() == body and int(path.stat().st_mtime) == modified
        except OSError:
            same = False
        try:
            if level is None:
                gz_path(path).unlink(missing_ok=True)  # none where it does not pay
            elif not same or not _gz_matches(path, modified):
                _write(gz_path(path), gzip.compress(body, level, mtime=0), modified)
            if not same:
                _write(path, body, modified)
                written += 1
        except OSError as exc:
            raise PublishError(f"cannot write {path}: {exc}; check that the output folder "
                               "is writable") from exc
    if remember:
        remember_generation(store, out)
    else:
        (out / RESTORED_MARK).unlink(missing_ok=True)
    return written


def remember_generation(store: Store, out: Path) -> None:
    """Record that ``out`` holds what the store published up to now (see restore_output)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / RESTORED_MARK).write_text(str(store.published_generation()), encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"cannot write {out / RESTORED_MARK}: {exc}") from exc


def _restored_generation(out: Path) -> int:
    try:
        return int((out / RESTORED_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return -1


def _gz_matches(path: Path, modified: int) -> bool:
    """Whether the ``.gz`` beside ``path`` was written with it (the publisher gives both one
    mtime; web.py serves a ``.gz`` only then, nginx's gzip_static always)."""
    try:
        return int(gz_path(path).stat().st_mtime) == modified
    except OSError:
        return False


def _write(path: Path, data: bytes, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
