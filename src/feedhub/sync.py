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

Must not: decide what a feed contains (publish does) or when to publish (worker and pipeline).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import PublishError
from .model import Config
from .publish import PublishReport, publish_all
from .store import Store


def publish(config: Config, store: Store, *, force: bool = False) -> PublishReport | None:
    """Publish when items changed since the last publish (always with ``force``). Returns
    None when there was nothing to do or another worker is publishing right now."""
    with store.publishing(force=force) as due:
        if not due:
            return None
        shared = store.dialect.shared
        if shared:
            restore_output(store, config.output_dir)

        def keep(name: str, staged: Path) -> None:
            # The staged temp file: its bytes and mtime are the published file's. Kept as each
            # is staged, so most of the copying happens while worker processes render; the
            # files are put in place at the end of the publish, in this same transaction.
            try:
                store.save_published(store.db, name, staged.read_bytes() if shared else None,
                                     int(staged.stat().st_mtime))
            except OSError as exc:
                raise PublishError(f"cannot read back {staged}: {exc}") from exc

        return publish_all(config, store, on_staged=keep)


def restore_output(store: Store, out: Path) -> int:
    """Make the files under ``out`` what the store holds (bytes and mtime); returns how many
    were written. Files the store does not know are left alone."""
    written = 0
    for name in sorted(store.published_versions()):
        found = store.published_file(name)
        if found is None:
            continue
        body, modified, _generation = found
        path = out / name
        try:
            if path.read_bytes() == body and int(path.stat().st_mtime) == modified:
                continue
        except OSError:
            pass
        try:
            _write(path, body, modified)
        except OSError as exc:
            raise PublishError(f"cannot write {path}: {exc}; check that the output folder "
                               "is writable") from exc
        written += 1
    return written


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
