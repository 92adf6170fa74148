"""publish_file(): the on-disk contract web.py and nginx rely on (bytes, .gz, mtime)."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

from feedhub.publish import gz_path, publish_file

T1 = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
T2 = datetime(2026, 3, 5, 0, 0, 0, tzinfo=UTC)


def test_writes_gz_beside_it_with_the_newest_change_as_mtime(tmp_path: Path) -> None:
    path = tmp_path / "news.rss"
    assert publish_file(path, b"<rss>one</rss>", T1)
    assert path.read_bytes() == b"<rss>one</rss>"
    assert gzip.decompress(gz_path(path).read_bytes()) == b"<rss>one</rss>"
    assert os.stat(path).st_mtime == int(T1.timestamp())
    assert os.stat(gz_path(path)).st_mtime == int(T1.timestamp())
    assert not list(tmp_path.glob("*.tmp"))


def test_unchanged_bytes_keep_mtime_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "news.rss"
    publish_file(path, b"<rss>one</rss>", T1)
    before = os.stat(path)
    assert not publish_file(path, b"<rss>one</rss>", T2)
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_changed_bytes_never_move_last_modified_back(tmp_path: Path) -> None:
    path = tmp_path / "news.rss"
    publish_file(path, b"<rss>one</rss>", T2)
    # An item dropped out: the newest change is older than the file, yet the bytes changed.
    assert publish_file(path, b"<rss>two</rss>", T1)
    assert os.stat(path).st_mtime == int(T2.timestamp()) + 1
    assert os.stat(gz_path(path)).st_mtime == os.stat(path).st_mtime
    assert gzip.decompress(gz_path(path).read_bytes()) == b"<rss>two</rss>"


def test_missing_gz_is_restored_to_match(tmp_path: Path) -> None:
    path = tmp_path / "news.rss"
    publish_file(path, b"<rss>one</rss>", T1)
    gz_path(path).unlink()
    assert not publish_file(path, b"<rss>one</rss>", T1)
    assert os.stat(gz_path(path)).st_mtime == os.stat(path).st_mtime


def test_a_batch_changes_nothing_until_commit_then_replaces_in_order(tmp_path: Path) -> None:
    from feedhub.publish import Batch

    path = tmp_path / "news.rss"
    publish_file(path, b"<rss>one</rss>", T1)
    batch = Batch()
    assert publish_file(path, b"<rss>two</rss>", T2, batch)
    assert publish_file(tmp_path / "new.rss", b"<rss>new</rss>", T2, batch)
    assert path.read_bytes() == b"<rss>one</rss>"  # staged only: readers see the old file
    assert not (tmp_path / "new.rss").exists()
    assert len(batch) == 4 and len(list(tmp_path.glob(".*.tmp"))) == 4
    batch.commit()
    assert path.read_bytes() == b"<rss>two</rss>"
    assert gzip.decompress(gz_path(path).read_bytes()) == b"<rss>two</rss>"
    assert (tmp_path / "new.rss").read_bytes() == b"<rss>new</rss>"
    assert os.stat(tmp_path / "new.rss").st_mtime == int(T2.timestamp())
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_aborted_batch_leaves_the_old_files_and_no_temp_files(tmp_path: Path) -> None:
    from feedhub.publish import Batch

    path = tmp_path / "news.rss"
    publish_file(path, b"<rss>one</rss>", T1)
    batch = Batch()
    publish_file(path, b"<rss>two</rss>", T2, batch)
    batch.abort()
    batch.commit()  # nothing left to put in place
    assert path.read_bytes() == b"<rss>one</rss>"
    assert not list(tmp_path.glob(".*.tmp"))


def test_temp_files_of_a_killed_publish_are_removed(tmp_path: Path) -> None:
    from feedhub.publish import remove_stale_temps

    (tmp_path / "archive" / "all").mkdir(parents=True)
    (tmp_path / "archive" / "all" / ".1.rss.k2j3h4.tmp").write_bytes(b"<rss>ha")
    (tmp_path / ".all.rss.gz.x8y7.tmp").write_bytes(b"")
    (tmp_path / "all.rss").write_bytes(b"<rss/>")
    assert remove_stale_temps(tmp_path) == 2
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["all.rss"]
    assert remove_stale_temps(tmp_path / "missing") == 0
