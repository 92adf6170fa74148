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
